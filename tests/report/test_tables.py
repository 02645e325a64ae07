"""Small-cell suppression, spreadsheet-formula neutralising and table rendering."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core.tables import csv_text, neutralise
from revmentor.report.render import display_frame, html_table, markdown_table
from revmentor.report.tables import suppress


@pytest.mark.parametrize(
    ("counts", "min_cell", "shown"),
    [
        ([10, 7, 0], 5, ["10", "7", "0"]),
        ([10, 3, 0], 5, ["*", "<5", "0"]),
        ([10, 3, 6], 5, ["10", "<5", "*"]),
        ([2, 3, 9], 5, ["<5", "<5", "9"]),
        ([3], 5, ["<5"]),
        ([2, 3, 9], 0, ["2", "3", "9"]),
        ([1, 12, 12], 3, ["<3", "*", "12"]),
    ],
)
def test_suppression(counts, min_cell, shown):
    assert suppress(counts, min_cell) == shown


@pytest.mark.parametrize("text", ["=1+1", "+44 113", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone():
    frame = pd.DataFrame({"name": ["Leeds", "=cmd"], "change": [-1.5, 2.0]})
    assert csv_text(frame, for_people=True) == "name,change\nLeeds,-1.5\n'=cmd,2.0\n"


def test_markdown_and_html_escape_user_text():
    shown = display_frame(
        pd.DataFrame({"site": ["A|B <script>"], "p": [0.0004], "x": [1.23456]}),
        p_columns=("p",),
    )
    assert list(shown.iloc[0]) == ["A|B <script>", "<0.001", "1.23"]
    assert "A\\|B" in markdown_table(shown, "T")
    assert "&lt;script&gt;" in html_table(shown, "T") and "<script>" not in html_table(shown, "T")
