"""Meta-regression on one site-level moderator and subgroup analyses, as metafor defines them.

``meta_regression`` equals ``rma(yi, vi, mods = ~ moderator, method, test)``: weighted least
squares with weights 1/(vᵢ + τ²), τ² from the residuals (FE: 0; DL: the method of moments
on the residual Q; REML: Fisher scoring as metafor, to a tight threshold; PM: the generalised
residual Q equals k − p). With ``hksj`` (metafor's ``test="knha"``) the covariance is scaled
by s²w = RSS/(k − p) (0 when RSS <= machine epsilon, as metafor), terms use t(k − p) and the
omnibus test is F = QM/m on (m, k − p) df. Residual heterogeneity QE uses the FE weights;
I² = 100·τ²/(τ² + ṽ) with ṽ = (k − p)/tr(P) at τ² = 0 (FE: 100·(QE − df)/QE); R² is
metafor's pseudo-R², 100·(τ²₀ − τ²)/τ²₀ against the intercept-only fit's τ²₀, 0 where τ²₀
is 0 or the value would be negative, and empty for FE.

Every trace and quadratic form uses the k × p design, never a k × k matrix, so a fit over
1,000 sites is a few vector operations per step.

``subgroup_analysis`` fits each level separately (its own τ²) with
:func:`revmentor.pooling.meta.meta_analysis`, and tests the differences between the level
estimates with the Wald test of ``rma(estimates, sei = se, mods = ~ level, method = "FE")``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from revmentor.core.moderators import Moderator, ModeratorValue
from revmentor.core.scipy_distributions import chi2_sf, f_sf, normal_ppf, normal_sf, t_ppf, t_sf
from revmentor.pooling.meta import (
    KNAPP_HARTUNG_TESTS,
    ROOT_TOLERANCE,
    RSS_ZERO_THRESHOLD,
    fisher_scoring,
    heterogeneity,
    meta_analysis,
)

INTERCEPT = "intrcpt"


@dataclass(frozen=True)
class Term:
    name: str
    estimate: float | None = None
    se: float | None = None
    stat: float | None = None
    p: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class RegressionFit:
    """One meta-regression. Numbers are ``None`` where the model cannot be fitted (see notes)."""

    method: str
    test: str
    k: int
    terms: tuple[Term, ...]
    qm: float | None = None
    qm_df1: int | None = None
    qm_df2: int | None = None
    qm_p: float | None = None
    qe: float | None = None
    qe_df: int | None = None
    qe_p: float | None = None
    tau2: float | None = None
    i2: float | None = None
    r2: float | None = None
    coefficients: np.ndarray | None = None
    covariance: np.ndarray | None = None
    critical: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def fitted(self) -> bool:
        return self.coefficients is not None


def design(
    moderator: Moderator, values: Sequence[ModeratorValue]
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """(X, term names, notes) for sites with known ``values``: an intercept, then the numeric
    moderator, or one indicator per non-reference level. A declared level no site has is
    left out, and the reference is then the first declared level that some site has (as
    R's ``droplevels``)."""
    k = len(values)
    if not moderator.is_categorical:
        x = np.array([float(value) for value in values], dtype=float)  # type: ignore[arg-type]
        return np.column_stack([np.ones(k), x]), (INTERCEPT, moderator.id), ()
    present = [level for level in moderator.levels if level in set(values)]
    notes = []
    absent = [level for level in moderator.levels if level not in present]
    if absent and present:
        notes.append(f"no site has {moderator.id} = {', '.join(absent)}: left out")
    if present and present[0] != moderator.levels[0]:
        notes.append(f"reference level is {present[0]}, the first declared level that sites have")
    columns = [np.ones(k)] + [
        np.array([value == level for value in values], dtype=float) for level in present[1:]
    ]
    names = (INTERCEPT, *(f"{moderator.id}:{level}" for level in present[1:]))
    return np.column_stack(columns), names, tuple(notes)


@dataclass(frozen=True)
class _Weighted:
    """The weighted least-squares fit at one τ², with the traces REML and DL need."""

    w: np.ndarray
    inverse: np.ndarray  # (X'WX)⁻¹
    coefficients: np.ndarray
    residuals: np.ndarray

    @property
    def rss(self) -> float:
        """yᵀPy = Σ wᵢ eᵢ²."""
        return float(np.sum(self.w * self.residuals**2))


def _weighted_fit(y: np.ndarray, v: np.ndarray, x: np.ndarray, tau2: float) -> _Weighted:
    w = 1 / (v + tau2)
    inverse = np.linalg.inv(x.T @ (w[:, None] * x))
    coefficients = inverse @ (x.T @ (w * y))
    return _Weighted(w, inverse, coefficients, y - x @ coefficients)


def _moment(x: np.ndarray, w: np.ndarray, power: int) -> np.ndarray:
    """XᵀWᵖX."""
    return x.T @ ((w**power)[:, None] * x)


def _trace_p(fit: _Weighted, x: np.ndarray) -> float:
    """tr(P), P = W − WX(XᵀWX)⁻¹XᵀW."""
    return float(np.sum(fit.w) - np.trace(fit.inverse @ _moment(x, fit.w, 2)))


def _reml_step(y: np.ndarray, v: np.ndarray, x: np.ndarray, tau2: float) -> float:
    """metafor's Fisher-scoring step, (yᵀPPy − tr P)/tr(PP)."""
    fit = _weighted_fit(y, v, x, tau2)
    py = fit.w * fit.residuals
    second = fit.inverse @ _moment(x, fit.w, 2)
    trace_pp = (
        np.sum(fit.w**2)
        - 2 * np.trace(fit.inverse @ _moment(x, fit.w, 3))
        + np.trace(second @ second)
    )
    return float((np.sum(py**2) - _trace_p(fit, x)) / trace_pp)


def _residual_tau2(method: str, y: np.ndarray, v: np.ndarray, x: np.ndarray) -> tuple[float, str]:
    """(τ², note) of the residual heterogeneity."""
    k, p = x.shape
    if method == "FE":
        return 0.0, ""
    common = _weighted_fit(y, v, x, 0.0)
    dl = max(0.0, (common.rss - (k - p)) / _trace_p(common, x))
    if method == "DL":
        return dl, ""
    if method == "PM":
        target = k - p
        if common.rss <= target:
            return 0.0, ""
        upper = max(100.0, 10 * dl)
        while _weighted_fit(y, v, x, upper).rss > target:
            upper *= 10
        root = optimize.brentq(
            lambda tau2: _weighted_fit(y, v, x, tau2).rss - target,
            0.0,
            upper,
            xtol=ROOT_TOLERANCE,
            rtol=8.9e-16,
            maxiter=1000,
        )
        return float(root), ""
    if method != "REML":
        raise ValueError(f"unknown method {method!r}")
    fit = fisher_scoring(lambda tau2: _reml_step(y, v, x, tau2), dl)
    return fit.tau2, fit.note


def unfitted(method: str, test: str, k: int, names: Sequence[str], note: str) -> RegressionFit:
    return RegressionFit(method, test, k, tuple(Term(name) for name in names), notes=(note,))


def cannot_fit_note(x: np.ndarray) -> str | None:
    """Why the model cannot be fitted to this design, or ``None``."""
    k, p = x.shape
    if k == 0:
        return "k = 0: no site can enter this analysis (see excluded_sites)"
    if k < p + 1:
        coefficients = "coefficient" if p == 1 else "coefficients"
        return (
            f"k = {k}: a model with {p} {coefficients} needs at least {p + 1} sites "
            "(one more than its coefficients) to estimate the residual heterogeneity"
        )
    if np.linalg.matrix_rank(x) < p:
        return "the moderator has the same value at every site, so its effect cannot be estimated"
    return None


def meta_regression(
    y: np.ndarray,
    v: np.ndarray,
    x: np.ndarray,
    term_names: Sequence[str],
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
) -> RegressionFit:
    """``rma(y, v, mods = x[:, 1:], method, test)``; ``x`` holds the intercept column first."""
    y, v, x = (np.asarray(a, dtype=float) for a in (y, v, x))
    k, p = x.shape
    problem = cannot_fit_note(x)
    if problem:
        return unfitted(method, test, k, term_names, problem)
    tau2, note = _residual_tau2(method, y, v, x)
    notes = [note] if note else []
    fit = _weighted_fit(y, v, x, tau2)
    covariance = fit.inverse
    use_t = test in KNAPP_HARTUNG_TESTS
    residual_df = k - p
    if use_t:
        scale = 0.0 if fit.rss <= RSS_ZERO_THRESHOLD else fit.rss / residual_df
        if test == "adhoc":
            scale = max(1.0, scale)
        covariance = covariance * scale
        critical = float(t_ppf(0.5 + level / 2, residual_df))
    else:
        critical = float(normal_ppf(0.5 + level / 2))
    terms = _terms(fit.coefficients, covariance, term_names, use_t, residual_df, critical)
    qm, qm_p, moderator_df = _omnibus(fit.coefficients, covariance, use_t, residual_df)
    if moderator_df == 0:
        notes.append("only the intercept: one level has sites, so there is nothing to test")
    elif qm is None:
        notes.append(
            "every site lies on the fitted model (weighted residual sum of squares <= machine "
            "epsilon, as metafor): the Knapp-Hartung covariance is 0, so the tests are left empty"
        )
    common = _weighted_fit(y, v, x, 0.0)
    qe = common.rss
    return RegressionFit(
        method=method,
        test=test,
        k=k,
        terms=terms,
        qm=qm,
        qm_df1=moderator_df,
        qm_df2=residual_df if use_t else None,
        qm_p=qm_p,
        qe=qe,
        qe_df=residual_df,
        qe_p=float(chi2_sf(qe, residual_df)),
        tau2=tau2,
        i2=_i2(method, qe, residual_df, tau2, _trace_p(common, x)),
        r2=_pseudo_r2(method, y, v, tau2),
        coefficients=fit.coefficients,
        covariance=covariance,
        critical=critical,
        notes=tuple(notes),
    )


def _terms(
    coefficients: np.ndarray,
    covariance: np.ndarray,
    names: Sequence[str],
    use_t: bool,
    df: int,
    critical: float,
) -> tuple[Term, ...]:
    terms = []
    for index, name in enumerate(names):
        estimate = float(coefficients[index])
        se = math.sqrt(max(0.0, float(covariance[index, index])))
        stat = p = None
        if se > 0:
            stat = estimate / se
            tail = t_sf(abs(stat), df) if use_t else normal_sf(abs(stat))
            p = min(1.0, float(2 * tail))
        terms.append(
            Term(name, estimate, se, stat, p, estimate - critical * se, estimate + critical * se)
        )
    return tuple(terms)


def _omnibus(
    coefficients: np.ndarray, covariance: np.ndarray, use_t: bool, residual_df: int
) -> tuple[float | None, float | None, int]:
    """(QM, its p, m): the Wald test that every moderator coefficient is 0; F = QM/m for t."""
    moderator_df = len(coefficients) - 1
    if moderator_df == 0:
        return None, None, 0
    block = covariance[1:, 1:]
    if not np.all(np.isfinite(block)) or np.linalg.matrix_rank(block) < moderator_df:
        return None, None, moderator_df
    b = coefficients[1:]
    qm = float(b @ np.linalg.solve(block, b))
    if use_t:
        qm /= moderator_df
        return qm, float(f_sf(qm, moderator_df, residual_df)), moderator_df
    return qm, float(chi2_sf(qm, moderator_df)), moderator_df


def _i2(method: str, qe: float, df: int, tau2: float, trace_p: float) -> float:
    if method == "FE":
        return max(0.0, 100 * (qe - df) / qe) if qe > 0 else 0.0
    typical = df / trace_p
    return 100 * tau2 / (tau2 + typical)


def _pseudo_r2(method: str, y: np.ndarray, v: np.ndarray, tau2: float) -> float | None:
    if method == "FE":
        return None
    null_tau2 = heterogeneity(method, y, v).tau2
    if null_tau2 <= 0:
        return 0.0
    return max(0.0, 100 * (null_tau2 - tau2) / null_tau2)


def fitted_line(
    fit: RegressionFit, x_grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fitted, CI low, CI high) of intercept + slope·x along ``x_grid`` (a numeric
    moderator's fit), with the fit's own test: the band the bubble plot draws."""
    if fit.coefficients is None or fit.covariance is None or fit.critical is None:
        raise ValueError("the model was not fitted: " + "; ".join(fit.notes))
    grid = np.asarray(x_grid, dtype=float)
    rows = np.column_stack([np.ones(len(grid)), grid])
    fitted = rows @ fit.coefficients
    se = np.sqrt(np.maximum(0.0, np.einsum("ij,jk,ik->i", rows, fit.covariance, rows)))
    return fitted, fitted - fit.critical * se, fitted + fit.critical * se


@dataclass(frozen=True)
class Subgroup:
    level: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float | None
    tau2: float
    i2: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubgroupAnalysis:
    subgroups: tuple[Subgroup, ...]
    q_between: float | None
    q_between_df: int | None
    q_between_p: float | None
    notes: tuple[str, ...] = ()


def subgroup_analysis(
    y: np.ndarray,
    v: np.ndarray,
    site_levels: Sequence[str],
    declared_levels: Sequence[str],
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
) -> SubgroupAnalysis:
    """A separate fit per declared level that has sites (in declared order), and the Wald
    test of the differences between their estimates."""
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    labels = np.asarray(site_levels, dtype=object)
    subgroups = []
    for name in declared_levels:
        members = labels == name
        if not members.any():
            continue
        result = meta_analysis(y[members], v[members], method, test, level)
        notes = list(result.notes)
        if result.k == 1:
            notes.append("k = 1: the single site's estimate, no heterogeneity")
        subgroups.append(
            Subgroup(
                name,
                result.k,
                result.estimate,
                result.se,
                result.ci_low,
                result.ci_high,
                result.p,
                result.tau2,
                result.i2,
                tuple(notes),
            )
        )
    return SubgroupAnalysis(tuple(subgroups), *_between_levels(subgroups))


def _between_levels(
    subgroups: Sequence[Subgroup],
) -> tuple[float | None, int | None, float | None, tuple[str, ...]]:
    """QM of ``rma(estimates, sei = se, mods = ~ level, method = "FE")``: with one
    coefficient per level, the FE Q of the level estimates about their weighted mean."""
    if len(subgroups) < 2:
        return None, None, None, ("fewer than two levels have sites: no test between levels",)
    se = np.array([group.se for group in subgroups])
    if not np.all(se > 0):
        return None, None, None, ("a level's se is 0, so the test between levels is undefined",)
    estimates = np.array([group.estimate for group in subgroups])
    w = 1 / se**2
    pooled = np.sum(w * estimates) / np.sum(w)
    q = float(np.sum(w * (estimates - pooled) ** 2))
    df = len(subgroups) - 1
    return q, df, float(chi2_sf(q, df)), ()
