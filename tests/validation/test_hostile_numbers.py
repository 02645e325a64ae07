"""Cell text that Python reads as a number but a spreadsheet does not (issue 10).

``int()`` and ``float()`` take ``1_6`` for 16, Arabic-Indic ``٤``, fullwidth ``４`` and
mathematical ``𝟒`` for 4, and ``inf``/``nan`` for numbers. A data manager looking at such a
cell in Excel sees text, so the workflow must not read a number there: every place that
turns cell text into a number uses :mod:`revmentor.core.numbers`, and each refusal says why.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from revmentor.core.logs import StepFailure
from revmentor.core.numbers import plain_number, whole_number, why_not_a_number
from revmentor.core.problems import Problem
from revmentor.core.summary_format import read_summary
from revmentor.core.tables import csv_text
from revmentor.core.workbook import responses_workbook
from revmentor.validation.clean import clean_columns, clean_csv, read_clean
from revmentor.validation.site import validate_site, validate_summary_site

SITE_ID = "leeds"
SUMMARY_SITE = {
    "site_id": "oak",
    "name": "Oak",
    "format": "summary",
    "file": "summary.csv",
    "items_file": "items.csv",
}

ARABIC_FOUR = (
    "'٤' (ARABIC-INDIC DIGIT FOUR) is not one of the digits 0-9, so a spreadsheet does not "
    "read it as a number; type the number with the digits 0-9"
)
UNDERSCORE = "a spreadsheet does not read '_' inside a number; type the digits alone"
NOT_FINITE = (
    "a spreadsheet cell holds no infinity or NaN; if there is no value, leave the cell empty"
)

# ---------------------------------------------------------------------------------------
# The one parser
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("4", 4.0),
        ("-4", -4.0),
        ("4.0", 4.0),
        ("4.", 4.0),
        (".5", 0.5),
        ("1.5e-05", 1.5e-05),
        ("1E5", 100000.0),
        ("0.8139410298049853", 0.8139410298049853),
    ],
)
def test_plain_decimal_numbers_are_read(text, number):
    assert plain_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "1_6",
        "٤",
        "４",
        "𝟒",
        "inf",
        "-inf",
        "Infinity",
        "nan",
        "+4",
        "0x10",
        "1 6",
        "2,5",
        "",
        "1e400",
    ],
)
def test_spellings_python_accepts_but_a_spreadsheet_does_not_are_refused(text):
    assert plain_number(text) is None


@pytest.mark.parametrize(
    ("text", "number"), [("16", 16), ("16.0", 16), ("1.6E1", 16), ("2.5", None), ("1_6", None)]
)
def test_whole_numbers(text, number):
    assert whole_number(text) == number


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("٤", ARABIC_FOUR),
        (
            "４",
            "'４' (FULLWIDTH DIGIT FOUR) is not one of the digits 0-9, so a spreadsheet does "
            "not read it as a number; type the number with the digits 0-9",
        ),
        (
            "𝟒",
            "'𝟒' (MATHEMATICAL BOLD DIGIT FOUR) is not one of the digits 0-9, so a spreadsheet "
            "does not read it as a number; type the number with the digits 0-9",
        ),
        ("1_6", UNDERSCORE),
        ("inf", NOT_FINITE),
        ("-Infinity", NOT_FINITE),
        (
            "2024-01-02T00:00:00",
            "the cell holds a date or time; format it as a number and type the number",
        ),
        ("TRUE", "the cell holds TRUE or FALSE; type the number"),
        ("1 6", "it has a space inside, so a spreadsheet reads it as text; remove the space"),
        (
            "2,5",
            "a comma is neither a decimal point nor allowed as a thousands separator here; "
            "write the number with a point and no separators (2.5, 1000)",
        ),
        ("three", None),
    ],
)
def test_each_refusal_has_its_reason(text, reason):
    assert why_not_a_number(text) == reason


# ---------------------------------------------------------------------------------------
# Scores in a responses file
# ---------------------------------------------------------------------------------------


def responses(instrument, score_in_row_3: str) -> list[list[object]]:
    """Two participants at pre and post; row 3 (P1's post) holds the score under test."""
    header = ["site_id", "participant_id", "role", "timepoint", *instrument.domain_ids]
    rows = [header]
    for participant, role in (("P1", "mentor"), ("P2", "mentee")):
        for timepoint in instrument.timepoints:
            rows.append([SITE_ID, participant, role, timepoint, *(["3"] * len(header[4:]))])
    rows[2][4] = score_in_row_3
    return rows


def validate_csv(tmp_path: Path, rows: list[list[object]], instrument):
    path = tmp_path / "site.csv"
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in rows), encoding="utf-8")
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "site.csv"}
    return validate_site(path, site, instrument)


