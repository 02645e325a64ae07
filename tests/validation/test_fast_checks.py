"""The responses checks run without pandera where a table passes them all, and through
pandera where it fails: the reports must be the same, cell for cell, either way.

Each hostile table of the corpora (tests/validation/test_bad_inputs.py's cell cases, the
scores Python would read but a spreadsheet would not, missing columns, extra columns) is
validated twice: as the workflow does, and with the fast path switched off so that pandera
checks every table, as before the fast path existed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from revmentor.validation import responses
from revmentor.validation.site import validate_site
from tests.validation.test_bad_inputs import CELL_CASES, SITE_ID, table  # noqa: F401

_REPO = Path(__file__).resolve().parents[2]

HOSTILE_SCORES = ["٤", "４", "𝟒", "4_0", "inf", "nan", "+4", " 4", "4.0", "1e0", "0x4", "", "NA"]


def _validate(path: Path, instrument):
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": path.name}
    return validate_site(path, site, instrument)


def _both_ways(tmp_path: Path, text: str, instrument, monkeypatch):
    """The site validated with the fast checks, then with pandera alone; and that the
    fast checks called the table failing exactly where pandera found an error (so that
    pandera runs for the tables that need it, and for no other)."""
    path = tmp_path / "site.csv"
    path.write_bytes(text.encode("utf-8"))
    verdicts = []
    fast_passes = responses.passes_each

    def recorded(instrument, tables):
        verdicts.extend(fast_passes(instrument, tables))
        return verdicts[-len(tables) :]

    with monkeypatch.context() as patched:
        patched.setattr(responses, "passes_each", recorded)
        fast = _validate(path, instrument)
    with monkeypatch.context() as patched:
        patched.setattr(responses, "passes_each", lambda instrument, tables: [False] * len(tables))
        slow = _validate(path, instrument)
    if verdicts:  # the file was read and its table checked
        assert verdicts == [not slow[0].errors]
    return fast, slow


def _assert_same(fast, slow) -> None:
    (fast_report, fast_clean), (slow_report, slow_clean) = fast, slow
    assert fast_report.to_json() == slow_report.to_json()
    assert fast_report.to_markdown() == slow_report.to_markdown()
    if slow_clean is None:
        assert fast_clean is None
    else:
        assert fast_clean.equals(slow_clean)
        assert list(fast_clean.dtypes) == list(slow_clean.dtypes)


@pytest.mark.parametrize(("changes", "expected"), CELL_CASES)
def test_each_bad_cell_is_reported_the_same_with_or_without_pandera(
    tmp_path,
    table,  # noqa: F811
    instrument,
    monkeypatch,
    changes,
    expected,
):
    for row, column, value in changes:
        table.set(row, column, value)
    fast, slow = _both_ways(tmp_path, table.text(), instrument, monkeypatch)
    _assert_same(fast, slow)
    assert fast[0].errors  # the case is hostile: pandera described it


@pytest.mark.parametrize("score", HOSTILE_SCORES)
@pytest.mark.parametrize("column", ["clinical_practice", "role", "timepoint", "participant_id"])
def test_a_hostile_cell_is_reported_the_same_with_or_without_pandera(
    tmp_path,
    table,  # noqa: F811
    instrument,
    monkeypatch,
    score,
    column,
):
    table.set(3, column, score)
    _assert_same(*_both_ways(tmp_path, table.text(), instrument, monkeypatch))


@pytest.mark.parametrize("missing", ["clinical_practice", "participant_id", "role", "timepoint"])
def test_a_missing_column_is_reported_the_same_with_or_without_pandera(
    tmp_path,
    table,  # noqa: F811
    instrument,
    monkeypatch,
    missing,
):
    table.drop_column(missing)
    _assert_same(*_both_ways(tmp_path, table.text(), instrument, monkeypatch))


def test_a_valid_table_passes_without_pandera(tmp_path, table, instrument, monkeypatch):  # noqa: F811
    fast, slow = _both_ways(tmp_path, table.text(), instrument, monkeypatch)
    _assert_same(fast, slow)
    assert fast[0].errors == () and fast[1] is not None


def test_a_valid_site_is_validated_without_importing_pandera(tmp_path, table):  # noqa: F811
    """pandera's import was most of a validation job's start-up; a valid site needs none
    of it (a site that fails does import it, to describe its failures)."""
    path = tmp_path / "site.csv"
    path.write_text(table.text(), encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path

        from revmentor.core.config import load_config
        from revmentor.core.instrument import Instrument
        from revmentor.validation.site import validate_site

        config = load_config({str(_REPO / "config/config.yaml")!r},
                             {str(_REPO / "workflow/schemas/config.schema.yaml")!r})
        instrument = Instrument.from_config(config["instrument"])
        site = {{"site_id": {SITE_ID!r}, "name": "Leeds", "format": "responses",
                 "file": "site.csv"}}
        report, clean = validate_site(Path({str(path)!r}), site, instrument)
        assert report.errors == (), report.errors
        print(sorted(m for m in sys.modules if m.split(".")[0] == "pandera"))
        """
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=_REPO
    )
    assert shown.stdout.strip() == "[]"
