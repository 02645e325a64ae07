"""`revmentor new-site`: the enrolment date's format, a REDCap site's data access group, and a
coordinating centre whose folder holds only config/ and data/ (the workflow as a module)."""

from __future__ import annotations

import shutil

import pytest

from revmentor.cli import main


@pytest.fixture
def root(tmp_path, repo):
    """Only config/ and data/: no workflow/ here, as for a centre using the module."""
    shutil.copytree(repo / "config", tmp_path / "config")
    (tmp_path / "data").mkdir()
    return tmp_path


def new_site(root, *args):
    return main(["--root", str(root), "new-site", "leeds", "--name", "Leeds", *args])


@pytest.mark.parametrize("enrolled", ["01/02/2025", "2025-2-1", "2025-02-30", "1 Feb 2025"])
def test_an_enrolment_date_not_written_yyyy_mm_dd_is_refused_with_the_form(root, capsys, enrolled):
    before = (root / "config/sites.tsv").read_text()
    assert new_site(root, "--enrolled", enrolled) == 2
    assert capsys.readouterr().err == (
        f"revmentor: --enrolled '{enrolled}' is not a date written YYYY-MM-DD: give the day "
        "the site joined as, e.g., 2025-02-01 for 1 February 2025\n"
    )
    assert (root / "config/sites.tsv").read_text() == before


def test_the_schemas_are_found_beside_the_package_when_the_folder_has_no_workflow(root, repo):
    assert not (root / "workflow").exists()
    assert new_site(root, "--enrolled", "2025-02-01") == 0
    assert (root / "data/leeds/responses_template.xlsx").is_file()


def test_a_redcap_site_records_its_data_access_group_in_the_registry(root, repo, capsys):
    (root / "data/pilot").mkdir(parents=True)
    code = new_site(
        root, "--format", "redcap", "--redcap-group", "leeds_th", "--enrolled", "2025-02-01"
    )
    assert code == 0
    lines = (root / "config/sites.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert header[-1] == "redcap_group"
    assert dict(zip(header, lines[-1].split("\t"), strict=True))["redcap_group"] == "leeds_th"
    # Every other site reads an empty group.
    assert all(line.endswith("\t") for line in lines[1:-1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--redcap-group", "leeds_th"],
            "revmentor: --redcap-group is for a REDCap site: add --format redcap, or leave "
            "--redcap-group out for a responses site\n",
        ),
    ],
)
def test_a_data_access_group_for_another_format_is_refused(root, capsys, args, message):
    assert new_site(root, "--enrolled", "2025-02-01", *args) == 2
    assert capsys.readouterr().err == message


def test_a_group_name_redcap_would_not_write_is_refused(root, capsys):
    code = new_site(
        root, "--format", "redcap", "--redcap-group", "Leeds TH", "--enrolled", "2025-02-01"
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "redcap_group" in err
    assert "Leeds TH" in err
