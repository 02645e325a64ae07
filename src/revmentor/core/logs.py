"""Logging for workflow steps: each writes its log file and tells the console why it failed."""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from revmentor.core.privacy import DEBUG_VARIABLE, value_free_traceback
from revmentor.core.problems import ProblemsError

FORMAT = "%(levelname)s %(name)s: %(message)s"


STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def storage_message(failure: OSError) -> str:
    """Disk full or not allowed to write: what happened, to which file in which folder, and
    what to do."""
    if failure.filename:
        target = Path(str(failure.filename))
        what, folder = f"could not write {target}", f"the folder {target.parent}/"
    else:
        what, folder = "could not write an output file", "the results folder"
    if failure.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = (
            f"the disk (or quota) holding {folder} is full: free some space there, then run "
            "the workflow again"
        )
    elif failure.errno == errno.EROFS:
        advice = (
            f"{folder} is on a read-only file system: mount it writable (or move results/ "
            "to a writable disk), then run the workflow again"
        )
    else:
        advice = f"{folder} cannot be written: fix its permissions, then run the workflow again"
    return f"{what}: {failure.strerror}; {advice}. No partial file was kept."


class StepFailure(Exception):
    """A failure whose message is complete for the person running the workflow."""


class LogFile(logging.FileHandler):
    """The step's log file. When the disk refuses a write, it keeps the error for the step
    to report once, naming the file, instead of printing logging's own traceback for every
    record; it then writes nothing more."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="w", encoding="utf-8")
        self.failure: OSError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError) and error.errno in STORAGE_ERRORS:
            self.failure = OSError(error.errno, error.strerror, self.baseFilename)
        else:
            super().handleError(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as error:
            if error.errno not in STORAGE_ERRORS:
                raise
            self.failure = self.failure or OSError(error.errno, error.strerror, self.baseFilename)
            self.stream = None


def stop_on_storage(failure: OSError, partial_log: Path | None = None) -> NoReturn:
    """End the step with one message on the console: the log itself may not be writable."""
    if partial_log is not None:
        # An empty or cut-short log would look like a step that said nothing.
        partial_log.unlink(missing_ok=True)
    print(f"ERROR revmentor: {storage_message(failure)}", file=sys.stderr)
    sys.exit(1)


@contextmanager
def step_logging(log_path: str | Path, step: str) -> Iterator[logging.Logger]:
    """Log to ``log_path`` (and warnings to stderr); on a known failure, exit 1 with its text.
    A disk that is full or cannot be written ends the step with one message naming the file
    and its folder, whether it refused an output or the log itself. An unexpected error is
    logged with its types and frames but not its text, which may quote a cell."""
    log_file = Path(log_path)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = LogFile(log_file)
    except OSError as failure:
        if failure.errno not in STORAGE_ERRORS:
            raise
        stop_on_storage(OSError(failure.errno, failure.strerror, str(log_file)))
    logger = logging.getLogger(f"revmentor.{step}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    file_handler.setFormatter(logging.Formatter(FORMAT))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(FORMAT))
    logger.handlers = [file_handler, console]
    reported = False
    try:
        yield logger
    except StepFailure as failure:
        logger.error("%s", failure)
        sys.exit(1)
    except ProblemsError as failure:
        logger.error("%s", failure.log_text())
        sys.exit(1)
    except OSError as failure:
        if failure.errno not in STORAGE_ERRORS:
            logger.exception("unexpected failure in %s", step)
            raise
        logger.error("%s", storage_message(failure))
        reported = True
        sys.exit(1)
    except Exception as failure:
        if os.environ.get(DEBUG_VARIABLE) == "1":
            logger.exception("unexpected failure in %s", step)
            raise
        logger.error(
            "unexpected failure in %s; the error's own text is withheld, as it may quote "
            "input data (set %s=1 to see it on this machine):\n%s",
            step,
            DEBUG_VARIABLE,
            value_free_traceback(failure),
        )
        sys.exit(1)
    finally:
        file_handler.close()
        logger.handlers = [console]
        if file_handler.failure is not None:
            if reported:
                log_file.unlink(missing_ok=True)
            else:
                stop_on_storage(file_handler.failure, log_file)
