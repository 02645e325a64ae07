"""The verdict rule over the criteria, case by case (docs/codebook.md, "The verdict")."""

from __future__ import annotations

import pytest

from revmentor.replication.criteria import Question, criteria
from revmentor.replication.original import Original
from revmentor.replication.pooled import Pooled
from revmentor.replication.verdict import verdict

SEED_TOTAL = Original(median_pre=23, median_post=29, p=0.04, participants=6)
NULL = Original(not_significant=True, participants=6)


def pooled(estimate, se, k=8, tau2=0.0, p=None, measure="MD", test="hksj"):
    from scipy import stats

    if p is None:
        p = float(2 * stats.t.sf(abs(estimate / se), k - 1))
    return Pooled(measure, "REML", test, k, estimate, se, tau2, p)


def decide(original, md, smcc=None, sesoi=0.5, primary=None):
    question = Question(
        original=original,
        primary=md if primary is None else primary,
        md=md,
        smcc=smcc if smcc is not None else pooled(0.9, 0.1, measure="SMCC"),
        alpha=0.05,
        sesoi=sesoi,
    )
    found = {criterion.name: criterion for criterion in criteria(question)}
    return verdict(question, found), found


def test_a_strong_replication_of_the_same_size_is_replicated_and_names_its_criteria():
    result, found = decide(SEED_TOTAL, pooled(6.2, 0.6), sesoi=3.5)
    assert result.verdict == "replicated"
    for name in ("significance", "sceptical_p", "p_orig", "prediction_interval"):
        assert found[name].success == "yes"
        assert result.reason.count(f"{name}: ") == 1
    assert "the pooled change 6.2 (p < 0.0001) is significant" in result.reason


def test_significant_but_smaller_than_a_weak_original_is_inconclusive_on_the_sceptical_p():
    result, found = decide(SEED_TOTAL, pooled(2.8, 0.9), sesoi=2.0)
    assert found["significance"].success == "yes"
    assert found["sceptical_p"].success == "no"
    assert result.verdict == "inconclusive"
    assert result.reason.startswith("sceptical_p: the sceptical p ")


def test_significant_in_the_opposite_direction_is_not_replicated():
    result, _ = decide(SEED_TOTAL, pooled(-2.0, 0.5), sesoi=3.5)
    assert result.verdict == "not replicated"
    assert result.reason.startswith("significance: the pooled change -2 (p = ")
    assert "against the original's direction (an increase of 6)" in result.reason


def test_a_precise_replication_ruling_out_d33_is_not_replicated_by_small_telescopes():
    tiny_smcc = pooled(0.05, 0.05, measure="SMCC")
    result, found = decide(SEED_TOTAL, pooled(0.3, 0.2), smcc=tiny_smcc, sesoi=3.5)
    assert found["small_telescopes"].success == "no"
    assert result.verdict == "not replicated"
    assert "small_telescopes: the upper 90% limit" in result.reason
    assert "below d33 = 0.768" in result.reason


def test_equivalent_to_no_change_contradicts_an_original_effect():
    result, found = decide(SEED_TOTAL, pooled(0.1, 0.3), sesoi=3.5)
    assert found["equivalence"].success == "no"
    assert result.verdict == "not replicated"
    assert "equivalence: the pooled change 0.1 is equivalent to no change" in result.reason


def test_not_significant_and_far_from_the_original_is_not_replicated_on_p_orig():
    precise = Original(estimate=6.0, se=1.0, n=20)
    result, found = decide(precise, pooled(0.5, 0.4, tau2=0.0), sesoi=0.2)
    assert found["significance"].success == "no" and found["p_orig"].success == "no"
    assert result.verdict == "not replicated"
    assert "p_orig: " in result.reason


@pytest.mark.parametrize(
    ("md", "expected", "start"),
    [
        (pooled(0.02, 0.05), "replicated", "as the original found no significant change: "),
        (pooled(0.9, 0.1), "contradicted", "the original found no significant change, but "),
        (pooled(0.3, 0.15), "inconclusive", "the pooled change 0.3 (p = "),
        (pooled(0.4, 0.5), "inconclusive", "the pooled change 0.4 (p = "),
    ],
)
def test_an_original_null_is_replicated_by_equivalence_and_contradicted_beyond_the_sesoi(
    md, expected, start
):
    result, found = decide(NULL, md)
    assert result.verdict == expected
    assert result.reason.startswith(start)
    assert "equivalence: " in result.reason
    for name in ("significance", "prediction_interval", "sceptical_p", "p_orig"):
        assert found[name].success == ""
        assert found[name].reason == (
            "the original reported no significant change here, without an estimate"
        )


def test_k2_has_no_prediction_interval_but_can_still_replicate():
    result, found = decide(SEED_TOTAL, pooled(6.0, 0.8, k=2), sesoi=3.5)
    assert found["prediction_interval"].success == ""
    assert found["prediction_interval"].reason == (
        "k = 2: a prediction interval needs 3 or more sites (t with k - 2 df)"
    )
    assert result.verdict in ("replicated", "inconclusive")
    assert "prediction_interval: k = 2" in result.reason


def test_smcc_primary_leaves_the_original_comparisons_empty_with_the_reason():
    smcc = pooled(0.9, 0.1, measure="SMCC")
    result, found = decide(SEED_TOTAL, pooled(6.0, 0.6), sesoi=3.5, primary=smcc)
    assert found["significance"].reason == (
        "the original change is in scale points (MD) and the primary analysis is SMCC"
    )
    assert result.verdict == "inconclusive"


def test_nothing_reported_is_not_assessed_and_every_criterion_says_so():
    result, found = decide(None, pooled(1.0, 0.2))
    assert result.verdict == "not assessed"
    assert result.reason == "the original study reported nothing on this outcome"
    assert {criterion.success for criterion in found.values()} == {""}


def test_no_pooled_site_is_not_assessed():
    question = Question(SEED_TOTAL, None, None, None, 0.05, 3.5)
    found = {criterion.name: criterion for criterion in criteria(question)}
    decided = verdict(question, found)
    assert (decided.verdict, decided.reason) == ("not assessed", "no site could be pooled")
    assert found["significance"].reason == "no site could be pooled"
    assert found["small_telescopes"].reason == (
        "no site could enter the standardised mean change (SMCC)"
    )
