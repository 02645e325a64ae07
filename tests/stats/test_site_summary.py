"""A site's summary: exclusions, degenerate cases, multiplicity and invariances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revmentor.core.instrument import TOTAL
from revmentor.core.summary_format import SUMMARY_COLUMNS
from revmentor.stats.pairs import Pairs
from revmentor.stats.site_summary import outcome_row, quantiles, site_summary


def clean_table(instrument, participants):
    """participants: {id: (role, {timepoint: scores list or None})}"""
    rows = []
    for pid, (role, by_time) in participants.items():
        for timepoint, scores in by_time.items():
            if scores is None:
                continue
            row = {"site_id": "s", "participant_id": pid, "role": role, "timepoint": timepoint}
            row.update(dict(zip(instrument.domain_ids, scores, strict=True)))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for domain in instrument.domain_ids:
        frame[domain] = pd.array(frame[domain], dtype="Int64")
    return frame


def row_of(summary, role, outcome):
    return summary[(summary["role"] == role) & (summary["outcome"] == outcome)].iloc[0]


def test_every_participant_is_paired_or_counted_with_a_reason(instrument):
    full = [3] * 7
    gap = [3, None, 3, 3, 3, 3, 3]
    clean = clean_table(
        instrument,
        {
            "a": ("mentor", {"pre": full, "post": [4] * 7}),
            "b": ("mentor", {"pre": full, "post": [5] * 7}),
            "c": ("mentor", {"pre": full, "post": None}),
            "d": ("mentor", {"pre": gap, "post": [4] * 7}),
            "e": ("mentee", {"pre": None, "post": full}),
        },
    )
    summary = site_summary(clean, instrument, "s", seed=1)
    total = row_of(summary, "mentor", TOTAL)
    assert (total["n_pairs"], total["n_excluded"]) == (2, 2)
    assert total["excluded_reasons"] == (
        "missing a domain score at one or both timepoints: 1; no post questionnaire: 1"
    )
    domain = row_of(summary, "mentor", "approach_to_juniors")
    assert (domain["n_pairs"], domain["n_excluded"]) == (2, 2)
    assert row_of(summary, "mentor", "clinical_practice")["n_pairs"] == 3
    mentee = row_of(summary, "mentee", TOTAL)
    assert (mentee["n_pairs"], mentee["excluded_reasons"]) == (0, "no pre questionnaire: 1")
    assert mentee["note"] == "no complete pre/post pairs"
    assert list(summary.columns) == list(SUMMARY_COLUMNS)


def test_total_is_the_sum_of_domains(instrument):
    clean = clean_table(
        instrument,
        {
            "a": ("mentor", {"pre": [1, 2, 3, 4, 5, 1, 2], "post": [5] * 7}),
            "b": ("mentor", {"pre": [3] * 7, "post": [4] * 7}),
        },
    )
    total = row_of(site_summary(clean, instrument, "s", 1), "mentor", TOTAL)
    assert (total["mean_pre"], total["mean_post"]) == (19.5, 31.5)


@pytest.mark.parametrize(
    ("pre", "post", "empty", "note"),
    [
        ([3], [4], ["sd_diff", "t_stat", "hl_ci_low", "smcc"], "fewer than 2 pairs"),
        ([3, 4], [4, 4], ["smcc", "smcc_var"], "fewer than 3 pairs"),
        (
            [3, 4, 5],
            [3, 4, 5],
            ["wilcoxon_z", "wilcoxon_p", "t_stat", "smcc", "cohens_dz"],
            "all differences are zero",
        ),
        ([2, 3, 4], [3, 4, 5], ["t_stat", "cohens_dz", "smcc"], "zero SD"),
        ([3, 3, 3], [3, 4, 5], ["r_prepost"], "do not vary"),
    ],
)
def test_degenerate_rows_leave_statistics_empty_with_a_note(pre, post, empty, note):
    pairs = Pairs(np.array(pre, float), np.array(post, float))
    row = outcome_row(pairs, np.random.default_rng(0))
    frame = pd.DataFrame([row])
    for column in empty:
        assert pd.isna(row.get(column)), column
    assert note in row["note"]
    numbers = frame.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()


def test_quantiles_are_spss_weighted_average_type_6():
    """SPSS Explore, 'Weighted Average': Q1 of 1..6 is x at 1.75 = 1.75; R type=6."""
    assert quantiles(np.array([1.0, 2, 3, 4, 5, 6])) == (3.5, 1.75, 5.25)


def test_holm_and_bh_cover_domains_only(instrument):
    rng = np.random.default_rng(3)
    participants = {
        f"p{i}": (
            "mentor",
            {"pre": list(rng.integers(1, 4, 7)), "post": list(rng.integers(2, 6, 7))},
        )
        for i in range(12)
    }
    summary = site_summary(clean_table(instrument, participants), instrument, "s", 1)
    domains = summary[summary["outcome"] != TOTAL]
    p = domains["wilcoxon_p"].to_numpy()
    order = np.argsort(p)
    holm = np.maximum.accumulate(np.minimum(1, p[order] * (len(p) - np.arange(len(p)))))
    assert domains["p_holm"].to_numpy()[order] == pytest.approx(holm)
    assert pd.isna(row_of(summary, "mentor", TOTAL)["p_holm"])


scores = st.lists(st.integers(1, 5), min_size=2, max_size=25)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_swapping_pre_and_post_flips_effects_and_keeps_p_values(data):
    pre = data.draw(scores)
    post = data.draw(st.lists(st.integers(1, 5), min_size=len(pre), max_size=len(pre)))
    rng = np.random.default_rng(0)
    forward = outcome_row(Pairs(np.array(pre, float), np.array(post, float)), rng)
    backward = outcome_row(Pairs(np.array(post, float), np.array(pre, float)), rng)
    for effect in ("mean_diff", "hl_estimate", "cohens_dz", "smcc", "rank_biserial", "t_stat"):
        a, b = forward.get(effect), backward.get(effect)
        assert (a is None and b is None) or a == pytest.approx(-b, abs=1e-12), effect
    for p in ("wilcoxon_p", "wilcoxon_p_exact", "sign_test_p", "t_p"):
        a, b = forward.get(p), backward.get(p)
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12), p
        assert a is None or 0 <= a <= 1
    assert forward.get("wilcoxon_z") == backward.get("wilcoxon_z")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_adding_a_zero_difference_leaves_the_spss_z_unchanged(data):
    pre = data.draw(scores)
    post = data.draw(st.lists(st.integers(1, 5), min_size=len(pre), max_size=len(pre)))
    tie = data.draw(st.integers(1, 5))
    rng = np.random.default_rng(0)
    before = outcome_row(Pairs(np.array(pre, float), np.array(post, float)), rng)
    after = outcome_row(Pairs(np.array([*pre, tie], float), np.array([*post, tie], float)), rng)
    z0, z1 = before.get("wilcoxon_z"), after.get("wilcoxon_z")
    assert (z0 is None and z1 is None) or z0 == pytest.approx(z1, rel=1e-12)
    assert after["n_pairs"] == before["n_pairs"] + 1
    assert not any(isinstance(v, float) and math.isinf(v) for v in after.values())
