"""Benchmark: what every ``snakemake`` call pays before the first job (``make bench``).

In a temporary copy of the workflow with the example consortium, it times a dry run
(``snakemake -n``) against a one-rule Snakefile's dry run in the same interpreter (the floor:
Snakemake's own start-up), and the two parts of the workflow's own parse time in fresh
processes: importing what ``workflow/rules/common.smk`` imports, and the code and software
fingerprints of every script (``revmentor.audit.provenance``). Each figure is the median of
five runs. Writes ``bench/PARSE.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 5
COPIED = ("Snakefile", "config", "workflow", "data", "profiles")
FLOOR_SNAKEFILE = """\
rule all:
    output:
        "done.txt"
    shell:
        "touch {output}"
"""
PARSE_IMPORTS = """
import revmentor.audit.provenance, revmentor.core.config, revmentor.core.tables
import revmentor.report.settings, revmentor.report.figure_names, revmentor.core.redcap
import revmentor.replication.settings, revmentor.validation.registry
"""
FINGERPRINTS = """
from pathlib import Path
from revmentor.audit.provenance import code_fingerprint, software_fingerprint
for script in sorted(Path("workflow/scripts").glob("*.py")):
    code_fingerprint(script), software_fingerprint(script)
"""


def median_seconds(command: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        work, floor = Path(folder) / "work", Path(folder) / "floor"
        work.mkdir()
        floor.mkdir()
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, work / name)
            else:
                shutil.copy2(source, work / name)
        (floor / "Snakefile").write_text(FLOOR_SNAKEFILE)
        dry = [python, "-m", "snakemake", "-n", "--cores", "1"]
        rows = [
            ("one-rule Snakefile, snakemake -n (floor)", median_seconds(dry, floor)),
            ("example consortium, snakemake -n", median_seconds(dry, work)),
            ("imports of common.smk", median_seconds([python, "-c", PARSE_IMPORTS], work)),
            ("fingerprints of every script", median_seconds([python, "-c", FINGERPRINTS], work)),
            ("python -c pass", median_seconds([python, "-c", "pass"], work)),
        ]
    floor_seconds = rows[0][1]
    lines = [
        "# What every snakemake call pays before the first job",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.node()} ({os.cpu_count()} "
        f"cores, Python {platform.python_version()}) by `bench/bench_parse.py`; median of "
        f"{RUNS} runs, in fresh processes, seconds.",
        "",
        "| what | seconds | × floor |",
        "|---|---|---|",
        *(f"| {what} | {seconds:.2f} | {seconds / floor_seconds:.2f} |" for what, seconds in rows),
        "",
        f"The example's dry run costs {rows[1][1] - floor_seconds:.2f} s above Snakemake's "
        "own start-up.",
        "",
    ]
    text = "\n".join(lines)
    (REPO / "bench/PARSE.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
