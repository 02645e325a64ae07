"""Narrow views of the report tables, for people: at most ten columns, labels instead of
snake_case ids, an estimate and its CI in one cell, the verdict near the left.

The full machine tables stay as CSV (``results/tables/*.csv``); each view names its CSV.
A view is plain data (text cells, a numeric sort key per cell, the table's notes), so a
page template can render it without formatting numbers itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.report.assemble import Table
from revmentor.report.tables import MODEL_SHARE_LABEL, POOLED_SCOPE, SUPPRESSED_SHARE

MAX_COLUMNS = 10
MINUS = "\u2212"
Row = Mapping[str, Any]


@dataclass(frozen=True)
class ReaderTable:
    """One table as a reader sees it. ``sort_keys`` holds, per cell, the number a click on
    its column heading sorts by (None: sort by the text); ``hover`` the sentence behind a
    cell ('' when none)."""

    name: str
    title: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    sort_keys: tuple[tuple[float | None, ...], ...]
    hover: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    csv: str


def concern_pair_label(before: str, after: str) -> str:
    """'Concern: time' and 'Experienced: time' -> 'Time (anticipated before → experienced
    after)'; labels that do not share their subject are both kept."""
    before_subject, after_subject = before.split(": ", 1)[-1], after.split(": ", 1)[-1]
    if before_subject == after_subject and ": " in before:
        subject = before_subject[:1].upper() + before_subject[1:]
        return f"{subject} (anticipated before \u2192 experienced after)"
    return f"{before} \u2192 {after}"


@dataclass(frozen=True)
class ReaderLabels:
    """What a reader calls each id: outcomes and items from the instrument, sites from the
    registry."""

    outcomes: Mapping[str, str]
    items: Mapping[str, str]
    concern_pairs: Mapping[str, str]
    sites: Mapping[str, str]

    @classmethod
    def of(cls, instrument: Instrument, site_names: Mapping[str, str]) -> ReaderLabels:
        items = {item.id: item.label for item in instrument.items}
        pairs = {
            pair.concern: concern_pair_label(items[pair.before], items[pair.after])
            for pair in instrument.concern_pairs
        }
        return cls(instrument.outcome_labels(), items, pairs, dict(site_names))

    def role(self, role: Any) -> str:
        text = str(role)
        return text[:1].upper() + text[1:]

    def outcome(self, outcome: Any) -> str:
        return self.outcomes.get(str(outcome), str(outcome))

    def site(self, site: Any) -> str:
        if site == POOLED_SCOPE:
            return "All sites"
        return self.sites.get(str(site), str(site))


@dataclass(frozen=True)
class ReaderColumn:
    label: str
    text: Callable[[Row], str]
    sort: Callable[[Row], float | None] = lambda row: None
    numeric: bool = False
    hover: Callable[[Row, int], str] = lambda row, index: ""


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _value(row: Row, column: str) -> float | None:
    value = row.get(column)
    if _missing(value) or isinstance(value, bool | str):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _text(row: Row, column: str) -> str:
    value = row.get(column)
    return "" if _missing(value) else str(value)


def number(value: float | None, decimals: int = 2) -> str:
    """A number as a reader writes it: fixed decimals, a true minus sign."""
    if value is None:
        return ""
    return f"{value:.{decimals}f}".replace("-", MINUS)


def interval(low: float | None, high: float | None, decimals: int = 2) -> str:
    if low is None or high is None:
        return ""
    return f"{number(low, decimals)} to {number(high, decimals)}"


def estimate_with_ci(
    estimate: float | None, low: float | None, high: float | None, decimals: int = 2
) -> str:
    """'5.18 (1.16 to 9.21)'; the estimate alone when it has no CI."""
    if estimate is None:
        return ""
    shown = interval(low, high, decimals)
    return f"{number(estimate, decimals)} ({shown})" if shown else number(estimate, decimals)


