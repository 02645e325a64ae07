"""Benchmark: each pooling-side step's package work at N sites (issue 15), in process.

From a finished consortium (``--consortium``, e.g. a 1,000-site bench run) it times what
each consortium job does after its imports: reading the shards' tables, each table of
pool_sites, pool_sensitivity, pool_moderators, pool_items and ipd_model, the overview's
site check, and writing the outputs as CSV. ``--scale 10`` tiles every site ten times
(``site0001~3``) into temporary shard files, so 1,000 sites become 10,000 with the same
columns, and prints the ratio to scale 1 (10 for linear). Moderator values are drawn at
random (the bench registry leaves them empty). Run it against any version of the package
with PYTHONPATH (``before``: the source of an earlier commit, exported with git archive).

    PYTHONPATH=src python bench/bench_pool_steps.py --consortium DIR [--scale 1 10]
        [--skip ipd_table] [--repeat 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from revmentor.core.instrument import Instrument
from revmentor.core.moderators import moderators_from_config, site_values
from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import csv_text, stacked_frames
from revmentor.pooling.combined import combined_tests
from revmentor.pooling.consortium import cumulative, leave_one_out, meta_table, plan_from
from revmentor.pooling.descriptives import pooled_descriptives
from revmentor.pooling.heterogeneity import influence_table, moderator_tables
from revmentor.pooling.ipd import ipd_table
from revmentor.pooling.items import pooled_items
from revmentor.validation.policy import current_sites_only, read_overview


def tiled(frame: pd.DataFrame, copies: int) -> pd.DataFrame:
    """The table with each site repeated ``copies`` times under new ids."""
    if copies == 1:
        return frame
    parts = []
    for copy in range(copies):
        part = frame.copy()
        part["site_id"] = part["site_id"].astype(str) + f"~{copy}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def shard_copies(paths: list[Path], folder: Path, name: str, copies: int) -> list[str]:
    """Each shard's table with its sites tiled, written as the workflow writes it."""
    written = []
    for index, path in enumerate(paths):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        target = folder / f"{index:03d}.{name}"
        target.write_text(csv_text(tiled(frame, copies), for_people=False), encoding="utf-8")
        written.append(str(target))
    return written


def timed(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(root: Path, copies: int, skip: set[str], repeat: int) -> dict[str, float]:
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    instrument = Instrument.from_config(config["instrument"])
    overview = read_overview(str(root / "results" / "validation" / "overview.tsv"))
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        shards = sorted((root / "results" / "shards").glob("shard*"))
        inputs = {
            table: shard_copies([shard / f"{table}.csv" for shard in shards], folder, table, copies)
            for table in ("summary", "items", "likert")
        }
        changes_paths = sorted((root / "results" / "clean" / "shards").glob("*.changes.csv"))
        changes = tiled(
            pd.concat(
                [pd.read_csv(path, dtype={"site_id": str}) for path in changes_paths],
                ignore_index=True,
            ),
            copies,
        )
        overview = tiled(overview, copies)
        sites = overview["site_id"].tolist()
        enrolled = dict.fromkeys(sites, "2024-01-01")
        plan = plan_from(instrument.roles, instrument.outcomes, enrolled, {}, config["pooling"])
        rng = np.random.default_rng(1)
        moderators = moderators_from_config(config["moderators"])
        values = site_values(
            moderators,
            {
                site: {
                    "hospital_type": str(rng.choice(["teaching", "district"])),
                    "mentoring_hours": str(round(float(rng.uniform(4, 20)), 1)),
                }
                for site in sites
            },
        )
        steps: dict[str, Callable[[], object]] = {
            "read summaries": lambda: stacked_frames([read_summary(p) for p in inputs["summary"]]),
            "read items": lambda: stacked_frames([read_items(p) for p in inputs["items"]]),
            "read likert": lambda: pd.concat(
                [pd.read_csv(p) for p in inputs["likert"]], ignore_index=True
            ),
            "overview: current_sites_only": lambda: current_sites_only(overview, sites),
        }
        loaded: dict[str, object] = {}
        for name, step in steps.items():
            times[name], loaded[name] = timed(step, repeat)
        summaries = loaded["read summaries"]
        analyses: dict[str, Callable[[], object]] = {
            "meta_table": lambda: meta_table(summaries, plan),
            "pooled_descriptives": lambda: pooled_descriptives(loaded["read likert"], instrument),
            "combined_tests": lambda: combined_tests(
                summaries, plan.roles, plan.outcomes, plan.sites, {}
            ),
            "leave_one_out": lambda: leave_one_out(summaries, plan),
            "cumulative": lambda: cumulative(summaries, plan),
            "moderator_tables": lambda: moderator_tables(summaries, plan, moderators, values),
            "influence_table": lambda: influence_table(summaries, plan),
            "pooled_items": lambda: pooled_items(
                loaded["read items"], instrument.roles, sites, {}, plan.level
            ),
            "ipd_table": lambda: ipd_table(changes, instrument, {}, plan.level),
        }
        written = []
        for name, step in analyses.items():
            if name in skip:
                continue
            times[name], result = timed(step, repeat)
            written += list(result) if isinstance(result, tuple) else [result]
        times["write csv (all outputs)"], _ = timed(
            lambda: [csv_text(table, for_people=True) for table in written], repeat
        )
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consortium", type=Path, required=True)
    parser.add_argument("--scale", type=int, nargs="+", default=[1])
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    results = {
        scale: run(arguments.consortium, scale, set(arguments.skip), arguments.repeat)
        for scale in arguments.scale
    }
    first = arguments.scale[0]
    header = " | ".join(f"x{scale} s" for scale in arguments.scale)
    ratios = " | ".join(f"x{scale}/x{first}" for scale in arguments.scale[1:])
    print(f"| step | {header} |" + (f" {ratios} |" if ratios else ""))
    print("|---" * (1 + len(arguments.scale) + len(arguments.scale[1:])) + "|")
    for step in results[first]:
        cells = " | ".join(f"{results[scale][step]:.3f}" for scale in arguments.scale)
        ratio = " | ".join(
            f"{results[scale][step] / max(results[first][step], 1e-9):.1f}"
            for scale in arguments.scale[1:]
        )
        print(f"| {step} | {cells} |" + (f" {ratio} |" if ratio else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
