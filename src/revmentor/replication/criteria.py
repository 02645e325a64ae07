"""The replication criteria, each a plain function of the original and the pooled result.

Each answers its own question (docs/codebook.md, "Replication criteria"):

- ``significance``: is the pooled estimate significant at α in the original's direction?
  (Open Science Collaboration 2015; Many Labs)
- ``prediction_interval``: does the original lie inside the prediction interval for a new
  study, μ̂ ± t(k − 2)·√(τ̂² + se² + se_o²)? (Patil, Peng & Leek 2016; metafor's
  ``predict(newvi = se_o²)``, Riley's df; k ≥ 3)
- ``sceptical_p``: Held's golden one-sided sceptical p ≤ α/2? (Held 2020)
- ``p_orig``: could the original have come from the replication distribution?
  2·(1 − Φ(|y_o − μ̂| / √(τ̂² + se_o² + se²))) ≥ α (Mathur & VanderWeele 2020)
- ``small_telescopes``: does the replication rule out d33, the effect the original had 33%
  power to detect? The upper 90% limit of the pooled SMCC, turned to the original's
  direction, below d33 means no (Simonsohn 2015).
- ``equivalence``: TOST of the pooled MD against ± the smallest effect size of interest.

A criterion that cannot be computed has no success and says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from revmentor.core.scipy_distributions import normal_sf, t_ppf
from revmentor.replication.original import Original
from revmentor.replication.pooled import Pooled
from revmentor.replication.sceptical import sceptical_p_golden
from revmentor.stats.power import (
    SMALL_TELESCOPES_ALPHA,
    SMALL_TELESCOPES_POWER,
    detectable_effect,
)

YES, NO, NOT_ASSESSED = "yes", "no", ""
CRITERIA = (
    "significance",
    "prediction_interval",
    "sceptical_p",
    "p_orig",
    "small_telescopes",
    "equivalence",
)
SMALL_TELESCOPES_LEVEL = 0.90
SCALE_POINTS = "MD"


@dataclass(frozen=True)
class Criterion:
    name: str
    value: float | None
    threshold: float | None
    success: str
    reason: str


@dataclass(frozen=True)
class Question:
    """Everything the criteria of one role × outcome read."""

    original: Original | None
    primary: Pooled | None
    md: Pooled | None
    smcc: Pooled | None
    alpha: float
    sesoi: float | None
    level: float = 0.95


def number(value: float) -> str:
    """A number for a sentence: three significant digits."""
    return f"{value:.3g}"


def p_is(value: float, name: str = "p") -> str:
    """'p = 0.0042', or 'p < 0.0001' below that."""
    return f"{name} < 0.0001" if value < 1e-4 else f"{name} = {value:.2g}"


def _missing(name: str, reason: str) -> Criterion:
    return Criterion(name, None, None, NOT_ASSESSED, reason)


def _no_original_estimate(question: Question) -> str | None:
    """Why the criteria that compare with the original's estimate cannot run, or None."""
    original = question.original
    if original is None:
        return "the original study reported nothing on this outcome"
    if original.not_significant:
        return "the original reported no significant change here, without an estimate"
    if original.change is None:
        return "the original study gave no estimate (medians or estimate) for this outcome"
    if original.change == 0:
        return "the original change is 0, so it has no direction to replicate"
    return None


def _primary_problem(question: Question) -> str | None:
    if question.primary is None:
        return "no site could be pooled"
    if question.primary.measure != SCALE_POINTS:
        return (
            f"the original change is in scale points (MD) and the primary analysis is "
            f"{question.primary.measure}"
        )
    return None


def _spread_problem(question: Question) -> str | None:
    original = question.original
    if original is not None and original.standard_error is None:
        if original.p is not None:
            return (
                f"the original p {original.p:g} gives z_o = 0, so its standard error cannot be "
                "derived (give se)"
            )
        return "the original gave neither a p nor an se, so its standard error is not known"
    if question.primary is not None and not question.primary.se > 0:
        return "the pooled se is 0 (every site has the same estimate)"
    return None


def _comparison(question: Question) -> tuple[Pooled, Original] | str:
    """The pooled result and the original, for the criteria that set the original's estimate
    and standard error against the replication's; or why they cannot be compared."""
    why = _no_original_estimate(question) or _primary_problem(question) or _spread_problem(question)
    if why:
        return why
    assert question.primary is not None and question.original is not None
    return question.primary, question.original


def _direction(change: float) -> str:
    return "an increase" if change > 0 else "a decrease"


def significance(question: Question) -> Criterion:
    name = "significance"
    why = _no_original_estimate(question) or _primary_problem(question)
    if why:
        return _missing(name, why)
    pooled, change = question.primary, question.original.change
    assert pooled is not None and change is not None
    if pooled.p is None:
        return _missing(name, "the pooled p is undefined (every site's estimate is 0)")
    same = math.copysign(1, pooled.estimate) == math.copysign(1, change) and pooled.estimate != 0
    significant = pooled.p < question.alpha
    direction = "in" if same else "against"
    return Criterion(
        name,
        pooled.p,
        question.alpha,
        YES if same and significant else NO,
        f"the pooled change {number(pooled.estimate)} ({p_is(pooled.p)}) is "
        f"{'' if significant else 'not '}significant at alpha {question.alpha:g} and points "
        f"{direction} the original's direction ({_direction(change)} of {number(abs(change))})",
    )


