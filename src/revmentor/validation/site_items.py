"""Validate the optional items file a summary-only site sends (the items.csv format)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from revmentor.core import summary_format as fmt
from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem
from revmentor.core.tables import typed_frame
from revmentor.validation.items_disclosure import items_disclosure_problems
from revmentor.validation.normalise import normalise
from revmentor.validation.readers import RawTable
from revmentor.validation.schemas import Rule, SchemaSpec, failure_problems
from revmentor.validation.summary import (
    DEFAULT_POLICY,
    numeric_column,
    parsed_records,
    phrases_check,
    row_values,
)

PROPORTIONS = ("proportion", "ci_low", "ci_high", "mcnemar_p")
PAIR_CELLS = ("both_yes", "before_only", "after_only", "both_no")


def allowed_item_rows(instrument: Instrument) -> set[tuple[str, str, str]]:
    """Every (kind, item, level) an items file of this instrument can hold."""
    allowed = set()
    for item in instrument.items:
        levels = ("",) if item.is_binary else item.levels
        allowed |= {(item.kind, item.id, level) for level in levels}
    for pair in instrument.concern_pairs:
        allowed.add(("concern_pair", pair.concern, f"{pair.before} -> {pair.after}"))
    return allowed


def _known_row(instrument: Instrument):
    allowed = allowed_item_rows(instrument)

    def check(frame: pd.DataFrame) -> pd.Series:
        if not {"kind", "item"} <= set(frame.columns):
            return pd.Series(True, index=frame.index)
        level = (
            frame["level"]
            if "level" in frame.columns
            else pd.Series(None, frame.index, dtype=object)
        )
        keys = zip(frame["kind"], frame["item"], level.fillna(""), strict=True)
        return pd.Series([key in allowed for key in keys], index=frame.index)

    return check


def _counts_consistent(frame: pd.DataFrame) -> pd.Series:
    return ~(row_values(frame, "count") > row_values(frame, "n_answered"))


def _pairs_add_up(frame: pd.DataFrame) -> pd.Series:
    cells = sum(row_values(frame, column) for column in PAIR_CELLS)
    return ~((cells - row_values(frame, "n_pairs")).abs() > 0)


def items_schema(instrument: Instrument, site_id: str) -> SchemaSpec:
    optional = {"nullable": True, "required": False}
    columns = {
        "site_id": pa.Column(None, pa.Check(lambda s: s == site_id, name="site_id_matches")),
        "role": pa.Column(None, pa.Check(lambda s: s.isin(instrument.roles), name="allowed_role")),
        "kind": pa.Column(None, pa.Check(lambda s: s.isin(fmt.ITEM_KINDS), name="allowed_kind")),
        "item": pa.Column(None),
        "level": pa.Column(None, **optional),
        "timepoint": pa.Column(None, **optional),
        "note": pa.Column(None, phrases_check(fmt.ITEM_NOTES, "known_note", None), **optional),
    }
    rules = {
        "site_id_matches": Rule(
            "site_id_matches", lambda v, _: f"site_id '{v}' is not this site's id '{site_id}'"
        ),
        "allowed_role": Rule("allowed_role", lambda v, _: f"'{v}' is not a role"),
        "allowed_kind": Rule(
            "allowed_kind", lambda v, _: f"'{v}' is not one of {', '.join(fmt.ITEM_KINDS)}"
        ),
        "known_note": Rule(
            "known_note", lambda v, _: f"'{v}' is not one of the workflow's own notes"
        ),
        "known_item_row": Rule(
            "known_item_row",
            # The kind and level are other cells, which a log line could not withhold.
            lambda v, _: f"item '{v}' with this row's kind and level is not in the instrument",
            column="item",
        ),
        "count_within_answered": Rule(
            "count_within_answered", lambda v, _: f"'{v}' is more than n_answered", column="count"
        ),
        "pair_cells_add_up": Rule(
            "pair_cells_add_up",
            lambda v, _: f"'{v}' is not the sum of the four paired cells",
            column="n_pairs",
        ),
    }
    for column in fmt.ITEMS_COLUMNS:
        if column in columns:
            continue
        name = "probability" if column in PROPORTIONS else "whole_number_at_least_0"
        columns[column], rules[name] = numeric_column(name, **optional)
    checks = [
        pa.Check(_known_row(instrument), name="known_item_row"),
        pa.Check(lambda f: _counts_consistent(f), name="count_within_answered"),
        pa.Check(lambda f: _pairs_add_up(f), name="pair_cells_add_up"),
    ]
    return SchemaSpec(pa.DataFrameSchema(columns, checks=checks), rules)


def validate_items(
    raw: RawTable,
    instrument: Instrument,
    site_id: str,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """Check a summary site's items file, and that it keeps to ``disclosure.min_cell``;
    return (typed items or None, errors, warnings)."""
    labels = {"role": instrument.roles, "kind": fmt.ITEM_KINDS}
    numeric = [column for column in fmt.ITEMS_COLUMNS if column not in fmt.ITEMS_TEXT_COLUMNS]
    tidy = normalise(raw.to_frame(), instrument, raw.sheet, fmt.ITEMS_COLUMNS, labels, numeric)
    warnings = [*raw.warnings, *tidy.warnings]
    spec = items_schema(instrument, site_id)
    errors = []
    try:
        spec.schema.validate(tidy.frame, lazy=True)
    except pa.errors.SchemaErrors as failure:
        errors = failure_problems(failure.failure_cases, tidy.frame, spec, raw.sheet)
    errors += items_disclosure_problems(tidy.frame, policy.min_cell, raw.sheet)
    if errors:
        return None, errors, warnings
    typed = typed_frame(
        parsed_records(tidy.frame, fmt.ITEMS_TEXT_COLUMNS),
        fmt.ITEMS_COLUMNS,
        fmt.ITEMS_TEXT_COLUMNS,
        fmt.ITEMS_COUNT_COLUMNS,
    )
    return typed, [], warnings
