"""Run the real snakemake on temporary copies of the workflow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COPIED = ("Snakefile", "config", "workflow", "data")


class Workspace:
    """A throwaway copy of the workflow with its own config, data and results."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True)
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, root / name)
            else:
                shutil.copy2(source, root / name)

    def snakemake(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"snakemake failed:\n{result.stdout}\n{result.stderr}")
        return result

    def planned_jobs(self, *args: str) -> set[tuple[str, str]]:
        """(rule, site) of every job a dry run plans; site is '' for consortium-level jobs."""
        result = self.snakemake("--dry-run", *args, check=True)
        jobs = set()
        rule = None
        for line in result.stdout.splitlines():
            match = re.match(r"^(?:local)?rule (\w+):$", line)
            if match:
                if rule:
                    jobs.add((rule, ""))
                rule = match.group(1)
                continue
            site = re.match(r"^\s+wildcards: .*\bsite=([^,\s]+)", line)
            if rule and site:
                jobs.add((rule, site.group(1)))
                rule = None
        if rule:
            jobs.add((rule, ""))
        return jobs

    def set_config(self, **values: object) -> None:
        path = self.root / "config/config.yaml"
        config = yaml.safe_load(path.read_text())
        for dotted, value in values.items():
            target = config
            *parents, last = dotted.split(".")
            for key in parents:
                target = target.setdefault(key, {})
            target[last] = value
        path.write_text(yaml.safe_dump(config, sort_keys=False))

    def registry_header(self) -> list[str]:
        return (self.root / "config/sites.tsv").read_text().splitlines()[0].split("\t")

    def registry_rows(self) -> list[list[str]]:
        lines = (self.root / "config/sites.tsv").read_text().splitlines()
        return [line.split("\t") for line in lines[1:]]

    def write_registry(self, rows: Sequence[Sequence[str]]) -> None:
        """Rows shorter than the header are padded with empty optional cells."""
        header = self.registry_header()
        body = "".join("\t".join([*row, *[""] * (len(header) - len(row))]) + "\n" for row in rows)
        (self.root / "config/sites.tsv").write_text("\t".join(header) + "\n" + body)

    def corrupt_cell(self, relative: str, row: int, column: str, value: str) -> None:
        """Replace one cell of a comma-separated data file (row numbered as in a spreadsheet)."""
        path = self.root / "data" / relative
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = value
        lines[row - 1] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "work")
