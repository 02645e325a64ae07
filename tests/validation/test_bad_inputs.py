"""A corpus of malformed inputs, each checked for the exact problem it must report.

Three families: a site's data file (``validate_site``), a row of the site registry
(``read_registry``) and ``config.yaml`` (``load_config``). Every input is written into
``tmp_path`` by the test itself. Each case asserts where the problem is (sheet, row as a
spreadsheet numbers it with the header as row 1, column or config key), which check it
broke and the value quoted, and that nothing else is reported.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from revmentor.core.config import load_config, read_yaml
from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.validation.clean import clean_csv
from revmentor.validation.readers import read_table
from revmentor.validation.registry import read_registry
from revmentor.validation.site import validate_site

_REPO = Path(__file__).resolve().parents[2]
SITE_ID = "leeds"

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def located(problems, *, sheet: bool = False) -> list[tuple]:
    """Problems as comparable (row, column, check, value[, sheet]) tuples, in a fixed order."""
    found = [(p.row, p.column, p.check, p.value, *((p.sheet,) if sheet else ())) for p in problems]
    return sorted(found, key=repr)


def expect(*cases: tuple) -> list[tuple]:
    return sorted(cases, key=repr)


def checks(problems) -> list[str]:
    return sorted(p.check for p in problems)


@dataclass
class Table:
    """A responses table in spreadsheet terms: ``set(row, column, value)``, header = row 1."""

    header: list[str]
    rows: list[list[str]]

    def set(self, row: int, column: str, value: str) -> Table:
        if column not in self.header:
            self.header.append(column)
            for cells in self.rows:
                cells.append("")
        self.rows[row - 2][self.header.index(column)] = value
        return self

    def drop_column(self, column: str) -> Table:
        index = self.header.index(column)
        del self.header[index]
        for cells in self.rows:
            del cells[index]
        return self

    def drop_row(self, row: int) -> Table:
        del self.rows[row - 2]
        return self

    def lines(self, sep: str = ",") -> list[str]:
        """CSV lines, quoted where a cell needs it."""
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="\n").writerows([self.header, *self.rows])
        return out.getvalue().splitlines()

    def text(self, sep: str = ",", newline: str = "\n") -> str:
        return newline.join(self.lines(sep)) + newline

    def write_xlsx(self, path: Path, sheets: tuple[str, ...] = ("responses",), data: int = 0):
        """One workbook; the table goes on sheet ``sheets[data]``, whole numbers as numbers."""
        workbook = Workbook()
        workbook.remove(workbook.active)
        for index, name in enumerate(sheets):
            sheet = workbook.create_sheet(name)
            if index != data:
                sheet.append(["Fill in the responses sheet; one row per participant"])
                continue
            sheet.append(self.header)
            for cells in self.rows:
                sheet.append([_typed(cell) for cell in cells])
        workbook.save(path)
        return path


def _typed(cell: str) -> object:
    if cell == "":
        return None
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


@pytest.fixture
def table(instrument) -> Table:
    """A valid site: three participants (two mentors, one mentee), each at pre and post.

    Rows 2-3: P1 (mentor), rows 4-5: P2 (mentee), rows 6-7: P3 (mentor).
    """
    header = ["site_id", "participant_id", "role", "timepoint", *instrument.domain_ids]
    n = len(instrument.domain_ids)
    rows = []
    for participant, role, scores in (
        ("P1", "mentor", "34"),
        ("P2", "mentee", "23"),
        ("P3", "mentor", "45"),
    ):
        for timepoint, score in zip(instrument.timepoints, scores, strict=True):
            rows.append([SITE_ID, participant, role, timepoint, *([score] * n)])
    return Table(header, rows)


def validate(path: Path, instrument):
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": path.name}
    return validate_site(path, site, instrument)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


# ---------------------------------------------------------------------------------------
# Family 1: site data files
# ---------------------------------------------------------------------------------------


def test_the_base_table_is_valid(tmp_path, table, instrument):
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert report.errors == () and report.warnings == ()
    assert report.participants == {"mentor": 2, "mentee": 1}
    assert list(clean["source_row"]) == [2, 3, 4, 5, 6, 7]


# One or more cells changed in the valid table -> exactly these (row, column, check, value).
CELL_CASES = [
    pytest.param(
        [(2, "clinical_practice", "0")],
        [(2, "clinical_practice", "score_in_scale", "0")],
        id="score-0-below-scale",
    ),
    pytest.param([(5, "strengths", "6")], [(5, "strengths", "score_in_scale", "6")], id="score-6"),
    pytest.param(
        [(7, "areas_for_improvement", "9")],
        [(7, "areas_for_improvement", "score_in_scale", "9")],
        id="score-9",
    ),
    pytest.param(
        [(3, "approachability", "3.5")],
        [(3, "approachability", "score_in_scale", "3.5")],
        id="score-non-integer-3.5",
    ),
    pytest.param(
        [(4, "time_management", "three")],
        [(4, "time_management", "score_in_scale", "three")],
        id="score-word-three",
    ),
    pytest.param(
        [(6, "use_of_technology", "-1")],
        [(6, "use_of_technology", "score_in_scale", "-1")],
        id="score-negative",
    ),
    pytest.param(
        [(2, "participant_id", "")],
        [(2, "participant_id", "not_nullable", None)],
        id="participant-id-empty",
    ),
    pytest.param(
        [(4, "participant_id", "NA")],
        [(4, "participant_id", "not_nullable", None)],
        id="participant-id-na-token",
    ),
    pytest.param([(3, "role", "")], [(3, "role", "not_nullable", None)], id="role-empty"),
    pytest.param(
        [(4, "role", "consultant"), (5, "role", "consultant")],
        [(4, "role", "allowed_role", "consultant"), (5, "role", "allowed_role", "consultant")],
        id="role-unknown-on-both-rows",
    ),
    pytest.param(
        # One typo also makes the participant's role differ between their two rows.
        [(2, "role", "mentr")],
        [
            (2, "role", "allowed_role", "mentr"),
            (2, "role", "role_consistent", "mentr"),
            (3, "role", "role_consistent", "mentor"),
        ],
        id="role-typo-on-one-row",
    ),
    pytest.param(
        [(3, "timepoint", "mid")],
        [(3, "timepoint", "allowed_timepoint", "mid")],
        id="timepoint-unknown",
    ),
    pytest.param(
        [(5, "timepoint", "")], [(5, "timepoint", "not_nullable", None)], id="timepoint-empty"
    ),
    pytest.param(
        # P3's baseline row renamed P1: P1 now has two 'pre' rows (2 and 6).
        [(6, "participant_id", "P1")],
        [
            (2, "participant_id", "unique_participant_timepoint", "P1"),
            (6, "participant_id", "unique_participant_timepoint", "P1"),
        ],
        id="duplicate-participant-timepoint",
    ),
    pytest.param(
        [(5, "role", "mentor")],
        [(4, "role", "role_consistent", "mentee"), (5, "role", "role_consistent", "mentor")],
        id="role-changes-between-timepoints",
    ),
    pytest.param(
        [(3, "concern_time", "1")],
        [(3, "concern_time", "concern_time_only_at_pre", "1")],
        id="concern-item-at-post",
    ),
    pytest.param(
        [(4, "experienced_hierarchy", "0")],
        [(4, "experienced_hierarchy", "experienced_hierarchy_only_at_post", "0")],
        id="experienced-item-at-pre",
    ),
    pytest.param(
        [(2, "concern_hierarchy", "2")],
        [(2, "concern_hierarchy", "binary_item_value", "2")],
        id="binary-item-2",
    ),
    pytest.param(
        [(5, "benefited", "yes")],
        [(5, "benefited", "binary_item_value", "yes")],
        id="binary-item-yes",
    ),
    pytest.param(
        [(7, "relationship_effect", "great")],
        [(7, "relationship_effect", "allowed_relationship_effect", "great")],
        id="categorical-level-unknown",
    ),
    pytest.param([(2, "sex", "f")], [(2, "sex", "allowed_sex", "f")], id="demographic-sex-unknown"),
    pytest.param(
        [(4, "age_band", "25")],
        [(4, "age_band", "allowed_age_band", "25")],
        id="demographic-age-band-unknown",
    ),
    pytest.param(
        [(6, "site_id", "york")],
        [(6, "site_id", "site_id_matches", "york")],
        id="site-id-not-the-registry-id",
    ),
    pytest.param(
        [(4, "years_in_role", "0-4"), (5, "years_in_role", "5-9")],
        [
            (4, "years_in_role", "years_in_role_consistent", "0-4"),
            (5, "years_in_role", "years_in_role_consistent", "5-9"),
        ],
        id="demographics-conflict-across-timepoints",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CELL_CASES)
def test_bad_cell_is_reported_exactly(tmp_path, table, instrument, changes, expected):
    for row, column, value in changes:
        table.set(row, column, value)
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert located(report.errors) == expect(*expected)
    assert all(p.sheet is None for p in report.errors)
    assert report.status == "invalid" and clean is None


@pytest.mark.parametrize("missing", ["clinical_practice", "participant_id", "timepoint"])
def test_missing_required_column(tmp_path, table, instrument, missing):
    table.drop_column(missing)
    report, _ = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert located(report.errors) == [(1, missing, "required_column", None)]


def test_every_failing_cell_is_reported(tmp_path, table, instrument):
    """Lazy validation: five different bad cells in five rows and columns, five errors."""
    table.set(2, "clinical_practice", "0")
    table.set(3, "benefited", "2")
    table.set(4, "site_id", "york")
    table.set(6, "timepoint", "during")
    table.set(7, "strengths", "five")
    report, _ = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert located(report.errors) == expect(
        (2, "clinical_practice", "score_in_scale", "0"),
        (3, "benefited", "binary_item_value", "2"),
        (4, "site_id", "site_id_matches", "york"),
        (6, "timepoint", "allowed_timepoint", "during"),
        (7, "strengths", "score_in_scale", "five"),
    )


def test_every_failing_cell_of_one_column_is_reported(tmp_path, table, instrument):
    for row in range(2, 8):
        table.set(row, "approachability", str(row + 4))  # 6 .. 11, all above the scale
    report, _ = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert located(report.errors) == expect(
        *[(row, "approachability", "score_in_scale", str(row + 4)) for row in range(2, 8)]
    )


def test_two_missing_required_columns_and_a_bad_cell_are_all_reported(tmp_path, table, instrument):
    table.drop_column("strengths").drop_column("role").set(5, "clinical_practice", "7")
    report, _ = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert located(report.errors) == expect(
        (1, "strengths", "required_column", None),
        (1, "role", "required_column", None),
        (5, "clinical_practice", "score_in_scale", "7"),
    )


def test_na_tokens_are_missing_scores_not_errors(tmp_path, table, instrument):
    for row, token in zip(range(2, 8), ["", "NA", "n/a", "missing", "-", "."], strict=True):
        table.set(row, "strengths", token)
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert report.errors == ()
    assert clean["strengths"].isna().all()


# Whole-file problems: the file cannot be read as a table.
def _header_only(table: Table) -> str:
    return table.lines()[0] + "\n"


def _latin1(table: Table) -> bytes:
    table.set(4, "participant_id", "José")
    return table.text().encode("latin-1")


def _ragged(table: Table) -> str:
    lines = table.lines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # row 3: one field short
    lines[4] = lines[4] + ",oops"  # row 5: one non-empty field too many
    return "\n".join(lines) + "\n"


def _unnamed_column(table: Table) -> str:
    lines = table.lines()
    # A second column with no name in row 1, and a value in row 4 only.
    split = [line.split(",", 1) for line in lines]
    values = {3: "x"}
    return (
        "\n".join(
            f"{first},{values.get(index, '')},{rest}" for index, (first, rest) in enumerate(split)
        )
        + "\n"
    )


def _duplicate_column(table: Table) -> str:
    table.header.append("Strengths")
    for cells in table.rows:
        cells.append("3")
    return table.text()


WHOLE_FILE_CASES = [
    pytest.param("site.csv", lambda t: b"", [(None, None, "file_not_empty", None)], id="empty"),
    pytest.param(
        "site.csv",
        lambda t: b" \n\t\n  \r\n",
        [(None, None, "file_not_empty", None)],
        id="whitespace-only",
    ),
    pytest.param("site.csv", _header_only, [(None, None, "has_data_rows", None)], id="header-only"),
    pytest.param(
        "site.csv",
        lambda t: "\n,,,\n" + t.text(),
        [(1, None, "header_present", None)],
        id="row-1-blank",
    ),
    pytest.param(
        "site.csv",
        _latin1,
        [(None, None, "utf8_encoding", "Windows-1252")],
        id="latin-1-byte-on-row-4",
    ),
    pytest.param(
        "site.csv",
        lambda t: t.text().encode("utf-16"),
        [(None, None, "utf8_encoding", "UTF-16 LE")],
        id="utf-16",
    ),
    pytest.param(
        "site.csv",
        lambda t: t.text().encode("utf-16-le"),
        [(None, None, "utf8_encoding", "UTF-16 LE")],
        id="utf-16-le-without-bom",
    ),
    pytest.param(
        "site.txt",
        lambda t: t.text("\t").encode("utf-16-be"),
        [(None, None, "utf8_encoding", "UTF-16 BE")],
        id="utf-16-be-without-bom",
    ),
    pytest.param(
        "site.csv",
        _ragged,
        [(3, None, "row_length", "10 fields"), (5, None, "row_length", "12 fields")],
        id="ragged-rows",
    ),
    pytest.param(
        "site.csv", _unnamed_column, [(4, "(B)", "column_named", None)], id="unnamed-column"
    ),
    pytest.param(
        "site.csv",
        _duplicate_column,
        [(1, "Strengths", "unique_column_name", "Strengths")],
        id="duplicate-column-name",
    ),
    pytest.param(
        "site.xls", lambda t: b"\xd0\xcf\x11\xe0", [(None, None, "file_type", ".xls")], id="xls"
    ),
    pytest.param(
        "site.ods", lambda t: b"PK\x03\x04", [(None, None, "file_type", ".ods")], id="ods"
    ),
    pytest.param("site", lambda t: t.text(), [(None, None, "file_type", "")], id="no-suffix"),
    pytest.param(
        "site.xlsx",
        lambda t: bytes(range(256)) * 4,
        [(None, None, "unreadable_workbook", None)],
        id="corrupt-xlsx",
    ),
    pytest.param(
        "site.xlsx", lambda t: b"", [(None, None, "file_not_empty", None)], id="empty-xlsx"
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), WHOLE_FILE_CASES)
def test_unreadable_file_is_reported_exactly(tmp_path, table, instrument, name, content, expected):
    path = write(tmp_path, name, content(table))
    report, clean = validate(path, instrument)
    assert located(report.errors) == expect(*expected)
    assert clean is None and report.n_rows == 0
    assert report.participants == {"mentor": 0, "mentee": 0}


def test_trailing_empty_fields_past_the_header_are_not_ragged(tmp_path, table, instrument):
    lines = table.lines()
    lines[3] += ",,"
    report, _ = validate(write(tmp_path, "site.csv", "\n".join(lines) + "\n"), instrument)
    assert report.errors == ()


@pytest.mark.parametrize(
    ("name", "sep"),
    [
        pytest.param("site.csv", ";", id="semicolon"),
        pytest.param("site.tsv", "\t", id="tab-tsv"),
        pytest.param("site.txt", "\t", id="tab-txt"),
    ],
)
def test_delimiter_is_detected_and_bad_cell_located(tmp_path, table, instrument, name, sep):
    table.set(4, "approachability", "3,5")  # a decimal comma, as European exports write it
    table.set(6, "role", "boss").set(7, "role", "boss")
    path = write(tmp_path, name, table.text(sep))
    raw = read_table(path, name, instrument.known_columns())
    assert raw.delimiter == sep
    assert raw.header[:3] == ("site_id", "participant_id", "role")
    report, _ = validate(path, instrument)
    assert located(report.errors) == expect(
        (4, "approachability", "score_in_scale", "3,5"),
        (6, "role", "allowed_role", "boss"),
        (7, "role", "allowed_role", "boss"),
    )


@pytest.mark.parametrize("newline", [pytest.param("\n", id="lf"), pytest.param("\r\n", id="crlf")])
def test_bom_prefixed_utf8_is_valid(tmp_path, table, instrument, newline):
    table.set(4, "participant_id", "José").set(5, "participant_id", "José")
    path = write(tmp_path, "site.csv", ("\ufeff" + table.text(newline=newline)).encode())
    report, clean = validate(path, instrument)
    assert report.errors == () and report.warnings == ()
    assert list(clean.columns[:2]) == ["site_id", "participant_id"]
    assert clean.loc[2, "participant_id"] == "José"


# XLSX: the same checks, with the sheet named.
def test_xlsx_bad_score_names_sheet_row_and_column(tmp_path, table, instrument):
    table.set(5, "strengths", "9").set(6, "approachability", "3.5")
    path = table.write_xlsx(tmp_path / "site.xlsx", sheets=("Instructions", "Responses"), data=1)
    report, clean = validate(path, instrument)
    assert report.sheet == "Responses"
    assert located(report.errors, sheet=True) == expect(
        (5, "strengths", "score_in_scale", "9", "Responses"),
        (6, "approachability", "score_in_scale", "3.5", "Responses"),
    )
    assert clean is None


def test_xlsx_without_a_responses_sheet_and_two_visible_sheets(tmp_path, table, instrument):
    # Which sheet holds the data is not guessed (issue 10): see test_hostile_readers.py.
    path = table.write_xlsx(tmp_path / "site.xlsx", sheets=("Data", "Other"), data=0)
    report, _ = validate(path, instrument)
    assert located(report.errors, sheet=True) == [
        (None, None, "sheet_choice", "'Data', 'Other'", None)
    ]


def test_xlsx_blank_rows_keep_row_numbers(tmp_path, table, instrument):
    table.set(6, "clinical_practice", "0")
    table.rows.insert(2, [""] * len(table.header))  # rows 4 and 5 of the sheet are empty
    table.rows.insert(2, [""] * len(table.header))
    path = table.write_xlsx(tmp_path / "site.xlsx")
    report, _ = validate(path, instrument)
    assert located(report.errors, sheet=True) == [
        (8, "clinical_practice", "score_in_scale", "0", "responses")
    ]
    assert located(report.warnings, sheet=True) == [(4, None, "blank_row", None, "responses")]


def _stale_dimension(path: Path, ref: str) -> Path:
    """Rewrite the sheet's <dimension> record, as some writers leave it wrong."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    stale = path.with_name("stale.xlsx")
    with zipfile.ZipFile(stale, "w") as target:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                data, n = re.subn(
                    rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert n == 1
            target.writestr(info, data)
    return stale


@pytest.mark.parametrize("ref", ["A1", "A1:D2"])
def test_xlsx_stale_dimension_record_hides_no_rows(tmp_path, table, instrument, ref):
    table.set(7, "strengths", "9")
    path = _stale_dimension(table.write_xlsx(tmp_path / "site.xlsx"), ref)
    report, _ = validate(path, instrument)
    assert report.n_rows == 6
    assert located(report.errors, sheet=True) == [
        (7, "strengths", "score_in_scale", "9", "responses")
    ]


@pytest.mark.parametrize("ref", [None, "A1:D2"], ids=["dimension-ok", "dimension-stale"])
def test_xlsx_value_past_the_last_named_column(tmp_path, table, instrument, ref):
    table.header.append("")
    for cells in table.rows:
        cells.append("")
    table.rows[2][-1] = "Dr Jane Smith"  # row 4, column L: a value with no column name
    path = table.write_xlsx(tmp_path / "site.xlsx")
    if ref is not None:
        path = _stale_dimension(path, ref)
    report, clean = validate(path, instrument)
    assert located(report.errors, sheet=True) == [(4, "(L)", "column_named", None, "responses")]
    assert clean is None


def test_xlsx_chart_sheet_first_is_skipped(tmp_path, table, instrument):
    table.set(2, "clinical_practice", "6")
    path = table.write_xlsx(tmp_path / "site.xlsx", sheets=("Data",))
    workbook = load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(workbook["Data"], min_col=5, min_row=1, max_row=7))
    workbook.create_chartsheet("Chart", 0).add_chart(chart)
    workbook.save(path)
    report, _ = validate(path, instrument)
    assert report.sheet == "Data"
    assert located(report.errors, sheet=True) == [
        (2, "clinical_practice", "score_in_scale", "6", "Data")
    ]


