"""What a site's data manager runs on one file before sending it (``revmentor check``): the
checks the workflow makes of a registered site's file, with no workflow, no registry entry
and no other site, giving the report the workflow would write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.instrument import SITE_COLUMN, Instrument
from revmentor.core.problems import ProblemsError
from revmentor.core.redcap import DAG_COLUMN, EVENT_COLUMN
from revmentor.validation.readers import ReadLimits, read_table
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import REDCAP, RESPONSES, SUMMARY, validate

FORMATS = (RESPONSES, REDCAP, SUMMARY)
#: The site id a report carries when neither --site nor the file gives one.
NO_SITE_ID = "site_not_given"


@dataclass(frozen=True)
class FileCheck:
    """The report, and how the format and the site id were chosen (for the person)."""

    report: ValidationReport
    data_format: str
    site_id: str
    notes: tuple[str, ...] = ()


def guess_format(header: list[str]) -> str:
    """A REDCap export names REDCap's event column; a summary has the pairs' count."""
    names = {name.strip().lower() for name in header}
    if EVENT_COLUMN in names:
        return REDCAP
    if {"outcome", "n_pairs"} <= names:
        return SUMMARY
    return RESPONSES


def check_file(
    path: Path,
    instrument: Instrument,
    *,
    site_id: str | None = None,
    data_format: str | None = None,
    items_path: Path | None = None,
    limits: ReadLimits,
    redcap: Mapping[str, Any],
    disclosure: DisclosurePolicy,
) -> FileCheck:
    """Validate ``path`` as a registered site's file is validated.

    Without ``data_format`` the format is read from the header; without ``site_id`` the
    site is the one the file names most often (its ``site_id`` column, or a REDCap export's
    data access group, which is then the group the export is checked against)."""
    notes: list[str] = []
    header, named = _header_and_site(path, limits)
    if data_format is None:
        data_format = guess_format(header)
        notes.append(f"format: {data_format}, from the file's columns (choose with --format)")
    group = ""
    if site_id is None:
        column = DAG_COLUMN if data_format == REDCAP else SITE_COLUMN
        site_id = named.get(column) or NO_SITE_ID
        if data_format == REDCAP:
            group = named.get(column, "")
        source = (
            f"the most frequent value of its {column} column"
            if column in named
            else "not given, and the file names none"
        )
        notes.append(
            f"site: {site_id} ({source}); give --site with your registered id to check "
            "the file against it"
        )
    site = {
        "site_id": site_id,
        "name": site_id,
        "format": data_format,
        "file": str(path),
        "items_file": str(items_path) if items_path else "",
        **({"redcap_group": group} if group else {}),
    }
    checked = validate(site, instrument, limits, redcap, disclosure)
    return FileCheck(checked.report, data_format, site_id, tuple(notes))


def _header_and_site(path: Path, limits: ReadLimits) -> tuple[list[str], dict[str, str]]:
    """The file's header, and per site-naming column the value it holds most often; an
    unreadable file gives neither (its report then says why)."""
    try:
        raw = read_table(path, str(path), (), limits)
    except ProblemsError:
        return [], {}
    header = [name.strip() for name in raw.header]
    named = {}
    for column in (SITE_COLUMN, DAG_COLUMN):
        if column not in header:
            continue
        position = header.index(column)
        values = Counter(
            cells[position].strip()
            for _, cells in raw.rows
            if cells[position] is not None and cells[position].strip()
        )
        if values:
            named[column] = values.most_common(1)[0][0]
    return header, named
