"""The messages a site's data manager meets when checking a file before sending it (issue 14):
a band Excel turned into a date, a row pasted twice, and a number stored as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from revmentor.core.excel_dates import cell_date, likely_bands
from revmentor.core.privacy import WITHHELD
from revmentor.core.problems import Problem
from revmentor.core.workbook import responses_workbook
from revmentor.validation.site import validate, validate_site

SITE_ID = "leeds"
SHEET = "responses"
YEARS = "'0-4', '5-9', '10-14', '15-19', '20+', 'not_stated'"
UNDO = (
    "format the years_in_role column as Text (Format Cells > Text) before typing, or retype "
    "the value with a leading apostrophe"
)
TEXT_FIX = (
    "check the column's format (a number stored as text is left out of the spreadsheet's "
    "own sums: select the cells and use Convert to Number)"
)


def rows(instrument, years: object = "0-4") -> list[list[object]]:
    """P1 (mentor) and P2 (mentee) at pre and post, as numbers in a workbook: rows 2-5."""
    header = [
        "site_id",
        "participant_id",
        "role",
        "timepoint",
        *instrument.domain_ids,
        "benefited",
        "years_in_role",
    ]
    table: list[list[object]] = [header]
    for participant, role in (("P1", "mentor"), ("P2", "mentee")):
        for timepoint in instrument.timepoints:
            benefited = 1 if timepoint == "post" else None
            table.append([SITE_ID, participant, role, timepoint, *[3] * 7, benefited, years])
    return table


def check_xlsx(tmp_path: Path, instrument, table, formats: dict[str, str] | None = None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for row in table:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    path = tmp_path / "site.xlsx"
    workbook.save(path)
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "site.xlsx"}
    return validate_site(path, site, instrument)


def check_csv(tmp_path: Path, instrument, table):
    path = tmp_path / "site.csv"
    text = "".join(",".join("" if c is None else str(c) for c in row) + "\n" for row in table)
    path.write_text(text, encoding="utf-8")
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "site.csv"}
    return validate_site(path, site, instrument)


def dated(table: list[list[object]], value: object) -> list[list[object]]:
    """Every years_in_role cell holds ``value``, as when Excel converted the whole column."""
    for row in table[1:]:
        row[-1] = value
    return table


# ---------------------------------------------------------------------------------------
# A band that Excel turned into a date
# ---------------------------------------------------------------------------------------


def band_message(value: str, band: str) -> str:
    return (
        f"'{value}' is a date, not an allowed value of years_in_role: most likely Excel "
        f"turned the band '{band}' into a date when it was typed; {UNDO} ('{band}); "
        f"allowed: {YEARS}"
    )


@pytest.mark.parametrize(
    ("date", "band"),
    [
        (dt.datetime(2025, 9, 5), "5-9"),  # typed 5-9 where days come first (en-GB)
        (dt.datetime(2025, 5, 9), "5-9"),  # typed 5-9 where months come first (en-US)
        (dt.datetime(2014, 10, 1), "10-14"),  # typed 10-14: read as October 2014
    ],
)
def test_an_xlsx_band_turned_into_a_date_names_the_band(tmp_path, instrument, date, band):
    table = dated(rows(instrument), date)
    report, clean = check_xlsx(
        tmp_path, instrument, table, {f"M{row}": "dd-mmm" for row in range(2, 6)}
    )
    assert clean is None
    value = date.isoformat()
    assert report.errors == tuple(
        Problem(
            row, "years_in_role", "allowed_years_in_role", band_message(value, band), value, SHEET
        )
        for row in range(2, 6)
    )


@pytest.mark.parametrize(
    ("shown", "band"),
    [("05-Sep", "5-9"), ("9-May", "5-9"), ("2025-09-05", "5-9"), ("Oct-14", "10-14")],
)
def test_a_csv_saved_by_excel_shows_the_date_and_names_the_band(tmp_path, instrument, shown, band):
    report, _ = check_csv(tmp_path, instrument, dated(rows(instrument), shown))
    assert [(p.row, p.check, p.message) for p in report.errors] == [
        (row, "allowed_years_in_role", band_message(shown, band)) for row in range(2, 6)
    ]


def test_a_date_that_matches_no_band_still_says_it_is_a_date(tmp_path, instrument):
    report, _ = check_csv(tmp_path, instrument, dated(rows(instrument), "02-Jan"))
    assert report.errors[0].message == (
        "'02-Jan' is a date, not an allowed value of years_in_role: a spreadsheet turns a "
        f"value such as '5-9' into a date when it is typed; {UNDO}; allowed: {YEARS}"
    )


def test_a_value_that_is_not_a_date_keeps_its_message(tmp_path, instrument):
    report, _ = check_csv(tmp_path, instrument, dated(rows(instrument), "5 to 9"))
    assert report.errors[0].message == (
        f"'5 to 9' is not an allowed value of years_in_role; allowed: {YEARS}"
    )


def test_a_date_is_withheld_from_the_log_line(tmp_path, instrument):
    """A date may be a date of birth: the log quotes neither the cell nor the date in it."""
    table = dated(rows(instrument), dt.datetime(2025, 9, 5))
    report, _ = check_xlsx(tmp_path, instrument, table)
    line = report.errors[0].log_line()
    assert "2025" not in line
    assert line.startswith(
        f"sheet 'responses', row 2, column 'years_in_role': {WITHHELD} is a date"
    )


def test_a_score_formatted_as_a_date_names_the_number_it_holds(tmp_path, instrument):
    table = rows(instrument)
    table[2][4] = 4  # row 3, clinical_practice: 4 in a cell formatted as a date
    table[2][11] = 1  # row 3, benefited
    report, _ = check_xlsx(tmp_path, instrument, table, {"E3": "yyyy-mm-dd", "L3": "yyyy-mm-dd"})
    assert [(p.row, p.column, p.message) for p in report.errors] == [
        (
            3,
            "clinical_practice",
            "'1900-01-04T00:00:00' is not a whole number from 1 to 5: the cell holds a date, "
            "which is how a spreadsheet shows the number 4 in a cell formatted as a date; "
            "format the column as Number (Format Cells > Number) and check the value",
        ),
        (
            3,
            "benefited",
            "'1900-01-01T00:00:00' is not 0 (no) or 1 (yes): the cell holds a date, which is "
            "how a spreadsheet shows the number 1 in a cell formatted as a date; format the "
            "column as Number (Format Cells > Number) and check the value",
        ),
    ]


def test_a_csv_score_that_is_a_date_says_so(tmp_path, instrument):
    table = rows(instrument)
    table[2][4] = "05-Sep"  # row 3
    report, _ = check_csv(tmp_path, instrument, table)
    assert [(p.row, p.column, p.message) for p in report.errors] == [
        (
            3,
            "clinical_practice",
            "'05-Sep' is not a whole number from 1 to 5: the cell holds a date or time; format "
            "it as a number and type the number",
        )
    ]


@pytest.mark.parametrize("text", ["5-9", "10-14", "4", "Sept", "May 2", "31-02-2025", "13/13/25"])
def test_what_is_not_a_date_is_not_read_as_one(text):
    date = cell_date(text)
    assert date is None or not likely_bands(date, ("5-9", "10-14"))


REDCAP_EVENTS = {"events": {"pre_arm_1": "pre", "post_arm_1": "post"}}
REDCAP_HEADER = (
    "participant_id,redcap_event_name,role,clinical_practice,approach_to_juniors,"
    "approachability,use_of_technology,time_management,strengths,areas_for_improvement,"
    "benefited,years_in_role,confidence_complete"
)


def check_export(tmp_path: Path, instrument, *lines: str):
    path = tmp_path / "export.csv"
    path.write_text("\n".join([REDCAP_HEADER, *lines]) + "\n", encoding="utf-8")
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "redcap", "file": str(path)}
    return validate(site, instrument, redcap=REDCAP_EVENTS)


def test_a_redcap_label_excel_turned_into_a_date_is_named_in_redcap_terms(tmp_path, instrument):
    checked = check_export(
        tmp_path,
        instrument,
        "P1,pre_arm_1,1,3,3,3,3,3,3,3,,05-Sep,2",
        "P1,post_arm_1,1,4,4,4,4,4,4,4,1,05-Sep,2",
    )
    message = (
        "'05-Sep' is not a code of field 'years_in_role' (1 = 0-4, 2 = 5-9, 3 = 10-14, "
        "4 = 15-19, 5 = 20+, 6 = not_stated); it is a date, most likely the label '5-9' "
        "that Excel turned into a date when the export was opened in it: export 'raw "
        "data', not labels, and send the export as REDCap wrote it"
    )
    assert [(p.row, p.column, p.check, p.message) for p in checked.report.errors] == [
        (2, "years_in_role", "redcap_code", message),
        (3, "years_in_role", "redcap_code", message),
    ]


# ---------------------------------------------------------------------------------------
# A row pasted twice
# ---------------------------------------------------------------------------------------


def test_an_identical_row_is_named_as_a_copy_to_delete(tmp_path, instrument):
    table = rows(instrument)
    table.append(list(table[3]))  # row 6 repeats row 4 (P2 pre) cell for cell
    report, clean = check_csv(tmp_path, instrument, table)
    assert clean is None
    assert report.errors == (
        Problem(
            6,
            "participant_id",
            "unique_participant_timepoint",
            "rows 4 and 6 are identical (participant 'P2', every cell the same): row 6 is a "
            "copy of row 4; delete row 6",
            "P2",
        ),
    )
    assert report.errors[0].log_line() == (
        f"row 6, column 'participant_id': rows 4 and 6 are identical (participant {WITHHELD}, "
        "every cell the same): row 6 is a copy of row 4; delete row 6 "
        "[unique_participant_timepoint]"
    )


def test_spaces_around_a_cell_do_not_make_a_copy_different(tmp_path, instrument):
    table = rows(instrument)
    copy = list(table[1])
    copy[2] = " mentor "
    table.append(copy)
    report, _ = check_xlsx(tmp_path, instrument, table)
    assert [(p.row, p.message) for p in report.errors] == [
        (
            6,
            "rows 2 and 6 are identical (participant 'P1', every cell the same): row 6 is a "
            "copy of row 2; delete row 6",
        )
    ]


def test_rows_that_differ_keep_the_conflict_message_and_a_copy_among_them_is_named(
    tmp_path, instrument
):
    table = rows(instrument)
    table.append(list(table[1]))  # row 6: a copy of row 2 (P1 pre)
    differing = list(table[1])
    differing[5] = 5
    table.append(differing)  # row 7: P1 pre again, with another score
    report, _ = check_csv(tmp_path, instrument, table)
    conflict = (
        "participant 'P1' has more than one row at the same timepoint; keep one row per "
        "participant and timepoint"
    )
    assert [(p.row, p.message) for p in report.errors] == [
        (2, conflict),
        (
            6,
            "rows 2 and 6 are identical (participant 'P1', every cell the same): row 6 is a "
            "copy of row 2; delete row 6",
        ),
        (7, conflict),
    ]


def test_an_identical_row_of_a_redcap_export_names_the_export_rows(tmp_path, instrument):
    pre = "P1,pre_arm_1,1,3,3,3,3,3,3,3,,2,2"
    post = "P1,post_arm_1,1,4,4,4,4,4,4,4,1,2,2"
    checked = check_export(tmp_path, instrument, pre, post, post)
    assert [(p.row, p.column, p.check, p.message) for p in checked.report.errors] == [
        (
            4,
            "participant_id",
            "unique_participant_timepoint",
            "rows 3 and 4 are identical (participant 'P1', every cell the same): row 4 is a "
            "copy of row 3; delete row 4",
        )
    ]


# ---------------------------------------------------------------------------------------
# A number stored as text
# ---------------------------------------------------------------------------------------


def test_a_score_stored_as_text_is_read_with_a_warning(tmp_path, instrument):
    table = rows(instrument)
    table[1][4] = "4"  # row 2, clinical_practice
    table[4][4] = "4"  # row 5
    table[3][5] = " 4 "  # row 4, approach_to_juniors: text with spaces around it
    table[2][11] = "1"  # row 3, benefited
    table[2][1] = "P1"  # an id is text, whatever it looks like
    report, clean = check_xlsx(tmp_path, instrument, table)
    assert report.errors == ()
    assert report.warnings == (
        Problem(
            4,
            "approach_to_juniors",
            "number_stored_as_text",
            f"' 4 ' is stored as text in the spreadsheet; read as the number 4 in row 4; "
            f"{TEXT_FIX}",
            " 4 ",
            SHEET,
        ),
        Problem(
            3,
            "benefited",
            "number_stored_as_text",
            f"'1' is stored as text in the spreadsheet; read as the number 1 in row 3; {TEXT_FIX}",
            "1",
            SHEET,
        ),
        Problem(
            2,
            "clinical_practice",
            "number_stored_as_text",
            f"'4' is stored as text in the spreadsheet; read as the number 4 in rows 2, 5; "
            f"{TEXT_FIX}",
            "4",
            SHEET,
        ),
    )
    assert list(clean["clinical_practice"]) == [4, 3, 3, 4]
    assert list(clean["approach_to_juniors"]) == [3, 3, 4, 3]
    assert clean.loc[1, "benefited"] == 1


def test_a_text_number_under_a_column_name_read_loosely_is_still_named(tmp_path, instrument):
    table = rows(instrument)
    table[0][4] = "Clinical_Practice"
    table[1][4] = "+4"
    report, clean = check_xlsx(tmp_path, instrument, table)
    assert [(p.row, p.column, p.check, p.message) for p in report.warnings] == [
        (
            1,
            "clinical_practice",
            "label_normalised",
            "column name 'Clinical_Practice' was read as 'clinical_practice'",
        ),
        (
            2,
            "clinical_practice",
            "number_stored_as_text",
            f"'+4' is stored as text in the spreadsheet; read as the number 4 in row 2; {TEXT_FIX}",
        ),
    ]
    assert clean.loc[0, "clinical_practice"] == 4


def test_a_text_number_out_of_range_is_an_error_and_a_warning(tmp_path, instrument):
    table = rows(instrument)
    table[1][4] = "7"
    report, _ = check_xlsx(tmp_path, instrument, table)
    assert [(p.row, p.check) for p in report.errors] == [(2, "score_in_scale")]
    assert [p.check for p in report.warnings] == ["number_stored_as_text"]


def test_a_csv_holds_only_text_so_it_gets_no_such_warning(tmp_path, instrument):
    report, clean = check_csv(tmp_path, instrument, rows(instrument))
    assert report.errors == () and report.warnings == ()
    assert list(clean["clinical_practice"]) == [3, 3, 3, 3]


def test_the_workflows_own_template_stores_numbers_as_numbers(tmp_path, repo, instrument):
    """A workbook written from the example data by revmentor's template gets no warning."""
    frame = pd.read_csv(repo / "data/example/pilot.csv", dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    path = tmp_path / "pilot.xlsx"
    responses_workbook(instrument, frame, site_id="pilot").save(path)
    site = {"site_id": "pilot", "name": "Pilot", "format": "responses", "file": "pilot.xlsx"}
    report, clean = validate_site(path, site, instrument)
    assert report.errors == ()
    assert [p for p in report.warnings if p.check == "number_stored_as_text"] == []
    assert clean is not None and len(clean) == len(frame)
