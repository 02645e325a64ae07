"""Moderator columns of the site registry: only the configured ones, each cell a value of
its moderator or empty (unknown), read into ``Site.moderators``; and ``add_site`` adding a
moderator column the registry lacks without changing the sites already there."""

from __future__ import annotations

from pathlib import Path

import pytest

from revmentor.core.config import read_yaml
from revmentor.core.moderators import Moderator
from revmentor.core.problems import ProblemsError
from revmentor.validation.registry import add_site, read_registry

REPO = Path(__file__).resolve().parents[2]
ROW_SCHEMA = read_yaml(REPO / "workflow/schemas/sites.schema.yaml")
HOSPITAL_TYPE = Moderator("hospital_type", "categorical", "Hospital type", ("teaching", "district"))
HOURS = Moderator("mentoring_hours", "numeric", "Hours of mentoring")
MODERATORS = (HOSPITAL_TYPE, HOURS)
OWN = "site_id\tname\tdata\tformat\tenrolled"


def registry(tmp_path: Path, header: str, *cells: str) -> Path:
    """A registry whose rows are ``site_id<TAB>moderator cells...``; data files exist."""
    data_root = tmp_path / "data"
    data_root.mkdir(exist_ok=True)
    lines = [header]
    for number, extra in enumerate(cells):
        (data_root / f"f{number}.csv").write_text(f"file {number}\n")
        site_id, _, rest = extra.partition("\t")
        own = f"{site_id}\t{site_id.title()}\tf{number}.csv\tresponses\t2025-02-01"
        lines.append(own + ("\t" + rest if "\t" in extra else ""))
    sheet = tmp_path / "sites.tsv"
    sheet.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return sheet


def read(sheet: Path, moderators=MODERATORS):
    return read_registry(
        sheet,
        sheet.parent / "data",
        allow_absolute=False,
        row_schema=ROW_SCHEMA,
        moderators=moderators,
    )


def described(sheet: Path, moderators=MODERATORS) -> str:
    with pytest.raises(ProblemsError) as raised:
        read(sheet, moderators)
    return raised.value.describe()


def test_moderator_cells_are_read_as_typed_and_empty_means_unknown(tmp_path):
    sheet = registry(
        tmp_path,
        f"{OWN}\thospital_type\tmentoring_hours",
        "leeds\tteaching\t12",
        "york\tdistrict\t7.5",
        "hull\t\t",
    )
    sites = read(sheet)
    assert [site.moderators for site in sites] == [
        {"hospital_type": "teaching", "mentoring_hours": "12"},
        {"hospital_type": "district", "mentoring_hours": "7.5"},
        {"hospital_type": "", "mentoring_hours": ""},
    ]
    # What a rule receives about a site does not change with moderators.
    assert set(sites[0].as_params()) == {
        "site_id",
        "name",
        "format",
        "enrolled",
        "file",
        "items_file",
    }


def test_a_moderator_column_may_be_left_out_and_columns_may_come_in_any_order(tmp_path):
    sheet = registry(tmp_path, f"mentoring_hours\t{OWN}", "")
    sheet.write_text(
        f"mentoring_hours\t{OWN}\n4\tleeds\tLeeds\tf0.csv\tresponses\t2025-02-01\n",
        encoding="utf-8",
    )
    (tmp_path / "data/f0.csv").write_text("file\n")
    [site] = read(sheet)
    assert site.moderators == {"hospital_type": "", "mentoring_hours": "4"}


def test_without_configured_moderators_sites_have_none(tmp_path):
    sheet = registry(tmp_path, OWN, "leeds")
    [site] = read(sheet, moderators=())
    assert site.moderators == {}


def test_an_undeclared_column_names_row_1_and_what_is_allowed(tmp_path):
    sheet = registry(
        tmp_path, f"{OWN}\thospital_type\tbeds", "leeds\tteaching\t400", "york\tdistrict\t250"
    )
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        "  - row 1, column 'beds': column 'beds' is not a registry column. Allowed: site_id, "
        "name, data, format, enrolled, items, redcap_group, and the moderators declared under "
        "'moderators:' in config.yaml (hospital_type, mentoring_hours). To record 'beds' for "
        "each site, declare it as a moderator there first [known_column]"
    )


def test_a_moderator_column_needs_the_moderator_declared(tmp_path):
    sheet = registry(tmp_path, f"{OWN}\thospital_type", "leeds\tteaching")
    assert described(sheet, moderators=()) == (
        f"site registry {sheet} has problems\n"
        "  - row 1, column 'hospital_type': column 'hospital_type' is not a registry column. "
        "Allowed: site_id, name, data, format, enrolled, items, redcap_group, and the "
        "moderators declared under 'moderators:' in config.yaml (none are declared). To "
        "record 'hospital_type' for each site, declare it as a moderator there first "
        "[known_column]"
    )


def test_each_bad_value_names_its_row_column_value_and_rule(tmp_path):
    sheet = registry(
        tmp_path,
        f"{OWN}\thospital_type\tmentoring_hours",
        "leeds\tteaching\t12",
        "york\tTeaching\t1_2",
        "hull\tcottage\tinf",
        "bath\tdistrict\t٤",
    )
    assert described(sheet) == (
        f"site registry {sheet} has problems\n"
        "  - row 3, column 'hospital_type': 'Teaching' is not a level of hospital_type (one "
        "of teaching, district); leave the cell empty if the value is unknown "
        "[moderator_value]\n"
        "  - row 3, column 'mentoring_hours': '1_2' is not a number (mentoring_hours is "
        "numeric, e.g. 12 or 7.5); leave the cell empty if the value is unknown "
        "[moderator_value]\n"
        "  - row 4, column 'hospital_type': 'cottage' is not a level of hospital_type (one "
        "of teaching, district); leave the cell empty if the value is unknown "
        "[moderator_value]\n"
        "  - row 4, column 'mentoring_hours': 'inf' is not a number (mentoring_hours is "
        "numeric, e.g. 12 or 7.5); leave the cell empty if the value is unknown "
        "[moderator_value]\n"
        "  - row 5, column 'mentoring_hours': '٤' is not a number (mentoring_hours is "
        "numeric, e.g. 12 or 7.5); leave the cell empty if the value is unknown "
        "[moderator_value]"
    )


