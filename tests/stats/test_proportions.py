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
