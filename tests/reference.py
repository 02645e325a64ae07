"""Access to the R reference fixtures in tests/fixtures/reference (see its README)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reference"
RELATIVE = 1e-9


@cache
def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def close(actual, expected, rel: float = RELATIVE, abs_: float = 1e-12):
    """pytest.approx at the project's tolerance (references carry ~1e-15 rounding)."""
    return actual == pytest.approx(expected, rel=rel, abs=abs_)


def expected_criterion(case: dict, name: str) -> tuple[float | None, float | None, str]:
    """(value, threshold, success) of one criterion of a replication_criteria.json case, as
    the package writes it: a criterion that cannot be computed has no numbers, even where
    the oracle printed one (the pooled p, d33)."""
    reference = case["criteria"][name]
    if name == "equivalence":
        equivalent = reference.get("equivalent")
        matches_original = equivalent == case["null_original"]
        success = "" if equivalent is None else "yes" if matches_original else "no"
    else:
        success = reference.get("success") or ""
    if success == "":
        return None, None, ""
    return reference.get("value"), reference.get("threshold"), success
