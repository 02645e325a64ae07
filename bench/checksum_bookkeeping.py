"""What Snakemake hashes after each job: for every declared output, every input under
``--max-checksum-file-size`` (1 MB) again (snakemake's ``PersistenceBase.finished``), so a
job costs outputs × inputs checksums. Prints, per rule, the jobs, the sum over its jobs of
outputs × inputs, and the bytes hashed (outputs × the inputs' sizes now), from a dry run
that lists every job:

    snakemake -n --forceall > dry.log        # in a finished consortium's folder
    python bench/checksum_bookkeeping.py dry.log FOLDER
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

MAX_CHECKSUM_FILE_SIZE = 1_000_000
RULE = re.compile(r"^(?:local)?rule (\w+):$")
FILES = re.compile(r"^\s+(input|output): (.*)$")


def hashed_size(folder: Path, name: str) -> int:
    try:
        size = (folder / name).stat().st_size
    except OSError:
        return 0
    return size if size < MAX_CHECKSUM_FILE_SIZE else 0


def bookkeeping(log: Path, folder: Path) -> tuple[Counter, Counter, Counter]:
    """Per rule: jobs, outputs × inputs, bytes hashed."""
    jobs, pairs, hashed = Counter(), Counter(), Counter()
    rule, files = None, {"input": [], "output": []}

    def count() -> None:
        if rule:
            jobs[rule] += 1
            pairs[rule] += len(files["input"]) * len(files["output"])
            sizes = sum(hashed_size(folder, name) for name in files["input"])
            hashed[rule] += len(files["output"]) * sizes

    for line in log.read_text(encoding="utf-8").splitlines():
        started = RULE.match(line)
        if started:
            count()
            rule, files = started.group(1), {"input": [], "output": []}
            continue
        listed = FILES.match(line)
        if listed and rule:
            files[listed.group(1)] = listed.group(2).split(", ")
    count()
    return jobs, pairs, hashed


def main(log: str, folder: str) -> None:
    jobs, pairs, hashed = bookkeeping(Path(log), Path(folder))
    print(f"{'rule':22s} {'jobs':>4s} {'out x in':>9s} {'MB hashed':>10s}")
    for rule in sorted(jobs, key=lambda name: -hashed[name]):
        print(f"{rule:22s} {jobs[rule]:4d} {pairs[rule]:9d} {hashed[rule] / 1e6:10.1f}")
    total = sum(hashed.values()) / 1e6
    print(f"{'total':22s} {sum(jobs.values()):4d} {sum(pairs.values()):9d} {total:10.1f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
