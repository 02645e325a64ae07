"""One live run per workflow folder: ``revmentor run`` (``make run``) and ``revmentor
unlock`` (``make unlock``).

Snakemake's own lock (``.snakemake/locks/``) outlives a run that was killed (SIGKILL, a
power cut), and ``snakemake --unlock`` removes it even while a run is live, which then
crashes. ``run`` therefore holds a lock of its own, an ``flock`` that the kernel releases
when the run's processes end, however they end. If that lock is free and no Snakemake
process works in the folder, Snakemake's lock is stale: it is removed, with a message."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

#: Outside results/, so that the manifest and ``verify`` never see it.
RUN_LOCK = Path(".snakemake/revmentor-run.lock")
SNAKEMAKE_LOCKS = Path(".snakemake/locks")


class RunRefused(Exception):
    """A run (or an unlock) refused because another run is live; the text says so."""


def live_run_holder(handle: IO[str]) -> str:
    holder = handle.read().strip()
    return f" ({holder})" if holder else ""


@contextmanager
def run_lock(root: Path, refusal: str) -> Iterator[int]:
    """Hold the workflow folder's run lock (yields its file descriptor), or raise
    :class:`RunRefused` with ``refusal``."""
    path = root / RUN_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise RunRefused(
                f"another run of this workflow is live{live_run_holder(handle)}. {refusal}"
            ) from None
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.truncate(0)
        handle.write(f"process {os.getpid()}, started {started}\n")
        handle.flush()
        yield handle.fileno()


def is_snakemake(arguments: Sequence[str]) -> bool:
    """A Snakemake process, or a job it started (its scripts live under .snakemake/)."""
    for index, argument in enumerate(arguments):
        if Path(argument).name == "snakemake" or "/.snakemake/scripts/" in argument:
            return True
        if argument == "-m" and arguments[index + 1 : index + 2] == ["snakemake"]:
            return True
        if argument.endswith("snakemake/__main__.py"):
            return True
    return False


def snakemake_processes(root: Path) -> list[int]:
    """Snakemake processes working in ``root`` that did not come through ``revmentor run``
    (a plain ``snakemake`` in a terminal). Linux only (/proc); elsewhere the run lock alone
    decides."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    folder = root.resolve()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) != folder:
                continue
            arguments = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if is_snakemake([argument for argument in arguments if argument]):
            found.append(int(entry.name))
    return sorted(found)


def refuse_if_snakemake_is_running(root: Path, refusal: str) -> None:
    running = snakemake_processes(root)
    if running:
        raise RunRefused(
            "Snakemake is running in this folder (process "
            f"{', '.join(str(pid) for pid in running)}), started without 'make run'. {refusal}"
        )


def remove_snakemake_locks(root: Path) -> list[str]:
    locks = sorted((root / SNAKEMAKE_LOCKS).glob("*"))
    for lock in locks:
        lock.unlink(missing_ok=True)
    return [lock.relative_to(root).as_posix() for lock in locks]


STALE_LOCK = (
    "revmentor: removed Snakemake's stale lock ({files}): no run of this workflow is live, "
    "so the run that left it was killed or lost power. Outputs it left unfinished are "
    "made again."
)


def run_workflow(root: Path, snakemake_arguments: Sequence[str]) -> int:
    """Run Snakemake in ``root`` holding the run lock; a stale Snakemake lock is removed
    first. Returns Snakemake's exit status."""
    refusal = (
        "Wait for it to finish (or stop it), then run again: two runs at once would write "
        "the same files."
    )
    with run_lock(root, refusal) as lock:
        refuse_if_snakemake_is_running(root, refusal)
        stale = remove_snakemake_locks(root)
        if stale:
            print(STALE_LOCK.format(files=", ".join(stale)), file=sys.stderr)
        # Snakemake inherits the lock, so that it stays held while the run lives even if
        # this process is killed alone.
        child = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *snakemake_arguments], cwd=root, pass_fds=(lock,)
        )
        # Ctrl-C reaches Snakemake directly (same process group), which then stops its
        # jobs cleanly; this process waits for it and passes on a termination.
        previous_interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        previous_terminate = signal.signal(
            signal.SIGTERM, lambda number, frame: child.send_signal(signal.SIGTERM)
        )
        try:
            status = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous_interrupt)
            signal.signal(signal.SIGTERM, previous_terminate)
    return status if status >= 0 else 128 - status


def unlock_workflow(root: Path) -> int:
    """Remove Snakemake's lock, unless a run is live: removing it then would crash that run."""
    refusal = "Unlocking now would crash it: wait for it to finish, or stop it first."
    with run_lock(root, refusal):
        refuse_if_snakemake_is_running(root, refusal)
        removed = remove_snakemake_locks(root)
    if removed:
        print(f"revmentor: removed Snakemake's lock ({', '.join(removed)}); no run was live.")
    else:
        print("revmentor: nothing to unlock: Snakemake holds no lock here and no run is live.")
    return 0
