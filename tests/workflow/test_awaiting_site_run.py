"""End to end: a hospital registered with `revmentor new-site` that has not sent its file
yet is awaiting data. The run goes on without it and says so (overview, flow, report);
when its filled-in template arrives only its shard and the consortium steps run, and the
site is validated from it. Under validation.on_missing_data: stop the missing file stops
the run."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from revmentor.cli import main
from revmentor.simulate.model import SiteDesign, simulate_site
from tests.workflow.conftest import shard_jobs, shard_target
from tests.workflow.test_audit import AUDIT, POOLED, REPORT

pytestmark = pytest.mark.slow
# Every consortium step: they all list the registered sites.
CONSORTIUM_STEPS = {(rule, "") for rule in (POOLED | REPORT | AUDIT | {"report_config"}) - {"all"}}
REASON = "no data file yet at data/leeds/responses.xlsx"


def register_leeds(root) -> None:
    command = ["--root", str(root), "new-site", "leeds", "--name", "Leeds"]
    assert main([*command, "--enrolled", "2025-02-01"]) == 0


def test_a_new_site_awaiting_data_is_counted_and_analysed_once_its_template_arrives(
    example_run, tmp_path, instrument, capsys
):
    """One copy follows a site from `revmentor new-site` to its analysed data: awaiting
    data first, then its filled-in template validated and summarised."""
    # A copy of the finished example run, with its own copy of the package: the code the
    # jobs ran stays the code the dry runs see.
    workspace = example_run.clone(tmp_path / "work")
    register_leeds(workspace.root)

    # No job of its own: only the consortium steps that list the registered sites.
    planned = workspace.planned_jobs("all")
    assert not any(rule in ("validate_shard", "stats_shard") for rule, _ in planned)
    workspace.snakemake("all", check=True)

    results = workspace.root / "results"
    overview = pd.read_csv(results / "validation/overview.tsv", sep="\t", dtype=str)
    leeds = overview[overview["site_id"] == "leeds"].iloc[0]
    assert (leeds["status"], leeds["included"], leeds["reason"]) == (
        "awaiting data",
        "no",
        REASON,
    )
    assert overview["site_id"].tolist()[-1] == "leeds"
    assert f"| leeds | awaiting data | no | 0 | 0 | 0 | {REASON} |" in (
        (results / "validation/overview.md").read_text()
    )
    assert f"  leeds: {REASON}\n" in (results / "validation/policy_check.txt").read_text()
    assert not (results / "validation/leeds.json").exists()
    assert not (results / "sites/leeds").exists()

    index = (results / "report/index.html").read_text()
    assert "7 hospitals registered; 6 sent data (1 awaiting data);" in index
    assert "Replication across 7 registered hospitals" in index
    flow = pd.read_csv(results / "tables/flow.csv", dtype=str, keep_default_na=False)
    assert ["awaiting data", "1", "leeds"] in flow[["reason", "count", "sites"]].values.tolist()

    manifest = json.loads((results / "audit/manifest.json").read_text())
    assert manifest["awaiting_data"] == [{"site_id": "leeds", "file": "data/leeds/responses.xlsx"}]

    capsys.readouterr()
    assert main(["--root", str(workspace.root), "verify"]) == 0
    assert "results/ holds no other file" in capsys.readouterr().out

    # The file arrives: only its shard and the consortium steps run.
    folder = workspace.root / "data/leeds"
    workbook = load_workbook(folder / "responses_template.xlsx")
    sheet = workbook["responses"]
    rows = simulate_site(SiteDesign("leeds", {"mentor": 4, "mentee": 3}), instrument, 7)
    for record in rows[list(instrument.known_columns())].itertuples(index=False):
        sheet.append(list(record))
    workbook.save(folder / "responses.xlsx")
    assert workspace.planned_jobs("all") == {
        *shard_jobs("leeds"),
        *CONSORTIUM_STEPS,
        ("all", ""),
    }
    # What the template gives is the site's part: its shard (validation and statistics);
    # the consortium steps it then joins are the ones the run above made with it awaiting.
    workspace.snakemake(shard_target("leeds"), check=True)
    report = json.loads((results / "validation/leeds.json").read_text())
    assert report["status"] == "valid"
    assert report["sheet"] == "responses"
    assert report["participants"] == {"mentor": 4, "mentee": 3}
    summary = pd.read_csv(results / "sites/leeds/summary.csv")
    assert set(summary["role"]) == {"mentor", "mentee"}


def test_on_missing_data_stop_stops_the_run_naming_the_site_row_and_path(workspace):
    register_leeds(workspace.root)
    workspace.set_config(**{"validation.on_missing_data": "stop"})
    result = workspace.snakemake("-n", "all")
    assert result.returncode != 0
    assert (
        "site leeds (row 8 of config/sites.tsv): file data/leeds/responses.xlsx does not "
        "exist and validation.on_missing_data is 'stop'. Put the site's file there, correct "
        "the data path, or set validation.on_missing_data: wait to run without the site "
        "until it arrives"
    ) in result.stdout + result.stderr


def test_a_near_match_stops_the_run_whatever_the_setting(workspace):
    register_leeds(workspace.root)
    (workspace.root / "data/leeds/responses.xslx").write_bytes(b"PK")
    result = workspace.snakemake("-n", "all")
    assert result.returncode != 0
    assert (
        "site leeds (row 8 of config/sites.tsv): data/leeds/responses.xlsx does not exist, "
        "but the folder has responses.xslx: did you mean that? Fix the data path in "
        "config/sites.tsv or rename the file"
    ) in result.stdout + result.stderr
