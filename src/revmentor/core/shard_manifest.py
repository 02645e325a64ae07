"""A job's manifest of per-site files: every file one job wrote for each site, with its
SHA-256 and size.

Snakemake tracks such a job by a few files and this manifest, not by each site's files, so
that its bookkeeping grows with the jobs rather than with sites × files: 7,631 declared
files at 1,000 sites cost the main process minutes of metadata, and Snakemake 8 hashes
every input once per output, so the HTML report's 1,001 declared pages × ~430 inputs cost
it six more. The per-site files are still written where users read them; the steps after
the job find them through its manifest. The shards (validate_shard, stats_shard) and the
hospital pages (report_page) write one.

A job writes its manifest last, atomically: a job killed half way leaves no manifest, and
Snakemake runs it again rather than taking its files for complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from revmentor.core.files import write_text
from revmentor.core.hashing import file_record

SHARD_MANIFEST_FORMAT = 1

SiteFiles = Mapping[str, Mapping[str, str]]


def files_manifest(job: Mapping[str, str], sites: SiteFiles) -> dict[str, Any]:
    """The manifest of the job named by ``job`` (such as ``{"shard": "shard007"}``) that
    wrote, for each site (in the job's order), the files ``sites`` maps by kind (such as
    ``report`` or ``clean``) to their paths."""
    return {
        "format": SHARD_MANIFEST_FORMAT,
        **job,
        "sites": {site: dict(files) for site, files in sites.items()},
        "files": [file_record(path) for files in sites.values() for path in files.values()],
    }


def write_files_manifest(path: str | Path, job: Mapping[str, str], sites: SiteFiles) -> None:
    """Hash the files and write the manifest; call it once every file is written."""
    text = json.dumps(files_manifest(job, sites), indent=2, ensure_ascii=False) + "\n"
    write_text(path, text)


def shard_manifest(shard: str, sites: SiteFiles) -> dict[str, Any]:
    """The manifest of one shard's job."""
    return files_manifest({"shard": shard}, sites)


def write_shard_manifest(path: str | Path, shard: str, sites: SiteFiles) -> None:
    write_files_manifest(path, {"shard": shard}, sites)


def read_manifest(path: str | Path) -> dict[str, Any]:
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    if manifest.get("format") != SHARD_MANIFEST_FORMAT:
        raise ValueError(
            f"{path}: manifest format {manifest.get('format')!r}, this revmentor "
            f"reads {SHARD_MANIFEST_FORMAT}; run the workflow again to rewrite it"
        )
    return manifest


def site_files(manifests: Iterable[str | Path], kind: str) -> dict[str, str]:
    """Each site's file of one ``kind``, by site id, from the jobs' manifests (sites
    without one, such as a summary-only site's items for a response-level site, are left
    out)."""
    found = {}
    for path in manifests:
        for site, files in read_manifest(path)["sites"].items():
            if kind in files:
                found[site] = files[kind]
    return found


def listed_files(manifests: Iterable[str | Path]) -> list[str]:
    """Every per-site file the jobs' manifests list."""
    return [record["path"] for path in manifests for record in read_manifest(path)["files"]]


def void_reason(path: str | Path) -> str | None:
    """Why the manifest at ``path`` no longer describes its job's files (one is gone, or
    it cannot be read), or None if it does (or there is none). Snakemake does not see a
    per-site file deleted by hand, so the workflow drops such a manifest and the job
    writes the files again. Only existence is checked (hashing every file on every
    start would cost more than the bookkeeping saved); `revmentor verify` checks bytes."""
    if not Path(path).exists():
        return None
    try:
        records = read_manifest(path)["files"]
    except (OSError, ValueError, KeyError, TypeError) as problem:
        return f"it cannot be read ({problem})"
    gone = [record["path"] for record in records if not Path(record["path"]).is_file()]
    if gone:
        shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
        return f"it lists {shown}, no longer there"
    return None
