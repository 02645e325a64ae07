"""The one-stage analysis: the participants of every participant-level site in one model.

change_ij = μ + b_j + e_ij, with a random intercept b_j ~ N(0, σ²_site) per site j and
e_ij ~ N(0, σ²), fitted by REML with statsmodels ``MixedLM``: R's
``nlme::lme(change ~ 1, random = ~1|site, method = "REML")`` and ``lme4::lmer(change ~ 1 +
(1|site), REML = TRUE)``. Unlike the two-stage meta-analysis it needs no per-site SD, so
sites with one or two pairs still count.

How statsmodels is made to reproduce R:

- Start: the exact REML optimum of this one-way model, found from the site sizes, site
  means and the within-site sum of squares alone (profiled over σ², a 1-D root search in
  λ = σ²_site/σ²; :func:`profile_reml`). statsmodels' BFGS, with a tight gradient
  tolerance, then polishes and confirms it; from this start it almost always stops at
  once (:func:`_polished` gives fit's floats without fit's passes for what is not
  reported). From statsmodels' own start (σ²_site = σ²) BFGS often steps to a negative √λ
  and stops with "precision loss", and a Nelder–Mead start costs seconds per fit at 1,000
  sites.
- Standard error: the GLS one given the fitted variances, √(1/Σ n_j/(σ² + n_j σ²_site)),
  as nlme and lme4 report it. statsmodels' ``bse_fe`` instead inverts the whole observed
  Hessian, whose fixed × variance cross term is not zero in unbalanced data (about 8e-6
  relative larger on the reference data).
- Boundary: statsmodels optimises √(σ²_site/σ²), whose gradient vanishes at 0, so at the
  boundary it only creeps towards 0 (stopping anywhere from 1e-10 to 1e-4) and warns.
  The sign of the REML slope at σ²_site = 0 decides the boundary instead; there the REML
  fit is exactly the intercept-only OLS fit.

The change scores come from the sites' change tables, written by the per-site step into
the private clean area, so the model reads one file per shard rather than every site's data.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from statsmodels.base.model import LikelihoodModel
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from revmentor.core.instrument import Instrument
from revmentor.core.scipy_distributions import normal_ppf
from revmentor.core.tables import typed_frame
from revmentor.pooling.meta import meta_analysis

MODEL_COLUMNS = ("site_id", "change")
MIXED_MODEL_KEYS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "between_site_variance",
    "residual_variance",
    "k_sites",
    "n_participants",
    "converged",
    "note",
)
POLISH_OPTIMISER = "bfgs"
GRADIENT_TOLERANCE = 1e-8
MAX_ITERATIONS = 1000
NO_WITHIN_SITE_VARIATION = 1e-12

NOTE_NO_PARTICIPANTS = "no participants"
NOTE_ONE_PARTICIPANT = "one participant: no variance, standard error or interval"
NOTE_CONSTANT = "every change is the same: no variance to model, no standard error or interval"
NOTE_ONE_SITE = "one site: no between-site variance; intercept-only OLS"
NOTE_NO_REPLICATION = (
    "no site has two participants: site and residual variance cannot be separated; "
    "intercept-only OLS"
)
NOTE_NO_WITHIN = "no variation within any site: the residual variance is 0, model not fitted"
NOTE_BOUNDARY = (
    "REML puts the between-site variance on the boundary (0): the fit is intercept-only OLS"
)
NOTE_NOT_CONVERGED = "REML did not converge: the estimates are the optimiser's last values"


def change_scores(changes: pd.DataFrame, role: str, outcome: str) -> pd.DataFrame:
    """One role × outcome's change scores (site_id, change) from the sites' change tables
    (``results/clean/shards/*.changes.csv``: site_id, role, outcome, change)."""
    chosen = changes[(changes["role"] == role) & (changes["outcome"] == outcome)]
    return pd.DataFrame(
        {
            "site_id": chosen["site_id"].astype(object).to_numpy(),
            "change": chosen["change"].astype(float).to_numpy(),
        }
    )


def _result(
    estimate: float | None = None,
    se: float | None = None,
    level: float = 0.95,
    **fields: Any,
) -> dict[str, Any]:
    """A full record: every key present, the normal CI from the estimate and its SE."""
    record: dict[str, Any] = dict.fromkeys(MIXED_MODEL_KEYS)
    record.update({"estimate": estimate, "se": se, "converged": True, "note": ""}, **fields)
    if estimate is not None and se is not None:
        half = normal_ppf(0.5 + level / 2) * se
        record["ci_low"], record["ci_high"] = float(estimate - half), float(estimate + half)
    return record


def reml_slope_at_zero(changes: pd.DataFrame) -> float:
    """Slope at λ = 0 of the profiled REML criterion (−2 restricted log-likelihood) in
    λ = σ²_site/σ²: (N − 1)·q'(0)/q(0) + N − Σn_j²/N with q'(0) = −Σ S_j², S_j the sum
    of site j's deviations from the overall mean. A slope ≥ 0 puts the REML estimate of
    σ²_site on the boundary 0 (the test R's reference solution uses)."""
    y = changes["change"].to_numpy(dtype=float)
    deviations = pd.Series(y - y.mean(), index=changes["site_id"].to_numpy())
    sums = deviations.groupby(level=0).sum().to_numpy()
    sizes = deviations.groupby(level=0).size().to_numpy(dtype=float)
    n = len(y)
    return float(-(n - 1) * np.sum(sums**2) / np.sum(deviations**2) + n - np.sum(sizes**2) / n)


def _one_mean(changes: pd.DataFrame, level: float, **fields: Any) -> dict[str, Any]:
    """Intercept-only OLS: what the model becomes without a between-site variance."""
    y = changes["change"].to_numpy(dtype=float)
    fit = OLS(y, np.ones((len(y), 1))).fit()
    return _result(
        float(fit.params[0]),
        float(fit.bse[0]),
        level,
        residual_variance=float(fit.scale),
        **fields,
    )


def _within_site_sum_of_squares(changes: pd.DataFrame) -> float:
    site_means = changes.groupby("site_id")["change"].transform("mean")
    return float(np.sum((changes["change"] - site_means) ** 2))


def _site_moments(changes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Site sizes, site means, the within-site sum of squares and N."""
    grouped = changes.groupby("site_id", sort=False)["change"]
    sizes = grouped.size().to_numpy(dtype=float)
    means = grouped.mean().to_numpy(dtype=float)
    return sizes, means, _within_site_sum_of_squares(changes), len(changes)


def _reml_slope(lam: float, sizes: np.ndarray, means: np.ndarray, within: float, n: int):
    """d/dλ of the profiled REML criterion (N − 1)·log Q(λ) + Σ log(1 + λ n_j) + log Σw_j,
    with w_j = n_j/(1 + λ n_j) and Q(λ) = W + Σ w_j (ȳ_j − μ̂(λ))²."""
    weights = sizes / (1 + lam * sizes)
    mu = np.sum(weights * means) / np.sum(weights)
    weight_slope = -(sizes**2) / (1 + lam * sizes) ** 2
    q = within + np.sum(weights * (means - mu) ** 2)
    q_slope = np.sum(weight_slope * (means - mu) ** 2)
    return (n - 1) * q_slope / q + np.sum(weights) + np.sum(weight_slope) / np.sum(weights)


def profile_reml(changes: pd.DataFrame) -> tuple[float, float, float]:
    """Exact REML (μ, σ²_site, σ²) of the random-intercept model, for an interior optimum."""
    sizes, means, within, n = _site_moments(changes)
    upper = 1.0
    while _reml_slope(upper, sizes, means, within, n) < 0 and upper < 1e12:
        upper *= 10
    lam = optimize.brentq(
        _reml_slope, 0.0, upper, args=(sizes, means, within, n), xtol=1e-15, rtol=8.9e-16
    )
    weights = sizes / (1 + lam * sizes)
    mu = float(np.sum(weights * means) / np.sum(weights))
    sigma2 = float((within + np.sum(weights * (means - mu) ** 2)) / (n - 1))
    return mu, lam * sigma2, sigma2


def _polished(model: MixedLM, start: MixedLMParams, max_iterations: int):
    """(μ, σ²_site, σ², converged) exactly as ``model.fit(start_params=start, reml=True,
    method=[POLISH_OPTIMISER], gtol=GRADIENT_TOLERANCE, maxiter=max_iterations)`` gives
    them, without the two passes over every site that fit makes for what this model does
    not report: the observed Hessian (for statsmodels' own standard errors) and, when BFGS
    stops at its start, the likelihood there.

    From the exact optimum BFGS nearly always stops at once, because the gradient there is
    within the tolerance; it then returns the start unchanged. That test is made here with
    the same gradient BFGS would take (fit's, −score/N, largest absolute element), and BFGS
    runs only when it fails. What follows the optimiser is fit's own code: the fixed effect
    and the scale profiled out at the optimum (``get_fe_params``, ``get_scale``).

    One case differs from fit: BFGS also reports non-convergence when the likelihood at
    the start is NaN while the gradient there is finite and small; that likelihood is not
    computed here, so such a start would be reported as converged."""
    # The attributes fit sets before it optimises; score and loglike read them.
    model.reml, model._cov_sing = True, 0
    model.cov_pen = model.fe_pen = model._freepat = None
    packed = start.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
    gradient = -model.score(packed) / model.endog.shape[0]
    if np.all(np.isfinite(gradient)) and np.max(np.abs(gradient)) <= GRADIENT_TOLERANCE:
        found, converged = packed, True
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimised = LikelihoodModel.fit(
                model,
                start_params=packed,
                skip_hessian=True,
                method=POLISH_OPTIMISER,
                gtol=GRADIENT_TOLERANCE,
                maxiter=max_iterations,
                disp=False,
                retall=False,
            )
        found = np.atleast_1d(optimised.params)
        converged = bool(optimised.mle_retvals["converged"])
    params = MixedLMParams.from_packed(
        found, model.k_fe, model.k_re, use_sqrt=model.use_sqrt, has_fe=False
    )
    fe_params, _ = model.get_fe_params(params.cov_re, params.vcomp)
    scale = model.get_scale(fe_params, params.cov_re, params.vcomp)
    return float(fe_params[0]), float(scale * params.cov_re[0, 0]), float(scale), converged


def _reml_fit(
    changes: pd.DataFrame, level: float, max_iterations: int, **fields: Any
) -> dict[str, Any]:
    """The random-intercept model by REML (see the module for the optimiser choice)."""
    y = changes["change"].to_numpy(dtype=float)
    model = MixedLM(y, np.ones((len(y), 1)), groups=changes["site_id"].to_numpy())
    mu, between, residual = profile_reml(changes)
    start = MixedLMParams.from_components(
        fe_params=np.array([mu]), cov_re=np.array([[between / residual]])
    )
    estimate, between, residual, converged = _polished(model, start, max_iterations)
    sizes = changes.groupby("site_id").size().to_numpy(dtype=float)
    se = float(np.sqrt(1 / np.sum(sizes / (residual + sizes * between))))
    return _result(
        estimate,
        se,
        level,
        between_site_variance=between,
        residual_variance=residual,
        converged=converged,
        note="" if converged else NOTE_NOT_CONVERGED,
        **fields,
    )


def mixed_model(
    changes: pd.DataFrame, level: float = 0.95, max_iterations: int = MAX_ITERATIONS
) -> dict[str, Any]:
    """The pooled mean change with a random intercept per site (keys: MIXED_MODEL_KEYS).
    Data the model cannot be fitted to give a record with a note, never an exception."""
    changes = changes.loc[:, list(MODEL_COLUMNS)].astype({"change": float})
    k, n = changes["site_id"].nunique(), len(changes)
    sizes = {"k_sites": k, "n_participants": n}
    if n == 0:
        return _result(note=NOTE_NO_PARTICIPANTS, **sizes)
    y = changes["change"].to_numpy()
    if n == 1:
        return _result(float(y[0]), note=NOTE_ONE_PARTICIPANT, **sizes)
    if np.ptp(y) == 0:
        return _result(
            float(y[0]),
            between_site_variance=0.0,
            residual_variance=0.0,
            note=NOTE_CONSTANT,
            **sizes,
        )
    if k == 1:
        return _one_mean(changes, level, note=NOTE_ONE_SITE, **sizes)
    if n == k:
        return _one_mean(changes, level, note=NOTE_NO_REPLICATION, **sizes)
    total = float(np.sum((y - y.mean()) ** 2))
    if _within_site_sum_of_squares(changes) <= NO_WITHIN_SITE_VARIATION * total:
        return _result(note=NOTE_NO_WITHIN, **sizes)
    if reml_slope_at_zero(changes) >= 0:
        return _one_mean(changes, level, between_site_variance=0.0, note=NOTE_BOUNDARY, **sizes)
    try:
        return _reml_fit(changes, level, max_iterations, **sizes)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as error:
        return _result(
            converged=False, note=f"the mixed model could not be fitted: {error}", **sizes
        )


IPD_COLUMNS = (
    "role",
    "outcome",
    "model",
    *MIXED_MODEL_KEYS[:-1],
    "two_stage_estimate",
    "two_stage_se",
    "two_stage_ci_low",
    "two_stage_ci_high",
    "two_stage_k",
    "difference",
    "sites_not_in_model",
    "note",
)
ONE_STAGE = "linear mixed model of the change, random site intercept, REML"


def two_stage_same_sites(changes: pd.DataFrame, level: float) -> dict[str, Any]:
    """The two-stage MD estimate (REML, z) over the very sites and pairs of the one-stage
    model, so the two can be compared like with like."""
    groups = changes.groupby("site_id", sort=False)["change"]
    stats_by_site = groups.agg(["mean", "var", "count"]).dropna()
    stats_by_site = stats_by_site[(stats_by_site["count"] >= 2) & (stats_by_site["var"] > 0)]
    if stats_by_site.empty:
        return {}
    result = meta_analysis(
        stats_by_site["mean"].to_numpy(float),
        (stats_by_site["var"] / stats_by_site["count"]).to_numpy(float),
        "REML",
        "z",
        level,
    )
    return {
        "two_stage_estimate": result.estimate,
        "two_stage_se": result.se,
        "two_stage_ci_low": result.ci_low,
        "two_stage_ci_high": result.ci_high,
        "two_stage_k": result.k,
    }


def ipd_table(
    changes: pd.DataFrame,
    instrument: Instrument,
    not_in_model: Mapping[str, str],
    level: float = 0.95,
) -> pd.DataFrame:
    """The one-stage model per role × outcome beside the two-stage MD estimate (REML, z) of
    the same sites, so that their agreement shows; ``not_in_model`` names the sites
    (summary-only or excluded) that cannot enter, and why."""
    left_out = "; ".join(f"{site}: {why}" for site, why in not_in_model.items())
    # Sums over sites run in row order, so the rows come in one order, by site id: the
    # workflow gathers them shard by shard, and the shard count must not move the last
    # digits of the estimates.
    changes = changes.sort_values("site_id", kind="stable", ignore_index=True)
    records = []
    for role in instrument.roles:
        for outcome in instrument.outcomes:
            chosen = change_scores(changes, role, outcome)
            fit = mixed_model(chosen, level)
            record = {"role": role, "outcome": outcome, "model": ONE_STAGE, **fit}
            record["converged"] = "yes" if fit["converged"] else "no"
            record.update(two_stage_same_sites(chosen, level))
            if fit["estimate"] is not None and "two_stage_estimate" in record:
                record["difference"] = fit["estimate"] - record["two_stage_estimate"]
            record["sites_not_in_model"] = left_out
            records.append(record)
    text = ("role", "outcome", "model", "converged", "sites_not_in_model", "note")
    return typed_frame(records, IPD_COLUMNS, text, ("k_sites", "n_participants", "two_stage_k"))
