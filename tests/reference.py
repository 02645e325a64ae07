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
