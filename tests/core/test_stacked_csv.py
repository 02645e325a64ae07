"""A stacked table's CSV cut into its blocks' CSVs: each exactly the block written alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revmentor.core.tables import stacked_csv, table_csv

COLUMNS = ("site_id", "note", "count", "value")


def block(site: str, notes: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": [site] * len(notes),
            "note": notes,
            "count": pd.array(range(len(notes)), dtype="Int64"),
            "value": np.linspace(0.1, 1 / 3, len(notes)),
        },
        columns=list(COLUMNS),
    )


def check(frames: list[pd.DataFrame | None]) -> None:
    present = [frame for frame in frames if frame is not None and len(frame)]
    stacked = pd.concat(present, ignore_index=True) if present else None
    rows = [None if frame is None else len(frame) for frame in frames]
    text, blocks = stacked_csv(stacked, COLUMNS, rows)
    assert text == table_csv(stacked, COLUMNS, for_people=False)
    assert blocks == [table_csv(frame, COLUMNS, for_people=False) for frame in frames]


def test_blocks_are_cut_from_the_stacked_text():
    check([block("a", ["x", "", "y,z"]), None, block("b", ['say "hi"']), block("c", [])])


def test_a_value_holding_a_line_end_gets_each_block_written_alone():
    check([block("a", ["two\nlines", "x"]), block("b", ["\r\n", "y"]), None])


def test_no_rows_at_all_give_headers_alone():
    check([None, block("a", []), None])
    assert stacked_csv(None, COLUMNS, [None])[1] == ["site_id,note,count,value\n"]
