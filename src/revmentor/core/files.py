"""Writing files atomically, without pandas: the small steps (the policy check, the audit,
the report's configuration) import only this, not the table machinery."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


CURRENT_UMASK = _umask()


def write_text(path: str | Path, text: str) -> None:
    """Write atomically: a reader never sees a half-written file, even after a kill. A
    failure names ``path`` (not the temporary file, nor nothing, as a full disk at the
    final flush would)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as failure:
        raise OSError(failure.errno, failure.strerror, str(target)) from failure
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        # mkstemp makes the file private; give it the permissions a plain open() would.
        os.chmod(temporary, 0o666 & ~CURRENT_UMASK)
        os.replace(temporary, target)
    except OSError as failure:
        Path(temporary).unlink(missing_ok=True)
        raise OSError(failure.errno, failure.strerror, str(target)) from failure
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def writable_folder_problem(folder: str | Path) -> str | None:
    """Why the workflow could not write into ``folder``, or ``None`` if it can (tried for real:
    permission bits do not bind the root user)."""
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=target, prefix=".write-check-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        return f"cannot write to '{target}/': {error.strerror or error}"
    return None
