"""Writing tables and text so that the same content always gives the same bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.12g"


def write_text(path: str | Path, text: str) -> None:
    """Write atomically: a reader never sees a half-written file, even after a kill."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def csv_text(frame: pd.DataFrame, sep: str = ",") -> str:
    return frame.to_csv(index=False, sep=sep, lineterminator="\n", float_format=FLOAT_FORMAT)


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    """CSV, or tab-separated when the file name ends in .tsv."""
    write_text(path, csv_text(frame, "\t" if str(path).endswith(".tsv") else ","))
