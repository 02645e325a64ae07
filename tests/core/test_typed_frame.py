"""Typed tables: the column types every table the workflow writes is built with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revmentor.core.tables import typed_frame

COLUMNS = ("text", "count", "number")


def typed(records):
    return typed_frame(records, COLUMNS, {"text"}, {"count"})


def test_text_counts_and_numbers_get_their_types_and_empty_cells():
    frame = typed(
        [
            {"text": "a", "count": 3, "number": 1.5},
            {"text": None, "count": None, "number": None},
            {"count": np.int64(7), "number": np.inf},
            {"text": "", "number": np.float64(-np.inf)},
            {"text": "b", "count": 0, "number": 2},
        ]
    )
    assert list(frame.columns) == list(COLUMNS)
    assert frame.dtypes.tolist() == [np.dtype(object), pd.Int64Dtype(), np.dtype(float)]
    assert frame["text"].tolist() == ["a", "", "", "", "b"]
    assert frame["count"].tolist() == [3, pd.NA, 7, pd.NA, 0]
    assert frame["number"].iloc[[0, 4]].tolist() == [1.5, 2.0]
    assert frame["number"].iloc[1:4].isna().all()


def test_other_values_are_read_as_pandas_reads_them():
    frame = typed(
        [
            {"text": 1, "count": 2.0, "number": "3.5"},
            {"text": None, "count": None, "number": "not a number"},
            {"text": True, "count": None, "number": pd.NA},
        ]
    )
    assert frame["text"].tolist() == [1, "", True]
    assert frame["count"].tolist() == [2, pd.NA, pd.NA]
    assert frame["number"].iloc[0] == 3.5 and frame["number"].iloc[1:].isna().all()
    numbers_in_text = typed([{"text": 1}, {"text": None}])
    assert numbers_in_text["text"].tolist() == [1.0, ""]  # pandas makes 1 a float here


def test_no_records_give_the_header_and_the_types():
    frame = typed([])
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert frame.dtypes.tolist() == [np.dtype(object), pd.Int64Dtype(), np.dtype(float)]
    assert frame.to_csv(index=False) == "text,count,number\n"