def test_xlsx_empty_first_row(tmp_path, table, instrument):
    table.rows.insert(0, list(table.header))
    table.header = [""] * len(table.header)
    path = table.write_xlsx(tmp_path / "site.xlsx", sheets=("responses",))
    report, _ = validate(path, instrument)
    assert located(report.errors, sheet=True) == [(1, None, "header_present", None, "responses")]


def test_xlsx_valid_site_gives_the_same_clean_table_as_csv(tmp_path, table, instrument):
    _, from_csv = validate(write(tmp_path, "site.csv", table.text()), instrument)
    report, from_xlsx = validate(table.write_xlsx(tmp_path / "site.xlsx"), instrument)
    assert report.errors == () and report.warnings == ()
    assert from_xlsx.equals(from_csv)


# Warnings: the site stays valid.
def test_labels_differing_in_case_or_spaces_are_normalised(tmp_path, table, instrument):
    table.set(2, "role", "MENTOR").set(4, "timepoint", "Pre ").set(6, "timepoint", " PRE")
    table.set(5, "relationship_effect", "Positive")
    table.header[table.header.index("strengths")] = "Strengths"
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert report.errors == ()
    assert located(report.warnings) == expect(
        (1, "strengths", "label_normalised", "Strengths"),
        (2, "role", "label_normalised", "MENTOR"),
        (4, "timepoint", "label_normalised", "Pre "),
        (6, "timepoint", "label_normalised", " PRE"),
        (5, "relationship_effect", "label_normalised", "Positive"),
    )
    assert list(clean["role"]) == ["mentor", "mentor", "mentee", "mentee", "mentor", "mentor"]
    assert list(clean["timepoint"][::2]) == ["pre", "pre", "pre"]
    assert clean.loc[3, "relationship_effect"] == "positive"


