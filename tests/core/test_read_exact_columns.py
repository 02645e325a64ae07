"""Reading a table the workflow wrote without pandas gives pandas' very cells, or pandas
reads it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revmentor.core.tables import read_exact_columns, read_exact_csv
from revmentor.validation.clean import _all_short_whole

PLAIN = "id,score,note\np1,3,\np2,,=1+1\n p3 ,-0,NA\n"


@pytest.mark.parametrize(
    "text",
    [
        PLAIN,
        PLAIN.rstrip("\n"),
        "id,score,note\n",
        PLAIN.replace("p2", '"p,2"'),
        PLAIN.replace("p2", "p\r2"),
        "\ufeff" + PLAIN,
        PLAIN.replace("p2,,=1+1\n", "p2,,=1+1\n\n"),
        PLAIN.replace("score", "id"),
        PLAIN.replace("score", ""),
        PLAIN.replace("p1,3,", "p1,3"),
        "Zoë,🙂\nnan,None\n",
    ],
)
def test_the_cells_are_those_pandas_reads(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = read_exact_csv(path)
    got = read_exact_columns(path)
    assert list(got) == [str(column) for column in expected.columns]
    for column in expected.columns:
        assert got[str(column)].dtype == object
        assert got[str(column)].tolist() == expected[column].tolist()


def test_what_pandas_refuses_is_refused_the_same_way(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,score\np1,3\np2,5,6\n", encoding="utf-8")
    with pytest.raises(pd.errors.ParserError):
        read_exact_csv(path)
    with pytest.raises(pd.errors.ParserError):
        read_exact_columns(path)


@pytest.mark.parametrize(
    ("cells", "short"),
    [
        (["1", "-2", "0", "123456789012345"], True),
        ([], True),
        (["1234567890123456"], False),
        (["1-2"], False),
        (["-"], False),
        (["+3"], False),
        ([" 3"], False),
        (["3.0"], False),
        (["3\n4"], False),
        (["٣"], False),
    ],
)
def test_short_whole_numbers_are_recognised_at_once(cells, short):
    assert _all_short_whole(np.array(cells, dtype=object)) is short