def p_value(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def small_number(value: float | None) -> str:
    """τ² and the like: three significant digits, without scientific notation."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return "<0.001"
    return f"{value:.3g}".replace("-", MINUS)


def _humane(identifier: str) -> str:
    words = identifier.replace("_", " ")
    return words[:1].upper() + words[1:]


def _column(label: str, column: str, decimals: int = 2) -> ReaderColumn:
    return ReaderColumn(
        label,
        lambda row: number(_value(row, column), decimals),
        lambda row: _value(row, column),
        numeric=True,
    )


def _count(label: str, column: str) -> ReaderColumn:
    def text(row: Row) -> str:
        value = _value(row, column)
        return "" if value is None else str(int(value))

    return ReaderColumn(label, text, lambda row: _value(row, column), numeric=True)


def _shown_count(label: str, column: str) -> ReaderColumn:
    """A count that small-cell suppression may have replaced by "<5" or "*": the text as
    the table has it, sorted as a number when it is one (else by its text)."""

    def sort(row: Row) -> float | None:
        text = _text(row, column)
        return float(text) if text.isdigit() else None

    return ReaderColumn(label, lambda row: _text(row, column), sort, numeric=True)


def _p(label: str, column: str) -> ReaderColumn:
    return ReaderColumn(
        label,
        lambda row: p_value(_value(row, column)),
        lambda row: _value(row, column),
        numeric=True,
    )


def _with_ci(label: str, estimate: str, low: str, high: str, decimals: int = 2) -> ReaderColumn:
    return ReaderColumn(
        label,
        lambda row: estimate_with_ci(
            _value(row, estimate), _value(row, low), _value(row, high), decimals
        ),
        lambda row: _value(row, estimate),
        numeric=True,
    )


def _interval_column(label: str, low: str, high: str) -> ReaderColumn:
    return ReaderColumn(
        label,
        lambda row: interval(_value(row, low), _value(row, high)),
        lambda row: _value(row, low),
        numeric=True,
    )


def _criterion_number(cell: str) -> float | None:
    """The number after a criterion's mark ('✓ 0.0184' -> 0.0184)."""
    parts = cell.split(" ", 1)
    if len(parts) < 2:
        return None
    try:
        return float(parts[1].replace(MINUS, "-"))
    except ValueError:
        return None


def _role_outcome(labels: ReaderLabels) -> tuple[ReaderColumn, ReaderColumn]:
    return (
        ReaderColumn("Role", lambda row: labels.role(row["role"])),
        ReaderColumn("Outcome", lambda row: labels.outcome(row["outcome"])),
    )


def _verdict(reason_column: str | None) -> ReaderColumn:
    return ReaderColumn(
        "Verdict",
        lambda row: _text(row, "verdict"),
        hover=lambda row, index: _text(row, reason_column) if reason_column else "",
    )


def replication_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    return (
        *_role_outcome(labels),
        _verdict("verdict_reason"),
        _with_ci("Change (95% CI)", "estimate", "ci_low", "ci_high"),
        _interval_column("95% PI", "pi_low", "pi_high"),
        _column("Original change", "original_change"),
        _column("I² (%)", "i2", 0),
        ReaderColumn(
            "τ²",
            lambda row: small_number(_value(row, "tau2")),
            lambda row: _value(row, "tau2"),
            numeric=True,
        ),
        _count("Sites (k)", "k"),
        _count("Participants", "n_participants"),
    )


CRITERION_LABELS = {
    "significance": "Significance",
    "prediction_interval": "Prediction interval",
    "sceptical_p": "Sceptical p",
    "p_orig": "P orig",
    "small_telescopes": "Small telescopes",
    "equivalence": "Equivalence",
}


def matrix_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    def criterion(name: str) -> ReaderColumn:
        reasons = table.hover.get(name, ())
        return ReaderColumn(
            CRITERION_LABELS.get(name, _humane(name)),
            lambda row: _text(row, name),
            lambda row: _criterion_number(_text(row, name)),
            hover=lambda row, index: reasons[index] if index < len(reasons) else "",
        )

    verdict_reasons = table.hover.get("verdict", ())
    verdict = ReaderColumn(
        "Verdict",
        lambda row: _text(row, "verdict"),
        hover=lambda row, index: verdict_reasons[index] if index < len(verdict_reasons) else "",
    )
    return (
        *_role_outcome(labels),
        verdict,
        *(criterion(name) for name in CRITERION_LABELS),
    )


def sites_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    def included(row: Row) -> str:
        reason = _text(row, "reason")
        return "yes" if row.get("included") == "yes" else f"no: {reason}" if reason else "no"

    return (
        ReaderColumn("Site", lambda row: labels.site(row["site_id"])),
        *_role_outcome(labels),
        _count("Pairs", "n_pairs"),
        _with_ci(
            "Mean change (paired-t 95% CI)", "mean_diff", "paired_t_ci_low", "paired_t_ci_high"
        ),
        _interval_column("CI in the pooled analysis (±z√vi)", "pooled_ci_low", "pooled_ci_high"),
        _p("Wilcoxon p", "wilcoxon_p"),
        _column("SMCC", "smcc"),
        _column("Weight (%)", "weight_percent", 1),
        ReaderColumn("Included", included),
    )


def participants_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    def level(row: Row) -> str:
        if row.get("variable") == "participants":
            return "all"
        return _text(row, "level").replace("_", " ")

    return (
        ReaderColumn("Site", lambda row: labels.site(row["scope"])),
        ReaderColumn("Role", lambda row: labels.role(row["role"])),
        ReaderColumn("Characteristic", lambda row: _humane(_text(row, "variable"))),
        ReaderColumn("Group", level),
        _shown_count("Count", "count"),
    )


def items_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    def is_pair(row: Row) -> bool:
        return row.get("kind") == "concern_pair"

    def item(row: Row) -> str:
        if is_pair(row):
            return labels.concern_pairs.get(_text(row, "item"), _text(row, "item"))
        return labels.items.get(_text(row, "item"), _text(row, "item"))

    def answer(row: Row) -> str:
        if is_pair(row):
            return "before and after"
        return _text(row, "level").replace("_", " ") or "yes"

    def suppressed(row: Row) -> bool:
        return _text(row, "suppressed") == "yes" and not is_pair(row)

    def share(row: Row) -> str:
        if suppressed(row):
            return SUPPRESSED_SHARE
        text = estimate_with_ci(
            _value(row, "percent"), _value(row, "ci_low"), _value(row, "ci_high"), 1
        )
        return text.replace(" (", "% (", 1) if " (" in text else f"{text}%" if text else ""

    def model_share(row: Row) -> str:
        if suppressed(row) and row.get("scope") == POOLED_SCOPE:
            return SUPPRESSED_SHARE
        text = estimate_with_ci(
            _value(row, "model_share_percent"),
            _value(row, "model_share_ci_low"),
            _value(row, "model_share_ci_high"),
            1,
        )
        return text.replace(" (", "% (", 1) if " (" in text else f"{text}%" if text else ""

    def discordant(row: Row) -> str:
        # Text, as suppression may have replaced a count by "<5" (and withheld the p).
        before, after = _text(row, "before_only"), _text(row, "after_only")
        if not before or not after:
            return ""
        p = _value(row, "paired_p")
        if p is None:
            return f"{before} / {after}"
        shown = p_value(p)
        relation = f"< {shown[1:]}" if shown.startswith("<") else f"= {shown}"
        return f"{before} / {after} (p {relation})"

    return (
        ReaderColumn("Site", lambda row: labels.site(row["scope"])),
        ReaderColumn("Role", lambda row: labels.role(row["role"])),
        ReaderColumn("Item", item),
        ReaderColumn("Answer", answer),
        _shown_count("Answered (n)", "n"),
        _shown_count("Count", "count"),
        ReaderColumn("Share (95% CI)", share, lambda row: _value(row, "percent"), numeric=True),
        ReaderColumn("CI method", lambda row: _text(row, "ci_method")),
        ReaderColumn(
            _humane(MODEL_SHARE_LABEL),
            model_share,
            lambda row: _value(row, "model_share_percent"),
            numeric=True,
        ),
        ReaderColumn(
            "Concern before only / after only (p)",
            discordant,
            lambda row: _value(row, "paired_p"),
            numeric=True,
        ),
    )


def heterogeneity_view(labels: ReaderLabels, table: Table) -> tuple[ReaderColumn, ...]:
    def influential(row: Row) -> str:
        text = _text(row, "influential_sites")
        if text in ("", "none"):
            return text
        return ", ".join(labels.site(site) for site in text.split())

    return (
        *_role_outcome(labels),
        _count("Sites (k)", "k"),
        ReaderColumn(
            "τ²",
            lambda row: small_number(_value(row, "tau2")),
            lambda row: _value(row, "tau2"),
            numeric=True,
        ),
        _column("I² (%)", "i2", 0),
        ReaderColumn("What explains τ²", lambda row: _text(row, "moderators_explain")),
        ReaderColumn("Influential sites", influential),
    )


VIEWS: Mapping[str, Callable[[ReaderLabels, Table], tuple[ReaderColumn, ...]]] = {
    "replication": replication_view,
    "replication_matrix": matrix_view,
    "sites": sites_view,
    "participants": participants_view,
    "items": items_view,
    "heterogeneity": heterogeneity_view,
}


def reader_table(name: str, table: Table, labels: ReaderLabels) -> ReaderTable:
    """The narrow view of one of the report's tables (a name of ``VIEWS``)."""
    columns = VIEWS[name](labels, table)
    if len(columns) > MAX_COLUMNS:
        raise ValueError(f"the reader view of {name} has {len(columns)} columns (at most 10)")
    records = table.frame.astype(object).to_dict("records")
    return ReaderTable(
        name=name,
        title=table.title,
        columns=tuple(column.label for column in columns),
        numeric=tuple(column.numeric for column in columns),
        rows=tuple(tuple(column.text(row) for column in columns) for row in records),
        sort_keys=tuple(tuple(column.sort(row) for column in columns) for row in records),
        hover=tuple(
            tuple(column.hover(row, index) for column in columns)
            for index, row in enumerate(records)
        ),
        notes=tuple(table.notes),
        csv=f"{name}.csv",
    )


def reader_tables(
    tables: Mapping[str, Table], labels: ReaderLabels, names: Sequence[str] | None = None
) -> dict[str, ReaderTable]:
    """Every table of ``names`` (default: all that have a view) as a reader sees it."""
    chosen = [name for name in (names or VIEWS) if name in tables]
    return {name: reader_table(name, tables[name], labels) for name in chosen}
