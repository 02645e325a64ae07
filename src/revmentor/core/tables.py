"""Writing tables and text so that the same content always gives the same bytes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.logs import StepFailure
from revmentor.core.numbers import plain_number


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Every CSV the workflow writes ends its lines with this alone. Readers of internal tables
#: split lines on it alone, so a carriage return inside a value (which the csv module does
#: not quote) reads back as itself.
LINE_END = "\n"


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP).

    Only for files people open (see :func:`csv_text`): the change cannot be undone, so
    ``-P9`` and ``'-P9`` would read back as the same text."""
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


def csv_text(frame: pd.DataFrame, sep: str = ",", *, for_people: bool) -> str:
    """A table as CSV text. Every writer says who reads the file:

    - ``for_people=True``: a file people open in a spreadsheet (``results/tables/``,
      ``results/pooled/``, the validation overview). Text a spreadsheet would run as a
      formula is neutralised, which changes it for good.
    - ``for_people=False``: a table the workflow reads back (``results/clean/``,
      ``results/sites/``, ``results/shards/``). Every value is kept exactly, so that ids
      differing only by a leading ``'``, ``=``, ``+``, ``-`` or ``@`` stay different people;
      read such a table with :func:`read_exact_csv`.
    """
    shown = neutralised(frame) if for_people else frame
    return shown.to_csv(index=False, sep=sep, lineterminator=LINE_END, float_format=FLOAT_FORMAT)


def table_csv(table: pd.DataFrame | None, columns: Sequence[str], *, for_people: bool) -> str:
    """A table as CSV (see :func:`csv_text` for ``for_people``); ``None`` (an invalid or
    excluded site) gives the header alone."""
    if table is None:
        return ",".join(columns) + LINE_END
    return csv_text(table, for_people=for_people)


def write_csv(path: str | Path, frame: pd.DataFrame, *, for_people: bool) -> None:
    """CSV, or tab-separated when the file name ends in .tsv (see :func:`csv_text`)."""
    sep = "\t" if str(path).endswith(".tsv") else ","
    write_text(path, csv_text(frame, sep, for_people=for_people))


def read_exact_csv(path: str | Path, sep: str = ",") -> pd.DataFrame:
    """A table written with ``for_people=False``, every cell as the exact text written
    (empty cells as ''): no value is taken for a number or for missing."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, lineterminator=LINE_END)


def matching_rows(frame: pd.DataFrame, **keys: object) -> pd.DataFrame:
    """The rows whose columns hold the given values (``role="mentor", method="REML"``)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column] == value
    return frame[mask]


_NUMBERS = (int, float, np.integer, np.floating)


def _plain(values: list[object], kinds: type | tuple[type, ...]) -> bool:
    """Every value is ``None`` or of ``kinds``, and none is a bool (which pandas keeps apart
    from numbers): the values that the fast paths of :func:`typed_frame` type exactly as
    pandas would."""
    # By each distinct type, not each value: a column of 100,000 cells has one or two.
    return all(
        kind is type(None) or (issubclass(kind, kinds) and not issubclass(kind, (bool, np.bool_)))
        for kind in set(map(type, values))
    )


def _typed_column(
    values: list[object], text: bool, count: bool, no_records: bool
) -> pd.Series | pd.api.extensions.ExtensionArray | np.ndarray:
    """One column of :func:`typed_frame`. The usual values (text or numbers, ``None`` where
    empty) are typed directly; anything else goes through pandas' own inference."""
    if text and _plain(values, str):
        return pd.Series([value or "" for value in values], dtype=object)
    if count and _plain(values, (int, np.integer)):
        return pd.array(values, dtype="Int64")
    if not text and not count and _plain(values, _NUMBERS):
        numbers = np.array([np.nan if value is None else value for value in values], dtype=float)
        return np.where(np.isfinite(numbers), numbers, np.nan)
    series = pd.Series(values, dtype=object if no_records else None)
    if text:
        return series.astype(object).where(series.notna(), "")
    if count:
        return pd.array(series, dtype="Int64")
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers))


def typed_frame(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """A table with fixed columns: text ('' when empty), whole numbers as nullable integers,
    everything else as floats with any inf or NaN left empty. A key a record lacks is empty.

    Each column is typed on its own and the frame is built once: building it from the
    records and then replacing its columns one by one took most of a small table's time."""
    records = list(records)
    values = {column: [record.get(column) for record in records] for column in columns}
    return _typed_columns(values, len(records), columns, text_columns, count_columns)


def _typed_columns(
    values: Mapping[str, list[object]],
    rows: int,
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """:func:`typed_frame` from its values column by column (a column not given is empty)."""
    typed = {
        column: _typed_column(
            values[column] if column in values else [None] * rows,
            column in text_columns,
            column in count_columns,
            not rows,
        )
        for column in columns
    }
    return pd.DataFrame(typed, columns=list(columns), index=pd.RangeIndex(rows))


def read_typed_csv(
    path: str | Path,
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """Read a table the workflow wrote, restoring its column types; text stays text."""
    raw = read_exact_csv(path)
    # Column by column, each distinct text parsed once: a per-site table repeats few numbers
    # many times, and a cell by cell pass took most of the report's reading time.
    values: dict[str, list[object]] = {}
    for column in raw.columns:
        if column in text_columns:
            values[column] = raw[column].tolist()
            continue
        cells = raw[column].tolist()
        parsed = {text: plain_number(text) for text in set(cells) if text != ""}
        if None in parsed.values():
            # The first unreadable cell in reading order, as a row by row reading names it.
            row, place, bad = min(
                (row, place, cell)
                for place, name in enumerate(raw.columns)
                if name not in text_columns
                for row, cell in enumerate(raw[name].tolist(), start=2)
                if cell != "" and plain_number(cell) is None
            )
            written_number(bad, path, row, raw.columns[place])
        values[column] = [None if text == "" else parsed[text] for text in cells]
    return _typed_columns(values, len(raw), columns, text_columns, count_columns)


def written_number(
    text: str, path: str | Path, row: int, column: str, *, whole: bool = False
) -> float:
    """A number as the workflow writes it, read by the one number parser: a cell that
    ``float()`` alone would take (``1_6``, ``inf``) means the file was edited."""
    number = plain_number(text)
    if number is None or (whole and not number.is_integer()):
        raise StepFailure(
            f"{path}: row {row}, column '{column}': '{text}' is not a number as the workflow "
            "writes one, so the file was changed after the workflow wrote it; delete it and "
            "run the workflow again"
        )
    return number
