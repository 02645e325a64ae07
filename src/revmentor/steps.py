"""A validated site's per-site tables, as the workflow's shard jobs and the in-process
pipeline both derive them: every site of a shard at once (:func:`shard_tables`), and one
site as a view on that (:func:`site_tables`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from revmentor.core import summary_format as fmt
from revmentor.core.instrument import Instrument
from revmentor.core.tables import stacked_csv
from revmentor.stats.distributions import (
    change_table,
    demographic_frame,
    demographic_records,
    likert_frame,
    likert_records,
)
from revmentor.stats.items import item_records, items_frame
from revmentor.stats.pairs import Pairs, site_pairs
from revmentor.stats.site_summary import outcome_keys, summary_table
from revmentor.stats.summary_effects import derive_missing_smcc

SITE_TABLES = {
    "summary": fmt.SUMMARY_COLUMNS,
    "items": fmt.ITEMS_COLUMNS,
    "likert": fmt.LIKERT_COLUMNS,
    "demographics": fmt.DEMOGRAPHIC_COLUMNS,
}

SitePairs = Mapping[str, Mapping[str, Pairs]]


@dataclass(frozen=True)
class SiteData:
    """What one site's tables start from: its clean responses (participant-level data), or
    the summary and items it sent (summary-only), or neither (an excluded site, which has
    no tables). ``pairs``: the clean table's :func:`site_pairs`, when the caller has them."""

    site_id: str
    clean: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    pairs: SitePairs | None = None


@dataclass
class _Stack:
    """One table of a shard, built site by site: each site adds rows (computed later for
    all sites at once by ``build``) or a table it sent, or nothing."""

    build: Callable[[list[Any]], pd.DataFrame]
    parts: list[list[Any] | pd.DataFrame] = field(default_factory=list)
    rows: list[int | None] = field(default_factory=list)

    def add_rows(self, rows: list[Any]) -> None:
        if self.parts and isinstance(self.parts[-1], list):
            self.parts[-1].extend(rows)
        else:
            self.parts.append(list(rows))
        self.rows.append(len(rows))

    def add_table(self, table: pd.DataFrame | None) -> None:
        if table is not None:
            self.parts.append(table)
        self.rows.append(None if table is None else len(table))

    def frame(self) -> pd.DataFrame | None:
        frames = [
            self.build(part) if isinstance(part, list) else part for part in self.parts if len(part)
        ]
        if len(frames) > 1:
            return pd.concat(frames, ignore_index=True)
        return frames[0] if frames else None


@dataclass(frozen=True)
class ShardTables:
    """Every site's rows of each per-site table, one table per kind in the sites' order
    (``None`` where no site has a row), the number of rows each site has in it (``None``:
    the site has no such table, and its file holds the header alone), and the change table
    of the participant-level sites."""

    tables: dict[str, pd.DataFrame | None]
    rows: dict[str, list[int | None]]
    changes: pd.DataFrame | None

    def site_frame(self, table: str, position: int) -> pd.DataFrame | None:
        """The table of the site at ``position`` alone."""
        counts = self.rows[table]
        if counts[position] is None:
            return None
        start = sum(count or 0 for count in counts[:position])
        stacked = self.tables[table]
        if stacked is None:
            return _empty(table)
        return stacked.iloc[start : start + counts[position]].reset_index(drop=True)

    def csv_texts(self, table: str) -> tuple[str, list[str]]:
        """The shard's table as CSV, and each site's (what table_csv gives for its frame)."""
        return stacked_csv(self.tables[table], SITE_TABLES[table], self.rows[table])


def _empty(table: str) -> pd.DataFrame:
    builders = {
        "summary": lambda: summary_table([], [], 0),
        "items": lambda: items_frame([]),
        "likert": lambda: likert_frame([]),
        "demographics": lambda: demographic_frame([]),
    }
    return builders[table]()


def shard_tables(sites: Iterable[SiteData], instrument: Instrument, seed: int) -> ShardTables:
    """The four per-site tables of every site, each computed once for all the sites
    (a summary-only site's are its own summary and items; it sends no participant-level
    distributions or demographics, and its summary gains the SMCC where it sent only the
    mean and SD of the change). A site's pre/post pairs are built once and shared by
    every table."""
    stacks = {
        "summary": _Stack(lambda rows: summary_table(*zip(*rows, strict=True), seed)),
        "items": _Stack(items_frame),
        "likert": _Stack(likert_frame),
        "demographics": _Stack(demographic_frame),
    }
    changes = []
    for site in sites:
        if site.clean is None:
            summary = None if site.summary is None else derive_missing_smcc(site.summary)
            stacks["summary"].add_table(summary)
            stacks["items"].add_table(site.items)
            stacks["likert"].add_table(None)
            stacks["demographics"].add_table(None)
            continue
        pairs = site.pairs or site_pairs(site.clean, instrument)
        keys, rows = outcome_keys(site.site_id, pairs)
        stacks["summary"].add_rows(list(zip(keys, rows, strict=True)))
        stacks["items"].add_rows(item_records(site.clean, instrument, site.site_id))
        stacks["likert"].add_rows(likert_records(site.site_id, pairs, instrument))
        stacks["demographics"].add_rows(demographic_records(site.clean, instrument, site.site_id))
        changes.append(change_table(site.clean, instrument, site.site_id, pairs))
    return ShardTables(
        {table: stack.frame() for table, stack in stacks.items()},
        {table: stack.rows for table, stack in stacks.items()},
        pd.concat(changes) if changes else None,
    )


def site_tables(
    site_id: str,
    instrument: Instrument,
    seed: int,
    clean: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    pairs: SitePairs | None = None,
) -> dict[str, pd.DataFrame | None]:
    """The four tables of one site (``None``: the site has no such table), as
    :func:`shard_tables` gives them."""
    shard = shard_tables([SiteData(site_id, clean, summary, items, pairs)], instrument, seed)
    return {table: shard.site_frame(table, 0) for table in SITE_TABLES}
