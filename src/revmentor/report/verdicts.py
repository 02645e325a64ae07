"""Did the consortium replicate the original study? Each rule is written out in the codebook.

The original study reported medians before and after and a p (no means or SDs), so its
change is taken as ``median_post − median_pre`` in scale points, comparable with the
pooled mean change (measure MD). On the SMCC scale the original change is not known.

1. ``significant_same_direction`` (Open Science Collaboration 2015; Many Labs): the
   pooled estimate has the original change's sign and its p is below ``alpha``.
2. ``original_in_prediction_interval`` (Patil, Peng & Leek 2016): the original change lies
   inside the pooled 95% prediction interval (needs k ≥ 3).
3. ``verdict``:
   - ``replicated``: rule 1 holds, and rule 2 holds or cannot be assessed (k < 3);
   - ``not replicated``: a significant pooled change in the opposite direction, or no
     significant change while the pooled CI excludes the original change;
   - ``inconclusive``: anything else, including outcomes for which the original study
     reported no estimate. ``verdict_reason`` says which case applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

YES, NO, NOT_ASSESSED = "yes", "no", ""


@dataclass(frozen=True)
class OriginalResult:
    median_pre: float | None
    median_post: float | None
    p: float | None
    not_significant: bool = False

    @property
    def change(self) -> float | None:
        if self.median_pre is None or self.median_post is None:
            return None
        return self.median_post - self.median_pre


def original_results(original_study: Mapping[str, Any]) -> dict[tuple[str, str], OriginalResult]:
    """Reported figures, and outcomes reported as not significant (without figures)."""
    results = {
        (entry["role"], entry["outcome"]): OriginalResult(None, None, None, not_significant=True)
        for entry in original_study.get("reported_not_significant", [])
    }
    results.update(
        {
            (entry["role"], entry["outcome"]): OriginalResult(
                entry.get("median_pre"), entry.get("median_post"), entry.get("p")
            )
            for entry in original_study.get("reported", [])
        }
    )
    return results


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def significant_same_direction(
    change: float | None, pooled: Mapping[str, Any], alpha: float
) -> str:
    if change is None or change == 0 or not _present(pooled.get("p")):
        return NOT_ASSESSED
    same = np.sign(pooled["estimate"]) == np.sign(change)
    return YES if same and pooled["p"] < alpha else NO


def inside_prediction_interval(change: float | None, pooled: Mapping[str, Any]) -> str:
    if change is None or not _present(pooled.get("pi_low")):
        return NOT_ASSESSED
    return YES if pooled["pi_low"] <= change <= pooled["pi_high"] else NO


def verdict(
    original: OriginalResult | None, pooled: Mapping[str, Any], alpha: float, measure: str
) -> dict[str, str]:
    change = original.change if original is not None and measure == "MD" else None
    significant = significant_same_direction(change, pooled, alpha)
    in_pi = inside_prediction_interval(change, pooled)
    result = {"significant_same_direction": significant, "original_in_prediction_interval": in_pi}
    return {**result, **_overall(change, pooled, alpha, significant, in_pi, original, measure)}


def _overall(change, pooled, alpha, significant, in_pi, original, measure) -> dict[str, str]:
    def say(word: str, reason: str) -> dict[str, str]:
        return {"verdict": word, "verdict_reason": reason}

    if original is not None and original.not_significant:
        return say(
            "inconclusive", "the original reported no significant change here, without figures"
        )
    if original is None or original.change is None:
        return say("inconclusive", "the original study reported no estimate for this outcome")
    if change is None:
        return say("inconclusive", f"the original change is not known on the {measure} scale")
    if not _present(pooled.get("p")):
        return say("inconclusive", "no pooled estimate")
    if significant == YES and in_pi != NO:
        why = "significant in the original direction"
        return say("replicated", why + ("" if in_pi else "; prediction interval needs k >= 3"))
    if pooled["p"] < alpha:
        if significant == NO:
            return say("not replicated", "significant change in the opposite direction")
    elif not pooled["ci_low"] <= change <= pooled["ci_high"]:
        return say("not replicated", "no significant change, and the CI excludes the original")
    if significant == YES:
        return say(
            "inconclusive", "significant, but the original lies outside the prediction interval"
        )
    return say("inconclusive", "not significant, and the CI still includes the original change")
