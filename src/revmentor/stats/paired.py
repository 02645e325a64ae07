"""Paired pre/post statistics other than the signed-rank test: t, sign test, Hodges–Lehmann
and standardised effect sizes. Each returns ``None`` where the statistic is undefined."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np
from scipy import special

from revmentor.core.scipy_distributions import normal_ppf, t_ppf
from revmentor.core.summary_format import HL_EXACT, HL_NORMAL
from revmentor.stats.proportions import binomial_half_p
from revmentor.stats.wilcoxon import null_distribution

HL_EXACT_MAX_N = 400


@dataclass(frozen=True)
class PairedT:
    t: float
    df: int
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class HodgesLehmann:
    estimate: float
    ci_low: float | None
    ci_high: float | None
    method: str


def sign_test_p(n_positive: int, n_negative: int) -> float | None:
    """Exact two-sided binomial p of the signs (zeros dropped)."""
    n = n_positive + n_negative
    if n == 0:
        return None
    return binomial_half_p(int(n_positive), int(n))


# Cached: every row of a site of the same size asks for the same quantile.
@lru_cache(maxsize=4096)
def _t_quantile(probability: float, df: int) -> float:
    return t_ppf(probability, df)


def paired_t(differences: np.ndarray, level: float = 0.95) -> PairedT | None:
    n = len(differences)
    if n < 2:
        return None
    return paired_t_from(float(np.mean(differences)), float(np.std(differences, ddof=1)), n, level)


def paired_t_from(mean: float, sd: float, n: int, level: float = 0.95) -> PairedT | None:
    """:func:`paired_t` from the differences' mean, SD (ddof 1) and number (at least 2)."""
    if sd == 0:
        return None
    se = sd / math.sqrt(n)
    t = mean / se
    half = _t_quantile(0.5 + level / 2, n - 1) * se
    # scipy.stats.t.sf(|t|, n - 1), as core.scipy_distributions.t_sf computes it, without
    # its argument checks, which cost each row more than the function (n - 1 >= 1 here).
    p = float(2 * special.stdtr(n - 1, -abs(t)))
    return PairedT(t, n - 1, p, mean - half, mean + half)


def walsh_averages(differences: np.ndarray) -> np.ndarray:
    """All (d_i + d_j)/2 with i <= j, sorted: n(n+1)/2 values, so for small n only (tests
    compare :func:`walsh_order_statistic` with it)."""
    i, j = np.triu_indices(len(differences))
    return np.sort((differences[i] + differences[j]) / 2)


