"""Validate a per-site summary sent by a site that may not share participant-level data.

The file has the columns of ``results/sites/<site>/summary.csv`` (see
:mod:`revmentor.core.summary_format`); ``site_id, role, outcome, n_pairs, mean_diff,
sd_diff`` are required, every other column is optional, and any subset of role × outcome
rows may be given. Text columns may only hold the workflow's own phrases, so that no free
text and no participant-level column ever enters the results.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from revmentor.core import summary_format as fmt
from revmentor.core.disclosure import DEFAULT_POLICY, DisclosurePolicy
from revmentor.core.instrument import Instrument
from revmentor.core.numbers import MAX_COUNT, why_not_a_number
from revmentor.core.problems import Problem
from revmentor.core.tables import typed_frame
from revmentor.validation.normalise import normalise
from revmentor.validation.readers import RawTable
from revmentor.validation.schemas import Rule, SchemaSpec, failure_problems
from revmentor.validation.summary_disclosure import disclosure_problems
from revmentor.validation.summary_plausible import (
    as_number,
    outcome_bounds,
    plausibility_checks,
    row_values,
)

PROBABILITIES = ("wilcoxon_p", "wilcoxon_p_exact", "sign_test_p", "t_p", "p_holm", "p_bh")
CORRELATIONS = ("r_prepost", "rank_biserial")
NON_NEGATIVE = ("sd_pre", "sd_post", "sd_diff", "w_plus", "w_minus", "wilcoxon_var", "r_effect")
WITHIN_SCALE = (*fmt.SCORE_QUANTILES, "mean_pre", "mean_post")
# Means and Hodges-Lehmann values of differences lie within the differences' range. The
# t-interval does not: mean ± t·SD/√n is wider than the scale at small n (n = 3 pairs of
# 1 -> 5, 5 -> 1, 1 -> 5 give -10.1 to 12.8 on a 1-5 scale), so it is only checked to hold
# the mean.
CHANGES = ("mean_diff", "hl_estimate", "hl_ci_low", "hl_ci_high")
ORDERED = (
    ("q1_pre", "median_pre"),
    ("median_pre", "q3_pre"),
    ("q1_post", "median_post"),
    ("median_post", "q3_post"),
    ("t_ci_low", "t_ci_high"),
    ("t_ci_low", "mean_diff"),
    ("mean_diff", "t_ci_high"),
    ("hl_ci_low", "hl_ci_high"),
)


def numeric_check(name: str, accept: Callable[[float], bool]) -> pa.Check:
    def check(cell: object) -> bool:
        value = as_number(cell)
        return value is not None and accept(value)

    return pa.Check(check, element_wise=True, name=name)


def _whole(minimum: int) -> Callable[[float], bool]:
    return lambda value: value.is_integer() and minimum <= value <= MAX_COUNT


NUMERIC_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "whole_number_at_least_1": (_whole(1), "a whole number, at least 1"),
    "whole_number_at_least_0": (_whole(0), "a whole number, at least 0"),
    "probability": (lambda v: 0 <= v <= 1, "a probability from 0 to 1"),
    "correlation": (lambda v: -1 <= v <= 1, "a correlation from -1 to 1"),
    "non_negative": (lambda v: v >= 0, "a number, at least 0"),
    "positive": (lambda v: v > 0, "a number above 0"),
    "number": (lambda v: True, "a finite number"),
}


def number_refused(value: object, rule_name: str) -> str:
    """Why a cell is not the number its column needs, with the true reason when it only
    looks like a number to Python, or is too large a count."""
    words = NUMERIC_RULES[rule_name][1]
    reason = why_not_a_number(value)
    number = as_number(value)
    if reason is None and rule_name.startswith("whole_number") and number and number > MAX_COUNT:
        reason = f"it is more than {MAX_COUNT}, the largest count the workflow holds exactly"
    return f"'{value}' is not {words}" + (f": {reason}" if reason else "")


def numeric_column(name: str, **options: bool) -> tuple[pa.Column, Rule]:
    """A numeric column of rule ``name`` and the words that explain its failures."""
    accept = NUMERIC_RULES[name][0]
    column = pa.Column(None, numeric_check(name, accept), **options)
    return column, Rule(name, lambda v, _: number_refused(v, name))


def numeric_rule(column: str) -> str:
    if column in ("n_pairs", "t_df"):
        return "whole_number_at_least_1"
    if column in fmt.COUNT_COLUMNS:
        return "whole_number_at_least_0"
    if column in PROBABILITIES:
        return "probability"
    if column in CORRELATIONS:
        return "correlation"
    if column in NON_NEGATIVE:
        return "non_negative"
    return "positive" if column == "smcc_var" else "number"


def phrases_check(allowed: tuple[str, ...], name: str, separator: str | None) -> pa.Check:
    def check(cell: object) -> bool:
        parts = str(cell).split(separator) if separator else [str(cell)]
        return all(part in allowed for part in parts)

    return pa.Check(check, element_wise=True, name=name)


def _reasons_check(reasons: tuple[str, ...]) -> pa.Check:
    pattern = "|".join(re.escape(reason) for reason in reasons)
    regex = re.compile(rf"({pattern}): \d+(; ({pattern}): \d+)*")
    return pa.Check(
        lambda cell: bool(regex.fullmatch(str(cell))),
        element_wise=True,
        name="known_exclusion_reasons",
    )


#: The notes a site may send: the workflow's own, except that it derived the SMCC (only the
#: workflow can say that of a row).
SITE_NOTES = tuple(note for note in fmt.SUMMARY_NOTES if note != fmt.NOTE_SMCC_DERIVED)


def _text_columns(instrument: Instrument, site_id: str) -> dict[str, pa.Column]:
    optional = {"nullable": True, "required": False}
    reasons = fmt.exclusion_reasons(instrument.baseline, instrument.follow_up)
    return {
        "site_id": pa.Column(None, pa.Check(lambda s: s == site_id, name="site_id_matches")),
        "role": pa.Column(None, pa.Check(lambda s: s.isin(instrument.roles), name="allowed_role")),
        "outcome": pa.Column(
            None, pa.Check(lambda s: s.isin(instrument.outcomes), name="allowed_outcome")
        ),
        "excluded_reasons": pa.Column(None, _reasons_check(reasons), **optional),
        "note": pa.Column(
            None, phrases_check(SITE_NOTES, "known_note", fmt.NOTE_SEPARATOR), **optional
        ),
        "wilcoxon_exact_method": pa.Column(
            None, phrases_check(fmt.EXACT_METHODS, "known_method", None), **optional
        ),
        "hl_ci_method": pa.Column(
            None, phrases_check(fmt.HL_METHODS, "known_method", None), **optional
        ),
    }


def _frame_checks(instrument: Instrument) -> tuple[list[pa.Check], list[Rule]]:
    """Consistency across the columns of a row, each reported on one named column."""
    checks, rules = [], []

    def add(
        name: str,
        column: str,
        test: Callable[[pd.DataFrame], pd.Series],
        words: str | Callable[[pd.Series | None], str],
    ):
        checks.append(pa.Check(lambda f: test(f).fillna(True).astype(bool), name=name))
        rules.append(
            Rule(
                name,
                lambda v, row, w=words: f"'{v}' " + (w(row) if callable(w) else w),
                column=column,
            )
        )

    def bounds(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        return outcome_bounds(frame, instrument)

    def scale_words(row: pd.Series | None) -> str:
        outcome = "" if row is None else str(row.get("outcome"))
        low, high = instrument.outcome_range(outcome)
        return f"lies outside the possible scores of '{outcome}', {low} to {high}"

    def change_words(row: pd.Series | None) -> str:
        outcome = "" if row is None else str(row.get("outcome"))
        low, high = instrument.outcome_range(outcome)
        width = high - low
        return (
            f"is a larger change than '{outcome}' allows: its scores lie from {low} to "
            f"{high}, so a change lies from -{width} to {width}"
        )

    for column in WITHIN_SCALE:
        add(
            f"{column}_within_scale",
            column,
            lambda f, c=column: _within(row_values(f, c), *bounds(f)),
            scale_words,
        )
    for column in CHANGES:
        add(
            f"{column}_within_range",
            column,
            lambda f, c=column: _within_change(row_values(f, c), *bounds(f)),
            change_words,
        )
    for low, high in ORDERED:
        add(
            f"{low}_not_above_{high}",
            low,
            lambda f, a=low, b=high: ~(row_values(f, a) > row_values(f, b)),
            f"is above {high}",
        )
    add(
        "n_nonzero_within_n_pairs",
        "n_nonzero",
        lambda f: ~(row_values(f, "n_nonzero") > row_values(f, "n_pairs")),
        "is more than n_pairs",
    )
    add(
        "signs_add_up",
        "n_nonzero",
        lambda f: (
            ~(
                np.abs(
                    row_values(f, "n_positive")
                    + row_values(f, "n_negative")
                    - row_values(f, "n_nonzero")
                )
                > 0
            )
        ),
        "is not n_positive + n_negative",
    )
    add(
        "rank_sums_add_up", "w_plus", _rank_sums_add_up, "+ w_minus is not n_nonzero(n_nonzero+1)/2"
    )
    for given, partner in (("smcc", "smcc_var"), ("smcc_var", "smcc")):
        add(
            f"{given}_with_{partner}",
            given,
            lambda f, a=given, b=partner: ~(row_values(f, a).notna() & row_values(f, b).isna()),
            f"is given without {partner}: send both, or neither and the workflow derives both "
            "from mean_diff, sd_diff and n_pairs",
        )
    add(
        "unique_role_outcome",
        "outcome",
        _unique_role_outcome,
        "appears more than once for this role",
    )
    return checks, rules


def _within(values: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    return ~((values < low - 1e-9) | (values > high + 1e-9))


def _within_change(values: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    width = high - low
    return ~(values.abs() > width + 1e-9)


def _rank_sums_add_up(frame: pd.DataFrame) -> pd.Series:
    n = row_values(frame, "n_nonzero")
    total = row_values(frame, "w_plus") + row_values(frame, "w_minus")
    return ~((total - n * (n + 1) / 2).abs() > 1e-6)


def _unique_role_outcome(frame: pd.DataFrame) -> pd.Series:
    if not {"role", "outcome"} <= set(frame.columns):
        return pd.Series(True, index=frame.index)
    keyed = frame[["role", "outcome"]]
    return ~(keyed.duplicated(keep=False) & keyed.notna().all(axis=1))


def summary_schema(instrument: Instrument, site_id: str) -> SchemaSpec:
    columns = _text_columns(instrument, site_id)
    rules: dict[str, Rule] = {
        "site_id_matches": Rule(
            "site_id_matches",
            lambda v, _: f"site_id '{v}' is not this site's id '{site_id}' in the registry",
        ),
        "allowed_role": Rule(
            "allowed_role",
            lambda v, _: f"'{v}' is not a role; allowed: " + ", ".join(instrument.roles),
        ),
        "allowed_outcome": Rule(
            "allowed_outcome",
            lambda v, _: f"'{v}' is not an outcome; allowed: " + ", ".join(instrument.outcomes),
        ),
        "known_exclusion_reasons": Rule(
            "known_exclusion_reasons",
            lambda v, _: f"'{v}' is not a list of the workflow's exclusion reasons with counts",
        ),
        "known_note": Rule(
            "known_note",
            lambda v, _: (
                f"'{v}' is not made of the workflow's own "
                "notes; free text is not accepted in a summary"
            ),
        ),
        "known_method": Rule(
            "known_method",
            lambda v, _: (
                f"'{v}' is not a method the workflow writes; free text is not accepted in a summary"
            ),
        ),
    }
    for column in fmt.SUMMARY_COLUMNS:
        if column in columns:
            continue
        name = numeric_rule(column)
        required = column in fmt.POOLING_MINIMUM
        columns[column], rules[name] = numeric_column(
            name, nullable=not required, required=required
        )
    checks, frame_rules = _frame_checks(instrument)
    plausible, plausible_rules = plausibility_checks(instrument)
    checks += plausible
    rules.update({rule.name: rule for rule in (*frame_rules, *plausible_rules)})
    return SchemaSpec(pa.DataFrameSchema(columns, checks=checks), rules)


def participant_level_problems(frame: pd.DataFrame, instrument: Instrument, sheet) -> list[Problem]:
    """A summary must hold aggregates only: refuse participant-level columns outright."""
    forbidden = {
        "participant_id",
        "timepoint",
        *instrument.domain_ids,
        *instrument.item_ids,
        *instrument.demographic_ids,
    }
    return [
        Problem(
            1,
            column,
            "aggregates_only",
            f"column '{column}' holds participant-level data, "
            "which a summary must not contain; send the per-site summary only",
            None,
            sheet,
        )
        for column in frame.columns
        if column.strip().lower() in forbidden
    ]


def validate_summary(
    raw: RawTable,
    instrument: Instrument,
    site_id: str,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """Check a site's summary, and that it keeps to the disclosure policy; return (typed
    summary or None, errors, warnings)."""
    frame = raw.to_frame()
    errors = participant_level_problems(frame, instrument, raw.sheet)
    frame = frame.drop(columns=[p.column for p in errors])
    labels = {"role": instrument.roles, "outcome": instrument.outcomes}
    numeric = [column for column in fmt.SUMMARY_COLUMNS if column not in fmt.TEXT_COLUMNS]
    tidy = normalise(frame, instrument, raw.sheet, fmt.SUMMARY_COLUMNS, labels, numeric)
    spec = summary_schema(instrument, site_id)
    try:
        spec.schema.validate(tidy.frame, lazy=True)
    except pa.errors.SchemaErrors as failure:
        errors += failure_problems(failure.failure_cases, tidy.frame, spec, raw.sheet)
    errors += disclosure_problems(tidy.frame, instrument, policy, raw.sheet)
    if errors:
        return None, errors, [*raw.warnings, *tidy.warnings]
    return typed_summary(tidy.frame, instrument), errors, [*raw.warnings, *tidy.warnings]


def parsed_records(frame: pd.DataFrame, text_columns: tuple[str, ...]) -> list[dict]:
    """Validated text cells as values: numbers parsed, text kept, empty cells left out."""
    return [
        {
            column: (value if column in text_columns else as_number(value))
            for column, value in row.items()
            if value is not None
        }
        for row in frame.to_dict("records")
    ]


def typed_summary(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """The summary in the workflow's own column order and types, rows in instrument order."""
    typed = typed_frame(
        parsed_records(frame, fmt.TEXT_COLUMNS),
        fmt.SUMMARY_COLUMNS,
        fmt.TEXT_COLUMNS,
        (*fmt.COUNT_COLUMNS, "t_df"),
    )
    role_order = {role: i for i, role in enumerate(instrument.roles)}
    outcome_order = {outcome: i for i, outcome in enumerate(instrument.outcomes)}
    order = typed["role"].map(role_order) * 1000 + typed["outcome"].map(outcome_order)
    return typed.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
