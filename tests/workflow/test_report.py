"""End to end: tables, figures and the Snakemake report (privacy: test_privacy_scan.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest
from PIL import Image

from tests.report.golden import GOLDEN, SEED, TABLES, build

pytestmark = pytest.mark.slow


def test_workflow_tables_equal_the_golden_tables(workspace, instrument):
    folder = workspace.root / "data/golden"
    sites = build(folder, instrument)
    header = workspace.registry_header()
    cells = [
        {
            "site_id": s.site_id,
            "name": s.name,
            "data": f"golden/{s.data}",
            "format": "responses",
            "enrolled": s.enrolled.isoformat(),
            **s.moderators,
        }
        for s in sites
    ]
    workspace.write_registry([[row.get(column, "") for column in header] for row in cells])
    workspace.set_config(seed=SEED)
    workspace.snakemake(*[f"results/tables/{name}.csv" for name in TABLES], check=True)
    for name in TABLES:
        produced = (workspace.root / f"results/tables/{name}.csv").read_text()
        assert produced == (GOLDEN / f"{name}.csv").read_text(), name


def test_every_table_and_figure_is_written_and_the_report_builds(example_run, tmp_path):
    workspace = example_run
    root = workspace.root
    for name in TABLES:
        for suffix in ("csv", "md", "html"):
            assert (root / f"results/tables/{name}.{suffix}").stat().st_size > 0
    figures = sorted((root / "results/figures").glob("*.png"))
    # Forest plots (16), cumulative plots and, per headline outcome, a bubble, a subgroup and
    # a Baujat plot (3 each), Likert charts (16), the flow diagram.
    assert len(figures) == 16 + 3 + 3 * 3 + 16 + 1
    for png in figures:
        with Image.open(png) as image:
            image.verify()
        assert ElementTree.parse(png.with_suffix(".svg")).getroot().tag.endswith("svg")
    report = tmp_path / "report.html"
    built = workspace.snakemake("--report", str(report))
    assert built.returncode == 0, built.stderr
    assert report.stat().st_size > 100_000
    replication = pd.read_csv(root / "results/tables/replication.csv")
    total = replication.set_index(["role", "outcome"]).loc[("mentor", "total")]
    assert (total["original_median_pre"], total["original_median_post"]) == (23, 29)
