"""The consortium's tables: the replication table, sites, participants ("Table 1") and items.

Each builder is a pure function of the pooled and per-site files; each returns the CSV
rows. Column meanings and rules are in docs/codebook.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.summary_format import NOT_RECORDED
from revmentor.core.tables import typed_frame
from revmentor.replication.criteria import CRITERIA, NO, YES
from revmentor.replication.original import original_results

REPLICATION_COLUMNS = (
    "role",
    "outcome",
    "original_median_pre",
    "original_median_post",
    "original_p",
    "original_change",
    "pooled_median_pre",
    "pooled_median_post",
    "measure",
    "method",
    "test",
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "p",
    "i2",
    "tau2",
    "k",
    "n_participants",
    "same_direction_share",
    "stratified_wilcoxon_p",
    *CRITERIA,
    "verdict",
    "verdict_reason",
)
REPLICATION_TEXT = (
    "role",
    "outcome",
    "measure",
    "method",
    "test",
    *CRITERIA,
    "verdict",
    "verdict_reason",
)
MATRIX_COLUMNS = ("role", "outcome", *CRITERIA, "verdict")
MARKS = {YES: "\u2713", NO: "\u2717", "": "\u2013"}
SITES_COLUMNS = (
    "site_id",
    "name",
    "role",
    "outcome",
    "n_pairs",
    "median_pre",
    "median_post",
    "mean_diff",
    "paired_t_ci_low",
    "paired_t_ci_high",
    "wilcoxon_p",
    "smcc",
    "pooled_ci_low",
    "pooled_ci_high",
    "weight_percent",
    "included",
    "reason",
)
PARTICIPANT_COLUMNS = ("scope", "role", "variable", "level", "count", "suppressed")
SUPPRESSED, PRIMARY, SECONDARY = "yes", "<{}", "*"


def primary_rows(meta: pd.DataFrame) -> pd.DataFrame:
    return meta[meta["primary"] == "yes"]


def _lookup(frame: pd.DataFrame, role: str, outcome: str) -> Mapping[str, Any]:
    rows = frame[(frame["role"] == role) & (frame["outcome"] == outcome)]
    return rows.iloc[0].to_dict() if len(rows) else {}


def same_direction_share(site_effects: pd.Series, change: float | None) -> float | None:
    if change is None or change == 0 or site_effects.empty:
        return None
    return float(np.mean(np.sign(site_effects.to_numpy(float)) == np.sign(change)))


def criterion_cell(success: str, value: float | None) -> str:
    """✓ / ✗ / – with the criterion's number beside it."""
    mark = MARKS[success]
    if value is None or pd.isna(value):
        return mark
    return f"{mark} {value:.2g}" if abs(value) < 0.01 else f"{mark} {value:.3g}"


def criteria_matrix(criteria: pd.DataFrame) -> tuple[dict, dict]:
    """(cells, reasons), each keyed by (role, outcome) then criterion."""
    cells: dict[tuple[str, str], dict[str, str]] = {}
    reasons: dict[tuple[str, str], dict[str, str]] = {}
    for row in criteria.to_dict("records"):
        key = (row["role"], row["outcome"])
        cells.setdefault(key, {})[row["criterion"]] = criterion_cell(row["success"], row["value"])
        reasons.setdefault(key, {})[row["criterion"]] = row["reason"]
    return cells, reasons


