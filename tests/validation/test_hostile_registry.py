"""Site ids and names a hostile or unlucky coordinator might type, through the registry
reader (``read_registry``) and ``revmentor new-site``.

- An id the workflow uses for its own files (``overview``) is refused up front; otherwise
  Snakemake fails later with an AmbiguousRuleException.
- An id Windows reserves (CON, NUL, COM1, ...) in any case is refused.
- An id CSV readers take for a missing value, a number or true/false is refused.
- A name is one line of printable text; quotes in it are written with spreadsheet quoting
  and read back exactly; the registry keeps the user's text (formula-like or not), and
  every output people open neutralises it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from revmentor.cli import main
from revmentor.core.config import read_yaml
from revmentor.core.moderators import moderators_from_config
from revmentor.core.problems import ProblemsError
from revmentor.core.site_ids import SITE_FOLDERS, WORKFLOW_NAMES
from revmentor.core.tables import write_csv
from revmentor.report.outputs import write_table
from revmentor.validation.policy import overview
from revmentor.validation.registry import add_site, read_registry
from revmentor.validation.report import ValidationReport

REPO = Path(__file__).resolve().parents[2]
HEADER = "site_id\tname\tdata\tformat\tenrolled\n"
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'


def registry_with(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    """A registry of ``rows`` (raw tab-separated lines) whose data files all exist."""
    data_root = tmp_path / "data"
    for number in range(len(rows)):
        (data_root / f"f{number}.csv").parent.mkdir(parents=True, exist_ok=True)
        (data_root / f"f{number}.csv").write_text(f"file {number}\n")
    sheet = tmp_path / "sites.tsv"
    sheet.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return sheet


def read(sheet: Path, data_root: Path | None = None):
    return read_registry(
        sheet,
        data_root or sheet.parent / "data",
        allow_absolute=False,
        row_schema=read_yaml(REPO / "workflow/schemas/sites.schema.yaml"),
        # The repository's registry holds the moderators its config declares.
        moderators=moderators_from_config(read_yaml(REPO / "config/config.yaml")["moderators"]),
    )


def described(sheet: Path) -> str:
    with pytest.raises(ProblemsError) as raised:
        read(sheet)
    return raised.value.describe()


def site_row(site_id: str, name: str = "Leeds", number: int = 0) -> str:
    return f"{site_id}\t{name}\tf{number}.csv\tresponses\t2025-02-01"


# ---------------------------------------------------------------------------------------
# Ids the workflow uses for itself
# ---------------------------------------------------------------------------------------


def smk_paths() -> list[str]:
    """Every results/ path written as a string in the workflow's rules."""
    paths = []
    for rule_file in sorted((REPO / "workflow/rules").glob("*.smk")):
        paths += re.findall(r"""["'](results/[^"']+)["']""", rule_file.read_text())
    return paths


def test_site_folders_are_where_the_rules_put_a_site_id():
    folders = set()
    for path in smk_paths():
        match = re.match(r"(results/[^{]*?)/?\{site(?:_id)?\}", path)
        if match:
            folders.add(match.group(1))
    assert folders == set(SITE_FOLDERS)


def test_every_fixed_name_beside_per_site_files_is_reserved():
    """A fixed file or folder name in a folder that also holds per-site files (found in
    workflow/rules/*.smk) is a site id the registry refuses."""
    fixed = set()
    for path in smk_paths():
        for folder in SITE_FOLDERS:
            if path.startswith(folder + "/"):
                first = path[len(folder) + 1 :].split("/")[0]
                if not first.startswith("{"):
                    fixed.add(first.split(".")[0].casefold())
    assert fixed, "no fixed names found: has the layout of results/ changed?"
    assert fixed <= set(WORKFLOW_NAMES), f"not reserved: {sorted(fixed - set(WORKFLOW_NAMES))}"


@pytest.mark.parametrize(
    ("site_id", "files"),
    [
        ("overview", "results/validation/overview.tsv and overview.md"),
        ("Overview", "results/validation/overview.tsv and overview.md"),
        ("SHARDS", "the folder results/clean/shards/"),
        ("policy_check", "results/validation/policy_check.txt"),
    ],
)
def test_registry_refuses_an_id_the_workflow_uses(tmp_path, site_id, files):
    sheet = registry_with(tmp_path, site_row("leeds"), site_row(site_id, number=1))
    folded = site_id.casefold()
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        f"  - row 3, column 'site_id': site_id '{site_id}' is not allowed: the workflow uses "
        f"the name '{folded}' for its own files ({files}), so the site's files would clash "
        "with them; choose another id [reserved_site_id]"
    )


