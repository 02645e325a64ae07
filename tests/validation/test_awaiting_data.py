"""Sites that have not sent data yet: a registered site whose file is absent is awaiting
data (validation.on_missing_data: wait), unless the absence looks like a mistake (a near
match in its folder, an unreadable file), which stops the run; under ``stop`` any missing
file does. The overview and the policy check then count the site without a report."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from revmentor.core.config import read_yaml
from revmentor.core.problems import ProblemsError
from revmentor.validation.policy import (
    OVERVIEW_COLUMNS,
    excluded_sites,
    overview_markdown,
    policy_check,
    with_awaiting,
)
from revmentor.validation.registry import (
    AwaitingSite,
    Registry,
    load_registry,
    near_matches,
    read_registry,
)
from revmentor.validation.stale import stale_message

REPO = Path(__file__).resolve().parents[2]
ROW_SCHEMA = read_yaml(REPO / "workflow/schemas/sites.schema.yaml")
HEADER = "site_id\tname\tdata\tformat\tenrolled\titems\n"
# Five sites sharing one folder, as the example consortium does; leeds is row 7.
SHARED = ("pilot", "northgate", "riverside", "hillcrest", "seaview")


@pytest.fixture
def consortium(tmp_path, monkeypatch) -> Path:
    """A registry at config/sites.tsv (paths as the workflow gives them, relative to the
    working directory) whose five sites have sent their files; leeds is registered in
    row 7 with data/leeds/responses.xlsx, which is not there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/example").mkdir(parents=True)
    rows = []
    for site in SHARED:
        (tmp_path / f"data/example/{site}.csv").write_text(f"{site}\n")
        rows.append(f"{site}\t{site.title()}\texample/{site}.csv\tresponses\t2024-01-01\t\n")
    rows.append("leeds\tLeeds\tleeds/responses.xlsx\tresponses\t2025-02-01\t\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config/sites.tsv").write_text(HEADER + "".join(rows), encoding="utf-8")
    return tmp_path


def load(on_missing_data: str = "wait") -> Registry:
    return load_registry(
        Path("config/sites.tsv"),
        Path("data"),
        allow_absolute=False,
        row_schema=ROW_SCHEMA,
        on_missing_data=on_missing_data,
    )


def refused(on_missing_data: str = "wait") -> str:
    with pytest.raises(ProblemsError) as raised:
        load(on_missing_data)
    return raised.value.describe()


def test_a_site_without_its_file_is_awaiting_data_and_the_others_run(consortium):
    registry = load()
    assert [site.site_id for site in registry.sites] == list(SHARED)
    assert registry.awaiting == (
        AwaitingSite("leeds", "Leeds", "responses", 7, "data/leeds/responses.xlsx"),
    )
    assert registry.registered == (*SHARED, "leeds")
    assert registry.awaiting[0].as_params() == {
        "site_id": "leeds",
        "name": "Leeds",
        "format": "responses",
        "file": "data/leeds/responses.xlsx",
        "reason": "no data file yet at data/leeds/responses.xlsx",
    }


def test_templates_hidden_files_and_excel_lock_files_are_not_near_matches(consortium):
    folder = consortium / "data/leeds"
    folder.mkdir()
    for name in ("responses_template.xlsx", "responses_template.csv", "~$responses.xlsx"):
        (folder / name).write_text("x")
    (folder / ".responses.xlsx.swp").write_text("x")
    assert [site.site_id for site in load().awaiting] == ["leeds"]


def test_another_sites_file_in_a_shared_folder_is_not_a_near_match(consortium):
    """example/pilot.csv is 0.9 alike to example/pilot2.csv, but it is pilot's own file."""
    with (consortium / "config/sites.tsv").open("a", encoding="utf-8") as sheet:
        sheet.write("pilot2\tPilot 2\texample/pilot2.csv\tresponses\t2025-03-01\t\n")
    assert near_matches(Path("data/example/pilot2.csv")) == ["pilot.csv"]
    assert [site.site_id for site in load().awaiting] == ["leeds", "pilot2"]


