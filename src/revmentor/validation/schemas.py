"""The pandera schema of the responses format, built from the instrument.

Cells arrive as trimmed text (``None`` for missing) with the spreadsheet row number as
the index, so that every failure case pandera reports maps straight back to a cell a
data manager can find. Each check carries a stable name (the ``check`` field of reports)
and a sentence that explains it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from revmentor.core.excel_dates import cell_date, date_reason, likely_bands
from revmentor.core.instrument import SITE_COLUMN, Instrument
from revmentor.core.numbers import whole_number, why_not_a_number
from revmentor.core.problems import Problem, shown_value

Describe = Callable[[object, pd.Series | None], str]


@dataclass(frozen=True)
class Rule:
    """A named check; ``column`` is where a frame-wide check reports its failures."""

    name: str
    describe: Describe
    column: str | None = None


@dataclass(frozen=True)
class SchemaSpec:
    """A pandera schema and the words that explain each of its checks."""

    schema: pa.DataFrameSchema
    rules: dict[str, Rule]


def parse_score(text: object, low: int, high: int) -> int | None:
    """The integer a score cell holds, or ``None`` when it is not a whole number in range."""
    number = whole_number(text)
    if number is None or not low <= number <= high:
        return None
    return number


def score_message(value: object, low: int, high: int) -> str:
    """Why a score cell was refused, with the true reason when it only looks like a number."""
    reason = why_not_a_number(value)
    if reason is not None:
        return f"'{value}' is not a whole number from {low} to {high}: {reason}"
    return (
        f"'{value}' is not a whole number from {low} to {high} "
        "(leave the cell empty or write NA when a score is missing)"
    )


def _listing(levels: tuple[str, ...]) -> str:
    return ", ".join(f"'{level}'" for level in levels)


def _column_rules(instrument: Instrument, site_id: str) -> dict[str, Rule]:
    low, high = instrument.scale_min, instrument.scale_max
    rules = [
        Rule(
            "allowed_role",
            lambda v, _: f"'{v}' is not a role; allowed: {_listing(instrument.roles)}",
        ),
        Rule(
            "allowed_timepoint",
            lambda v, _: f"'{v}' is not a timepoint; allowed: {_listing(instrument.timepoints)}",
        ),
        Rule("score_in_scale", lambda v, _: score_message(v, low, high)),
        Rule(
            "site_id_matches",
            lambda v, _: f"site_id '{v}' is not this site's id '{site_id}' in the registry",
        ),
        Rule("binary_item_value", lambda v, _: binary_message(v)),
    ]
    return {rule.name: rule for rule in rules}


def binary_message(value: object) -> str:
    """Why a binary item's cell was refused, saying so when the cell holds a date."""
    dated = date_reason(value)
    return f"'{value}' is not 0 (no) or 1 (yes)" + (f": {dated}" if dated else "")


def level_message(value: object, column: str, levels: tuple[str, ...]) -> str:
    """Why a cell is not one of a column's levels; a date is named as the band Excel most
    likely turned into it when the band was typed (``5-9`` becomes 5 September)."""
    allowed = f"allowed: {_listing(levels)}"
    date = cell_date(value)
    if date is None:
        return f"'{value}' is not an allowed value of {column}; {allowed}"
    bands = likely_bands(date, levels)
    undo = (
        f"format the {column} column as Text (Format Cells > Text) before typing, or retype "
        "the value with a leading apostrophe"
    )
    if not bands:
        return (
            f"'{value}' is a date, not an allowed value of {column}: a "
            f"spreadsheet turns a value such as '5-9' into a date when it is typed; {undo}; "
            f"{allowed}"
        )
    band = " or ".join(f"'{band}'" for band in bands)
    return (
        f"'{value}' is a date, not an allowed value of {column}: most likely "
        f"Excel turned the band {band} into a date when it was typed; {undo} ('{bands[0]}); "
        f"{allowed}"
    )


def _level_rule(column: str, levels: tuple[str, ...]) -> Rule:
    return Rule(f"allowed_{column}", lambda v, _: level_message(v, column, levels))


def _isin(levels: tuple[str, ...], name: str) -> pa.Check:
    allowed = set(levels)
    return pa.Check(lambda values: values.isin(allowed), name=name)


def _columns(instrument: Instrument, site_id: str) -> tuple[dict[str, pa.Column], list[Rule]]:
    low, high = instrument.scale_min, instrument.scale_max
    in_scale = pa.Check(
        lambda cell: parse_score(cell, low, high) is not None,
        element_wise=True,
        name="score_in_scale",
    )
    columns = {
        "participant_id": pa.Column(None, nullable=False),
        "role": pa.Column(None, _isin(instrument.roles, "allowed_role")),
        "timepoint": pa.Column(None, _isin(instrument.timepoints, "allowed_timepoint")),
        **{domain: pa.Column(None, in_scale, nullable=True) for domain in instrument.domain_ids},
        SITE_COLUMN: pa.Column(
            None,
            pa.Check(lambda values: values == site_id, name="site_id_matches"),
            nullable=True,
            required=False,
        ),
    }
    extra_rules = []
    for item in instrument.items:
        name = "binary_item_value" if item.is_binary else f"allowed_{item.id}"
        if not item.is_binary:
            extra_rules.append(_level_rule(item.id, item.levels))
        columns[item.id] = pa.Column(None, _isin(item.levels, name), nullable=True, required=False)
    for demographic, levels in instrument.demographics:
        extra_rules.append(_level_rule(demographic, levels))
        columns[demographic] = pa.Column(
            None, _isin(levels, f"allowed_{demographic}"), nullable=True, required=False
        )
    return columns, extra_rules