def test_unknown_column_is_warned_about_and_left_out(tmp_path, table, instrument):
    table.set(3, "notes", "Dr Jane Smith, ward 7")
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert report.errors == ()
    assert located(report.warnings) == [(1, "notes", "unknown_column", None)]
    assert "notes" not in clean.columns
    assert "Jane" not in clean_csv(clean, instrument)


def test_participant_at_one_timepoint_is_warned_about(tmp_path, table, instrument):
    table.drop_row(5)  # P2 has no 'post' row
    report, clean = validate(write(tmp_path, "site.csv", table.text()), instrument)
    assert report.errors == ()
    assert located(report.warnings) == [(4, "participant_id", "both_timepoints", "P2")]
    assert report.participants == {"mentor": 2, "mentee": 1}
    assert len(clean) == 5


def test_blank_rows_are_warned_about_and_later_rows_keep_their_numbers(tmp_path, table, instrument):
    table.set(7, "clinical_practice", "0")
    lines = table.lines()
    # Rows 4 and 5 blank (an empty line, then a line of empty fields); trailing blanks too.
    lines[3:3] = ["", "," * (len(table.header) - 1)]
    lines += ["", ""]
    text = "\n".join(lines) + "\n"
    report, _ = validate(write(tmp_path, "site.csv", text), instrument)
    assert located(report.errors) == [(9, "clinical_practice", "score_in_scale", "0")]
    assert located(report.warnings) == [(4, None, "blank_row", None)]
    assert "4, 5" in report.warnings[0].message


