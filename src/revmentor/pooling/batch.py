"""Many meta-analyses of subsets of the same sites at once (leave-one-out, cumulative).

Each row of a mask selects the sites of one fit. The estimators are those of
:mod:`revmentor.pooling.meta`, computed for many rows together with numpy, so that 1,000
leave-one-out fits over 1,000 sites take a fraction of a second. The tests check that
every row equals :func:`revmentor.pooling.meta.meta_analysis` on the same subset.

The k fits of a leave-one-out or cumulative analysis over k sites would need k × k masks
and temporaries (1.1 GiB per analysis at 5,000 sites), so :class:`Subsets` makes the mask
a block of rows at a time and the fits run block by block. Every row is fitted on its own
(its sums run along its own row, its iterations stop on its own), so a row's numbers do not
depend on the block it falls in. Over more than EXACT_UP_TO_SITES sites, leave-one-out and
cumulative fits take their sums from :mod:`revmentor.pooling.subset_sums` instead (O(k)
per fit, not k²), with the same estimators, steps and stopping rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from revmentor.core.scipy_distributions import normal_ppf, normal_sf, t_ppf, t_sf
from revmentor.pooling.meta import (
    KNAPP_HARTUNG_TESTS,
    REML_MAX_ITERATIONS,
    REML_THRESHOLD,
    RSS_ZERO_THRESHOLD,
)
from revmentor.pooling.meta import restricted_ml as single_restricted_ml
from revmentor.pooling.subset_sums import SubsetSums

NEWTON_STEPS = 200
#: About 4 MiB per float temporary of a block; a block has at least one row.
BLOCK_ELEMENTS = 1 << 19
#: Up to this many sites, leave-one-out and cumulative fits use exact row sums (k² work,
#: under 0.1 s per analysis), so their numbers stay those of every earlier release, bit for
#: bit; above it they use interpolated moments (O(k) per fit). At 500 sites these give τ²,
#: estimate and se within 1e-13 relative of exact row sums; p and the PI's low end 4e-11
#: (values near 0); DFFITS, Cook's distance and the Baujat influence 1e-9 (they divide a
#: difference of two close estimates). bench/bench_pooling.py --compare-at measures it.
EXACT_UP_TO_SITES = 200
MOMENTS_AT_ZERO = ((1, 0), (1, 1), (1, 2), (2, 0))
WEIGHTED_MEAN = ((1, 0), (1, 1), (1, 2))
REML_MOMENTS = tuple((p, q) for p in (1, 2, 3) for q in (0, 1, 2))


@dataclass(frozen=True)
class Subsets:
    """``count`` fits over the same ``k`` sites; ``rows(start, stop)`` gives their masks
    (boolean, one row per fit, one column per site)."""

    count: int
    k: int
    rows: Callable[[int, int], np.ndarray]
    kind: str = "given"
    order: np.ndarray | None = None

    @classmethod
    def given(cls, masks: np.ndarray) -> Subsets:
        masks = np.asarray(masks, dtype=bool)
        return cls(masks.shape[0], masks.shape[1], lambda start, stop: masks[start:stop])

    @property
    def by_moments(self) -> bool:
        """Leave-one-out and cumulative fits over more than EXACT_UP_TO_SITES sites are
        fitted from interpolated moments (:mod:`revmentor.pooling.subset_sums`)."""
        return self.kind != "given" and self.k > EXACT_UP_TO_SITES

    def sizes(self) -> np.ndarray:
        """The number of sites of each fit (as a float, like a mask's row sum)."""
        if self.kind == "leave_one_out":
            return np.full(self.count, self.k - 1.0)
        if self.kind == "cumulative":
            return np.arange(1.0, self.count + 1)
        return np.concatenate([masks.sum(axis=1) for *_, masks in self.blocks()])

    @classmethod
    def leave_one_out(cls, k: int) -> Subsets:
        """Fit i leaves site i out."""

        def rows(start: int, stop: int) -> np.ndarray:
            index = np.arange(start, stop)
            masks = np.ones((stop - start, k), dtype=bool)
            masks[index - start, index] = False
            return masks

        return cls(k, k, rows, "leave_one_out", np.arange(k))

    @classmethod
    def cumulative(cls, order: Sequence[int]) -> Subsets:
        """Fit s holds the sites ``order[0..s]`` (site indexes in the order they join)."""
        k = len(order)
        rank = np.empty(k, dtype=int)
        rank[np.asarray(order, dtype=int)] = np.arange(k)

        def rows(start: int, stop: int) -> np.ndarray:
            return rank[None, :] <= np.arange(start, stop)[:, None]

        return cls(k, k, rows, "cumulative", np.asarray(order, dtype=int))

    def blocks(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """(start, stop, masks) of consecutive blocks of about BLOCK_ELEMENTS cells."""
        size = max(1, BLOCK_ELEMENTS // max(self.k, 1))
        for start in range(0, self.count, size):
            stop = min(start + size, self.count)
            yield start, stop, self.rows(start, stop)


def _weighted(y: np.ndarray, v: np.ndarray, masks: np.ndarray, tau2: np.ndarray):
    """Weights (0 outside the mask), their sums and the weighted means, per row."""
    w = masks / (v[None, :] + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w * y[None, :]).sum(axis=1) / sw
    return w, sw, mu


def q_values(y: np.ndarray, v: np.ndarray, masks: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    w, _, mu = _weighted(y, v, masks, tau2)
    return (w * (y[None, :] - mu[:, None]) ** 2).sum(axis=1)


def dersimonian_laird(y: np.ndarray, v: np.ndarray, masks: np.ndarray) -> np.ndarray:
    k = masks.sum(axis=1)
    w = masks / v[None, :]
    scale = w.sum(axis=1) - (w**2).sum(axis=1) / w.sum(axis=1)
    q = q_values(y, v, masks, np.zeros(len(masks)))
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = np.where(scale > 0, (q - (k - 1)) / scale, 0.0)
    return np.where(k > 1, np.maximum(tau2, 0.0), 0.0)


def _reml_steps(y: np.ndarray, v: np.ndarray, masks: np.ndarray, tau2: np.ndarray):
    """Fisher-scoring steps (as metafor) and Newton steps on the REML score, per row.

    With P = W − w wᵀ/Σw and u = P y: score ∝ uᵀu − tr(P); Fisher divides it by tr(PP),
    Newton by 2·uᵀPu − tr(PP) (the observed information). Both have the same fixed point.
    """
    w, sw, mu = _weighted(y, v, masks, tau2)
    u = w * (y[None, :] - mu[:, None])
    w2 = (w**2).sum(axis=1)
    trace_p = sw - w2 / sw
    trace_pp = w2 - 2 * (w**3).sum(axis=1) / sw + (w2 / sw) ** 2
    score = (u**2).sum(axis=1) - trace_p
    pu = w * u - w * ((w * u).sum(axis=1) / sw)[:, None]
    observed = 2 * (u * pu).sum(axis=1) - trace_pp
    with np.errstate(divide="ignore", invalid="ignore"):
        fisher = score / trace_pp
        newton = np.where(observed > 0, score / observed, np.nan)
    return fisher, newton


def full_reml_start(y: np.ndarray, v: np.ndarray) -> float:
    """The REML τ² of all sites, where the subsets' Newton steps start."""
    return single_restricted_ml(y, v).tau2 if len(y) > 1 else 0.0


def restricted_ml(y: np.ndarray, v: np.ndarray, masks: np.ndarray, start: float | None = None):
    """REML τ² per row: the root of the REML score that meta.py reaches by Fisher scoring,
    found here by Newton steps (Fisher where Newton would leave [0, ∞) or is undefined),
    started from the REML τ² of all sites (``start``), which subsets of the same sites are
    close to."""
    if start is None:
        start = full_reml_start(y, v)
    return _reml_iterations(
        masks.sum(axis=1), start, lambda rows, tau2: _reml_steps(y, v, masks[rows], tau2)
    )


def _reml_iterations(
    k: np.ndarray,
    start: float,
    steps: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
):
    """REML τ² per row from ``start``: ``steps(rows, tau2)`` gives the Fisher and Newton
    steps of those rows; a row stops when its step is below REML_THRESHOLD."""
    tau2 = np.where(k > 1, start, 0.0)
    fisher_at_zero, _ = steps(np.arange(len(k)), np.zeros(len(k)))
    # A score that is not positive at τ² = 0 puts the optimum on the boundary, where
    # meta.py's step halving also ends (at exactly 0).
    boundary = (k > 1) & ~(fisher_at_zero > 0)
    tau2[boundary] = 0.0
    converged = ~((k > 1) & ~boundary)
    for _ in range(REML_MAX_ITERATIONS):
        if converged.all():
            break
        rows = np.flatnonzero(~converged)
        current = tau2[rows]
        fisher, newton = steps(rows, current)
        step = _bounded_step(current, fisher, newton)
        tau2[rows] = current + step
        converged[rows] = np.abs(step) < REML_THRESHOLD
    return np.maximum(tau2, 0.0), converged


def _bounded_step(current: np.ndarray, fisher: np.ndarray, newton: np.ndarray) -> np.ndarray:
    """Newton where it stays in [0, ∞) and is defined, else Fisher halved as meta.py does."""
    usable = np.isfinite(newton) & (current + newton >= 0)
    step = np.where(usable, newton, fisher)
    while np.any(negative := current + step < 0):
        step = np.where(negative, step / 2, step)
        tiny = negative & (np.abs(step) < REML_THRESHOLD)
        step = np.where(tiny, -current, step)
        if not np.any(negative & ~tiny):
            break
    return step


def paule_mandel(y: np.ndarray, v: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """PM τ² per row: generalised Q(τ²) = k − 1, by Newton steps from τ² = 0.

    Q falls and is convex in τ² (dQ/dτ² = −Σ wᵢ²(yᵢ − μ̂)², where the weighted mean's own
    derivative drops out), so Newton steps from the left of the root rise monotonically to
    it without overshooting: a handful of steps where bisection needs fifty."""
    k = masks.sum(axis=1)

    def q_and_slope(rows: np.ndarray, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, _, mu = _weighted(y, v, masks[rows], tau2)
        squared = (y[None, :] - mu[:, None]) ** 2
        return (w * squared).sum(axis=1), (w**2 * squared).sum(axis=1)

    return _paule_mandel_steps(k, q_values(y, v, masks, np.zeros(len(masks))), q_and_slope)


def _paule_mandel_steps(
    k: np.ndarray,
    q0: np.ndarray,
    q_and_slope: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Newton steps on Q(τ²) = k − 1 from τ² = 0 (Q at 0 given), a row stopping when its
    step is negligible; ``q_and_slope(rows, tau2)`` gives Q and −dQ/dτ² of those rows."""
    target = k - 1.0
    tau2 = np.zeros(len(k))
    active = (k > 1) & (q0 > target)
    for _ in range(NEWTON_STEPS):
        if not active.any():
            break
        rows = np.flatnonzero(active)
        q, slope = q_and_slope(rows, tau2[rows])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope > 0, (q - target[rows]) / slope, 0.0)
        step = np.maximum(step, 0.0)
        tau2[rows] += step
        active[rows] = step > 1e-15 * np.maximum(1.0, tau2[rows])
    return tau2


def batch_meta(
    y: np.ndarray,
    v: np.ndarray,
    subsets: Subsets | np.ndarray,
    method: str,
    test: str,
    level: float,
) -> dict[str, np.ndarray]:
    """estimate, se, ci, p, τ², I² and the prediction interval of every row's fit.

    ``subsets`` is a :class:`Subsets` or a boolean mask array (one row per fit).
    ``zero_se`` marks Knapp–Hartung rows whose scale factor is 0 (every site in the row has
    the same estimate): their p is 0, or NaN when the estimate is 0 too, as in metafor.
    """
    if not isinstance(subsets, Subsets):
        subsets = Subsets.given(subsets)
    start = full_reml_start(y, v) if method == "REML" else 0.0
    if subsets.by_moments:
        return _moment_meta(y, v, subsets, method, test, level, start)
    parts = [
        _block_meta(y, v, masks, method, test, level, start) for _, _, masks in subsets.blocks()
    ]
    if not parts:
        parts = [_block_meta(y, v, np.zeros((0, len(y)), bool), method, test, level, start)]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _block_meta(
    y: np.ndarray,
    v: np.ndarray,
    masks: np.ndarray,
    method: str,
    test: str,
    level: float,
    reml_start: float,
) -> dict[str, np.ndarray]:
    masks = masks.astype(float)
    k = masks.sum(axis=1)
    converged = np.ones(len(masks), dtype=bool)
    if method == "FE":
        tau2 = np.zeros(len(masks))
    elif method == "DL":
        tau2 = dersimonian_laird(y, v, masks)
    elif method == "REML":
        tau2, converged = restricted_ml(y, v, masks, reml_start)
    else:
        tau2 = paule_mandel(y, v, masks)
    w, sw, estimate = _weighted(y, v, masks, tau2)
    residual = (w * (y[None, :] - estimate[:, None]) ** 2).sum(axis=1)
    common = masks / v[None, :]
    q0 = q_values(y, v, masks, np.zeros(len(masks))) if method == "FE" else None
    i2 = _i2(method, k, tau2, q0, common.sum(axis=1), (common**2).sum(axis=1))
    return _summaries(k, estimate, sw, residual, tau2, i2, converged, test, level)


def _summaries(k, estimate, sw, residual, tau2, i2, converged, test, level):
    """The reported numbers of each fit from its size, estimate, Σw, weighted residual sum
    of squares, τ² and I²."""
    se = np.sqrt(1 / sw)
    use_t = (test in KNAPP_HARTUNG_TESTS) & (k > 1)
    scale = np.where(residual <= RSS_ZERO_THRESHOLD, 0.0, residual / np.maximum(k - 1, 1))
    if test == "adhoc":
        scale = np.maximum(scale, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(use_t, se * np.sqrt(scale), se)
        critical = np.where(
            use_t,
            t_ppf(0.5 + level / 2, np.maximum(k - 1, 1)),
            normal_ppf(0.5 + level / 2),
        )
        stat = np.where(se > 0, estimate / np.where(se > 0, se, 1.0), 0.0)
    p = np.where(use_t, 2 * t_sf(np.abs(stat), np.maximum(k - 1, 1)), 2 * normal_sf(np.abs(stat)))
    zero_se = ~(se > 0) & (k > 0)
    p = np.where(zero_se, np.where(estimate != 0, 0.0, np.nan), p)
    return {
        "k": k.astype(int),
        "estimate": estimate,
        "se": se,
        "ci_low": estimate - critical * se,
        "ci_high": estimate + critical * se,
        "p": np.minimum(1.0, p),
        "zero_se": zero_se,
        "tau2": tau2,
        "i2": i2,
        **_prediction(estimate, se, tau2, k, level),
        "converged": converged,
    }


def _i2(method: str, k, tau2, q0, sw, sw2) -> np.ndarray:
    """I² from the common-effect Q (FE) or the typical within-site variance, from the
    fit's Σ1/v and Σ1/v²."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            i2 = np.where(q0 > 0, np.maximum(0.0, 100 * (q0 - (k - 1)) / q0), 0.0)
        else:
            typical = (k - 1) * sw / (sw**2 - sw2)
            i2 = 100 * tau2 / (tau2 + typical)
    return np.where(k > 1, i2, 0.0)


def _centred(mean_moments: dict) -> tuple[np.ndarray, np.ndarray]:
    """(weighted mean, weighted residual sum of squares) of centred effects from A10..A12."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = mean_moments[1, 1] / mean_moments[1, 0]
    residual = mean_moments[1, 2] - mean_moments[1, 1] * shift
    return shift, np.maximum(residual, 0.0)


def _moment_meta(y, v, subsets: Subsets, method, test, level, reml_start):
    """As the exact blocks, from :class:`SubsetSums` moments: same estimators, same steps."""
    k = subsets.sizes()
    every = np.arange(subsets.count)
    # Centred on the common-effect mean, the moments of y do not cancel each other.
    centre = float(np.sum(y / v) / np.sum(1 / v))
    sums = SubsetSums(y - centre, v, subsets.kind, subsets.order)
    at_zero = sums.at(np.zeros(subsets.count), every, MOMENTS_AT_ZERO)
    _, q0 = _centred(at_zero)
    sw0, sw20 = at_zero[1, 0], at_zero[2, 0]
    converged = np.ones(subsets.count, dtype=bool)
    if method == "FE":
        tau2 = np.zeros(subsets.count)
    elif method == "DL":
        scale = sw0 - sw20 / sw0
        with np.errstate(divide="ignore", invalid="ignore"):
            tau2 = np.where(scale > 0, (q0 - (k - 1)) / scale, 0.0)
        tau2 = np.where(k > 1, np.maximum(tau2, 0.0), 0.0)
    elif method == "REML":
        tau2, converged = _moment_reml(sums, k, reml_start)
    else:
        tau2 = _moment_paule_mandel(sums, k, q0)
    shift, residual = _centred(sums.at(tau2, every, WEIGHTED_MEAN))
    sw = sums.at(tau2, every, ((1, 0),))[1, 0]
    i2 = _i2(method, k, tau2, q0, sw0, sw20)
    return _summaries(k, centre + shift, sw, residual, tau2, i2, converged, test, level)


def _moment_reml_steps(sums: SubsetSums, tau2: np.ndarray, rows: np.ndarray):
    """:func:`_reml_steps` from moments: u = P y, so uᵀu, tr P, tr PP and uᵀPu are sums of
    wᵖ(y − μ̂)ᵠ."""
    m = sums.at(tau2, rows, REML_MOMENTS)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = m[1, 1] / m[1, 0]
        trace_p = m[1, 0] - m[2, 0] / m[1, 0]
        trace_pp = m[2, 0] - 2 * m[3, 0] / m[1, 0] + (m[2, 0] / m[1, 0]) ** 2
        score = m[2, 2] - 2 * mu * m[2, 1] + mu**2 * m[2, 0] - trace_p
        wu = m[2, 1] - mu * m[2, 0]
        upu = m[3, 2] - 2 * mu * m[3, 1] + mu**2 * m[3, 0] - wu / m[1, 0] * wu
        observed = 2 * upu - trace_pp
        fisher = score / trace_pp
        newton = np.where(observed > 0, score / observed, np.nan)
    return fisher, newton


def _moment_reml(sums: SubsetSums, k: np.ndarray, start: float):
    """:func:`restricted_ml` (same start, boundary rule, steps and stopping) from moments."""
    return _reml_iterations(k, start, lambda rows, tau2: _moment_reml_steps(sums, tau2, rows))


def _moment_paule_mandel(sums: SubsetSums, k: np.ndarray, q0: np.ndarray) -> np.ndarray:
    """:func:`paule_mandel` (same Newton steps and stopping) from moments."""

    def q_and_slope(rows: np.ndarray, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = sums.at(tau2, rows, ((1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)))
        mu, q = _centred(m)
        return q, m[2, 2] - 2 * mu * m[2, 1] + mu**2 * m[2, 0]

    return _paule_mandel_steps(k, q0, q_and_slope)


def leave_one_out_sums(
    y: np.ndarray, v: np.ndarray, tau2_deleted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each site i left out: the common-effect Q of the others, and Σ over all k sites
    of 1/(v_j + τ²₋ᵢ) (the influence diagnostics' Q₋ᵢ and DFBETAS variance)."""
    k = len(y)
    subsets = Subsets.leave_one_out(k)
    if subsets.by_moments:
        centre = float(np.sum(y / v) / np.sum(1 / v))
        sums = SubsetSums(y - centre, v, subsets.kind, subsets.order)
        every = np.arange(k)
        _, q0 = _centred(sums.at(np.zeros(k), every, WEIGHTED_MEAN))
        return q0, sums.at(tau2_deleted, every, ((1, 0),), whole=True)[1, 0]
    q0, total = np.empty(k), np.empty(k)
    for start, stop, masks in subsets.blocks():
        q0[start:stop] = q_values(y, v, masks.astype(float), np.zeros(stop - start))
        total[start:stop] = np.sum(1 / (v[None, :] + tau2_deleted[start:stop, None]), axis=1)
    return q0, total


def _prediction(estimate, se, tau2, k, level) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore"):
        half = t_ppf(0.5 + level / 2, np.maximum(k - 2, 1)) * np.sqrt(tau2 + se**2)
    defined = k >= 3
    return {
        "pi_low": np.where(defined, estimate - half, np.nan),
        "pi_high": np.where(defined, estimate + half, np.nan),
    }
