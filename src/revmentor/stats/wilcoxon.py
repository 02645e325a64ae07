"""The Wilcoxon signed-rank test as SPSS reports it, and its exact conditional p-value.

SPSS ("Asymp. Sig. (2-tailed)"): zero differences are dropped, tied absolute differences
get mid-ranks, the variance is tie-corrected and there is no continuity correction:

    E = n(n+1)/4,  V = n(n+1)(2n+1)/24 - sum(t^3 - t)/48,  z = (min(W+, W-) - E) / sqrt(V)

with n the number of non-zero differences and t the size of each group of tied ranks.
SPSS prints z from the smaller rank sum, so z is never positive; the direction of the
change is in ``w_plus``/``w_minus``. This equals ``scipy.stats.wilcoxon(post, pre,
zero_method="wilcox", correction=False, method="asymptotic")`` and R's
``wilcox.test(post, pre, paired=TRUE, exact=FALSE, correct=FALSE)``.

The exact conditional p enumerates all 2^n sign patterns over the observed mid-ranks
(zeros dropped, as above), by convolution rather than listing them, so ties are handled
exactly. Beyond ``EXACT_MAX_N`` non-zero differences it is estimated by a seeded Monte
Carlo permutation of the signs.

Memory stays linear in n: the convolution holds n(n+1) + 1 probabilities only up to
``EXACT_MAX_N`` (about 160,000), and the Monte Carlo draws its sign patterns in chunks of
about ``MONTE_CARLO_CHUNK_SIGNS`` signs, never the whole (draws × n) matrix (drawn at
once, with its int64 sums, it took 3.7 GB for a 20,000-row site). Its time is linear in
n: about 5 s per outcome at n = 5,000 on one core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from revmentor.core.summary_format import EXACT_ENUMERATION, MONTE_CARLO, MONTE_CARLO_DRAWS

EXACT_MAX_N = 400
# About 4 MB of int8 signs per chunk of Monte Carlo draws, whatever n is.
MONTE_CARLO_CHUNK_SIGNS = 1 << 22


@dataclass(frozen=True)
class SignedRank:
    n_nonzero: int
    n_positive: int
    n_negative: int
    w_plus: float
    w_minus: float
    variance: float
    z: float | None
    p: float | None


@dataclass(frozen=True)
class ExactP:
    p: float | None
    method: str


def mid_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, tied values sharing the mean of their ranks: the same floats as
    ``scipy.stats.rankdata(values, method="average")`` (each is a whole number or a half,
    exact in floating point), without the cost of importing scipy.stats or of its checks."""
    values = np.asarray(values)
    n = len(values)
    if n == 0 or np.isnan(values).any():
        return np.full(n, np.nan)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    ranks = np.empty(n)
    ranks[order] = np.repeat(0.5 * (ends + starts + 1), ends - starts)
    return ranks