def test_blank_rows_in_a_valid_file_keep_source_rows(tmp_path, table, instrument):
    lines = table.lines()
    lines[5:5] = [""]
    report, clean = validate(write(tmp_path, "site.csv", "\n".join(lines) + "\n"), instrument)
    assert report.errors == ()
    assert checks(report.warnings) == ["blank_row"]
    assert list(clean["source_row"]) == [2, 3, 4, 5, 7, 8]


# ---------------------------------------------------------------------------------------
# Family 2: the site registry (config/sites.tsv)
# ---------------------------------------------------------------------------------------

REGISTRY_HEADER = ["site_id", "name", "data", "format", "enrolled"]


@dataclass
class Registry:
    """A sites.tsv with two sites, leeds (row 2) and york (row 3), each with its own file."""

    root: Path
    header: list[str]
    rows: list[list[str]]

    @property
    def data_root(self) -> Path:
        return self.root / "data"

    def set(self, row: int, column: str, value: str) -> Registry:
        self.rows[row - 2][self.header.index(column)] = value
        return self

    def write(self, lines: list[str] | None = None) -> Path:
        sheet = self.root / "sites.tsv"
        if lines is None:
            lines = ["\t".join(cells) for cells in [self.header, *self.rows]]
        sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return sheet

    def read(self, *, allow_absolute: bool = False, lines: list[str] | None = None):
        return read_registry(
            self.write(lines),
            self.data_root,
            allow_absolute=allow_absolute,
            row_schema=read_yaml(_REPO / "workflow/schemas/sites.schema.yaml"),
        )

    def problems(self, **kwargs) -> list[Problem]:
        with pytest.raises(ProblemsError) as raised:
            self.read(**kwargs)
        return raised.value.problems


