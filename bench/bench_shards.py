"""How many shards: measure what a shard job costs besides its sites, what a site costs, and
what the consortium steps pay per shard, then model the full run and adding one site.

For each shard count asked for, a copy of one simulated consortium (``run_bench.build``, 20
mentors and 20 mentees per site) is run with ``execution.shards`` set to it, in three
Snakemake calls: ``--until validate_shard``, ``--until policy_check`` and ``--until
stats_shard``. CPU seconds, not wall seconds, are counted (the machine is shared): every
process of the call (``RUSAGE_CHILDREN``), and Snakemake's main process alone. With the
sites fixed and the number of jobs varying, a least-squares line through the shard jobs'
CPU gives the fixed cost of a job (slope: start-up, imports, the shard's tables and
manifest, and the main process's bookkeeping of the job) and the cost of a site
(intercept / sites). A fourth call, with nothing left to do, gives what the main process
pays per shard on every rerun.

What the consortium steps pay per shard is measured by reading, with the package's own
readers, every shard file each of them reads (the counts of each kind are taken from a
dry run: the inputs of every job that is not a shard job; the audit manifest only hashes
them), for each shard count, in process; the slope against the number of shards is the
cost of one more shard. With ``--consortium`` the rest of the workflow is run too, and the
slope of its CPU against the number of shards is printed beside it (noisier: about 60 CPU-s
of work, of which a few depend on the shards).

    python bench/bench_shards.py --sites 64 --shards 1 4 16 64 --consortium

It prints the measurements and the model's table (see docs/scaling.md, "How many shards").
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from run_bench import REPO, build, measured, snakemake_command

from revmentor.core.hashing import sha256_file
from revmentor.core.shard_manifest import read_manifest
from revmentor.core.sharding import group_by_shard
from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import stacked_frames
from revmentor.validation.policy import read_overview

WORK = REPO / "bench" / "work" / "shards"
STEPS = ("validate_shard", "policy_check", "stats_shard")
SHARD_RULES = ("validate_shard", "stats_shard")
# Rules that read no shard file (``all``), or only hash them (the audit manifest).
NOT_READING = ("validate_shard", "stats_shard", "all", "audit_manifest")
HASHED = "hashed by audit_manifest"


@dataclass
class Cpu:
    """One Snakemake call: CPU seconds of every process, of the main process, and wall."""

    total: float
    main: float
    wall: float
    jobs: int


def run_cpu(command: list[str], cwd: Path) -> Cpu:
    measure = measured(command, cwd)
    # Under --until, Snakemake counts the steps of the whole workflow: count the jobs done.
    jobs = len(re.findall(r"^Finished jobid: ", measure.output, flags=re.MULTILINE))
    return Cpu(measure.cpu, measure.main_cpu, measure.seconds, jobs)


def set_shards(folder: Path, shards: int) -> None:
    path = folder / "config/config.yaml"
    text, count = re.subn(
        r"^(  shards: )\d+$", rf"\g<1>{shards}", path.read_text(), flags=re.MULTILINE
    )
    if count != 1:
        raise RuntimeError(f"{path}: no execution.shards line to set")
    path.write_text(text)


def site_ids(folder: Path) -> list[str]:
    registry = pd.read_csv(folder / "config/sites.tsv", sep="\t", dtype=str)
    return list(registry["site_id"])


# The package's reader of each kind of shard file, as the consortium steps call it.
READERS: dict[str, Callable[[list[Path]], object]] = {
    "summary.csv": lambda paths: stacked_frames([read_summary(p) for p in paths]),
    "items.csv": lambda paths: stacked_frames([read_items(p) for p in paths]),
    "demographics.csv": lambda paths: pd.concat(
        [pd.read_csv(p, dtype={"level": str}) for p in paths], ignore_index=True
    ),
    "likert.csv": lambda paths: pd.concat([pd.read_csv(p) for p in paths], ignore_index=True),
    "changes.csv": lambda paths: pd.concat(
        [pd.read_csv(p, dtype={"site_id": str}) for p in paths], ignore_index=True
    ),
    "validation.tsv": lambda paths: pd.concat([read_overview(str(p)) for p in paths]),
    "validated.json": lambda paths: [read_manifest(p) for p in paths],
    "stats.json": lambda paths: [read_manifest(p) for p in paths],
    HASHED: lambda paths: [sha256_file(p) for p in paths],
}


def kind_of(path: str) -> str | None:
    if path.startswith("results/clean/shards/"):
        return "changes.csv"
    if path.startswith("results/shards/"):
        return path.rsplit("/", 1)[1]
    return None


def consortium_reads(folder: Path) -> Counter[str]:
    """How many consortium jobs read each kind of shard file (one file per shard each)."""
    listing = subprocess.run(
        snakemake_command(folder, "--dry-run", "--forceall"),
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    reads: Counter[str] = Counter()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", listing):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        inputs = re.search(r"^\s+input: (.*)$", block, flags=re.MULTILINE)
        if not rule or not inputs or rule.group(1) in NOT_READING:
            continue
        kinds = {kind_of(path) for path in inputs.group(1).split(", ")} - {None}
        reads.update(kinds)
    reads[HASHED] = 1
    return reads


def shard_files(folder: Path, kind: str) -> list[Path]:
    if kind == "changes.csv":
        return sorted((folder / "results/clean/shards").glob("*.changes.csv"))
    if kind == HASHED:
        return sorted((folder / "results/shards").glob("*/*")) + shard_files(folder, "changes.csv")
    return sorted((folder / "results/shards").glob(f"*/{kind}"))


def read_seconds(folder: Path, kind: str, repeats: int) -> float:
    """CPU seconds to read every shard's file of one kind (best of ``repeats``)."""
    paths = shard_files(folder, kind)
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        READERS[kind](paths)
        best = min(best, time.process_time() - started)
    return best


