"""End to end: the same participants sent as a responses file and as a REDCap export give
byte-identical per-site results."""

from __future__ import annotations

import subprocess
import sys

import pytest

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument
from revmentor.simulate.consortium import SimulatedSite, registry_text, write_consortium
from revmentor.simulate.model import SiteDesign
from tests.workflow.conftest import Workspace, shard_target

pytestmark = pytest.mark.slow

DESIGN = SiteDesign("leeds", {"mentor": 12, "mentee": 10}, p_missing_score=0.05, p_dropout=0.1)
SITE_TABLES = ("summary", "items", "likert", "demographics")


def site_run(root, data_format: str, file_name: str) -> Workspace:
    workspace = Workspace(root)
    config = load_config(
        workspace.root / "config/config.yaml",
        workspace.root / "workflow/schemas/config.schema.yaml",
    )
    instrument = Instrument.from_config(config["instrument"])
    site = SimulatedSite(DESIGN, "Leeds (synthetic)", "2025-02-01", file_name, format=data_format)
    data_root = workspace.root / "data"
    rows = write_consortium(
        [site], data_root / "leeds", data_root, instrument, config["seed"], redcap=config["redcap"]
    )
    (workspace.root / "config/sites.tsv").write_text(registry_text(rows), encoding="utf-8")
    workspace.snakemake(shard_target("leeds"), check=True)
    return workspace


def test_redcap_export_and_responses_file_give_identical_site_results(tmp_path):
    responses = site_run(tmp_path / "responses", "responses", "responses.csv")
    export = site_run(tmp_path / "redcap", "redcap", "redcap_export.csv")
    assert (
        (export.root / "data/leeds/redcap_export.csv")
        .read_text()
        .startswith("participant_id,redcap_event_name,role,")
    )
    for table in SITE_TABLES:
        relative = f"results/sites/leeds/{table}.csv"
        assert (export.root / relative).read_bytes() == (responses.root / relative).read_bytes()
    report = (export.root / "results/validation/leeds.md").read_text()
    assert "redcap" in report

    # A site's own check of the same file prints the report the workflow wrote (the name
    # comes from the registry, which the check does not read).
    for run in (export, responses):
        data_file = next((run.root / "data/leeds").iterdir())
        command = ["revmentor.cli", "check", f"data/leeds/{data_file.name}", "--site", "leeds"]
        checked = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=run.root,
            capture_output=True,
            text=True,
            env=run.env,
        )
        assert checked.returncode == 0, checked.stderr
        written = (run.root / "results/validation/leeds.md").read_text()
        assert checked.stdout == written.replace("Leeds (synthetic) (`leeds`)", "leeds (`leeds`)")


def test_an_event_mapping_that_misses_a_timepoint_stops_the_run_before_any_job(tmp_path):
    workspace = Workspace(tmp_path / "work")
    workspace.set_config(**{"redcap.events": {"baseline_arm_1": "pre", "visit_arm_1": "pre"}})
    result = workspace.snakemake("-n")
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "config.yaml: redcap.events does not fit the instrument" in said
    assert "timepoint 'post' needs exactly one REDCap event, but 0 are mapped to it (none)" in said
    assert "Traceback" not in said
    assert not (workspace.root / "results").exists()
