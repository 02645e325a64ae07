"""Summary-only sites sent impossible or broken summaries (issue 10).

A summary with ``sd_diff = 1e308`` was accepted, and the pooled analysis then blamed a zero
sampling variance. Each statistic is now checked against what scores on the scale can give,
and against the row's own counts, and the message names the bound. A summary with a wrong
type in one cell gets its own report and never stops the other sites of its shard.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.problems import Problem
from revmentor.core.tables import csv_text
from revmentor.stats.site_summary import site_summary
from revmentor.validation import summary as summary_module
from revmentor.validation.site import validate, validate_summary_site
from revmentor.validation.summary_plausible import largest_sd

SITE = {"site_id": "oak", "name": "Oak", "format": "summary", "file": "summary.csv"}
KEYS = {"site_id": "oak", "role": "mentor", "outcome": "clinical_practice"}
BASE = {**KEYS, "n_pairs": "16", "mean_diff": "0.4375", "sd_diff": "0.8139410298049853"}
# These tests are about whether a summary could have come from real scores; what it may
# reveal is tests/core/test_disclosure*.py's, so the disclosure rules are off here.
NO_DISCLOSURE_RULES = DisclosurePolicy(
    min_pairs_summary=1, min_pairs_order_statistics=1, min_cell=0
)


def check_row(tmp_path: Path, instrument, row: dict[str, str]):
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(pd.DataFrame([row]), for_people=False), encoding="utf-8")
    return validate_summary_site(path, None, SITE, instrument, disclosure=NO_DISCLOSURE_RULES)


def test_the_largest_sd_is_half_the_values_at_each_end():
    # n = 2: values 1 and 5 have SD 4/sqrt(2); n = 3: 1, 1, 5 have SD 4/sqrt(3).
    assert largest_sd(4, 2) == pytest.approx(4 / math.sqrt(2))
    assert largest_sd(4, 3) == pytest.approx(4 / math.sqrt(3))
    assert largest_sd(4, 16) == pytest.approx(pd.Series([1.0] * 8 + [5.0] * 8).std())
    assert math.isnan(largest_sd(4, 1))


IMPOSSIBLE = [
    pytest.param(
        {"sd_diff": "1e308"},
        [
            (
                "sd_diff",
                "sd_diff_within_bound",
                "'1e308' is larger than the SD of 16 pre/post differences can be: each "
                "difference lies from -4 to 4, so their SD is at most 4.13118 (half of them at "
                "each end); check that it is the SD of the differences, in scale points",
            )
        ],
        id="sd_diff-1e308",
    ),
    pytest.param(
        {"sd_pre": "2.1"},
        [
            (
                "sd_pre",
                "sd_pre_within_bound",
                "'2.1' is larger than the SD of 16 pre scores can be: each score lies from 1 to "
                "5, so their SD is at most 2.06559 (half of them at each end); check that it is "
                "an SD, in scale points",
            )
        ],
        id="sd_pre-above-half-the-range",
    ),
    pytest.param(
        {"outcome": "total", "mean_diff": "2.5", "sd_diff": "30"},
        [
            (
                "sd_diff",
                "sd_diff_within_bound",
                "'30' is larger than the SD of 16 pre/post differences can be: each difference "
                "lies from -28 to 28, so their SD is at most 28.9183 (half of them at each end); "
                "check that it is the SD of the differences, in scale points",
            )
        ],
        id="total-sd_diff-uses-7-domains-range",
    ),
    pytest.param(
        {"n_pairs": "1", "sd_diff": "0"},
        [
            (
                "sd_diff",
                "sd_diff_needs_two_pairs",
                "'0' cannot be an SD: n_pairs is 1, and an SD needs at least 2 values; a row "
                "with one pair cannot enter the pooled mean change, so leave the row out of the "
                "summary",
            )
        ],
        id="sd_diff-with-one-pair",
    ),
    pytest.param(
        {"n_pairs": "1", "sd_diff": "0", "sd_post": "0.5"},
        [
            (
                "sd_diff",
                "sd_diff_needs_two_pairs",
                "'0' cannot be an SD: n_pairs is 1, and an SD needs at least 2 values; a row "
                "with one pair cannot enter the pooled mean change, so leave the row out of the "
                "summary",
            ),
            (
                "sd_post",
                "sd_post_needs_two_pairs",
                "'0.5' cannot be an SD: n_pairs is 1, and an SD needs at least 2 values; leave "
                "the cell empty",
            ),
        ],
        id="sd_post-with-one-pair",
    ),
    pytest.param(
        {"sd_diff": "0", "n_positive": "8", "n_negative": "4"},
        [
            (
                "sd_diff",
                "sd_diff_zero_fits_counts",
                "'0' (an SD of 0) says every difference is the same, but n_positive is 8 and "
                "n_negative is 4: some differences are above 0 and some below; check sd_diff "
                "and the counts",
            )
        ],
        id="zero-sd-with-both-signs",
    ),
    pytest.param(
        {"sd_diff": "0", "n_nonzero": "10"},
        [
            (
                "sd_diff",
                "sd_diff_zero_fits_counts",
                "'0' (an SD of 0) says every difference is the same, but 10 of the 16 "
                "differences are non-zero and the others zero; check sd_diff and the counts",
            )
        ],
        id="zero-sd-with-some-zero-differences",
    ),
    pytest.param(
        {"sd_diff": "0", "mean_diff": "0.5", "n_positive": "10"},
        [
            (
                "sd_diff",
                "sd_diff_zero_fits_counts",
                "'0' (an SD of 0) says every difference is the same, but mean_diff is 0.5, so "
                "every difference would be 0.5, yet n_positive is 10 of 16 pairs; check sd_diff "
                "and the counts",
            )
        ],
        id="zero-sd-with-mean-not-every-difference",
    ),
    pytest.param(
        {"mean_diff": "0", "sd_diff": "0.8", "n_nonzero": "0"},
        [
            (
                "sd_diff",
                "sd_diff_fits_all_zero",
                "'0.8' cannot be the SD: n_nonzero is 0, so every difference is 0 and their SD "
                "is 0",
            )
        ],
        id="positive-sd-with-all-differences-zero",
    ),
    pytest.param(
        {"n_positive": "0", "n_negative": "0"},
        [
            (
                "mean_diff",
                "mean_diff_fits_signs",
                "'0.4375' cannot be the mean difference: n_positive and n_negative are both 0, "
                "so every difference is 0 and their mean is 0",
            ),
            (
                "sd_diff",
                "sd_diff_fits_all_zero",
                "'0.8139410298049853' cannot be the SD: n_positive and n_negative are both 0, "
                "so every difference is 0 and their SD is 0",
            ),
        ],
        id="mean-and-sd-with-no-signs",
    ),
    pytest.param(
        {"mean_diff": "-0.25", "n_positive": "8", "n_negative": "0"},
        [
            (
                "mean_diff",
                "mean_diff_fits_signs",
                "'-0.25' is below 0, but n_negative is 0: with no negative differences the mean "
                "difference cannot be below 0",
            )
        ],
        id="negative-mean-without-negative-differences",
    ),
    pytest.param(
        {"n_positive": "0", "n_negative": "5"},
        [
            (
                "mean_diff",
                "mean_diff_fits_signs",
                "'0.4375' is above 0, but n_positive is 0: with no positive differences the mean "
                "difference cannot be above 0",
            )
        ],
        id="positive-mean-without-positive-differences",
    ),
    pytest.param(
        {"n_positive": "12", "n_negative": "6"},
        [
            (
                "n_positive",
                "n_positive_within_n_pairs",
                "'12' positive plus 6 negative differences is more than n_pairs (16)",
            )
        ],
        id="signs-add-up-to-more-than-n_pairs",
    ),
    pytest.param(
        {"n_negative": "20"},
        [("n_negative", "n_negative_within_n_pairs", "'20' is more than n_pairs (16)")],
        id="negatives-more-than-n_pairs",
    ),
    pytest.param(
        {"mean_post": "5.5"},
        [
            (
                "mean_post",
                "mean_post_within_scale",
                "'5.5' lies outside the possible scores of 'clinical_practice', 1 to 5",
            )
        ],
        id="mean-outside-the-scale",
    ),
    pytest.param(
        {"outcome": "total", "median_pre": "36"},
        [
            (
                "median_pre",
                "median_pre_within_scale",
                "'36' lies outside the possible scores of 'total', 7 to 35",
            )
        ],
        id="median-outside-the-total-range",
    ),
    pytest.param(
        {"mean_diff": "4.5"},
        [
            (
                "mean_diff",
                "mean_diff_within_range",
                "'4.5' is a larger change than 'clinical_practice' allows: its scores lie from "
                "1 to 5, so a change lies from -4 to 4",
            )
        ],
        id="mean-change-beyond-the-range",
    ),
    pytest.param(
        {"t_ci_low": "0.5", "t_ci_high": "0.9"},
        [("t_ci_low", "t_ci_low_not_above_mean_diff", "'0.5' is above mean_diff")],
        id="t-interval-without-the-mean",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), IMPOSSIBLE)
def test_an_impossible_summary_is_refused_with_the_true_reason(
    tmp_path, instrument, changes, expected
):
    row = {**BASE, **changes}
    report, summary, _ = check_row(tmp_path, instrument, row)
    assert summary is None
    assert sorted((p.row, p.column, p.check, p.message, p.value) for p in report.errors) == [
        (2, column, check, message, row[column]) for column, check, message in expected
    ]


def test_an_sd_at_its_bound_is_accepted(tmp_path, instrument):
    """Half the differences at -4 and half at +4: the largest SD there is, above the
    scale's range of 4 when n is small; it is possible, so it is accepted."""
    report, summary, _ = check_row(
        tmp_path,
        instrument,
        {**BASE, "n_pairs": "2", "mean_diff": "0", "sd_diff": repr(8 / 2**0.5)},
    )
    assert report.errors == ()
    assert summary is not None


