"""End to end: add a hospital with `revmentor new-site`, fill in the template, run."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from revmentor.cli import main
from revmentor.simulate.model import SiteDesign, simulate_site
from tests.workflow.conftest import shard_jobs

pytestmark = pytest.mark.slow
CONSORTIUM_STEPS = {
    (rule, "")
    for rule in (
        "validation_overview",
        "policy_check",
        "pool_sites",
        "pool_sensitivity",
        "pool_moderators",
        "pool_items",
        "ipd_model",
        "replication_criteria",
        "report_tables",
        "report_forests",
        "report_moderators",
        "report_likert",
        "report_flow",
        "report_config",
        "audit_manifest",
        "report_page",
        "audit_report",
    )
}


def test_new_site_flows_through_from_template(example_run, tmp_path, instrument, config):
    workspace = example_run.clone(tmp_path / "copy")
    assert (
        main(
            [
                "--root",
                str(workspace.root),
                "new-site",
                "leeds",
                "--name",
                "Leeds",
                "--enrolled",
                "2025-02-01",
            ]
        )
        == 0
    )
    # Registered before its file arrives, the site is awaiting data and stops nothing
    # (tests/workflow/test_awaiting_site_run.py follows it through a run).
    waiting = workspace.snakemake("-n")
    assert waiting.returncode == 0, waiting.stdout + waiting.stderr

    folder = workspace.root / "data/leeds"
    workbook = load_workbook(folder / "responses_template.xlsx")
    sheet = workbook["responses"]
    rows = simulate_site(SiteDesign("leeds", {"mentor": 4, "mentee": 3}), instrument, 7)
    for record in rows[list(instrument.known_columns())].itertuples(index=False):
        sheet.append([None if value is None else value for value in record])
    workbook.save(folder / "responses.xlsx")

    assert workspace.planned_jobs() == {*shard_jobs("leeds"), *CONSORTIUM_STEPS, ("all", "")}
    workspace.snakemake(check=True)
    report = json.loads((workspace.root / "results/validation/leeds.json").read_text())
    assert report["status"] == "valid"
    assert report["sheet"] == "responses"
    assert report["participants"] == {"mentor": 4, "mentee": 3}
