"""Validate one registered site's file, whatever its format, into a report and a clean table."""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from revmentor.core.disclosure import DEFAULT_POLICY, DisclosurePolicy
from revmentor.core.hashing import sha256_file
from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.core.redcap import DEFAULT_REDCAP
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.validation.readers import DEFAULT_LIMITS, ReadLimits, read_table
from revmentor.validation.redcap import export_columns, in_export_terms, translate_export
from revmentor.validation.report import ValidationReport
from revmentor.validation.responses import (
    Checked,
    Deferred,
    and_then,
    check_responses,
    settled,
)
from revmentor.validation.schemas import passes_each

T = TypeVar("T")

RESPONSES = "responses"
SUMMARY = "summary"
REDCAP = "redcap"


def validate_site(
    path: Path,
    site: Mapping[str, str],
    instrument: Instrument,
    limits: ReadLimits = DEFAULT_LIMITS,
    redcap: Mapping[str, Any] = DEFAULT_REDCAP,
) -> tuple[ValidationReport, pd.DataFrame | None]:
    """Read and check a site's file; the clean table is ``None`` when the site is invalid.

    ``site`` holds the registry values (site_id, name, format, file). A REDCap export
    (``format: redcap``) is first turned into the responses table, then checked the same
    way; ``redcap`` is config.yaml's ``redcap`` block.
    """
    return settled(start_site(path, site, instrument, limits, redcap), instrument)


SiteResult = tuple[ValidationReport, pd.DataFrame | None]


def start_site(
    path: Path,
    site: Mapping[str, str],
    instrument: Instrument,
    limits: ReadLimits = DEFAULT_LIMITS,
    redcap: Mapping[str, Any] = DEFAULT_REDCAP,
) -> SiteResult | Deferred[SiteResult]:
    """:func:`validate_site`, waiting for the fast checks' verdict where the file was read."""
    if site["format"] not in (RESPONSES, REDCAP):
        raise ValueError(f"format {site['format']!r} is validated elsewhere")
    analysed = sha256_file(path)
    report_fields = {
        "site_id": site["site_id"],
        "name": site["name"],
        "format": site["format"],
        "file": site["file"],
        "sha256": analysed,
    }
    is_redcap = site["format"] == REDCAP
    known = export_columns(instrument) if is_redcap else instrument.known_columns()
    empty = {role: 0 for role in instrument.roles}
    try:
        raw = read_table(path, site["file"], known, limits)
        check_unchanged_while_read(path, site["file"], analysed)
    except ProblemsError as unreadable:
        return ValidationReport(
            **report_fields, n_rows=0, participants=empty, errors=tuple(unreadable.problems)
        ), None

    def reported(checked: Checked) -> SiteResult:
        clean, errors, warnings, participants = checked
        report = ValidationReport(
            **report_fields,
            n_rows=raw.n_rows,
            participants=participants,
            errors=tuple(errors),
            warnings=tuple(warnings),
            sheet=raw.sheet,
        )
        return report, clean

    if is_redcap:
        return and_then(
            _check_export(raw, instrument, site["site_id"], redcap, site.get("redcap_group", "")),
            reported,
        )
    return check_responses(raw, instrument, site["site_id"]).then(reported)


def _check_export(
    raw, instrument: Instrument, site_id: str, redcap: Mapping[str, Any], group: str
) -> Checked | Deferred[Checked]:
    """A REDCap export through the responses checks, every problem in REDCap's terms."""
    translated = translate_export(raw, instrument, site_id, redcap, group)
    own_errors, own_warnings = list(translated.errors), list(translated.warnings)
    if translated.table is None:
        return None, own_errors, own_warnings, {role: 0 for role in instrument.roles}

    def in_redcap_terms(checked: Checked) -> Checked:
        clean, errors, warnings, participants = checked
        errors = own_errors + in_export_terms(errors, translated.field_names, own_errors)
        warnings = own_warnings + in_export_terms(warnings, translated.field_names)
        return (None if errors else clean), errors, warnings, participants

    return check_responses(translated.table, instrument, site_id).then(in_redcap_terms)


def summary_participants(summary: pd.DataFrame | None, instrument: Instrument) -> dict[str, int]:
    """For a summary site: per role, the most participants any outcome accounts for."""
    counts = {role: 0 for role in instrument.roles}
    if summary is None:
        return counts
    accounted = summary["n_pairs"].fillna(0) + summary["n_excluded"].fillna(0)
    for role, n in accounted.groupby(summary["role"]).max().items():
        counts[role] = int(n)
    return counts


