"""The audit trail: which data, config, code and software produced which files, and a check
that nothing has changed since.

``manifest.json`` is deterministic: the same inputs give the same bytes, so two clean runs
can be compared. Anything that differs from run to run (time, host, durations) goes into
``run.json`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import socket
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revmentor import __version__
from revmentor.audit.provenance import distribution_versions, git_state
from revmentor.core.hashing import file_record, sha256_file, sha256_text

#: 2: each input's ``sha256`` is that of the bytes the run analysed, not a re-hash at the end.
MANIFEST_FORMAT = 2
READABLE_FORMATS = (1, 2)


def input_record(path: str | Path, analysed_sha256: str) -> dict[str, Any]:
    """An input as the run analysed it. Its size is known only while the file still holds
    those bytes; a file edited after it was read also gets the hash it has now, so that
    the manifest shows both versions."""
    record = {"path": Path(path).as_posix(), "sha256": analysed_sha256}
    now = sha256_file(Path(path))
    if now == analysed_sha256:
        return {**record, "bytes": Path(path).stat().st_size}
    return {**record, "bytes": None, "sha256_when_manifest_written": now}


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """SHA-256 of the effective config (defaults filled) in canonical JSON."""
    return sha256_text(json.dumps(config, sort_keys=True, ensure_ascii=False, default=str))


def analysed_hashes(reports: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The SHA-256 each validation report took of the files it read, by file path (a report
    whose site could not be read at all may hold none)."""
    hashes = {}
    for report in reports:
        if report.get("sha256"):
            hashes[Path(report["file"]).as_posix()] = report["sha256"]
        if report.get("items_file") and report.get("items_sha256"):
            hashes[Path(report["items_file"]).as_posix()] = report["items_sha256"]
    return hashes


def analysed_inputs(
    inputs: Iterable[str],
    hashed_at_start: Mapping[str, str],
    reports: Iterable[Mapping[str, Any]],
) -> dict[str, str]:
    """Each input with the SHA-256 the run used: the config and registry as hashed when the
    workflow started, each site's files as its validation report hashed them on reading.
    A file the run never read (its site failed before that) is hashed now."""
    known = {Path(path).as_posix(): digest for path, digest in hashed_at_start.items()}
    known |= analysed_hashes(reports)
    paths = sorted({Path(path).as_posix() for path in inputs})
    return {path: known[path] if path in known else sha256_file(Path(path)) for path in paths}


