"""Small-cell suppression, spreadsheet-formula neutralising and table rendering."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core.summary_format import NOT_RECORDED
from revmentor.core.tables import csv_text, neutralise
from revmentor.report.render import display_frame, html_table, markdown_table
from revmentor.report.tables import participants_table, suppress


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


def _participants_by_filtering(demographics, scopes, roles, min_cell):
    """Table 1 as the frame filters and groupby give it: what the one-pass build must equal."""
    records = []
    by_site = dict(tuple(demographics.groupby("site_id", sort=False)))
    frames = [(s, by_site.get(s, demographics.iloc[0:0])) for s in scopes]
    for scope, rows in [*frames, ("all sites", demographics)]:
        for role in roles:
            part = rows[rows["role"] == role]
            if part.empty:
                continue
            variables = list(dict.fromkeys(part["variable"]))
            total = int(part[part["variable"] == variables[0]]["count"].sum())
            records.append((scope, role, "participants", "n", suppress([total], min_cell)[0]))
            for variable in variables:
                group = part[part["variable"] == variable].groupby("level", sort=False)["count"]
                sums = group.sum()
                levels = [lv for lv in sums.index if lv != NOT_RECORDED or sums[lv] > 0]
                shown = suppress([int(sums[lv]) for lv in levels], min_cell)
                records += [
                    (scope, role, variable, *cell) for cell in zip(levels, shown, strict=True)
                ]
    return records


def test_participants_table_equals_filtering_the_frame_per_site_role_and_variable():
    demographics = pd.DataFrame(
        {
            "site_id": ["s2", "s1", "s1", "s1", "s1", "s2", "s2", "s1", None],
            "role": ["mentor"] * 4 + ["mentee"] + ["mentor"] * 4,
            "variable": ["sex", "age", "age", "sex", "sex", "sex", "age", "age", "age"],
            "level": ["f", "18-30", NOT_RECORDED, "m", "f", "m", None, "31-40", "18-30"],
            "count": [4, 2, 0, 9, 1, 3, 5, 6, 7],
        }
    )
    table = participants_table(demographics, ["s1", "s2", "s3"], ["mentor", "mentee"], 5)
    rows = table[["scope", "role", "variable", "level", "count"]].itertuples(index=False)
    expected = _participants_by_filtering(demographics, ["s1", "s2", "s3"], ["mentor", "mentee"], 5)
    assert [tuple(row) for row in rows] == expected
    assert len(expected) > 10