def check_unchanged_while_read(path: Path, shown: str, analysed: str) -> None:
    """The report's SHA-256 names the bytes that were analysed (the audit manifest records
    it): a file written to while it was read has no such hash, so it is refused."""
    if sha256_file(path) != analysed:
        message = (
            "the file changed while it was being read (it was being saved or copied "
            "during the run); let the copy finish, then run the workflow again"
        )
        raise ProblemsError(
            f"{shown}: {message}", [Problem(None, None, "changed_while_read", message)]
        )


def _read_checked(
    path: Path, shown: str, analysed: str, columns, check, instrument, site_id, limits
):
    """(table or None, errors, warnings, data rows, sheet) for one file of a summary site."""
    try:
        raw = read_table(path, shown, columns, limits)
        check_unchanged_while_read(path, shown, analysed)
    except ProblemsError as unreadable:
        return None, list(unreadable.problems), [], 0, None
    table, errors, warnings = check(raw, instrument, site_id)
    return table, errors, warnings, raw.n_rows, raw.sheet


def _in_file(problems: list[Problem], shown: str) -> tuple[Problem, ...]:
    return tuple(dataclasses.replace(problem, file=shown) for problem in problems)


def validate_summary_site(
    path: Path,
    items_path: Path | None,
    site: Mapping[str, str],
    instrument: Instrument,
    limits: ReadLimits = DEFAULT_LIMITS,
    disclosure: DisclosurePolicy = DEFAULT_POLICY,
) -> tuple[ValidationReport, pd.DataFrame | None, pd.DataFrame | None]:
    """Check a summary-only site's summary (and its optional items file).

    Returns the report, the typed summary and the typed items (each ``None`` when the site
    is invalid; the items are an empty table when the site sent none).
    """
    # Imported here: their checks need pandera, which a responses site's job only imports
    # when its table fails.
    from revmentor.validation.site_items import validate_items
    from revmentor.validation.summary import validate_summary

    site_id = site["site_id"]
    analysed = sha256_file(path)
    summary, errors, warnings, n_rows, sheet = _read_checked(
        path,
        site["file"],
        analysed,
        SUMMARY_COLUMNS,
        partial(validate_summary, policy=disclosure),
        instrument,
        site_id,
        limits,
    )
    items = pd.DataFrame(columns=list(ITEMS_COLUMNS))
    items_analysed = None
    if items_path is not None:
        shown = site["items_file"]
        items_analysed = sha256_file(items_path)
        items, item_errors, item_warnings, _, _ = _read_checked(
            items_path,
            shown,
            items_analysed,
            ITEMS_COLUMNS,
            partial(validate_items, policy=disclosure),
            instrument,
            site_id,
            limits,
        )
        errors = [*errors, *_in_file(item_errors, shown)]
        warnings = [*warnings, *_in_file(item_warnings, shown)]
    report = ValidationReport(
        site_id=site_id,
        name=site["name"],
        format=site["format"],
        file=site["file"],
        sha256=analysed,
        n_rows=n_rows,
        participants=summary_participants(summary, instrument),
        errors=tuple(errors),
        warnings=tuple(warnings),
        sheet=sheet,
        items_file=site["items_file"] if items_path is not None else None,
        items_sha256=items_analysed,
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
    #: Where validation broke off, for the log (no cell values): set only when the checks
    #: themselves failed, and the report then says so.
    fault: str | None = None


def validate(
    site: Mapping[str, str],
    instrument: Instrument,
    limits: ReadLimits = DEFAULT_LIMITS,
    redcap: Mapping[str, Any] = DEFAULT_REDCAP,
    disclosure: DisclosurePolicy = DEFAULT_POLICY,
) -> ValidatedSite:
    """Validate a registered site of either format. ``site`` holds the registry values
    (site_id, name, format, file, items_file).

    Whatever is wrong with the site's file, the result is the site's own report: a failure
    that no check foresaw becomes a whole-file error (check ``validation_failed``) instead
    of an exception, so that one site's file never stops the other sites of its shard.
    """
    (checked,) = validate_each([site], instrument, limits, redcap, disclosure)
    return checked


#: How many data rows of consecutive sites wait to be checked together: enough that the
#: checks' cost per call is shared by a few hundred sites of usual size, few enough that
#: the waiting tables take little memory.
BATCH_ROWS = 20_000


def validate_each(
    sites: Iterable[Mapping[str, str]],
    instrument: Instrument,
    limits: ReadLimits = DEFAULT_LIMITS,
    redcap: Mapping[str, Any] = DEFAULT_REDCAP,
    disclosure: DisclosurePolicy = DEFAULT_POLICY,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[ValidatedSite]:
    """:func:`validate` of each site, in order, as a shard's job validates them.

    The responses tables of consecutive sites (up to ``batch_rows`` rows) get the fast
    checks together (:func:`passes_each`), and each site the verdict, so the report, it
    would get alone.
    """
    waiting: list[tuple[Mapping[str, str], ValidatedSite | Deferred[ValidatedSite]]] = []
    rows = 0
    for site in sites:
        started = _guarded(
            site, instrument, partial(_start, site, instrument, limits, redcap, disclosure)
        )
        waiting.append((site, started))
        if isinstance(started, Deferred):
            rows += len(started.frame)
        if rows >= batch_rows:
            yield from _finished(waiting, instrument)
            waiting, rows = [], 0
    yield from _finished(waiting, instrument)


def _finished(
    waiting: list[tuple[Mapping[str, str], ValidatedSite | Deferred[ValidatedSite]]],
    instrument: Instrument,
) -> Iterator[ValidatedSite]:
    deferred = [started for _, started in waiting if isinstance(started, Deferred)]
    verdicts = iter(_verdicts(instrument, deferred) if deferred else ())
    for site, started in waiting:
        if isinstance(started, Deferred):
            started = _guarded(site, instrument, partial(started.finish, next(verdicts)))
        yield started


def _verdicts(instrument: Instrument, deferred: list[Deferred[ValidatedSite]]) -> list[bool]:
    try:
        return passes_each(instrument, [(d.site_id, d.frame) for d in deferred])
    except Exception:  # the fast checks only spare pandera, which then checks each site
        return [False] * len(deferred)


def _guarded(
    site: Mapping[str, str], instrument: Instrument, step: Callable[[], T]
) -> T | ValidatedSite:
    """The step's result, or the site's report of why it failed."""
    try:
        return step()
    except ProblemsError as problems:
        return ValidatedSite(_whole_file_report(site, instrument, problems.problems))
    except Exception as failure:  # any failure belongs in the site's report
        # The reason doubles as the value, so that a log line withholds it: a library's
        # message may quote a cell.
        reason = _failure_reason(failure)
        problem = Problem(
            None, None, VALIDATION_FAILED, _failure_message(failure), shown_value(reason)
        )
        return ValidatedSite(
            _whole_file_report(site, instrument, [problem]), fault=_fault_location(failure)
        )


VALIDATION_FAILED = "validation_failed"
MAX_REASON_CHARS = 300


def _failure_reason(failure: Exception) -> str:
    return " ".join(str(failure).split())[:MAX_REASON_CHARS] or "no reason given"


def _failure_message(failure: Exception) -> str:
    reason = _failure_reason(failure)
    return (
        f"the file could not be checked ({type(failure).__name__}: {reason}); check that it "
        "opens in a spreadsheet and follows the template, and if it does, send this report "
        "to the coordinating centre"
    )


def _fault_location(failure: Exception) -> str:
    """The exception's type and innermost frame: enough to find the fault, and no value
    from the file (logs leave the coordinating centre's control less carefully)."""
    frames = traceback.extract_tb(failure.__traceback__)
    if not frames:
        return type(failure).__name__
    last = frames[-1]
    return f"{type(failure).__name__} at {Path(last.filename).name}:{last.lineno} in {last.name}"


def _whole_file_report(
    site: Mapping[str, str], instrument: Instrument, problems: list[Problem]
) -> ValidationReport:
    try:
        digest = sha256_file(Path(site["file"]))
    except OSError:
        digest = ""  # nothing was analysed, and the file cannot be hashed either
    return ValidationReport(
        site_id=site["site_id"],
        name=site["name"],
        format=site["format"],
        file=site["file"],
        sha256=digest,
        n_rows=0,
        participants={role: 0 for role in instrument.roles},
        errors=tuple(problems),
    )


def _start(
    site: Mapping[str, str],
    instrument: Instrument,
    limits: ReadLimits,
    redcap: Mapping[str, Any],
    disclosure: DisclosurePolicy = DEFAULT_POLICY,
) -> ValidatedSite | Deferred[ValidatedSite]:
    if site["format"] == SUMMARY:
        items = Path(site["items_file"]) if site.get("items_file") else None
        report, summary, item_table = validate_summary_site(
            Path(site["file"]), items, site, instrument, limits, disclosure
        )
        return ValidatedSite(report, summary=summary, items=item_table)
    return and_then(
        start_site(Path(site["file"]), site, instrument, limits, redcap),
        lambda checked: ValidatedSite(checked[0], clean=checked[1]),
    )
