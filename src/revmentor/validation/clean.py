"""The clean, typed responses table: its columns, how it is written and read back.

Kept apart from the validation itself so that steps reading clean tables do not import
pandera.
"""

from __future__ import annotations

from pathlib import Path

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


def read_clean(path: Path, instrument: Instrument) -> pd.DataFrame:
    """The clean responses table as written by :func:`clean_csv`, with its types restored."""
    integer_columns = [
        *instrument.domain_ids,
        *(item.id for item in instrument.items if item.is_binary),
        SOURCE_ROW,
    ]
    raw = read_exact_csv(path)
    clean = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        values = raw[column].replace("", None).astype(object)
        if column in integer_columns:
            clean[column] = pd.array(
                [
                    None if text == "" else int(written_number(text, path, row, column, whole=True))
                    for row, text in enumerate(raw[column], start=2)
                ],
                dtype="Int64",
            )
        else:
            clean[column] = values.where(values.notna(), None)
    return clean
