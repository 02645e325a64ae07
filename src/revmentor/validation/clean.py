"""The clean, typed responses table: its columns, how it is written and read back.

Kept apart from the validation itself so that steps reading clean tables do not import
pandera.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.tables import table_csv

SOURCE_ROW = "source_row"


def clean_columns(instrument: Instrument) -> list[str]:
    return [*instrument.known_columns(), SOURCE_ROW]


def clean_csv(clean: pd.DataFrame | None, instrument: Instrument) -> str:
    """The clean table as CSV; an invalid site gets the header alone, so no row is used."""
    return table_csv(clean, clean_columns(instrument))


def read_clean(path: Path, instrument: Instrument) -> pd.DataFrame:
    """The clean responses table as written by :func:`clean_csv`, with its types restored."""
    integer_columns = [
        *instrument.domain_ids,
        *(item.id for item in instrument.items if item.is_binary),
        SOURCE_ROW,
    ]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    clean = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        values = raw[column].replace("", None).astype(object)
        if column in integer_columns:
            clean[column] = pd.array(pd.to_numeric(values), dtype="Int64")
        else:
            clean[column] = values.where(values.notna(), None)
    return clean