@pytest.mark.parametrize("on_missing_data", ["wait", "stop"])
def test_a_near_match_in_the_folder_stops_the_run_whatever_the_setting(consortium, on_missing_data):
    (consortium / "data/leeds").mkdir()
    (consortium / "data/leeds/responses.xslx").write_bytes(b"PK")
    assert refused(on_missing_data) == (
        "site registry config/sites.tsv has problems\n"
        "  - row 7, column 'data': site leeds (row 7 of config/sites.tsv): "
        "data/leeds/responses.xlsx does not exist, but the folder has responses.xslx: did "
        "you mean that? Fix the data path in config/sites.tsv or rename the file [near_match]"
    )


def test_the_same_name_with_another_extension_is_a_near_match(consortium):
    (consortium / "data/leeds").mkdir()
    (consortium / "data/leeds/responses.csv").write_text("participant_id\n")
    assert "but the folder has responses.csv: did you mean that?" in refused()


def test_stop_refuses_a_missing_file_naming_the_site_row_and_path(consortium):
    assert refused("stop") == (
        "site registry config/sites.tsv has problems\n"
        "  - row 7, column 'data': site leeds (row 7 of config/sites.tsv): file "
        "data/leeds/responses.xlsx does not exist and validation.on_missing_data is 'stop'. "
        "Put the site's file there, correct the data path, or set "
        "validation.on_missing_data: wait to run without the site until it arrives "
        "[file_exists]"
    )


def test_read_registry_keeps_refusing_a_missing_file(consortium):
    with pytest.raises(ProblemsError) as raised:
        read_registry(
            Path("config/sites.tsv"), Path("data"), allow_absolute=False, row_schema=ROW_SCHEMA
        )
    assert "data/leeds/responses.xlsx does not exist and validation.on_missing_data is 'stop'" in (
        raised.value.describe()
    )


def test_a_folder_in_place_of_the_file_stops_the_run(consortium):
    (consortium / "data/leeds/responses.xlsx").mkdir(parents=True)
    assert refused() == (
        "site registry config/sites.tsv has problems\n"
        "  - row 7, column 'data': data/leeds/responses.xlsx is not a file [is_file]"
    )


