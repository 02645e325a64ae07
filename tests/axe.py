"""axe-core, the accessibility engine, run inside a page opened in headless Chromium.

axe-core is not kept in the repository: the first test that needs it downloads the one pinned
version from the npm registry, checks the tarball against the integrity npm records for it
(the ``integrity`` of a package-lock), and keeps the tarball in a cache folder keyed by the
version. Every later use re-checks the cached tarball, so a damaged or altered copy is never run.
Without network and without a cached copy the accessibility tests are skipped with the reason;
a tarball that does not match the pinned integrity fails them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import tarfile
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

#: The one pinned version, and npm's integrity for its tarball
#: (`npm view axe-core@4.14.1 dist.integrity`). Change both together.
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
#: Where the tarball is kept between runs (CI may cache this folder).
CACHE_FOLDER_VARIABLE = "REVMENTOR_TEST_CACHE"

#: WCAG 2.0, 2.1 and 2.2, levels A and AA: the rules a public-sector page is held to.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
#: WCAG 2 A rules axe still calls experimental, so runs only when asked: a data table whose
#: cells have no header, and a table whose caption is a first row made to look like one.
#: Without them a table of numbers with no headers at all passes.
TABLE_RULES = ("td-has-header", "table-fake-caption")
#: How many failing elements a violation names; the rest are counted.
TARGETS_SHOWN = 3
#: Contrast is checked element by element; a report page with long tables takes a while.
AXE_SECONDS = 120

RUN_AXE = """
const [options, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, options).then(
  (results) => done({violations: results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    help_url: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }))}),
  (error) => done({error: String(error)}),
);
"""


class AxeUnavailable(RuntimeError):
    """axe-core could not be downloaded and no checked copy is cached; the message says why."""


class AxeIntegrityError(RuntimeError):
    """The tarball is not the one npm published for the pinned version."""


@dataclass(frozen=True)
class Violation:
    """One axe rule the page breaks, with the first few elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:TARGETS_SHOWN])
        more = len(self.targets) - TARGETS_SHOWN
        rest = f" and {more} more" if more > 0 else ""
        return f"{self.rule} ({self.impact}): {self.help}, at {shown}{rest} [{self.help_url}]"


def cache_folder() -> Path:
    configured = os.environ.get(CACHE_FOLDER_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "revmentor-tests"


def integrity_of(tarball: bytes) -> str:
    """The tarball's integrity as npm writes it: the algorithm, then the base64 digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")


def _download() -> bytes:
    try:
        with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:
            return response.read()
    # URLError and socket timeouts are both OSErrors.
    except OSError as failure:
        reason = getattr(failure, "reason", failure)
        raise AxeUnavailable(
            f"axe-core {AXE_VERSION}, needed by the accessibility tests, could not be "
            f"downloaded from {AXE_TARBALL} ({reason}), and no copy is cached at "
            f"{cache_folder() / tarball_name()}"
        ) from failure


def tarball_name() -> str:
    return f"axe-core-{AXE_VERSION}.tgz"


def checked_tarball() -> bytes:
    """The pinned tarball, from the cache when it holds a good copy, else from the registry."""
    cached = cache_folder() / tarball_name()
    if cached.is_file():
        tarball = cached.read_bytes()
        if integrity_of(tarball) == AXE_INTEGRITY:
            return tarball
    tarball = _download()
    found = integrity_of(tarball)
    if found != AXE_INTEGRITY:
        raise AxeIntegrityError(
            f"The axe-core {AXE_VERSION} tarball from {AXE_TARBALL} has integrity {found}, "
            f"not the pinned {AXE_INTEGRITY} (tests/axe.py): it is not the package npm "
            "published, so it is not run. If the version was changed on purpose, pin its "
            f"integrity too (npm view axe-core@{AXE_VERSION} dist.integrity)."
        )
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed, so that a parallel run never reads half a tarball.
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        partial.write_bytes(tarball)
        partial.replace(cached)
    except OSError:
        pass  # a read-only cache only costs the next run a download
    return tarball


@functools.cache
def axe_source() -> str:
    """axe.min.js of the pinned, checked version."""
    with tarfile.open(fileobj=io.BytesIO(checked_tarball()), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise AxeIntegrityError(f"axe-core {AXE_VERSION} has no package/axe.min.js")
        return member.read().decode("utf-8")


def axe_violations(
    driver: WebDriver,
    impacts: Iterable[str] = ("serious", "critical"),
    source: str | None = None,
) -> list[Violation]:
    """The WCAG 2 A/AA rules the open page breaks, at the given impacts.

    Raises AxeUnavailable when axe-core cannot be had; the ``axe`` fixture (tests/conftest.py)
    turns that into a skip before the page is opened.
    """
    wanted = set(impacts)
    if not driver.execute_script("return typeof axe === 'object'"):
        driver.execute_script(source if source is not None else axe_source())
    options = {
        "runOnly": {"type": "tag", "values": list(WCAG_TAGS)},
        "rules": {rule: {"enabled": True} for rule in TABLE_RULES},
        "resultTypes": ["violations"],
    }
    script_seconds = driver.timeouts.script
    driver.set_script_timeout(AXE_SECONDS)
    try:
        results = driver.execute_async_script(RUN_AXE, options)
    finally:
        driver.set_script_timeout(script_seconds)
    if "error" in results:
        raise RuntimeError(f"axe.run failed in {driver.current_url}: {results['error']}")
    return [
        Violation(
            rule=found["rule"],
            impact=found["impact"],
            help=found["help"],
            help_url=found["help_url"],
            targets=tuple(found["targets"]),
        )
        for found in results["violations"]
        if found["impact"] in wanted
    ]
