"""Benchmark: the workflow on simulated consortia of 10, 100 and 1,000 sites (``make bench``).

For each size it builds a consortium with the seeded simulator (20 mentors and 20 mentees
per site) and measures, with ``--cores 2``: the dry run (DAG build), the full run from an
empty ``results/``, a no-op rerun, adding one site, changing one site's data, and the peak
RSS of the whole process tree. In the same run it times the in-process floor: one Python
process that reads every site, computes the same per-site statistics and pools them
(``revmentor.inprocess``), with no workflow around it. It writes ``bench/RESULTS.md``.

Machines here are noisy, so the ratios to the floor matter more than the seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

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

    def rules(self) -> list[str]:
        """The rules Snakemake ran, in the order it started them (shards collapsed)."""
        names = re.findall(r"^(?:local)?rule (\w+):$", self.output, flags=re.MULTILINE)
        return list(dict.fromkeys(names))


@dataclass
class SizeResult:
    sites: int
    floor: Measure | None = None
    minimal: Measure | None = None
    phases: dict[str, Measure] = field(default_factory=dict)


def build(folder: Path, n_sites: int, seed: int) -> None:
    """A consortium folder: config, registry and simulated site files."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "config").mkdir(parents=True)
    shutil.copy2(REPO / "config/config.yaml", folder / "config/config.yaml")
    write_uniform_consortium(folder, n_sites, bench_instrument(), seed)


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
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watcher = psutil.Process(process.pid)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, tree_rss(watcher))
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    output, _ = process.communicate()
    done.set()
    thread.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    jobs = re.findall(r"(\d+) of (\d+) steps \(100%\) done", output)
    return Measure(seconds, peak, int(jobs[-1][1]) if jobs else 0, output)


def snakemake(folder: Path, *args: str) -> Measure:
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(folder),
        "--cores",
        "2",
        *args,
    ]
    return measured(command, folder)


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


def bench_size(n_sites: int, seed: int) -> SizeResult:
    folder = WORK / f"sites{n_sites}"
    build(folder, n_sites, seed)
    result = SizeResult(n_sites)
    result.floor = floor(folder)
    result.minimal = minimal_floor(folder)
    print(
        f"[{n_sites}] floor {result.floor.seconds:.1f} s, minimal floor "
        f"{result.minimal.seconds:.1f} s",
        flush=True,
    )
    phases = [
        ("dry_run", lambda: snakemake(folder, "--dry-run")),
        ("full_run", lambda: snakemake(folder)),
        ("noop_rerun", lambda: snakemake(folder)),
        ("add_site", lambda: (add_site(folder, n_sites, seed), snakemake(folder))[1]),
        ("change_site", lambda: (change_site(folder), snakemake(folder))[1]),
    ]
    for name, run in phases:
        result.phases[name] = run()
        print(
            f"[{n_sites}] {name} {result.phases[name].seconds:.1f} s, "
            f"{result.phases[name].jobs} jobs",
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
        "- Floor: `revmentor.inprocess.run_consortium` in one process (validate, per-site "
        "statistics, pooling, leave-one-out, cumulative, one-stage model, tables; no figures, "
        "no files but the inputs), timed in the same run.",
        "- Minimal floor: `bench/minimal_floor.py`, issue 15's hand-written script (read, range "
        "check, per-site n/mean/SD/median/Wilcoxon per role × outcome, DL and REML pooling), "
        "timed in the same run.",
        "",
        "| sites | floor (s) | minimal (s) | dry run (s) | full run (s) | full / floor | "
        "full / minimal | no-op rerun (s) | add one site (s) | jobs | change one site (s) | "
        "jobs | peak RSS (GiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        p, base = result.phases, result.floor.seconds
        peak = max(m.peak_rss for m in [result.floor, *p.values()])
        lines.append(
            f"| {result.sites} | {base:.1f} | {result.minimal.seconds:.1f} | "
            f"{p['dry_run'].seconds:.1f} | {p['full_run'].seconds:.1f} | "
            f"{p['full_run'].seconds / base:.1f} | "
            f"{p['full_run'].seconds / result.minimal.seconds:.1f} | "
            f"{p['noop_rerun'].seconds:.1f} | {p['add_site'].seconds:.1f} | "
            f"{p['add_site'].jobs} | {p['change_site'].seconds:.1f} | {p['change_site'].jobs} | "
            f"{gib(peak):.2f} |"
        )
    lines += targets_section(results)
    lines += reruns_section(results)
    return "\n".join(lines) + "\n"


def reruns_section(results: list[SizeResult]) -> list[str]:
    lines = ["", "## What reran", ""]
    for result in results:
        for phase in ("noop_rerun", "add_site", "change_site"):
            rules = result.phases[phase].rules()
            ran = ", ".join(rules) if rules else "nothing"
            lines.append(f"- {result.sites} sites, {phase.replace('_', ' ')}: {ran}")
    return lines


def targets_section(results: list[SizeResult]) -> list[str]:
    largest = max(results, key=lambda r: r.sites)
    p = largest.phases
    ratio = p["full_run"].seconds / largest.minimal.seconds
    peak = gib(max(m.peak_rss for m in [largest.floor, *p.values()]))
    return [
        "",
        f"## Targets at {largest.sites} sites",
        "",
        "| case | target | measured | |",
        "|---|---|---|---|",
        f"| full run | ≤ {TARGETS['full_ratio']:.0f} × minimal floor | {ratio:.1f} × "
        f"({p['full_run'].seconds:.0f} s / {largest.minimal.seconds:.1f} s) | "
        f"{verdict(ratio <= TARGETS['full_ratio'])} |",
        f"| no-op rerun | ≤ {TARGETS['noop_seconds']:.0f} s | {p['noop_rerun'].seconds:.1f} s | "
        f"{verdict(p['noop_rerun'].seconds <= TARGETS['noop_seconds'])} |",
        f"| add one site | ≤ {TARGETS['add_site_seconds']:.0f} s | {p['add_site'].seconds:.1f} s "
        f"({p['add_site'].jobs} jobs) | "
        f"{verdict(p['add_site'].seconds <= TARGETS['add_site_seconds'])} |",
        f"| peak RSS | ≤ {TARGETS['peak_rss_gib']:.0f} GiB | {peak:.2f} GiB | "
        f"{verdict(peak <= TARGETS['peak_rss_gib'])} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=20221101)
    parser.add_argument("--out", type=Path, default=REPO / "bench/RESULTS.md")
    args = parser.parse_args()
    results = [bench_size(n, args.seed) for n in args.sizes]
    text = results_markdown(results)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
