"""Two-stage meta-analysis of per-site effects, as metafor's ``rma()`` defines it.

Estimators: ``FE`` (inverse-variance common effect), ``DL`` (DerSimonian–Laird, τ²
truncated at 0), ``REML`` (Fisher scoring, as metafor, iterated to a tight threshold) and
``PM`` (Paule–Mandel: the generalised Q equals k − 1). Tests: ``z``; ``hksj``
(Knapp–Hartung: t with k − 1 df, the variance scaled by the weighted residual mean square
s²w without truncation, as metafor's ``test="knha"``); and ``adhoc`` (the same with s²w
raised to at least 1, so never narrower than the z test's variance: metafor's
``test="adhoc"``). As in metafor, a weighted residual sum of squares at or below the machine
epsilon (every site has the same estimate) makes s²w exactly 0.

Heterogeneity as metafor reports it: Q, its df and p from the common-effect weights; for
random-effects fits I² = 100·τ²/(τ² + ṽ) and H² = (τ² + ṽ)/ṽ with the "typical"
within-site variance ṽ = (k − 1)·Σw/((Σw)² − Σw²), w = 1/v; for FE, I² = 100·(Q − df)/Q
(at least 0) and H² = Q/df. The τ² CI is the Q-profile interval (Viechtbauer 2007,
metafor's ``confint()``), for k ≥ 3. The 95% prediction interval is
estimate ± t(k − 2)·√(τ² + se²) (Higgins, Thompson & Spiegelhalter 2009; metafor's
``predict(pi.type="riley")``), for k ≥ 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from revmentor.core.scipy_distributions import chi2_ppf, chi2_sf, normal_ppf, normal_sf, t_ppf, t_sf

METHODS = ("FE", "DL", "REML", "PM")
TESTS = ("z", "hksj", "adhoc")
KNAPP_HARTUNG_TESTS = ("hksj", "adhoc")
# metafor's rma.uni (3.8-1) takes a weighted residual sum of squares <= .Machine$double.eps
# as exactly 0 (all sites share one estimate): rounding would otherwise leave a scale factor
# of ~1e-32 and an arbitrary, huge t statistic.
RSS_ZERO_THRESHOLD = float(np.finfo(float).eps)
KNAPP_HARTUNG_NEEDS_TWO_SITES = "k = 1: Knapp-Hartung needs two sites, so the z test is reported"
IDENTICAL_ESTIMATES_NOTE = (
    "every site has the same estimate: the Knapp-Hartung scale factor is 0 "
    "(weighted residual sum of squares <= machine epsilon, as metafor), so se = 0 and the "
    "t statistic (estimate / 0) is left empty"
)
REML_THRESHOLD = 1e-12
REML_MAX_ITERATIONS = 1000
ROOT_TOLERANCE = 1e-14


@dataclass(frozen=True)
class Heterogeneity:
    tau2: float
    converged: bool = True
    note: str = ""


@dataclass(frozen=True)
class MetaResult:
    method: str
    test: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    stat: float | None
    p: float | None
    tau2: float
    tau2_ci_low: float | None
    tau2_ci_high: float | None
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float | None
    pi_high: float | None
    weights: np.ndarray
    notes: tuple[str, ...] = field(default=())


def q_statistic(y: np.ndarray, v: np.ndarray, tau2: float = 0.0) -> float:
    """The (generalised) Q: Σ w_i (y_i − μ̂)², w_i = 1/(v_i + τ²)."""
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def dersimonian_laird(y: np.ndarray, v: np.ndarray) -> Heterogeneity:
    w = 1 / v
    k = len(y)
    q = q_statistic(y, v)
    scale = np.sum(w) - np.sum(w**2) / np.sum(w)
    untruncated = (q - (k - 1)) / scale if scale > 0 else 0.0
    return Heterogeneity(max(0.0, float(untruncated)))


def _reml_step(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """One Fisher-scoring step for the REML τ² (metafor's rma.uni)."""
    w = 1 / (v + tau2)
    sw = np.sum(w)
    mu = np.sum(w * y) / sw
    residual = y - mu
    # P = W − w wᵀ / Σw; yᵀPPy and tr(P), tr(PP) without forming the matrix.
    py = w * residual
    trace_p = sw - np.sum(w**2) / sw
    trace_pp = np.sum(w**2) - 2 * np.sum(w**3) / sw + (np.sum(w**2) / sw) ** 2
    return float((np.sum(py**2) - trace_p) / trace_pp)


def fisher_scoring(step: Callable[[float], float], start: float) -> Heterogeneity:
    """REML τ² by metafor's Fisher scoring from ``start``: a step that would leave [0, ∞) is
    halved (down to the threshold, then the iterate goes to exactly 0); stop when a step is
    under REML_THRESHOLD. ``step(τ²)`` is (yᵀPPy − tr P)/tr(PP) at τ²."""
    tau2 = start
    for _ in range(REML_MAX_ITERATIONS):
        change = step(tau2)
        while tau2 + change < 0:
            change /= 2
            if abs(change) < REML_THRESHOLD:
                change = -tau2
                break
        tau2 += change
        if abs(change) < REML_THRESHOLD:
            return Heterogeneity(max(0.0, tau2))
    return Heterogeneity(
        max(0.0, tau2),
        converged=False,
        note=f"REML did not converge in {REML_MAX_ITERATIONS} Fisher-scoring steps",
    )


def restricted_ml(y: np.ndarray, v: np.ndarray) -> Heterogeneity:
    if len(y) < 2:
        return Heterogeneity(0.0)
    return fisher_scoring(lambda tau2: _reml_step(y, v, tau2), dersimonian_laird(y, v).tau2)


def _upper_search_bound(y: np.ndarray, v: np.ndarray) -> float:
    return max(100.0, 10 * float(np.var(y, ddof=0)) + 10 * float(np.max(v)))


def _solve_q(y: np.ndarray, v: np.ndarray, target: float) -> float | None:
    """The τ² ≥ 0 at which the generalised Q equals ``target`` (Q falls as τ² grows)."""
    if q_statistic(y, v, 0.0) <= target:
        return None
    upper = _upper_search_bound(y, v)
    while q_statistic(y, v, upper) > target:
        upper *= 10
    return float(
        optimize.brentq(
            lambda t: q_statistic(y, v, t) - target,
            0.0,
            upper,
            xtol=ROOT_TOLERANCE,
            rtol=8.9e-16,
            maxiter=1000,
        )
    )


def paule_mandel(y: np.ndarray, v: np.ndarray) -> Heterogeneity:
    if len(y) < 2:
        return Heterogeneity(0.0)
    root = _solve_q(y, v, len(y) - 1)
    return Heterogeneity(0.0 if root is None else root)


def heterogeneity(method: str, y: np.ndarray, v: np.ndarray) -> Heterogeneity:
    if method == "FE":
        return Heterogeneity(0.0)
    if method == "DL":
        return dersimonian_laird(y, v) if len(y) > 1 else Heterogeneity(0.0)
    if method == "REML":
        return restricted_ml(y, v)
    if method == "PM":
        return paule_mandel(y, v)
    raise ValueError(f"unknown method {method!r}")


def tau2_profile_interval(y: np.ndarray, v: np.ndarray, level: float = 0.95):
    """Q-profile CI for τ²: Q(τ²) at the upper and lower χ²(k − 1) quantiles."""
    df = len(y) - 1
    lower = _solve_q(y, v, chi2_ppf(0.5 + level / 2, df))
    upper = _solve_q(y, v, chi2_ppf(0.5 - level / 2, df))
    return (0.0 if lower is None else lower), (0.0 if upper is None else upper)


def typical_variance(v: np.ndarray) -> float:
    w = 1 / v
    k = len(v)
    return float((k - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2)))


