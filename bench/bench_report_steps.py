"""Benchmark: the report steps that every new site reruns, each step's package functions at
N sites, in a finished workflow folder (``results/`` written).

Adding a hospital reruns report_tables, report_forests, report_likert and report_flow
(and the moderator figures and the audit manifest, not timed here: their inputs come from
the rules' params). Each step runs in a fresh interpreter, as its job does: import seconds
(the modules its script imports) apart from the work (reading the inputs, building, and
writing its tables or figures to a temporary folder, never into the run). Prints CPU
seconds (steady on a shared machine) and wall seconds per step.

    PYTHONPATH=src python bench/bench_report_steps.py /path/to/finished/run [--steps tables ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: What each step's script imports (timed on its own), then its work.
STEPS = {
    "tables": (
        """
from revmentor.report.assemble import P_COLUMNS, all_tables
from revmentor.report.inputs import read_report_frames
from revmentor.report.outputs import write_table
from revmentor.report.settings import settings_from
""",
        """
pooled = {name: str(result / "pooled" / f"{file}.csv") for name, file in POOLED.items()}
shard = {name: [str(s / f"{file}.csv") for s in shards] for name, file in SHARDED.items()}
frames = read_report_frames({**pooled, **shard})
for name, table in all_tables(frames, settings_from(settings)).items():
    write_table(table.frame, out / name, table.title, table.notes, table.decimals,
                P_COLUMNS, table.hover)
""",
    ),
    "forests": (
        """
import pandas as pd
from revmentor.report.figure_plan import cumulative_figures, forest_figures
from revmentor.report.figures import draw_forest, save_figure
from revmentor.report.settings import settings_from
""",
        """
s = settings_from(settings)
level = float(s.pooling["level"])
pooled = result / "pooled"
weights = pd.read_csv(pooled / "weights.csv")
figures = forest_figures(pd.read_csv(pooled / "meta_analysis.csv"), weights, s, level)
figures |= cumulative_figures(pd.read_csv(pooled / "cumulative.csv"), s, level)
for stem, data in figures.items():
    save_figure(draw_forest(data), out / stem)
""",
    ),
    "likert": (
        """
import pandas as pd
from revmentor.report.figure_plan import likert_figures
from revmentor.report.figures import draw_likert, save_figure
from revmentor.report.settings import settings_from
""",
        """
counts = pd.concat([pd.read_csv(s / "likert.csv") for s in shards], ignore_index=True)
domains = {domain.id: domain.label for domain in instrument.domains}
levels = range(instrument.scale_min, instrument.scale_max + 1)
figures = likert_figures(counts, settings_from(settings), domains, levels,
                         instrument.timepoints, summary_sites=[])
for stem, data in figures.items():
    save_figure(draw_likert(data), out / stem)
""",
    ),
    "flow": (
        """
from revmentor.core.shard_manifest import site_files
from revmentor.core.tables import write_csv
from revmentor.report.figures.flow import draw_flow, flow_diagram_data
from revmentor.report.figures.style import save_figure
from revmentor.report.flow import flow_from_files, flow_table
""",
        """
reports = site_files([str(s / "validated.json") for s in shards], "report")
flow = flow_from_files(list(names), [reports[s] for s in names if s in reports],
                       result / "pooled/meta_analysis.csv",
                       [str(s / "summary.csv") for s in shards],
                       instrument.roles, instrument.outcomes)
save_figure(draw_flow(flow_diagram_data(flow, instrument.outcome_labels())), out / "flow")
write_csv(out / "flow.csv", flow_table(flow), for_people=True)
""",
    ),
}

#: Reads the run's config (not timed), then times the step's imports and its work: prints
#: one JSON line.
MEASURE = r"""
import csv, json, sys, tempfile, time
from pathlib import Path

import yaml

run, step = Path(sys.argv[1]), sys.argv[2]
config = yaml.safe_load((run / "config/config.yaml").read_text(encoding="utf-8"))
with (run / config["sites"]).open(encoding="utf-8", newline="") as sheet:
    names = {row["site_id"]: row["name"] for row in csv.DictReader(sheet, delimiter="\t")}
result = run / "results"
shards = sorted((result / "shards").iterdir())
POOLED = {"meta": "meta_analysis", "weights": "weights", "combined": "combined_tests",
          "descriptives": "descriptives", "pooled_items": "items",
          "criteria": "replication_criteria", "verdicts": "replication_verdicts",
          "moderators": "moderators", "influence": "influence"}
SHARDED = {"summaries": "summary", "site_items": "items", "demographics": "demographics"}
from revmentor.core.instrument import Instrument
instrument = Instrument.from_config(config["instrument"])
settings = {
    "roles": list(instrument.roles), "outcomes": list(instrument.outcomes), "names": names,
    "enrolled": {}, "report": config["report"], "original_study": config["original_study"],
    "pooling": config["pooling"], "disclosure": config["disclosure"],
}
cpu, wall = time.process_time(), time.perf_counter()
exec(IMPORTS)
imported = time.process_time() - cpu, time.perf_counter() - wall
with tempfile.TemporaryDirectory() as folder:
    out = Path(folder)
    cpu, wall = time.process_time(), time.perf_counter()
    exec(WORK)
    work = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"sites": len(names), "imports": imported, "work": work}))
"""


def measure(run: Path, step: str) -> dict:
    imports, work = STEPS[step]
    code = f"IMPORTS = {imports!r}\nWORK = {work!r}\n" + MEASURE
    done = subprocess.run(
        # In the run's folder: the shards' manifests name files relative to it.
        [sys.executable, "-c", code, str(run.resolve()), step],
        cwd=run,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a workflow folder whose results/ are written")
    parser.add_argument("--steps", nargs="+", choices=list(STEPS), default=list(STEPS))
    args = parser.parse_args()
    print(f"report steps in {args.run} (this checkout; CPU and wall seconds)")
    for step in args.steps:
        got = measure(args.run, step)
        (import_cpu, import_wall), (work_cpu, work_wall) = got["imports"], got["work"]
        print(
            f"{step:<8} {got['sites']:>6,} sites   imports CPU {import_cpu:6.2f} "
            f"wall {import_wall:6.2f}   work CPU {work_cpu:6.2f} wall {work_wall:6.2f}"
        )


if __name__ == "__main__":
    main()
