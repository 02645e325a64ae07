"""Hostile and unlucky site files (issue 10): each gets its own exact error in the site's
report, never a traceback, a silent drop or a blown memory.

Hidden sheets, formulas, merged cells, broken or entity-bomb XML, size limits (a 3 M-row
zip bomb included), long cells and whole-file encodings. Every input is written here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from revmentor.core.problems import Problem
from revmentor.validation.readers import DEFAULT_LIMITS, MAX_CELL_CHARS, ReadLimits
from revmentor.validation.site import validate_site

REPO = Path(__file__).resolve().parents[2]
SITE_ID = "leeds"
SAVE_AS = (
    'in Excel, choose File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)" and send that file'
)
RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx)"


def base_rows(instrument) -> list[list[object]]:
    """Header and six valid rows: P1 (mentor), P2 (mentee), P3 (mentor), pre and post."""
    rows: list[list[object]] = [
        ["site_id", "participant_id", "role", "timepoint", *instrument.domain_ids]
    ]
    n = len(instrument.domain_ids)
    for participant, role, scores in (("P1", "mentor", (3, 4)), ("P2", "mentee", (2, 3))):
        for timepoint, score in zip(instrument.timepoints, scores, strict=True):
            rows.append([SITE_ID, participant, role, timepoint, *([score] * n)])
    rows += [
        [SITE_ID, "P3", "mentor", "pre", *([4] * n)],
        [SITE_ID, "P3", "mentor", "post", *([5] * n)],
    ]
    return rows


def csv_text(rows: list[list[object]]) -> str:
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows)


def write_workbook(path: Path, sheets: list[tuple[str, list[list[object]], str]]) -> Path:
    """A workbook of (title, rows, state) sheets, in tab order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, state in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    workbook.save(path)
    return path


