"""Writing tables and text so that the same content always gives the same bytes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def shortest_float(value: float) -> str:
    """The shortest text that reads back as exactly the same float (Python's repr), so a
    summary re-read by the pooling step gives the very numbers the site computed."""
    return repr(float(value))


FLOAT_FORMAT = shortest_float


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


CURRENT_UMASK = _umask()


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
        # mkstemp makes the file private; give it the permissions a plain open() would.
        os.chmod(temporary, 0o666 & ~CURRENT_UMASK)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell made safe to open in Excel; numbers are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe


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


def csv_text(frame: pd.DataFrame, sep: str = ",") -> str:
    return neutralised(frame).to_csv(
        index=False, sep=sep, lineterminator="\n", float_format=FLOAT_FORMAT
    )


def table_csv(table: pd.DataFrame | None, columns: Sequence[str]) -> str:
    """A table as CSV; ``None`` (an invalid or excluded site) gives the header alone."""
    if table is None:
        return ",".join(columns) + "\n"
    return csv_text(table)


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    """CSV, or tab-separated when the file name ends in .tsv."""
    write_text(path, csv_text(frame, "\t" if str(path).endswith(".tsv") else ","))


def typed_frame(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """A table with fixed columns: text ('' when empty), whole numbers as nullable integers,
    everything else as floats with any inf or NaN left empty."""
    frame = pd.DataFrame(list(records), columns=list(columns))
    for column in columns:
        if column in text_columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
        elif column in count_columns:
            frame[column] = pd.array(frame[column], dtype="Int64")
        else:
            values = pd.to_numeric(frame[column], errors="coerce").astype(float)
            frame[column] = values.where(np.isfinite(values))
    return frame


def read_typed_csv(
    path: str | Path,
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """Read a table the workflow wrote, restoring its column types; text stays text."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    records = [
        {
            column: value if column in text_columns else (float(value) if value != "" else None)
            for column, value in row.items()
            if value != "" or column in text_columns
        }
        for row in raw.to_dict("records")
    ]
    return typed_frame(records, columns, text_columns, count_columns)
