"""Tables read, built and written a column at a time (core/tables.py): the same values,
types, errors and bytes as cell by cell, which the pooling steps at 1,000 sites rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revmentor.core.logs import StepFailure
from revmentor.core.tables import (
    csv_text,
    read_typed_csv,
    stacked_columns,
    typed_columns,
    typed_frame,
    written_number,
)

COLUMNS = ("site_id", "n", "x", "y")


def _write(tmp_path, rows: list[str], header: str = "site_id,n,x,y,extra") -> str:
    path = tmp_path / "table.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_numbers_are_read_as_float_reads_them_and_typed(tmp_path):
    cells = ["0.1", "1e-320", "-.5e-3", "5.", "123456789.123456789e-5", "-0.0", "1E+308"]
    rows = [f"s{i},{i},{cell},,9" for i, cell in enumerate(cells)]
    frame = read_typed_csv(_write(tmp_path, rows), COLUMNS, {"site_id"}, {"n"})
    assert list(frame.columns) == list(COLUMNS)
    assert frame.dtypes.tolist() == [np.dtype(object), pd.Int64Dtype(), *[np.dtype(float)] * 2]
    read = frame["x"].to_numpy()
    assert (
        read.view(np.int64).tolist() == np.array([float(c) for c in cells]).view(np.int64).tolist()
    )
    assert frame["y"].isna().all() and frame["n"].tolist() == list(range(len(cells)))


@pytest.mark.parametrize("bad", ["+4", "1_6", "inf", "nan", "1e999", "\u0664", "1-2", "0x10", "."])
def test_a_cell_float_would_take_but_the_workflow_never_writes_is_an_error(tmp_path, bad):
    path = _write(tmp_path, ["s1,1,2.5,3,9", f"s2,2,{bad},4,9"])
    with pytest.raises(StepFailure) as raised:
        read_typed_csv(path, COLUMNS, {"site_id"}, {"n"})
    with pytest.raises(StepFailure) as cell_by_cell:
        written_number(bad, path, 3, "x")
    assert str(raised.value) == str(cell_by_cell.value)


def test_the_first_bad_cell_row_by_row_is_named_even_in_a_column_not_read(tmp_path):
    path = _write(tmp_path, ["s1,1,2.5,3,9", "s2,2,2.5,+4,inf", "s3,3,1_6,3,9"])
    with pytest.raises(StepFailure, match=r"row 3, column 'y': '\+4'"):
        read_typed_csv(path, COLUMNS, {"site_id"}, {"n"})
    extra_only = _write(tmp_path, ["s1,1,2.5,3,9", "s2,2,2.5,4,inf"])
    with pytest.raises(StepFailure, match="row 3, column 'extra'"):
        read_typed_csv(extra_only, COLUMNS, {"site_id"}, {"n"})


def test_typed_columns_type_as_typed_frame_does():
    records = [
        {"site_id": "a", "n": 3, "x": 1.5, "y": np.inf},
        {"site_id": None, "n": None, "x": None},
        {"site_id": "b", "n": np.int64(7), "x": np.float64(2.0), "y": -1},
    ]
    by_records = typed_frame(records, COLUMNS, {"site_id"}, {"n"})
    as_lists = {column: [record.get(column) for record in records] for column in COLUMNS[:3]}
    pd.testing.assert_frame_equal(
        typed_columns(as_lists | {"y": [np.inf, None, -1]}, 3, COLUMNS, {"site_id"}, {"n"}),
        by_records,
    )
    as_arrays = {
        "site_id": np.array(["a", None, "b"], dtype=object),
        "n": np.array([3, None, 7], dtype=object),
        "x": np.array([1.5, np.nan, 2.0]),
        "y": np.array([np.inf, np.nan, -1.0]),
    }
    pd.testing.assert_frame_equal(
        typed_columns(as_arrays, 3, COLUMNS, {"site_id"}, {"n"}), by_records
    )


def test_stacked_columns_fill_what_a_part_lacks_and_keep_text_as_str():
    parts = [
        {"site_id": ["a", "b"], "x": np.array([1.0, 2.0]), "n": np.array([1, 2])},
        {"site_id": ["c"], "y": np.array([0.5])},
    ]
    columns, rows = stacked_columns(parts, COLUMNS)
    assert rows == 3
    assert columns["site_id"].dtype == object
    assert [type(value) for value in columns["site_id"]] == [str, str, str]
    assert columns["x"].tolist() == [1.0, 2.0, None]
    assert columns["y"].tolist() == [None, None, 0.5]
    frame = typed_columns(columns, rows, COLUMNS, {"site_id"}, {"n"})
    assert frame["n"].tolist() == [1, 2, pd.NA]
    empty, none = stacked_columns([], COLUMNS)
    assert none == 0
    assert typed_columns(empty, 0, COLUMNS, {"site_id"}, {"n"}).dtypes.equals(
        typed_frame([], COLUMNS, {"site_id"}, {"n"}).dtypes
    )


def test_floats_are_written_as_their_repr_and_only_text_is_neutralised():
    frame = pd.DataFrame(
        {
            "x": [0.1 + 0.2, np.nan, -0.0, -1.5, np.inf, 1e-320],
            "t": ["=a", "-1", "ok", "=a", "", "@"],
            "mixed": [1, True, "x", 2.5, None, "+1"],
        }
    )
    text = csv_text(frame, for_people=True)
    assert text.splitlines() == [
        "x,t,mixed",
        "0.30000000000000004,'=a,1",
        ",'-1,True",
        "-0.0,ok,x",
        "-1.5,'=a,2.5",
        "inf,,",
        "1e-320,'@,'+1",
    ]
    assert csv_text(frame, for_people=False).splitlines()[1:3] == [
        "0.30000000000000004,=a,1",
        ",-1,True",
    ]