@pytest.fixture
def registry(tmp_path) -> Registry:
    rows = []
    for site_id, name, enrolled in (
        ("leeds", "Leeds Teaching Hospitals", "2025-02-01"),
        ("york", "York and Scarborough", "2025-03-15"),
    ):
        (tmp_path / "data" / site_id).mkdir(parents=True)
        (tmp_path / "data" / site_id / "responses.csv").write_text(f"{site_id}\n")
        rows.append([site_id, name, f"{site_id}/responses.csv", "responses", enrolled])
    return Registry(tmp_path, list(REGISTRY_HEADER), rows)


def test_the_base_registry_is_valid(registry):
    sites = registry.read()
    assert [(s.site_id, s.row) for s in sites] == [("leeds", 2), ("york", 3)]
    assert sites[1].path == os.path.normpath(registry.data_root / "york/responses.csv")


REGISTRY_CELL_CASES = [
    pytest.param(2, "site_id", "leeds general", "schema_pattern", id="site-id-space"),
    pytest.param(2, "site_id", "1leeds", "schema_pattern", id="site-id-leading-digit"),
    pytest.param(3, "site_id", "y" * 65, "schema_pattern", id="site-id-65-chars"),
    pytest.param(2, "site_id", "a/b", "schema_pattern", id="site-id-path-separator"),
    pytest.param(2, "site_id", "..", "schema_pattern", id="site-id-dot-dot"),
    pytest.param(2, "site_id", "leeds.nhs", "schema_pattern", id="site-id-dot"),
    pytest.param(3, "site_id", "leeds", "unique_site_id", id="site-id-duplicate"),
    pytest.param(3, "site_id", "LEEDS", "unique_site_id", id="site-id-duplicate-by-case"),
    pytest.param(2, "site_id", "", "value_present", id="site-id-empty"),
    pytest.param(3, "name", "", "value_present", id="name-empty"),
    pytest.param(3, "name", "   ", "value_present", id="name-spaces-only"),
    pytest.param(2, "format", "excel", "schema_enum", id="format-unknown"),
    pytest.param(2, "format", "Responses", "schema_enum", id="format-wrong-case"),
    pytest.param(3, "enrolled", "2023-02-30", "iso_date", id="date-not-in-calendar"),
    pytest.param(2, "enrolled", "23/01/2024", "schema_pattern", id="date-not-iso"),
    pytest.param(2, "enrolled", "2024-1-5", "schema_pattern", id="date-not-zero-padded"),
    pytest.param(2, "data", "leeds/baseline.xlsx", "file_exists", id="data-file-missing"),
    # The folder holds responses.csv: a slip in the name, never a site awaiting data.
    pytest.param(2, "data", "leeds/response.csv", "near_match", id="data-file-near-miss"),
    pytest.param(2, "data", "leeds", "is_file", id="data-is-a-folder"),
    pytest.param(3, "data", "../secret.csv", "path_inside_data_root", id="data-escapes-by-dotdot"),
    pytest.param(
        3, "data", "york/../../secret.csv", "path_inside_data_root", id="data-escapes-deeper"
    ),
]