@pytest.mark.parametrize(
    ("score", "reason"),
    [
        ("٤", ARABIC_FOUR),
        (
            "４",
            "'４' (FULLWIDTH DIGIT FOUR) is not one of the digits 0-9, so a spreadsheet does "
            "not read it as a number; type the number with the digits 0-9",
        ),
        (
            "𝟒",
            "'𝟒' (MATHEMATICAL BOLD DIGIT FOUR) is not one of the digits 0-9, so a spreadsheet "
            "does not read it as a number; type the number with the digits 0-9",
        ),
        ("4_0", UNDERSCORE),
        ("inf", NOT_FINITE),
    ],
)
def test_a_score_python_would_read_is_refused_with_its_reason(tmp_path, instrument, score, reason):
    report, clean = validate_csv(tmp_path, responses(instrument, score), instrument)
    assert clean is None
    assert report.errors == (
        Problem(
            3,
            "clinical_practice",
            "score_in_scale",
            f"'{score}' is not a whole number from 1 to 5: {reason}",
            score,
        ),
    )


def test_a_plain_bad_score_keeps_its_message(tmp_path, instrument):
    report, _ = validate_csv(tmp_path, responses(instrument, "three"), instrument)
    assert [p.message for p in report.errors] == [
        "'three' is not a whole number from 1 to 5 "
        "(leave the cell empty or write NA when a score is missing)"
    ]


@pytest.mark.parametrize(("score", "shown"), [("+4", "+4"), (" 4", " 4")])
def test_a_score_excel_shows_as_4_is_read_with_a_warning(tmp_path, instrument, score, shown):
    """Excel shows +4 as 4, as it shows ' 4': both are read as 4, and the report says so."""
    rows = responses(instrument, score)
    report, clean = validate_csv(tmp_path, rows, instrument)
    assert report.errors == ()
    assert report.warnings == (
        Problem(
            3,
            "clinical_practice",
            "label_normalised",
            f"'{shown}' was read as '4' in row 3",
            shown,
        ),
    )
    assert clean.loc[1, "clinical_practice"] == 4


def test_a_non_ascii_digit_in_an_xlsx_text_cell_names_sheet_row_and_column(tmp_path, instrument):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "responses"
    for row in responses(instrument, "٤"):
        sheet.append([int(cell) if cell == "3" else cell for cell in row])
    path = tmp_path / "site.xlsx"
    workbook.save(path)
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "site.xlsx"}
    report, _ = validate_site(path, site, instrument)
    assert report.errors == (
        Problem(
            3,
            "clinical_practice",
            "score_in_scale",
            f"'٤' is not a whole number from 1 to 5: {ARABIC_FOUR}",
            "٤",
            "responses",
        ),
    )


# ---------------------------------------------------------------------------------------
# Numbers in a summary (and its items file)
# ---------------------------------------------------------------------------------------

SUMMARY_ROW = {
    "site_id": "oak",
    "role": "mentor",
    "outcome": "clinical_practice",
    "n_pairs": "16",
    "mean_diff": "0.4375",
    "sd_diff": "0.8139410298049853",
    "t_df": "15",
}


def validate_summary_row(tmp_path: Path, instrument, items: pd.DataFrame | None = None, **cells):
    path = tmp_path / "summary.csv"
    path.write_text(
        csv_text(pd.DataFrame([{**SUMMARY_ROW, **cells}]), for_people=False), encoding="utf-8"
    )
    items_path = None
    if items is not None:
        items_path = tmp_path / "items.csv"
        items_path.write_text(csv_text(items, for_people=False), encoding="utf-8")
    return validate_summary_site(path, items_path, SUMMARY_SITE, instrument)


@pytest.mark.parametrize(
    ("column", "value", "check", "message"),
    [
        pytest.param(
            "n_pairs",
            "1_6",
            "whole_number_at_least_1",
            f"'1_6' is not a whole number, at least 1: {UNDERSCORE}",
            id="n_pairs-underscore",
        ),
        pytest.param(
            "n_pairs",
            "١٦",
            "whole_number_at_least_1",
            "'١٦' is not a whole number, at least 1: '١' (ARABIC-INDIC DIGIT ONE) is not one "
            "of the digits 0-9, so a spreadsheet does not read it as a number; type the number "
            "with the digits 0-9",
            id="n_pairs-arabic-indic",
        ),
        pytest.param(
            "t_df",
            "1_5",
            "whole_number_at_least_1",
            f"'1_5' is not a whole number, at least 1: {UNDERSCORE}",
            id="t_df-underscore",
        ),
        pytest.param(
            "mean_diff",
            "0.4_375",
            "number",
            f"'0.4_375' is not a finite number: {UNDERSCORE}",
            id="mean-underscore",
        ),
        pytest.param(
            "mean_diff",
            "inf",
            "number",
            f"'inf' is not a finite number: {NOT_FINITE}",
            id="mean-inf",
        ),
        pytest.param(
            "sd_diff",
            "Infinity",
            "non_negative",
            f"'Infinity' is not a number, at least 0: {NOT_FINITE}",
            id="sd-infinity",
        ),
        pytest.param(
            "n_pairs",
            "1e20",
            "whole_number_at_least_1",
            "'1e20' is not a whole number, at least 1: it is more than 9007199254740991, the "
            "largest count the workflow holds exactly",
            id="n_pairs-too-large-to-hold",
        ),
    ],
)
def test_a_summary_number_python_would_read_is_refused(
    tmp_path, instrument, column, value, check, message
):
    report, summary, _ = validate_summary_row(tmp_path, instrument, **{column: value})
    assert summary is None
    assert report.errors == (Problem(2, column, check, message, value),)


