"""Benchmark: a hospital's page (``site_page``) per site, before and after, in one run.

Every hospital's report.html embeds three charts; at 1,000 sites the report step writes
1,000 pages, and adding one site rewrites them all (each shows the pooled results). This
times, in a finished workflow folder (``results/`` written), every site's page and the
charts in it (``position_figure`` and ``likert_figures``):
once with this checkout's package and once with the package as it was at ``--before``
(a git revision, extracted to a temporary folder), each in a fresh process. The charts'
share is the page's time less the time of the same pages with the two chart functions
stubbed out. Prints CPU seconds (steady on a shared machine) and wall seconds per site.

    PYTHONPATH=src python bench/bench_site_pages.py /path/to/finished/run [--before REV]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The last revision whose hospital pages drew their charts with matplotlib.
BEFORE = "2973094"

#: Run in a fresh interpreter with the package under test first on sys.path: prints one
#: JSON line of per-site seconds.
MEASURE = r"""
import csv, json, sys, time
from pathlib import Path

import yaml

from revmentor.core.instrument import Instrument
from revmentor.report.flow import read_validation_reports
from revmentor.report.inputs import read_report_frames
from revmentor.report.page import site as parts
from revmentor.report.page.build import PageInputs, site_page
from revmentor.report.settings import settings_from

run = Path(sys.argv[1])
config = yaml.safe_load((run / "config/config.yaml").read_text(encoding="utf-8"))
with (run / config["sites"]).open(encoding="utf-8", newline="") as sheet:
    names = {row["site_id"]: row["name"] for row in csv.DictReader(sheet, delimiter="\t")}
names = {s: n for s, n in names.items() if (run / f"results/sites/{s}/report.html").exists()}
result = run / "results"
paths = {
    name: str(result / "pooled" / f"{file}.csv")
    for name, file in (("meta", "meta_analysis"), ("weights", "weights"), ("pooled_items", "items"))
}
shards = sorted((result / "shards").iterdir())
for name, file in (("site_items", "items"), ("likert", "likert")):
    paths[name] = [str(shard / f"{file}.csv") for shard in shards]
frames = read_report_frames(paths)
instrument = Instrument.from_config(config["instrument"])
settings = settings_from(
    {
        "roles": list(instrument.roles),
        "outcomes": list(instrument.outcomes),
        "names": names,
        "enrolled": {},
        "report": {key: config["report"][key] for key in ("alpha", "site_order")},
        "original_study": config["original_study"],
        "pooling": config["pooling"],
        "disclosure": config["disclosure"],
    }
)
inputs = PageInputs(
    settings=settings,
    instrument=instrument,
    moderators=(),
    config=config,
    figures={},
    validation=read_validation_reports(
        sorted(str(path) for path in (result / "validation").glob("*.json"))
    ),
    config_used="",
    manifest=json.loads((result / "audit/manifest.json").read_text(encoding="utf-8")),
    manifest_sha256="0" * 64,
)
from revmentor.report.page import build

site_ids = list(names)


def pages():
    # Every page, as the report step writes them; CPU and wall seconds.
    cpu, wall = time.process_time(), time.perf_counter()
    if hasattr(build, "site_pages"):
        written = list(build.site_pages(site_ids, frames, inputs))
    else:
        written = [build.site_page(site_id, frames, inputs) for site_id in site_ids]
    assert len(written) == len(site_ids)
    return time.process_time() - cpu, time.perf_counter() - wall


build.site_page(site_ids[0], frames, inputs)  # warm: imports and caches
whole = pages()
# The same pages without their charts: both versions call these two from site_page.
parts.position_figure = lambda *args, **kwargs: None
parts.likert_figures = lambda *args, **kwargs: []
bare = pages()
print(json.dumps({"sites": len(site_ids), "whole": whole, "bare": bare}))
"""


def extracted(revision: str, folder: Path) -> Path:
    """``src/`` of ``revision``, written under ``folder``."""
    archive = subprocess.run(
        ["git", "archive", revision, "src"], cwd=REPO, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def measure(src: Path, run: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(src)!r})\n" + MEASURE,
            str(run),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def per_site(seconds: float, sites: int) -> str:
    return f"{seconds / sites * 1000:9.1f} ms/site"


def report(label: str, measured: dict[str, Any]) -> list[str]:
    """Per site, CPU (steady on a shared machine) and wall: charts, the rest, the page."""
    sites = measured["sites"]
    (whole_cpu, whole_wall), (bare_cpu, bare_wall) = measured["whole"], measured["bare"]
    return [
        f"{label:<7} charts   CPU {per_site(whole_cpu - bare_cpu, sites)}   "
        f"wall {per_site(whole_wall - bare_wall, sites)}",
        f"{label:<7} page     CPU {per_site(whole_cpu, sites)}   "
        f"wall {per_site(whole_wall, sites)}   ({whole_wall:.1f} s for {sites:,} pages)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a workflow folder whose results/ are written")
    parser.add_argument("--before", default=BEFORE, help="git revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = measure(extracted(args.before, Path(folder)), args.run)
    after = measure(REPO / "src", args.run)
    print(f"hospital pages in {args.run} (before: {args.before}, after: this checkout)")
    print("\n".join(report("before", before) + report("after", after)))


if __name__ == "__main__":
    main()
