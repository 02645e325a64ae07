"""Proportions: the Wilson score and Clopper–Pearson intervals, and McNemar's exact test for
paired yes/no items."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import special

from revmentor.core.scipy_distributions import normal_ppf


@lru_cache(maxsize=8)
def _normal_quantile(probability: float) -> float:
    return normal_ppf(probability)


@lru_cache(maxsize=65536)
def binomial_half_p(count: int, n: int) -> float:
    """Exact two-sided binomial p of ``count`` successes in ``n`` trials at probability
    1/2 (``scipy.stats.binomtest``). It depends on two whole numbers only, so each is
    computed once per process: the sign test and McNemar's test of every row share it."""
    if not _BINOMIAL_UFUNCS:
        from scipy import stats

        return float(stats.binomtest(count, n, 0.5).pvalue)
    return float(_binomtest_half(count, n))


# scipy.stats.binom's pmf, cdf and sf are these functions of scipy.special (Boost's), and
# binomtest is a few lines over them: run here, they give binomtest's very floats
# (tests/stats/test_scipy_equivalents.py compares them over every count up to n = 120, and
# beyond) without importing scipy.stats, which was most of a statistics job's start-up.
# Should a scipy release rename them, binomtest itself is used.
_BINOMIAL_UFUNCS = all(
    hasattr(special._ufuncs, name) for name in ("_binom_pmf", "_binom_cdf", "_binom_sf")
)
_HALF = np.float64(0.5)


def _binom_pmf(k: float, n: int) -> np.float64:
    """scipy.stats.binom.pmf(k, n, 0.5) for a whole number k."""
    if not 0 <= k <= n:
        return np.float64(0.0)
    return np.clip(special._ufuncs._binom_pmf(np.float64(k), np.float64(n), _HALF), 0, 1)


def _binom_cdf(k: float, n: int) -> np.float64:
    """scipy.stats.binom.cdf(k, n, 0.5)."""
    return _binom_tail(special._ufuncs._binom_cdf, k, n, at_or_past_n=1.0)


def _binom_sf(k: float, n: int) -> np.float64:
    """scipy.stats.binom.sf(k, n, 0.5)."""
    return _binom_tail(special._ufuncs._binom_sf, k, n, at_or_past_n=0.0)


def _binom_tail(
    tail: Callable[[np.float64, np.float64, np.float64], np.float64],
    k: float,
    n: int,
    at_or_past_n: float,
) -> np.float64:
    """A tail of Binomial(n, 1/2) at floor(k), with scipy.stats' values off the support."""
    k = math.floor(k)
    if k >= n:
        return np.float64(at_or_past_n)
    if k < 0:
        return np.float64(1.0 - at_or_past_n)
    return np.clip(tail(np.float64(k), np.float64(n), _HALF), 0, 1)


def _binomtest_half(k: int, n: int) -> float:
    """scipy.stats.binomtest(k, n, 0.5).pvalue (two-sided), step for step."""
    d = _binom_pmf(k, n)
    rerr = 1 + 1e-7
    if k == 0.5 * n:
        return 1.0
    if k < 0.5 * n:
        ix = _binary_search(lambda x: -_binom_pmf(x, n), -d * rerr, math.ceil(0.5 * n), n)
        y = n - ix + int(d * rerr == _binom_pmf(ix, n))
        pval = _binom_cdf(k, n) + _binom_sf(n - y, n)
    else:
        ix = _binary_search(lambda x: _binom_pmf(x, n), d * rerr, 0, math.floor(0.5 * n))
        y = ix + 1
        pval = _binom_cdf(y - 1, n) + _binom_sf(k - 1, n)
    return min(1.0, pval)


def _binary_search(a: Callable[[int], float], d: float, lo: int, hi: int) -> int:
    """scipy's ``_binary_search_for_binom_tst``: the i in lo..hi with a(i) <= d < a(i+1)."""
    while lo < hi:
        mid = lo + (hi - lo) // 2
        midval = a(mid)
        if midval < d:
            lo = mid + 1
        elif midval > d:
            hi = mid - 1
        else:
            return mid
    return lo if a(lo) <= d else lo - 1


def wilson_interval(count: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval without continuity correction (R: prop.test(correct=FALSE))."""
    if n == 0:
        return None
    z = _normal_quantile(0.5 + level / 2)
    p = count / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == n else min(1.0, centre + half)
    return low, high


def clopper_pearson_interval(count: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Exact (Clopper–Pearson) interval, as R's ``binom.test(x, n)$conf.int``: the beta
    quantiles that invert two one-sided binomial tests. Conservative, but it never needs a
    zero-cell correction and always contains the observed share, even at x = 0 or x = n."""
    if n == 0:
        return None
    from scipy import stats

    tail = (1 - level) / 2
    low = 0.0 if count == 0 else float(stats.beta.ppf(tail, count, n - count + 1))
    high = 1.0 if count == n else float(stats.beta.ppf(1 - tail, count + 1, n - count))
    return low, high


def mcnemar_exact_p(before_only: int, after_only: int) -> float | None:
    """Exact two-sided McNemar p: the binomial test of the discordant pairs."""
    discordant = before_only + after_only
    if discordant == 0:
        return None
    return binomial_half_p(int(before_only), int(discordant))
