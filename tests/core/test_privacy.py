"""The privacy rules: which results may be shared, and which values a log may quote."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revmentor.core.privacy import (
    NOT_SHAREABLE,
    RESULTS_ENTRIES,
    SHAREABLE,
    WITHHELD,
    may_quote_in_logs,
    value_free_traceback,
    withhold_value,
)

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## What may leave the coordinating centre"


def readme_table() -> list[tuple[str, bool, str]]:
    """(entry, shareable, reason) from the README's table, in its order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(HEADING) :].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`") or cells[0] == "`results/` entry":
            continue
        name = cells[0].strip("`").rstrip("/")
        assert cells[1] in ("yes", "no"), line
        rows.append((name, cells[1] == "yes", cells[2]))
    return rows


def test_the_readme_table_mirrors_the_package_list():
    expected = [(e.name, e.shareable, e.reason) for e in RESULTS_ENTRIES]
    assert readme_table() == expected


def test_every_entry_is_either_shareable_or_not():
    assert SHAREABLE.isdisjoint(NOT_SHAREABLE)
    assert {e.name for e in RESULTS_ENTRIES} == SHAREABLE | NOT_SHAREABLE
    assert {"validation", "clean", "sites", "shards", "logs"} <= NOT_SHAREABLE
    assert {"tables", "figures", "pooled", "report"} <= SHAREABLE


@pytest.mark.parametrize(
    ("column", "value", "quoted"),
    [
        ("strengths", "7", True),
        ("n_pairs", "0", True),
        ("sd_diff", "-1.25", True),
        ("strengths", "123456", True),
        ("strengths", "9434765919", False),  # an NHS or phone number typed in a score cell
        ("strengths", "1985-03-12", False),
        ("strengths", "four", False),
        ("note", "Dr Roe", False),
        ("participant_id", "17", False),
        ("participant_id", None, False),
    ],
)
def test_only_short_plain_numbers_outside_the_id_column_may_be_quoted(column, value, quoted):
    assert may_quote_in_logs(column, value) is quoted


@pytest.mark.parametrize(
    ("message", "column", "value", "expected"),
    [
        ("'P9' is duplicated", "participant_id", "P9", f"{WITHHELD} is duplicated"),
        ("'7' is above 5", "strengths", "7", "'7' is above 5"),
        ("participant P9X has no post row", "participant_id", "P9X", None),
        # a one-letter value is withheld where quoted, not inside every word
        ("'a' is not a whole number from 1 to 5", "strengths", "a", None),
        ("'Jane Roe said…' is not a number; see 'x'", "note", "Jane Roe said…", None),
        ("no quote: Jane Roe said it all", "note", "Jane Roe said…", None),
        ("nothing to withhold", "note", None, "nothing to withhold"),
    ],
)
def test_withholding_a_value_from_a_message(message, column, value, expected):
    withheld = withhold_value(message, column, value)
    if expected is not None:
        assert withheld == expected
    else:
        assert WITHHELD in withheld
        assert not re.search(r"P9X|Jane|Roe|'a'", withheld), withheld
    if value == "a":
        assert withheld == f"{WITHHELD} is not a whole number from 1 to 5"


def test_a_value_that_is_a_word_of_the_placeholder_is_withheld_once():
    assert withhold_value("'logs' and logs", "note", "logs") == f"{WITHHELD} and {WITHHELD}"


def test_a_traceback_without_text_keeps_each_exception_and_frame():
    cell = "P-" + "SECRET-9"  # as data, not in the source lines a traceback shows

    def inner() -> None:
        int(cell)

    try:
        try:
            inner()
        except ValueError as failure:
            raise LookupError(f"row of {cell}") from failure
    except LookupError as failure:
        text = value_free_traceback(failure)
    assert "P-SECRET" not in text
    assert text.count("Traceback (most recent call last):") == 2
    assert "builtins.ValueError (text withheld)\nwhich led to:\n" in text
    assert ", in inner\n" in text
    assert text.endswith("builtins.LookupError (text withheld)")
