"""The SPSS-style signed-rank test and its exact conditional p, against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from revmentor.stats.wilcoxon import exact_conditional_p, nonzero_ranks, signed_rank_spss
from tests.reference import close, load

CASES = [case for case in load("wilcoxon")["cases"]]


def differences(case) -> np.ndarray:
    return np.array(case["post"], dtype=float) - np.array(case["pre"], dtype=float)


def test_study_case_gives_spss_z_and_p():
    """Six pairs, five non-zero differences of one sign tied 2+2+1: SPSS prints
    Z = -2.041, Asymp. Sig. (2-tailed) = .041 (Raju et al. 2022, study.md)."""
    result = signed_rank_spss(np.array([1, 1, 2, 2, 3, 0], dtype=float))
    assert round(result.z, 3) == -2.041
    assert round(result.p, 3) == 0.041
    assert (result.n_nonzero, result.w_plus, result.w_minus) == (5, 15.0, 0.0)


def test_z_is_spss_signed_whatever_the_direction():
    up = signed_rank_spss(np.array([1, 1, 2, 2, 3, 0], dtype=float))
    down = signed_rank_spss(-np.array([1, 1, 2, 2, 3, 0], dtype=float))
    assert up.z == down.z < 0 and up.p == down.p
    assert (down.w_plus, down.w_minus) == (0.0, 15.0)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_r_wilcox_test_asymptotic_without_correction(case):
    result = signed_rank_spss(differences(case))
    r = case["r_asymptotic"]
    if r["p_value"] is None:
        assert result.p is None and result.z is None
        return
    assert close(result.w_plus, r["statistic_V"])
    assert close(result.p, r["p_value"])
    assert close(abs(result.z), abs(case["z"]))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_scipy_asymptotic(case):
    d = differences(case)
    if not np.any(d):
        return
    reference = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="asymptotic")
    assert close(signed_rank_spss(d).p, reference.pvalue)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.get("p_exact_conditional") is not None],
    ids=lambda c: c["name"],
)
def test_exact_conditional_p_matches_coin(case):
    """coin::wilcoxsign_test(distribution="exact", zero.method="Wilcoxon") in R."""
    assert close(exact_conditional_p(differences(case)).p, case["p_exact_conditional"])


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("p_exact") is not None], ids=lambda c: c["name"]
)
def test_exact_p_without_ties_matches_r_psignrank(case):
    assert close(exact_conditional_p(differences(case)).p, case["p_exact"])


def test_exact_p_of_study_case_is_the_smallest_possible_for_five_signs():
    assert exact_conditional_p(np.array([1, 1, 2, 2, 3, 0.0])).p == pytest.approx(0.0625)


def test_large_samples_use_a_seeded_monte_carlo():
    d = np.tile(np.array([1.0, 2.0, -1.0, 3.0, 0.0]), 120)
    first = exact_conditional_p(d, np.random.default_rng(5))
    again = exact_conditional_p(d, np.random.default_rng(5))
    assert first == again and first.method.startswith("Monte Carlo")
    asymptotic = signed_rank_spss(d).p
    assert first.p == pytest.approx(max(asymptotic, 1 / 100_001), abs=0.01)


@pytest.mark.parametrize("seed", range(20))
def test_a_tie_pattern_shares_one_null_distribution_equal_to_the_last_bit(seed):
    """Up to SHARED_NULL_MAX_N ranks the convolution is exact, so its order does not matter."""
    from revmentor.stats.wilcoxon import (
        SHARED_NULL_MAX_N,
        exact_null_distribution,
        null_distribution,
    )

    rng = np.random.default_rng(seed)
    values = rng.integers(-4, 5, size=SHARED_NULL_MAX_N if seed == 0 else rng.integers(1, 45))
    ranks, _ = nonzero_ranks(values.astype(float))
    doubled = np.rint(2 * ranks).astype(np.int64)
    shuffled = rng.permutation(doubled)
    shared = exact_null_distribution(doubled)
    assert exact_null_distribution(shuffled) is shared
    assert not shared.flags.writeable
    np.testing.assert_array_equal(shared, null_distribution(doubled))
    np.testing.assert_array_equal(shared, null_distribution(shuffled))


def test_ranks_given_by_the_caller_give_the_same_tests():
    rng = np.random.default_rng(3)
    d = rng.integers(-3, 4, size=30).astype(float)
    ranked = nonzero_ranks(d)
    assert signed_rank_spss(d, ranked) == signed_rank_spss(d)
    assert exact_conditional_p(d, None, ranked) == exact_conditional_p(d)
