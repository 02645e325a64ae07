"""Benchmark: the added cost of issue 12's analyses (``make bench``).

For consortia of 10, 100 and 1,000 sites (per-site summaries of every role × outcome, two
moderators: one numeric, one categorical with three levels), it times in one process:
today's pooling (``meta_table``: every measure × method × test), the meta-regressions and
subgroup analyses (``moderator_tables``) and the influence diagnostics (``influence_table``),
and prints each with its ratio to the pooling measured in the same run. Writes
``bench/MODERATORS.md``.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from revmentor.core.moderators import CATEGORICAL, NUMERIC, Moderator
from revmentor.pooling.consortium import Pooling, meta_table
from revmentor.pooling.heterogeneity import influence_table, moderator_tables

SIZES = (10, 100, 1000)
ROLES = ("mentor", "mentee")
OUTCOMES = ("total", "d1", "d2", "d3", "d4", "d5", "d6", "d7")
MODERATORS = (
    Moderator("mentoring_hours", NUMERIC, "Mentoring hours"),
    Moderator("hospital_type", CATEGORICAL, "Hospital type", ("teaching", "district", "rural")),
)
OUT = Path(__file__).resolve().parent / "MODERATORS.md"


def consortium(n_sites: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    sites = [f"site{index:05d}" for index in range(n_sites)]
    hours = rng.uniform(4, 20, n_sites)
    kinds = rng.choice(MODERATORS[1].levels, n_sites)
    rows = []
    for role in ROLES:
        for outcome in OUTCOMES:
            n = rng.integers(10, 40, n_sites)
            sd = rng.uniform(0.5, 1.5, n_sites)
            mean = (
                0.5
                + 0.03 * (hours - 10)
                - 0.3 * (kinds == "district")
                + rng.normal(0, 0.2, n_sites)
            )
            smcc = mean / sd
            rows += [
                {
                    "site_id": site,
                    "role": role,
                    "outcome": outcome,
                    "n_pairs": int(n[i]),
                    "mean_diff": mean[i],
                    "sd_diff": sd[i],
                    "smcc": smcc[i],
                    "smcc_var": 1 / n[i] + smcc[i] ** 2 / (2 * n[i]),
                }
                for i, site in enumerate(sites)
            ]
    values = {
        "mentoring_hours": dict(zip(sites, hours.tolist(), strict=True)),
        "hospital_type": dict(zip(sites, kinds.tolist(), strict=True)),
    }
    plan = Pooling(ROLES, OUTCOMES, tuple(sites), dict.fromkeys(sites, "2024-01-01"), {})
    return pd.DataFrame(rows), plan, values


def timed(step, *args) -> float:
    start = time.perf_counter()
    step(*args)
    return time.perf_counter() - start


def main() -> int:
    lines = [
        "# Benchmark: moderators, subgroups and influence (issue 12)",
        "",
        f"- Date: {dt.date.today().isoformat()}; one process, in-process timings (seconds)",
        "- Per size: 2 roles x 8 outcomes x 2 measures; 2 moderators (numeric; 3 levels);",
        "  pooling = meta_table (every method x test); ratios to pooling in the same run.",
        "",
        "| sites | pooling (s) | moderators + subgroups (s) | ratio | influence (s) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for n_sites in SIZES:
        summaries, plan, values = consortium(n_sites)
        pooling = timed(meta_table, summaries, plan)
        moderators = timed(moderator_tables, summaries, plan, MODERATORS, values)
        influence = timed(influence_table, summaries, plan)
        line = (
            f"| {n_sites} | {pooling:.2f} | {moderators:.2f} | {moderators / pooling:.1f} "
            f"| {influence:.2f} | {influence / pooling:.1f} |"
        )
        print(line, flush=True)
        lines.append(line)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
