"""The replication settings: the smallest effect size of interest per outcome, and the
checks that the original study's entries name outcomes the instrument has.

SESOI default: half a scale point per domain (``replication.sesoi_per_domain``), so the
total over d domains gets d × 0.5. On a 1-5 confidence scale half a point is the smallest
change a rater can express reliably: half of the smallest step, and about half the SD of a
domain's change in the original study. ``replication.sesoi`` sets any outcome's own value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revmentor.core.instrument import TOTAL, Instrument
from revmentor.core.problems import Problem, ProblemsError

DEFAULT_SESOI_PER_DOMAIN = 0.5


def sesoi_by_outcome(instrument: Instrument, replication: Mapping[str, Any]) -> dict[str, float]:
    per_domain = float(replication.get("sesoi_per_domain", DEFAULT_SESOI_PER_DOMAIN))
    domains = len(instrument.domain_ids)
    rule = {
        outcome: per_domain * (domains if outcome == TOTAL else 1)
        for outcome in instrument.outcomes
    }
    return {**rule, **{key: float(value) for key, value in replication.get("sesoi", {}).items()}}


def _problem(key: str, check: str, message: str, value: object) -> Problem:
    return Problem(row=None, column=key, check=check, message=message, value=str(value))


def replication_config_problems(
    original_study: Mapping[str, Any], replication: Mapping[str, Any], instrument: Instrument
) -> list[Problem]:
    """Entries that name a role or outcome the instrument does not have, outcomes listed
    twice, and SESOI keys that are not outcomes."""
    problems = []
    outcomes, roles = set(instrument.outcomes), set(instrument.roles)
    seen: dict[tuple[str, str], str] = {}
    for key in ("reported", "reported_not_significant"):
        for index, entry in enumerate(original_study.get(key, []), start=1):
            where = f"original_study.{key}[{index}]"
            role, outcome = entry["role"], entry["outcome"]
            if role not in roles:
                problems.append(
                    _problem(
                        where + ".role",
                        "known_role",
                        f"role {role!r} is not one of instrument.roles "
                        f"({', '.join(sorted(roles))})",
                        role,
                    )
                )
            if outcome not in outcomes:
                problems.append(
                    _problem(
                        where + ".outcome",
                        "known_outcome",
                        f"outcome {outcome!r} is not a domain id of the instrument or 'total'",
                        outcome,
                    )
                )
            if (role, outcome) in seen:
                problems.append(
                    _problem(
                        where,
                        "listed_once",
                        f"{role} {outcome} is already listed at {seen[(role, outcome)]}; list "
                        "each role and outcome once, under reported or reported_not_significant",
                        f"{role} {outcome}",
                    )
                )
            seen.setdefault((role, outcome), where)
    for outcome in replication.get("sesoi", {}):
        if outcome not in outcomes:
            problems.append(
                _problem(
                    f"replication.sesoi.{outcome}",
                    "known_outcome",
                    f"{outcome!r} is not a domain id of the instrument or 'total'",
                    outcome,
                )
            )
    return problems


def check_replication_config(
    original_study: Mapping[str, Any], replication: Mapping[str, Any], instrument: Instrument
) -> None:
    problems = replication_config_problems(original_study, replication, instrument)
    if problems:
        raise ProblemsError("The replication settings in the config are not valid", problems)
