"""Validate one registered site's file, whatever its format, into a report and a clean table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from revmentor.core.hashing import sha256_file
from revmentor.core.instrument import Instrument
from revmentor.core.problems import ProblemsError
from revmentor.core.tables import csv_text
from revmentor.validation.readers import read_table
from revmentor.validation.report import ValidationReport
from revmentor.validation.responses import SOURCE_ROW, validate_responses

RESPONSES = "responses"


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


def clean_columns(instrument: Instrument) -> list[str]:
    return [*instrument.known_columns(), SOURCE_ROW]


def clean_csv(clean: pd.DataFrame | None, instrument: Instrument) -> str:
    """The clean table as CSV; an invalid site gets the header alone, so no row is used."""
    if clean is None:
        return ",".join(clean_columns(instrument)) + "\n"
    return csv_text(clean)
