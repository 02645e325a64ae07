"""What each step's job pays to import before any work: python bench/bench_imports.py

Every Snakemake job is a fresh Python process. For each script in workflow/scripts this
times, in a fresh interpreter, the script's top-level imports alone (median of --repeat
runs, wall seconds), beside a bare interpreter's start, and lists the heavy libraries they
load. tests/workflow/test_job_imports.py holds each step to the libraries it needs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.workflow.test_job_imports import HEAVY, script_imports  # noqa: E402


def timed(code: str, repeat: int) -> tuple[float, str]:
    seconds, output = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
        )
        seconds.append(time.perf_counter() - start)
        output = done.stdout
    return statistics.median(seconds), output.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bare, _ = timed("pass", args.repeat)
    print(f"bare interpreter: {bare:.2f} s (median of {args.repeat})\n")
    print("| script | imports (s) | heavy libraries loaded |")
    print("|---|---|---|")
    for script in sorted((REPO / "workflow/scripts").glob("*.py")):
        probe = (
            f"{script_imports(script)}\nimport sys\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
        )
        seconds, loaded = timed(probe, args.repeat)
        print(f"| {script.name} | {seconds - bare:.2f} | {loaded or '–'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
