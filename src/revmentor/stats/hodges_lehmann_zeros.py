"""The Hodges–Lehmann estimate with zero differences dropped, as R's
``wilcox.test(d, conf.int=TRUE, exact=FALSE, correct=FALSE)`` computes it.

The package's own ``hl_*`` columns (:func:`revmentor.stats.paired.hodges_lehmann`) keep zero
differences: they are the median and order statistics of the Walsh averages of all n
differences. The signed-rank test, like R, drops zeros. Both are defensible; with many
zeros they differ visibly (a site can have a signed-rank |z| of 3.13 and a zeros-kept CI
that starts at 0, because the Walsh averages (0 + 0)/2 are part of it). This module gives
R's zeros-dropped form so that the two can be set side by side (codebook, "Hodges–Lehmann
and zero differences"); the workflow does not write it.

R drops the zeros, then finds the estimate and the CI bounds with ``uniroot()`` as the
shifts d at which the standardised signed-rank statistic of x − d (zeros of x − d dropped,
mid-ranks, tie-corrected SD) crosses 0 and ∓z(1 − α/2). Between consecutive Walsh averages
of x that statistic is (#{Walsh averages > d} − M/2) / σ, M = n(n + 1)/2, σ the
tie-corrected SD of x, so each root is a Walsh average of known order, computed here
exactly rather than by root finding. R lowers the confidence level (doubling α, with the
warning "requested conf.level not achievable") until the statistic at the smallest and
the largest difference reaches the critical values; that rule is followed here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ZerosDroppedHodgesLehmann:
    """R's ``estimate``, ``conf.int`` and ``attr(conf.int, "conf.level")``; ``None`` where
    R gives NaN. ``conf_level`` is below the requested level when R lowers it."""

    n_nonzero: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    conf_level: float
    note: str


def standardised_signed_rank(values: np.ndarray, shift: float) -> float:
    """R's statistic inside ``wilcox.test``: values − shift, zeros dropped, NaN if none left."""
    shifted = values - shift
    shifted = shifted[shifted != 0]
    n = len(shifted)
    if n == 0:
        return math.nan
    ranks = stats.rankdata(np.abs(shifted))
    _, ties = np.unique(ranks, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(ties**3.0 - ties)) / 48
    return float((ranks[shifted > 0].sum() - n * (n + 1) / 4) / math.sqrt(variance))


def _weighted_walsh_averages(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct Walsh averages (x_i + x_j)/2, i <= j, and how often each occurs.

    Built from the distinct values, so memory grows with their number squared: a few
    thousand entries for Likert changes, whatever the number of pairs."""
    distinct, counts = np.unique(values, return_counts=True)
    first, second = np.triu_indices(len(distinct))
    averages = (distinct[first] + distinct[second]) / 2
    multiplicity = np.where(
        first == second,
        counts[first] * (counts[first] + 1) // 2,
        counts[first] * counts[second],
    )
    order = np.argsort(averages, kind="stable")
    return averages[order], np.cumsum(multiplicity[order])


def _walsh_order_statistic(averages: np.ndarray, cumulative: np.ndarray, order: int) -> float:
    """The ``order``-th smallest Walsh average (1-based, counting repeats)."""
    return float(averages[np.searchsorted(cumulative, order, side="left")])


def hodges_lehmann_zeros_dropped(
    differences: np.ndarray, level: float = 0.95
) -> ZerosDroppedHodgesLehmann:
    """R's ``wilcox.test(d, conf.int=TRUE, exact=FALSE, correct=FALSE, conf.level=level)``."""
    values = np.asarray(differences, dtype=float)
    values = values[values != 0]
    n = len(values)
    if n == 0:
        return ZerosDroppedHodgesLehmann(0, None, None, None, 0.0, "every difference is zero")
    smallest, largest = float(values.min()), float(values.max())
    at_smallest = standardised_signed_rank(values, smallest)
    if not math.isfinite(at_smallest):
        return ZerosDroppedHodgesLehmann(
            n,
            (smallest + largest) / 2,
            None,
            None,
            0.0,
            "the non-zero differences are all equal: no confidence interval (R: midrange)",
        )
    at_largest = standardised_signed_rank(values, largest)
    alpha = 1 - level
    while (
        at_smallest < stats.norm.isf(alpha / 2) or at_largest > stats.norm.ppf(alpha / 2)
    ) and alpha < 1:
        alpha *= 2
    lowered = alpha > 1 - level
    conf_level = 1 - min(1.0, alpha) if lowered else level
    note = f"requested conf.level not achievable: {conf_level:g} given" if lowered else ""

    averages, cumulative = _weighted_walsh_averages(values)
    total = n * (n + 1) // 2
    estimate = (
        _walsh_order_statistic(averages, cumulative, (total + 1) // 2)
        + _walsh_order_statistic(averages, cumulative, total // 2 + 1)
    ) / 2
    if alpha >= 1:
        median = float(np.median(values))
        return ZerosDroppedHodgesLehmann(n, estimate, median, median, conf_level, note)
    # Between Walsh averages |x − d| ties only where values of x are equal.
    _, equal = np.unique(values, return_counts=True)
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(equal**3.0 - equal)) / 48)

    def root(critical: float) -> float:
        # the statistic falls through ``critical`` at the Walsh average of this order
        order = math.floor(total - (total / 2 + critical * sigma)) + 1
        return _walsh_order_statistic(averages, cumulative, min(max(order, 1), total))

    critical = float(stats.norm.isf(alpha / 2))
    return ZerosDroppedHodgesLehmann(n, estimate, root(critical), root(-critical), conf_level, note)
