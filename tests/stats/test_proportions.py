"""Wilson intervals and McNemar's exact test against R."""

from __future__ import annotations

import pytest

from revmentor.stats.proportions import mcnemar_exact_p, wilson_interval
from tests.reference import close, load

PROPORTIONS = load("proportions")


@pytest.mark.parametrize("case", PROPORTIONS["proportions"], ids=lambda c: f"{c['x']}of{c['n']}")
def test_wilson_matches_r_prop_test(case):
    low, high = wilson_interval(case["x"], case["n"])
    assert close(low, case["wilson_low"]) and close(high, case["wilson_high"])


@pytest.mark.parametrize("case", PROPORTIONS["mcnemar"], ids=lambda c: f"b{c['b']}c{c['c']}")
def test_mcnemar_exact_matches_r_binom_test(case):
    p = mcnemar_exact_p(case["b"], case["c"])
    assert (p is None) if case["exact_p"] is None else close(p, case["exact_p"])


def test_wilson_of_nothing_is_undefined():
    assert wilson_interval(0, 0) is None


def test_the_shared_binomial_p_is_binomtest_to_the_last_bit():
    from scipy import stats

    from revmentor.stats.proportions import binomial_half_p

    for n in range(1, 61):
        for count in range(n + 1):
            assert binomial_half_p(count, n) == float(stats.binomtest(count, n, 0.5).pvalue)


def test_sign_and_mcnemar_tests_share_the_binomial_p():
    import numpy as np

    from revmentor.stats.paired import sign_test_p
    from revmentor.stats.proportions import binomial_half_p

    binomial_half_p.cache_clear()
    assert sign_test_p(np.int64(3), np.int64(9)) == binomial_half_p(3, 12)
    assert mcnemar_exact_p(3, 9) == binomial_half_p(3, 12)
    assert binomial_half_p.cache_info().currsize == 1
    assert sign_test_p(0, 0) is None and mcnemar_exact_p(0, 0) is None
