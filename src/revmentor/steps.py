"""A validated site's per-site tables, as the workflow's shard jobs and the in-process
pipeline both derive them."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from revmentor.core import summary_format as fmt
from revmentor.core.instrument import Instrument
from revmentor.stats.distributions import demographic_counts, likert_counts
from revmentor.stats.items import site_items
from revmentor.stats.pairs import Pairs, site_pairs
from revmentor.stats.site_summary import site_summary
from revmentor.stats.summary_effects import derive_missing_smcc

SITE_TABLES = {
    "summary": fmt.SUMMARY_COLUMNS,
    "items": fmt.ITEMS_COLUMNS,
    "likert": fmt.LIKERT_COLUMNS,
    "demographics": fmt.DEMOGRAPHIC_COLUMNS,
}


def site_tables(
    site_id: str,
    instrument: Instrument,
    seed: int,
    clean: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    pairs: Mapping[str, Mapping[str, Pairs]] | None = None,
) -> dict[str, pd.DataFrame | None]:
    """The four per-site tables. A summary-only site's are its own summary and items; it
    sends no participant-level distributions or demographics (``None``: header only), and
    its summary gains the SMCC where it sent only the mean and SD of the change.

    A site's pre/post pairs are built once (``pairs``, its :func:`site_pairs`, when the
    caller also needs them for the change table) and shared by every table."""
    if clean is None:
        if summary is not None:
            summary = derive_missing_smcc(summary)
        return {"summary": summary, "items": items, "likert": None, "demographics": None}
    pairs = pairs or site_pairs(clean, instrument)
    return {
        "summary": site_summary(clean, instrument, site_id, seed, pairs),
        "items": site_items(clean, instrument, site_id),
        "likert": likert_counts(clean, instrument, site_id, pairs),
        "demographics": demographic_counts(clean, instrument, site_id),
    }
