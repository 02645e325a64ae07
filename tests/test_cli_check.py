"""`revmentor check FILE`: a site's data manager validates one file before sending it, with
no workflow, no registry entry and no other site."""

from __future__ import annotations

import shutil

import pytest

from revmentor.cli import main
from revmentor.core.config import load_config
from revmentor.simulate.consortium import SimulatedSite, write_consortium
from revmentor.simulate.model import SiteDesign
from revmentor.site_check import NO_SITE_ID, guess_format


@pytest.fixture
def root(tmp_path, repo):
    """A folder holding only the config, as a site's data manager might have it."""
    shutil.copytree(repo / "config", tmp_path / "config")
    return tmp_path


def check(root, *args):
    return main(["--root", str(root), "check", *args])


def test_a_valid_file_prints_its_report_and_exits_0(root, repo, capsys):
    example = repo / "data/example/hillcrest.csv"
    assert check(root, str(example)) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Validation report: hillcrest\n")
    assert "- **Status:** VALID\n" in out
    assert err.splitlines() == [
        "revmentor check: format: responses, from the file's columns (choose with --format)",
        "revmentor check: site: hillcrest (the most frequent value of its site_id column); "
        "give --site with your registered id to check the file against it",
        f"revmentor check: {example} is valid: 0 error(s), 4 warning(s)",
    ]


def test_an_invalid_file_names_the_row_and_exits_1(root, repo, capsys, tmp_path):
    lines = (repo / "data/example/northgate.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("clinical_practice")] = "7"
    lines[3] = ",".join(cells)
    path = tmp_path / "northgate.csv"
    path.write_text("\n".join(lines) + "\n")
    assert check(root, str(path), "--site", "northgate", "--format", "responses") == 1
    out, err = capsys.readouterr()
    assert "- **Status:** INVALID\n" in out
    [row] = [line for line in out.splitlines() if line.startswith("| 4 | clinical_practice |")]
    assert "| 7 |" in row
    # Both given: nothing to say about how they were chosen.
    assert err == (
        f"revmentor check: {path} is NOT valid: 1 error(s), 0 warning(s); correct the errors "
        "above and check it again\n"
    )


def test_a_summary_is_checked_with_its_items_file(root, repo, capsys):
    summary = repo / "data/example/oakfield_summary.csv"
    items = repo / "data/example/oakfield_items.csv"
    assert check(root, str(summary), "--items", str(items)) == 0
    out, err = capsys.readouterr()
    assert "- **Format:** summary\n" in out
    assert f"- **Items file:** `{items}`" in out
    assert "format: summary, from the file's columns" in err


def test_a_redcap_export_is_recognised_and_checked_against_its_data_access_group(
    root, repo, instrument, capsys, tmp_path
):
    config = load_config(root / "config/config.yaml", repo / "workflow/schemas/config.schema.yaml")
    design = SiteDesign("leeds", {"mentor": 6, "mentee": 5})
    site = SimulatedSite(design, "Leeds", "2025-02-01", "export.csv", format="redcap")
    write_consortium([site], tmp_path / "data", tmp_path, instrument, 1, redcap=config["redcap"])
    export = tmp_path / "data/export.csv"
    assert check(root, str(export)) == 0
    out, err = capsys.readouterr()
    assert "- **Format:** redcap\n" in out
    assert "format: redcap, from the file's columns" in err
    assert f"site: {NO_SITE_ID} (not given, and the file names none)" in err
    assert check(root, str(export), "--site", "leeds") == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["participant_id", "site_id", "role", "timepoint"], "responses"),
        (["record_id", "redcap_event_name", "role"], "redcap"),
        (["site_id", "role", "outcome", "n_pairs", "mean_diff"], "summary"),
        ([], "responses"),
    ],
)
def test_the_format_is_read_from_the_columns(header, expected):
    assert guess_format(header) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "revmentor: missing.csv: no such file\n"),
        (
            ["{example}", "--site", "9lives"],
            "revmentor: site id '9lives' is not allowed: start with a letter, then up to 63 "
            "letters, digits, '_' or '-'\n",
        ),
        (
            ["{example}", "--items", "{example}", "--format", "responses"],
            "revmentor: --items is the items file of a summary: add --format summary\n",
        ),
        (
            ["{example}", "--items", "{example}"],
            "revmentor: --items is the items file of a summary, and {example} reads as a "
            "responses file: add --format summary if it is one\n",
        ),
    ],
)
def test_mistakes_on_the_command_line_are_one_clear_line(root, repo, capsys, args, message):
    example = str(repo / "data/example/hillcrest.csv")
    assert check(root, *(arg.format(example=example) for arg in args)) == 2
    assert capsys.readouterr().err == message.format(example=example)
