"""`revmentor new-site --set moderator=value`: a site's moderator values, checked as the
registry checks them; a mistake is one clear line and nothing is written."""

from __future__ import annotations

import shutil

import pytest

from revmentor.cli import main

OWN = "site_id\tname\tdata\tformat\tenrolled\titems"
YORK = "york\tYork\tyork/responses.xlsx\tresponses\t2024-01-01\t"


@pytest.fixture
def root(tmp_path, repo):
    for name in ("config", "workflow/schemas"):
        shutil.copytree(repo / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    # A registry that predates the moderators: no moderator column yet.
    (tmp_path / "config/sites.tsv").write_text(f"{OWN}\n{YORK}\n", encoding="utf-8")
    return tmp_path


def new_site(root, *settings):
    args = ["--root", str(root), "new-site", "leeds", "--name", "Leeds", "--enrolled"]
    args += ["2025-02-01", *(part for setting in settings for part in ("--set", setting))]
    return main(args)


def registry(root):
    return (root / "config/sites.tsv").read_text(encoding="utf-8")


def test_set_writes_the_values_and_adds_the_missing_columns(root, capsys):
    assert new_site(root, "mentoring_hours=12", "hospital_type= district ") == 0
    assert registry(root) == (
        f"{OWN}\thospital_type\tmentoring_hours\n"
        f"{YORK}\t\t\n"
        "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t\tdistrict\t12\n"
    )
    out = capsys.readouterr().out
    sheet = root / "config/sites.tsv"
    assert (
        f"Added the column(s) hospital_type, mentoring_hours to {sheet}: empty (value "
        "unknown) for the sites already there.\n"
        "Moderators: hospital_type=district, mentoring_hours=12\n"
    ) in out
    assert "Not set" not in out


def test_set_fills_the_columns_a_registry_already_has(root, capsys):
    (root / "config/sites.tsv").write_text(
        f"{OWN}\thospital_type\tmentoring_hours\n{YORK}\tteaching\t8\n", encoding="utf-8"
    )
    assert new_site(root, "hospital_type=teaching") == 0
    assert registry(root) == (
        f"{OWN}\thospital_type\tmentoring_hours\n"
        f"{YORK}\tteaching\t8\n"
        "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t\tteaching\t\n"
    )
    out = capsys.readouterr().out
    assert "Added the column" not in out
    assert (
        "Not set, so unknown for this site: mentoring_hours (give them with --set, or fill in "
        f"the site's row of {root / 'config/sites.tsv'}). A site whose value is unknown "
        "leaves the analyses of that moderator.\n"
    ) in out


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            ["beds=400"],
            "--set beds=400: 'beds' is not a moderator declared under 'moderators:' in "
            "{config} (hospital_type, mentoring_hours); declare it there first",
        ),
        (
            ["hospital_type=cottage"],
            "--set hospital_type=cottage: 'cottage' is not a level of hospital_type (one of "
            "teaching, district)",
        ),
        (
            ["mentoring_hours=ten"],
            "--set mentoring_hours=ten: 'ten' is not a number (mentoring_hours is numeric, "
            "e.g. 12 or 7.5)",
        ),
        (
            ["mentoring_hours=1_0"],
            "--set mentoring_hours=1_0: '1_0' is not a number (mentoring_hours is numeric, "
            "e.g. 12 or 7.5)",
        ),
        (
            ["hospital_type"],
            "--set 'hospital_type' is not MODERATOR=VALUE: write, e.g., "
            "--set hospital_type=teaching",
        ),
        (
            ["mentoring_hours="],
            "--set mentoring_hours= gives no value: leave the --set out if the value is not "
            "known (an empty registry cell means unknown)",
        ),
        (
            ["hospital_type=teaching", "hospital_type=district"],
            "--set hospital_type is given twice ('teaching' and 'district'): give each "
            "moderator once",
        ),
    ],
)
def test_a_bad_setting_is_one_clear_line_and_nothing_is_written(root, capsys, settings, message):
    before = registry(root)
    assert new_site(root, *settings) == 2
    config = root / "config/config.yaml"
    assert capsys.readouterr().err == f"revmentor: {message.format(config=config)}\n"
    assert registry(root) == before
    assert list((root / "data").iterdir()) == []


def test_without_declared_moderators_any_setting_is_refused(root, capsys):
    config = root / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("\nmoderators:")
    end = text.index("\n\n", start + 1)
    config.write_text(text[:start] + text[end:], encoding="utf-8")
    assert new_site(root, "hospital_type=teaching") == 2
    assert capsys.readouterr().err == (
        "revmentor: --set hospital_type=teaching: 'hospital_type' is not a moderator declared "
        f"under 'moderators:' in {config} (none are declared); declare it there first\n"
    )
    assert new_site(root) == 0
    assert "Not set" not in capsys.readouterr().out


def test_a_config_whose_moderators_are_wrong_is_refused_before_anything_is_written(root, capsys):
    config = root / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("{id: mentoring_hours,", "{id: enrolled,", 1), encoding="utf-8")
    before = registry(root)
    assert new_site(root, "hospital_type=teaching") == 2
    assert capsys.readouterr().err == (
        "revmentor: the moderators in the config have problems\n"
        "  - column 'moderators[1]': moderators[1].id 'enrolled' is a column the site "
        "registry already has (site_id, name, data, format, enrolled, items, redcap_group); "
        "choose another id [moderator_id_free]\n"
    )
    assert registry(root) == before
