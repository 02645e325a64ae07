"""What a summary-only site runs on its own data before sending anything: validate its
responses, summarise them (and its items) as the workflow's per-site steps do, and apply the
disclosure policy (:mod:`revmentor.core.disclosure`), saying what was withheld."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from revmentor.core.disclosure import (
    DisclosurePolicy,
    Withheld,
    exported_items,
    exported_summary,
)
from revmentor.core.instrument import Instrument
from revmentor.core.tables import csv_text
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import validate_site


@dataclass(frozen=True)
class SummaryExport:
    """The summary and the items file as they may leave the site (``None`` when the file
    is invalid), and what the policy withheld from each."""

    report: ValidationReport
    csv: str | None
    withheld: tuple[Withheld, ...] = ()
    items_csv: str | None = None
    items_withheld: tuple[Withheld, ...] = ()


def export_summary(
    path: Path,
    shown: str,
    site_id: str,
    instrument: Instrument,
    seed: int,
    policy: DisclosurePolicy,
) -> SummaryExport:
    """Validate ``path`` (responses format) and summarise it with the policy applied."""
    site = {"site_id": site_id, "name": site_id, "format": "responses", "file": shown}
    report, clean = validate_site(path, site, instrument)
    if clean is None:
        return SummaryExport(report, None)
    summary = site_summary(clean, instrument, site_id, seed)
    exported, withheld = exported_summary(summary, policy, instrument.outcome_range)
    items, items_withheld = exported_items(site_items(clean, instrument, site_id), policy)
    return SummaryExport(
        report,
        csv_text(exported, for_people=False),
        tuple(withheld),
        csv_text(items, for_people=False),
        tuple(items_withheld),
    )
