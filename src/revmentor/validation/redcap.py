"""Turn a REDCap flat CSV export (raw values) into the raw table the responses checks read.

A ``format: redcap`` site's export has one row per record and event. This module checks
what is REDCap's own (the record id, the event, the data access group, the form's
completion status, checkbox and repeating-instrument columns), decodes the raw codes with
the tables the data dictionary was written from (:mod:`revmentor.core.redcap`), and hands
a responses-shaped :class:`RawTable`, with the export's own row numbers, to the one
validation path every format shares. Problems found there are named back in REDCap's
terms: ``timepoint`` as ``redcap_event_name``, ``participant_id`` as the record id field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from revmentor.core.excel_dates import cell_date, likely_bands
from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem, shown_value
from revmentor.core.redcap import (
    COMPLETE_CODES,
    COMPLETE_COLUMN,
    DAG_COLUMN,
    EVENT_COLUMN,
    RECORD_ID,
    REPEAT_COLUMNS,
    dropdowns,
    event_timepoints,
)
from revmentor.validation.readers import RawTable

#: Names REDCap gives the record id: ours, and REDCap's own default.
RECORD_ID_NAMES = (RECORD_ID, "record_id")
CHECKBOX = re.compile(r"^(?P<field>[a-z][a-z0-9_]*?)___(?P<code>[A-Za-z0-9_-]+)$")
COMPLETE = "2"


@dataclass(frozen=True)
class Translated:
    """The responses-shaped table, what was found on the way, and how to name a responses
    column in the export's terms."""

    table: RawTable | None
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    field_names: Mapping[str, str]


def export_columns(instrument: Instrument) -> tuple[str, ...]:
    """The columns an export of the dictionary's project holds (to tell its delimiter)."""
    return (
        RECORD_ID,
        EVENT_COLUMN,
        DAG_COLUMN,
        "role",
        *instrument.domain_ids,
        *instrument.item_ids,
        *instrument.demographic_ids,
        COMPLETE_COLUMN,
    )


def dag_names(site_id: str, group: str = "") -> tuple[str, ...]:
    """The data access groups a site's records may carry: the registry's ``redcap_group``
    of the site, else the site id as REDCap writes a unique group name (lower case, ``_``
    for anything but letters and digits)."""
    if group:
        return (group,)
    return tuple(dict.fromkeys((site_id, re.sub(r"[^a-z0-9]", "_", site_id.lower()))))


def translate_export(
    raw: RawTable,
    instrument: Instrument,
    site_id: str,
    redcap: Mapping[str, Any],
    group: str = "",
) -> Translated:
    """Check REDCap's own columns and decode the export into a responses-shaped table.

    ``table`` is ``None`` when the export cannot be read as this project's export at all
    (no record id or event column, repeating instruments). ``group`` is the registry's
    ``redcap_group`` of the site (empty: the site id as a group name)."""
    header = list(raw.header)
    record_id = header[0] if header and header[0] in RECORD_ID_NAMES else None
    whole_file = _whole_file_problems(raw, header, record_id)
    names = {"participant_id": record_id or RECORD_ID, "timepoint": EVENT_COLUMN}
    if whole_file or record_id is None:
        return Translated(None, tuple(whole_file), (), names)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    events = event_timepoints(redcap)
    coded = dropdowns(instrument)
    dags = dag_names(site_id, group)
    checkboxes = [name for name in header if CHECKBOX.match(name)]
    for name in dict.fromkeys(CHECKBOX.match(name)["field"] for name in checkboxes):
        columns = ", ".join(c for c in checkboxes if c.startswith(f"{name}___"))
        warnings.append(
            Problem(
                None,
                name,
                "redcap_checkbox_field",
                f"'{name}' is a REDCap checkbox field ({columns}), which the revmentor data "
                "dictionary does not have; it is left out. Build the project from "
                "'revmentor redcap-dictionary'",
                name,
            )
        )
    # A form's status column; a field of the instrument may end so and stays a field.
    fields = set(instrument.known_columns())
    complete_columns = [n for n in header if n.endswith("_complete") and n not in fields]
    dropped = {DAG_COLUMN, *REPEAT_COLUMNS, *complete_columns, *checkboxes}
    kept = [name for name in header if name not in dropped]
    renamed = tuple(
        "participant_id" if name == record_id else "timepoint" if name == EVENT_COLUMN else name
        for name in kept
    )
    rows = []
    incomplete = 0
    for number, cells in raw.rows:
        cell = dict(zip(header, cells, strict=True))
        errors += _dag_problems(number, cell.get(DAG_COLUMN), dags, site_id)
        row_incomplete = False
        for column in complete_columns:
            problem = _complete_problem(number, column, cell[column])
            if problem is None:
                continue
            if problem.check == "redcap_form_incomplete":
                row_incomplete = True
                warnings.append(problem)
            else:
                errors.append(problem)
        incomplete += row_incomplete
        decoded: list[str | None] = []
        for name in kept:
            value = cell[name]
            if name == EVENT_COLUMN:
                value, problem = _timepoint(number, value, events)
            elif name in coded and value is not None:
                value, problem = _level(number, name, value, coded[name])
            else:
                problem = None
            if problem is not None:
                errors.append(problem)
            decoded.append(value)
        rows.append((number, tuple(decoded)))
    if incomplete:
        warnings.append(
            Problem(
                None,
                complete_columns[0] if len(complete_columns) == 1 else None,
                "redcap_forms_incomplete",
                f"{incomplete} of {raw.n_rows} rows have a form that is not marked Complete "
                "(0 Incomplete or 1 Unverified); their answers are used as entered. Check "
                "them in REDCap and mark them Complete, then export again",
                str(incomplete),
            )
        )
    table = dataclasses.replace(raw, header=renamed, rows=tuple(rows))
    return Translated(table, tuple(errors), tuple(warnings), names)


