"""End to end: 'make run' holds a lock of its own, so that a killed run's stale Snakemake
lock is removed with a message, while a live run is never unlocked nor run twice."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.workflow.conftest import REPO, Workspace

pytestmark = pytest.mark.slow
#: A short real run: two sites, validated and checked against the invalid-site policy.
TARGET = "results/validation/policy_check.txt"
#: A run that stays live until the test creates the file 'release' (see HOLD_RULE).
HELD = "held.txt"
HOLD_RULE = """

rule hold:
    output:
        "held.txt",
    log:
        "held.log",
    shell:
        "while [ ! -e release ]; do sleep 0.1; done; touch {output} {log}"
"""
LIVE_RUN = re.compile(
    r"revmentor: another run of this workflow is live \(process \d+, started "
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\. "
)
RUN_REFUSED = (
    "Wait for it to finish (or stop it), then run again: two runs at once would write the "
    "same files.\n"
)
UNLOCK_REFUSED = "Unlocking now would crash it: wait for it to finish, or stop it first.\n"
STALE = (
    "revmentor: removed Snakemake's stale lock (.snakemake/locks/0.input.lock, "
    ".snakemake/locks/0.output.lock): no run of this workflow is live, so the run that left "
    "it was killed or lost power. Outputs it left unfinished are made again.\n"
)


class MakeWorkspace(Workspace):
    """A workspace run through the Makefile, with the repository's environment."""

    def __init__(self, root: Path):
        super().__init__(root)
        for name in ("Makefile", "requirements.lock", "pyproject.toml"):
            shutil.copy2(REPO / name, root / name)
            # Older than the environment's stamp, so that make never reinstalls it.
            os.utime(root / name, (0, 0))
        (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
        rows = self.registry_rows()
        self.write_registry([row for row in rows if row[0] in ("pilot", "northgate")])
        with open(root / "Snakefile", "a", encoding="utf-8") as snakefile:
            snakefile.write(HOLD_RULE)

    def make(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["make", "--no-print-directory", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=self.env,
        )

    def start_make(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["make", "--no-print-directory", *args],
            cwd=self.root,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def snakemake_locked(self) -> bool:
        return any((self.root / ".snakemake/locks").glob("*"))


def wait_for(condition, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def make_workspace(tmp_path) -> MakeWorkspace:
    return MakeWorkspace(tmp_path / "work")


def test_a_killed_run_leaves_a_stale_lock_that_make_run_removes(make_workspace):
    killed = make_workspace.start_make("run", "CORES=2", f"ARGS={TARGET}")
    wait_for(make_workspace.snakemake_locked)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert make_workspace.snakemake_locked()
    plain = make_workspace.snakemake(TARGET)
    assert plain.returncode != 0 and "--unlock" in plain.stdout + plain.stderr
    result = make_workspace.make("run", "CORES=2", f"ARGS={TARGET}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.startswith(STALE)
    assert (make_workspace.root / TARGET).exists()
    assert not make_workspace.snakemake_locked()


def test_a_live_run_is_neither_run_twice_nor_unlocked(make_workspace):
    live = make_workspace.start_make("run", "CORES=2", f"ARGS={HELD}")
    wait_for(make_workspace.snakemake_locked)
    second = make_workspace.make("run", "CORES=2", f"ARGS={HELD}")
    assert second.returncode != 0
    assert LIVE_RUN.match(second.stderr), second.stderr
    assert second.stderr.splitlines()[0].endswith(RUN_REFUSED.strip())
    unlock = make_workspace.make("unlock")
    assert unlock.returncode != 0
    assert LIVE_RUN.match(unlock.stderr), unlock.stderr
    assert unlock.stderr.splitlines()[0].endswith(UNLOCK_REFUSED.strip())
    assert make_workspace.snakemake_locked()
    (make_workspace.root / "release").touch()
    output, _ = live.communicate(timeout=600)
    assert live.returncode == 0, output
    assert (make_workspace.root / HELD).exists()
    after = make_workspace.make("unlock")
    assert after.returncode == 0
    assert after.stdout == (
        "revmentor unlock\n"
        "revmentor: nothing to unlock: Snakemake holds no lock here and no run is live.\n"
    )


def test_a_plain_snakemake_run_is_not_taken_for_a_stale_lock(make_workspace):
    """A run started without make holds no revmentor lock; its processes are seen instead."""
    live = make_workspace.start(HELD)
    wait_for(make_workspace.snakemake_locked)
    for command in (("run", "CORES=2", f"ARGS={HELD}"), ("unlock",)):
        refused = make_workspace.make(*command)
        assert refused.returncode != 0
        assert re.match(
            r"revmentor: Snakemake is running in this folder \(process [\d, ]+\), started "
            r"without 'make run'\. ",
            refused.stderr,
        ), refused.stderr
    assert make_workspace.snakemake_locked()
    (make_workspace.root / "release").touch()
    output, _ = live.communicate(timeout=600)
    assert live.returncode == 0, output
