"""Benchmark: the workflow on simulated consortia of 10, 100 and 1,000 sites (``make bench``).

For each size it builds a consortium with the seeded simulator (20 mentors and 20 mentees
per site) and measures, with ``--cores 2``: the dry run (DAG build), the full run from an
empty ``results/``, a no-op rerun, adding one site, changing one site's data, and the peak
RSS of the whole process tree. In the same run it times issue 15's minimal floor
(``bench/minimal_floor.py``, against which the targets are set) and, up to 1,000 sites,
the in-process floor: one Python process that reads every site, computes the same per-site
statistics and pools them (``revmentor.inprocess``), with no workflow around it. It writes
``bench/RESULTS.md``: the table, the targets, a linear fit of the full run's cost against
sites, the seconds per rule at each size, and what reran.

    python bench/run_bench.py --sizes 100 1000 10000

Machines here are noisy, so the ratios to the floor matter more than the seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument
from revmentor.simulate.uniform import PARTICIPANTS, add_uniform_site, write_uniform_consortium

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work"
SIZES = (10, 100, 1000)
# Issue 15's targets (the full run against the minimal floor, bench/minimal_floor.py).
TARGETS = {
    "full_ratio": 3.0,
    "noop_seconds": 5.0,
    "add_site_seconds": 12.0,
    "peak_rss_gib": 4.0,
}


@dataclass
class Measure:
    seconds: float
    peak_rss: int
    jobs: int = 0
    output: str = ""
    #: CPU seconds of the command's own process (Snakemake's main process), without its jobs.
    main_cpu: float = 0.0
    #: CPU seconds of the command and every process under it (its jobs included).
    cpu: float = 0.0

    def rules(self) -> list[str]:
        """The rules Snakemake ran, in the order it started them (shards collapsed)."""
        names = re.findall(r"^(?:local)?rule (\w+):$", self.output, flags=re.MULTILINE)
        return list(dict.fromkeys(names))

    def rule_seconds(self) -> dict[str, tuple[int, float]]:
        """Each rule's jobs and their summed wall seconds, from Snakemake's log lines."""
        return rule_seconds(self.output)


STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")
STARTED = re.compile(r"^(?:local)?rule (\w+):$")
JOB_ID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+)\b")


def rule_seconds(log: str) -> dict[str, tuple[int, float]]:
    """Jobs and wall seconds per rule. Snakemake stamps its log to the second, so a rule of
    many short jobs is known to about a second per job; the sums show where time goes."""
    stamp, pending, started = None, None, {}
    totals: dict[str, tuple[int, float]] = {}
    for line in log.splitlines():
        if match := STAMP.match(line):
            stamp = dt.datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
        elif match := STARTED.match(line):
            pending = (match.group(1), stamp)
        elif (match := JOB_ID.match(line)) and pending:
            started[match.group(1)], pending = pending, None
        elif (match := FINISHED.match(line)) and match.group(1) in started and stamp:
            rule, began = started.pop(match.group(1))
            jobs, seconds = totals.get(rule, (0, 0.0))
            totals[rule] = (jobs + 1, seconds + (stamp - began).total_seconds())
    return totals


@dataclass
class SizeResult:
    sites: int
    floor: Measure | None = None
    minimal: Measure | None = None
    phases: dict[str, Measure] = field(default_factory=dict)


def build(folder: Path, n_sites: int, seed: int) -> None:
    """A fresh consortium folder: today's config, the registry and the simulated site files.

    The sites are simulated once per size and seed into ``inputs<n>-seed<seed>`` and copied
    from there: the same bytes every time, without the minutes 10,000 sites take to draw.
    """
    inputs = WORK / f"inputs{n_sites}-seed{seed}"
    if not (inputs / "complete").exists():
        if inputs.exists():
            shutil.rmtree(inputs)
        (inputs / "config").mkdir(parents=True)
        write_uniform_consortium(inputs, n_sites, bench_instrument(), seed)
        (inputs / "complete").touch()
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(inputs / "data", folder / "data")
    (folder / "config").mkdir(parents=True)
    shutil.copy2(inputs / "config/sites.tsv", folder / "config/sites.tsv")
    shutil.copy2(REPO / "config/config.yaml", folder / "config/config.yaml")


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def measured(command: list[str], cwd: Path) -> Measure:
    """Run a command, polling the RSS of its whole process tree every 50 ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watcher = psutil.Process(process.pid)
    peak, main_cpu = 0, 0.0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak, main_cpu
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, tree_rss(watcher))
                times = watcher.cpu_times()
                main_cpu = times.user + times.system
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    output, _ = process.communicate()
    done.set()
    thread.join()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    jobs = re.findall(r"(\d+) of (\d+) steps \(100%\) done", output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(seconds, peak, int(jobs[-1][1]) if jobs else 0, output, main_cpu, cpu)


def snakemake_command(folder: Path, *args: str, cores: int = 2) -> list[str]:
    """This checkout's workflow run on a consortium folder, as every bench script calls it."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(folder),
        "--cores",
        str(cores),
        *args,
    ]


def snakemake(folder: Path, *args: str) -> Measure:
    return measured(snakemake_command(folder, *args), folder)


FLOOR = (
    "import sys; from pathlib import Path; from revmentor.core.config import load_config;"
    "from revmentor.inprocess import run_consortium;"
    "root, repo = Path(sys.argv[1]), Path(sys.argv[2]);"
    "schema = repo / 'workflow/schemas/config.schema.yaml';"
    "config = load_config(root / 'config/config.yaml', schema);"
    "run_consortium(config, root, repo)"
)


def floor(folder: Path) -> Measure:
    return measured([sys.executable, "-c", FLOOR, str(folder), str(REPO)], folder)


def minimal_floor(folder: Path) -> Measure:
    """Issue 15's floor: bench/minimal_floor.py, a hand-written script with no package code."""
    return measured([sys.executable, str(REPO / "bench/minimal_floor.py"), str(folder)], folder)


def bench_instrument() -> Instrument:
    config = load_config(REPO / "config/config.yaml", REPO / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


def add_site(folder: Path, n_sites: int, seed: int) -> None:
    add_uniform_site(folder, n_sites + 1, bench_instrument(), seed)


def change_site(folder: Path) -> None:
    path = folder / "data/sim/site0002.csv"
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[4] = "5" if cells[4] != "5" else "4"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def bench_size(n_sites: int, seed: int, inprocess_up_to: int, reruns_up_to: int) -> SizeResult:
    folder = WORK / f"sites{n_sites}"
    build(folder, n_sites, seed)
    result = SizeResult(n_sites)
    # The in-process floor is not a target; above this size it would take most of the run.
    if n_sites <= inprocess_up_to:
        result.floor = floor(folder)
        print(f"[{n_sites}] in-process floor {result.floor.seconds:.1f} s", flush=True)
    result.minimal = minimal_floor(folder)
    print(f"[{n_sites}] minimal floor {result.minimal.seconds:.1f} s", flush=True)
    phases = [
        ("dry_run", lambda: snakemake(folder, "--dry-run")),
        ("full_run", lambda: snakemake(folder)),
        ("noop_rerun", lambda: snakemake(folder)),
        ("add_site", lambda: (add_site(folder, n_sites, seed), snakemake(folder))[1]),
        ("change_site", lambda: (change_site(folder), snakemake(folder))[1]),
    ]
    # Adding or changing a site has targets at 1,000 sites only; at 10,000 each rerun
    # costs about half a full run.
    if n_sites > reruns_up_to:
        phases = phases[:3]
    for name, run in phases:
        result.phases[name] = run()
        print(
            f"[{n_sites}] {name} {result.phases[name].seconds:.1f} s, "
            f"{result.phases[name].jobs} jobs, main process {result.phases[name].main_cpu:.1f} "
            "CPU-s",
            flush=True,
        )
    return result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def gib(size: int) -> float:
    return size / 2**30


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def results_markdown(results: list[SizeResult]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {dt.date.today().isoformat()}",
        f"- Machine: {os.cpu_count()} cores, {cpu_model()}, "
        f"{gib(psutil.virtual_memory().total):.0f} GiB RAM",
        f"- Python {platform.python_version()}, `--cores 2`; consortia of participant-level "
        f"sites with {PARTICIPANTS['mentor']} mentors and {PARTICIPANTS['mentee']} mentees each",
        "- Minimal floor: `bench/minimal_floor.py`, issue 15's hand-written script (read, range "
        "check, per-site n/mean/SD/median/Wilcoxon per role × outcome, DL and REML pooling), "
        "timed in the same run. The targets are ratios to it.",
        "- In-process floor: `revmentor.inprocess.run_consortium` in one process (validate, "
        "per-site statistics, pooling, leave-one-out, cumulative, one-stage model, tables; no "
        "figures, no files but the inputs), timed in the same run where shown.",
        "- Main CPU: CPU seconds of Snakemake's own process in the full run (its DAG and "
        "bookkeeping), apart from the jobs'.",
        "",
        "| sites | minimal floor (s) | in-process floor (s) | dry run (s) | full run (s) | "
        "full / minimal | main CPU (s) | no-op rerun (s) | add one site (s) | jobs | "
        "change one site (s) | jobs | peak RSS (GiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        p = result.phases
        inprocess = f"{result.floor.seconds:.1f}" if result.floor else "not run"
        lines.append(
            f"| {result.sites} | {result.minimal.seconds:.1f} | {inprocess} | "
            f"{p['dry_run'].seconds:.1f} | {p['full_run'].seconds:.1f} | "
            f"{p['full_run'].seconds / result.minimal.seconds:.1f} | "
            f"{p['full_run'].main_cpu:.1f} | {p['noop_rerun'].seconds:.1f} | "
            f"{rerun_cells(p.get('add_site'))} | {rerun_cells(p.get('change_site'))} | "
            f"{gib(peak_rss(result)):.2f} |"
        )
    lines += targets_section(results)
    lines += linear_fit_section(results)
    lines += time_section(results)
    lines += reruns_section(results)
    return "\n".join(lines) + "\n"


def rerun_cells(measure: Measure | None) -> str:
    return "not run | –" if measure is None else f"{measure.seconds:.1f} | {measure.jobs}"


def peak_rss(result: SizeResult) -> int:
    measures = [result.minimal, *result.phases.values()]
    return max(m.peak_rss for m in [*measures, *([result.floor] if result.floor else [])])


def linear_fit_section(results: list[SizeResult]) -> list[str]:
    """The full run's seconds against sites, fitted by least squares: linear cost has a
    marginal cost per site that stays put as the consortium grows."""
    if len(results) < 2:
        return []
    sites = np.array([r.sites for r in results], dtype=float)
    seconds = np.array([r.phases["full_run"].seconds for r in results])
    slope, intercept = np.polyfit(sites, seconds, 1)
    fitted = intercept + slope * sites
    r_squared = 1 - np.sum((seconds - fitted) ** 2) / np.sum((seconds - seconds.mean()) ** 2)
    lines = [
        "",
        "## Is the cost linear in sites?",
        "",
        f"Least squares over {len(results)} sizes: full run = {intercept:.1f} s + "
        f"{1000 * slope:.1f} ms × sites (R² = {r_squared:.4f}).",
        "",
        "| from | to | seconds per added site |",
        "|---|---|---|",
    ]
    for small, large in itertools.pairwise(results):
        added = large.sites - small.sites
        extra = large.phases["full_run"].seconds - small.phases["full_run"].seconds
        lines.append(f"| {small.sites} | {large.sites} | {1000 * extra / added:.1f} ms |")
    return lines


def time_section(results: list[SizeResult]) -> list[str]:
    """Where the time goes at each size: summed job seconds per rule, in the full run and,
    at the sizes up to ``--reruns-up-to``, when a site is added."""
    lines = []
    for result in sorted(results, key=lambda r: r.sites):
        lines += [
            "",
            f"## Where the time goes at {result.sites} sites",
            "",
            "Wall seconds summed over each rule's jobs (two run at once, so the sums exceed "
            "the run's wall time); the rest of a run is Snakemake's own work (main CPU above).",
            "",
            "| rule | full run: jobs | seconds | add one site: jobs | seconds |",
            "|---|---|---|---|---|",
        ]
        full = result.phases["full_run"].rule_seconds()
        add_phase = result.phases.get("add_site")
        added = add_phase.rule_seconds() if add_phase else {}
        for rule in sorted(full, key=lambda name: -full[name][1]):
            jobs, seconds = full[rule]
            add_jobs, add_seconds = added.get(rule, (0, 0.0))
            add = f"{add_jobs} | {add_seconds:.0f}" if add_phase else "not run | –"
            lines.append(f"| {rule} | {jobs} | {seconds:.0f} | {add} |")
    return lines


def reruns_section(results: list[SizeResult]) -> list[str]:
    lines = ["", "## What reran", ""]
    for result in results:
        for phase in ("noop_rerun", "add_site", "change_site"):
            if phase not in result.phases:
                continue
            rules = result.phases[phase].rules()
            ran = ", ".join(rules) if rules else "nothing"
            lines.append(f"- {result.sites} sites, {phase.replace('_', ' ')}: {ran}")
    return lines


def targets_section(results: list[SizeResult]) -> list[str]:
    lines = ["", "## Targets (issue 15)", "", "| sites | case | target | measured | |"]
    lines.append("|---|---|---|---|---|")
    for result in results:
        if result.sites < 1000:
            continue
        p, k = result.phases, result.sites
        ratio = p["full_run"].seconds / result.minimal.seconds
        lines.append(
            f"| {k} | full run | ≤ {TARGETS['full_ratio']:.0f} × minimal floor | {ratio:.1f} × "
            f"({p['full_run'].seconds:.0f} s / {result.minimal.seconds:.1f} s) | "
            f"{verdict(ratio <= TARGETS['full_ratio'])} |"
        )
        if k == 1000:
            noop = p["noop_rerun"].seconds
            lines.append(
                f"| {k} | no-op rerun | ≤ {TARGETS['noop_seconds']:.0f} s | {noop:.1f} s | "
                f"{verdict(noop <= TARGETS['noop_seconds'])} |"
            )
            if "add_site" in p:  # not timed above --reruns-up-to
                add = p["add_site"].seconds
                lines.append(
                    f"| {k} | add one site | ≤ {TARGETS['add_site_seconds']:.0f} s | "
                    f"{add:.1f} s ({p['add_site'].jobs} jobs) | "
                    f"{verdict(add <= TARGETS['add_site_seconds'])} |"
                )
        peak = gib(peak_rss(result))
        lines.append(
            f"| {k} | peak RSS | ≤ {TARGETS['peak_rss_gib']:.0f} GiB | {peak:.2f} GiB | "
            f"{verdict(peak <= TARGETS['peak_rss_gib'])} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=20221101)
    parser.add_argument("--out", type=Path, default=REPO / "bench/RESULTS.md")
    parser.add_argument(
        "--inprocess-floor-up-to",
        type=int,
        default=1000,
        help="time the in-process floor only up to this many sites",
    )
    parser.add_argument(
        "--reruns-up-to",
        type=int,
        default=10**9,
        help="time adding and changing a site only up to this many sites",
    )
    args = parser.parse_args()
    results = [
        bench_size(n, args.seed, args.inprocess_floor_up_to, args.reruns_up_to) for n in args.sizes
    ]
    text = results_markdown(results)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
