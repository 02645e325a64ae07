"""Shared fixtures: the repository's own config and instrument, and small helpers."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument

if TYPE_CHECKING:
    from tests.workflow.conftest import Workspace

REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (make test: --dist loadscope --no-loadscope-reorder hands out whole
    modules in collection order) the modules with end-to-end runs come first, so that the
    workers share them and the many quick modules fill the end: a module whose runs came
    last would leave the other worker idle. Those that make their own runs lead, so that
    while one worker makes the shared example run the other has work of its own. Of those
    on the example run, the SLURM test comes first: it mostly waits on the cluster's queue,
    which costs least while the other worker has runs to make."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    on_example = {item.path for item in items if "example_run" in item.fixturenames}
    waiting = {item.path for item in items if item.get_closest_marker("slurm")}
    items.sort(
        key=lambda item: (item.path not in slow, item.path in on_example, item.path not in waiting)
    )


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
def example_run(tmp_path_factory) -> Workspace:
    """One complete run of the example consortium, shared by the tests that only read it.

    It imports its own copy of the package, so that a test may edit the code; every test
    that changes a file restores it. Under pytest-xdist (make test) the first worker to
    need it runs it once, in the folder all workers share, and each worker then tests its
    own copy: one worker's edit never shows in another's run.
    """
    # Here, not in tests/workflow/conftest.py, so that a test of another folder that needs a
    # finished run (tests/validation/test_id_roundtrip.py) copies this one instead of
    # making its own; one definition, so that no session makes it twice.
    from tests.workflow.conftest import Workspace

    if "PYTEST_XDIST_WORKER" not in os.environ:
        workspace = Workspace(tmp_path_factory.mktemp("example") / "work", own_package=True)
        workspace.snakemake(check=True)
        return workspace
    shared = tmp_path_factory.getbasetemp().parent / "example"
    with open(shared.parent / "example.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        finished = shared / "finished"
        if not finished.exists():
            if shared.exists():
                shutil.rmtree(shared)
            Workspace(shared / "work", own_package=True).snakemake(check=True)
            finished.touch()
    original = Workspace.on_disk(shared / "work", os.environ, own_package=True)
    return original.clone(tmp_path_factory.mktemp("example") / "work")


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
