"""The checks of the responses format, built from the instrument, and their pandera schema.

Cells arrive as trimmed text (``None`` for missing) with the spreadsheet row number as
the index, so that every failure case pandera reports maps straight back to a cell a
data manager can find. Each check carries a stable name (the ``check`` field of reports)
and a sentence that explains it.

The checks are plain functions (:class:`ResponsesChecks`), and pandera's schema is built
from them. A site's table is first run through the functions alone, all rows at once:
almost every file passes, and then pandera (its import, and its overhead per check, most
of the time a site's validation took) is not needed. Only a table that fails goes through
pandera, whose failure cases make the report, so a report is the same either way. The
functions check many sites' tables at once (:func:`passes_each`), each site with the
verdict it would get alone, so that their cost is paid once per shard, not once per site.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from revmentor.core.excel_dates import cell_date, date_reason, likely_bands
from revmentor.core.instrument import SITE_COLUMN, Instrument
from revmentor.core.numbers import whole_number, why_not_a_number
from revmentor.core.problems import Problem, shown_value

if TYPE_CHECKING:
    import pandera.pandas as pa

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


def _column_rules(instrument: Instrument, site_id: str | _OwnSite) -> dict[str, Rule]:
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


@dataclass(frozen=True)
class Check:
    """A named test, as pandera runs it: a column's test gets the column's non-missing
    cells (one at a time when ``element_wise``), a frame's test the whole frame, and each
    gives True where the data pass."""

    name: str
    test: Callable
    element_wise: bool = False

    def passing(self, values: pd.Series | pd.DataFrame) -> np.ndarray | None:
        """Per row (per cell, for an element-wise test), whether it passes; ``None`` where
        the test cannot say (it raised, or gave something other than one boolean per row).
        Anything unexpected counts as a failure, which pandera then describes."""
        if self.element_wise:
            # A column holds few distinct cells (the scores 1 to 5): each is tested once.
            verdicts: dict[object, bool] = {}
            passing = np.empty(len(values), dtype=bool)
            for position, value in enumerate(values):
                try:
                    verdict = verdicts[value]
                except KeyError:
                    verdict = verdicts[value] = self._holds_for(value)
                except TypeError:  # a cell that cannot be a key is tested on its own
                    verdict = self._holds_for(value)
                passing[position] = verdict
            return passing
        try:
            result = self.test(values)
        except Exception:  # pandera turns a test's exception into a failure case
            return None
        if (
            isinstance(result, pd.Series)
            and result.dtype == bool
            and result.index.equals(values.index)
        ):
            return result.to_numpy()
        return None

    def _holds_for(self, value: object) -> bool:
        try:
            return self.test(value) is True
        except Exception:  # as above: a failure for pandera to describe
            return False

    def pandera(self) -> pa.Check:
        import pandera.pandas as pa

        return pa.Check(self.test, element_wise=self.element_wise, name=self.name)


@dataclass(frozen=True)
class ColumnChecks:
    """What a column must satisfy: present (``required``), never empty unless
    ``nullable``, and its checks on the cells that are not empty."""

    checks: tuple[Check, ...] = ()
    nullable: bool = False
    required: bool = True


@dataclass(frozen=True)
class ResponsesChecks:
    """The checks of a site's normalised responses, and how to explain each of them."""

    columns: dict[str, ColumnChecks]
    frame_checks: tuple[Check, ...]
    rules: dict[str, Rule] = field(default_factory=dict)

    def failing(self, stack: Stack) -> np.ndarray:
        """Per table of the stack, True where a check fails or might: pandera then runs
        and says which cells fail and why. False only where pandera's schema passes too,
        so that the table has no error and pandera need not run."""
        failed = np.zeros(stack.n_tables, dtype=bool)
        none = np.zeros(stack.n_tables, dtype=bool)
        for name, column in self.columns.items():
            has = stack.present.get(name, none)
            if column.required:
                failed |= ~has
            if not has.any():
                continue
            values = stack.frame[name]
            owner = stack.owner
            missing = values.isna().to_numpy()
            if missing.any():
                if not column.nullable:
                    failed[owner[missing & has[owner]]] = True
                values, owner = values[~missing], owner[~missing]
            for check in column.checks:
                failed[_failing_tables(check, values, owner)] = True
        for check in self.frame_checks:
            failed[_failing_tables(check, stack.frame, stack.owner)] = True
        return failed

    def schema(self) -> pa.DataFrameSchema:
        """The same checks as pandera's schema, whose failure cases make the report."""
        import pandera.pandas as pa

        columns = {
            name: pa.Column(
                None,
                [check.pandera() for check in column.checks] or None,
                nullable=column.nullable,
                required=column.required,
            )
            for name, column in self.columns.items()
        }
        checks = [check.pandera() for check in self.frame_checks]
        return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