def test_a_summary_count_with_a_plus_sign_is_read_with_a_warning(tmp_path, instrument):
    report, summary, _ = validate_summary_row(tmp_path, instrument, n_pairs="+16")
    assert report.errors == ()
    assert report.warnings == (
        Problem(2, "n_pairs", "label_normalised", "'+16' was read as '16' in row 2", "+16"),
    )
    assert summary.loc[0, "n_pairs"] == 16


def test_an_items_count_with_underscores_is_refused(tmp_path, instrument):
    items = pd.DataFrame(
        [
            {
                "site_id": "oak",
                "role": "mentor",
                "kind": "binary",
                "item": "concern_hierarchy",
                "timepoint": "pre",
                "n_answered": "1_8",
                "count": "13",
            }
        ]
    )
    report, _, _ = validate_summary_row(tmp_path, instrument, items=items)
    assert report.errors == (
        Problem(
            2,
            "n_answered",
            "whole_number_at_least_0",
            f"'1_8' is not a whole number, at least 0: {UNDERSCORE}",
            "1_8",
            file="items.csv",
        ),
    )


def test_an_internal_table_edited_to_hold_a_python_only_number_is_refused(tmp_path):
    """The workflow writes numbers with repr(); a cell float() alone would read means the
    file was edited after it was written."""
    path = tmp_path / "summary.csv"
    path.write_text("site_id,role,outcome,n_pairs,mean_diff,sd_diff\noak,mentor,total,1_6,1,1\n")
    with pytest.raises(StepFailure) as refused:
        read_summary(path)
    assert str(refused.value) == (
        f"{path}: row 2, column 'n_pairs': '1_6' is not a number as the workflow writes one, "
        "so the file was changed after the workflow wrote it; delete it and run the workflow "
        "again"
    )


def test_a_clean_table_edited_to_hold_a_python_only_score_is_refused(tmp_path, instrument):
    header = ",".join(clean_columns(instrument))
    scores = ["٤"] + ["3"] * (len(instrument.domain_ids) - 1)
    cells = {**dict.fromkeys(clean_columns(instrument), ""), "source_row": "2"}
    cells.update(site_id="leeds", participant_id="P1", role="mentor", timepoint="pre")
    cells.update(zip(instrument.domain_ids, scores, strict=True))
    path = tmp_path / "leeds.csv"
    path.write_text(header + "\n" + ",".join(cells.values()) + "\n", encoding="utf-8")
    with pytest.raises(StepFailure) as refused:
        read_clean(path, instrument)
    assert str(refused.value) == (
        f"{path}: row 2, column 'clinical_practice': '٤' is not a number as the workflow "
        "writes one, so the file was changed after the workflow wrote it; delete it and run "
        "the workflow again"
    )


def test_a_clean_table_reads_back_its_scores(tmp_path, instrument):
    rows = responses(instrument, "")
    rows[4][5] = "4"
    _, clean = validate_csv(tmp_path, rows, instrument)
    path = tmp_path / "clean.csv"
    path.write_text(clean_csv(clean, instrument), encoding="utf-8")
    again = read_clean(path, instrument)
    assert again["clinical_practice"].tolist() == [3, pd.NA, 3, 3]
    assert again[instrument.domain_ids[1]].tolist() == [3, 3, 3, 4]
    assert str(again["clinical_practice"].dtype) == "Int64"


def test_a_workbook_written_by_the_workflow_keeps_non_ascii_digits_as_text(instrument):
    """The writer's side of the same rule: '٤' stays text (it was written as the number 4),
    and '²' no longer stops the writer (int('²') raises)."""
    rows = pd.DataFrame([dict.fromkeys(instrument.known_columns(), "3")])
    rows["participant_id"] = "٤"
    rows["role"] = "²"
    sheet = responses_workbook(instrument, rows)["responses"]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, (cell.value for cell in sheet[2]), strict=True))
    assert (values["participant_id"], values["role"], values["clinical_practice"]) == ("٤", "²", 3)
