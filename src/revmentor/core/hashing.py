"""Content hashes: the identity of every input and output in reports and the audit trail."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_record(path: str | Path) -> dict[str, Any]:
    """A file as the audit trail lists it: its path, SHA-256 and size."""
    target = Path(path)
    return {
        "path": target.as_posix(),
        "sha256": sha256_file(target),
        "bytes": target.stat().st_size,
    }