def build_manifest(
    inputs: Mapping[str, str],
    outputs: Iterable[str],
    config: Mapping[str, Any],
    imported: Iterable[str],
    workflow_folder: Path,
    awaiting: Iterable[Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The manifest of one run. ``inputs`` maps each input file to the SHA-256 of the bytes
    the run read from it (taken when it was read, not now). ``imported`` are the
    third-party import names the workflow's code uses; their installed versions are
    recorded with Python's. ``awaiting`` are the registered sites whose file had not
    arrived (site_id, file): registered, and not analysed (the run's manifest lists them,
    even when there are none; the pages' manifest has no such list)."""
    by_path = {Path(path).as_posix(): digest for path, digest in inputs.items()}
    manifest = {
        "format": MANIFEST_FORMAT,
        "workflow": {"package": "revmentor", "version": __version__, **git_state(workflow_folder)},
        "python": platform.python_version(),
        "packages": distribution_versions({*imported, "snakemake"}),
        "config_sha256": config_fingerprint(config),
        "inputs": [input_record(path, by_path[path]) for path in sorted(by_path)],
        "outputs": [file_record(path) for path in sorted(set(outputs))],
    }
    if awaiting is not None:
        manifest["awaiting_data"] = [
            {"site_id": site["site_id"], "file": Path(site["file"]).as_posix()} for site in awaiting
        ]
    return manifest


def changed_inputs(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Inputs that already differed from what was analysed when the manifest was written."""
    return [record for record in manifest["inputs"] if "sha256_when_manifest_written" in record]


def manifest_text(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def run_record(metadata_folder: Path, outputs: Sequence[str], manifest_sha256: str) -> dict:
    """When, where and how long: everything that may differ between identical runs, and
    the manifest's own SHA-256 (the one hash to publish)."""
    jobs = []
    for path in sorted(set(outputs)):
        record = _snakemake_record(metadata_folder, path)
        if record:
            jobs.append(record)
    starts = [job["started"] for job in jobs if job["started"]]
    return {
        "manifest_sha256": manifest_sha256,
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


def sha256_line(manifest_sha256: str, manifest_name: str) -> str:
    """The manifest's hash in ``sha256sum`` format (``sha256sum -c`` checks it)."""
    return f"{manifest_sha256}  {manifest_name}\n"


RESULTS = "results"
NOT_IN_MANIFEST = "not in manifest"
#: Files under results/ that no manifest lists: the manifest, its hash and the run record
#: (written with it), the audit steps' own logs (still open while a manifest is
#: written), the report manifest (which audits the HTML pages written after the manifest,
#: whose footer names it), and the Snakemake report, built from the finished results
#: afterwards under the names the README gives it.
REPORT_MANIFEST = "results/audit/report_manifest.json"
UNLISTED_BY_DESIGN = frozenset(
    {
        "results/audit/manifest.json",
        "results/audit/manifest.sha256",
        "results/audit/run.json",
        "results/logs/audit_manifest.log",
        REPORT_MANIFEST,
        "results/logs/audit_report.log",
        "results/report.html",
        "results/report.zip",
    }
)
SHA256_DIGITS = re.compile(r"[0-9a-f]{64}")
RECORD_KEYS = ("path", "sha256", "bytes")
MAX_REASONS = 20


class UnusableManifest(Exception):
    """The manifest cannot be read, or names files it must not: nothing was checked."""

    def __init__(self, shown: str, reasons: Sequence[str]) -> None:
        self.shown = shown
        self.reasons = list(reasons)
        lines = [f"{shown} cannot be used as an audit manifest; nothing was checked:"]
        lines += [f"  - {reason}" for reason in self.reasons[:MAX_REASONS]]
        if len(self.reasons) > MAX_REASONS:
            lines.append(f"  ... and {len(self.reasons) - MAX_REASONS} more")
        lines.append(
            "Check the manifest the workflow wrote (results/audit/manifest.json), or ask "
            "whoever sent this one for an intact copy."
        )
        super().__init__("\n".join(lines))


def parse_manifest(data: bytes, shown: str) -> dict[str, Any]:
    """The manifest in ``data``, or :class:`UnusableManifest` saying what is wrong with it."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UnusableManifest(
            shown, [f"it is not UTF-8 text (byte {error.start + 1}, counting from 1)"]
        ) from None
    except json.JSONDecodeError as error:
        reason = f"it is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        raise UnusableManifest(shown, [reason]) from None
    reasons = structure_problems(manifest)
    if reasons:
        raise UnusableManifest(shown, reasons)
    return manifest


def structure_problems(manifest: object) -> list[str]:
    """Every way in which ``manifest`` is not a manifest this package can check."""
    if not isinstance(manifest, dict):
        return [f"it holds a JSON {_json_type(manifest)}, not an object with inputs and outputs"]
    reasons = []
    version = manifest.get("format")
    if version not in READABLE_FORMATS or isinstance(version, bool):
        readable = " and ".join(map(str, READABLE_FORMATS))
        reasons.append(
            f"its 'format' is {_shown(version)}; this revmentor reads formats {readable}"
        )
    for section in ("inputs", "outputs"):
        records = manifest.get(section)
        if records is None:
            reasons.append(f"it has no '{section}' list")
        elif not isinstance(records, list):
            reasons.append(f"'{section}' is a JSON {_json_type(records)}, not a list")
        else:
            for index, record in enumerate(records):
                reasons += _record_problems(f"{section}[{index}]", record, section == "inputs")
    return reasons


def _record_problems(where: str, record: object, is_input: bool) -> list[str]:
    if not isinstance(record, dict):
        return [
            f"{where} is a JSON {_json_type(record)}, not an object with path, sha256 and bytes"
        ]
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        return [f"{where} has no {', '.join(repr(key) for key in missing)}"]
    reasons = []
    path, digest, size = record["path"], record["sha256"], record["bytes"]
    if not isinstance(path, str) or not path or "\0" in path:
        reasons.append(f"{where}.path is {_shown(path)}, not a file path")
    if not isinstance(digest, str) or not SHA256_DIGITS.fullmatch(digest):
        reasons.append(f"{where}.sha256 is {_shown(digest)}, not 64 lowercase hex digits")
    # An input edited after it was analysed has no known size (see input_record).
    size_may_be_unknown = is_input and size is None
    if not size_may_be_unknown and (
        not isinstance(size, int) or isinstance(size, bool) or size < 0
    ):
        reasons.append(f"{where}.bytes is {_shown(size)}, not a size in bytes")
    return reasons


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "number")


def _shown(value: object, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "missing or null"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refused_paths(
    manifest: Mapping[str, Any], root: Path, inputs_may_be_under: Sequence[Path] = ()
) -> list[str]:
    """Paths a manifest may not make verify read: anything outside the workflow folder
    once '..' and links are resolved (an input may also lie under a folder the auditor
    names, for data kept elsewhere)."""
    inside = root.resolve()
    elsewhere = [Path(folder).resolve() for folder in inputs_may_be_under]
    reasons = []
    for section in ("inputs", "outputs"):
        allowed = [inside, *elsewhere] if section == "inputs" else [inside]
        # Data kept outside the workflow folder is legitimate for inputs only.
        hint = " (an input kept elsewhere: name its folder with --allow-inputs-under)"
        hint = hint if section == "inputs" and not elsewhere else ""
        for index, record in enumerate(manifest[section]):
            path = record["path"]
            where = f"{section}[{index}].path {_shown(path)}"
            resolved = (root / path).resolve()
            if Path(path).is_absolute() and not (section == "inputs" and elsewhere):
                reasons.append(f"{where} is an absolute path, refused{hint}")
            elif not any(resolved.is_relative_to(folder) for folder in allowed):
                reasons.append(
                    f"{where} leads outside the workflow folder {root} once '..' and links "
                    f"are resolved, refused{hint}"
                )
    return reasons


@dataclass(frozen=True)
class Discrepancy:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.path}"


def verify(
    manifest: Mapping[str, Any],
    root: Path,
    *,
    inputs_may_be_under: Sequence[Path] = (),
    also_unlisted: Iterable[str] = (),
    shown: str = "the manifest",
) -> list[Discrepancy]:
    """Every file of the manifest that is missing or whose bytes changed since, then every
    file under results/ the manifest does not list (``also_unlisted``: further files, such
    as a manifest kept elsewhere, that may be there unlisted).

    Raises :class:`UnusableManifest`, having read nothing, when the manifest is malformed
    or names a file outside the workflow folder."""
    reasons = structure_problems(manifest) or refused_paths(manifest, root, inputs_may_be_under)
    if reasons:
        raise UnusableManifest(shown, reasons)
    # Format 1 hashed inputs at the end of the run; format 2 records what was analysed.
    input_change = "changed since analysed" if manifest["format"] >= 2 else "changed"
    found = []
    for record in manifest["inputs"]:
        found += _check(root, record, input_change)
    for record in manifest["outputs"]:
        found += _check(root, record, "changed")
    listed = {Path(record["path"]).as_posix() for record in manifest["outputs"]}
    expected_unlisted = UNLISTED_BY_DESIGN | set(also_unlisted)
    for name in _files_under(root, RESULTS):
        if name not in listed and name not in expected_unlisted:
            found.append(Discrepancy(name, NOT_IN_MANIFEST))
    return found


def build_report_manifest(
    manifest: str,
    pages: Iterable[str],
    config: Mapping[str, Any],
    imported: Iterable[str],
    workflow_folder: Path,
) -> dict[str, Any]:
    """The manifest of the HTML pages: their hashes, with the audit manifest they were
    written from as the one input (so a later run's manifest shows as changed)."""
    return build_manifest(
        {manifest: sha256_file(Path(manifest))}, pages, config, imported, workflow_folder
    )


def verify_records(manifest: Mapping[str, Any], root: Path) -> list[Discrepancy]:
    """Every file a manifest lists that is missing or changed; no search for unlisted files
    (the report manifest lists a few pages, while the audit manifest covers results/)."""
    reasons = structure_problems(manifest) or refused_paths(manifest, root)
    if reasons:
        raise UnusableManifest(REPORT_MANIFEST, reasons)
    found = []
    for record in manifest["inputs"]:
        found += _check(root, record, "changed since the pages were written")
    for record in manifest["outputs"]:
        found += _check(root, record, "changed")
    return found


def _check(root: Path, record: Mapping[str, Any], change: str) -> list[Discrepancy]:
    path = root / record["path"]
    try:
        status = path.stat()
    except OSError:
        return [Discrepancy(record["path"], "missing")]
    if not stat.S_ISREG(status.st_mode):
        return [Discrepancy(record["path"], "not a regular file")]
    size_differs = record["bytes"] is not None and status.st_size != record["bytes"]
    if size_differs or sha256_file(path) != record["sha256"]:
        return [Discrepancy(record["path"], change)]
    return []


def _files_under(root: Path, folder: str) -> list[str]:
    """Every non-folder entry under ``root/folder`` (links included, not followed), sorted."""
    names = []
    for directory, folders, files in os.walk(root / folder):
        # A link to a folder is not walked into (it may lead anywhere), but it is reported.
        links = [name for name in folders if (Path(directory) / name).is_symlink()]
        for name in [*files, *links]:
            names.append((Path(directory) / name).relative_to(root).as_posix())
    return sorted(names)
