"""The original study's result per role × outcome, as the numbers the criteria need.

``original_study.reported`` gives medians and a two-sided p, and optionally ``estimate``
(the change on the MD scale), ``se`` and ``n`` (pairs). Missing values are derived:

- y_o = ``estimate``, else median_post − median_pre;
- z_o = Φ⁻¹(1 − p/2) with the sign of y_o when p is given, else ``estimate`` / ``se``;
- se_o = ``se``, else |y_o| / |z_o|;
- n_o = ``n``, else ``original_study.participants[role]``.

``reported_not_significant`` lists outcomes the original found no significant change in,
without figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Original:
    """What the original study reported for one role × outcome, and what follows from it."""

    median_pre: float | None = None
    median_post: float | None = None
    p: float | None = None
    estimate: float | None = None
    se: float | None = None
    n: int | None = None
    not_significant: bool = False
    participants: int | None = None

    @property
    def change(self) -> float | None:
        """y_o: the original change in scale points (MD scale)."""
        if self.estimate is not None:
            return float(self.estimate)
        if self.median_pre is None or self.median_post is None:
            return None
        return float(self.median_post - self.median_pre)

    @property
    def z(self) -> float | None:
        """z_o, signed as the original change."""
        change = self.change
        if self.p is not None and change is not None:
            # Imported here: the workflow reads the original's figures while it parses,
            # and scipy (even scipy.special alone) would slow every snakemake call.
            from revmentor.core.scipy_distributions import normal_isf

            magnitude = float(normal_isf(self.p / 2))
            return math.copysign(magnitude, change) if change != 0 else 0.0
        if self.estimate is not None and self.se:
            return float(self.estimate / self.se)
        return None

    @property
    def standard_error(self) -> float | None:
        """se_o: as given, else |y_o| / |z_o| (None when that is not a positive number)."""
        if self.se is not None:
            return float(self.se)
        change, z = self.change, self.z
        if change is None or z is None or z == 0 or not math.isfinite(z):
            return None
        se = abs(change) / abs(z)
        return se if se > 0 else None

    @property
    def pairs(self) -> int | None:
        """n_o: as given, else the role's participants in the original study."""
        return self.n if self.n is not None else self.participants

    @property
    def derivation(self) -> str:
        """How y_o and se_o were obtained, for a reader."""
        if self.change is None:
            return ""
        change = (
            "estimate as reported"
            if self.estimate is not None
            else "median after minus median before"
        )
        if self.se is not None:
            spread = "se as reported"
        elif self.p is not None:
            spread = "se from the two-sided p"
        else:
            spread = "no se"
        return f"{change}; {spread}"


def original_results(original_study: Mapping[str, Any]) -> dict[tuple[str, str], Original]:
    """Every role × outcome the original study reported on, figures or not."""
    participants = original_study.get("participants", {})
    results = {
        (entry["role"], entry["outcome"]): Original(
            not_significant=True, participants=participants.get(entry["role"])
        )
        for entry in original_study.get("reported_not_significant", [])
    }
    for entry in original_study.get("reported", []):
        results[(entry["role"], entry["outcome"])] = Original(
            median_pre=entry.get("median_pre"),
            median_post=entry.get("median_post"),
            p=entry.get("p"),
            estimate=entry.get("estimate"),
            se=entry.get("se"),
            n=entry.get("n"),
            participants=participants.get(entry["role"]),
        )
    return results