@pytest.mark.parametrize(("row", "column", "value", "check"), REGISTRY_CELL_CASES)
def test_bad_registry_cell_is_reported_exactly(registry, row, column, value, check):
    (registry.root / "secret.csv").write_text("outside\n")
    registry.set(row, column, value)
    shown = None if check == "value_present" else shown_value(value)
    assert located(registry.problems()) == [(row, column, check, shown)]


def test_data_escaping_through_a_symlink(registry, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "york.csv").write_text("outside\n")
    (registry.data_root / "york" / "link").symlink_to(outside, target_is_directory=True)
    registry.set(3, "data", "york/link/york.csv")
    assert located(registry.problems()) == [
        (3, "data", "path_inside_data_root", "york/link/york.csv")
    ]


def test_absolute_data_path_is_refused_unless_allowed(registry, tmp_path):
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("elsewhere\n")
    registry.set(2, "data", str(elsewhere))
    assert located(registry.problems()) == [
        (2, "data", "relative_path", shown_value(str(elsewhere)))
    ]
    sites = registry.read(allow_absolute=True)
    assert sites[0].path == str(elsewhere)


def test_double_submission(registry):
    (registry.data_root / "york" / "responses.csv").write_text("leeds\n")
    assert located(registry.problems()) == [(3, "data", "unique_data_file", "york/responses.csv")]


