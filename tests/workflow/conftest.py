"""Run the real snakemake on temporary copies of the workflow."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
#: Files that differ between identical runs by design (docs/reproducibility.md).
VARYING = {"results/audit/run.json", "results/report.html"}
COPIED = ("Snakefile", "config", "workflow", "data", "profiles")
#: The shard count the workflows of these tests run with: the config's default, read from
#: it, so that the expected shard jobs follow a change of the default.
SHARDS = yaml.safe_load((REPO / "config/config.yaml").read_text())["execution"]["shards"]


class Workspace:
    """A throwaway copy of the workflow with its own config, data and results."""

    def __init__(self, root: Path, own_package: bool = False):
        self.root = root
        self.env = dict(os.environ)
        root.mkdir(parents=True)
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, root / name)
            else:
                shutil.copy2(source, root / name)
        if own_package:
            # The workspace imports its own copy of the package, so that a test may edit it.
            shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("*.pyc"))
            self.env["PYTHONPATH"] = str(root / "src")

    def snakemake(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, env=self.env
        )
        if check and result.returncode != 0:
            raise AssertionError(f"snakemake failed:\n{result.stdout}\n{result.stderr}")
        return result

    @classmethod
    def on_disk(cls, root: Path, env: Mapping[str, str], own_package: bool) -> Workspace:
        """A workspace whose folder is already written (copied, or run by another worker)."""
        workspace = cls.__new__(cls)
        workspace.root, workspace.env = root, dict(env)
        if own_package:
            workspace.env["PYTHONPATH"] = str(root / "src")
        return workspace

    def clone(self, root: Path) -> Workspace:
        """A copy of this workspace, results and Snakemake's records included."""
        shutil.copytree(self.root, root, symlinks=True)
        return Workspace.on_disk(root, self.env, own_package="PYTHONPATH" in self.env)

    def start(self, *args: str) -> subprocess.Popen:
        """Start snakemake in the background, in its own process group (to kill it whole)."""
        command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
        return subprocess.Popen(
            command,
            cwd=self.root,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def digests(self) -> dict[str, str]:
        """SHA-256 of every file under results/, except the run record and the report."""
        found = {}
        for path in sorted((self.root / "results").rglob("*")):
            name = path.relative_to(self.root).as_posix()
            if path.is_file() and name not in VARYING:
                found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found

    def planned_jobs(self, *args: str) -> set[tuple[str, str]]:
        """(rule, shard) of every job a dry run plans ('validate_shard', 'shard054'); the
        shard is '' for consortium-level jobs."""
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
            shard = re.match(r"^\s+wildcards: .*\bshard=([^,\s]+)", line)
            if rule and shard:
                jobs.add((rule, shard.group(1)))
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

    def write_summary_sites(self, sites: dict, outcome: str = "total") -> None:
        """One summary-only site per entry of ``sites`` (lists ``n_pairs``, ``mean_diff``,
        ``sd_diff``), each sending only those columns for mentor × ``outcome``; the registry
        lists exactly these sites."""
        folder = self.root / "data/metafor"
        folder.mkdir()
        rows = []
        for index, (n, mean, sd) in enumerate(
            zip(sites["n_pairs"], sites["mean_diff"], sites["sd_diff"], strict=True), 1
        ):
            site_id = f"site{index}"
            (folder / f"{site_id}.csv").write_text(
                "site_id,role,outcome,n_pairs,mean_diff,sd_diff\n"
                f"{site_id},mentor,{outcome},{n},{mean!r},{sd!r}\n"
            )
            rows.append(
                [site_id, site_id, f"metafor/{site_id}.csv", "summary", f"2024-01-{index:02d}"]
            )
        self.write_registry(rows)

    def corrupt_cell(self, relative: str, row: int, column: str, value: str) -> None:
        """Replace one cell of a comma-separated data file (row numbered as in a spreadsheet)."""
        path = self.root / "data" / relative
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = value
        lines[row - 1] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")


def shard_jobs(*site_ids: str, shards: int = SHARDS) -> set[tuple[str, str]]:
    """The per-shard jobs that serve these sites (as a dry run lists them)."""
    from revmentor.core.sharding import shard_of

    names = {shard_of(site_id, shards) for site_id in site_ids}
    return {(rule, name) for name in names for rule in ("validate_shard", "stats_shard")}


def shard_target(site_id: str, step: str = "stats", shards: int = SHARDS) -> str:
    """The file that asks Snakemake for a site's outputs: its shard's manifest of ``step``
    ('validate' or 'stats'); Snakemake does not track the per-site files one by one."""
    from revmentor.core.sharding import shard_of

    name = "validated" if step == "validate" else "stats"
    return f"results/shards/{shard_of(site_id, shards)}/{name}.json"


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "work")


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the browser tests keep their screenshots: results/report/screenshots/ of a
    temporary folder of their own (REVMENTOR_SCREENSHOT_DIR, when set, as CI keeps it),
    never the shared example run's results/, where verify would find files it did not make."""
    kept = os.environ.get("REVMENTOR_SCREENSHOT_DIR")
    root = Path(kept) if kept else tmp_path_factory.mktemp("screenshots")
    folder = root / "results/report/screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
