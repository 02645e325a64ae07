"""Stable shards, and the name pattern the workflow's `{shard}` wildcard is held to."""

from __future__ import annotations

import re

from revmentor.core.sharding import SHARD_NAME_PATTERN, group_by_shard, shard_of


def test_every_shard_name_fits_the_wildcard_pattern_and_nothing_else_does():
    pattern = re.compile(SHARD_NAME_PATTERN)
    for shards in (1, 64, 999, 1000, 5000):
        for site in ("pilot", "seaview", "site0042", "z"):
            assert pattern.fullmatch(shard_of(site, shards))
    assert shard_of("pilot", 5000).startswith("shard") and len(shard_of("pilot", 5000)) >= 8
    for other in ("shard1", "shard", "shard01", "pilot", "shard054/x", "Shard054"):
        assert not pattern.fullmatch(other)
    # Snakemake's wildcard constraints take no braces.
    assert "{" not in SHARD_NAME_PATTERN


def test_groups_keep_registry_order_and_omit_empty_shards():
    groups = group_by_shard(["b", "a", "c"], 2)
    assert sorted(site for sites in groups.values() for site in sites) == ["a", "b", "c"]
    for sites in groups.values():
        assert sites == [site for site in ("b", "a", "c") if site in sites]