def _varies_within_participant(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where a participant's non-missing values of ``column`` disagree across rows."""
    distinct = frame.groupby("participant_id", dropna=True)[column].transform("nunique")
    return distinct.fillna(0) > 1


def _needs(*columns: str) -> Callable[[Callable], Callable]:
    """Frame checks pass vacuously when a column they need is missing (reported elsewhere)."""

    def wrap(check: Callable[[pd.DataFrame], pd.Series]) -> Callable:
        def guarded(frame: pd.DataFrame) -> pd.Series:
            if any(column not in frame.columns for column in columns):
                return pd.Series(True, index=frame.index)
            return check(frame)

        return guarded

    return wrap


def _frame_checks(instrument: Instrument) -> tuple[list[pa.Check], list[Rule]]:
    checks: list[pa.Check] = []
    rules: list[Rule] = []

    @_needs("participant_id", "timepoint")
    def unique_participant_timepoint(frame: pd.DataFrame) -> pd.Series:
        keyed = frame[["participant_id", "timepoint"]]
        return ~(keyed.duplicated(keep=False) & keyed.notna().all(axis=1))

    checks.append(pa.Check(unique_participant_timepoint, name="unique_participant_timepoint"))
    rules.append(
        Rule(
            "unique_participant_timepoint",
            lambda v, _: (
                f"participant '{v}' has more than one row at the same timepoint; "
                "keep one row per participant and timepoint"
            ),
            column="participant_id",
        )
    )

    @_needs("participant_id", "role")
    def role_consistent(frame: pd.DataFrame) -> pd.Series:
        return ~_varies_within_participant(frame, "role")

    checks.append(pa.Check(role_consistent, name="role_consistent"))
    rules.append(
        Rule(
            "role_consistent",
            # Only this cell's value is quoted: the participant's id is another cell,
            # which a log line could not withhold.
            lambda v, _: (
                f"the role here is '{v}' but this participant has another role in "
                "another row; a participant keeps one role"
            ),
            column="role",
        )
    )
    for item in instrument.items:
        checks.append(_item_timepoint_check(item.id, item.timepoint))
        rules.append(
            Rule(
                f"{item.id}_only_at_{item.timepoint}",
                lambda v, _, item=item: (
                    f"'{item.id}' is asked at '{item.timepoint}' only, "
                    f"but this row is at another timepoint (value '{v}'); leave it empty here"
                ),
                column=item.id,
            )
        )
    for demographic in instrument.demographic_ids:
        checks.append(_demographic_check(demographic))
        rules.append(
            Rule(
                f"{demographic}_consistent",
                lambda v, _, name=demographic: (
                    f"{name} is '{v}' here but this participant has a different "
                    f"{name} in another row"
                ),
                column=demographic,
            )
        )
    return checks, rules


def _item_timepoint_check(item_id: str, timepoint: str) -> pa.Check:
    @_needs(item_id, "timepoint")
    def only_at_own_timepoint(frame: pd.DataFrame) -> pd.Series:
        return frame[item_id].isna() | (frame["timepoint"] == timepoint)

    return pa.Check(only_at_own_timepoint, name=f"{item_id}_only_at_{timepoint}")


def _demographic_check(demographic: str) -> pa.Check:
    @_needs(demographic, "participant_id")
    def consistent(frame: pd.DataFrame) -> pd.Series:
        return ~_varies_within_participant(frame, demographic)

    return pa.Check(consistent, name=f"{demographic}_consistent")


def responses_schema(instrument: Instrument, site_id: str) -> SchemaSpec:
    """The schema a site's normalised responses must pass, and how to explain each check."""
    columns, level_rules = _columns(instrument, site_id)
    checks, frame_rules = _frame_checks(instrument)
    rules = _column_rules(instrument, site_id)
    for rule in (*level_rules, *frame_rules):
        rules[rule.name] = rule
    rules["not_nullable"] = Rule("not_nullable", lambda v, _: "the cell is empty")
    schema = pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)
    return SchemaSpec(schema, rules)


def failure_problems(
    failures: pd.DataFrame, frame: pd.DataFrame, spec: SchemaSpec, sheet: str | None
) -> list[Problem]:
    """Turn pandera's failure cases into one :class:`Problem` per failing cell."""
    problems: dict[tuple, Problem] = {}
    for case in failures.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_dataframe":
            column = str(case.failure_case)
            problem = Problem(
                1, column, "required_column", f"required column '{column}' is missing", None, sheet
            )
        else:
            problem = _cell_problem(case, check, frame, spec, sheet)
        problems[(problem.row, problem.column, problem.check)] = problem
    return list(problems.values())


def _cell_problem(
    case, check: str, frame: pd.DataFrame, spec: SchemaSpec, sheet: str | None
) -> Problem:
    row = None if pd.isna(case.index) else int(case.index)
    rule = spec.rules.get(check)
    if rule is not None and rule.column is not None:
        column = rule.column
        value = frame.at[row, column] if row is not None else None
    else:
        column = str(case.column)
        value = None if check == "not_nullable" else case.failure_case
    record = frame.loc[row] if row is not None else None
    if check == "not_nullable":
        message = f"'{column}' is empty; every row needs one"
    elif rule is not None:
        message = rule.describe(value, record)
    else:
        message = f"failed check {check}"
    return Problem(row, column, check, message, shown_value(value), sheet)
