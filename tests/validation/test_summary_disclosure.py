"""The coordinating centre refuses a summary row that breaks the disclosure policy, naming
the row (header = row 1), the column, the value and the rule."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest

from revmentor.core.config import load_config
from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.instrument import Instrument
from revmentor.core.tables import csv_text
from revmentor.validation.site import validate, validate_summary_site

ROOT = Path(__file__).resolve().parents[2]
SITE = {"site_id": "oak", "name": "Oak", "format": "summary", "file": "summary.csv"}
KEYS = {"site_id": "oak", "role": "mentor", "outcome": "clinical_practice"}
# Sixteen differences with many sets sharing their mean and SD.
SAFE = {**KEYS, "n_pairs": "16", "mean_diff": "0.4375", "sd_diff": "0.8139410298049853"}


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    config = load_config(ROOT / "config/config.yaml", ROOT / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


DEFAULT = DisclosurePolicy()


def check(tmp_path: Path, instrument, rows: list[dict], policy=DEFAULT):
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(pd.DataFrame(rows), for_people=False), encoding="utf-8")
    return validate_summary_site(path, None, SITE, instrument, disclosure=policy)


def found(report) -> list[tuple]:
    return [(p.row, p.column, p.check, p.message, p.value) for p in report.errors]


def test_a_row_from_two_pairs_is_refused(tmp_path, instrument):
    two = {**KEYS, "outcome": "strengths", "n_pairs": "2", "mean_diff": "1", "sd_diff": "1.5"}
    report, summary, _ = check(tmp_path, instrument, [SAFE, two])
    assert summary is None
    assert found(report) == [
        (
            3,
            "n_pairs",
            "disclosure_min_pairs_summary",
            "this row may not leave the site under the disclosure policy: n_pairs 2 < "
            "disclosure.min_pairs_summary 3; remove this row; 'revmentor export-summary' "
            "leaves such rows out",
            "2",
        )
    ]
    assert report.errors[0].where() == "row 3, column 'n_pairs'"


def test_a_median_below_min_pairs_order_statistics_is_refused(tmp_path, instrument):
    row = {**SAFE, "n_pairs": "8", "mean_diff": "0.5", "sd_diff": "0.9258200997725514"}
    report, summary, _ = check(tmp_path, instrument, [{**row, "median_pre": "3"}])
    assert summary is None
    assert found(report) == [
        (
            2,
            "median_pre",
            "disclosure_min_pairs_order_statistics",
            "'3' may not leave the site under the disclosure policy: n_pairs 8 < "
            "disclosure.min_pairs_order_statistics 10; leave this cell empty; 'revmentor "
            "export-summary' withholds it",
            "3",
        )
    ]


def test_sign_counts_below_min_pairs_order_statistics_are_refused(tmp_path, instrument):
    row = {**SAFE, "n_pairs": "8", "mean_diff": "0.5", "sd_diff": "0.9258200997725514"}
    report, _, _ = check(
        tmp_path,
        instrument,
        [{**row, "n_nonzero": "5", "n_positive": "4", "n_negative": "1"}],
    )
    assert sorted((p.row, p.column, p.check) for p in report.errors) == [
        (2, "n_negative", "disclosure_min_pairs_order_statistics"),
        (2, "n_nonzero", "disclosure_min_pairs_order_statistics"),
        (2, "n_positive", "disclosure_min_pairs_order_statistics"),
    ]


def test_a_mean_and_sd_that_single_someone_out_are_refused(tmp_path, instrument):
    pre = [3] * 11 + [4] * 4
    row = {
        **SAFE,
        "n_pairs": "15",
        "mean_pre": repr(statistics.fmean(pre)),
        "sd_pre": repr(statistics.stdev(pre)),
    }
    report, summary, _ = check(tmp_path, instrument, [row])
    assert summary is None
    assert found(report) == [
        (
            2,
            "sd_pre",
            "disclosure_min_cell",
            f"'{row['sd_pre']}' may not leave the site under the disclosure policy: with "
            "n_pairs 15, mean_pre and sd_pre fit only one set of whole-number pre scores "
            "(11 × 3, 4 × 4), and a count in it is below disclosure.min_cell 5; leave this "
            "cell empty (the workflow then uses the other columns); 'revmentor "
            "export-summary' withholds it",
            row["sd_pre"],
        )
    ]


def test_the_policy_of_the_config_is_the_one_applied(tmp_path, instrument):
    row = {**SAFE, "n_pairs": "8", "mean_diff": "0.5", "sd_diff": "0.9258200997725514"}
    lenient = DisclosurePolicy(min_pairs_summary=3, min_pairs_order_statistics=5, min_cell=5)
    report, summary, _ = check(tmp_path, instrument, [{**row, "median_pre": "3"}], lenient)
    assert report.errors == () and summary is not None


def test_a_safe_summary_passes_through_validate(tmp_path, instrument):
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(pd.DataFrame([SAFE]), for_people=False), encoding="utf-8")
    checked = validate({**SITE, "file": str(path)}, instrument)
    assert checked.report.errors == ()
    two = {**SAFE, "n_pairs": "2", "mean_diff": "1", "sd_diff": "1.5"}
    path.write_text(csv_text(pd.DataFrame([two]), for_people=False), encoding="utf-8")
    refused = validate({**SITE, "file": str(path)}, instrument)
    assert [p.check for p in refused.report.errors] == ["disclosure_min_pairs_summary"]
    every_row = DisclosurePolicy(min_pairs_summary=1)
    assert validate({**SITE, "file": str(path)}, instrument, disclosure=every_row).report.is_valid
