"""The clean, typed responses table: its columns, how it is written and read back.

Kept apart from the validation itself so that steps reading clean tables do not import
pandera.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.tables import read_exact_columns, table_csv, written_number

SOURCE_ROW = "source_row"


def clean_columns(instrument: Instrument) -> list[str]:
    return [*instrument.known_columns(), SOURCE_ROW]


def clean_csv(clean: pd.DataFrame | None, instrument: Instrument) -> str:
    """The clean table as CSV; an invalid site gets the header alone, so no row is used.
    Every id and text is kept exactly (the statistics job reads it back)."""
    return table_csv(clean, clean_columns(instrument), for_people=False)


#: Whole numbers that ``int()`` reads exactly as the number parser does (``int(float())``):
#: plain ASCII digits, short enough to be exact as a float.
SHORT_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,15}")


def _whole(text: str, path: Path, row: int, column: str) -> int | None:
    if text == "":
        return None
    if SHORT_WHOLE_NUMBER.fullmatch(text):
        return int(text)
    return int(written_number(text, path, row, column, whole=True))


def read_clean(path: Path, instrument: Instrument) -> pd.DataFrame:
    """The clean responses table as written by :func:`clean_csv`, with its types restored."""
    integer_columns = {
        *instrument.domain_ids,
        *(item.id for item in instrument.items if item.is_binary),
        SOURCE_ROW,
    }
    cells = read_exact_columns(path)
    rows = pd.RangeIndex(len(next(iter(cells.values()))) if cells else 0)
    columns: dict[str, Any] = {}
    for column, texts in cells.items():
        if column in integer_columns:
            columns[column] = _whole_column(texts, path, column)
        else:
            values = texts.copy()
            values[texts == ""] = None
            columns[column] = pd.Series(values, index=rows, dtype=object)
    return pd.DataFrame(columns, index=rows, columns=list(cells))


def _whole_column(texts: np.ndarray, path: Path, column: str) -> pd.api.extensions.ExtensionArray:
    """:func:`_whole` of every cell: at once where every filled cell is a short whole
    number, as the workflow writes them; else cell by cell, so that the first cell that is
    not a number is named with its row."""
    filled = texts != ""
    given = texts[filled]
    if _all_short_whole(given):
        values = np.zeros(len(texts), dtype=np.int64)
        values[filled] = given.astype(np.int64)
        return pd.arrays.IntegerArray(values, ~filled)
    return pd.array(
        [_whole(text, path, row, column) for row, text in enumerate(texts.tolist(), start=2)],
        dtype="Int64",
    )


_SHORT_WHOLE_BYTES = np.zeros(256, dtype=bool)
_SHORT_WHOLE_BYTES[list(b"0123456789-\n")] = True


def _all_short_whole(given: np.ndarray) -> bool:
    """Every cell matches ``SHORT_WHOLE_NUMBER`` (checked over the column's text at once)."""
    if not given.size:
        return True
    text = "\n".join(given)
    if not text.isascii():
        return False
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    if not _SHORT_WHOLE_BYTES[codes].all():
        return False
    ends = np.flatnonzero(codes == ord("\n"))
    if len(ends) != len(given) - 1:
        return False
    starts = np.r_[0, ends + 1]
    lengths = np.r_[ends, len(codes)] - starts
    signed = codes[starts] == ord("-")
    digits = lengths - signed
    # a minus sign only as a cell's first character, and 1 to 15 digits after it
    return int(np.count_nonzero(codes == ord("-"))) == int(signed.sum()) and bool(
        ((digits >= 1) & (digits <= 15)).all()
    )