def _first_column_above(
    ordered: np.ndarray, threshold: float, inclusive: bool, first: np.ndarray
) -> np.ndarray:
    """Per row i of the sorted Walsh table, the first column j >= i whose sum d_i + d_j is
    above ``threshold`` (``inclusive``: at or above it).

    ``searchsorted`` on ``threshold - d_i`` finds it up to rounding; the sums themselves, as
    floating point computes them, then settle the few columns next to the boundary, a whole
    block of tied values at a time, so the counts are those of the n(n+1)/2 sums themselves.
    """
    n = len(ordered)
    columns = np.searchsorted(ordered, threshold - ordered, side="left" if inclusive else "right")
    columns = np.clip(columns, first, n)

    def within(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        sums = ordered[rows] + ordered[cols]
        return sums < threshold if inclusive else sums <= threshold

    while True:
        rows = np.flatnonzero(columns < n)
        rows = rows[within(rows, columns[rows])]
        if not rows.size:
            break
        columns[rows] = np.searchsorted(ordered, ordered[columns[rows]], side="right")
    while True:
        rows = np.flatnonzero(columns > first)
        rows = rows[~within(rows, columns[rows] - 1)]
        if not rows.size:
            break
        block_start = np.searchsorted(ordered, ordered[columns[rows] - 1], side="left")
        columns[rows] = np.maximum(block_start, first[rows])
    return columns


def walsh_order_statistic(differences: np.ndarray, rank: int) -> float:
    """The ``rank``-th smallest (from 1) of the n(n+1)/2 Walsh averages, without forming them.

    Equal, as a float, to ``walsh_averages(differences)[rank - 1]``, in O(n) memory and
    O(n log n) time per step: the averages form a table, row i holding (d_i + d_j)/2 for
    j >= i over the sorted d, each row increasing. Each step takes as pivot the weighted
    median of the middle candidates of the rows, counts the averages below and at it (a
    binary search per row), and keeps only the rows' candidates on the side of the wanted
    rank, at least a quarter fewer each time (Johnson & Mizoguchi 1978; Monahan 1984,
    ACM Algorithm 616).
    """
    ordered = np.sort(np.asarray(differences, dtype=float))
    n = len(ordered)
    if not 1 <= rank <= n * (n + 1) // 2:
        raise ValueError(f"rank {rank} is outside 1..{n * (n + 1) // 2}")
    first = np.arange(n)
    low, high = first.copy(), np.full(n, n)  # candidates of row i: columns low[i]..high[i]-1
    while True:
        live = np.flatnonzero(high > low)
        sizes = high[live] - low[live]
        middles = ordered[live] + ordered[low[live] + sizes // 2]
        order = np.argsort(middles, kind="stable")
        weight = np.cumsum(sizes[order])
        pivot = middles[order[np.searchsorted(weight, weight[-1] / 2)]]
        below = _first_column_above(ordered, pivot, True, first)
        at_or_below = _first_column_above(ordered, pivot, False, first)
        n_below = int((below - first).sum())
        n_at_or_below = int((at_or_below - first).sum())
        if n_below < rank <= n_at_or_below:
            return float(pivot / 2)
        if rank <= n_below:
            high = np.minimum(high, below)
        else:
            low = np.maximum(low, at_or_below)


#: Up to this many differences the Walsh averages are formed and sorted (at most 32,896
#: floats), which is faster than selecting each order statistic; both give the same floats.
WALSH_TABLE_MAX_N = 256


def walsh_order_statistics(differences: np.ndarray, ranks: Sequence[int]) -> list[float]:
    """:func:`walsh_order_statistic` for each of ``ranks`` (sorting the table once where it
    is small)."""
    differences = np.asarray(differences, dtype=float)
    if len(differences) > WALSH_TABLE_MAX_N:
        return [walsh_order_statistic(differences, rank) for rank in ranks]
    table = walsh_averages(differences)
    for rank in ranks:
        if not 1 <= rank <= len(table):
            raise ValueError(f"rank {rank} is outside 1..{len(table)}")
    return [float(table[rank - 1]) for rank in ranks]


def _median_ranks(n: int) -> tuple[int, ...]:
    total = n * (n + 1) // 2
    return (total // 2 + 1,) if total % 2 else (total // 2, total // 2 + 1)


def _median_of(middle: list[float]) -> float:
    return middle[0] if len(middle) == 1 else float(np.mean(middle))


def walsh_median(differences: np.ndarray) -> float:
    """``np.median`` of the Walsh averages (the mean of the middle two when their number is
    even), without forming them."""
    return _median_of(walsh_order_statistics(differences, _median_ranks(len(differences))))


@lru_cache(maxsize=4096)
def _lower_rank(n: int, level: float) -> tuple[int, str]:
    """R's qsignrank(alpha/2, n) (at least 1): the order statistic of the lower limit.
    It depends on n and the level alone, so each n's null distribution is built once."""
    alpha = 1 - level
    if n <= HL_EXACT_MAX_N:
        probabilities = null_distribution(2 * np.arange(1, n + 1))[::2]
        cumulative = np.cumsum(probabilities)
        rank = int(np.searchsorted(cumulative, alpha / 2 - 1e-12))
        return max(rank, 1), HL_EXACT
    spread = math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    rank = math.floor(n * (n + 1) / 4 - normal_ppf(1 - alpha / 2) * spread)
    return max(rank, 1), HL_NORMAL


def hodges_lehmann(differences: np.ndarray, level: float = 0.95) -> HodgesLehmann | None:
    """Median of all Walsh averages (zero differences included) with its distribution-free CI.

    The CI takes the Walsh averages of order C and M + 1 - C (M = n(n+1)/2), C from the
    signed-rank null distribution (Hollander & Wolfe); with no ties and no zeros this is R's
    ``wilcox.test(..., exact=TRUE, conf.int=TRUE)``. With ties its coverage is approximate.
    """
    differences = np.asarray(differences, dtype=float)
    return hodges_lehmann_from(
        len(differences), partial(walsh_order_statistics, differences), level
    )


def hodges_lehmann_from(
    n: int, order_statistics: Callable[[Sequence[int]], list[float]], level: float = 0.95
) -> HodgesLehmann | None:
    """:func:`hodges_lehmann` of n differences, given the function that returns their Walsh
    averages of the given ranks (one row's :func:`walsh_order_statistics`, or a row of
    Walsh tables sorted many rows at once)."""
    if n == 0:
        return None
    middle = _median_ranks(n)
    if n < 2:
        return HodgesLehmann(_median_of(order_statistics(middle)), None, None, "")
    lower, method = _lower_rank(n, level)
    upper = n * (n + 1) // 2 - lower + 1
    *median, low, high = order_statistics((*middle, lower, upper))
    return HodgesLehmann(_median_of(median), low, high, method)


def rank_biserial(w_plus: float, w_minus: float) -> float | None:
    """Matched-pairs rank-biserial correlation (W+ - W-)/(W+ + W-) (Kerby 2014)."""
    total = w_plus + w_minus
    return None if total == 0 else (w_plus - w_minus) / total


def hedges_correction(m: int) -> float:
    """Exact c(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2)), computed on the log scale."""
    return math.exp(special.gammaln(m / 2) - special.gammaln((m - 1) / 2)) / math.sqrt(m / 2)


def standardised_mean_change(
    mean_diff: float, sd_diff: float, n: int
) -> tuple[float, float] | None:
    """metafor's escalc(measure="SMCC"): c(n-1)·mean/sd_diff, variance 1/n + g²/(2n)."""
    if n < 3 or sd_diff <= 0:
        return None
    g = hedges_correction(n - 1) * mean_diff / sd_diff
    return g, 1 / n + g**2 / (2 * n)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return correlation(x, y)


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two series that both vary (:func:`pearson` checks that)."""
    return float(np.corrcoef(x, y)[0, 1])
