"""The report's settings, from the plain values a rule passes in ``params``, and what follows
from them alone (site order, the original's headline outcomes, the table names). The
workflow reads these while it parses, so this module imports no table or plotting code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from revmentor.replication.original import original_results


@dataclass(frozen=True)
class Settings:
    roles: tuple[str, ...]
    outcomes: tuple[str, ...]
    names: Mapping[str, str]
    enrolled: Mapping[str, str]
    original_study: Mapping[str, Any]
    pooling: Mapping[str, Any]
    alpha: float
    min_cell: int
    site_order: str = "registry"
    forest_max_sites: int = 40
    likert_max_sites: int = 12
    appendix_max_sites: int = 200


def ordered_sites(settings: Settings, estimates: Mapping[str, float] | None = None) -> list[str]:
    """Sites in the configured order: registry, enrolment date, name or estimate."""
    sites = list(settings.names)
    if settings.site_order == "enrolled":
        return sorted(sites, key=lambda s: (settings.enrolled.get(s, ""), sites.index(s)))
    if settings.site_order == "name":
        return sorted(sites, key=lambda s: (settings.names[s].casefold(), s))
    if settings.site_order == "estimate" and estimates is not None:
        return sorted(sites, key=lambda s: (estimates.get(s, math.inf), sites.index(s)))
    return sites


def reference_changes(settings: Settings) -> dict[tuple[str, str], float]:
    """The original study's change (median post − pre) per role × outcome, where reported."""
    return {
        key: result.change
        for key, result in original_results(settings.original_study).items()
        if result.change is not None
    }


def headline_outcomes(settings: Settings) -> list[tuple[str, str]]:
    """The role × outcome pairs the original study reported figures for."""
    return [
        (role, outcome)
        for (role, outcome), result in original_results(settings.original_study).items()
        if result.change is not None and role in settings.roles and outcome in settings.outcomes
    ]


TABLE_NAMES = (
    "replication",
    "replication_matrix",
    "heterogeneity",
    "sites",
    "participants",
    "items",
)


def settings_from(values: Mapping[str, Any]) -> Settings:
    """Settings from the plain values a rule passes in ``params`` (so changes are tracked).

    A rule passes only the values it uses, so that changing another one does not rerun it;
    the rest keep neutral defaults.
    """
    report = values.get("report", {})
    return Settings(
        roles=tuple(values["roles"]),
        outcomes=tuple(values["outcomes"]),
        names=dict(values["names"]),
        enrolled=dict(values["enrolled"]),
        original_study=values.get("original_study", {}),
        pooling=values.get("pooling", {}),
        alpha=float(report.get("alpha", 0.05)),
        min_cell=int(values.get("disclosure", {}).get("min_cell", 0)),
        site_order=report.get("site_order", "registry"),
        forest_max_sites=int(report.get("forest_max_sites", 40)),
        likert_max_sites=int(report.get("likert_max_sites", 12)),
        appendix_max_sites=int(report.get("appendix_max_sites", 200)),
    )
