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


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Selenium (tests/browser.py), shared by the browser tests;
    they are skipped, with the reason, where it cannot be installed or started."""
    # Imported here so that tests without a browser never need Selenium.
    from tests.browser import BrowserUnavailable, start_chromium

    try:
        driver = start_chromium()
    except BrowserUnavailable as unavailable:
        pytest.skip(str(unavailable))
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def axe() -> str:
    """axe-core's script, pinned and checked (tests/axe.py), for ``axe_violations(..., source=)``;
    the accessibility tests are skipped, with the reason, where it cannot be downloaded."""
    from tests.axe import AxeUnavailable, axe_source

    try:
        return axe_source()
    except AxeUnavailable as unavailable:
        pytest.skip(str(unavailable))
