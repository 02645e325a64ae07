"""The report's figure files, named before anything runs: the workflow reads these names
while it parses, so this module imports no plotting or statistics library."""

from __future__ import annotations

from collections.abc import Sequence

from revmentor.core.moderators import Moderator
from revmentor.report.settings import Settings, headline_outcomes


def forest_stem(role: str, outcome: str) -> str:
    return f"forest_{role}_{outcome}"


def cumulative_stem(role: str, outcome: str) -> str:
    return f"cumulative_{role}_{outcome}"


def likert_stem(role: str, domain: str) -> str:
    return f"likert_{role}_{domain}"


def bubble_stem(role: str, outcome: str, moderator: str) -> str:
    return f"bubble_{role}_{outcome}_{moderator}"


def subgroup_stem(role: str, outcome: str, moderator: str) -> str:
    return f"subgroups_{role}_{outcome}_{moderator}"


def baujat_stem(role: str, outcome: str) -> str:
    return f"baujat_{role}_{outcome}"


def forest_stems(settings: Settings) -> list[str]:
    """Forest and cumulative figure file names (without suffix), known before anything runs."""
    stems = [forest_stem(r, o) for r in settings.roles for o in settings.outcomes]
    return stems + [cumulative_stem(r, o) for r, o in headline_outcomes(settings)]


def moderator_stems(settings: Settings, moderators: Sequence[Moderator]) -> list[str]:
    """Per headline outcome: a bubble plot per numeric moderator, a subgroup forest plot per
    categorical one, and a Baujat plot; known before anything runs."""
    stems = []
    for role, outcome in headline_outcomes(settings):
        for moderator in moderators:
            stem = subgroup_stem if moderator.is_categorical else bubble_stem
            stems.append(stem(role, outcome, moderator.id))
        stems.append(baujat_stem(role, outcome))
    return stems


def likert_stems(settings: Settings, domains: Sequence[str]) -> list[str]:
    return [likert_stem(r, d) for r in settings.roles for d in (*domains, "overview")]