def test_a_file_that_cannot_be_read_stops_the_run(consortium, monkeypatch):
    target = consortium / "data/leeds/responses.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"PK")
    real_open = Path.open

    def denied(self: Path, *args, **kwargs):
        # The tests run as root, who may read any file: refuse as the OS refuses others.
        if self.name == "responses.xlsx":
            raise PermissionError(13, os.strerror(13), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    assert refused() == (
        "site registry config/sites.tsv has problems\n"
        "  - row 7, column 'data': data/leeds/responses.xlsx cannot be read (Permission "
        "denied): give the account that runs the workflow read access to it, then run again "
        "[readable]"
    )


def test_a_link_to_nothing_stops_the_run(consortium):
    (consortium / "data/leeds").mkdir()
    (consortium / "data/leeds/responses.xlsx").symlink_to(consortium / "data/elsewhere.xlsx")
    assert refused() == (
        "site registry config/sites.tsv has problems\n"
        "  - row 7, column 'data': data/leeds/responses.xlsx is a link to a file that does "
        "not exist: point it at the site's file or replace it with the file [readable]"
    )


def test_a_summary_site_awaiting_data_may_await_its_items_file_too(consortium):
    with (consortium / "config/sites.tsv").open("a", encoding="utf-8") as sheet:
        sheet.write("york\tYork\tyork/summary.csv\tsummary\t2025-03-01\tyork/items.csv\n")
    assert [site.site_id for site in load().awaiting] == ["leeds", "york"]


def test_a_site_that_sent_data_still_needs_its_items_file(consortium):
    (consortium / "data/york").mkdir()
    (consortium / "data/york/summary.csv").write_text("site_id\n")
    with (consortium / "config/sites.tsv").open("a", encoding="utf-8") as sheet:
        sheet.write("york\tYork\tyork/summary.csv\tsummary\t2025-03-01\tyork/items.csv\n")
    assert "column 'items': file data/york/items.csv does not exist [file_exists]" in refused()


# ------------------------------------------------------------------ overview and policy

AWAITING = [
    {
        "site_id": "leeds",
        "name": "Leeds",
        "format": "responses",
        "file": "data/leeds/responses.xlsx",
        "reason": "no data file yet at data/leeds/responses.xlsx",
    }
]


def validated(*rows: tuple[str, str]) -> pd.DataFrame:
    records = [
        {
            "site_id": site_id,
            "name": site_id.title(),
            "format": "responses",
            "status": status,
            "included": "yes" if status == "valid" else "no",
            "n_rows": 10,
            "n_errors": 0 if status == "valid" else 2,
            "n_warnings": 0,
            "reason": ""
            if status == "valid"
            else "invalid data: 2 validation error(s), see the site's report",
            "report": f"results/validation/{site_id}.md",
        }
        for site_id, status in rows
    ]
    return pd.DataFrame(records, columns=list(OVERVIEW_COLUMNS))


def never_read(path: str):
    raise AssertionError(f"a site awaiting data has no report to read ({path})")


def test_the_overview_has_a_row_for_a_site_awaiting_data_in_registry_order():
    table = with_awaiting(
        validated(("pilot", "valid"), ("york", "valid")), AWAITING, ["pilot", "leeds", "york"]
    )
    assert table["site_id"].tolist() == ["pilot", "leeds", "york"]
    assert table.iloc[1].to_dict() == {
        "site_id": "leeds",
        "name": "Leeds",
        "format": "responses",
        "status": "awaiting data",
        "included": "no",
        "n_rows": 0,
        "n_errors": 0,
        "n_warnings": 0,
        "reason": "no data file yet at data/leeds/responses.xlsx",
        "report": "",
    }
    assert (
        "| leeds | awaiting data | no | 0 | 0 | 0 | no data file yet at "
        "data/leeds/responses.xlsx |  |"
    ) in overview_markdown(table, "stop")


def test_a_site_awaiting_data_never_stops_the_run_nor_counts_as_excluded():
    table = with_awaiting(validated(("pilot", "valid")), AWAITING, ["pilot", "leeds"])
    assert policy_check(table, "stop", never_read) == (
        "Policy for invalid sites (validation.on_invalid_site): stop.\n"
        "Sites valid: 1 of 1 that sent data.\n"
        "Every site goes on to the analyses.\n"
        "Awaiting data (registered, no file yet; they join once it arrives):\n"
        "  leeds: no data file yet at data/leeds/responses.xlsx\n"
    )
    assert excluded_sites(table) == {}


def test_an_invalid_site_still_stops_the_run_beside_one_awaiting_data():
    table = with_awaiting(validated(("pilot", "invalid")), AWAITING, ["pilot", "leeds"])
    read = []

    def report(path: str):
        read.append(path)
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError):
        policy_check(table, "stop", report)
    assert read == ["results/validation/pilot.json"]


def test_a_site_whose_file_went_missing_has_its_old_outputs_removed_and_said_why():
    message = stale_message(
        {"leeds": ["results/validation/leeds.json"], "gone": ["results/clean/gone.csv"]},
        "config/sites.tsv",
        {"leeds"},
    )
    assert message == (
        "removed the outputs of 1 site(s) no longer in the registry (config/sites.tsv), so "
        "that no earlier report is taken for a current one:\n"
        "  gone: results/clean/gone.csv\n"
        "removed the earlier outputs of 1 site(s) whose data file is no longer there (now "
        "awaiting data), so that no earlier report is taken for a current one:\n"
        "  leeds: results/validation/leeds.json"
    )
