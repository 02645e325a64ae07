"""Read a site's table from CSV (comma, semicolon or tab; UTF-8 with or without BOM) or XLSX.

Every data row keeps the row number a person sees when the file is opened in a
spreadsheet: the header is row 1. Problems that make the file unreadable are raised as a
:class:`ProblemsError` with every problem found.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from revmentor.core.problems import Problem, ProblemsError, shown_value

DELIMITERS = (",", ";", "\t")
DELIMITED_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PREFERRED_SHEET = "responses"
ROW_NUMBER = "row"


@dataclass(frozen=True)
class RawTable:
    """A table as read, before any checking: text cells, ``None`` for empty ones."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str | None, ...]], ...]
    sheet: str | None = None
    delimiter: str | None = None
    warnings: tuple[Problem, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """Text cells as an object frame whose index is the spreadsheet row number."""
        frame = pd.DataFrame(
            [cells for _, cells in self.rows],
            columns=list(self.header),
            index=pd.Index([number for number, _ in self.rows], name=ROW_NUMBER),
            dtype=object,
        )
        return frame.astype(object).where(frame.notna(), None)


def read_table(path: Path, shown_as: str, known_columns: Sequence[str] = ()) -> RawTable:
    """Read ``path``; ``shown_as`` is how messages name the file (relative, stable)."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(path, shown_as)
    if suffix in DELIMITED_SUFFIXES:
        return _read_delimited(path.read_bytes(), shown_as, known_columns)
    raise ProblemsError(
        f"{shown_as}: cannot read this kind of file",
        [
            Problem(
                None,
                None,
                "file_type",
                f"'{suffix or '(none)'}' files are not read; save the sheet as .xlsx or as "
                "CSV UTF-8 (.csv)",
                suffix,
            )
        ],
    )


def _fail(shown_as: str, check: str, message: str, value: str | None = None) -> ProblemsError:
    return ProblemsError(f"{shown_as}: {message}", [Problem(None, None, check, message, value)])


def decode_text(data: bytes, shown_as: str) -> str:
    """UTF-8 text with any BOM removed; a clear error for UTF-16 or undecodable bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            shown_as,
            "utf8_encoding",
            "the file is UTF-16 text; save it as 'CSV UTF-8 (Comma delimited)'",
        )
    if b"\x00" in data:
        # UTF-16 without a byte-order mark decodes as "UTF-8" full of NUL characters.
        raise _fail(
            shown_as,
            "utf8_encoding",
            "the file holds NUL bytes, so it is UTF-16 text or not text at all; save it as "
            "'CSV UTF-8 (Comma delimited)'",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.start + 1].hex().upper()
        raise ProblemsError(
            f"{shown_as}: the file is not UTF-8 text",
            [
                Problem(
                    line,
                    None,
                    "utf8_encoding",
                    f"byte 0x{bad} on line {line} is not UTF-8; save the file as "
                    "'CSV UTF-8 (Comma delimited)'",
                    f"0x{bad}",
                )
            ],
        ) from None


def choose_delimiter(header_line: str, known_columns: Iterable[str]) -> str:
    """The delimiter that splits the header into the most known column names."""
    known = {name.strip().lower() for name in known_columns}

    def score(delimiter: str) -> tuple[int, int]:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        recognised = sum(cell.strip().lower() in known for cell in fields)
        return recognised, len(fields)

    return max(DELIMITERS, key=lambda delimiter: (score(delimiter), -DELIMITERS.index(delimiter)))


def _read_delimited(data: bytes, shown_as: str, known_columns: Sequence[str]) -> RawTable:
    if not data.strip():
        raise _fail(shown_as, "file_not_empty", "the file is empty")
    text = decode_text(data, shown_as)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = choose_delimiter(first_line, known_columns)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise _fail(shown_as, "csv_syntax", f"the file is not valid CSV: {error}") from None
    return _table_from_records(
        [(number, [cell or None for cell in record]) for number, record in enumerate(records, 1)],
        shown_as,
        sheet=None,
        delimiter=delimiter,
        ragged_is_error=True,
    )


