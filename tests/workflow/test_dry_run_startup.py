"""`snakemake -n` on the example pays nothing for SLURM.

Snakemake imports every installed executor plugin on every call, before it reads the
workflow. The SLURM plugin runs ``scontrol show config`` on import, with a 10 s timeout:
where SLURM's commands are installed and no controller answers, every call, dry runs
included, waited for it. The plugin is therefore kept out of the environment `make run` and
`make test` set up (requirements-slurm.in); these tests fail if it comes back.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from tests.workflow.conftest import Workspace

#: What `make slurm-env` leaves in the environment it extends (Makefile, SLURM_STAMP): such
#: an environment is not the default one, and has the plugin on purpose.
SLURM_ENV_STAMP = Path(sys.prefix) / ".installed-slurm-lock"
PLUGINS = ("snakemake_executor_plugin_slurm", "snakemake_executor_plugin_slurm_jobstep")
#: The SLURM plugin looks for these before it asks scontrol for the cluster's MinJobAge.
SLURM_COMMANDS = ("scontrol", "sinfo", "squeue", "sacct")
#: The plugin's own timeout is 10 s: a hang that long cannot hide in this margin.
STARTUP_MARGIN = 3.0

pytestmark = pytest.mark.skipif(
    SLURM_ENV_STAMP.exists(), reason="this environment has the SLURM plugin: `make slurm-env`"
)


def fake_slurm(folder: Path, scontrol_hangs: bool) -> Path:
    """A folder of SLURM commands that write their name to ``calls.txt`` when run; scontrol
    then hangs for 10 s (a controller that does not answer) or fails at once (none set up)."""
    folder.mkdir()
    calls = folder / "calls.txt"
    for command in SLURM_COMMANDS:
        answer = "exec sleep 10" if command == "scontrol" and scontrol_hangs else "exit 1"
        script = folder / command
        script.write_text(f'#!/bin/sh\necho {command} "$@" >> "{calls}"\n{answer}\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return calls


def slurm_first_on_path(workspace: Workspace, slurm: Path) -> None:
    workspace.env["PATH"] = os.pathsep.join([str(slurm), os.environ.get("PATH", "")])


def startup_seconds(workspace: Workspace) -> float:
    """What any snakemake call pays before it can start on the workflow: ``snakemake
    --version`` imports Snakemake and every installed plugin and builds the command line
    (snakemake.cli.parse_args), then stops."""
    started = time.monotonic()
    workspace.snakemake("--version", check=True)
    return time.monotonic() - started


def timed_dry_run(workspace: Workspace) -> tuple[float, float]:
    """Seconds to Snakemake's first line of output, and in all, of a dry run of the example.
    Snakemake prints nothing before it has built its command line (as ``--version`` does);
    reading the workflow and building the DAG come after that first line."""
    started = time.monotonic()
    process = workspace.start("--dry-run")
    assert process.stdout is not None
    first_line = process.stdout.readline()
    startup = time.monotonic() - started
    rest = process.stdout.read()
    returncode = process.wait()
    total = time.monotonic() - started
    assert returncode == 0, (first_line + rest)[-3000:]
    return startup, total


def test_the_default_environment_has_no_slurm_executor_plugin():
    importable = [name for name in PLUGINS if importlib.util.find_spec(name) is not None]
    assert importable == [], f"installed without `make slurm-env`: {importable}"


@pytest.mark.slow
@pytest.mark.serial
def test_a_dry_run_never_asks_slurm_and_starts_in_time(workspace, tmp_path):
    # Back to back, so that both see the same load. The reference's scontrol answers at once
    # (no controller set up), so it measures what starting Snakemake costs in any case.
    answering = fake_slurm(tmp_path / "answering", scontrol_hangs=False)
    slurm_first_on_path(workspace, answering.parent)
    reference = startup_seconds(workspace)
    hanging = fake_slurm(tmp_path / "hanging", scontrol_hangs=True)
    slurm_first_on_path(workspace, hanging.parent)
    startup, total = timed_dry_run(workspace)
    called = [line for calls in (answering, hanging) if calls.exists() for line in calls.open()]
    assert called == [], f"snakemake ran SLURM commands: {called}"
    # The DAG time is what the dry run spends from its first line on: the wall time above it
    # is the start-up, which may exceed the reference's by the margin and no more.
    timings = (
        f"wall {total:.1f} s = DAG time {total - startup:.1f} s + start-up {startup:.1f} s "
        f"(the reference start-up: {reference:.1f} s)"
    )
    assert startup < reference + STARTUP_MARGIN, timings
