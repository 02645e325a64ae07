"""The disclosure rules (revmentor.core.disclosure): what may leave a site at which n."""

from __future__ import annotations

import statistics

import pytest

from revmentor.core.disclosure import (
    ORDER_STATISTICS,
    RANK_STATISTICS,
    DisclosurePolicy,
    Withheld,
    apply_to_row,
    only_fit,
    row_breaches,
    withheld_at,
)

POLICY = DisclosurePolicy()


def moments(values: list[int]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values)


def test_the_policy_reads_the_config_and_defaults_to_it():
    assert DisclosurePolicy.from_config({}) == DisclosurePolicy(3, 10, 5)
    assert DisclosurePolicy.from_config(
        {"min_cell": 3, "min_pairs_summary": 5, "min_pairs_order_statistics": 20}
    ) == DisclosurePolicy(5, 20, 3)


def test_order_and_rank_statistics_are_withheld_below_their_threshold():
    assert withheld_at(9, POLICY) == (*ORDER_STATISTICS, *RANK_STATISTICS)
    assert withheld_at(10, POLICY) == ()
    assert {"median_pre", "q1_post", "hl_estimate", "hl_ci_low"} <= set(ORDER_STATISTICS)
    assert {"w_plus", "n_positive", "wilcoxon_var", "sign_test_p"} <= set(RANK_STATISTICS)


def test_two_differences_are_their_mean_and_sd():
    """The issue's first example: with n_pairs = 2 the mean and SD recover both."""
    mean, sd = moments([-1, 3])
    assert only_fit(2, mean, sd, -4, 4) == {-1: 1, 3: 1}


def test_three_values_are_often_their_mean_and_sd_alone():
    """The issue's second example needs the median too; on a 1-5 scale it does not."""
    mean, sd = moments([1, 2, 4])
    assert only_fit(3, mean, sd, 1, 5) == {1: 1, 2: 1, 4: 1}


def test_a_mean_and_sd_that_many_sets_share_reveal_no_set():
    mean, sd = moments([3, 1, 1, 1, -2, 0, 0, 0, 0, 0, 0, 0])  # also 4 and eleven 0s
    assert only_fit(12, mean, sd, -4, 4) is None


def test_a_row_below_min_pairs_summary_is_not_exported():
    row = {"role": "mentor", "outcome": "clinical_practice", "n_pairs": 2, "mean_diff": 1.0}
    kept, withheld = apply_to_row(row, POLICY, 1, 5)
    assert kept is None
    assert [w.describe() for w in withheld] == [
        "withheld: mentor clinical_practice (n_pairs 2 < disclosure.min_pairs_summary 3): "
        "row not exported"
    ]


def test_order_statistics_are_blanked_and_named_below_min_pairs_order_statistics():
    pre = [20, 22, 23, 25, 27, 28, 30, 31]
    post = [21, 25, 26, 29, 27, 30, 33, 31]
    diffs = [b - a for a, b in zip(pre, post, strict=True)]
    row = {
        "role": "mentor",
        "outcome": "total",
        "n_pairs": 8,
        "median_pre": 26.0,
        "q1_pre": 22.25,
        "mean_diff": statistics.fmean(diffs),
        "sd_diff": statistics.stdev(diffs),
        "w_plus": 28.0,
        "hl_estimate": 2.0,
        "hl_ci_method": "Walsh-average order statistics, exact signed-rank critical value",
    }
    kept, withheld = apply_to_row(row, POLICY, 7, 35)
    assert kept is not None
    assert [kept[c] for c in ("median_pre", "q1_pre", "w_plus", "hl_estimate")] == [None] * 4
    assert kept["hl_ci_method"] is None
    assert kept["mean_diff"] == row["mean_diff"]
    assert withheld == [
        Withheld(
            "mentor",
            "total",
            ("median_pre", "q1_pre", "hl_estimate", "hl_ci_method", "w_plus"),
            "n_pairs 8 < disclosure.min_pairs_order_statistics 10",
        )
    ]
    assert withheld[0].describe() == (
        "withheld: mentor total: median_pre, q1_pre, hl_estimate, hl_ci_method, w_plus "
        "(n_pairs 8 < disclosure.min_pairs_order_statistics 10)"
    )