# ---------------------------------------------------------------------------------------
# Windows device names and words CSV readers do not read as text
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "site_id", ["CON", "con", "Prn", "aux", "NUL", "nul", "COM1", "com9", "COM0", "LPT1", "lpt9"]
)
def test_registry_refuses_a_windows_device_name(tmp_path, site_id):
    sheet = registry_with(tmp_path, site_row(site_id))
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        f"  - row 2, column 'site_id': site_id '{site_id}' is not allowed: '{site_id}' is a "
        "device name on Windows (CON, PRN, AUX, NUL, COM0 to COM9 and LPT0 to LPT9, in any "
        "case), so the site's files could not be made on Windows or copied to a Windows (SMB) "
        "share; choose another id [windows_device_name]"
    )


@pytest.mark.parametrize("site_id", ["console", "COM10", "lpt", "nullarbor", "con-1", "aux_site"])
def test_names_that_only_begin_like_a_device_are_allowed(tmp_path, site_id):
    assert [site.site_id for site in read(registry_with(tmp_path, site_row(site_id)))] == [site_id]


@pytest.mark.parametrize(
    ("site_id", "read_as"),
    [
        ("NA", "a missing value"),
        ("nan", "a missing value"),
        ("NULL", "a missing value"),
        ("None", "a missing value"),
        ("inf", "a number (infinity)"),
        ("Infinity", "a number (infinity)"),
        ("TRUE", "true/false"),
        ("false", "true/false"),
    ],
)
def test_registry_refuses_an_id_csv_readers_do_not_read_as_text(tmp_path, site_id, read_as):
    sheet = registry_with(tmp_path, site_row(site_id))
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        f"  - row 2, column 'site_id': site_id '{site_id}' is not allowed: CSV readers such as "
        f"pandas and R read '{site_id}' as {read_as}, not as a site id, so the site would be "
        "lost from tables read back; choose another id [reads_as_text]"
    )


def test_an_id_failing_the_pattern_gets_one_problem_not_two(tmp_path):
    sheet = registry_with(tmp_path, site_row("con.json"))
    assert "[schema_pattern]" in described(sheet)
    assert "[windows_device_name]" not in described(sheet)


# ---------------------------------------------------------------------------------------
# Names: quotes, control characters
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ('"""Foo"" Hospital"', '"Foo" Hospital'),
        ("St Mary's", "St Mary's"),
        ("'s-Hertogenbosch", "'s-Hertogenbosch"),
        ('St "Mary" Wing', 'St "Mary" Wing'),
        ('"Leeds, ""General"""', 'Leeds, "General"'),
        (FORMULA_NAME.replace('"', '""').join('""'), FORMULA_NAME),
        ("-Leeds", "-Leeds"),
        ("@Leeds", "@Leeds"),
    ],
)
def test_registry_reads_quoted_and_formula_like_names_as_typed(tmp_path, cell, name):
    assert [site.name for site in read(registry_with(tmp_path, site_row("leeds", cell)))] == [name]


@pytest.mark.parametrize(
    ("cell", "row_text"),
    [
        ('"Foo" Hospital', "row 2"),
        ('"Foo Hospital', "row 2"),
    ],
)
def test_registry_refuses_a_quote_left_open(tmp_path, cell, row_text):
    sheet = registry_with(tmp_path, site_row("york"), site_row("leeds", cell, 1))
    sheet.write_text(
        HEADER + site_row("leeds", cell, 1) + "\n" + site_row("york") + "\n", encoding="utf-8"
    )
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        f'  - {row_text}: {row_text} has a cell that opens with a double quote (") but does '
        "not close it just before the next tab or line end. A cell holding a quote is written "
        'in quotes with the quote doubled: """Foo"" Hospital" for the name "Foo" Hospital. '
        "Save the registry from a spreadsheet as tab-separated text, or add sites with "
        "'revmentor new-site' [quoted_cell]"
    )
    with pytest.raises(ProblemsError) as raised:
        read(sheet)
    # The row as typed, tabs shown as \t, so the coordinator can find it.
    assert [problem.value for problem in raised.value.problems] == [
        f"leeds\\t{cell}\\tf1.csv\\tresponses\\t2025-02-01"
    ]


