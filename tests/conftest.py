"""Shared fixtures: the repository's own config and instrument, and small helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def config() -> dict:
    return load_config(REPO / "config/config.yaml", REPO / "workflow/schemas/config.schema.yaml")


@pytest.fixture(scope="session")
def instrument(config) -> Instrument:
    return Instrument.from_config(config["instrument"])
