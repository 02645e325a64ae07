"""One site's work, as the workflow's shard jobs and the in-process pipeline both do it:
validate its files, then derive its per-site tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from revmentor.core import summary_format as fmt
from revmentor.core.instrument import Instrument
from revmentor.stats.distributions import demographic_counts, likert_counts
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import validate_site, validate_summary_site

SITE_TABLES = {
    "summary": fmt.SUMMARY_COLUMNS,
    "items": fmt.ITEMS_COLUMNS,
    "likert": fmt.LIKERT_COLUMNS,
    "demographics": fmt.DEMOGRAPHIC_COLUMNS,
}


@dataclass(frozen=True)
class ValidatedSite:
    """A site's report and, when it is valid, its clean table (responses) or its own
    summary and items (summary-only sites)."""

    report: ValidationReport
    clean: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    items: pd.DataFrame | None = None


def validate(site: Mapping[str, str], instrument: Instrument) -> ValidatedSite:
    """``site`` holds the registry values (site_id, name, format, file, items_file)."""
    if site["format"] == "summary":
        items = Path(site["items_file"]) if site.get("items_file") else None
        report, summary, item_table = validate_summary_site(
            Path(site["file"]), items, site, instrument
        )
        return ValidatedSite(report, summary=summary, items=item_table)
    report, clean = validate_site(Path(site["file"]), site, instrument)
    return ValidatedSite(report, clean=clean)


def site_tables(
    site_id: str,
    instrument: Instrument,
    seed: int,
    clean: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame | None]:
    """The four per-site tables. A summary-only site's are its own summary and items; it
    sends no participant-level distributions or demographics (``None``: header only)."""
    if clean is None:
        return {"summary": summary, "items": items, "likert": None, "demographics": None}
    return {
        "summary": site_summary(clean, instrument, site_id, seed),
        "items": site_items(clean, instrument, site_id),
        "likert": likert_counts(clean, instrument, site_id),
        "demographics": demographic_counts(clean, instrument, site_id),
    }