def test_cells_are_trimmed_as_every_registry_cell_is(tmp_path):
    sheet = registry(tmp_path, f"{OWN}\thospital_type\tmentoring_hours", "leeds\t district \t 8 ")
    [site] = read(sheet)
    assert site.moderators == {"hospital_type": "district", "mentoring_hours": "8"}


def leeds(**moderators: str) -> dict[str, str]:
    return {
        "site_id": "leeds",
        "name": "Leeds",
        "data": "leeds/responses.xlsx",
        "format": "responses",
        "enrolled": "2025-02-01",
        **moderators,
    }


def test_add_site_adds_a_missing_moderator_column_empty_for_the_sites_already_there(tmp_path):
    sheet = tmp_path / "sites.tsv"
    sheet.write_text(
        f"{OWN}\titems\r\n"
        'york\t"""York"" Hospital"\tyork.csv\tresponses\t2024-01-01\t\r\n'
        "\r\n"
        "hull\tHull\thull.csv\tsummary\t2024-02-01\thull_items.csv\r\n",
        encoding="utf-8",
    )
    number = add_site(
        sheet,
        leeds(mentoring_hours="12", hospital_type="district"),
        row_schema=ROW_SCHEMA,
        moderators=MODERATORS,
    )
    assert number == 5
    # The registry's own line ends are kept.
    assert sheet.read_bytes().decode("utf-8") == (
        f"{OWN}\titems\thospital_type\tmentoring_hours\r\n"
        'york\t"""York"" Hospital"\tyork.csv\tresponses\t2024-01-01\t\t\t\r\n'
        "\r\n"
        "hull\tHull\thull.csv\tsummary\t2024-02-01\thull_items.csv\t\t\r\n"
        "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t\tdistrict\t12\r\n"
    )


def test_add_site_keeps_the_bytes_of_a_registry_that_has_the_columns(tmp_path):
    sheet = tmp_path / "sites.tsv"
    before = f"{OWN}\tmentoring_hours\nyork\tYork\tyork.csv\tresponses\t2024-01-01\t 4\n"
    sheet.write_text(before, encoding="utf-8")
    add_site(sheet, leeds(mentoring_hours="6"), row_schema=ROW_SCHEMA, moderators=MODERATORS)
    assert sheet.read_text(encoding="utf-8") == (
        before + "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t6\n"
    )


def test_add_site_without_moderator_values_adds_no_column(tmp_path):
    sheet = tmp_path / "sites.tsv"
    before = f"{OWN}\nyork\tYork\tyork.csv\tresponses\t2024-01-01\n"
    sheet.write_text(before, encoding="utf-8")
    add_site(sheet, leeds(), row_schema=ROW_SCHEMA, moderators=MODERATORS)
    assert sheet.read_text(encoding="utf-8") == (
        before + "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\n"
    )


def test_add_site_starts_a_new_registry_with_the_moderator_columns_given(tmp_path):
    sheet = tmp_path / "config/sites.tsv"
    add_site(sheet, leeds(hospital_type="teaching"), row_schema=ROW_SCHEMA, moderators=MODERATORS)
    assert sheet.read_text(encoding="utf-8") == (
        f"{OWN}\titems\thospital_type\n"
        "leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t\tteaching\n"
    )


def test_add_site_refuses_a_bad_moderator_value_and_saves_nothing(tmp_path):
    sheet = tmp_path / "sites.tsv"
    before = f"{OWN}\nyork\tYork\tyork.csv\tresponses\t2024-01-01\n"
    sheet.write_text(before, encoding="utf-8")
    with pytest.raises(ProblemsError) as raised:
        add_site(sheet, leeds(mentoring_hours="lots"), row_schema=ROW_SCHEMA, moderators=MODERATORS)
    assert raised.value.describe() == (
        f"site registry {sheet} is unchanged: it has problems\n"
        "  - row 3, column 'mentoring_hours': 'lots' is not a number (mentoring_hours is "
        "numeric, e.g. 12 or 7.5); leave the cell empty if the value is unknown "
        "[moderator_value]"
    )
    assert sheet.read_text(encoding="utf-8") == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sites.tsv"]


def test_add_site_refuses_to_add_a_column_if_an_old_cell_would_not_read_back(tmp_path):
    """A lone carriage return inside a quoted cell (typed by hand) would be written without
    quotes and split the row: the column is not added and nothing is saved."""
    sheet = tmp_path / "sites.tsv"
    before = f'{OWN}\nyork\t"York\rWest"\tyork.csv\tresponses\t2024-01-01\n'.encode()
    sheet.write_bytes(before)
    with pytest.raises(ProblemsError) as raised:
        add_site(sheet, leeds(mentoring_hours="6"), row_schema=ROW_SCHEMA, moderators=MODERATORS)
    assert raised.value.describe() == (
        f"site registry {sheet} is unchanged: adding the column(s) mentoring_hours would "
        "change cells of the sites already there\n"
        f"  - column 'mentoring_hours': add the column 'mentoring_hours' to row 1 of {sheet} "
        "by hand (in a spreadsheet, saved as tab-separated text), then run the command again "
        "[reads_back]"
    )
    assert sheet.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sites.tsv"]