def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """The workbook with one of its XML parts rewritten (as a hostile or buggy writer might)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info.filename, change(data) if info.filename == part else data)
    return path


def validate(path: Path, instrument, limits: ReadLimits = DEFAULT_LIMITS):
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": path.name}
    return validate_site(path, site, instrument, limits)


def only(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------------------------------
# Which sheet is read
# ---------------------------------------------------------------------------------------


def test_a_hidden_stale_first_sheet_is_not_read(tmp_path, instrument):
    stale = [["site_id", "participant_id"], *([[SITE_ID, "OLD"]] * 6)]
    path = write_workbook(
        tmp_path / "site.xlsx",
        [("Sheet1", stale, "hidden"), ("Data", base_rows(instrument), "visible")],
    )
    report, clean = validate(path, instrument)
    assert report.sheet == "Data" and clean is not None
    assert (report.errors, report.warnings, report.n_rows) == ((), (), 6)
    assert report.participants == {"mentor": 2, "mentee": 1}


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ("hidden", "hidden"),
        ("veryHidden", "hidden (very hidden: only the VBA editor can show it)"),
    ],
)
def test_a_hidden_responses_sheet_is_read_with_a_warning(tmp_path, instrument, state, said):
    path = write_workbook(
        tmp_path / "site.xlsx",
        [
            ("Instructions", [["Fill in the responses"]], "visible"),
            (" Responses", base_rows(instrument), state),
        ],
    )
    report, clean = validate(path, instrument)
    assert report.errors == () and clean is not None and report.sheet == " Responses"
    assert only(report.warnings) == Problem(
        None,
        None,
        "hidden_sheet",
        f"sheet ' Responses' is {said} but was read because it is named 'responses'; hidden "
        "sheets often hold old data, so unhide it (right-click a sheet tab > Unhide) and "
        "check that it holds the current responses",
        state,
        " Responses",
    )


def test_the_only_worksheet_hidden_is_read_with_a_warning(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("Data", base_rows(instrument), "visible")])
    rewrite_part(
        path, "xl/workbook.xml", lambda xml: xml.replace(b'state="visible"', b'state="hidden"')
    )
    report, clean = validate(path, instrument)
    assert clean is not None
    assert only(report.warnings).message == (
        "sheet 'Data' is hidden but was read because it is the workbook's only worksheet; "
        "hidden sheets often hold old data, so unhide it (right-click a sheet tab > Unhide) "
        "and check that it holds the current responses"
    )


def test_several_visible_sheets_and_none_named_responses(tmp_path, instrument):
    path = write_workbook(
        tmp_path / "site.xlsx",
        [
            ("Data", base_rows(instrument), "visible"),
            ("Old", base_rows(instrument), "hidden"),
            ("Copy", base_rows(instrument), "visible"),
        ],
    )
    report, clean = validate(path, instrument)
    assert clean is None and report.n_rows == 0
    assert only(report.errors) == Problem(
        None,
        None,
        "sheet_choice",
        "the workbook has 2 visible sheets ('Data', 'Copy') and none is named 'responses', "
        "so it is not clear which holds the data; name that sheet 'responses'",
        "'Data', 'Copy'",
    )


def test_several_worksheets_all_hidden(tmp_path, instrument):
    path = write_workbook(
        tmp_path / "site.xlsx",
        [("Data", base_rows(instrument), "visible"), ("Copy", base_rows(instrument), "visible")],
    )
    rewrite_part(
        path, "xl/workbook.xml", lambda xml: xml.replace(b'state="visible"', b'state="hidden"')
    )
    report, _ = validate(path, instrument)
    assert only(report.errors).message == (
        "the workbook has 2 worksheets, all hidden, ('Data', 'Copy') and none is named "
        "'responses', so it is not clear which holds the data; name that sheet 'responses'"
    )


# ---------------------------------------------------------------------------------------
# Formulas and merged cells
# ---------------------------------------------------------------------------------------


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(tmp_path, instrument):
    rows = base_rows(instrument)
    rows[2][5] = "=2+2"  # F3, as openpyxl and some exporters save it: no computed value
    path = write_workbook(tmp_path / "site.xlsx", [("responses", rows, "visible")])
    report, clean = validate(path, instrument)
    assert clean is None
    column = instrument.domain_ids[1]
    assert only(report.errors) == Problem(
        3,
        column,
        "formula_without_value",
        "cell F3 holds a formula but no value: the program that saved the file did not "
        "calculate it. Open the file in Excel and save it, or type the value in place of "
        "the formula",
        "=2+2",
        "responses",
    )


def test_a_formula_with_a_saved_value_is_read_with_a_warning(tmp_path, instrument):
    rows = base_rows(instrument)
    rows[2][5] = "=2+2"
    path = write_workbook(tmp_path / "site.xlsx", [("responses", rows, "visible")])
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<f>2+2</f><v />", b"<f>2+2</f><v>4</v>"),
    )
    report, clean = validate(path, instrument)
    assert report.errors == ()
    assert clean.loc[clean["source_row"] == 3, instrument.domain_ids[1]].item() == 4
    assert only(report.warnings) == Problem(
        3,
        instrument.domain_ids[1],
        "formula_value",
        "cell F3 holds a formula; the value it had when the file was last saved was read. "
        "Check that value, or type it in place of the formula",
        "=2+2",
        "responses",
    )


def test_a_shared_formula_is_shown_as_in_its_own_cell(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])

    def share(xml: bytes) -> bytes:
        xml = xml.replace(
            b'<c r="E2" t="n"><v>3</v>',
            b'<c r="E2"><f t="shared" ref="E2:E3" si="0">D2+1</f><v>3</v>',
        )
        return xml.replace(b'<c r="E3" t="n"><v>4</v>', b'<c r="E3"><f t="shared" si="0"/><v>4</v>')

    rewrite_part(path, "xl/worksheets/sheet1.xml", share)
    report, clean = validate(path, instrument)
    assert report.errors == () and clean is not None
    assert [(p.row, p.column, p.check, p.value) for p in report.warnings] == [
        (2, "clinical_practice", "formula_value", "=D2+1"),
        (3, "clinical_practice", "formula_value", "=D3+1"),
    ]


def test_merged_cells_in_the_table_are_an_error_naming_the_range(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'</sheetData><mergeCells count="2"><mergeCell ref="C5:C6"/>'
            b'<mergeCell ref="Z40:AA41"/></mergeCells>',
        ),
    )
    report, clean = validate(path, instrument)
    assert clean is None
    assert only(report.errors) == Problem(
        5,
        "role",
        "merged_cells",
        "cells C5:C6 are merged, so only C5 holds the value and the others read as empty; "
        "unmerge them (Home > Merge & Center > Unmerge Cells) and type the value in each cell",
        "C5:C6",
        "responses",
    )


# ---------------------------------------------------------------------------------------
# Malformed workbooks: one whole-file error, never a traceback
# ---------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def _entity_bomb(xml: bytes) -> bytes:
    body = xml[xml.index(b"<worksheet") :]
    return BILLION_LAUGHS + body.replace(b"<t>P1</t>", b"<t>&lol9;</t>", 1)


def _unreadable(reason: str, advice: str = RESAVE) -> Problem:
    return Problem(
        None,
        None,
        "unreadable_workbook",
        f"the file is not a readable .xlsx workbook: {reason}; {advice}",
    )


@pytest.mark.parametrize(
    ("part", "change", "expected"),
    [
        pytest.param(
            "xl/worksheets/sheet1.xml",
            lambda xml: xml.replace(b"</row>", b"</rowx>", 1),
            _unreadable(
                "its part xl/worksheets/sheet1.xml is not well-formed XML (mismatched tag, "
                "line 1, column 1002)"
            ),
            id="broken-sheet-xml",
        ),
        pytest.param(
            "xl/worksheets/sheet1.xml",
            _entity_bomb,
            _unreadable(
                "its part xl/worksheets/sheet1.xml declares a DOCTYPE (XML entities), which "
                "no spreadsheet program writes and which can be used to exhaust memory",
                "save the sheet again from Excel, as .xlsx or as CSV UTF-8",
            ),
            id="entity-bomb-in-sheet",
        ),
        pytest.param(
            "xl/styles.xml",
            lambda xml: BILLION_LAUGHS + xml[xml.index(b"<styleSheet") :],
            _unreadable(
                "its part xl/styles.xml declares a DOCTYPE (XML entities), which no "
                "spreadsheet program writes and which can be used to exhaust memory",
                "save the sheet again from Excel, as .xlsx or as CSV UTF-8",
            ),
            id="entity-bomb-in-styles",
        ),
        pytest.param(
            "xl/workbook.xml",
            lambda xml: xml[:-40],
            _unreadable(
                "its part xl/workbook.xml is not well-formed XML (unclosed token, line 1, "
                "column 501)"
            ),
            id="truncated-workbook-xml",
        ),
    ],
)
def test_a_malformed_workbook_is_one_whole_file_error(tmp_path, instrument, part, change, expected):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    rewrite_part(path, part, change)
    report, clean = validate(path, instrument)
    assert clean is None and report.n_rows == 0
    assert only(report.errors) == expected


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("xl/worksheets/sheet1.xml", "the workbook has no worksheet"),
        ("xl/workbook.xml", "it has no workbook part (xl/workbook.xml)"),
    ],
)
def test_a_workbook_missing_a_part_is_one_whole_file_error(tmp_path, instrument, missing, reason):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist() if name != missing}
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    report, _ = validate(path, instrument)
    assert only(report.errors) == _unreadable(reason)


def test_a_failure_inside_openpyxl_is_one_whole_file_error(tmp_path, instrument):
    # A shared-string index past the end of the table: well-formed XML that openpyxl
    # cannot read (IndexError).
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b'<c r="B2" t="inlineStr"><is><t>P1</t></is></c>', b'<c r="B2" t="s"><v>7</v></c>'
        ),
    )
    report, _ = validate(path, instrument)
    assert only(report.errors) == _unreadable("IndexError: list index out of range")


def with_shared_strings(path: Path, count: int) -> Path:
    """The workbook with a shared-string table of ``count`` tiny strings that no cell uses."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for start in range(0, count, 100_000):
                chunk = range(start, min(start + 100_000, count))
                strings.write("".join(f"<si><t>{n}</t></si>" for n in chunk).encode())
            strings.write(b"</sst>")
    return path


