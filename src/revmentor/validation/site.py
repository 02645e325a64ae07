"""Validate one registered site's file, whatever its format, into a report and a clean table."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from revmentor.core.hashing import sha256_file
from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem, ProblemsError
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.validation.readers import read_table
from revmentor.validation.report import ValidationReport
from revmentor.validation.responses import validate_responses
from revmentor.validation.site_items import validate_items
from revmentor.validation.summary import validate_summary

RESPONSES = "responses"
SUMMARY = "summary"


def validate_site(
    path: Path, site: Mapping[str, str], instrument: Instrument
) -> tuple[ValidationReport, pd.DataFrame | None]:
    """Read and check a site's file; the clean table is ``None`` when the site is invalid.

    ``site`` holds the registry values (site_id, name, format, file).
    """
    if site["format"] != RESPONSES:
        raise ValueError(f"format {site['format']!r} is validated elsewhere")
    report_fields = {
        "site_id": site["site_id"],
        "name": site["name"],
        "format": site["format"],
        "file": site["file"],
        "sha256": sha256_file(path),
    }
    try:
        raw = read_table(path, site["file"], instrument.known_columns())
    except ProblemsError as unreadable:
        empty = {role: 0 for role in instrument.roles}
        return ValidationReport(
            **report_fields, n_rows=0, participants=empty, errors=tuple(unreadable.problems)
        ), None
    clean, errors, warnings, participants = validate_responses(raw, instrument, site["site_id"])
    report = ValidationReport(
        **report_fields,
        n_rows=raw.n_rows,
        participants=participants,
        errors=tuple(errors),
        warnings=tuple(warnings),
        sheet=raw.sheet,
    )
    return report, clean


def summary_participants(summary: pd.DataFrame | None, instrument: Instrument) -> dict[str, int]:
    """For a summary site: per role, the most participants any outcome accounts for."""
    counts = {role: 0 for role in instrument.roles}
    if summary is None:
        return counts
    accounted = summary["n_pairs"].fillna(0) + summary["n_excluded"].fillna(0)
    for role, n in accounted.groupby(summary["role"]).max().items():
        counts[role] = int(n)
    return counts


def _read_checked(path: Path, shown: str, columns, check, instrument, site_id):
    """(table or None, errors, warnings, data rows, sheet) for one file of a summary site."""
    try:
        raw = read_table(path, shown, columns)
    except ProblemsError as unreadable:
        return None, list(unreadable.problems), [], 0, None
    table, errors, warnings = check(raw, instrument, site_id)
    return table, errors, warnings, raw.n_rows, raw.sheet


def _in_file(problems: list[Problem], shown: str) -> tuple[Problem, ...]:
    return tuple(dataclasses.replace(problem, file=shown) for problem in problems)


def validate_summary_site(
    path: Path, items_path: Path | None, site: Mapping[str, str], instrument: Instrument
) -> tuple[ValidationReport, pd.DataFrame | None, pd.DataFrame | None]:
    """Check a summary-only site's summary (and its optional items file).

    Returns the report, the typed summary and the typed items (each ``None`` when the site
    is invalid; the items are an empty table when the site sent none).
    """
    site_id = site["site_id"]
    summary, errors, warnings, n_rows, sheet = _read_checked(
        path, site["file"], SUMMARY_COLUMNS, validate_summary, instrument, site_id
    )
    items = pd.DataFrame(columns=list(ITEMS_COLUMNS))
    if items_path is not None:
        shown = site["items_file"]
        items, item_errors, item_warnings, _, _ = _read_checked(
            items_path, shown, ITEMS_COLUMNS, validate_items, instrument, site_id
        )
        errors = [*errors, *_in_file(item_errors, shown)]
        warnings = [*warnings, *_in_file(item_warnings, shown)]
    report = ValidationReport(
        site_id=site_id,
        name=site["name"],
        format=site["format"],
        file=site["file"],
        sha256=sha256_file(path),
        n_rows=n_rows,
        participants=summary_participants(summary, instrument),
        errors=tuple(errors),
        warnings=tuple(warnings),
        sheet=sheet,
    )
    if errors:
        return report, None, None
    return report, summary, items


@dataclass(frozen=True)
class ValidatedSite:
    """A site's report and, when it is valid, its clean table (responses) or its own
    summary and items (summary-only sites)."""

    report: ValidationReport
    clean: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    items: pd.DataFrame | None = None


def validate(site: Mapping[str, str], instrument: Instrument) -> ValidatedSite:
    """Validate a registered site of either format. ``site`` holds the registry values
    (site_id, name, format, file, items_file)."""
    if site["format"] == SUMMARY:
        items = Path(site["items_file"]) if site.get("items_file") else None
        report, summary, item_table = validate_summary_site(
            Path(site["file"]), items, site, instrument
        )
        return ValidatedSite(report, summary=summary, items=item_table)
    report, clean = validate_site(Path(site["file"]), site, instrument)
    return ValidatedSite(report, clean=clean)
