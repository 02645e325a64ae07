"""`revmentor new-site`: registers a hospital and makes its data-entry templates."""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from revmentor.cli import main


@pytest.fixture
def root(tmp_path, repo):
    for name in ("config", "workflow/schemas"):
        shutil.copytree(repo / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    return tmp_path


def run(root, *args):
    return main(["--root", str(root), *args])


def test_new_site_appends_registry_row_and_writes_templates(root, instrument):
    before = (root / "config/sites.tsv").read_text()
    code = run(
        root, "new-site", "leeds", "--name", "Leeds Teaching Hospitals", "--enrolled", "2025-02-01"
    )
    assert code == 0
    after = (root / "config/sites.tsv").read_text()
    assert (
        after
        == before
        # items, hospital_type and mentoring_hours empty: unknown until filled in.
        + "leeds\tLeeds Teaching Hospitals\tleeds/responses.xlsx\tresponses\t2025-02-01\t\t\t\n"
    )
    header = (root / "data/leeds/responses_template.csv").read_text().strip().split(",")
    assert header == list(instrument.known_columns())


def test_xlsx_template_restricts_entries_with_data_validation(root, instrument):
    run(root, "new-site", "leeds", "--name", "Leeds", "--enrolled", "2025-02-01")
    sheet = load_workbook(root / "data/leeds/responses_template.xlsx")["responses"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(instrument.known_columns())
    by_column = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_column[header[cell_range.min_col - 1]] = validation
    score = by_column["clinical_practice"]
    assert (score.type, score.operator, score.formula1, score.formula2) == (
        "whole",
        "between",
        "1",
        "5",
    )
    assert by_column["role"].formula1 == '"mentor,mentee"'
    assert by_column["timepoint"].formula1 == '"pre,post"'
    assert by_column["benefited"].formula1 == '"0,1"'
    assert by_column["relationship_effect"].formula1 == '"negative,none,positive"'
    assert by_column["site_id"].formula1 == '"leeds"'


def test_summary_site_gets_a_summary_template(root):
    run(
        root,
        "new-site",
        "york",
        "--name",
        "York",
        "--format",
        "summary",
        "--enrolled",
        "2025-03-01",
    )
    assert (
        (root / "data/york/summary_template.csv")
        .read_text()
        .startswith("site_id,role,outcome,n_pairs")
    )
    assert (
        "york\tYork\tyork/summary.csv\tsummary\t2025-03-01\t\t\t\n"
        in (root / "config/sites.tsv").read_text()
    )


@pytest.mark.parametrize(
    ("site_id", "message"),
    [
        ("1leeds", "is not allowed"),
        ("../evil", "is not allowed"),
        ("a b", "is not allowed"),
        ("x" * 65, "is not allowed"),
        ("PILOT", "already in"),
    ],
)
def test_new_site_refuses_bad_or_taken_ids(root, capsys, site_id, message):
    before = (root / "config/sites.tsv").read_text()
    assert run(root, "new-site", site_id, "--name", "X") == 2
    assert message in capsys.readouterr().err
    assert (root / "config/sites.tsv").read_text() == before
    assert not any((root / "data").iterdir())
