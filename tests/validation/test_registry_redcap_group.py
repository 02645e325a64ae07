"""The registry's ``redcap_group`` column: a REDCap site's data access group, mapped to the
site in the registry, and refused for a site of another format."""

from __future__ import annotations

from pathlib import Path

import pytest

from revmentor.core.config import read_yaml
from revmentor.core.problems import ProblemsError
from revmentor.validation.registry import read_registry

REPO = Path(__file__).resolve().parents[2]
ROW_SCHEMA = read_yaml(REPO / "workflow/schemas/sites.schema.yaml")
HEADER = "site_id\tname\tdata\tformat\tenrolled\tredcap_group\n"


def registry(tmp_path, *rows: str):
    (tmp_path / "data").mkdir(exist_ok=True)
    for row in rows:
        (tmp_path / "data" / row.split("\t")[2]).write_text(row)
    sheet = tmp_path / "sites.tsv"
    sheet.write_text(HEADER + "".join(rows), encoding="utf-8")
    return read_registry(sheet, tmp_path / "data", allow_absolute=False, row_schema=ROW_SCHEMA)


def test_a_redcap_sites_group_reaches_its_parameters_and_no_other_site_changes(tmp_path):
    leeds, york = registry(
        tmp_path,
        "leeds\tLeeds\tleeds.csv\tredcap\t2025-02-01\tleeds_th\n",
        "york\tYork\tyork.csv\tredcap\t2025-02-01\t\n",
    )
    assert leeds.as_params()["redcap_group"] == "leeds_th"
    assert "redcap_group" not in york.as_params()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "leeds\tLeeds\tleeds.csv\tresponses\t2025-02-01\tleeds_th\n",
            "row 2, column 'redcap_group': only a REDCap site (format redcap) "
            "has a data access group; leave the cell empty for this site",
        ),
        (
            "leeds\tLeeds\tleeds.csv\tredcap\t2025-02-01\tLeeds TH\n",
            "row 2, column 'redcap_group': redcap_group 'Leeds TH' does not match",
        ),
    ],
)
def test_a_group_that_cannot_be_a_sites_is_refused_naming_the_row(tmp_path, row, expected):
    with pytest.raises(ProblemsError) as raised:
        registry(tmp_path, row)
    assert expected in raised.value.describe()