def _i2_h2(method: str, q: float, df: int, tau2: float, v: np.ndarray) -> tuple[float, float]:
    if df < 1:
        return 0.0, 1.0
    if method == "FE":
        return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0, q / df
    vt = typical_variance(v)
    return 100 * tau2 / (tau2 + vt), (tau2 + vt) / vt


def knapp_hartung_scale(residual_sum_of_squares: float, k: int, test: str) -> float:
    """s²w = RSS/(k − 1), 0 when RSS <= machine epsilon; ``adhoc`` raises it to at least 1."""
    scale = (
        0.0 if residual_sum_of_squares <= RSS_ZERO_THRESHOLD else residual_sum_of_squares / (k - 1)
    )
    return max(1.0, scale) if test == "adhoc" else scale


def zero_se_p(estimate: float) -> float | None:
    """p of a test whose se is 0 (metafor: estimate/0 = ±inf gives p = 0; 0/0 gives NaN)."""
    return 0.0 if estimate != 0 else None


def zero_se_note(estimate: float) -> str:
    if estimate != 0:
        return IDENTICAL_ESTIMATES_NOTE + "; p = 0"
    return (
        IDENTICAL_ESTIMATES_NOTE + "; the estimate is 0 too, so p (0/0) is undefined and left empty"
    )


