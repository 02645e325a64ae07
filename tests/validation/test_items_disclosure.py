"""The coordinating centre refuses an items row that carries a count ``disclosure.min_cell``
keeps at the site, or a cell that gives a withheld count back, naming the row (header =
row 1), the column, the value and the rule; it accepts rows whose withheld cells are empty."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from revmentor.core.config import load_config
from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.instrument import Instrument
from revmentor.validation.site import validate_summary_site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data/example"
SITE = {
    "site_id": "oakfield",
    "name": "Oakfield",
    "format": "summary",
    "file": "oakfield_summary.csv",
    "items_file": "oakfield_items.csv",
}
WHAT_TO_DO = (
    " of this row empty (the workflow then leaves this site out of that item's pooled "
    "result); 'revmentor export-summary --items-out' withholds them"
)
SHARE = "count, proportion, ci_low and ci_high"
PAIR = "both_yes, before_only, after_only, both_no and mcnemar_p"


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    config = load_config(ROOT / "config/config.yaml", ROOT / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


def check(tmp_path: Path, instrument, changes: dict[int, dict[str, str]], policy=None):
    """The example's items file (as its site exported it) with ``changes`` by spreadsheet
    row (header = row 1), checked at the centre."""
    items = pd.read_csv(EXAMPLE / "oakfield_items.csv", dtype=str, keep_default_na=False)
    for row, cells in changes.items():
        for column, value in cells.items():
            items.loc[row - 2, column] = value
    shutil.copy(EXAMPLE / "oakfield_summary.csv", tmp_path / "oakfield_summary.csv")
    items.to_csv(tmp_path / "oakfield_items.csv", index=False)
    return validate_summary_site(
        tmp_path / "oakfield_summary.csv",
        tmp_path / "oakfield_items.csv",
        SITE,
        instrument,
        disclosure=policy or DisclosurePolicy(),
    )


def found(report) -> list[tuple]:
    return [(p.row, p.column, p.check, p.message, p.value, p.file) for p in report.errors]


def refused(row: int, column: str, value: str, rule: str, emptied: str) -> tuple:
    message = (
        f"'{value}' may not leave the site under the disclosure policy: {rule}; leave "
        f"{emptied}{WHAT_TO_DO}"
    )
    return (row, column, "disclosure_min_cell", message, value, "oakfield_items.csv")


# Row 7: the mentors' experienced_hierarchy, 1 of 16 (withheld in the example).
ONE_OF_16 = {"count": "1", "proportion": "0.0625", "ci_low": "0.0111", "ci_high": "0.2833"}


def test_the_example_items_as_exported_are_accepted(tmp_path, instrument):
    report, _, items = check(tmp_path, instrument, {})
    assert report.errors == (), report.to_markdown()
    assert items is not None
    answers = items[items["kind"] != "concern_pair"]
    assert answers["count"].isna().sum() == 10


def test_a_small_count_is_refused_naming_row_column_value_and_rule(tmp_path, instrument):
    report, summary, items = check(tmp_path, instrument, {7: ONE_OF_16})
    assert summary is None and items is None
    assert found(report) == [
        refused(7, "count", "1", "count 1 is below disclosure.min_cell 5", SHARE)
    ]


def test_a_small_complement_is_refused(tmp_path, instrument):
    # Row 31: the mentees' benefited, 13 of 15: the two who did not benefit are the cell.
    thirteen = {"count": "13", "proportion": "0.8666666666666667"}
    report, _, _ = check(tmp_path, instrument, {31: thirteen})
    assert found(report) == [
        refused(
            31,
            "count",
            "13",
            "n_answered 15 - count 13 = 2 is below disclosure.min_cell 5",
            "count and proportion",
        )
    ]


def test_a_proportion_left_beside_a_withheld_count_is_refused(tmp_path, instrument):
    left = {key: value for key, value in ONE_OF_16.items() if key != "count"}
    report, _, _ = check(tmp_path, instrument, {7: left})
    assert found(report) == [
        refused(
            7,
            "proportion",
            "0.0625",
            "the count is withheld, and with n_answered 16 the proportion and its interval "
            "give it back",
            "proportion, ci_low and ci_high",
        )
    ]


def test_one_withheld_level_the_others_give_back_is_refused_at_the_smallest_other(
    tmp_path, instrument
):
    # Rows 13-15: the mentors' relationship_effect, negative / none / positive, of 16.
    report, _, _ = check(
        tmp_path,
        instrument,
        {
            13: {"count": "", "proportion": "", "ci_low": "", "ci_high": ""},
            14: {"count": "6", "proportion": "0.375", "ci_low": "", "ci_high": ""},
        },
    )
    assert found(report) == [
        refused(
            14,
            "count",
            "6",
            "with n_answered 16 and the other levels' counts, this count gives back the "
            "withheld count of level 'negative'",
            "count and proportion",
        )
    ]


def test_a_small_paired_cell_is_refused(tmp_path, instrument):
    # Row 16: the mentors' hierarchy concern pair, 16 pairs.
    cells = {
        "both_yes": "1",
        "before_only": "12",
        "after_only": "0",
        "both_no": "3",
        "mcnemar_p": "0.00048828125",
    }
    report, _, _ = check(tmp_path, instrument, {16: cells})
    assert found(report) == [
        refused(16, "both_yes", "1", "both_yes 1 is below disclosure.min_cell 5", PAIR)
    ]


def test_mcnemar_p_left_beside_withheld_cells_is_refused(tmp_path, instrument):
    report, _, _ = check(tmp_path, instrument, {16: {"mcnemar_p": "0.00048828125"}})
    assert found(report) == [
        refused(
            16,
            "mcnemar_p",
            "0.00048828125",
            "a paired cell is withheld, and with n_pairs the other cells and McNemar's p "
            "give it back",
            "mcnemar_p",
        )
    ]


def test_paired_cells_that_give_back_a_withheld_count_are_refused(tmp_path, instrument):
    # Row 20 (the mentees' concern_hierarchy, 15 answered) withheld; its pair (row 35, 15
    # pairs) sent with cells of 0 or at least 5: its yes answers are both_yes + before_only.
    cells = {"both_yes": "0", "before_only": "5", "after_only": "0", "both_no": "10"}
    report, _, _ = check(
        tmp_path,
        instrument,
        {21: {"count": "", "proportion": "", "ci_low": "", "ci_high": ""}, 35: cells},
    )
    assert found(report) == [
        refused(
            35,
            "both_yes",
            "0",
            "the count of concern_hierarchy is withheld, and the paired cells give it back "
            "(its yes answers are both_yes plus before_only or after_only)",
            "both_yes, before_only, after_only and both_no",
        )
    ]


def test_the_centres_own_min_cell_decides(tmp_path, instrument):
    report, _, items = check(tmp_path, instrument, {7: ONE_OF_16}, DisclosurePolicy(min_cell=0))
    assert report.errors == () and items is not None
    report, _, _ = check(tmp_path, instrument, {31: {"count": "12"}}, DisclosurePolicy(min_cell=3))
    assert report.errors == ()


def test_a_small_count_without_its_n_answered_is_still_refused(tmp_path, instrument):
    report, _, _ = check(tmp_path, instrument, {7: {**ONE_OF_16, "n_answered": ""}})
    assert found(report) == [
        refused(7, "count", "1", "count 1 is below disclosure.min_cell 5", SHARE)
    ]


def test_the_small_paired_cell_is_the_one_named(tmp_path, instrument):
    cells = {
        "both_yes": "5",
        "before_only": "8",
        "after_only": "3",
        "both_no": "0",
        "mcnemar_p": "0.2265625",
    }
    report, _, _ = check(tmp_path, instrument, {16: cells})
    assert found(report) == [
        refused(16, "after_only", "3", "after_only 3 is below disclosure.min_cell 5", PAIR)
    ]