def replication_table(
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    combined: pd.DataFrame,
    descriptives: pd.DataFrame,
    criteria: pd.DataFrame,
    verdicts: pd.DataFrame,
    original_study: Mapping[str, Any],
) -> pd.DataFrame:
    originals = original_results(original_study)
    stratified = combined[combined["test"] == "stratified_wilcoxon"]
    cells, _ = criteria_matrix(criteria)
    records = []
    for pooled in primary_rows(meta).to_dict("records"):
        role, outcome, measure = pooled["role"], pooled["outcome"], pooled["measure"]
        original = originals.get((role, outcome))
        described = _lookup(descriptives, role, outcome)
        decided = _lookup(verdicts, role, outcome)
        effects = weights[
            (weights["role"] == role)
            & (weights["outcome"] == outcome)
            & (weights["measure"] == measure)
            & (weights["method"] == pooled["method"])
        ]
        change = original.change if original else None
        records.append(
            {
                **{
                    key: pooled[key]
                    for key in (
                        "role",
                        "outcome",
                        "measure",
                        "method",
                        "test",
                        "estimate",
                        "ci_low",
                        "ci_high",
                        "pi_low",
                        "pi_high",
                        "p",
                        "i2",
                        "tau2",
                        "k",
                        "n_participants",
                    )
                },
                "original_median_pre": original and original.median_pre,
                "original_median_post": original and original.median_post,
                "original_p": original and original.p,
                "original_change": change,
                "pooled_median_pre": described.get("median_pre"),
                "pooled_median_post": described.get("median_post"),
                "same_direction_share": same_direction_share(
                    effects["yi"], change if measure == "MD" else None
                ),
                "stratified_wilcoxon_p": _lookup(stratified, role, outcome).get("p"),
                **cells.get((role, outcome), {}),
                "verdict": decided.get("verdict", ""),
                "verdict_reason": decided.get("verdict_reason", ""),
            }
        )
    return typed_frame(records, REPLICATION_COLUMNS, REPLICATION_TEXT, ("k", "n_participants"))