@pytest.mark.parametrize(
    ("cell", "described_as", "code", "position", "shown"),
    [
        ('"Leeds\tGeneral"', "a tab", "0009", 6, "Leeds\\tGeneral"),
        ('"Leeds\nGeneral"', "a line break", "000A", 6, "Leeds\\nGeneral"),
        ("Leeds\x07General", "a control character", "0007", 6, "Leeds\\x07General"),
        ("Leeds\u2028General", "a control character", "2028", 6, "Leeds\\u2028General"),
    ],
)
def test_registry_refuses_control_characters_in_a_name(
    tmp_path, cell, described_as, code, position, shown
):
    sheet = registry_with(tmp_path, site_row("leeds", cell))
    with pytest.raises(ProblemsError) as raised:
        read(sheet)
    (problem,) = raised.value.problems
    assert (problem.row, problem.column, problem.check, problem.value) == (
        2,
        "name",
        "printable_name",
        shown,
    )
    assert problem.message == (
        f"the name contains {described_as} (U+{code}) at character {position}; a site name is "
        "one line of printable text: remove it"
    )


# ---------------------------------------------------------------------------------------
# revmentor new-site
# ---------------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path):
    for name in ("config", "workflow/schemas"):
        shutil.copytree(REPO / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    return tmp_path


def new_site(root: Path, site_id: str, name: str) -> int:
    return main(
        # --name=... as a user must type a name that opens with '-' (argparse's rule).
        ["--root", str(root), "new-site", site_id, f"--name={name}", "--enrolled", "2025-02-01"]
    )


def registered(root: Path) -> dict[str, str]:
    """site_id -> name, as the workflow reads the registry (each data file stubbed in)."""
    sheet = root / "config/sites.tsv"
    with sheet.open(encoding="utf-8", newline="") as stream:
        records = list(csv.reader(stream, delimiter="\t", strict=True))
    header = records[0]
    for number, record in enumerate(records[1:]):
        for column in ("data", "items"):
            if column in header and record[header.index(column)]:
                stub = root / "data" / record[header.index(column)]
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text(f"stub {column} {number}\n")
    return {site.site_id: site.name for site in read(sheet, root / "data")}


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            '"Foo" Hospital',
            'foo\t"""Foo"" Hospital"\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n',
        ),
        ("St Mary's", "foo\tSt Mary's\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n"),
        (
            'St "Mary" Wing',
            'foo\t"St ""Mary"" Wing"\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n',
        ),
        (
            FORMULA_NAME,
            'foo\t"=HYPERLINK(""http://evil.example"",""x"")"\tfoo/responses.xlsx\tresponses'
            "\t2025-02-01\t\t\t\n",
        ),
        ("-Leeds", "foo\t-Leeds\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n"),
        ("@Leeds", "foo\t@Leeds\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n"),
        ("+Leeds", "foo\t+Leeds\tfoo/responses.xlsx\tresponses\t2025-02-01\t\t\t\n"),
    ],
)
def test_new_site_writes_any_name_so_that_it_reads_back_as_typed(root, name, line):
    before = (root / "config/sites.tsv").read_text()
    assert new_site(root, "foo", name) == 0
    assert (root / "config/sites.tsv").read_text() == before + line
    assert registered(root)["foo"] == name


def test_new_site_then_another_after_a_quoted_name(root):
    assert new_site(root, "foo", '"Foo" Hospital') == 0
    assert new_site(root, "bar", 'Bar "Royal"') == 0
    names = registered(root)
    assert (names["foo"], names["bar"]) == ('"Foo" Hospital', 'Bar "Royal"')