def _isin(levels: tuple[str, ...], name: str) -> Check:
    allowed = set(levels)
    return Check(name, lambda values: values.isin(allowed))


def _columns(
    instrument: Instrument, site_id: str | _OwnSite
) -> tuple[dict[str, ColumnChecks], list[Rule]]:
    low, high = instrument.scale_min, instrument.scale_max
    in_scale = Check(
        "score_in_scale",
        lambda cell: parse_score(cell, low, high) is not None,
        element_wise=True,
    )
    optional = {"nullable": True, "required": False}
    columns = {
        "participant_id": ColumnChecks(),
        "role": ColumnChecks((_isin(instrument.roles, "allowed_role"),)),
        "timepoint": ColumnChecks((_isin(instrument.timepoints, "allowed_timepoint"),)),
        **{domain: ColumnChecks((in_scale,), nullable=True) for domain in instrument.domain_ids},
        SITE_COLUMN: ColumnChecks(
            (Check("site_id_matches", lambda values: values == site_id),), **optional
        ),
    }
    extra_rules = []
    for item in instrument.items:
        name = "binary_item_value" if item.is_binary else f"allowed_{item.id}"
        if not item.is_binary:
            extra_rules.append(_level_rule(item.id, item.levels))
        columns[item.id] = ColumnChecks((_isin(item.levels, name),), **optional)
    for demographic, levels in instrument.demographics:
        extra_rules.append(_level_rule(demographic, levels))
        columns[demographic] = ColumnChecks((_isin(levels, f"allowed_{demographic}"),), **optional)
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


def _frame_checks(instrument: Instrument) -> tuple[list[Check], list[Rule]]:
    checks: list[Check] = []
    rules: list[Rule] = []

    @_needs("participant_id", "timepoint")
    def unique_participant_timepoint(frame: pd.DataFrame) -> pd.Series:
        keyed = frame[["participant_id", "timepoint"]]
        return ~(keyed.duplicated(keep=False) & keyed.notna().all(axis=1))

    checks.append(Check("unique_participant_timepoint", unique_participant_timepoint))
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

    checks.append(Check("role_consistent", role_consistent))
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


def _item_timepoint_check(item_id: str, timepoint: str) -> Check:
    @_needs(item_id, "timepoint")
    def only_at_own_timepoint(frame: pd.DataFrame) -> pd.Series:
        return frame[item_id].isna() | (frame["timepoint"] == timepoint)

    return Check(f"{item_id}_only_at_{timepoint}", only_at_own_timepoint)


def _demographic_check(demographic: str) -> Check:
    @_needs(demographic, "participant_id")
    def consistent(frame: pd.DataFrame) -> pd.Series:
        return ~_varies_within_participant(frame, demographic)

    return Check(f"{demographic}_consistent", consistent)


def responses_checks(instrument: Instrument, site_id: str | _OwnSite) -> ResponsesChecks:
    """The checks a site's normalised responses must pass, and how to explain each."""
    columns, level_rules = _columns(instrument, site_id)
    checks, frame_rules = _frame_checks(instrument)
    rules = _column_rules(instrument, site_id)
    for rule in (*level_rules, *frame_rules):
        rules[rule.name] = rule
    rules["not_nullable"] = Rule("not_nullable", lambda v, _: "the cell is empty")
    return ResponsesChecks(columns, tuple(checks), rules)


