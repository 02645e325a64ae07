"""End to end: under the 'stop' policy every site's report and the overview are written
before the run stops, and no earlier run's report is left looking current."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from revmentor.core.sharding import shard_of
from tests.workflow.conftest import SHARDS, Workspace, shard_target

pytestmark = pytest.mark.slow
STOP_MESSAGE = (
    "1 site(s) failed validation and on_invalid_site is 'stop'. Fix the data (or set "
    "validation.on_invalid_site: exclude to run without them)."
)


def many_sites(workspace: Workspace, count: int) -> list[str]:
    """A consortium of ``count`` copies of the pilot site, each its own id."""
    source = (workspace.root / "data/example/pilot.csv").read_text()
    rows, site_ids = [], []
    for number in range(1, count + 1):
        site_id = f"site{number:02d}"
        (workspace.root / f"data/many/{site_id}.csv").parent.mkdir(exist_ok=True)
        (workspace.root / f"data/many/{site_id}.csv").write_text(
            source.replace("\npilot,", f"\n{site_id},")
        )
        rows.append(
            [site_id, f"Hospital {number}", f"many/{site_id}.csv", "responses", "2024-01-01"]
        )
        site_ids.append(site_id)
    workspace.write_registry(rows)
    return site_ids


def overview_rows(workspace: Workspace) -> pd.DataFrame:
    table = pd.read_csv(workspace.root / "results/validation/overview.tsv", sep="\t")
    return table.set_index("site_id")


def test_stop_writes_every_report_and_the_overview_before_the_run_stops(workspace):
    site_ids = many_sites(workspace, 24)
    workspace.corrupt_cell("many/site07.csv", 5, "strengths", "7")
    result = workspace.snakemake()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert STOP_MESSAGE in output
    assert "Site 'site07' (data/many/site07.csv) is invalid: 1 error(s)" in output
    assert "Error in rule policy_check" in output
    assert "Error in rule stats_" not in output
    for site_id in site_ids:
        report = json.loads((workspace.root / f"results/validation/{site_id}.json").read_text())
        assert report["status"] == ("invalid" if site_id == "site07" else "valid"), site_id
        assert (workspace.root / f"results/validation/{site_id}.md").exists()
    overview = overview_rows(workspace)
    assert list(overview.index) == site_ids
    assert overview.loc["site07", ["status", "included"]].tolist() == ["invalid", "no"]
    markdown = (workspace.root / "results/validation/overview.md").read_text()
    assert "Policy for invalid sites: **stop**. Sites included in the analyses: 23 of 24." in (
        markdown
    )
    assert "| site07 | invalid | no | 22 | 1 | 0 |" in markdown
    assert not (workspace.root / "results/validation/policy_check.txt").exists()
    assert not (workspace.root / "results/sites").exists()


def test_an_earlier_runs_overview_never_says_valid_for_a_now_invalid_site(example_run, tmp_path):
    workspace = example_run.clone(tmp_path / "copy")
    before = (workspace.root / "results/validation/overview.md").read_text()
    assert "| northgate | valid | yes |" in before
    workspace.corrupt_cell("example/northgate.csv", 5, "strengths", "7")
    result = workspace.snakemake()
    assert result.returncode != 0
    assert STOP_MESSAGE in result.stdout + result.stderr
    after = (workspace.root / "results/validation/overview.md").read_text()
    assert "| northgate | invalid | no |" in after
    assert "Sites included in the analyses: 5 of 6." in after
    assert not (workspace.root / "results/validation/policy_check.txt").exists()


def test_a_site_removed_from_the_registry_leaves_no_report_behind(example_run, tmp_path):
    workspace = example_run.clone(tmp_path / "copy")
    rows = workspace.registry_rows()
    workspace.write_registry([row for row in rows if row[0] != "seaview"])
    result = workspace.snakemake(check=True)
    assert (
        "WARNING revmentor.validation_overview: removed the outputs of 1 site(s) no longer in "
        "the registry (config/sites.tsv), so that no earlier report is taken for a current one:\n"
        "  seaview: results/validation/seaview.json, results/validation/seaview.md, "
        "results/clean/seaview.csv, results/sites/seaview/summary.csv, "
        "results/sites/seaview/items.csv, results/sites/seaview/likert.csv, "
        "results/sites/seaview/demographics.csv"
    ) in result.stderr
    assert not list((workspace.root / "results").rglob("seaview*"))
    # seaview was its shard's only site: the shard's files (its manifests name seaview's
    # files) go too.
    assert "removed the outputs of 1 shard(s) that no longer hold any registered" in result.stderr
    assert not (workspace.root / f"results/shards/{shard_of('seaview', SHARDS)}").exists()
    assert list(overview_rows(workspace).index) == [row[0] for row in rows if row[0] != "seaview"]
    assert "seaview" not in (workspace.root / "results/validation/overview.md").read_text()
    assert "pilot" in (workspace.root / "results/validation/pilot.md").read_text()


def test_the_policy_check_records_what_the_analyses_go_on_with(example_run, tmp_path):
    # A copy of the finished example run: only the changed site's shard is validated again.
    workspace = example_run.clone(tmp_path / "copy")
    workspace.corrupt_cell("example/northgate.csv", 5, "strengths", "7")
    workspace.set_config(**{"validation.on_invalid_site": "exclude"})
    workspace.snakemake("results/validation/policy_check.txt", check=True)
    assert (workspace.root / "results/validation/policy_check.txt").read_text() == (
        "Policy for invalid sites (validation.on_invalid_site): exclude.\n"
        "Sites valid: 5 of 6.\n"
        "Excluded from every analysis:\n"
        "  northgate: invalid data: 1 validation error(s), see the site's report\n"
    )


def test_a_site_summarising_alone_is_still_stopped_by_its_invalid_data(workspace):
    """The 'share aggregates only' route never yields a summary of invalid data."""
    workspace.corrupt_cell("example/pilot.csv", 5, "strengths", "7")
    result = workspace.snakemake(shard_target("pilot"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Site 'pilot' (data/example/pilot.csv) is invalid: 1 error(s)" in output
    assert not (workspace.root / "results/sites/pilot/summary.csv").exists()
    assert (workspace.root / "results/validation/overview.md").exists()
