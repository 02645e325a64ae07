"""Benchmark: the pooling step at 100 to 10,000 sites (issue 15), before and after.

For one analysis (one role × outcome × measure) of k simulated sites it times, with the peak
of traced memory: the full fits (every method × test, with the Q-profile τ² interval), the
leave-one-out and cumulative fits of the primary analysis (REML, hksj), and the influence
diagnostics of each random-effects method. "before" is meta.py, batch.py and influence.py of
commit BASELINE (k × k masks, each fit on its own), loaded from git into this process only;
"after" is the package. The workflow runs 2 roles × 8 outcomes × 2 measures = 32 such
analyses, so the table also gives 32 × the per-analysis time. Up to --steps-up-to sites it
also times the package's whole steps over all 32 analyses. --compare-at K prints, per output
table and column, how far the fits from interpolated moments (used above EXACT_UP_TO_SITES)
are from exact row sums on K sites.

    python bench/bench_pooling.py [--sizes 100 1000 5000 10000] [--no-before-above 5000]
        [--steps-up-to 1000] [--compare-at 500]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np
from bench_moderators import consortium

from revmentor.pooling import batch, influence
from revmentor.pooling.consortium import analyses, cumulative, leave_one_out, meta_table
from revmentor.pooling.heterogeneity import influence_table
from revmentor.pooling.meta import meta_analyses

BASELINE = "2973094"
ROOT = Path(__file__).resolve().parent.parent
ANALYSES = 32
MIB = 2**20


def baseline_modules() -> dict[str, ModuleType]:
    """meta.py, batch.py and influence.py as they were at BASELINE, importing each other."""
    modules = {}
    for name in ("meta", "batch", "influence"):
        source = subprocess.run(
            ["git", "show", f"{BASELINE}:src/revmentor/pooling/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for imported in ("meta", "batch"):
            source = source.replace(f"revmentor.pooling.{imported}", f"baseline_{imported}")
        spec = importlib.util.spec_from_loader(f"baseline_{name}", loader=None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"baseline_{name}"] = module
        exec(compile(source, f"baseline_{name}.py", "exec"), module.__dict__)
        modules[name] = module
    return modules


def sites(k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean changes of sites of 10-40 pairs around 0.5 with τ = 0.2."""
    rng = np.random.default_rng(seed)
    n = rng.integers(10, 40, k)
    sd = rng.uniform(0.5, 1.5, k)
    return 0.5 + rng.normal(0, 0.2, k) + rng.normal(0, sd / np.sqrt(n)), sd**2 / n


def measured(step: Callable[[], object], memory: bool = True) -> tuple[float, float]:
    """(seconds, peak traced MiB): the best time of up to three untraced calls (tracing slows
    Python; calls under a second are repeated, the first of them also warms caches), then
    the peak of a traced one."""
    times: list[float] = []
    while not times or (len(times) < 3 and sum(times) < 1.0):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    seconds = min(times)
    if not memory:
        return seconds, float("nan")
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    return seconds, peak


def pieces(y: np.ndarray, v: np.ndarray, baseline: dict[str, ModuleType] | None):
    """The timed steps of one analysis, by the baseline's modules or (None) the package's."""
    k = len(y)
    if baseline is None:
        solver, diagnostics = batch, influence
        loo, cum = batch.Subsets.leave_one_out(k), batch.Subsets.cumulative(range(k))

        def full_fits() -> object:
            return meta_analyses(y, v, analyses())
    else:
        solver, diagnostics = baseline["batch"], baseline["influence"]
        loo, cum = ~np.eye(k, dtype=bool), np.tril(np.ones((k, k), dtype=bool))

        def full_fits() -> object:
            return [baseline["meta"].meta_analysis(y, v, *pair) for pair in analyses()]

    return {
        "full fits (10 method x test)": full_fits,
        "leave-one-out (REML hksj)": partial(solver.batch_meta, y, v, loo, "REML", "hksj", 0.95),
        "cumulative (REML hksj)": partial(solver.batch_meta, y, v, cum, "REML", "hksj", 0.95),
        **{
            f"influence {method}": partial(diagnostics.influence_diagnostics, y, v, method)
            for method in ("DL", "REML", "PM")
        },
    }


def differences(k: int) -> None:
    """The largest relative difference, per table and column, between the package's fits
    from moments and exact row sums (EXACT_UP_TO_SITES raised above k) on k sites."""
    summaries, plan, _ = consortium(k)
    steps = {
        "leave_one_out.csv": leave_one_out,
        "cumulative.csv": cumulative,
        "influence.csv": influence_table,
    }
    default = batch.EXACT_UP_TO_SITES
    for table, step in steps.items():
        moments = step(summaries, plan)
        batch.EXACT_UP_TO_SITES = k
        try:
            exact = step(summaries, plan)
        finally:
            batch.EXACT_UP_TO_SITES = default
        for column in exact.columns:
            if exact[column].dtype.kind != "f":
                same = exact[column].astype(str).equals(moments[column].astype(str))
                if not same:
                    print(f"| {k} | {table} | {column} | text differs |")
                continue
            a, b = exact[column].to_numpy(), moments[column].to_numpy()
            both = np.isfinite(a) & (a != 0)
            if not np.array_equal(np.isnan(a), np.isnan(b)):
                print(f"| {k} | {table} | {column} | empty cells differ |")
            relative = np.abs(b[both] - a[both]) / np.abs(a[both])
            changed = int(np.sum(a[both] != b[both]))
            worst = float(relative.max()) if relative.size else 0.0
            print(f"| {k} | {table} | {column} | {changed}/{len(a)} cells, max rel {worst:.1e} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--no-before-above", type=int, default=5000)
    parser.add_argument("--steps-up-to", type=int, default=1000)
    parser.add_argument("--compare-at", type=int, nargs="*", default=[])
    given = parser.parse_args()
    baseline = baseline_modules()
    print(
        "| sites | piece | before s | before MiB | speed-up | after s | after MiB | x32 after s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for k in given.sizes:
        y, v = sites(k)
        before = pieces(y, v, baseline) if k <= given.no_before_above else None
        after = pieces(y, v, None)
        for name, step in after.items():
            seconds, peak = measured(step)
            old = "- | - | -"
            if before is not None:
                old_seconds, old_peak = measured(before[name])
                old = f"{old_seconds:.3f} | {old_peak:.0f} | {old_seconds / seconds:.1f}x"
            after_cells = f"{seconds:.3f} | {peak:.0f}"
            print(
                f"| {k} | {name} | {old} | {after_cells} | {ANALYSES * seconds:.1f} |", flush=True
            )
        if k <= given.steps_up_to:
            summaries, plan, _ = consortium(k)
            for name, step in {
                "all 32: meta_table": meta_table,
                "all 32: leave_one_out": leave_one_out,
                "all 32: cumulative": cumulative,
                "all 32: influence_table": influence_table,
            }.items():
                seconds, _ = measured(partial(step, summaries, plan), memory=False)
                print(f"| {k} | {name} | - | - | - | {seconds:.3f} | - | - |", flush=True)
    if given.compare_at:
        print("\n| sites | table | column | moments against exact row sums |")
        print("|---|---|---|---|")
        for k in given.compare_at:
            differences(k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
