"""Debian packages a test needs (SLURM, Chromium): installed by the test's own set-up.

As root, the missing packages are installed with apt-get, without recommended packages
(CI runs this once, on 2 cores: every extra package costs time). Elsewhere the caller is
told why it cannot have them, so that its test is skipped (or fails) with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping


class SystemPackagesUnavailable(RuntimeError):
    """The packages are missing and could not be installed here; the message says why."""


def debian_package_installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return done.returncode == 0 and done.stdout.strip() == "install ok installed"


def _apt_get(*arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # make test runs on every core (pytest-xdist): the browser and SLURM tests may install
    # at the same time, and the second apt-get waits for dpkg's lock instead of failing.
    waits = ("-o", "DPkg::Lock::Timeout=600")
    return subprocess.run(
        ("apt-get", *waits, *arguments),
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )


def ensure_debian_packages(present: Mapping[str, bool], needed_by: str) -> None:
    """Install every package whose ``present`` flag is false (what the test needs from it
    is not on this machine yet); the package lists are refreshed only if a first try fails."""
    missing = [package for package, here in present.items() if not here]
    if not missing:
        return
    names = ", ".join(missing)
    if os.geteuid() != 0:
        raise SystemPackagesUnavailable(
            f"The Debian packages {names}, needed by {needed_by}, are not installed, "
            "and installing them needs root"
        )
    if shutil.which("apt-get") is None:
        raise SystemPackagesUnavailable(
            f"The Debian packages {names}, needed by {needed_by}, are not installed, "
            "and this machine has no apt-get to install them"
        )
    install = ("install", "-y", "--no-install-recommends", *missing)
    if _apt_get(*install).returncode == 0:
        return
    refreshed = _apt_get("update")
    done = _apt_get(*install)
    if done.returncode != 0:
        update_failure = (
            f"apt-get update failed too:\n{refreshed.stderr[-1000:]}\n"
            if refreshed.returncode != 0
            else ""
        )
        raise SystemPackagesUnavailable(
            f"apt-get install {' '.join(missing)} failed (for {needed_by}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n{update_failure}"
        )