def _whole_file_problems(
    raw: RawTable, header: Sequence[str], record_id: str | None
) -> list[Problem]:
    problems = []
    if record_id is None:
        first = header[0] if header else "(none)"
        problems.append(
            Problem(
                None,
                first,
                "redcap_record_id",
                f"the export's first column is '{first}', not the record id: a REDCap export "
                f"starts with the record id field ({' or '.join(RECORD_ID_NAMES)}). Export the "
                "records as 'CSV / Microsoft Excel (raw data)' from a project built with "
                "'revmentor redcap-dictionary'",
                shown_value(first),
            )
        )
    if EVENT_COLUMN not in header:
        problems.append(
            Problem(
                None,
                EVENT_COLUMN,
                "redcap_event_column",
                f"the export has no '{EVENT_COLUMN}' column: the project must be longitudinal, "
                "with one event per timepoint (README, 'Collect in REDCap'), and the export "
                "must include every event",
            )
        )
    for column in REPEAT_COLUMNS:
        if column not in header:
            continue
        index = header.index(column)
        used = next(((n, cells[index]) for n, cells in raw.rows if cells[index]), None)
        if used is not None:
            problems.append(
                Problem(
                    used[0],
                    column,
                    "redcap_repeating_instrument",
                    f"this row is a repeated instance ('{used[1]}'): revmentor reads one form per "
                    "participant and event, and repeating instruments or events are not "
                    "supported. Turn repeating off for the form (Project Setup > Repeating "
                    "instruments and events) and keep one instance per event",
                    shown_value(used[1]),
                )
            )
            break
    return problems


def _dag_problems(
    number: int, value: str | None, dags: Sequence[str], site_id: str
) -> list[Problem]:
    if value is None or value in dags:
        return []
    return [
        Problem(
            number,
            DAG_COLUMN,
            "redcap_data_access_group",
            f"the record is in data access group '{value}', not this site's "
            f"({' or '.join(repr(dag) for dag in dags)}): export only site '{site_id}''s "
            "records, or give the site its group in the registry's redcap_group column",
            shown_value(value),
        )
    ]


def _complete_problem(number: int, column: str, value: str | None) -> Problem | None:
    if value == COMPLETE:
        return None
    form = column.removesuffix("_complete")
    if value in (None, "0", "1"):
        status = COMPLETE_CODES.get(value or "0")
        return Problem(
            number,
            column,
            "redcap_form_incomplete",
            f"form '{form}' is marked {status} ({value or '0'}), not Complete (2); its "
            "answers are used as entered",
            value,
        )
    return Problem(
        number,
        column,
        "redcap_complete_code",
        f"'{value}' is not a form status: REDCap writes 0 (Incomplete), 1 (Unverified) or "
        "2 (Complete). Export raw data, not labels",
        shown_value(value),
    )


def _timepoint(
    number: int, value: str | None, events: Mapping[str, str]
) -> tuple[str | None, Problem | None]:
    if value is not None and value in events:
        return events[value], None
    mapped = ", ".join(f"{event} = {timepoint}" for event, timepoint in events.items())
    if value is None:
        message = f"the row has no event; every row must be one of the events ({mapped})"
    else:
        message = (
            f"event '{value}' is not mapped to a timepoint (redcap.events in config.yaml: "
            f"{mapped}); export only those events, or map this one there"
        )
    return value, Problem(number, EVENT_COLUMN, "redcap_event", message, shown_value(value))


def _level(
    number: int, field: str, value: str, codes: Mapping[str, str]
) -> tuple[str, Problem | None]:
    stripped = value.strip()
    if stripped in codes:
        return codes[stripped], None
    listed = ", ".join(f"{code} = {label}" for code, label in codes.items())
    date = cell_date(stripped)
    bands = likely_bands(date, tuple(codes.values())) if date is not None else ()
    if bands:
        # A label export opened and saved in Excel: the band label became a date.
        hint = (
            f"it is a date, most likely the label '{bands[0]}' that Excel turned into a date "
            "when the export was opened in it: export 'raw data', not labels, and send the "
            "export as REDCap wrote it"
        )
    elif stripped in codes.values():
        hint = "this is a label: export 'raw data', not labels"
    else:
        hint = "check the project was built from 'revmentor redcap-dictionary' for this config"
    return value, Problem(
        number,
        field,
        "redcap_code",
        f"'{value}' is not a code of field '{field}' ({listed}); {hint}",
        shown_value(value),
    )


def in_export_terms(
    problems: Sequence[Problem], names: Mapping[str, str], already: Sequence[Problem] = ()
) -> list[Problem]:
    """Problems of the responses checks named as the export names them; a cell the REDCap
    checks already reported is not reported twice, and on a row whose event is not known,
    neither are the checks that need its timepoint (they would only echo that error)."""
    seen = {(problem.row, problem.column) for problem in already if problem.row is not None}
    no_event = {problem.row for problem in already if problem.column == EVENT_COLUMN}
    renamed = []
    for problem in problems:
        column = names.get(problem.column or "", problem.column)
        if (problem.row, column) in seen:
            continue
        if problem.row in no_event and _needs_timepoint(problem.check):
            continue
        message = problem.message
        for ours, theirs in names.items():
            message = message.replace(f"'{ours}'", f"'{theirs}'")
        renamed.append(dataclasses.replace(problem, column=column, message=message))
    return renamed


def _needs_timepoint(check: str) -> bool:
    return "_only_at_" in check or check == "unique_participant_timepoint"
