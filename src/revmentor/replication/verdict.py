"""The verdict per role × outcome, from the criteria (docs/codebook.md, "The verdict").

Where the original reported a change (an estimate or medians):

- ``not replicated`` when the replication points away from it: significant in the opposite
  direction; small telescopes rule out d33; the pooled change is shown equivalent to no
  change (TOST); or it is not significant and p_orig < α (the original is not compatible
  with the replication distribution).
- ``replicated`` when significance, the sceptical p and p_orig all succeed and the original
  lies inside the prediction interval (or k < 3, where there is none).
- ``inconclusive`` otherwise.

Where the original reported no significant change (``reported_not_significant``):

- ``replicated`` when the TOST shows equivalence to no change within ± SESOI;
- ``contradicted`` when the pooled MD is significant at α and beyond ± SESOI;
- ``inconclusive`` otherwise.

``not assessed``: the original study reported nothing on the outcome, or no site could be
pooled.

``verdict_reason`` names every criterion that decided it, with its number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from revmentor.replication.criteria import NO, YES, Criterion, Question, number, p_is

REPLICATED, NOT_REPLICATED, INCONCLUSIVE, CONTRADICTED, NOT_ASSESSED = (
    "replicated",
    "not replicated",
    "inconclusive",
    "contradicted",
    "not assessed",
)
VERDICTS = (REPLICATED, NOT_REPLICATED, CONTRADICTED, INCONCLUSIVE, NOT_ASSESSED)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def _said(criterion: Criterion) -> str:
    return f"{criterion.name}: {criterion.reason}"


def _joined(criteria: list[Criterion]) -> str:
    return "; ".join(_said(criterion) for criterion in criteria)


def verdict(question: Question, found: Mapping[str, Criterion]) -> Verdict:
    original = question.original
    if original is None:
        return Verdict(NOT_ASSESSED, "the original study reported nothing on this outcome")
    if (question.md if original.not_significant else question.primary) is None:
        return Verdict(NOT_ASSESSED, "no site could be pooled")
    if original.not_significant:
        return _null_original(question, found["equivalence"])
    if original.change is None:
        return Verdict(INCONCLUSIVE, found["significance"].reason)
    return _effect_original(question, found)


def _null_original(question: Question, equivalence: Criterion) -> Verdict:
    pooled, sesoi, alpha = question.md, question.sesoi, question.alpha
    if equivalence.success == YES:
        return Verdict(
            REPLICATED,
            f"as the original found no significant change: {_said(equivalence)}",
        )
    if not equivalence.success:
        return Verdict(INCONCLUSIVE, _said(equivalence))
    assert pooled is not None and sesoi is not None
    significant = pooled.p is not None and pooled.p < alpha
    beyond = abs(pooled.estimate) > sesoi
    change = (
        f"the pooled change {number(pooled.estimate)} "
        f"({'p undefined' if pooled.p is None else p_is(pooled.p)}) is "
        f"{'' if significant else 'not '}significant at alpha {alpha:g} and "
        f"{'beyond' if beyond else 'within'} +/-{number(sesoi)} scale points"
    )
    if significant and beyond:
        return Verdict(
            CONTRADICTED,
            f"the original found no significant change, but {change}; {_said(equivalence)}",
        )
    return Verdict(INCONCLUSIVE, f"{change}; {_said(equivalence)}")


def _effect_original(question: Question, found: Mapping[str, Criterion]) -> Verdict:
    significance = found["significance"]
    against = [
        found[name] for name in ("small_telescopes", "equivalence") if found[name].success == NO
    ]
    pooled = question.primary
    assert pooled is not None
    opposite = significance.success == NO and pooled.p is not None and pooled.p < question.alpha
    if opposite:
        against.insert(0, significance)
    elif significance.success == NO and found["p_orig"].success == NO:
        against += [significance, found["p_orig"]]
    if against:
        return Verdict(NOT_REPLICATED, _joined(against))
    needed = [found[name] for name in ("significance", "sceptical_p", "p_orig")]
    interval = found["prediction_interval"]
    if all(criterion.success == YES for criterion in needed) and interval.success != NO:
        return Verdict(REPLICATED, _joined([*needed, interval]))
    return Verdict(
        INCONCLUSIVE,
        _joined([criterion for criterion in (*needed, interval) if criterion.success != YES]),
    )
