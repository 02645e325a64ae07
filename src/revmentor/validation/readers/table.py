"""The table both readers build, row by row, with the row numbers a spreadsheet shows."""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.validation.readers.cells import column_letter
from revmentor.validation.readers.limits import ReadLimits, columns_over_limit, rows_over_limit

ROW_NUMBER = "row"
#: Excel's own limit on the characters of a cell: a longer cell cannot have been typed or
#: saved by Excel, and Excel would cut it when opening the file.
MAX_CELL_CHARS = 32_767
MAX_LISTED_ROWS = 20


@dataclass(frozen=True)
class RawTable:
    """A table as read, before any checking: text cells, ``None`` for empty ones."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str | None, ...]], ...]
    sheet: str | None = None
    delimiter: str | None = None
    warnings: tuple[Problem, ...] = field(default=())
    #: Per column, the rows of the workbook cells stored as text that hold a number
    #: (``'4``): read as that number, and worth a warning. A CSV has none (every field is
    #: text). Rows are kept in arrays: a sheet typed as text may hold many such cells.
    text_numbers: Mapping[str, Sequence[int]] = field(default_factory=dict)

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


def _length(cell: str | None) -> int:
    return 0 if cell is None else len(cell)


def is_blank(cells: Sequence[str | None]) -> bool:
    return all(cell is None or not cell.strip() for cell in cells)


class TableBuilder:
    """Takes a file's rows one at a time (header first) and keeps only what the table needs,
    so that memory follows the data rows, not the blank rows or the file's size.

    Size limits are checked as each row arrives and end the reading at once; every other
    problem is collected and raised together by :meth:`finish`.
    """

    def __init__(
        self,
        shown_as: str,
        limits: ReadLimits,
        *,
        sheet: str | None,
        delimiter: str | None,
        ragged_is_error: bool,
    ):
        self.shown_as = shown_as
        self.limits = limits
        self.sheet = sheet
        self.delimiter = delimiter
        self.ragged_is_error = ragged_is_error
        self.header: list[str] | None = None
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.rows: list[tuple[int, tuple[str | None, ...]]] = []
        self.blank_inside: list[int] = []
        self.blank_pending: tuple[int, int] | None = None  # consecutive blank rows so far
        self.unnamed_filled: dict[int, int] = {}  # unnamed column -> first row with a value
        self.last_row = 1  # the last row that holds a value
        self.width = 0  # columns up to the last that holds a value, in any row
        self._keep: list[int] = []
        self._kept: frozenset[int] = frozenset()
        self._named: set[int] = set()  # columns with a name in row 1, duplicates too
        self._unnamed: list[int] = []  # columns of row 1 without a name
        self.text_numbers: dict[str, array[int]] = {}

    def column_name(self, index: int) -> str:
        """How messages name a column: its header, or its letter when it has none."""
        if index in self._named and self.header is not None:
            return self.header[index]
        return f"({column_letter(index)})"

    def add(self, number: int, cells: list[str | None], text_numbers: Sequence[int] = ()) -> None:
        """One row as read; a CSV record keeps its trailing empty fields (``None``).
        ``text_numbers``: the 0-based columns of a workbook's text cells that hold a number."""
        raw_length = len(cells)
        while cells and cells[-1] is None:
            cells.pop()
        self._check_size(number, cells)
        self.width = max(self.width, len(cells))
        if self.header is None:
            self._set_header(number, cells, raw_length)
            return
        if is_blank(cells):
            start = self.blank_pending[0] if self.blank_pending else number
            self.blank_pending = (start, number)
            return
        if self.blank_pending:
            self.blank_inside.extend(range(self.blank_pending[0], self.blank_pending[1] + 1))
            self.blank_pending = None
        self.last_row = number
        width = len(self.header)
        # A CSV's extra fields are a ragged row, not a column; in a sheet every column counts.
        beyond = range(width, width if self.ragged_is_error else len(cells))
        for index in (*self._unnamed, *beyond):
            if index < len(cells) and cells[index] is not None and cells[index].strip():
                self.unnamed_filled.setdefault(index, number)
        if self.ragged_is_error and (
            raw_length < width or (raw_length > width and not is_blank(cells[width:]))
        ):
            self.problems.append(
                Problem(
                    number,
                    None,
                    "row_length",
                    f"row {number} has {raw_length} fields but the header has {width}",
                    f"{raw_length} fields",
                    self.sheet,
                )
            )
            return
        padded = [*cells, *([None] * (width - len(cells)))]
        self.rows.append((number, tuple(padded[index] for index in self._keep)))
        for index in text_numbers:
            if index in self._kept:
                self.text_numbers.setdefault(self.header[index], array("L")).append(number)

    def _check_size(self, number: int, cells: list[str | None]) -> None:
        if cells and number > self.limits.max_rows + 1:
            raise rows_over_limit(self.shown_as, number, self.limits, self.sheet)
        if len(cells) > self.limits.max_columns:
            raise columns_over_limit(self.shown_as, number, len(cells), self.limits, self.sheet)
        if max(map(_length, cells), default=0) <= MAX_CELL_CHARS:
            return
        for index, cell in enumerate(cells):
            if cell is not None and len(cell) > MAX_CELL_CHARS:
                self.problems.append(
                    Problem(
                        number,
                        self.column_name(index) if number > 1 else f"({column_letter(index)})",
                        "cell_length",
                        f"cell {column_letter(index)}{number} holds {len(cell):,} characters, "
                        f"more than the {MAX_CELL_CHARS:,} a spreadsheet cell can hold; "
                        "shorten it (free text belongs in a separate document)",
                        shown_value(cell),
                        self.sheet,
                    )
                )

    def _set_header(self, number: int, cells: list[str | None], raw_length: int) -> None:
        if is_blank(cells):
            raise ProblemsError(
                f"{self.shown_as}: row 1 must hold the column names",
                [
                    Problem(
                        number,
                        None,
                        "header_present",
                        "row 1 is empty; it must hold the column names",
                        sheet=self.sheet,
                    )
                ],
            )
        self.header = [cell.strip() if cell else "" for cell in cells]
        if self.ragged_is_error:
            # The header keeps its trailing unnamed fields: rows are compared with it as saved.
            self.header += [""] * (raw_length - len(self.header))
        seen: dict[str, int] = {}
        self._named = {index for index, name in enumerate(self.header) if name}
        self._unnamed = [index for index, name in enumerate(self.header) if not name]
        for index, name in enumerate(self.header):
            if not name:
                continue
            folded = name.lower()
            if folded in seen:
                self.problems.append(
                    Problem(
                        1,
                        name,
                        "unique_column_name",
                        f"column name '{name}' appears twice in row 1 "
                        f"(columns {column_letter(seen[folded])} and {column_letter(index)})",
                        shown_value(name),
                        self.sheet,
                    )
                )
                continue
            seen[folded] = index
            self._keep.append(index)
        self._kept = frozenset(self._keep)

    def finish(self, extra_problems: Sequence[Problem] = ()) -> RawTable:
        if self.header is None:
            raise ProblemsError(
                f"{self.shown_as}: row 1 must hold the column names",
                [
                    Problem(
                        1,
                        None,
                        "header_present",
                        "row 1 is empty; it must hold the column names",
                        sheet=self.sheet,
                    )
                ],
            )
        problems = [*self.problems, *extra_problems]
        for index, first in sorted(self.unnamed_filled.items()):
            letter = column_letter(index)
            problems.append(
                Problem(
                    first,
                    f"({letter})",
                    "column_named",
                    f"column {letter} has values (first in row {first}) but no name in row 1",
                    sheet=self.sheet,
                )
            )
        if problems:
            raise ProblemsError(f"{self.shown_as}: the table cannot be read", problems)
        if not self.rows:
            raise ProblemsError(
                f"{self.shown_as}: the file has a header but no data rows",
                [
                    Problem(
                        None,
                        None,
                        "has_data_rows",
                        "the file has a header but no data rows",
                        sheet=self.sheet,
                    )
                ],
            )
        return RawTable(
            source=self.shown_as,
            header=tuple(self.header[index] for index in self._keep),
            rows=tuple(self.rows),
            sheet=self.sheet,
            delimiter=self.delimiter,
            warnings=(*self._blank_row_warnings(), *self.warnings),
            text_numbers=dict(self.text_numbers),
        )

    def _blank_row_warnings(self) -> tuple[Problem, ...]:
        inside = self.blank_inside
        if not inside:
            return ()
        listed = ", ".join(str(number) for number in inside[:MAX_LISTED_ROWS])
        more = f" and {len(inside) - MAX_LISTED_ROWS} more" if len(inside) > MAX_LISTED_ROWS else ""
        return (
            Problem(
                inside[0],
                None,
                "blank_row",
                f"blank rows were skipped: {listed}{more}",
                sheet=self.sheet,
            ),
        )
