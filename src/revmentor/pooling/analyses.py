"""Which fits go with the primary analysis: the rule the tables and the figures share. It
imports no statistics library, so that a figure job does not pay for the fitting code."""

from __future__ import annotations

MODERATOR_TESTS = ("z", "hksj")


def moderator_analysis(method: str, test: str) -> tuple[str, str]:
    """The (method, test) of ``moderators.csv`` and ``subgroups.csv`` closest to the primary
    analysis: they hold z and Knapp–Hartung only, and FE only with z, so a primary ad hoc
    Knapp–Hartung analysis is shown by its Knapp–Hartung rows."""
    if method == "FE":
        return method, "z"
    return method, test if test in MODERATOR_TESTS else "hksj"


def influence_method(primary_method: str) -> str:
    """The method whose influence diagnostics go with the primary analysis: the primary
    method itself, or REML when it is FE, whose fit has no τ² to be influenced."""
    return "REML" if primary_method == "FE" else primary_method
