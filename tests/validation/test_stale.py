"""Outputs of sites no longer in the registry are found and removed; the workflow's own
files beside them, and the registered sites' files, are kept."""

from __future__ import annotations

from pathlib import Path

from revmentor.core.sharding import SHARD_NAME_PATTERN
from revmentor.validation.stale import (
    remove_stale_site_files,
    stale_message,
    stale_shard_message,
    stale_site_files,
)

PATTERNS = [
    "results/validation/{site}.json",
    "results/validation/{site}.md",
    "results/clean/{site}.csv",
    "results/clean/{site}.items.csv",
    "results/sites/{site}/summary.csv",
]
SITE_ID = r"[A-Za-z][A-Za-z0-9_-]{0,63}"


def make(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")


def test_only_the_outputs_of_unregistered_sites_are_removed(tmp_path):
    make(
        tmp_path,
        "results/validation/pilot.json",
        "results/validation/gone.json",
        "results/validation/gone.md",
        "results/validation/overview.md",
        "results/validation/policy_check.txt",
        "results/clean/gone.csv",
        "results/clean/gone.items.csv",
        "results/clean/pilot.csv",
        "results/clean/shards/shard000.changes.csv",
        "results/sites/gone/summary.csv",
        "results/sites/gone/notes.txt",
        "results/sites/left/summary.csv",
    )
    stale = stale_site_files(
        tmp_path, PATTERNS, {"pilot"}, {"results/validation/overview.md"}, SITE_ID
    )
    assert stale == {
        "gone": [
            "results/validation/gone.json",
            "results/validation/gone.md",
            "results/clean/gone.csv",
            "results/clean/gone.items.csv",
            "results/sites/gone/summary.csv",
        ],
        "left": ["results/sites/left/summary.csv"],
    }
    remove_stale_site_files(tmp_path, stale)
    remaining = sorted(
        path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()
    )
    assert remaining == [
        "results/clean/pilot.csv",
        "results/clean/shards/shard000.changes.csv",
        "results/sites/gone/notes.txt",
        "results/validation/overview.md",
        "results/validation/pilot.json",
        "results/validation/policy_check.txt",
    ]
    # A folder of a site's own goes once empty; one holding anything else stays.
    assert not (tmp_path / "results/sites/left").exists()
    assert stale_message(stale, "config/sites.tsv") == (
        "removed the outputs of 2 site(s) no longer in the registry (config/sites.tsv), so "
        "that no earlier report is taken for a current one:\n"
        "  gone: results/validation/gone.json, results/validation/gone.md, "
        "results/clean/gone.csv, results/clean/gone.items.csv, results/sites/gone/summary.csv\n"
        "  left: results/sites/left/summary.csv"
    )


def test_nothing_is_stale_when_every_site_is_registered(tmp_path):
    make(tmp_path, "results/validation/pilot.json", "results/validation/overview.md")
    keep = {"results/validation/overview.md"}
    assert stale_site_files(tmp_path, PATTERNS, {"pilot"}, keep, SITE_ID) == {}


SHARD_PATTERNS = [
    "results/shards/{shard}/validation.tsv",
    "results/shards/{shard}/validated.json",
    "results/shards/{shard}/stats.json",
    "results/clean/shards/{shard}.changes.csv",
    "results/logs/validate/{shard}.log",
]


def test_a_shard_left_without_sites_loses_its_files_and_folder(tmp_path):
    """Its manifest names the removed sites' files: left in place it would look current."""
    make(
        tmp_path,
        "results/shards/shard007/validation.tsv",
        "results/shards/shard007/validated.json",
        "results/shards/shard054/validated.json",
        "results/shards/shard054/stats.json",
        "results/clean/shards/shard054.changes.csv",
        "results/logs/validate/shard054.log",
        "results/logs/validate/shard007.log",
    )
    stale = stale_site_files(
        tmp_path, SHARD_PATTERNS, {"shard007"}, set(), SHARD_NAME_PATTERN, placeholder="{shard}"
    )
    assert stale == {
        "shard054": [
            "results/shards/shard054/validated.json",
            "results/shards/shard054/stats.json",
            "results/clean/shards/shard054.changes.csv",
            "results/logs/validate/shard054.log",
        ]
    }
    remove_stale_site_files(tmp_path, stale)
    assert not (tmp_path / "results/shards/shard054").exists()
    assert (tmp_path / "results/shards/shard007/validated.json").exists()
    assert (tmp_path / "results/logs/validate/shard007.log").exists()
    assert stale_shard_message(stale).startswith("removed the outputs of 1 shard(s) that no ")
    assert "  shard054: results/shards/shard054/validated.json, " in stale_shard_message(stale)
