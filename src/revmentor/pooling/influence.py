"""Influence diagnostics of a random-effects fit, as metafor's ``influence()`` and ``baujat()``.

For the z-test fit ``rma(yi, vi, method)`` with estimate μ̂, se², τ² and weights
wᵢ = 1/(vᵢ + τ²), and each site i left out in turn (μ̂₋ᵢ, se²₋ᵢ, τ²₋ᵢ, QE₋ᵢ: all leave-one-out
fits at once with the batched solver of :mod:`revmentor.pooling.batch`):

- hat hᵢ = wᵢ/Σw; weight = 100·hᵢ;
- rstudent = (yᵢ − μ̂₋ᵢ)/√(vᵢ + τ²₋ᵢ + se²₋ᵢ) (a residual under 100·machine epsilon is 0);
- DFFITS = (μ̂ − μ̂₋ᵢ)/√(hᵢ·(τ²₋ᵢ + vᵢ));
- DFBETAS = (μ̂ − μ̂₋ᵢ)/√(1/Σⱼ 1/(vⱼ + τ²₋ᵢ)) (all k sites, at the reduced τ²);
- Cook's distance = (μ̂ − μ̂₋ᵢ)²/se²; COVRATIO = se²₋ᵢ/se²;
- influential (metafor's rule): |DFFITS| > 3·√(1/(k − 1)), or P(χ²₁ ≤ Cook's distance) > 0.5,
  or hᵢ > 3/k, or |DFBETAS| > 1;
- Baujat: the contribution to heterogeneity (yᵢ − μ̂)²/(τ² + vᵢ), and the influence on the
  result (μ̂₋ᵢ − μ̂)²/se²₋ᵢ.
"""

from __future__ import annotations

import numpy as np

from revmentor.core.scipy_distributions import chi2_cdf
from revmentor.pooling.batch import Subsets, batch_meta, leave_one_out_sums
from revmentor.pooling.meta import meta_analysis

INFLUENCE_FIELDS = (
    "rstudent",
    "dffits",
    "cook_d",
    "cov_r",
    "tau2_del",
    "qe_del",
    "hat",
    "weight",
    "influential",
    "heterogeneity_contribution",
    "influence_on_result",
)


def influence_diagnostics(
    y: np.ndarray, v: np.ndarray, method: str, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Per-site diagnostics of ``rma(y, v, method, test = "z")``; needs k >= 2."""
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    k = len(y)
    if k < 2:
        raise ValueError("influence diagnostics need at least two sites")
    full = meta_analysis(y, v, method, "z", level)
    w = 1 / (v + full.tau2)
    hat = w / np.sum(w)
    deleted = batch_meta(y, v, Subsets.leave_one_out(k), method, "z", level)
    mu_del, se_del, tau2_del = deleted["estimate"], deleted["se"], deleted["tau2"]
    change = full.estimate - mu_del
    residual = y - mu_del
    residual = np.where(np.abs(residual) < 100 * np.finfo(float).eps, 0.0, residual)
    rstudent = residual / np.sqrt(v + tau2_del + se_del**2)
    dffits = change / np.sqrt(hat * (tau2_del + v))
    qe_del, reduced_weight = leave_one_out_sums(y, v, tau2_del)
    reduced_variance = 1 / reduced_weight
    dfbetas = change / np.sqrt(reduced_variance)
    cook = change**2 / full.se**2
    influential = (
        (np.abs(dffits) > 3 * np.sqrt(1 / (k - 1)))
        | (chi2_cdf(cook, 1) > 0.5)
        | (hat > 3 / k)
        | (np.abs(dfbetas) > 1)
    )
    return {
        "rstudent": rstudent,
        "dffits": dffits,
        "cook_d": cook,
        "cov_r": se_del**2 / full.se**2,
        "tau2_del": tau2_del,
        "qe_del": qe_del,
        "hat": hat,
        "weight": 100 * hat,
        "influential": influential,
        "heterogeneity_contribution": (y - full.estimate) ** 2 / (full.tau2 + v),
        "influence_on_result": change**2 / se_del**2,
        "converged": deleted["converged"],
    }
