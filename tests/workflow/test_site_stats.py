"""End to end: per-site statistics, the summary-only route and a changed instrument."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from revmentor.core.instrument import Instrument
from revmentor.simulate.consortium import registry_text, write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from tests.workflow.conftest import shard_jobs, shard_target

pytestmark = pytest.mark.slow


def test_every_site_gets_summary_and_items_and_the_summary_site_flows_through(example_run):
    root = example_run.root
    for site_id, *_ in example_run.registry_rows():
        summary = pd.read_csv(root / f"results/sites/{site_id}/summary.csv")
        assert set(summary["role"]) == {"mentor", "mentee"}
        assert len(summary) == 16
        text = (root / f"results/sites/{site_id}/summary.csv").read_text()
        text += (root / f"results/sites/{site_id}/items.csv").read_text()
        assert "SYN-" not in text and "participant_id" not in text
    sent = (root / "data/example/oakfield_summary.csv").read_text()
    assert (root / "results/sites/oakfield/summary.csv").read_text() == sent
    report = json.loads((root / "results/validation/oakfield.json").read_text())
    assert (report["format"], report["status"]) == ("summary", "valid")


def test_a_site_can_make_its_own_summary_alone(workspace):
    """The 'share aggregates only' route: one target, the site's shard's manifest. Every
    registered site is validated (the invalid-site policy is checked on the whole overview
    first); only this site's shard is summarised."""
    validation = {
        job
        for site_id, *_ in workspace.registry_rows()
        for job in shard_jobs(site_id)
        if job[0] == "validate_shard"
    }
    assert workspace.planned_jobs(shard_target("pilot")) == {
        *shard_jobs("pilot"),
        *validation,
        ("validation_overview", ""),
        ("policy_check", ""),
    }
    workspace.snakemake(shard_target("pilot"), check=True)
    assert (workspace.root / "results/sites/pilot/items.csv").exists()
    assert not (workspace.root / "results/sites/northgate").exists()


def test_bad_summary_site_stops_or_is_excluded(example_run, tmp_path):
    # A copy of the finished example run: only oakfield's shard is validated and summarised
    # again, and the pooling that reads it.
    workspace = example_run.clone(tmp_path / "copy")
    path = workspace.root / "data/example/oakfield_summary.csv"
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[3] = "0"  # n_pairs of the third data row
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    stopped = workspace.snakemake()
    assert stopped.returncode != 0
    assert "row 4, column 'n_pairs': '0' is not a whole number, at least 1" in (
        stopped.stdout + stopped.stderr
    )
    workspace.set_config(**{"validation.on_invalid_site": "exclude"})
    workspace.snakemake("results/pooled/meta_analysis.csv", check=True)
    summary = pd.read_csv(workspace.root / "results/sites/oakfield/summary.csv")
    assert summary.empty
    overview = pd.read_csv(workspace.root / "results/validation/overview.tsv", sep="\t")
    assert overview.set_index("site_id").loc["oakfield", "included"] == "no"


def test_a_changed_instrument_flows_through(workspace, config):
    """Three domains on a 1-7 scale: schemas, statistics and outcomes follow the config."""
    instrument_config = dict(config["instrument"])
    instrument_config["scale"] = {"min": 1, "max": 7}
    instrument_config["domains"] = [
        {"id": "feedback", "label": "Feedback"},
        {"id": "listening", "label": "Listening"},
        {"id": "digital", "label": "Digital skills"},
    ]
    workspace.set_config(instrument=instrument_config)
    stale = workspace.snakemake("--dry-run")
    assert stale.returncode != 0
    assert (
        "original_study.reported[2].outcome': outcome 'clinical_practice' is not a domain id "
        "of the instrument or 'total' [known_outcome]"
    ) in stale.stdout + stale.stderr
    workspace.set_config(
        **{
            "original_study.reported": [config["original_study"]["reported"][0]],
            "original_study.reported_not_significant": [{"role": "mentor", "outcome": "feedback"}],
        }
    )
    instrument = Instrument.from_config(instrument_config)
    responses = [site for site in EXAMPLE_SITES if site.format == "responses"][:3]
    data = workspace.root / "data"
    rows = write_consortium(responses, data / "seven", data, instrument, 11)
    (workspace.root / "config/sites.tsv").write_text(registry_text(rows))
    workspace.snakemake(check=True)
    summary = pd.read_csv(workspace.root / "results/sites/pilot/summary.csv")
    assert list(summary["outcome"].unique()) == ["feedback", "listening", "digital", "total"]
    assert summary["median_post"].max() <= 21
    config_text = yaml.safe_load((workspace.root / "config/config.yaml").read_text())
    assert config_text["instrument"]["scale"]["max"] == 7
    criteria = pd.read_csv(workspace.root / "results/pooled/replication_criteria.csv")
    assert set(criteria["outcome"]) == {"feedback", "listening", "digital", "total"}
    sesoi = criteria[criteria["criterion"] == "equivalence"].set_index(["role", "outcome"])
    assert "+/-1.5 scale points" in sesoi.loc[("mentor", "total"), "reason"]
