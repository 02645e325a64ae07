"""Each replication verdict rule, one case per branch."""

from __future__ import annotations

import pytest

from revmentor.report.verdicts import OriginalResult, verdict

ORIGINAL = OriginalResult(median_pre=23, median_post=29, p=0.04)  # change +6


def pooled(estimate, p, ci, pi=(None, None)):
    return {
        "estimate": estimate,
        "p": p,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "pi_low": pi[0],
        "pi_high": pi[1],
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (pooled(5.4, 0.004, (2.7, 8.2), (-2, 12.9)), ("yes", "yes", "replicated")),
        (pooled(5.4, 0.004, (2.7, 8.2)), ("yes", "", "replicated")),
        (pooled(1.0, 0.001, (0.8, 1.2), (0.5, 1.5)), ("yes", "no", "inconclusive")),
        (pooled(-2.0, 0.01, (-3.5, -0.5), (-5, 1)), ("no", "no", "not replicated")),
        (pooled(0.3, 0.40, (-0.4, 1.0), (-2, 2.6)), ("no", "no", "not replicated")),
        (pooled(2.0, 0.20, (-1.5, 6.5), (-5, 9)), ("no", "yes", "inconclusive")),
    ],
    ids=[
        "significant-in-pi",
        "significant-k-below-3",
        "significant-outside-pi",
        "opposite-direction",
        "null-ci-excludes-original",
        "null-ci-includes-original",
    ],
)
def test_verdict_rules(row, expected):
    result = verdict(ORIGINAL, row, 0.05, "MD")
    assert (
        result["significant_same_direction"],
        result["original_in_prediction_interval"],
        result["verdict"],
    ) == expected
    assert result["verdict_reason"]


def test_no_original_estimate_is_inconclusive():
    result = verdict(None, pooled(1, 0.01, (0.5, 1.5)), 0.05, "MD")
    assert result["verdict"] == "inconclusive"
    assert "reported no estimate" in result["verdict_reason"]


def test_smcc_scale_has_no_original_change():
    result = verdict(ORIGINAL, pooled(0.8, 0.01, (0.4, 1.2), (0, 1.6)), 0.05, "SMCC")
    assert result["significant_same_direction"] == "" and result["verdict"] == "inconclusive"
