"""Logging for workflow steps: each writes its log file and tells the console why it failed."""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from revmentor.core.problems import ProblemsError

FORMAT = "%(levelname)s %(name)s: %(message)s"


STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def storage_message(failure: OSError) -> str:
    """Disk full or not allowed to write: what happened, to which file, and what to do."""
    where = failure.filename or "an output file"
    if failure.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = "the disk (or quota) is full: free some space, then run the workflow again"
    else:
        advice = "the results folder cannot be written: fix its permissions, then run again"
    return f"could not write {where}: {failure.strerror}; {advice}. No partial file was kept."


class StepFailure(Exception):
    """A failure whose message is complete for the person running the workflow."""


@contextmanager
def step_logging(log_path: str | Path, step: str) -> Iterator[logging.Logger]:
    """Log to ``log_path`` (and warnings to stderr); on a known failure, exit 1 with its text."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"revmentor.{step}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    file_handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(FORMAT))
    logger.handlers = [file_handler, console]
    try:
        yield logger
    except (StepFailure, ProblemsError) as failure:
        logger.error("%s", failure)
        sys.exit(1)
    except OSError as failure:
        if failure.errno not in STORAGE_ERRORS:
            logger.exception("unexpected failure in %s", step)
            raise
        logger.error("%s", storage_message(failure))
        sys.exit(1)
    except Exception:
        logger.exception("unexpected failure in %s", step)
        raise
    finally:
        file_handler.close()
