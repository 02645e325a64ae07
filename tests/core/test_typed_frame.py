"""Typed tables: the column types every table the workflow writes is built with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revmentor.core.logs import StepFailure
from revmentor.core.tables import read_typed_csv, typed_frame

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


def test_read_typed_csv_reads_each_cell_as_typed_frame_types_its_record(tmp_path):
    """Column by column (each distinct text parsed once), the frame is what the cell by
    cell records give: empty numbers missing, text kept, an unknown column dropped and a
    column the file lacks empty."""
    path = tmp_path / "table.csv"
    path.write_text("text,count,number,extra\na,3,1.5,7\n,,,\nb,3,1.5,8\n,0,-2e-05,9\n")
    frame = read_typed_csv(path, (*COLUMNS, "absent"), {"text", "absent"}, {"count"})
    expected = typed_frame(
        [
            {"text": "a", "count": 3.0, "number": 1.5},
            {"text": ""},
            {"text": "b", "count": 3.0, "number": 1.5},
            {"text": "", "count": 0.0, "number": -2e-05},
        ],
        (*COLUMNS, "absent"),
        {"text", "absent"},
        {"count"},
    )
    pd.testing.assert_frame_equal(frame, expected)


def test_read_typed_csv_names_the_first_unreadable_cell_in_reading_order(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("text,count,number\na,1,2\nb,1,1_6\nc,x,1\n")
    with pytest.raises(StepFailure, match=r"row 3, column 'number': '1_6'"):
        read_typed_csv(path, COLUMNS, {"text"}, {"count"})
