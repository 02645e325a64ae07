"""The set-up that installs a test's Debian packages: what it does without root or apt-get."""

from __future__ import annotations

import subprocess

import pytest

from tests import system_packages
from tests.system_packages import SystemPackagesUnavailable, ensure_debian_packages


@pytest.fixture
def apt_calls(monkeypatch) -> list[tuple[str, ...]]:
    """apt-get never really runs here; the calls it would get are recorded."""
    calls: list[tuple[str, ...]] = []

    def fake_apt_get(*arguments: str) -> subprocess.CompletedProcess:
        calls.append(arguments)
        return subprocess.CompletedProcess(("apt-get", *arguments), 0, "", "")

    monkeypatch.setattr(system_packages, "_apt_get", fake_apt_get)
    return calls


def test_nothing_is_installed_when_everything_is_here(apt_calls, monkeypatch):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    ensure_debian_packages({"chromium": True, "chromium-driver": True}, "the browser tests")
    assert apt_calls == []


def test_without_root_the_reason_names_the_missing_packages(apt_calls, monkeypatch):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemPackagesUnavailable) as refused:
        ensure_debian_packages(
            {"chromium": False, "chromium-driver": True, "fonts-dejavu-core": False},
            "the browser tests",
        )
    assert str(refused.value) == (
        "The Debian packages chromium, fonts-dejavu-core, needed by the browser tests, "
        "are not installed, and installing them needs root"
    )
    assert apt_calls == []


def test_as_root_only_the_missing_packages_are_installed_without_recommends(apt_calls, monkeypatch):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system_packages.shutil, "which", lambda command: f"/usr/bin/{command}")
    ensure_debian_packages(
        {"chromium": False, "chromium-driver": True, "fonts-dejavu-core": False},
        "the browser tests",
    )
    assert apt_calls == [
        ("install", "-y", "--no-install-recommends", "chromium", "fonts-dejavu-core")
    ]


def test_as_root_a_failed_install_refreshes_the_lists_once_then_says_why(monkeypatch):
    calls: list[tuple[str, ...]] = []

    def failing_apt_get(*arguments: str) -> subprocess.CompletedProcess:
        calls.append(arguments)
        return subprocess.CompletedProcess(
            ("apt-get", *arguments), 100, "", "E: Unable to locate package chromium"
        )

    monkeypatch.setattr(system_packages, "_apt_get", failing_apt_get)
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system_packages.shutil, "which", lambda command: f"/usr/bin/{command}")
    with pytest.raises(SystemPackagesUnavailable) as failed:
        ensure_debian_packages({"chromium": False}, "the browser tests")
    assert [call[0] for call in calls] == ["install", "update", "install"]
    assert str(failed.value).startswith(
        "apt-get install chromium failed (for the browser tests):\n"
    )
    assert "E: Unable to locate package chromium" in str(failed.value)
    assert "apt-get update failed too:\nE: Unable to locate package chromium" in str(failed.value)