def test_every_bad_registry_row_is_reported(registry):
    registry.rows.append(["hull", "", "hull.csv", "paper", "2025-13-01"])
    registry.set(2, "site_id", "2leeds")
    assert located(registry.problems()) == expect(
        (2, "site_id", "schema_pattern", "2leeds"),
        (4, "name", "value_present", None),
        (4, "data", "file_exists", "hull.csv"),
        (4, "format", "schema_enum", "paper"),
        (4, "enrolled", "iso_date", "2025-13-01"),
    )


def test_missing_registry_column(registry):
    registry.header.remove("enrolled")
    for cells in registry.rows:
        cells.pop()
    assert located(registry.problems()) == [(1, "enrolled", "required_column", None)]


def test_unknown_registry_column(registry):
    registry.header.append("contact")
    for cells in registry.rows:
        cells.append("someone@example.org")
    assert located(registry.problems()) == [(1, "contact", "known_column", None)]


def test_duplicate_registry_column(registry):
    registry.header.append("name")
    for cells in registry.rows:
        cells.append("Another name")
    assert located(registry.problems()) == [(1, "name", "unique_column_name", None)]


def test_ragged_registry_row(registry):
    lines = ["\t".join(cells) for cells in [registry.header, *registry.rows]]
    lines[2] = lines[2].rsplit("\t", 1)[0]  # row 3 lost its enrolled date
    lines.insert(2, "")  # a blank line is skipped but still counted: york is now row 4
    assert located(registry.problems(lines=lines)) == [(4, None, "row_length", "4 fields")]


def test_blank_registry_lines_keep_row_numbers(registry):
    lines = ["\t".join(cells) for cells in [registry.header, *registry.rows]]
    lines.insert(2, "")
    sites = registry.read(lines=lines)
    assert [site.row for site in sites] == [2, 4]


# ---------------------------------------------------------------------------------------
# Family 3: config.yaml
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_config() -> dict:
    return read_yaml(_REPO / "config/config.yaml")


def _item_index(config: dict, item_id: str) -> int:
    return [item["id"] for item in config["instrument"]["items"]].index(item_id)


def _set_item(item_id: str, **changes) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        item = config["instrument"]["items"][_item_index(config, item_id)]
        for key, value in changes.items():
            if value is None:
                del item[key]
            else:
                item[key] = value

    return mutate


def _set(path: str, value) -> Callable[[dict], None]:
    """Set a dotted key; integer parts index lists."""

    def mutate(config: dict) -> None:
        *parents, last = (int(p) if p.isdigit() else p for p in path.split("."))
        node = config
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _benefited(config: dict) -> int:
    return _item_index(config, "benefited")


def _relationship_effect(config: dict) -> int:
    return _item_index(config, "relationship_effect")