def prediction_interval(question: Question) -> Criterion:
    name = "prediction_interval"
    compared = _comparison(question)
    if isinstance(compared, str):
        return _missing(name, compared)
    pooled, original = compared
    if pooled.k < 3:
        return _missing(
            name, f"k = {pooled.k}: a prediction interval needs 3 or more sites (t with k - 2 df)"
        )
    change, se_o = original.change, original.standard_error
    assert change is not None and se_o is not None
    spread = math.sqrt(pooled.tau2 + pooled.se**2 + se_o**2)
    critical = float(t_ppf(0.5 + question.level / 2, pooled.k - 2))
    distance = abs(change - pooled.estimate) / spread
    low, high = pooled.estimate - critical * spread, pooled.estimate + critical * spread
    inside = distance <= critical
    return Criterion(
        name,
        distance,
        critical,
        YES if inside else NO,
        f"the original change {number(change)} lies {'inside' if inside else 'outside'} the "
        f"{question.level:.0%} prediction interval for a new study of the original's "
        f"precision, {number(low)} to {number(high)}",
    )


def sceptical_p(question: Question) -> Criterion:
    name = "sceptical_p"
    compared = _comparison(question)
    if isinstance(compared, str):
        return _missing(name, compared)
    pooled, original = compared
    z_o, se_o = original.z, original.standard_error
    assert z_o is not None and se_o is not None
    z_r = pooled.estimate / pooled.se
    ratio = se_o**2 / pooled.se**2
    value = sceptical_p_golden(z_o, z_r, ratio)
    threshold = question.alpha / 2
    success = value <= threshold
    return Criterion(
        name,
        value,
        threshold,
        YES if success else NO,
        f"the sceptical {p_is(value)} (golden, one-sided; z_o {number(z_o)}, z_r "
        f"{number(z_r)}, variance ratio c {number(ratio)}) is "
        f"{'at or below' if success else 'above'} alpha/2 = {threshold:g}"
        + (
            ""
            if success
            else "; the golden level asks more of a replication the weaker the original evidence"
        ),
    )


def p_orig(question: Question) -> Criterion:
    name = "p_orig"
    compared = _comparison(question)
    if isinstance(compared, str):
        return _missing(name, compared)
    pooled, original = compared
    change, se_o = original.change, original.standard_error
    assert change is not None and se_o is not None
    spread = math.sqrt(pooled.tau2 + se_o**2 + pooled.se**2)
    value = float(2 * normal_sf(abs(change - pooled.estimate) / spread))
    success = value >= question.alpha
    return Criterion(
        name,
        value,
        question.alpha,
        YES if success else NO,
        f"{p_is(value, 'P_orig')}, the probability of an original at least as far from the "
        f"pooled {number(pooled.estimate)} as {number(change)} if it came from the "
        f"replication distribution, is {'at or above' if success else 'below'} alpha "
        f"{question.alpha:g}",
    )


def small_telescopes(question: Question) -> Criterion:
    name = "small_telescopes"
    why = _no_original_estimate(question)
    if why:
        return _missing(name, why)
    original, smcc = question.original, question.smcc
    assert original is not None and original.change is not None
    n_o = original.pairs
    if n_o is None or n_o < 2:
        return _missing(
            name, "the original's number of pairs is not known (give n, or participants)"
        )
    if smcc is None:
        return _missing(name, "no site could enter the standardised mean change (SMCC)")
    threshold = detectable_effect(n_o, SMALL_TELESCOPES_POWER, SMALL_TELESCOPES_ALPHA)
    oriented = math.copysign(1, original.change) * smcc.estimate
    value = oriented + smcc.critical(SMALL_TELESCOPES_LEVEL) * smcc.se
    ruled_out = value < threshold
    return Criterion(
        name,
        value,
        threshold,
        NO if ruled_out else YES,
        f"the upper 90% limit of the pooled standardised change in the original's direction, "
        f"{number(value)}, is {'below' if ruled_out else 'at or above'} d33 = "
        f"{number(threshold)}, the effect the original ({n_o} pairs) had 33% power to detect",
    )


def equivalence(question: Question) -> Criterion:
    """TOST of the pooled MD against ± SESOI. For an outcome the original found null,
    equivalence is success; where the original found a change, equivalence to no change
    is failure (the replication rules out any change that matters)."""
    name = "equivalence"
    original, pooled, sesoi = question.original, question.md, question.sesoi
    if original is None:
        return _missing(name, "the original study reported nothing on this outcome")
    if pooled is None:
        return _missing(name, "no site could be pooled on the mean change (MD)")
    if sesoi is None:
        return _missing(name, "no smallest effect size of interest (replication.sesoi)")
    if not pooled.se > 0:
        return _missing(name, "the pooled se is 0 (every site has the same estimate)")
    p_lower = pooled.tail((pooled.estimate + sesoi) / pooled.se)
    p_upper = pooled.tail(-(pooled.estimate - sesoi) / pooled.se)
    value = max(p_lower, p_upper)
    equivalent = value < question.alpha
    success = equivalent if original.not_significant else not equivalent
    test = (
        f"the pooled change {number(pooled.estimate)} is "
        f"{'' if equivalent else 'not shown '}equivalent to no change within +/-"
        f"{number(sesoi)} scale points ({p_is(value, 'TOST p')}, "
        f"{'below' if equivalent else 'not below'} alpha {question.alpha:g})"
    )
    if original.not_significant:
        meaning = (
            "no change, as the original found"
            if equivalent
            else "so the absence of a change that the original found is not shown"
        )
    else:
        meaning = (
            "so the replication rules out any change that matters, against the original"
            if equivalent
            else "so it does not rule out a change that matters, as the original found"
        )
    return Criterion(name, value, question.alpha, YES if success else NO, f"{test}: {meaning}")


def criteria(question: Question) -> tuple[Criterion, ...]:
    """Every criterion of one role × outcome, in the order of :data:`CRITERIA`."""
    return (
        significance(question),
        prediction_interval(question),
        sceptical_p(question),
        p_orig(question),
        small_telescopes(question),
        equivalence(question),
    )