class _OwnSite:
    """What a site_id cell that names its own site reads as in a :class:`Stack`."""

    def __repr__(self) -> str:
        return "<the site's own id>"


#: Not a string, so that no cell equals it: a stack's checks accept it in the site_id
#: column, where each site's own id is accepted when the site is checked alone.
OWN_SITE = _OwnSite()


@dataclass(frozen=True)
class Stack:
    """The normalised tables of many sites as one frame, checked at once: on tables of a
    few dozen rows a check's cost is nearly all pandas' overhead per call, paid here once
    for all of them.

    Each table still meets only its own rows: a participant id is keyed by its table
    (``None`` where it is missing), and a site_id cell that is its own site's id reads as
    :data:`OWN_SITE`. A column some tables lack holds ``None`` in their rows.
    """

    frame: pd.DataFrame
    #: The table of each row.
    owner: np.ndarray
    #: Per column, whether each table has it.
    present: dict[str, np.ndarray]
    n_tables: int


def stack_tables(tables: Sequence[tuple[str, pd.DataFrame]]) -> Stack:
    """One :class:`Stack` of the (site id, normalised table) pairs, whose columns are unique."""
    owner = np.repeat(np.arange(len(tables)), [len(frame) for _, frame in tables])
    names = list(dict.fromkeys(name for _, frame in tables for name in frame.columns))
    positions = [{name: j for j, name in enumerate(frame.columns)} for _, frame in tables]
    cells = [frame.to_numpy(dtype=object) for _, frame in tables]
    columns = {
        name: np.concatenate(
            [
                table[:, where[name]] if name in where else np.full(len(table), None, object)
                for table, where in zip(cells, positions, strict=True)
            ]
        )
        for name in names
    }
    if "participant_id" in columns:
        columns["participant_id"] = _keyed_by_table(columns["participant_id"], owner)
    if SITE_COLUMN in columns:
        own = np.array([site_id for site_id, _ in tables], dtype=object)[owner]
        site_ids = columns[SITE_COLUMN]
        columns[SITE_COLUMN] = np.where(site_ids == own, OWN_SITE, site_ids)
    present = {name: np.array([name in where for where in positions], dtype=bool) for name in names}
    # As object cells, as each table holds them: pandas would read text columns as strings.
    frame = pd.DataFrame(columns, columns=names, dtype=object)
    return Stack(frame, owner, present, len(tables))


def _keyed_by_table(ids: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Each participant id as a number unique to its table and id (the same id at two
    sites is two people); a missing id stays missing."""
    keys: dict[tuple[int, object], int] = {}
    missing = pd.isna(ids)
    return np.array(
        [
            None if gone else keys.setdefault((table, participant), len(keys))
            for table, participant, gone in zip(
                owner.tolist(), ids.tolist(), missing.tolist(), strict=True
            )
        ],
        dtype=object,
    )


def _failing_tables(check: Check, values: pd.Series | pd.DataFrame, owner: np.ndarray):
    """The tables of the rows where ``check`` fails; of every row where it cannot say."""
    passing = check.passing(values)
    return owner if passing is None else owner[~passing]


def passes_each(instrument: Instrument, tables: Sequence[tuple[str, pd.DataFrame]]) -> list[bool]:
    """Per (site id, normalised table), True only where pandera's schema of that site
    passes too: then the table has no error and pandera need not run. False where a
    check fails (or might): pandera then runs and says which cells fail and why.

    The tables are checked together (:class:`Stack`), each with the same verdict it gets
    checked alone.
    """
    unique = [frame.columns.is_unique for _, frame in tables]
    stacked = [table for table, is_unique in zip(tables, unique, strict=True) if is_unique]
    failed = iter(
        responses_checks(instrument, OWN_SITE).failing(stack_tables(stacked)).tolist()
        if stacked
        else ()
    )
    return [is_unique and not next(failed) for is_unique in unique]


def responses_schema(instrument: Instrument, site_id: str) -> SchemaSpec:
    """The pandera schema of :func:`responses_checks`, and how to explain each check."""
    checks = responses_checks(instrument, site_id)
    return SchemaSpec(checks.schema(), checks.rules)


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