def nonzero_ranks(differences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks of the non-zero |differences|, and the signs of those differences."""
    nonzero = differences[differences != 0]
    return mid_ranks(np.abs(nonzero)), np.sign(nonzero)


def tie_correction(ranks: np.ndarray) -> float:
    """sum(t^3 - t) over groups of tied ranks."""
    _, counts = np.unique(ranks, return_counts=True)
    return float(np.sum(counts.astype(float) ** 3 - counts))


def signed_rank_spss(
    differences: np.ndarray, ranked: tuple[np.ndarray, np.ndarray] | None = None
) -> SignedRank:
    """SPSS-style asymptotic signed-rank test of post - pre differences. ``ranked``: their
    :func:`nonzero_ranks`, when the caller already has them."""
    ranks, signs = ranked or nonzero_ranks(np.asarray(differences, dtype=float))
    return signed_rank_from_sums(
        int((signs > 0).sum()),
        int((signs < 0).sum()),
        float(ranks[signs > 0].sum()),
        float(ranks[signs < 0].sum()),
        tie_correction(ranks),
    )


def signed_rank_from_sums(
    n_positive: int, n_negative: int, w_plus: float, w_minus: float, ties: float
) -> SignedRank:
    """:func:`signed_rank_spss` from the counts and rank sums of the signs and the ranks'
    :func:`tie_correction`, however they were computed (one row, or many at once)."""
    n = n_positive + n_negative
    variance = n * (n + 1) * (2 * n + 1) / 24 - ties / 48 if n else 0.0
    if variance <= 0:
        return SignedRank(n, n_positive, n_negative, w_plus, w_minus, 0.0, None, None)
    z = (min(w_plus, w_minus) - n * (n + 1) / 4) / math.sqrt(variance)
    # scipy.stats.norm.sf(|z|), as core.scipy_distributions.normal_sf computes it, without
    # its argument checks, which cost each row more than the function.
    p = float(min(1.0, 2 * special.ndtr(-abs(z))))
    return SignedRank(n, n_positive, n_negative, w_plus, w_minus, float(variance), float(z), p)


def null_distribution(doubled_ranks: np.ndarray) -> np.ndarray:
    """P(2·W+ = k) for k = 0..sum(doubled_ranks), each sign + or - with probability 1/2."""
    total = int(doubled_ranks.sum())
    probabilities = np.zeros(total + 1)
    probabilities[0] = 1.0
    reach = 0
    for step in doubled_ranks.astype(int):
        shifted = np.zeros_like(probabilities)
        shifted[step : reach + step + 1] = probabilities[: reach + 1]
        probabilities = 0.5 * probabilities + 0.5 * shifted
        reach += step
    return probabilities


#: Up to this many non-zero differences every step of :func:`null_distribution` is exact in
#: floating point (each probability is a whole count over 2^n, and the counts stay below
#: 2^53), so the result depends only on the multiset of ranks, not their order: sites with
#: the same tie pattern share one distribution. Each is at most n(n+1) + 1 floats (20 KB).
SHARED_NULL_MAX_N = 50


@lru_cache(maxsize=2048)
def _shared_null_distribution(sorted_doubled_ranks: tuple[int, ...]) -> np.ndarray:
    probabilities = null_distribution(np.array(sorted_doubled_ranks, dtype=np.int64))
    probabilities.setflags(write=False)
    return probabilities


def exact_null_distribution(doubled_ranks: np.ndarray) -> np.ndarray:
    """:func:`null_distribution`, computed once per tie pattern where that gives the very
    same floats (read-only then)."""
    if len(doubled_ranks) <= SHARED_NULL_MAX_N:
        return _shared_null_distribution(tuple(sorted(doubled_ranks.tolist())))
    return null_distribution(doubled_ranks)


def exact_conditional_p(
    differences: np.ndarray,
    rng: np.random.Generator | None = None,
    ranked: tuple[np.ndarray, np.ndarray] | None = None,
) -> ExactP:
    """Two-sided p: P(|W+ - E| >= |w+ - E|) over all sign patterns of the observed ranks.
    ``ranked``: the differences' :func:`nonzero_ranks`, when the caller already has them."""
    ranks, signs = ranked or nonzero_ranks(np.asarray(differences, dtype=float))
    n = len(ranks)
    if n == 0:
        return ExactP(None, "")
    doubled = np.rint(2 * ranks).astype(np.int64)
    observed = int(doubled[signs > 0].sum())
    centre2 = int(doubled.sum())  # 2 * (2E): compare 2·|2W - 2E| in whole numbers
    if n <= EXACT_MAX_N:
        probabilities = exact_null_distribution(doubled)
        k = np.arange(len(probabilities))
        extreme = np.abs(2 * k - centre2) >= abs(2 * observed - centre2)
        p = float(min(1.0, probabilities[extreme].sum()))
        return ExactP(p, EXACT_ENUMERATION)
    hits = monte_carlo_hits(doubled, centre2, abs(2 * observed - centre2), rng)
    p = float((hits + 1) / (MONTE_CARLO_DRAWS + 1))
    return ExactP(p, MONTE_CARLO)


def draws_needed(differences: np.ndarray) -> bool:
    """Whether :func:`exact_conditional_p` estimates these differences' p by Monte Carlo
    (and so uses its generator): beyond ``EXACT_MAX_N`` non-zero differences."""
    return int(np.count_nonzero(differences)) > EXACT_MAX_N


def draw_rows_per_chunk(n: int) -> int:
    """Sign patterns drawn at once: about ``MONTE_CARLO_CHUNK_SIGNS`` signs, and a multiple of
    4 rows, so that every chunk but the last ends on a whole 32-bit word of the generator."""
    return max(4, MONTE_CARLO_CHUNK_SIGNS // max(n, 1) // 4 * 4)


def monte_carlo_hits(
    doubled_ranks: np.ndarray, centre2: int, observed_distance: int, rng: np.random.Generator | None
) -> int:
    """How many of ``MONTE_CARLO_DRAWS`` random sign patterns lie at least as far from the
    centre as the observed one, drawn in chunks so memory stays linear in n.

    numpy draws each 0/1 ``int8`` from one byte of a 32-bit word and drops the unused bytes
    of the last word at the end of a call. Chunks whose sizes are multiples of 4 signs
    therefore give exactly the draws of one (draws × n) call: the p-value does not depend
    on the chunk size (tests/stats/test_memory.py checks this).
    """
    rng = rng or np.random.default_rng(0)
    n = len(doubled_ranks)
    rows_per_chunk = draw_rows_per_chunk(n)
    hits = 0
    for start in range(0, MONTE_CARLO_DRAWS, rows_per_chunk):
        rows = min(rows_per_chunk, MONTE_CARLO_DRAWS - start)
        draws = rng.integers(0, 2, size=(rows, n), dtype=np.int8)
        # einsum casts in small buffers; ``draws @ ranks`` would cast the whole chunk to int64
        sums = np.einsum("ij,j->i", draws, doubled_ranks)
        hits += int(np.count_nonzero(np.abs(2 * sums - centre2) >= observed_distance))
    return hits