def small_site(instrument, changes: list[tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for number, (pre, post) in enumerate(changes, 1):
        for timepoint, score in zip(instrument.timepoints, (pre, post), strict=True):
            rows.append(
                {
                    "site_id": "oak",
                    "participant_id": f"P{number}",
                    "role": "mentee",
                    "timepoint": timepoint,
                    **{domain: score for domain in instrument.domain_ids},
                }
            )
    clean = pd.DataFrame(rows)
    for domain in instrument.domain_ids:
        clean[domain] = clean[domain].astype("Int64")
    return clean


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param([(1, 5), (5, 1)], id="two-pairs-sd-of-differences-above-the-range"),
        pytest.param([(1, 5), (5, 1), (1, 5)], id="three-pairs-t-interval-wider-than-the-scale"),
    ],
)
def test_the_workflows_own_summary_of_a_small_site_is_accepted(tmp_path, instrument, changes):
    """Before, the t-interval of a small site (-10.1 to 12.8 on a 1-5 scale) was refused as
    'a larger change than the outcome's range allows': a t-interval is not so bounded."""
    summary = site_summary(small_site(instrument, changes), instrument, "oak", 1)
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(summary, for_people=False), encoding="utf-8")
    report, typed, _ = validate_summary_site(
        path, None, SITE, instrument, disclosure=NO_DISCLOSURE_RULES
    )
    assert report.errors == (), report.to_markdown()
    assert csv_text(typed, for_people=False) == csv_text(summary, for_people=False)


