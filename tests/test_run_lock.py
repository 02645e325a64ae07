"""One live run per workflow folder: the run lock, stale Snakemake locks and unlock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from revmentor.cli import main
from revmentor.run_lock import (
    RunRefused,
    is_snakemake,
    run_lock,
    run_workflow,
    snakemake_processes,
    unlock_workflow,
)


def stale_locks(root):
    locks = root / ".snakemake/locks"
    locks.mkdir(parents=True)
    for name in ("0.input.lock", "0.output.lock"):
        (locks / name).write_text("results/x\n")


def test_unlock_removes_a_killed_runs_lock(tmp_path, capsys):
    stale_locks(tmp_path)
    assert main(["--root", str(tmp_path), "unlock"]) == 0
    assert capsys.readouterr().out == (
        "revmentor: removed Snakemake's lock (.snakemake/locks/0.input.lock, "
        ".snakemake/locks/0.output.lock); no run was live.\n"
    )
    assert list((tmp_path / ".snakemake/locks").iterdir()) == []


def test_unlock_is_refused_while_a_run_holds_the_lock(tmp_path, capsys):
    stale_locks(tmp_path)
    with run_lock(tmp_path, "unused"):
        assert main(["--root", str(tmp_path), "unlock"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("revmentor: another run of this workflow is live (process ")
    assert error.endswith(
        "Unlocking now would crash it: wait for it to finish, or stop it first.\n"
    )
    assert len(list((tmp_path / ".snakemake/locks").iterdir())) == 2


def test_a_second_run_is_refused_and_runs_nothing(tmp_path):
    with run_lock(tmp_path, "unused"), pytest.raises(RunRefused) as refused:
        run_workflow(tmp_path, ["--version"])
    assert str(refused.value).endswith(
        "Wait for it to finish (or stop it), then run again: two runs at once would write "
        "the same files."
    )


def test_a_run_removes_a_stale_lock_with_a_message_and_goes_on(tmp_path, capfd):
    stale_locks(tmp_path)
    assert run_workflow(tmp_path, ["--version"]) == 0
    captured = capfd.readouterr()
    assert captured.err == (
        "revmentor: removed Snakemake's stale lock (.snakemake/locks/0.input.lock, "
        ".snakemake/locks/0.output.lock): no run of this workflow is live, so the run that "
        "left it was killed or lost power. Outputs it left unfinished are made again.\n"
    )
    assert captured.out.strip()[0].isdigit()
    # The lock is free again once the run is over.
    with run_lock(tmp_path, "unused"):
        pass


def test_a_snakemake_process_in_the_folder_is_seen(tmp_path):
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "-m", "snakemake"], cwd=tmp_path
    )
    try:
        assert snakemake_processes(tmp_path) == [sleeper.pid]
        assert snakemake_processes(tmp_path / "..") == []
        with pytest.raises(RunRefused, match=rf"process {sleeper.pid}\), started without"):
            unlock_workflow(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["/work/.venv/bin/python", "/work/.venv/bin/snakemake", "--cores", "2"], True),
        (["python", "-m", "snakemake", "--cores", "2"], True),
        (["python", "/w/.snakemake/scripts/tmpab12.pool_sites.py"], True),
        (["python", "/site-packages/snakemake/__main__.py", "--cores", "2"], True),
        (["make", "run"], False),
        (["python", "-m", "pytest", "tests/workflow/test_locks.py"], False),
    ],
)
def test_which_processes_are_snakemake(arguments, expected):
    assert is_snakemake(arguments) is expected