def matrix_table(
    criteria: pd.DataFrame, verdicts: pd.DataFrame, roles: Sequence[str], outcomes: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The criteria matrix: role × outcome rows, one column per criterion (✓ / ✗ / – and its
    number) and the verdict; with each cell's reason, for the HTML table's hover text."""
    cells, reasons = criteria_matrix(criteria)
    records, hover = [], {column: [] for column in (*CRITERIA, "verdict")}
    for role in roles:
        for outcome in outcomes:
            decided = _lookup(verdicts, role, outcome)
            records.append(
                {
                    "role": role,
                    "outcome": outcome,
                    **cells.get((role, outcome), {}),
                    "verdict": decided.get("verdict", ""),
                }
            )
            for name in CRITERIA:
                hover[name].append(reasons.get((role, outcome), {}).get(name, ""))
            hover["verdict"].append(decided.get("verdict_reason", ""))
    return typed_frame(records, MATRIX_COLUMNS, MATRIX_COLUMNS, ()), hover


def exclusion_reasons(meta_row: Mapping[str, Any]) -> dict[str, str]:
    """Parse a meta-analysis row's ``excluded_sites`` ("site: reason; ...")."""
    reasons = {}
    for part in str(meta_row.get("excluded_sites") or "").split("; "):
        if ": " in part:
            site, reason = part.split(": ", 1)
            reasons[site] = reason
    return reasons


SITE_ROW_COLUMNS = {
    "n_pairs": "n_pairs",
    "median_pre": "median_pre",
    "median_post": "median_post",
    "mean_diff": "mean_diff",
    "t_ci_low": "paired_t_ci_low",
    "t_ci_high": "paired_t_ci_high",
    "wilcoxon_p": "wilcoxon_p",
    "smcc": "smcc",
}


def sites_table(
    summaries: pd.DataFrame,
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    names: Mapping[str, str],
    roles: Sequence[str],
    outcomes: Sequence[str],
) -> pd.DataFrame:
    """One row per registered site × role × outcome, included or not (and why not)."""
    primary = primary_rows(meta)
    grid = pd.DataFrame(
        [
            (site, name, row["role"], row["outcome"])
            for row in primary.to_dict("records")
            for site, name in names.items()
        ],
        columns=["site_id", "name", "role", "outcome"],
    )
    keys = ["site_id", "role", "outcome"]
    values = summaries[[*keys, *SITE_ROW_COLUMNS]].rename(columns=SITE_ROW_COLUMNS)
    used = weights.merge(primary[["role", "outcome", "measure", "method"]])
    grid = grid.merge(values.drop_duplicates(keys), on=keys, how="left")
    # The interval the pooled analysis and the forest plot use for the site: yi ± z·√vi.
    pooled = used[[*keys, "ci_low", "ci_high", "weight_percent"]].rename(
        columns={"ci_low": "pooled_ci_low", "ci_high": "pooled_ci_high"}
    )
    grid = grid.merge(pooled.drop_duplicates(keys), on=keys, how="left")
    grid["included"] = np.where(grid["weight_percent"].notna(), "yes", "no")
    reasons = {
        (row["role"], row["outcome"]): exclusion_reasons(row) for row in primary.to_dict("records")
    }
    grid["reason"] = [
        "" if included == "yes" else reasons[(role, outcome)].get(site, "not pooled")
        for site, role, outcome, included in grid[[*keys, "included"]].itertuples(index=False)
    ]
    order = {(r, o): i for i, (r, o) in enumerate((r, o) for r in roles for o in outcomes)}
    grid["_order"] = [order.get(key, 0) for key in zip(grid["role"], grid["outcome"], strict=True)]
    grid = grid.sort_values("_order", kind="stable").drop(columns="_order")
    text = ("site_id", "name", "role", "outcome", "included", "reason")
    return typed_frame(grid.to_dict("records"), SITES_COLUMNS, text, ("n_pairs",))


def suppress(counts: Sequence[int], min_cell: int) -> list[str]:
    """Counts from 1 to min_cell − 1 read "<min_cell"; when exactly one cell of a group is
    hidden, the smallest other non-zero cell is hidden too ("*"), so that the group's
    shown total cannot reveal it. ``min_cell`` 0 turns suppression off."""
    shown = [str(count) for count in counts]
    if min_cell <= 0:
        return shown
    primary = [0 < count < min_cell for count in counts]
    for index, hidden in enumerate(primary):
        if hidden:
            shown[index] = PRIMARY.format(min_cell)
    if sum(primary) == 1:
        others = [i for i, count in enumerate(counts) if not primary[i] and count > 0]
        if others:
            shown[min(others, key=lambda i: (counts[i], i))] = SECONDARY
    return shown


def participants_table(
    demographics: pd.DataFrame, scopes: Sequence[str], roles: Sequence[str], min_cell: int
) -> pd.DataFrame:
    """Table 1: per site and pooled ("all sites"), per role, the participants by level."""
    records = []
    by_site = dict(tuple(demographics.groupby("site_id", sort=False)))
    empty = demographics.iloc[0:0]
    frames = [(scope, by_site.get(scope, empty)) for scope in scopes]
    frames.append(("all sites", demographics))
    for scope, rows in frames:
        for role in roles:
            records += _participant_records(scope, rows[rows["role"] == role], role, min_cell)
    return pd.DataFrame(records, columns=list(PARTICIPANT_COLUMNS))


def _participant_records(scope: str, rows: pd.DataFrame, role: str, min_cell: int) -> list:
    if rows.empty:
        return []
    variables = list(dict.fromkeys(rows["variable"]))
    first = rows[rows["variable"] == variables[0]]
    total = int(first["count"].sum())
    [total_shown] = suppress([total], min_cell)
    records = [_participant(scope, role, "participants", "n", total_shown)]
    for variable in variables:
        group = rows[rows["variable"] == variable].groupby("level", sort=False)["count"].sum()
        levels = [level for level in group.index if level != NOT_RECORDED or group[level] > 0]
        counts = [int(group[level]) for level in levels]
        for level, shown in zip(levels, suppress(counts, min_cell), strict=True):
            records.append(_participant(scope, role, variable, level, shown))
    return records


def _participant(scope: str, role: str, variable: str, level: str, shown: str) -> dict:
    hidden = shown.startswith("<") or shown == SECONDARY
    return {
        "scope": scope,
        "role": role,
        "variable": variable,
        "level": level,
        "count": shown,
        "suppressed": SUPPRESSED if hidden else "no",
    }


ITEM_TABLE_COLUMNS = (
    "scope",
    "role",
    "kind",
    "item",
    "level",
    "n",
    "count",
    "percent",
    "ci_low",
    "ci_high",
    "ci_method",
    "model_share_percent",
    "model_share_ci_low",
    "model_share_ci_high",
    "before_only",
    "after_only",
    "paired_p",
    "paired_test",
)
ITEM_TABLE_TEXT = ("scope", "role", "kind", "item", "level", "ci_method", "paired_test")
ITEM_TABLE_COUNTS = ("n", "count", "before_only", "after_only")
POOLED_SCOPE = "all sites"
SITE_SHARE_CI = "Wilson"
POOLED_SHARE_CI = "Clopper-Pearson (exact)"
MODEL_SHARE_LABEL = "model-based share across sites (random effects, logit)"


def _percent(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else 100 * float(value)


def _site_item_record(row: Mapping[str, Any], scope: str) -> dict[str, Any]:
    keys = {key: row[key] for key in ("role", "kind", "item", "level")}
    if row["kind"] == "concern_pair":
        return {
            "scope": scope,
            **keys,
            "n": row["n_pairs"],
            "before_only": row["before_only"],
            "after_only": row["after_only"],
            "paired_p": row["mcnemar_p"],
            "paired_test": "exact McNemar",
        }
    return {
        "scope": scope,
        **keys,
        "n": row["n_answered"],
        "count": row["count"],
        "percent": _percent(row["proportion"]),
        "ci_low": _percent(row["ci_low"]),
        "ci_high": _percent(row["ci_high"]),
        "ci_method": SITE_SHARE_CI,
    }


def _pooled_item_record(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = {key: row[key] for key in ("role", "kind", "item", "level")}
    if row["kind"] == "concern_pair":
        return {
            "scope": POOLED_SCOPE,
            **keys,
            "n": row["n_pairs"],
            "before_only": row["before_only"],
            "after_only": row["after_only"],
            "paired_p": row["mcnemar_exact_p"],
            "paired_test": "Mantel-Haenszel (matched pairs), exact conditional p",
        }
    return {
        "scope": POOLED_SCOPE,
        **keys,
        "n": row["n_answered"],
        "count": row["count"],
        # The share column holds what the counts say (count / n, exact CI), so no cell
        # contradicts its own count; the random-effects estimate is a model's answer
        # (it lets sites differ, and adds 0.5 to zero cells), so it gets its own columns.
        "percent": _percent(row["proportion"]),
        "ci_low": _percent(row["exact_ci_low"]),
        "ci_high": _percent(row["exact_ci_high"]),
        "ci_method": POOLED_SHARE_CI,
        "model_share_percent": _percent(row["re_proportion"]),
        "model_share_ci_low": _percent(row["re_ci_low"]),
        "model_share_ci_high": _percent(row["re_ci_high"]),
    }


def items_table(
    site_items: pd.DataFrame, pooled: pd.DataFrame, sites: Sequence[str]
) -> pd.DataFrame:
    """The main outcome per site and pooled: anticipated and experienced concerns, benefit
    and relationship effects."""
    records = []
    for row in pooled.to_dict("records"):
        records.append(_pooled_item_record(row))
        matches = site_items[
            (site_items["role"] == row["role"])
            & (site_items["kind"] == row["kind"])
            & (site_items["item"] == row["item"])
            & (site_items["level"] == row["level"])
        ]
        by_site = {r["site_id"]: r for r in matches.to_dict("records")}
        records += [_site_item_record(by_site[site], site) for site in sites if site in by_site]
    return typed_frame(records, ITEM_TABLE_COLUMNS, ITEM_TABLE_TEXT, ITEM_TABLE_COUNTS)