@pytest.mark.parametrize("seed", range(6))
def test_no_plausibility_check_refuses_a_real_small_site(tmp_path, instrument, seed):
    """Seeded small sites, half with every score at an end of the scale (where the SD
    bounds are reached): the workflow's own summary always passes its own checks."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    ends = seed % 2 == 0
    changes = [
        tuple(int(rng.choice([1, 5]) if ends else rng.integers(1, 6)) for _ in range(2))
        for _ in range(n)
    ]
    summary = site_summary(small_site(instrument, changes), instrument, "oak", 1)
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(summary, for_people=False), encoding="utf-8")
    report, _, _ = validate_summary_site(
        path, None, SITE, instrument, disclosure=NO_DISCLOSURE_RULES
    )
    assert report.errors == (), report.to_markdown()


# ---------------------------------------------------------------------------------------
# A broken summary file: its own report, never a crash
# ---------------------------------------------------------------------------------------


def summary_workbook(path: Path, instrument, cell: str, value: object) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "summary"
    row = {**BASE, "n_pairs": 16, "mean_diff": 0.4375, "sd_diff": 0.8139410298049853}
    row[cell] = value
    sheet.append(list(row))
    sheet.append(list(row.values()))
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    ("cell", "value", "shown", "check", "message"),
    [
        pytest.param(
            "sd_diff",
            dt.datetime(2024, 1, 2),
            "2024-01-02T00:00:00",
            "non_negative",
            "'2024-01-02T00:00:00' is not a number, at least 0: the cell holds a date or time; "
            "format it as a number and type the number",
            id="date",
        ),
        pytest.param(
            "n_pairs",
            True,
            "TRUE",
            "whole_number_at_least_1",
            "'TRUE' is not a whole number, at least 1: the cell holds TRUE or FALSE; type the "
            "number",
            id="boolean",
        ),
        pytest.param(
            "n_pairs",
            16.5,
            "16.5",
            "whole_number_at_least_1",
            "'16.5' is not a whole number, at least 1",
            id="fraction-in-a-count",
        ),
        pytest.param(
            # Before: "cannot safely cast non-equivalent float64 to int64", and the shard died.
            "n_pairs",
            1e20,
            "100000000000000000000",
            "whole_number_at_least_1",
            "'100000000000000000000' is not a whole number, at least 1: it is more than "
            "9007199254740991, the largest count the workflow holds exactly",
            id="count-too-large-for-a-table",
        ),
    ],
)
def test_a_wrong_type_in_one_summary_cell_is_that_sites_report(
    tmp_path, instrument, cell, value, shown, check, message
):
    path = summary_workbook(tmp_path / "summary.xlsx", instrument, cell, value)
    checked = validate({**SITE, "file": str(path)}, instrument)
    assert checked.fault is None
    assert checked.summary is None
    assert checked.report.errors == (Problem(2, cell, check, message, shown, "summary"),)


def test_a_failure_no_check_foresaw_becomes_the_sites_report(tmp_path, instrument, monkeypatch):
    def broken(raw, instrument, site_id, **_):
        raise TypeError("cannot safely cast non-equivalent float64 to int64")

    # site.py imports the summary checks when a summary site comes (they need pandera)
    monkeypatch.setattr(summary_module, "validate_summary", broken)
    path = tmp_path / "summary.csv"
    path.write_text(csv_text(pd.DataFrame([BASE]), for_people=False), encoding="utf-8")
    checked = validate({**SITE, "file": str(path)}, instrument)
    assert checked.summary is None and checked.report.status == "invalid"
    assert checked.report.errors == (
        Problem(
            None,
            None,
            "validation_failed",
            "the file could not be checked (TypeError: cannot safely cast non-equivalent "
            "float64 to int64); check that it opens in a spreadsheet and follows the template, "
            "and if it does, send this report to the coordinating centre",
            "cannot safely cast non-equivalent float64 to int64",
        ),
    )
    assert checked.report.sha256  # the file that was sent is still identified
    # The log line names where it broke, never a value from the file.
    assert checked.fault.startswith("TypeError at test_hostile_summary.py:")
    assert checked.fault.endswith(" in broken")
