"""The clean, typed responses table: its columns, how it is written and read back.

Kept apart from the validation itself so that steps reading clean tables do not import
pandera.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.tables import read_exact_csv, table_csv, written_number

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
    raw = read_exact_csv(path)
    columns: dict[str, Any] = {}
    for column in raw.columns:
        texts = raw[column].tolist()
        if column in integer_columns:
            columns[column] = pd.array(
                [_whole(text, path, row, column) for row, text in enumerate(texts, start=2)],
                dtype="Int64",
            )
        else:
            columns[column] = pd.Series(
                [None if text == "" else text for text in texts], index=raw.index, dtype=object
            )
    return pd.DataFrame(columns, index=raw.index, columns=raw.columns)