def meta_analysis(
    y: np.ndarray, v: np.ndarray, method: str = "REML", test: str = "z", level: float = 0.95
) -> MetaResult:
    """Pool effects ``y`` with sampling variances ``v`` (all finite, v > 0)."""
    return meta_analyses(y, v, [(method, test)], level)[method, test]


def meta_analyses(
    y: np.ndarray, v: np.ndarray, analyses: Iterable[tuple[str, str]], level: float = 0.95
) -> dict[tuple[str, str], MetaResult]:
    """:func:`meta_analysis` for each (method, test) of the same sites. τ² is fitted once per
    method and the Q-profile τ² interval once in all (it depends on neither)."""
    analyses = list(analyses)
    for _, test in analyses:
        if test not in TESTS:
            raise ValueError(f"unknown test {test!r}: use one of {', '.join(TESTS)}")
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    fits = {method: heterogeneity(method, y, v) for method, _ in analyses}
    random_effects = len(y) >= 3 and any(method != "FE" for method in fits)
    tau2_ci = tau2_profile_interval(y, v, level) if random_effects else (None, None)
    return {
        (method, test): _result(y, v, method, test, level, fits[method], tau2_ci)
        for method, test in analyses
    }


def _result(
    y: np.ndarray,
    v: np.ndarray,
    method: str,
    test: str,
    level: float,
    fit: Heterogeneity,
    profile_interval: tuple[float | None, float | None],
) -> MetaResult:
    k = len(y)
    w = 1 / (v + fit.tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    se = math.sqrt(1 / np.sum(w))
    notes = [fit.note] if fit.note else []
    use_t = test in KNAPP_HARTUNG_TESTS and k > 1
    if test in KNAPP_HARTUNG_TESTS and k == 1:
        notes.append(KNAPP_HARTUNG_NEEDS_TWO_SITES)
    if use_t:
        residual = float(np.sum(w * (y - estimate) ** 2))
        se *= math.sqrt(knapp_hartung_scale(residual, k, test))
        critical = t_ppf(0.5 + level / 2, k - 1)
    else:
        critical = normal_ppf(0.5 + level / 2)
    stat: float | None
    p: float | None
    if se > 0:
        stat = estimate / se
        p = float(2 * (t_sf(abs(stat), k - 1) if use_t else normal_sf(abs(stat))))
        p = min(1.0, p)
    else:
        stat, p = None, zero_se_p(estimate)
        notes.append(zero_se_note(estimate))
    q = q_statistic(y, v)
    i2, h2 = _i2_h2(method, q, k - 1, fit.tau2, v)
    tau2_ci = profile_interval if k >= 3 and method != "FE" else (None, None)
    pi = None
    if k >= 3:
        half = t_ppf(0.5 + level / 2, k - 2) * math.sqrt(fit.tau2 + se**2)
        pi = (estimate - half, estimate + half)
    return MetaResult(
        method=method,
        test=test,
        k=k,
        estimate=estimate,
        se=se,
        ci_low=estimate - critical * se,
        ci_high=estimate + critical * se,
        stat=stat,
        p=p,
        tau2=fit.tau2,
        tau2_ci_low=tau2_ci[0],
        tau2_ci_high=tau2_ci[1],
        i2=i2,
        h2=h2,
        q=q,
        q_df=k - 1,
        q_p=float(chi2_sf(q, k - 1)) if k > 1 else 1.0,
        pi_low=pi and pi[0],
        pi_high=pi and pi[1],
        weights=100 * w / np.sum(w),
        notes=tuple(notes),
    )
