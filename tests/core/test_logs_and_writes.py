"""A full disk or a forbidden write gives a clear message and leaves no partial file."""

from __future__ import annotations

import errno
import os

import pytest

from revmentor.core import files
from revmentor.core.files import writable_folder_problem, write_text
from revmentor.core.logs import step_logging


def test_disk_full_is_a_clear_error_and_no_partial_file_is_kept(tmp_path, monkeypatch, capsys):
    target = tmp_path / "out" / "table.csv"

    def full_disk(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device", str(destination))

    monkeypatch.setattr(files.os, "replace", full_disk)
    with pytest.raises(SystemExit) as stopped, step_logging(tmp_path / "step.log", "step"):
        write_text(target, "a,b\n1,2\n")
    assert stopped.value.code == 1
    message = (tmp_path / "step.log").read_text()
    assert f"could not write {target}: No space left on device" in message
    assert "free some space" in message and "free some space" in capsys.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []


def test_writes_are_atomic(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "first\n")
    write_text(path, "second\n")
    assert path.read_text() == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_results_path_that_is_a_file_is_reported(tmp_path):
    (tmp_path / "results").write_text("x")
    assert "cannot write to" in writable_folder_problem(tmp_path / "results")
    assert writable_folder_problem(tmp_path / "fine") is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_a_read_only_folder_is_reported(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert "Permission denied" in writable_folder_problem(folder)
    finally:
        folder.chmod(0o700)


def test_written_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "shared.csv"
    write_text(path, "a\n")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
