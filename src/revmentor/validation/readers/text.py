"""Delimited text (comma, semicolon or tab; UTF-8 with or without BOM), read as a stream.

The encoding is checked over the whole file first, a chunk at a time, so that a UTF-16 or
Windows-1252 file gets one whole-file error naming its encoding rather than a cell-level
error on its first accented letter. Rows are then parsed one at a time and stop at the
size limits, so memory follows the rows kept, not the file.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from revmentor.core.problems import Problem, ProblemsError
from revmentor.validation.encoding import CHUNK, check_encoding
from revmentor.validation.readers.limits import ReadLimits
from revmentor.validation.readers.table import RawTable, TableBuilder

DELIMITERS = (",", ";", "\t")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def choose_delimiter(header_line: str, known_columns: Iterable[str]) -> str:
    """The delimiter that splits the header into the most known column names."""
    known = {name.strip().lower() for name in known_columns}

    def score(delimiter: str) -> tuple[int, int]:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        recognised = sum(cell.strip().lower() in known for cell in fields)
        return recognised, len(fields)

    return max(DELIMITERS, key=lambda delimiter: (score(delimiter), -DELIMITERS.index(delimiter)))


@contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let the csv module pass cells of any length up to the file's size, so that a long
    cell is reported with its row and column instead of csv's bare 'field larger than
    field limit' (the module's limit is process-wide, so it is put back afterwards)."""
    previous = csv.field_size_limit(min(max(size + 1, csv.field_size_limit()), sys.maxsize))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_delimited(
    path: Path, shown_as: str, known_columns: Sequence[str], limits: ReadLimits
) -> RawTable:
    if not check_encoding(_file_chunks(path), shown_as, again=_file_chunks(path)):
        raise ProblemsError(
            f"{shown_as}: the file is empty",
            [Problem(None, None, "file_not_empty", "the file is empty")],
        )
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline().rstrip("\r\n")
    delimiter = choose_delimiter(first_line, known_columns)
    builder = TableBuilder(shown_as, limits, sheet=None, delimiter=delimiter, ragged_is_error=True)
    number = 0
    with open(path, encoding="utf-8-sig", newline="") as handle, _field_limit(path.stat().st_size):
        records = csv.reader(handle, delimiter=delimiter)
        try:
            for number, record in enumerate(records, 1):
                builder.add(number, [cell or None for cell in record])
        except csv.Error as error:
            raise ProblemsError(
                f"{shown_as}: the file is not valid CSV",
                [
                    Problem(
                        number + 1,
                        None,
                        "csv_syntax",
                        f"row {number + 1} is not valid CSV: {error}",
                    )
                ],
            ) from None
    return builder.finish()
