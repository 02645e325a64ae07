"""Golden tables: a small fixed consortium's report tables, compared cell by cell."""

from __future__ import annotations

import io
import os

import pandas as pd
import pytest

from revmentor.core.tables import csv_text
from revmentor.inprocess import analyse
from tests.report.golden import GOLDEN, TABLES, build, golden_config


@pytest.fixture(scope="module")
def produced(tmp_path_factory, config, instrument):
    folder = tmp_path_factory.mktemp("golden")
    return analyse(build(folder, instrument), golden_config(config))


@pytest.mark.parametrize("name", TABLES)
def test_table_matches_golden_cell_by_cell(produced, name):
    text = csv_text(produced[f"table_{name}"], for_people=True)
    path = GOLDEN / f"{name}.csv"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    actual = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        different = actual[column] != expected[column]
        got, wanted = actual.loc[different, column], expected.loc[different, column]
        assert not different.any(), (
            f"{name}.{column} differs in rows {list(actual.index[different])[:5]}: "
            f"{list(got)[:3]} != {list(wanted)[:3]}"
        )
    assert text == path.read_text(encoding="utf-8")
