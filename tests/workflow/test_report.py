"""End to end: tables, figures and the Snakemake report; nothing personal leaks out."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest
from PIL import Image

from tests.report.golden import GOLDEN, SEED, TABLES, build

pytestmark = pytest.mark.slow
FREE_TEXT = "Dr Example said this was FREE-TEXT-7Q"


def test_workflow_tables_equal_the_golden_tables(workspace, instrument):
    folder = workspace.root / "data/golden"
    sites = build(folder, instrument)
    workspace.write_registry(
        [
            [s.site_id, s.name, f"golden/{s.data}", "responses", s.enrolled.isoformat()]
            for s in sites
        ]
    )
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
    assert len(figures) == 16 + 3 + 16
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


def test_no_participant_id_or_free_text_reaches_shared_outputs(example_run, tmp_path):
    workspace = example_run.clone(tmp_path / "copy")
    path = workspace.root / "data/example/pilot.csv"
    lines = path.read_text().splitlines()
    lines[0] += ",comments"
    lines[1:] = [line + f",{FREE_TEXT}" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    workspace.snakemake(check=True)
    workspace.snakemake("--report", "results/report.html", check=True)
    participant_ids = set()
    for data in (workspace.root / "data/example").glob("*.csv"):
        if "summary" not in data.name and "items" not in data.name:
            frame = pd.read_csv(data, sep=None, engine="python", dtype=str)
            participant_ids |= set(frame["participant_id"])
    assert len(participant_ids) > 100
    private = {"validation", "clean", "logs"}
    scanned = 0
    for file in (workspace.root / "results").rglob("*"):
        if file.is_dir() or file.relative_to(workspace.root / "results").parts[0] in private:
            continue
        text = file.read_bytes().decode("utf-8", errors="ignore")
        assert FREE_TEXT not in text, file
        leaked = [pid for pid in participant_ids if pid in text]
        assert not leaked, (file, leaked[:3])
        scanned += 1
    assert scanned > 60
