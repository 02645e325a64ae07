"""Validate one site's participant-level responses and build its typed, clean table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from revmentor.core.instrument import SITE_COLUMN, Instrument
from revmentor.core.problems import Problem, shown_value
from revmentor.validation.clean import SOURCE_ROW
from revmentor.validation.normalise import normalise
from revmentor.validation.readers import RawTable
from revmentor.validation.schemas import (
    failure_problems,
    parse_score,
    passes_each,
    responses_schema,
)


def single_timepoint_warnings(
    frame: pd.DataFrame, instrument: Instrument, sheet: str | None
) -> list[Problem]:
    """Participants seen at one timepoint: counted, and later left out of paired analyses."""
    seen: dict[object, set[object]] = {}
    first_row: dict[object, int] = {}
    # Plain Python over the rows: a site's few dozen rows cost pandas' grouping far more.
    for row, participant, timepoint in zip(
        frame.index.tolist(),
        frame["participant_id"].tolist(),
        frame["timepoint"].tolist(),
        strict=True,
    ):
        if pd.isna(participant):
            continue
        seen.setdefault(participant, set()).add(timepoint)
        first_row.setdefault(participant, int(row))
    warnings = []
    for participant in sorted(seen):
        timepoints = seen[participant]
        missing = [tp for tp in instrument.timepoints if tp not in timepoints]
        if missing and len(missing) < len(instrument.timepoints):
            warnings.append(
                Problem(
                    first_row[participant],
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
    index = pd.RangeIndex(len(frame))

    def text(column: str) -> pd.Series:
        return pd.Series(frame[column].to_numpy(dtype=object), index=index, dtype=object)

    # Built in one go: adding the columns one at a time cost more than the checks. The
    # site id is typed as pandas types a text given for a whole column.
    columns: dict[str, object] = {SITE_COLUMN: pd.Series(site_id, index=index)}
    for column in ("participant_id", "role", "timepoint"):
        columns[column] = text(column)
    scores: dict[str, int | None] = {}  # a few distinct cells, each parsed once

    def score(cell: str) -> int | None:
        if cell not in scores:
            scores[cell] = parse_score(cell, low, high)
        return scores[cell]

    for domain in instrument.domain_ids:
        columns[domain] = nullable_integers(
            [None if cell is None else score(cell) for cell in frame[domain]]
        )
    for item in instrument.items:
        if item.id in frame.columns:
            columns[item.id] = (
                nullable_integers([None if v is None else int(v) for v in frame[item.id]])
                if item.is_binary
                else text(item.id)
            )
    for demographic in instrument.demographic_ids:
        if demographic in frame.columns:
            columns[demographic] = text(demographic)
    columns[SOURCE_ROW] = frame.index.to_numpy(dtype=np.int64)
    return pd.DataFrame(columns, index=index)


def nullable_integers(values: list[int | None]) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype="Int64")``, built straight from the values and their mask:
    pandas' own inference of the type was most of the cost of a short column."""
    missing = np.fromiter((value is None for value in values), dtype=bool, count=len(values))
    # Under the mask, 1, as pandas writes it there.
    data = np.fromiter((1 if v is None else v for v in values), dtype=np.int64, count=len(values))
    return pd.arrays.IntegerArray(data, missing)


def participants_by_role(frame: pd.DataFrame, instrument: Instrument) -> dict[str, int]:
    if "role" not in frame.columns or "participant_id" not in frame.columns:
        return {role: 0 for role in instrument.roles}
    ids: dict[str, set[object]] = {role: set() for role in instrument.roles}
    for role, participant in zip(
        frame["role"].tolist(), frame["participant_id"].tolist(), strict=True
    ):
        if role in ids and not pd.isna(participant):
            ids[role].add(participant)
    return {role: len(participants) for role, participants in ids.items()}


#: What the responses checks give: the clean table (``None`` when the site is invalid),
#: the errors, the warnings and the participants per role.
Checked = tuple[pd.DataFrame | None, list[Problem], list[Problem], dict[str, int]]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Deferred(Generic[T]):
    """A site's validation that waits for the verdict of the fast checks on its normalised
    table (:func:`passes_each`), which the tables of many sites get at once; ``finish``
    takes the verdict and does the rest."""

    site_id: str
    frame: pd.DataFrame
    finish: Callable[[bool], T]

    def then(self, after: Callable[[T], U]) -> Deferred[U]:
        return Deferred(self.site_id, self.frame, lambda passed: after(self.finish(passed)))


def and_then(started: T | Deferred[T], after: Callable[[T], U]) -> U | Deferred[U]:
    """``after`` of a result, at once or when its verdict comes."""
    return started.then(after) if isinstance(started, Deferred) else after(started)


def settled(started: T | Deferred[T], instrument: Instrument) -> T:
    """The result, its table checked on its own if it waits for a verdict."""
    if not isinstance(started, Deferred):
        return started
    return started.finish(passes_each(instrument, [(started.site_id, started.frame)])[0])


def check_responses(raw: RawTable, instrument: Instrument, site_id: str) -> Deferred[Checked]:
    """Check a raw table (:data:`Checked`), once the fast checks' verdict on it is known."""
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

    def finish(passed: bool) -> Checked:
        errors: list[Problem] = []
        if not passed:
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
        found = [*warnings, *single_timepoint_warnings(tidy.frame, instrument, raw.sheet)]
        return clean_table(tidy.frame, instrument, site_id), errors, found, participants

    return Deferred(site_id, tidy.frame, finish)
