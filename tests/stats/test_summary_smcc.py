"""A summary-only site's SMCC, derived from mean_diff, sd_diff and n_pairs as metafor's
escalc(measure="SMCC") does, when the site did not send it."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core import summary_format as fmt
from revmentor.core.tables import typed_frame
from revmentor.stats.summary_effects import derive_missing_smcc
from revmentor.steps import site_tables
from tests.reference import close, load

SMCC = load("escalc_smcc")["cases"]
DERIVED = "smcc and smcc_var derived from mean_diff, sd_diff and n_pairs (metafor escalc SMCC)"


def summary(*rows: dict) -> pd.DataFrame:
    """A site-sent summary as validation hands it on: every column, typed."""
    records = [{"site_id": "oakfield", "role": "mentor", **row} for row in rows]
    return typed_frame(records, fmt.SUMMARY_COLUMNS, fmt.TEXT_COLUMNS, (*fmt.COUNT_COLUMNS, "t_df"))


def only_change(case: dict, outcome: str = "total") -> dict:
    return {
        "outcome": outcome,
        "n_pairs": case["inputs"]["n"],
        "mean_diff": case["mean_diff"],
        "sd_diff": case["sd_diff"],
    }


@pytest.mark.parametrize("case", SMCC, ids=lambda c: c["name"])
def test_missing_smcc_is_derived_as_escalc_smcc(case):
    derived = derive_missing_smcc(summary(only_change(case))).iloc[0]
    assert close(derived["smcc"], case["yi"]) and close(derived["smcc_var"], case["vi"])
    assert derived["note"] == DERIVED


def test_the_phrase_is_one_of_the_workflows_own_summary_notes():
    """Validation accepts only SUMMARY_NOTES, so a derived summary stays a valid summary."""
    assert fmt.NOTE_SMCC_DERIVED == DERIVED and DERIVED in fmt.SUMMARY_NOTES


def test_the_phrase_is_added_to_a_note_the_site_sent():
    row = {**only_change(SMCC[0]), "note": fmt.NOTE_CONSTANT}
    derived = derive_missing_smcc(summary(row)).iloc[0]
    assert derived["note"] == f"{fmt.NOTE_CONSTANT}; {DERIVED}"
    assert derived["note"].split(fmt.NOTE_SEPARATOR) == [fmt.NOTE_CONSTANT, DERIVED]


def test_the_phrase_is_not_repeated():
    row = {**only_change(SMCC[0]), "note": DERIVED}
    assert derive_missing_smcc(summary(row)).iloc[0]["note"] == DERIVED


@pytest.mark.parametrize(
    "sent",
    [{"smcc": 0.9}, {"smcc_var": 0.2}, {"smcc": 0.9, "smcc_var": 0.2}],
    ids=["smcc_only", "smcc_var_only", "both"],
)
def test_a_row_with_either_value_is_left_as_the_site_sent_it(sent):
    row = {**only_change(SMCC[0]), **sent}
    derived = derive_missing_smcc(summary(row)).iloc[0]
    for column in ("smcc", "smcc_var"):
        if column in sent:
            assert derived[column] == sent[column]
        else:
            assert pd.isna(derived[column])
    assert derived["note"] == ""


@pytest.mark.parametrize(
    "row",
    [
        {"outcome": "total", "n_pairs": 2, "mean_diff": 1.0, "sd_diff": 0.5},
        {"outcome": "total", "n_pairs": 6, "mean_diff": 1.0, "sd_diff": 0.0},
        {"outcome": "total", "n_pairs": 6, "sd_diff": 0.5},
        {"outcome": "total", "n_pairs": 1, "mean_diff": 1.0},
    ],
    ids=["two_pairs", "zero_sd", "no_mean", "one_pair_no_sd"],
)
def test_a_row_that_does_not_determine_the_smcc_stays_empty(row):
    derived = derive_missing_smcc(summary(row)).iloc[0]
    assert pd.isna(derived["smcc"]) and pd.isna(derived["smcc_var"])
    assert derived["note"] == ""


def test_each_row_is_derived_on_its_own_and_the_sent_frame_is_not_changed():
    sent = summary(
        only_change(SMCC[1], "total"),
        {**only_change(SMCC[2], "strengths"), "smcc": 0.5, "smcc_var": 0.1},
        {"outcome": "approachability", "n_pairs": 2, "mean_diff": 1.0, "sd_diff": 0.5},
    )
    before = sent.copy()
    derived = derive_missing_smcc(sent)
    pd.testing.assert_frame_equal(sent, before)
    assert close(derived.loc[0, "smcc"], SMCC[1]["yi"])
    assert (derived.loc[1, "smcc"], derived.loc[1, "smcc_var"]) == (0.5, 0.1)
    assert pd.isna(derived.loc[2, "smcc"])
    assert list(derived["note"]) == [DERIVED, "", ""]
    assert list(derived.columns) == list(fmt.SUMMARY_COLUMNS)
    assert derived.dtypes.equals(sent.dtypes)


def test_a_summary_sites_tables_carry_the_derived_smcc(instrument):
    case = SMCC[2]
    tables = site_tables("oakfield", instrument, 1, summary=summary(only_change(case)))
    row = tables["summary"].iloc[0]
    assert close(row["smcc"], case["yi"]) and close(row["smcc_var"], case["vi"])
    assert row["note"] == DERIVED
