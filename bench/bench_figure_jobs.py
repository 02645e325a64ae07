"""Benchmark: the three figure jobs of a finished run, drawn afresh and copied from the cache.

For each figure rule (report_likert, report_forests, report_moderators) it runs
``snakemake --forcerun <rule> --until <rule>`` in a finished workflow folder twice: first
with the rule's figure cache emptied (every figure drawn), then again (every figure copied,
as after a code change that leaves the numbers equal). It prints each job's wall seconds
(from Snakemake's log, to the second) and the CPU seconds of the whole call.

    python bench/bench_figure_jobs.py /path/to/finished/run --cores 2

The folder must be a copy: the script rewrites its figures (byte for byte the same).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from run_bench import measured, rule_seconds, snakemake_command

REPO = Path(__file__).resolve().parents[1]
RULES = {"report_likert": "likert", "report_forests": "forest", "report_moderators": "moderators"}


def run(folder: Path, rule: str, cores: int) -> tuple[float, float, float]:
    """The job's wall seconds, the call's wall seconds and its CPU seconds (with children)."""
    measure = measured(
        snakemake_command(folder, "--forcerun", rule, "--until", rule, cores=cores), folder
    )
    seconds = rule_seconds(measure.output).get(rule, (0, float("nan")))[1]
    wall, cpu = measure.seconds, measure.cpu
    return seconds, wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    print(f"{'rule':<18} {'cache':<6} {'job s':>6} {'call s':>7} {'CPU s':>6}")
    for rule, kind in RULES.items():
        for cache in ("cold", "warm"):
            if cache == "cold":
                shutil.rmtree(args.folder / ".cache" / "figures" / kind, ignore_errors=True)
            seconds, wall, cpu = run(args.folder, rule, args.cores)
            print(f"{rule:<18} {cache:<6} {seconds:>6.0f} {wall:>7.1f} {cpu:>6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
