"""Stable shards: many sites per workflow job, each site always in the same shard.

A site's shard depends on its id and the configured number of shards only, so adding a
site reruns just its own shard (and the consortium steps), never a reshuffle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

#: What :func:`shard_of` names a shard: three digits, more above 1,000 shards (no braces:
#: Snakemake's wildcard constraints take none).
SHARD_NAME_PATTERN = r"shard[0-9][0-9][0-9]+"


def shard_of(site_id: str, shards: int) -> str:
    index = int(hashlib.sha256(site_id.encode("utf-8")).hexdigest()[:12], 16) % shards
    return f"shard{index:03d}"


def group_by_shard(site_ids: Iterable[str], shards: int) -> dict[str, list[str]]:
    """Shard name -> its sites in registry order; empty shards do not appear."""
    groups: dict[str, list[str]] = {}
    for site_id in site_ids:
        groups.setdefault(shard_of(site_id, shards), []).append(site_id)
    return dict(sorted(groups.items()))
