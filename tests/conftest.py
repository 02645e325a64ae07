"""Shared fixtures: the repository's own config and instrument, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument

REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (make test: --dist loadscope --no-loadscope-reorder hands out whole
    modules in collection order) the modules with end-to-end runs come first, so that the
    workers share them and the many quick modules fill the end: a module whose runs came
    last would leave the other worker idle. Those that make their own runs lead, so that
    while one worker makes the shared example run the other has work of its own."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    on_example = {item.path for item in items if "example_run" in item.fixturenames}
    items.sort(key=lambda item: (item.path not in slow, item.path in on_example))


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
