"""Paired pre/post statistics other than the signed-rank test: t, sign test, Hodges–Lehmann
and standardised effect sizes. Each returns ``None`` where the statistic is undefined."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from revmentor.core.summary_format import HL_EXACT, HL_NORMAL
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
    return float(stats.binomtest(n_positive, n, 0.5).pvalue)


def paired_t(differences: np.ndarray, level: float = 0.95) -> PairedT | None:
    n = len(differences)
    if n < 2:
        return None
    sd = float(np.std(differences, ddof=1))
    if sd == 0:
        return None
    mean = float(np.mean(differences))
    se = sd / math.sqrt(n)
    t = mean / se
    half = stats.t.ppf(0.5 + level / 2, n - 1) * se
    p = float(2 * stats.t.sf(abs(t), n - 1))
    return PairedT(t, n - 1, p, mean - half, mean + half)


def walsh_averages(differences: np.ndarray) -> np.ndarray:
    """All (d_i + d_j)/2 with i <= j, sorted."""
    i, j = np.triu_indices(len(differences))
    return np.sort((differences[i] + differences[j]) / 2)


def _lower_rank(n: int, level: float) -> tuple[int, str]:
    """R's qsignrank(alpha/2, n) (at least 1): the order statistic of the lower limit."""
    alpha = 1 - level
    if n <= HL_EXACT_MAX_N:
        probabilities = null_distribution(2 * np.arange(1, n + 1))[::2]
        cumulative = np.cumsum(probabilities)
        rank = int(np.searchsorted(cumulative, alpha / 2 - 1e-12))
        return max(rank, 1), HL_EXACT
    spread = math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    rank = math.floor(n * (n + 1) / 4 - stats.norm.ppf(1 - alpha / 2) * spread)
    return max(rank, 1), HL_NORMAL


def hodges_lehmann(differences: np.ndarray, level: float = 0.95) -> HodgesLehmann | None:
    """Median of all Walsh averages (zero differences included) with its distribution-free CI.

    The CI takes the Walsh averages of order C and M + 1 - C (M = n(n+1)/2), C from the
    signed-rank null distribution (Hollander & Wolfe); with no ties and no zeros this is R's
    ``wilcox.test(..., exact=TRUE, conf.int=TRUE)``. With ties its coverage is approximate.
    """
    n = len(differences)
    if n == 0:
        return None
    walsh = walsh_averages(np.asarray(differences, dtype=float))
    estimate = float(np.median(walsh))
    if n < 2:
        return HodgesLehmann(estimate, None, None, "")
    lower, method = _lower_rank(n, level)
    upper = len(walsh) - lower + 1
    return HodgesLehmann(estimate, float(walsh[lower - 1]), float(walsh[upper - 1]), method)


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
    return float(np.corrcoef(x, y)[0, 1])
