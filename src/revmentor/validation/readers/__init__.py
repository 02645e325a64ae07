"""Read a site's table from CSV (comma, semicolon or tab; UTF-8 with or without BOM) or XLSX.

Every data row keeps the row number a person sees when the file is opened in a
spreadsheet: the header is row 1. Problems that make the file unreadable, or a file over a
size limit (:class:`ReadLimits`, checked before it is parsed), are raised as a
:class:`ProblemsError` with every problem found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from revmentor.core.problems import Problem, ProblemsError
from revmentor.validation.encoding import decode_text
from revmentor.validation.readers.limits import (
    DEFAULT_LIMITS,
    ReadLimits,
    megabytes,
    over_limit,
)
from revmentor.validation.readers.table import MAX_CELL_CHARS, ROW_NUMBER, RawTable
from revmentor.validation.readers.text import choose_delimiter, read_delimited
from revmentor.validation.readers.xlsx import PREFERRED_SHEET, read_xlsx

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_CELL_CHARS",
    "PREFERRED_SHEET",
    "ROW_NUMBER",
    "RawTable",
    "ReadLimits",
    "choose_delimiter",
    "decode_text",
    "read_table",
]

DELIMITED_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_table(
    path: Path,
    shown_as: str,
    known_columns: Sequence[str] = (),
    limits: ReadLimits = DEFAULT_LIMITS,
) -> RawTable:
    """Read ``path``; ``shown_as`` is how messages name the file (relative, stable)."""
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES + DELIMITED_SUFFIXES:
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
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise over_limit(
            shown_as,
            "file_size_limit",
            f"the file is {megabytes(size)}, more than the limit of "
            f"{megabytes(limits.max_file_bytes)}",
            "max_file_mb",
            value=megabytes(size),
        )
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(path, shown_as, limits)
    try:
        return read_delimited(path, shown_as, known_columns, limits)
    except OSError as error:
        raise ProblemsError(
            f"{shown_as}: the file cannot be read",
            [Problem(None, None, "file_readable", f"the file cannot be read ({error.strerror})")],
        ) from None
