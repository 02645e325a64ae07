"""Many meta-analyses of subsets of the same sites at once (leave-one-out, cumulative).

Each row of ``masks`` selects the sites of one fit. The estimators are those of
:mod:`revmentor.pooling.meta`, computed for all rows together with numpy, so that 1,000
leave-one-out fits over 1,000 sites take a fraction of a second. The tests check that
every row equals :func:`revmentor.pooling.meta.meta_analysis` on the same subset.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from revmentor.pooling.meta import (
    KNAPP_HARTUNG_TESTS,
    REML_MAX_ITERATIONS,
    REML_THRESHOLD,
    RSS_ZERO_THRESHOLD,
)
from revmentor.pooling.meta import restricted_ml as single_restricted_ml

NEWTON_STEPS = 200


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


def restricted_ml(y: np.ndarray, v: np.ndarray, masks: np.ndarray):
    """REML τ² per row: the root of the REML score that meta.py reaches by Fisher scoring,
    found here by Newton steps (Fisher where Newton would leave [0, ∞) or is undefined),
    started from the REML τ² of all sites, which subsets of the same sites are close to."""
    k = masks.sum(axis=1)
    start = single_restricted_ml(y, v).tau2 if len(y) > 1 else 0.0
    tau2 = np.where(k > 1, start, 0.0)
    fisher_at_zero, _ = _reml_steps(y, v, masks, np.zeros(len(masks)))
    # A score that is not positive at τ² = 0 puts the optimum on the boundary, where
    # meta.py's step halving also ends (at exactly 0).
    boundary = (k > 1) & ~(fisher_at_zero > 0)
    tau2[boundary] = 0.0
    converged = ~((k > 1) & ~boundary)
    for _ in range(REML_MAX_ITERATIONS):
        if converged.all():
            break
        rows = ~converged
        current = tau2[rows]
        fisher, newton = _reml_steps(y, v, masks[rows], current)
        usable = np.isfinite(newton) & (current + newton >= 0)
        step = np.where(usable, newton, fisher)
        while np.any(negative := current + step < 0):
            step = np.where(negative, step / 2, step)
            tiny = negative & (np.abs(step) < REML_THRESHOLD)
            step = np.where(tiny, -current, step)
            if not np.any(negative & ~tiny):
                break
        tau2[rows] = current + step
        converged[rows] = np.abs(step) < REML_THRESHOLD
    return np.maximum(tau2, 0.0), converged


def paule_mandel(y: np.ndarray, v: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """PM τ² per row: generalised Q(τ²) = k − 1, by Newton steps from τ² = 0.

    Q falls and is convex in τ² (dQ/dτ² = −Σ wᵢ²(yᵢ − μ̂)², where the weighted mean's own
    derivative drops out), so Newton steps from the left of the root rise monotonically to
    it without overshooting: a handful of steps where bisection needs fifty."""
    k = masks.sum(axis=1)
    target = k - 1.0
    tau2 = np.zeros(len(masks))
    active = (k > 1) & (q_values(y, v, masks, tau2) > target)
    for _ in range(NEWTON_STEPS):
        if not active.any():
            break
        rows = np.flatnonzero(active)
        w, _, mu = _weighted(y, v, masks[rows], tau2[rows])
        squared = (y[None, :] - mu[:, None]) ** 2
        q = (w * squared).sum(axis=1)
        slope = (w**2 * squared).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope > 0, (q - target[rows]) / slope, 0.0)
        step = np.maximum(step, 0.0)
        tau2[rows] += step
        active[rows] = step > 1e-15 * np.maximum(1.0, tau2[rows])
    return tau2


def batch_meta(
    y: np.ndarray, v: np.ndarray, masks: np.ndarray, method: str, test: str, level: float
) -> dict[str, np.ndarray]:
    """estimate, se, ci, p, τ², I² and the prediction interval of every row's fit.

    ``zero_se`` marks Knapp–Hartung rows whose scale factor is 0 (every site in the row has
    the same estimate): their p is 0, or NaN when the estimate is 0 too, as in metafor.
    """
    masks = masks.astype(float)
    k = masks.sum(axis=1)
    converged = np.ones(len(masks), dtype=bool)
    if method == "FE":
        tau2 = np.zeros(len(masks))
    elif method == "DL":
        tau2 = dersimonian_laird(y, v, masks)
    elif method == "REML":
        tau2, converged = restricted_ml(y, v, masks)
    else:
        tau2 = paule_mandel(y, v, masks)
    w, sw, estimate = _weighted(y, v, masks, tau2)
    se = np.sqrt(1 / sw)
    use_t = (test in KNAPP_HARTUNG_TESTS) & (k > 1)
    residual = (w * (y[None, :] - estimate[:, None]) ** 2).sum(axis=1)
    scale = np.where(residual <= RSS_ZERO_THRESHOLD, 0.0, residual / np.maximum(k - 1, 1))
    if test == "adhoc":
        scale = np.maximum(scale, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(use_t, se * np.sqrt(scale), se)
        critical = np.where(
            use_t,
            stats.t.ppf(0.5 + level / 2, np.maximum(k - 1, 1)),
            stats.norm.ppf(0.5 + level / 2),
        )
        stat = np.where(se > 0, estimate / np.where(se > 0, se, 1.0), 0.0)
    p = np.where(
        use_t, 2 * stats.t.sf(np.abs(stat), np.maximum(k - 1, 1)), 2 * stats.norm.sf(np.abs(stat))
    )
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
        "i2": _i2(method, y, v, masks, tau2),
        **_prediction(estimate, se, tau2, k, level),
        "converged": converged,
    }


def _i2(method: str, y, v, masks, tau2) -> np.ndarray:
    k = masks.sum(axis=1)
    w = masks / v[None, :]
    sw, sw2 = w.sum(axis=1), (w**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            q = q_values(y, v, masks, np.zeros(len(masks)))
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - (k - 1)) / q), 0.0)
        else:
            typical = (k - 1) * sw / (sw**2 - sw2)
            i2 = 100 * tau2 / (tau2 + typical)
    return np.where(k > 1, i2, 0.0)


def _prediction(estimate, se, tau2, k, level) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf(0.5 + level / 2, np.maximum(k - 2, 1)) * np.sqrt(tau2 + se**2)
    defined = k >= 3
    return {
        "pi_low": np.where(defined, estimate - half, np.nan),
        "pi_high": np.where(defined, estimate + half, np.nan),
    }