@pytest.mark.parametrize(
    ("site_id", "message"),
    [
        (
            "overview",
            "site id 'overview' is not allowed: the workflow uses the name 'overview' for its "
            "own files (results/validation/overview.tsv and overview.md), so the site's files "
            "would clash with them; choose another id",
        ),
        (
            "Shards",
            "site id 'Shards' is not allowed: the workflow uses the name 'shards' for its own "
            "files (the folder results/clean/shards/), so the site's files would clash with "
            "them; choose another id",
        ),
        (
            "Com1",
            "site id 'Com1' is not allowed: 'Com1' is a device name on Windows (CON, PRN, AUX, "
            "NUL, COM0 to COM9 and LPT0 to LPT9, in any case), so the site's files could not "
            "be made on Windows or copied to a Windows (SMB) share; choose another id",
        ),
        (
            "nul",
            "site id 'nul' is not allowed: 'nul' is a device name on Windows (CON, PRN, AUX, "
            "NUL, COM0 to COM9 and LPT0 to LPT9, in any case), so the site's files could not "
            "be made on Windows or copied to a Windows (SMB) share; choose another id",
        ),
        (
            "NA",
            "site id 'NA' is not allowed: CSV readers such as pandas and R read 'NA' as a "
            "missing value, not as a site id, so the site would be lost from tables read back; "
            "choose another id",
        ),
    ],
)
def test_new_site_refuses_reserved_ids(root, capsys, site_id, message):
    before = (root / "config/sites.tsv").read_bytes()
    assert new_site(root, site_id, "X") == 2
    assert capsys.readouterr().err == f"revmentor: {message}\n"
    assert (root / "config/sites.tsv").read_bytes() == before
    assert not any((root / "data").iterdir())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "Leeds\tGeneral",
            "site name 'Leeds\\tGeneral' is not allowed: the name contains a tab (U+0009) at "
            "character 6; a site name is one line of printable text: remove it",
        ),
        (
            "Leeds\nGeneral",
            "site name 'Leeds\\nGeneral' is not allowed: the name contains a line break "
            "(U+000A) at character 6; a site name is one line of printable text: remove it",
        ),
        (
            "Leeds\rGeneral",
            "site name 'Leeds\\rGeneral' is not allowed: the name contains a carriage return "
            "(U+000D) at character 6; a site name is one line of printable text: remove it",
        ),
        (
            "Leeds\x1bGeneral",
            "site name 'Leeds\\x1bGeneral' is not allowed: the name contains a control "
            "character (U+001B) at character 6; a site name is one line of printable text: "
            "remove it",
        ),
        ("   ", "the site name is empty: give the hospital's name with --name"),
    ],
)
def test_new_site_refuses_names_that_are_not_one_line_of_text(root, capsys, name, message):
    before = (root / "config/sites.tsv").read_bytes()
    assert new_site(root, "leeds", name) == 2
    assert capsys.readouterr().err == f"revmentor: {message}\n"
    assert (root / "config/sites.tsv").read_bytes() == before
    assert not any((root / "data").iterdir())


def test_new_site_trims_the_name_as_the_registry_reads_it(root):
    assert new_site(root, "leeds", "  Leeds General  ") == 0
    assert registered(root)["leeds"] == "Leeds General"


def test_new_site_leaves_a_registry_that_does_not_read_back_unchanged(root, capsys):
    """A registry broken by hand is not made worse: the new file is read back first."""
    sheet = root / "config/sites.tsv"
    broken = (
        sheet.read_text() + 'york\t"York Hospital\tyork/responses.csv\tresponses\t2025-01-01\t\n'
    )
    sheet.write_text(broken)
    assert new_site(root, "leeds", "Leeds") == 2
    assert capsys.readouterr().err == (
        f"revmentor: site registry {sheet} has problems\n"
        '  - row 8: row 8 has a cell that opens with a double quote (") but does not close it '
        "just before the next tab or line end. A cell holding a quote is written in quotes "
        'with the quote doubled: """Foo"" Hospital" for the name "Foo" Hospital. Save the '
        "registry from a spreadsheet as tab-separated text, or add sites with 'revmentor "
        "new-site' [quoted_cell]\n"
    )
    assert sheet.read_text() == broken
    assert not any((root / "data").iterdir())
    assert [path.name for path in sheet.parent.iterdir() if path.name.startswith(".")] == []


def test_new_site_checks_the_whole_registry_before_saving(root, capsys):
    sheet = root / "config/sites.tsv"
    broken = sheet.read_text() + "york\tYork\tyork/responses.csv\tresponses\t2025-02-30\t\t\t\n"
    sheet.write_text(broken)
    assert new_site(root, "leeds", "Leeds") == 2
    assert capsys.readouterr().err == (
        f"revmentor: site registry {sheet} is unchanged: it has problems\n"
        "  - row 8, column 'enrolled': '2025-02-30' is not a real calendar date (YYYY-MM-DD) "
        "[iso_date]\n"
    )
    assert sheet.read_text() == broken
    assert [path.name for path in sheet.parent.iterdir() if path.name.startswith(".")] == []


def test_new_site_keeps_windows_line_ends_and_a_missing_last_line_end(root):
    sheet = root / "config/sites.tsv"
    sheet.write_bytes(
        b"site_id\tname\tdata\tformat\tenrolled\r\npilot\tPilot\tp.csv\tresponses\t2022-01-01"
    )
    assert new_site(root, "leeds", '"Leeds"') == 0
    assert sheet.read_bytes() == (
        b"site_id\tname\tdata\tformat\tenrolled\r\npilot\tPilot\tp.csv\tresponses\t2022-01-01"
        b'\r\nleeds\t"""Leeds"""\tleeds/responses.xlsx\tresponses\t2025-02-01\r\n'
    )


