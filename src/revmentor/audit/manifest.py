"""The audit trail: which data, config, code and software produced which files, and a check
that nothing has changed since.

``manifest.json`` is deterministic: the same inputs give the same bytes, so two clean runs
can be compared. Anything that differs from run to run (time, host, durations) goes into
``run.json`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revmentor import __version__
from revmentor.audit.provenance import distribution_versions, git_state
from revmentor.core.hashing import sha256_file, sha256_text

MANIFEST_FORMAT = 1


def file_record(path: str | Path) -> dict[str, Any]:
    target = Path(path)
    return {
        "path": Path(path).as_posix(),
        "sha256": sha256_file(target),
        "bytes": target.stat().st_size,
    }


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """SHA-256 of the effective config (defaults filled) in canonical JSON."""
    return sha256_text(json.dumps(config, sort_keys=True, ensure_ascii=False, default=str))


def build_manifest(
    inputs: Iterable[str],
    outputs: Iterable[str],
    config: Mapping[str, Any],
    imported: Iterable[str],
    workflow_folder: Path,
) -> dict[str, Any]:
    """The manifest of one run. ``imported`` are the third-party import names the workflow's
    code uses; their installed versions are recorded with Python's."""
    return {
        "format": MANIFEST_FORMAT,
        "workflow": {"package": "revmentor", "version": __version__, **git_state(workflow_folder)},
        "python": platform.python_version(),
        "packages": distribution_versions({*imported, "snakemake"}),
        "config_sha256": config_fingerprint(config),
        "inputs": [file_record(path) for path in sorted(set(inputs))],
        "outputs": [file_record(path) for path in sorted(set(outputs))],
    }


def manifest_text(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def run_record(metadata_folder: Path, outputs: Sequence[str]) -> dict:
    """When, where and how long: everything that may differ between identical runs."""
    jobs = []
    for path in sorted(set(outputs)):
        record = _snakemake_record(metadata_folder, path)
        if record:
            jobs.append(record)
    starts = [job["started"] for job in jobs if job["started"]]
    return {
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "first_job_started_at": min(starts) if starts else None,
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python_executable": sys.executable,
        "jobs": jobs,
    }


def _snakemake_record(metadata_folder: Path, output: str) -> dict | None:
    """Snakemake's own record of the job that made ``output`` (rule, start, end)."""
    import base64

    name = base64.urlsafe_b64encode(output.encode()).decode()
    path = metadata_folder / name
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    start, end = meta.get("starttime"), meta.get("endtime")
    return {
        "output": output,
        "rule": meta.get("rule"),
        "started": _iso(start),
        "ended": _iso(end),
        "seconds": round(end - start, 3) if start and end else None,
    }


def _iso(timestamp: float | None) -> str | None:
    if not timestamp:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Discrepancy:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.path}"


def verify(manifest: Mapping[str, Any], root: Path) -> list[Discrepancy]:
    """Every file of the manifest that is missing or whose bytes changed since."""
    found = []
    for record in [*manifest["inputs"], *manifest["outputs"]]:
        path = root / record["path"]
        if not path.is_file():
            found.append(Discrepancy(record["path"], "missing"))
        elif path.stat().st_size != record["bytes"] or sha256_file(path) != record["sha256"]:
            found.append(Discrepancy(record["path"], "changed"))
    return found