CONFIG_CASES = [
    pytest.param(
        _set("validation.on_invalid_site", "maybe"),
        ("validation.on_invalid_site", "schema_enum", "maybe"),
        id="on-invalid-site-maybe",
    ),
    pytest.param(
        _set("seeed", 1), ("(top level)", "schema_additionalProperties", None), id="typo-key"
    ),
    pytest.param(
        _set("validation.on_invalid", "stop"),
        ("validation", "schema_additionalProperties", None),
        id="typo-nested-key",
    ),
    pytest.param(
        _set("instrument.scale", {"min": 5, "max": 5}),
        ("instrument.scale", "scale_min_below_max", "5..5"),
        id="scale-min-equals-max",
    ),
    pytest.param(
        _set("instrument.scale", {"min": 7, "max": 1}),
        ("instrument.scale", "scale_min_below_max", "7..1"),
        id="scale-min-above-max",
    ),
    pytest.param(
        _set("instrument.scale.max", 4.5),
        ("instrument.scale.max", "schema_type", "4.5"),
        id="scale-max-not-integer",
    ),
    pytest.param(
        _set("instrument.domains.3.id", "clinical_practice"),
        ("instrument.domains[3].id", "unique_id", "clinical_practice"),
        id="domain-id-duplicate",
    ),
    pytest.param(
        _set("instrument.domains.2.id", "total"),
        ("instrument.domains[2].id", "reserved_name", "total"),
        id="domain-id-total",
    ),
    pytest.param(
        _set("instrument.domains.0.id", "role"),
        ("instrument.domains[0].id", "reserved_name", "role"),
        id="domain-id-role",
    ),
    pytest.param(
        _set("instrument.domains.0.id", "Clinical_practice"),
        ("instrument.domains[0].id", "schema_pattern", "Clinical_practice"),
        id="domain-id-uppercase",
    ),
    pytest.param(
        _set("instrument.domains.1.id", "approach to juniors"),
        ("instrument.domains[1].id", "schema_pattern", "approach to juniors"),
        id="domain-id-space",
    ),
    pytest.param(
        _set("instrument.domains.1.id", "sex"),
        ("instrument.demographics.sex", "unique_column_name", "sex"),
        id="domain-id-clashes-with-demographic",
    ),
    pytest.param(
        _set("instrument.timepoints", ["pre", "mid", "post"]),
        ("instrument.timepoints", "schema_maxItems", "['pre', 'mid', 'post']"),
        id="three-timepoints",
    ),
    pytest.param(
        _set("instrument.timepoints", ["pre", "pre"]),
        ("instrument.timepoints", "schema_uniqueItems", "['pre', 'pre']"),
        id="timepoints-repeated",
    ),
    pytest.param(
        _set_item("benefited", timepoint="during"),
        (lambda c: f"instrument.items[{_benefited(c)}].timepoint", "known_timepoint", "during"),
        id="item-at-unknown-timepoint",
    ),
    pytest.param(
        _set_item("relationship_effect", levels=None),
        (
            lambda c: f"instrument.items[{_relationship_effect(c)}].levels",
            "categorical_levels",
            None,
        ),
        id="categorical-item-without-levels",
    ),
    pytest.param(
        _set_item("benefited", levels=["no", "yes"]),
        (lambda c: f"instrument.items[{_benefited(c)}].levels", "binary_levels", None),
        id="binary-item-with-levels",
    ),
    pytest.param(
        _set("instrument.concern_pairs.0.before", "concern_hierarchi"),
        ("instrument.concern_pairs[0].before", "known_item", "concern_hierarchi"),
        id="concern-pair-unknown-item",
    ),
    pytest.param(
        _set("instrument.concern_pairs.2.after", "concern_time"),
        ("instrument.concern_pairs[2].after", "binary_item_at_timepoint", "concern_time"),
        id="concern-pair-after-asked-before",
    ),
    pytest.param(
        _set("instrument.na_tokens", ["", "NA", "3"]),
        ("instrument.na_tokens[2]", "na_token_not_a_value", "3"),
        id="na-token-is-a-score",
    ),
    pytest.param(_set("seed", -1), ("seed", "schema_minimum", "-1"), id="seed-negative"),
    pytest.param(_set("seed", "abc"), ("seed", "schema_type", "abc"), id="seed-string"),
]


@pytest.mark.parametrize(("mutate", "expected"), CONFIG_CASES)
def test_bad_config_is_reported_exactly(tmp_path, repo_config, mutate, expected):
    config = copy.deepcopy(repo_config)
    mutate(config)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        load_config(path, _REPO / "workflow/schemas/config.schema.yaml")
    key, check, value = expected
    if callable(key):
        key = key(config)
    assert located(raised.value.problems) == [(None, key, check, value)]


def test_unknown_key_is_named_in_the_message(tmp_path, repo_config):
    config = copy.deepcopy(repo_config)
    config["on_invalid_site"] = "exclude"  # belongs under validation:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        load_config(path, _REPO / "workflow/schemas/config.schema.yaml")
    [problem] = raised.value.problems
    assert "'on_invalid_site' was unexpected" in problem.message


def test_every_config_problem_is_reported(tmp_path, repo_config):
    config = copy.deepcopy(repo_config)
    config["seed"] = -5
    config["validation"]["on_invalid_site"] = "ignore"
    config["instrument"]["domains"][0]["id"] = "Bad Id"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        load_config(path, _REPO / "workflow/schemas/config.schema.yaml")
    assert located(raised.value.problems) == expect(
        (None, "seed", "schema_minimum", "-5"),
        (None, "validation.on_invalid_site", "schema_enum", "ignore"),
        (None, "instrument.domains[0].id", "schema_pattern", "Bad Id"),
    )


def test_config_that_is_not_yaml(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("seed: 1\nvalidation:\n  on_invalid_site: [stop\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        load_config(path, _REPO / "workflow/schemas/config.schema.yaml")
    [problem] = raised.value.problems
    assert (problem.row, problem.column, problem.check) == (4, None, "yaml_syntax")
    assert "line 4" in problem.message


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_config_that_is_not_a_mapping(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        load_config(path, _REPO / "workflow/schemas/config.schema.yaml")
    assert located(raised.value.problems) == [(None, None, "config_is_mapping", None)]
