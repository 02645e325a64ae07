"""Proportions: the Wilson score and Clopper–Pearson intervals, and McNemar's exact test for
paired yes/no items."""

from __future__ import annotations

import math
from functools import lru_cache

from scipy import stats


@lru_cache(maxsize=8)
def _normal_quantile(probability: float) -> float:
    return stats.norm.ppf(probability)


@lru_cache(maxsize=65536)
def binomial_half_p(count: int, n: int) -> float:
    """Exact two-sided binomial p of ``count`` successes in ``n`` trials at probability
    1/2 (``scipy.stats.binomtest``). It depends on two whole numbers only, so each is
    computed once per process: the sign test and McNemar's test of every row share it."""
    return float(stats.binomtest(count, n, 0.5).pvalue)


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
