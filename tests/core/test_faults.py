"""Faults name the file: a read-only folder or a full disk ends a step with one message that
names the file and its folder, never a traceback nor logging's "Logging error"."""

from __future__ import annotations

import errno
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from revmentor.core.files import write_text
from revmentor.core.logs import step_logging

FULL = (
    "the disk (or quota) holding {folder}/ is full: free some space there, then run the "
    "workflow again"
)
READ_ONLY = (
    "{folder}/ is on a read-only file system: mount it writable (or move results/ to a "
    "writable disk), then run the workflow again"
)


def full_disk_message(path: Path) -> str:
    return (
        f"could not write {path}: No space left on device; "
        + FULL.format(folder=f"the folder {path.parent}")
        + ". No partial file was kept."
    )


def read_only_message(path: Path) -> str:
    return (
        f"could not write {path}: Read-only file system; "
        + READ_ONLY.format(folder=f"the folder {path.parent}")
        + ". No partial file was kept."
    )


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here ({result.stderr.strip()}): needs root in a container")


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 64 KiB file system, to fill up."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def read_only(tmp_path) -> Iterator[Path]:
    """A real read-only folder (permission bits do not bind root; a read-only mount does)."""
    folder = tmp_path / "readonly"
    (folder / "logs").mkdir(parents=True)
    mount("--bind", str(folder), str(folder))
    try:
        mount("-o", "remount,ro,bind", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(disk: Path) -> None:
    """Fill the disk to the last byte."""
    stream = open(disk / "filler", "wb", buffering=0)  # noqa: SIM115 (closed below)
    try:
        while True:
            stream.write(b"x" * 512)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        stream.close()


def console_lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_a_read_only_log_folder_is_one_message_naming_the_log(read_only, capsys):
    log = read_only / "logs" / "stats" / "shard000.log"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "stats"):
        pytest.fail("the step must not run without its log")
    assert stopped.value.code == 1
    assert console_lines(capsys) == [f"ERROR revmentor: {read_only_message(log)}"]


def test_a_log_that_cannot_be_opened_is_one_message_naming_the_log(tmp_path, monkeypatch, capsys):
    """The same through a simulated refusal, where mounts are not allowed."""
    log = tmp_path / "logs" / "validate" / "shard001.log"

    def refuse(self):
        raise OSError(errno.EROFS, "Read-only file system", self.baseFilename)

    monkeypatch.setattr(logging.FileHandler, "_open", refuse)
    with pytest.raises(SystemExit) as stopped, step_logging(log, "validate"):
        pytest.fail("the step must not run without its log")
    assert stopped.value.code == 1
    assert console_lines(capsys) == [f"ERROR revmentor: {read_only_message(log)}"]


def test_a_read_only_output_folder_names_the_output(read_only, tmp_path, capsys):
    log = tmp_path / "step.log"
    target = read_only / "sites" / "pilot" / "summary.csv"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "stats"):
        write_text(target, "a,b\n")
    assert stopped.value.code == 1
    message = f"ERROR revmentor.stats: {read_only_message(target)}"
    assert console_lines(capsys) == [message]
    assert log.read_text() == message + "\n"


def test_a_full_disk_at_the_final_flush_names_the_output(tiny_disk, tmp_path, capsys):
    log = tmp_path / "step.log"
    target = tiny_disk / "pooled" / "meta_analysis.csv"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "pool_sites") as logger:
        logger.info("pooling 6 sites")
        write_text(target, "x" * 200_000)
    assert stopped.value.code == 1
    message = f"ERROR revmentor.pool_sites: {full_disk_message(target)}"
    assert console_lines(capsys) == [message]
    assert log.read_text() == f"INFO revmentor.pool_sites: pooling 6 sites\n{message}\n"
    assert list((tiny_disk / "pooled").iterdir()) == []


def test_a_full_disk_under_the_log_too_is_one_message_and_no_empty_log(tiny_disk, capsys):
    log = tiny_disk / "logs" / "stats" / "shard000.log"
    target = tiny_disk / "sites" / "pilot" / "summary.csv"
    (tiny_disk / "sites" / "pilot").mkdir(parents=True)
    log.parent.mkdir(parents=True)
    fill(tiny_disk)
    with pytest.raises(SystemExit) as stopped, step_logging(log, "stats") as logger:
        logger.info("site pilot: summarised")
        write_text(target, "x" * 10_000)
    assert stopped.value.code == 1
    assert console_lines(capsys) == [f"ERROR revmentor.stats: {full_disk_message(target)}"]
    assert not log.exists()
    assert list(target.parent.iterdir()) == []


def test_a_full_disk_under_the_log_alone_fails_the_step_naming_the_log(tiny_disk, tmp_path, capsys):
    log = tiny_disk / "logs" / "pool_items.log"
    log.parent.mkdir()
    fill(tiny_disk)
    target = tmp_path / "items.csv"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "pool_items") as logger:
        logger.info("pooled items of 6 sites")
        write_text(target, "a\n")
    assert stopped.value.code == 1
    assert console_lines(capsys) == [f"ERROR revmentor: {full_disk_message(log)}"]
    assert not log.exists()


def test_a_simulated_full_disk_at_close_names_the_output(tmp_path, monkeypatch, capsys):
    """Where mounts are not allowed: the flush at close fails with no file name of its own."""
    target = tmp_path / "out" / "table.csv"
    real_fdopen = __import__("os").fdopen

    class FullStream:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def write(self, text):
            return len(text)

        def __exit__(self, *exc):
            self.stream.close()
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(
        "revmentor.core.files.os.fdopen", lambda *a, **k: FullStream(real_fdopen(*a, **k))
    )
    with pytest.raises(SystemExit), step_logging(tmp_path / "step.log", "step"):
        write_text(target, "a,b\n")
    assert console_lines(capsys) == [f"ERROR revmentor.step: {full_disk_message(target)}"]
    assert list(target.parent.iterdir()) == []