def test_a_shared_string_table_far_larger_than_the_cells_is_refused(tmp_path, instrument):
    rows = base_rows(instrument)
    path = write_workbook(tmp_path / "site.xlsx", [("responses", rows, "visible")])
    with_shared_strings(path, 200_000)
    report, _ = validate(path, instrument)
    cells = len(rows) * len(rows[0])
    assert only(report.errors) == _unreadable(
        f"its table of shared text (xl/sharedStrings.xml) holds more than {cells + 100_000:,} "
        f"strings, far more than sheet 'responses' ({cells} cells with a value) and any other "
        "sheet can use, as in a damaged or hostile file"
    )


def test_a_shared_string_table_the_cells_can_use_is_read(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    with_shared_strings(path, 1000)
    report, clean = validate(path, instrument)
    assert report.errors == () and clean is not None


def _lie_about_size(path: Path, part: str, declared: int) -> None:
    """Patch the ZIP central directory so that it declares ``declared`` bytes for ``part``."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_a_zip_directory_that_understates_a_part_is_refused(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 100)
    report, _ = validate(path, instrument)
    assert only(report.errors) == _unreadable(
        "its part xl/worksheets/sheet1.xml is damaged (Bad CRC-32 for file "
        "'xl/worksheets/sheet1.xml')"
    )


# ---------------------------------------------------------------------------------------
# Size limits, checked before the file is parsed
# ---------------------------------------------------------------------------------------


def _over(what: str, key: str) -> str:
    return (
        f"{what}; the file was not read further. The limit is validation.{key} in "
        "config/config.yaml: check that the file holds only this site's data, or raise the "
        "limit"
    )


def test_limits_default_to_the_config_schema():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    properties = schema["properties"]["validation"]["properties"]
    defaults = {key: properties[key]["default"] for key in DEFAULT_LIMITS.as_params()}
    assert defaults == DEFAULT_LIMITS.as_params()
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert ReadLimits.from_config(config["validation"]) == DEFAULT_LIMITS


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_over_max_file_mb_is_refused_unread(tmp_path, instrument, suffix):
    path = tmp_path / f"site{suffix}"
    path.write_bytes(b"\x00" * 2_000_000)  # not even a valid file: it is never opened
    report, _ = validate(path, instrument, ReadLimits(max_file_mb=1))
    assert only(report.errors) == Problem(
        None,
        None,
        "file_size_limit",
        _over("the file is 1.9 MB, more than the limit of 1.0 MB", "max_file_mb"),
        "1.9 MB",
    )


def test_a_csv_over_max_rows_stops_at_the_first_row_past_it(tmp_path, instrument):
    rows = base_rows(instrument)
    path = tmp_path / "site.csv"
    path.write_text(csv_text(rows + rows[1:] * 1000))
    report, _ = validate(path, instrument, ReadLimits(max_rows=5))
    assert only(report.errors) == Problem(
        None,
        None,
        "row_limit",
        _over("row 7 holds data, but at most 5 data rows are read (rows 2 to 6)", "max_rows"),
    )


def test_blank_rows_past_max_rows_are_not_counted(tmp_path, instrument):
    path = tmp_path / "site.csv"
    path.write_text(csv_text(base_rows(instrument)) + ",,,\n" * 50)
    report, clean = validate(path, instrument, ReadLimits(max_rows=6))
    assert report.errors == () and clean is not None


def test_a_csv_over_max_columns_is_refused(tmp_path, instrument):
    rows = base_rows(instrument)
    rows[3] = [*rows[3], *([""] * 10), "x"]
    path = tmp_path / "site.csv"
    path.write_text(csv_text(rows))
    report, _ = validate(path, instrument, ReadLimits(max_columns=20))
    assert only(report.errors) == Problem(
        4,
        None,
        "column_limit",
        _over(
            "row 4 has a value in column V (column 22), but at most 20 columns are read",
            "max_columns",
        ),
    )


def test_an_xlsx_over_max_rows_is_refused_while_its_xml_streams(tmp_path, instrument):
    rows = base_rows(instrument)
    path = write_workbook(tmp_path / "site.xlsx", [("responses", rows + rows[1:] * 10, "visible")])
    report, _ = validate(path, instrument, ReadLimits(max_rows=30))
    assert only(report.errors) == Problem(
        None,
        None,
        "row_limit",
        _over("row 32 holds data, but at most 30 data rows are read (rows 2 to 31)", "max_rows"),
        sheet="responses",
    )


def test_an_xlsx_over_max_columns_is_refused(tmp_path, instrument):
    rows = base_rows(instrument)
    rows[2] = [*rows[2], *([None] * 300), "x"]
    path = write_workbook(tmp_path / "site.xlsx", [("responses", rows, "visible")])
    report, _ = validate(path, instrument)
    assert only(report.errors) == Problem(
        3,
        None,
        "column_limit",
        _over(
            "row 3 has a value in column KZ (column 312), but at most 200 columns are read",
            "max_columns",
        ),
        sheet="responses",
    )


def test_an_xlsx_over_max_uncompressed_mb_is_refused_from_its_zip_directory(tmp_path, instrument):
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    declared = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    report, _ = validate(path, instrument, ReadLimits(max_uncompressed_mb=0.001))
    shown = f"{declared / 2**20:,.1f} MB"
    assert only(report.errors) == Problem(
        None,
        None,
        "uncompressed_size_limit",
        _over(
            f"the workbook's parts add up to {shown} once uncompressed, more than the limit "
            "of 0.0 MB",
            "max_uncompressed_mb",
        ),
        shown,
    )


REFUSE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from revmentor.core.config import load_config
    from revmentor.core.instrument import Instrument
    from revmentor.validation.readers import ReadLimits
    from revmentor.validation.site import validate_site
    from tests.memory_probe import own_peak_mb

    path, repo, uncompressed = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    config = load_config(repo / "config/config.yaml", repo / "workflow/schemas/config.schema.yaml")
    limits = ReadLimits.from_config({**config["validation"], "max_uncompressed_mb": uncompressed})
    site = {"site_id": "leeds", "name": "Leeds", "format": "responses", "file": path.name}
    report, clean = validate_site(path, site, Instrument.from_config(config["instrument"]), limits)
    peak_mb = own_peak_mb()
    errors = [error.to_dict() for error in report.errors]
    print(json.dumps({"errors": errors, "peak_mb": peak_mb, "clean": clean is not None}))
    """
)
BOMB_ROWS = 3_000_000
BOMB_ROW = (
    '<row r="{0}"><c r="A{0}" t="inlineStr"><is><t>leeds</t></is></c>'
    '<c r="B{0}" t="inlineStr"><is><t>P{0}</t></is></c><c r="E{0}"><v>3</v></c></row>'
)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A 3 M-row workbook, its sheet XML written straight into the ZIP (it compresses
    about 60-fold, so the file itself is under max_file_mb)."""
    folder = tmp_path_factory.mktemp("bomb")
    template = write_workbook(folder / "template.xlsx", [("responses", [["x"]], "visible")])
    path = folder / "bomb.xlsx"
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for name in source.namelist():
            if name != "xl/worksheets/sheet1.xml":
                bomb.writestr(name, source.read(name))
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            for start in range(1, BOMB_ROWS + 1, 10_000):
                rows = "".join(BOMB_ROW.format(n) for n in range(start, start + 10_000))
                sheet.write(rows.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("uncompressed", "check"),
    [(DEFAULT_LIMITS.max_uncompressed_mb, "uncompressed_size_limit"), (100_000, "row_limit")],
    ids=["zip-directory", "rows-while-streaming"],
)
def test_a_3m_row_zip_bomb_is_refused_in_bounded_memory(zip_bomb, uncompressed, check):
    assert zip_bomb.stat().st_size < DEFAULT_LIMITS.max_file_bytes  # the other limits act
    result = subprocess.run(
        [sys.executable, "-c", REFUSE, str(zip_bomb), str(REPO), str(uncompressed)],
        cwd=REPO,  # the child imports tests.memory_probe
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    outcome = json.loads(result.stdout)
    assert [error["check"] for error in outcome["errors"]] == [check]
    assert not outcome["clean"]
    assert outcome["peak_mb"] < 500, outcome
    print(f"peak RSS {outcome['peak_mb']:.0f} MB")


@pytest.mark.slow
def test_a_shared_string_bomb_is_refused_quickly_in_bounded_memory(tmp_path):
    # 4 M tiny strings: 10 MB on disk, 85 MB uncompressed (under the limit); openpyxl
    # alone needs about 170 bytes and 80 microseconds for each.
    path = write_workbook(tmp_path / "site.xlsx", [("responses", [["x"]], "visible")])
    with_shared_strings(path, 4_000_000)
    result = subprocess.run(
        [sys.executable, "-c", REFUSE, str(path), str(REPO), "100"],
        cwd=REPO,  # the child imports tests.memory_probe
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    outcome = json.loads(result.stdout)
    assert [error["check"] for error in outcome["errors"]] == ["unreadable_workbook"]
    assert outcome["peak_mb"] < 500, outcome


# ---------------------------------------------------------------------------------------
# Long cells
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [40_000, 131_073, 300_000])
def test_a_long_csv_cell_names_its_row_column_and_the_limit(tmp_path, instrument, length):
    rows = base_rows(instrument)
    rows[0].append("comments")
    for row in rows[1:]:
        row.append("")
    rows[4][-1] = "x" * length
    path = tmp_path / "site.csv"
    path.write_text(csv_text(rows))
    report, clean = validate(path, instrument)
    assert clean is None
    assert only(report.errors) == Problem(
        5,
        "comments",
        "cell_length",
        f"cell {chr(65 + len(rows[0]) - 1)}5 holds {length:,} characters, more than the "
        f"{MAX_CELL_CHARS:,} a spreadsheet cell can hold; shorten it (free text belongs in a "
        "separate document)",
        "x" * 59 + "…",
    )


def test_a_long_xlsx_cell_is_refused_too(tmp_path, instrument):
    # openpyxl cuts a cell to Excel's limit when it writes one, so the XML is written here.
    path = write_workbook(tmp_path / "site.xlsx", [("responses", base_rows(instrument), "visible")])
    long_id = b"P" * (MAX_CELL_CHARS + 1)
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<t>P2</t>", b"<t>" + long_id + b"</t>", 1),
    )
    report, _ = validate(path, instrument)
    error = only(report.errors)
    assert (error.row, error.column, error.check, error.sheet) == (
        4,
        "participant_id",
        "cell_length",
        "responses",
    )


def test_a_cell_at_the_limit_is_read(tmp_path, instrument):
    rows = base_rows(instrument)
    rows[0].append("comments")
    for row in rows[1:]:
        row.append("")
    rows[4][-1] = "x" * MAX_CELL_CHARS
    path = tmp_path / "site.csv"
    path.write_text(csv_text(rows))
    report, _ = validate(path, instrument)
    assert "cell_length" not in {p.check for p in (*report.errors, *report.warnings)}


# ---------------------------------------------------------------------------------------
# Whole-file encodings
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "message", "value"),
    [
        pytest.param(
            lambda text: text.encode("utf-16"),
            "the file is UTF-16 LE text (with a byte-order mark), not UTF-8; " + SAVE_AS,
            "UTF-16 LE",
            id="utf-16-le-bom",
        ),
        pytest.param(
            lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
            "the file is UTF-16 BE text (with a byte-order mark), not UTF-8; " + SAVE_AS,
            "UTF-16 BE",
            id="utf-16-be-bom",
        ),
        pytest.param(
            lambda text: text.encode("utf-16-le"),
            "the file is UTF-16 LE text (without a byte-order mark), not UTF-8; " + SAVE_AS,
            "UTF-16 LE",
            id="utf-16-le",
        ),
        pytest.param(
            lambda text: text.encode("utf-16-be"),
            "the file is UTF-16 BE text (without a byte-order mark), not UTF-8; " + SAVE_AS,
            "UTF-16 BE",
            id="utf-16-be",
        ),
        pytest.param(
            lambda text: text.replace("P2", "Zoë").encode("cp1252"),
            "the file is Windows-1252 (Latin-1) text, as Excel's plain 'CSV (Comma "
            "delimited)' saves it, not UTF-8 (the first non-UTF-8 byte is 0xEB on line 4); "
            + SAVE_AS,
            "Windows-1252",
            id="windows-1252",
        ),
        pytest.param(
            lambda text: text.replace("P2", "Zo\x81").encode("latin-1"),
            "the file is not UTF-8 text, nor Windows-1252 (the first non-UTF-8 byte is 0x81 "
            "on line 4); " + SAVE_AS,
            None,
            id="neither",
        ),
    ],
)
def test_a_file_not_in_utf8_gets_one_whole_file_error(tmp_path, instrument, encode, message, value):
    path = tmp_path / "site.csv"
    path.write_bytes(encode(csv_text(base_rows(instrument))))
    report, clean = validate(path, instrument)
    assert clean is None and report.n_rows == 0
    assert only(report.errors) == Problem(None, None, "utf8_encoding", message, value)


def test_a_latin1_byte_far_into_a_large_file_names_its_line(tmp_path, instrument):
    rows = base_rows(instrument)
    text = csv_text(rows + rows[1:] * 5000)  # more than one chunk of the encoding check
    path = tmp_path / "site.csv"
    path.write_bytes((text + "leeds,Zoë,mentor,pre" + ",3" * 7 + "\n").encode("cp1252"))
    report, _ = validate(path, instrument)
    assert "(the first non-UTF-8 byte is 0xEB on line 30008)" in only(report.errors).message