# ---------------------------------------------------------------------------------------
# A formula-like name reaches no spreadsheet output raw
# ---------------------------------------------------------------------------------------


def test_formula_like_name_is_text_in_the_xlsx_template(root):
    assert new_site(root, "leeds", FORMULA_NAME) == 0
    path = root / "data/leeds/responses_template.xlsx"
    with zipfile.ZipFile(path) as workbook:
        sheets = [name for name in workbook.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in workbook.read(name), name
    about = load_workbook(path)["about"]
    first = about["A1"]
    assert first.value == (
        f"Data-entry template for site 'leeds' ({FORMULA_NAME}). One row per participant and "
        "timepoint."
    )
    assert first.data_type == "s"


def test_about_lines_that_open_with_a_formula_sign_are_text(tmp_path, instrument):
    from revmentor.core.workbook import responses_workbook, save_workbook

    path = tmp_path / "t.xlsx"
    save_workbook(responses_workbook(instrument, about=[FORMULA_NAME, "+1", "@x"]), path)
    with zipfile.ZipFile(path) as workbook:
        assert b"<f>" not in b"".join(
            workbook.read(name) for name in workbook.namelist() if "worksheets" in name
        )
    about = load_workbook(path)["about"]
    assert [(cell.value, cell.data_type) for (cell,) in about.iter_rows()] == [
        (FORMULA_NAME, "s"),
        ("+1", "s"),
        ("@x", "s"),
    ]


def formula_cells(text: str, sep: str) -> list[str]:
    """Every text cell of a CSV/TSV that a spreadsheet would run as a formula (a number
    such as -1.5 is read as a number)."""
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return [
        cell
        for column in frame.columns
        for cell in frame[column]
        if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not is_number(cell)
    ]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_formula_like_name_is_neutralised_in_the_validation_overview(tmp_path):
    report = ValidationReport(
        site_id="leeds",
        name=FORMULA_NAME,
        format="responses",
        file="leeds.csv",
        sha256="0" * 64,
        n_rows=0,
        participants={"mentor": 0, "mentee": 0},
    )
    path = tmp_path / "results/validation/overview.tsv"
    write_csv(path, overview([report], ["results/validation/leeds.md"]), for_people=True)
    assert formula_cells(path.read_text(), "\t") == []
    read_back = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    assert read_back["name"].tolist() == ["'" + FORMULA_NAME]


def test_formula_like_name_is_neutralised_in_report_tables(tmp_path):
    frame = pd.DataFrame({"site_id": ["leeds"], "name": [FORMULA_NAME], "change": [-1.5]})
    csv_path = write_table(frame, tmp_path / "sites", "Sites")[0]
    assert formula_cells(csv_path.read_text(), ",") == []
    read_back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert read_back["name"].tolist() == ["'" + FORMULA_NAME]
    assert read_back["change"].tolist() == ["-1.5"]


def test_new_site_creates_a_missing_registry_with_its_header(root):
    (root / "config/sites.tsv").unlink()
    assert new_site(root, "leeds", '"Leeds" General') == 0
    assert (root / "config/sites.tsv").read_text() == (
        "site_id\tname\tdata\tformat\tenrolled\titems\n"
        'leeds\t"""Leeds"" General"\tleeds/responses.xlsx\tresponses\t2025-02-01\t\n'
    )


def test_a_row_that_would_not_read_back_as_given_is_not_saved(tmp_path):
    """The last safety net of add_site: the saved registry reads back as what was asked."""
    sheet = registry_with(tmp_path, site_row("york"))
    before = sheet.read_bytes()
    values = {
        "site_id": "leeds",
        "name": " Leeds ",
        "data": "leeds/responses.xlsx",
        "format": "responses",
        "enrolled": "2025-02-01",
    }
    with pytest.raises(ProblemsError) as raised:
        add_site(sheet, values, row_schema=read_yaml(REPO / "workflow/schemas/sites.schema.yaml"))
    assert raised.value.describe() == (
        f"site registry {sheet} is unchanged: the new row would not read back as given\n"
        "  - row 3, column 'name': ' Leeds ' would read back as 'Leeds' [reads_back]"
    )
    assert sheet.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "sites.tsv"]