def _cell_text(value: object) -> str | None:
    """An XLSX cell as the text a person would type for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text != "" else None


def _read_xlsx(path: Path, shown_as: str) -> RawTable:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if path.stat().st_size == 0:
        raise _fail(shown_as, "file_not_empty", "the file is empty")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise _fail(
            shown_as, "xlsx_readable", f"the file is not a readable .xlsx workbook ({error})"
        ) from None
    try:
        names = [worksheet.title for worksheet in workbook.worksheets]  # no chart sheets
        if not names:
            raise _fail(shown_as, "xlsx_readable", "the workbook has no worksheet")
        sheet = next((n for n in names if n.strip().lower() == PREFERRED_SHEET), names[0])
        worksheet = workbook[sheet]
        # Read every row and column present, whatever the file's (possibly stale) dimension
        # record says; read-only mode otherwise stops at it and silently drops cells.
        worksheet.reset_dimensions()
        records = [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1)
        ]
    finally:
        workbook.close()
    # Rows come back as long as their last cell; pad them so no column goes unseen.
    width = max((len(cells) for _, cells in records), default=0)
    records = [(number, [*cells, *([None] * (width - len(cells)))]) for number, cells in records]
    return _table_from_records(
        records, shown_as, sheet=sheet, delimiter=None, ragged_is_error=False
    )


def _is_blank(cells: Sequence[str | None]) -> bool:
    return all(cell is None or not cell.strip() for cell in cells)


def _table_from_records(
    records: list[tuple[int, list[str | None]]],
    shown_as: str,
    *,
    sheet: str | None,
    delimiter: str | None,
    ragged_is_error: bool,
) -> RawTable:
    if not records or _is_blank(records[0][1]):
        raise ProblemsError(
            f"{shown_as}: row 1 must hold the column names",
            [
                Problem(
                    1,
                    None,
                    "header_present",
                    "row 1 is empty; it must hold the column names",
                    sheet=sheet,
                )
            ],
        )
    header_cells = [cell.strip() if cell else "" for cell in records[0][1]]
    body = records[1:]
    problems: list[Problem] = []
    keep = _header_columns(header_cells, body, problems, sheet)
    width = len(header_cells)
    rows: list[tuple[int, tuple[str | None, ...]]] = []
    blank_rows: list[int] = []
    for number, cells in body:
        if _is_blank(cells):
            blank_rows.append(number)
            continue
        if ragged_is_error and len(cells) != width and not _only_empty_overflow(cells, width):
            problems.append(
                Problem(
                    number,
                    None,
                    "row_length",
                    f"row {number} has {len(cells)} fields but the header has {width}",
                    f"{len(cells)} fields",
                    sheet,
                )
            )
            continue
        padded = [*cells, *([None] * (width - len(cells)))][:width]
        rows.append((number, tuple(padded[index] for index in keep)))
    if problems:
        raise ProblemsError(f"{shown_as}: the table cannot be read", problems)
    if not rows:
        raise ProblemsError(
            f"{shown_as}: the file has a header but no data rows",
            [
                Problem(
                    None,
                    None,
                    "has_data_rows",
                    "the file has a header but no data rows",
                    sheet=sheet,
                )
            ],
        )
    warnings = _blank_row_warnings(blank_rows, rows[-1][0], sheet)
    return RawTable(
        source=shown_as,
        header=tuple(header_cells[index] for index in keep),
        rows=tuple(rows),
        sheet=sheet,
        delimiter=delimiter,
        warnings=warnings,
    )


def _only_empty_overflow(cells: Sequence[str | None], width: int) -> bool:
    """Trailing empty cells past the header (a common spreadsheet export artefact)."""
    return len(cells) > width and _is_blank(cells[width:])


def _header_columns(
    header: list[str],
    body: list[tuple[int, list[str | None]]],
    problems: list[Problem],
    sheet: str | None,
) -> list[int]:
    """Indexes of the named columns; unnamed columns must be empty, names unique."""
    keep: list[int] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        letter = _column_letter(index)
        if not name:
            filled = [
                n for n, cells in body if index < len(cells) and not _is_blank([cells[index]])
            ]
            if filled:
                problems.append(
                    Problem(
                        filled[0],
                        f"({letter})",
                        "column_named",
                        f"column {letter} has values (first in row {filled[0]}) "
                        "but no name in row 1",
                        sheet=sheet,
                    )
                )
            continue
        folded = name.lower()
        if folded in seen:
            problems.append(
                Problem(
                    1,
                    name,
                    "unique_column_name",
                    f"column name '{name}' appears twice in row 1 "
                    f"(columns {_column_letter(seen[folded])} and {letter})",
                    shown_value(name),
                    sheet,
                )
            )
            continue
        seen[folded] = index
        keep.append(index)
    return keep


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _blank_row_warnings(
    blank_rows: list[int], last_data_row: int, sheet: str | None
) -> tuple[Problem, ...]:
    inside = [number for number in blank_rows if number < last_data_row]
    if not inside:
        return ()
    listed = ", ".join(str(number) for number in inside[:20])
    more = f" and {len(inside) - 20} more" if len(inside) > 20 else ""
    return (
        Problem(
            inside[0],
            None,
            "blank_row",
            f"blank rows were skipped: {listed}{more}",
            sheet=sheet,
        ),
    )
