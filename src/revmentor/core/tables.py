"""Writing tables and text so that the same content always gives the same bytes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.files import write_text
from revmentor.core.logs import StepFailure
from revmentor.core.numbers import PLAIN_NUMBER, plain_number


def shortest_float(value: float) -> str:
    """The shortest text that reads back as exactly the same float (Python's repr), so a
    summary re-read by the pooling step gives the very numbers the site computed."""
    return repr(float(value))


FLOAT_FORMAT = shortest_float


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
        if safe[column].dtype == object and pd.api.types.infer_dtype(safe[column]) == "string":
            # Once per distinct text (1 and True would count as one value, so text only):
            # a long table repeats a few keys over many rows.
            codes, distinct = pd.factorize(safe[column], use_na_sentinel=False)
            shown = np.array([neutralise(value) for value in distinct], dtype=object)
            if any(new is not old for new, old in zip(shown, distinct, strict=True)):
                safe[column] = pd.Series(shown[codes], index=safe.index, dtype=object)
        elif safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe


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
    shown = _floats_as_text(neutralised(frame) if for_people else frame)
    return shown.to_csv(index=False, sep=sep, lineterminator=LINE_END, float_format=FLOAT_FORMAT)


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns as the text ``FLOAT_FORMAT`` gives each value ('' where missing), made
    in one pass per column: pandas calls the format once per cell through its own
    machinery, which took most of the time of writing a long table. After
    :func:`neutralised`, so that a negative number is never taken for a formula."""
    floats = [position for position, kind in enumerate(frame.dtypes) if kind == np.float64]
    if not floats:
        return frame
    shown = frame.copy()
    for position in floats:
        values = shown.iloc[:, position].to_numpy()
        # FLOAT_FORMAT of a Python float is its repr; '' where missing, as pandas writes.
        text = list(map(repr, values.tolist()))
        for row in np.flatnonzero(np.isnan(values)).tolist():
            text[row] = ""
        shown.isetitem(position, pd.Series(text, index=shown.index, dtype=object))
    return shown


def table_csv(table: pd.DataFrame | None, columns: Sequence[str], *, for_people: bool) -> str:
    """A table as CSV (see :func:`csv_text` for ``for_people``); ``None`` (an invalid or
    excluded site) gives the header alone."""
    if table is None:
        return ",".join(columns) + LINE_END
    return csv_text(table, for_people=for_people)


def stacked_csv(
    table: pd.DataFrame | None, columns: Sequence[str], rows: Sequence[int | None]
) -> tuple[str, list[str]]:
    """A table made of consecutive blocks (``rows[i]`` rows for block i; ``None``: the
    block has no table) as CSV for the workflow (``for_people=False``), and each block's
    CSV alone: exactly what :func:`table_csv` gives for the block's frame, cut from the
    table's text instead of written again. Each line of the text is one row's cells, each
    written on its own, so a block's lines are its rows' lines; where a value holds a line
    end, and so the lines are not the rows, each block is written alone."""
    text = table_csv(table, columns, for_people=False)
    header, _, body = text.partition(LINE_END)
    lines = body.split(LINE_END)[:-1]
    counted = sum(count or 0 for count in rows)
    if table is not None and len(lines) != counted:
        return text, _blocks_written_alone(table, columns, rows)
    blocks, start = [], 0
    for count in rows:
        if count is None:
            blocks.append(table_csv(None, columns, for_people=False))
            continue
        blocks.append(LINE_END.join([header, *lines[start : start + count], ""]))
        start += count
    return text, blocks


def _blocks_written_alone(
    table: pd.DataFrame, columns: Sequence[str], rows: Sequence[int | None]
) -> list[str]:
    blocks, start = [], 0
    for count in rows:
        frame = None if count is None else table.iloc[start : start + count]
        blocks.append(table_csv(frame, columns, for_people=False))
        start += count or 0
    return blocks


def write_csv(path: str | Path, frame: pd.DataFrame, *, for_people: bool) -> None:
    """CSV, or tab-separated when the file name ends in .tsv (see :func:`csv_text`)."""
    sep = "\t" if str(path).endswith(".tsv") else ","
    write_text(path, csv_text(frame, sep, for_people=for_people))


def read_exact_csv(path: str | Path, sep: str = ",") -> pd.DataFrame:
    """A table written with ``for_people=False``, every cell as the exact text written
    (empty cells as ''): no value is taken for a number or for missing."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, lineterminator=LINE_END)


def read_exact_columns(path: str | Path) -> dict[str, np.ndarray]:
    """:func:`read_exact_csv`'s cells, a column each as an object array of ``str``.

    A file of plain lines (nothing quoted, every line as many cells as the header, no
    blank line, no byte that pandas' reader treats specially) is split without pandas,
    which spends most of a small table's time building its columns; any other file goes
    through :func:`read_exact_csv` itself. Both give the same cells."""
    lines = _plain_lines(Path(path))
    if lines is None:
        raw = read_exact_csv(path)
        return {str(column): raw[column].to_numpy(dtype=object) for column in raw.columns}
    header, *rows = lines
    matrix = np.array(rows, dtype=object).reshape(len(rows), len(header))
    return {column: matrix[:, position].copy() for position, column in enumerate(header)}


def _plain_lines(path: Path) -> list[list[str]] | None:
    """The file's lines split into cells, or ``None`` where pandas' reader could read the
    text otherwise than a plain split (quotes, carriage returns, NUL, a byte-order mark,
    a blank line, a ragged or repeated or empty header name, text that is not UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    if not text or any(mark in text for mark in ('"', "\r", "\x00", "\ufeff")):
        return None
    lines = text.split(LINE_END)
    if lines[-1] == "":
        lines.pop()
    if not lines or "" in lines:
        return None
    split = [line.split(",") for line in lines]
    header = split[0]
    if len(set(header)) != len(header) or "" in header:
        return None
    if any(len(cells) != len(header) for cells in split):
        return None
    return split


def matching_rows(frame: pd.DataFrame, **keys: object) -> pd.DataFrame:
    """The rows whose columns hold the given values (``role="mentor", method="REML"``)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column] == value
    return frame[mask]


_NUMBERS = (int, float, np.integer, np.floating)


def _plain(values: Sequence[object], kinds: type | tuple[type, ...]) -> bool:
    """Every value is ``None`` or of ``kinds``, and none is a bool (which pandas keeps apart
    from numbers): the values that the fast paths of :func:`typed_frame` type exactly as
    pandas would."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values.dtype.kind != "b" and issubclass(values.dtype.type, kinds)
    # Checked once per distinct type, not once per value: a 1,000-site table has hundreds
    # of thousands of values and a handful of types.
    return all(
        kind is type(None) or (issubclass(kind, kinds) and not issubclass(kind, (bool, np.bool_)))
        for kind in set(map(type, values))
    )


def _typed_column(
    values: Sequence[object], text: bool, count: bool, no_records: bool
) -> pd.Series | pd.api.extensions.ExtensionArray | np.ndarray:
    """One column of :func:`typed_frame`. The usual values (text or numbers, ``None`` where
    empty) are typed directly; anything else goes through pandas' own inference."""
    if text and _plain(values, str):
        return pd.Series([value or "" for value in values], dtype=object)
    if count and _plain(values, (int, np.integer)):
        return pd.array(values, dtype="Int64")
    if not text and not count and _plain(values, _NUMBERS):
        numbers = (
            values.astype(float)
            if isinstance(values, np.ndarray)
            else np.array([np.nan if value is None else value for value in values], dtype=float)
        )
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
    return typed_columns(
        {column: [record.get(column) for record in records] for column in columns},
        len(records),
        columns,
        text_columns,
        count_columns,
    )


def typed_columns(
    values: Mapping[str, Sequence[object]],
    rows: int,
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """:func:`typed_frame` from the values of each column (``rows`` of them; a column
    ``values`` lacks is empty), for tables made a column at a time."""
    missing = [None] * rows
    typed = {
        column: _typed_column(
            values.get(column, missing), column in text_columns, column in count_columns, rows == 0
        )
        for column in columns
    }
    return pd.DataFrame(typed, columns=list(columns), index=pd.RangeIndex(rows))


def stacked_columns(
    parts: Sequence[Mapping[str, Sequence[object]]], columns: Sequence[str]
) -> tuple[dict[str, np.ndarray], int]:
    """Tables made a column at a time (a list or array per column, the same length within a
    part), one under the other, with the row count: what :func:`typed_columns` takes. A
    column a part lacks is empty in its rows; lists become object arrays, so text stays
    ``str``."""
    sizes = [max(len(values) for values in part.values()) for part in parts]
    stacked = (
        {
            column: np.concatenate(
                [
                    np.full(size, None, dtype=object)
                    if column not in part
                    else np.asarray(part[column], dtype=object)
                    if isinstance(part[column], list)
                    else np.asarray(part[column])
                    for part, size in zip(parts, sizes, strict=True)
                ]
            )
            for column in columns
        }
        if parts
        else {column: np.array([], dtype=object) for column in columns}
    )
    return stacked, sum(sizes)


def read_typed_csv(
    path: str | Path,
    columns: Sequence[str],
    text_columns: Collection[str],
    count_columns: Collection[str],
) -> pd.DataFrame:
    """Read a table the workflow wrote, restoring its column types; text stays text.

    Every number cell, in ``columns`` or not, must be one the workflow writes (see
    :func:`written_number`); an empty cell is missing. Parsed a column at a time: cell by
    cell took most of the pooling steps' time at 1,000 sites."""
    raw = read_exact_csv(path)
    numbers = {
        column: _written_numbers(raw[column].to_numpy(object))
        for column in raw.columns
        if column not in text_columns
    }
    _raise_for_first_unwritten(raw, numbers, path)
    values = {
        column: raw[column].tolist() if column in text_columns else numbers[column][0]
        for column in raw.columns
    }
    return typed_columns(values, len(raw), columns, text_columns, count_columns)


# The characters of a plain number (see revmentor.core.numbers), and the line end.
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.eE+-\n")] = True


def _all_plain(given: np.ndarray) -> bool:
    """Every cell is a plain number, for a column as the workflow writes it, checked in one
    pass over the column's cells a line each (a cell holds no line end: the readers split
    lines on it). ``float()`` takes no other text of these characters than the plain
    numbers and those with a leading ``+``; :func:`_written_numbers` then makes sure that
    ``float()`` takes every cell."""
    lines = "\n".join(given)
    return (
        lines.isascii()
        and bool(_NUMBER_BYTES[np.frombuffer(lines.encode("ascii"), dtype=np.uint8)].all())
        and lines.count("\n") == len(given) - 1
        and not lines.startswith("+")
        and "\n+" not in lines
    )


def _written_numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(numbers with NaN where empty, where a cell is not a number the workflow writes). The
    same test and conversion as :func:`written_number`: a plain number, read by ``float()``
    (numpy's object-to-float conversion calls it), and finite."""
    filled = cells != ""
    numbers = np.full(len(cells), np.nan)
    given = cells[filled]
    converted = _floats(given) if _all_plain(given) else None
    if converted is not None:
        numbers[filled] = converted
        shown = filled
    else:
        # Some cell is not a plain number: find which, cell by cell.
        shown = filled & np.fromiter(
            (PLAIN_NUMBER.fullmatch(cell) is not None for cell in cells), bool, len(cells)
        )
        numbers[shown] = cells[shown].astype(float)
    return numbers, filled & ~(shown & np.isfinite(numbers))


def _floats(given: np.ndarray) -> np.ndarray | None:
    try:
        return given.astype(float)
    except ValueError:
        return None


def _raise_for_first_unwritten(
    raw: pd.DataFrame, numbers: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | Path
) -> None:
    """The error :func:`written_number` gives for the first bad cell, row by row and left to
    right, as a reader going cell by cell would meet it."""
    rows = [np.flatnonzero(bad) for _, bad in numbers.values() if bad.any()]
    if not rows:
        return
    row = min(int(found[0]) for found in rows)
    for column, (_, bad) in numbers.items():
        if bad[row]:
            written_number(raw[column].iat[row], path, row + 2, column)


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


def stacked_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The shards' tables of one kind as one table; empty shards add no rows, and with no
    rows at all the first table's columns are kept."""
    non_empty = [frame for frame in frames if not frame.empty]
    return pd.concat(non_empty, ignore_index=True) if non_empty else frames[0].iloc[0:0]
