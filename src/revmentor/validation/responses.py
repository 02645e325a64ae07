"""Validate one site's participant-level responses and build its typed, clean table."""

from __future__ import annotations

import pandas as pd

from revmentor.core.instrument import SITE_COLUMN, Instrument
from revmentor.core.problems import Problem, shown_value
from revmentor.validation.clean import SOURCE_ROW
from revmentor.validation.normalise import normalise
from revmentor.validation.readers import RawTable
from revmentor.validation.schemas import (
    failure_problems,
    parse_score,
    responses_checks,
    responses_schema,
)


def single_timepoint_warnings(
    frame: pd.DataFrame, instrument: Instrument, sheet: str | None
) -> list[Problem]:
    """Participants seen at one timepoint: counted, and later left out of paired analyses."""
    seen = frame.groupby("participant_id", sort=True)["timepoint"].agg(lambda s: set(s))
    warnings = []
    for participant, timepoints in seen.items():
        missing = [tp for tp in instrument.timepoints if tp not in timepoints]
        if missing and len(missing) < len(instrument.timepoints):
            row = int(frame.index[frame["participant_id"] == participant][0])
            warnings.append(
                Problem(
                    row,
                    "participant_id",
                    "both_timepoints",
                    f"participant '{participant}' has no '{missing[0]}' row; they are counted "
                    "and left out of paired analyses",
                    shown_value(participant),
                    sheet,
                )
            )
    return warnings


UNIQUE_ROW = "unique_participant_timepoint"


def copies_named(
    errors: list[Problem], raw: pd.DataFrame, frame: pd.DataFrame, sheet: str | None
) -> list[Problem]:
    """Duplicated rows, reported as copies where every cell of the row is the same.

    A row that repeats an earlier one cell for cell (spaces around a cell aside: they do
    not show) is a copy to delete, and the message says so on the copy alone; rows of one
    participant and timepoint that differ keep the message that they conflict.
    """
    flagged = sorted({p.row for p in errors if p.check == UNIQUE_ROW and p.row is not None})
    if not flagged:
        return errors
    groups: dict[tuple[object, object], list[int]] = {}
    for row in flagged:
        key = (frame.at[row, "participant_id"], frame.at[row, "timepoint"])
        groups.setdefault(key, []).append(row)
    replaced: dict[int, Problem | None] = {}
    for (participant, _), rows in groups.items():
        first_of: dict[tuple[str, ...], int] = {}
        for row in rows:
            cells = tuple((cell or "").strip() for cell in raw.loc[row])
            first = first_of.setdefault(cells, row)
            if first == row:
                continue
            replaced[row] = Problem(
                row,
                "participant_id",
                UNIQUE_ROW,
                f"rows {first} and {row} are identical (participant '{participant}', every "
                f"cell the same): row {row} is a copy of row {first}; delete row {row}",
                shown_value(participant),
                sheet,
            )
        if len(first_of) == 1:
            replaced[rows[0]] = None  # the original of its copies conflicts with no row
    kept = []
    for problem in errors:
        if problem.check != UNIQUE_ROW or problem.row not in replaced:
            kept.append(problem)
        elif (copy := replaced[problem.row]) is not None:
            kept.append(copy)
    return kept


def clean_table(frame: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    """The typed table downstream rules read: scores as nullable integers, labels as text."""
    low, high = instrument.scale_min, instrument.scale_max
    clean = pd.DataFrame(index=frame.index)
    clean[SITE_COLUMN] = site_id
    for column in ("participant_id", "role", "timepoint"):
        clean[column] = frame[column].astype(object)
    for domain in instrument.domain_ids:
        scores = [None if cell is None else parse_score(cell, low, high) for cell in frame[domain]]
        clean[domain] = pd.array(scores, dtype="Int64")
    for item in instrument.items:
        if item.id in frame.columns:
            values = frame[item.id]
            clean[item.id] = (
                pd.array([None if v is None else int(v) for v in values], dtype="Int64")
                if item.is_binary
                else values.astype(object)
            )
    for demographic in instrument.demographic_ids:
        if demographic in frame.columns:
            clean[demographic] = frame[demographic].astype(object)
    clean[SOURCE_ROW] = frame.index.astype(int)
    return clean.reset_index(drop=True)


def participants_by_role(frame: pd.DataFrame, instrument: Instrument) -> dict[str, int]:
    if "role" not in frame.columns or "participant_id" not in frame.columns:
        return {role: 0 for role in instrument.roles}
    known = frame[frame["role"].isin(instrument.roles)]
    counts = known.groupby("role")["participant_id"].nunique()
    return {role: int(counts.get(role, 0)) for role in instrument.roles}


def validate_responses(
    raw: RawTable, instrument: Instrument, site_id: str
) -> tuple[pd.DataFrame | None, list[Problem], list[Problem], dict[str, int]]:
    """Check a raw table; return (clean table or None, errors, warnings, participants)."""
    number_columns = {*instrument.domain_ids, *(i.id for i in instrument.items if i.is_binary)}
    as_read = raw.to_frame()
    tidy = normalise(
        as_read,
        instrument,
        raw.sheet,
        # As normalise names the columns: 'Clinical_Practice ' is clinical_practice.
        text_numbers=[
            (row, name.strip().lower())
            for name, rows in raw.text_numbers.items()
            if name.strip().lower() in number_columns
            for row in rows
        ],
    )
    warnings = [*raw.warnings, *tidy.warnings]
    checks = responses_checks(instrument, site_id)
    errors: list[Problem] = []
    if not checks.passes(tidy.frame):
        import pandera.pandas as pa  # only a table that fails needs pandera's failure cases

        spec = responses_schema(instrument, site_id)
        try:
            spec.schema.validate(tidy.frame, lazy=True)
        except pa.errors.SchemaErrors as failure:
            errors = failure_problems(failure.failure_cases, tidy.frame, spec, raw.sheet)
            errors = copies_named(errors, as_read, tidy.frame, raw.sheet)
    participants = participants_by_role(tidy.frame, instrument)
    if errors:
        return None, errors, warnings, participants
    warnings += single_timepoint_warnings(tidy.frame, instrument, raw.sheet)
    return clean_table(tidy.frame, instrument, site_id), errors, warnings, participants