def slope(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares line y = a + b x: (a, b)."""
    b, a = np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 1)
    return float(a), float(b)


@dataclass
class Costs:
    """CPU seconds: a shard job's fixed cost per step, a site's cost per step, and what the
    consortium steps pay per shard."""

    fixed: dict[str, float]
    per_site: dict[str, float]
    #: The consortium jobs' reads of a shard's files, the overview and policy check, and
    #: Snakemake's main process checking the shard's two jobs on every run.
    read_per_shard: float


def model_rows(
    costs: Costs, sizes: list[int], shard_counts: list[int], cores: int, direct: float | None
) -> list[str]:
    """Seconds the shards cost, by the model, for the full run and for adding one site.

    Full run: every job's fixed cost plus every site, in waves of ``cores`` jobs of equal
    size (hash shards differ a little), plus the consortium's cost of every shard. Adding a
    site: its shard's two jobs, one after the other (fixed costs plus N/S sites), plus the
    consortium's cost of every shard. The consortium steps' own work does not depend on
    the shard count and is left out. With ``direct`` (the consortium steps' measured CPU
    per shard) the add-site case is given with it too."""
    fixed = sum(costs.fixed.values())
    site = sum(costs.per_site.values())
    header = (
        f"| sites | shards | sites per shard | full run: shard CPU-s | full run: wall s on "
        f"{cores} cores | add one site: s |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|"
    if direct is not None:
        header += " add one site, consortium as run: s |"
        rule += "---:|"
    rows = [header, rule]
    for sites in sizes:
        for shards in shard_counts:
            per_shard = sites / shards
            used = min(shards, sites)
            reads = used * costs.read_per_shard
            cpu = used * fixed + sites * site + reads
            waves = -(-used // cores)
            wall = waves * (fixed + per_shard * site) + reads
            add = fixed + per_shard * site + reads
            row = f"| {sites:,} | {shards} | {per_shard:.1f} | {cpu:.0f} | {wall:.0f} | {add:.1f} |"
            if direct is not None:
                row += f" {fixed + per_shard * site + used * direct:.1f} |"
            rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=64)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seed", type=int, default=20221101)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cores", type=int, default=2, help="for the model's wall time")
    parser.add_argument("--model-shards", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128, 256])
    parser.add_argument("--model-sites", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument(
        "--consortium",
        action="store_true",
        help="also run the consortium steps for each shard count and fit their CPU-s",
    )
    arguments = parser.parse_args()

    source = WORK / f"sites{arguments.sites}"
    build(source, arguments.sites, arguments.seed)
    ids = site_ids(source)
    runs: dict[int, dict[str, Cpu]] = {}
    reads: dict[int, dict[str, float]] = {}
    counts: Counter[str] = Counter()
    for shards in arguments.shards:
        folder = WORK / f"sites{arguments.sites}_shards{shards}"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(source, folder)
        set_shards(folder, shards)
        runs[shards] = {
            step: run_cpu(snakemake_command(folder, "--until", step), folder) for step in STEPS
        }
        # Nothing left to do: what Snakemake's main process pays per shard on every rerun.
        runs[shards]["noop"] = run_cpu(snakemake_command(folder, "--until", "stats_shard"), folder)
        if arguments.consortium:
            runs[shards]["consortium"] = run_cpu(snakemake_command(folder), folder)
        if not counts:
            counts = consortium_reads(folder)
        reads[shards] = {kind: read_seconds(folder, kind, arguments.repeats) for kind in counts}
        used = len(group_by_shard(ids, shards))
        print(
            f"shards {shards} ({used} with a site): "
            + ", ".join(
                f"{step} {cpu.total:.1f} CPU-s ({cpu.main:.1f} main, {cpu.jobs} jobs, "
                f"{cpu.wall:.0f} s wall)"
                for step, cpu in runs[shards].items()
            ),
            flush=True,
        )

    used = {shards: len(group_by_shard(ids, shards)) for shards in arguments.shards}
    print(f"\n{arguments.sites} sites; shard counts {arguments.shards} -> {used} non-empty")
    print(
        "\n| step | CPU-s per shard job (fixed) | CPU-s per site | of which main process per job |"
    )
    print("|---|---:|---:|---:|")
    fixed, per_site = {}, {}
    for step in SHARD_RULES:
        x = [used[s] for s in arguments.shards]
        intercept, per_job = slope(x, [runs[s][step].total for s in arguments.shards])
        _, main_per_job = slope(x, [runs[s][step].main for s in arguments.shards])
        main_base = np.mean([runs[s][step].main - main_per_job * used[s] for s in arguments.shards])
        fixed[step] = per_job
        # The intercept holds the main process's parse too: take it out.
        per_site[step] = (intercept - main_base) / arguments.sites
        print(f"| {step} | {per_job:.2f} | {per_site[step] * 1000:.1f} ms | {main_per_job:.2f} |")
    _, check = slope(
        [used[s] for s in arguments.shards],
        [runs[s]["policy_check"].total for s in arguments.shards],
    )
    print(f"| validation_overview + policy_check | {check:.3f} per shard | | |")
    _, noop = slope(
        [used[s] for s in arguments.shards], [runs[s]["noop"].main for s in arguments.shards]
    )
    print(f"| a no-op rerun's main process | {noop:.3f} per shard | | |")
    direct = None
    if arguments.consortium:
        _, direct = slope(
            [used[s] for s in arguments.shards],
            [runs[s]["consortium"].total for s in arguments.shards],
        )
        print(f"| the consortium steps, run (noisy) | {direct:.3f} per shard | | |")

    print("\n| shard file | consortium jobs reading it | CPU-ms per file read |")
    print("|---|---:|---:|")
    read_per_shard = 0.0
    for kind, jobs in sorted(counts.items()):
        _, per_file = slope(
            [used[s] for s in arguments.shards], [reads[s][kind] for s in arguments.shards]
        )
        read_per_shard += jobs * per_file
        print(f"| {kind} | {jobs} | {per_file * 1000:.2f} |")
    print(f"| all, per shard | {sum(counts.values())} | {read_per_shard * 1000:.1f} |")

    costs = Costs(fixed, per_site, read_per_shard + check + noop)
    print()
    print(
        "\n".join(
            model_rows(
                costs, arguments.model_sites, arguments.model_shards, arguments.cores, direct
            )
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