def test_pre_scores_pinned_down_with_a_small_count_lose_their_mean_and_sd():
    pre = [3] * 4 + [4] * 10
    post = [3, 4, 5, 4, 3, 4, 5, 4, 3, 4, 5, 2, 4, 4]
    mean_pre, sd_pre = moments(pre)
    mean_post, sd_post = moments(post)
    diffs = [b - a for a, b in zip(pre, post, strict=True)]
    row = {
        "role": "mentee",
        "outcome": "strengths",
        "n_pairs": 14,
        "mean_pre": mean_pre,
        "sd_pre": sd_pre,
        "mean_post": mean_post,
        "sd_post": sd_post,
        "mean_diff": statistics.fmean(diffs),
        "sd_diff": statistics.stdev(diffs),
        "r_prepost": 0.1,
    }
    kept, withheld = apply_to_row(row, POLICY, 1, 5)
    assert kept is not None
    assert (kept["mean_pre"], kept["sd_pre"], kept["r_prepost"]) == (None, None, None)
    assert kept["mean_post"] == mean_post and kept["mean_diff"] == row["mean_diff"]
    assert [w.describe() for w in withheld] == [
        "withheld: mentee strengths: mean_pre, sd_pre, r_prepost (with n_pairs 14, mean_pre "
        "and sd_pre fit only one set of whole-number pre scores (4 × 3, 10 × 4), and a count "
        "in it is below disclosure.min_cell 5)"
    ]


def test_differences_pinned_down_with_a_small_count_withhold_the_row():
    diffs = [0, 1, 1, 1, 1, 1]  # five 1s and a 0: nothing else has this mean and SD
    mean, sd = moments(diffs)
    row = {"role": "mentor", "outcome": "approachability", "n_pairs": 6, "mean_diff": mean}
    kept, withheld = apply_to_row({**row, "sd_diff": sd}, POLICY, 1, 5)
    assert kept is None
    assert withheld[-1].describe() == (
        "withheld: mentor approachability (with n_pairs 6, mean_diff and sd_diff fit only one "
        "set of whole-number differences (1 × +0, 5 × +1), and a count in it is below "
        "disclosure.min_cell 5): row not exported"
    )


def test_everyone_changing_alike_in_a_large_enough_group_may_leave():
    """Twelve changes of +1 (SD 0) are one multiset, with one count of 12: no one is singled
    out, as a Likert table with one full bar."""
    row = {"role": "mentor", "outcome": "strengths", "n_pairs": 12, "mean_diff": 1.0}
    kept, withheld = apply_to_row({**row, "sd_diff": 0.0}, POLICY, 1, 5)
    assert kept is not None and withheld == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"n_pairs": "1e308", "mean_diff": "1", "sd_diff": "1"}, []),
        ({"n_pairs": "16", "mean_diff": "0.4", "sd_diff": "1e308"}, []),
        ({"n_pairs": "x"}, []),
        ({"n_pairs": "16", "mean_diff": "inf", "sd_diff": "nan"}, []),
    ],
)
def test_hostile_values_are_left_to_the_format_checks(row, expected):
    assert row_breaches(row, POLICY, 1, 5) == expected


def test_one_person_apart_from_a_large_group_is_found():
    """Thirty mentors at 3 and one at 4: one set only, with a count of 1."""
    mean, sd = moments([3] * 30 + [4])
    assert only_fit(31, mean, sd, 1, 5) == {3: 30, 4: 1}
    assert only_fit(251, 3.0, 0.0, 1, 5) == {3: 251}
    mean, sd = moments([3] * 250 + [4])
    assert only_fit(251, mean, sd, 1, 5) is None  # beyond the search: the documented gap
