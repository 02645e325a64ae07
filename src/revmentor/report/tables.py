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
    # One pass over the rows into (site, role) buckets, in file order: filtering the frame
    # per site, role and variable took seconds at 1,000 sites.
    columns = ("site_id", "role", "variable", "level", "count")
    rows = list(zip(*(demographics[column].tolist() for column in columns), strict=True))
    by_site: dict[tuple[Any, Any], list[tuple[Any, Any, Any]]] = {}
    by_role: dict[Any, list[tuple[Any, Any, Any]]] = {}
    for site, role, variable, level, count in rows:
        if not _missing(site):
            by_site.setdefault((site, role), []).append((variable, level, count))
        by_role.setdefault(role, []).append((variable, level, count))
    records = []
    for scope in scopes:
        for role in roles:
            records += _participant_records(scope, by_site.get((scope, role), []), role, min_cell)
    for role in roles:
        records += _participant_records("all sites", by_role.get(role, []), role, min_cell)
    return pd.DataFrame(records, columns=list(PARTICIPANT_COLUMNS))


def _missing(value: Any) -> bool:
    return not isinstance(value, str) and bool(pd.isna(value))


def _participant_records(
    scope: str, rows: Sequence[tuple[Any, Any, Any]], role: str, min_cell: int
) -> list:
    """``rows``: one role's (variable, level, count) at one scope, in file order. Levels in
    order of first appearance and counts summed as pandas' groupby(sort=False) does; a
    missing variable or level (NaN) matches no row and a missing count adds nothing."""
    if not rows:
        return []
    variables = list(dict.fromkeys(variable for variable, _, _ in rows))
    by_variable: dict[Any, dict[Any, list[Any]]] = {}
    for variable, level, count in rows:
        if not _missing(variable) and not _missing(level):
            by_variable.setdefault(variable, {}).setdefault(level, []).append(count)
    groups = {
        variable: {level: _count_sum(counts) for level, counts in levels.items()}
        for variable, levels in by_variable.items()
    }
    first = [count for variable, _, count in rows if variable == variables[0]]
    total = int(_count_sum(first))
    [total_shown] = suppress([total], min_cell)
    records = [_participant(scope, role, "participants", "n", total_shown)]
    for variable in variables:
        group = groups.get(variable, {})
        levels = [level for level in group if level != NOT_RECORDED or group[level] > 0]
        counts = [int(group[level]) for level in levels]
        for level, shown in zip(levels, suppress(counts, min_cell), strict=True):
            records.append(_participant(scope, role, variable, level, shown))
    return records


def _count_sum(counts: Sequence[Any]) -> Any:
    """A sum of counts as pandas' sum gives it: a missing count adds nothing."""
    return sum((count for count in counts if not _missing(count)), start=0)


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
    "suppressed",
)
# The counts are text, as in Table 1: a number, "<min_cell" or "*" (see ``suppress``).
ITEM_TABLE_NUMBERS = (
    "percent",
    "ci_low",
    "ci_high",
    "model_share_percent",
    "model_share_ci_low",
    "model_share_ci_high",
    "paired_p",
)
ITEM_TABLE_TEXT = tuple(name for name in ITEM_TABLE_COLUMNS if name not in ITEM_TABLE_NUMBERS)
POOLED_SCOPE = "all sites"
#: What a reader sees where a share is left out because its count is suppressed, so that
#: the empty cell is not taken for a missing value.
SUPPRESSED_SHARE = "suppressed (small count)"
SITE_SHARE_CI = "Wilson"
POOLED_SHARE_CI = "Clopper-Pearson (exact)"
MODEL_SHARE_LABEL = "model-based share across sites (random effects, logit)"
#: A summary-only site's count that the site itself withheld under disclosure.min_cell.
WITHHELD_AT_SITE = "withheld"
SHARE_COLUMNS = ("percent", "ci_low", "ci_high")
MODEL_SHARE_COLUMNS = ("model_share_percent", "model_share_ci_low", "model_share_ci_high")


def _percent(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else 100 * float(value)


def _whole(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _is_hidden(shown: str) -> bool:
    return shown.startswith("<") or shown == SECONDARY


def _shown_group(counts: Sequence[int | None], n: int, min_cell: int) -> list[str]:
    """One scope's levels of one item as one group for ``suppress``: the levels' counts and
    what n leaves over (a binary item's "no"; 0 for a categorical item answered once by
    everyone), since n is shown and the remainder would give a hidden count back. A count
    the site withheld stays withheld; it is part of the remainder."""
    known = [count for count in counts if count is not None]
    shown = iter(suppress([*known, n - sum(known)], min_cell))
    # Nobody answered: an empty count hides nothing.
    missing = WITHHELD_AT_SITE if n else ""
    return [missing if count is None else next(shown) for count in counts]


def shown_item_counts(rows: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The n and count that may be shown for each binary or categorical row of an items
    frame (a site's ``items.csv`` rows, several sites' or ``results/pooled/items.csv``),
    indexed like ``rows``: columns ``n``, ``count`` (text: the number, "<min_cell", "*" or
    "withheld") and ``hidden`` (the count, or n, is not shown, so neither is any share that
    would give it back). The one rule for the items table and the hospital page."""
    keys = [key for key in ("site_id", "role", "kind", "item") if key in rows.columns]
    # Grouped in one pass over plain lists and the frame built once: the frame's own
    # groupby and a cell by cell ``.at`` took seconds at 1,000 sites.
    shown = {name: np.full(len(rows), np.nan, dtype=object) for name in ("n", "count", "hidden")}
    kinds = rows["kind"].tolist()
    key_values = list(zip(*(rows[key].tolist() for key in keys), strict=True))
    groups: dict[tuple[Any, ...], list[int]] = {}
    for position, (kind, key) in enumerate(zip(kinds, key_values, strict=True)):
        if kind in ("binary", "categorical"):
            # groupby(dropna=False): every missing key is one group.
            groups.setdefault(tuple(None if _missing(v) else v for v in key), []).append(position)
    answered = rows["n_answered"].tolist()
    counted = rows["count"].tolist()
    for positions in groups.values():
        sizes = [_whole(answered[position]) or 0 for position in positions]
        counts = [_whole(counted[position]) for position in positions]
        if len(set(sizes)) == 1:
            texts = _shown_group(counts, sizes[0], min_cell)
        else:
            # Levels pooled over different sites (one withheld a level): each level's
            # count and its own complement are the group.
            texts = [_shown_group([c], n, min_cell)[0] for c, n in zip(counts, sizes, strict=True)]
        for position, size, text in zip(positions, sizes, texts, strict=True):
            [n_text] = suppress([size], min_cell)
            shown["n"][position] = n_text
            shown["count"][position] = text
            shown["hidden"][position] = any(
                _is_hidden(cell) or cell == WITHHELD_AT_SITE for cell in (n_text, text)
            )
    return pd.DataFrame(shown, index=rows.index, columns=["n", "count", "hidden"])


def _shown_pair(row: Mapping[str, Any], pooled: bool, min_cell: int) -> dict[str, Any]:
    """A concern pair's discordant counts, each hidden when small. A site's exact McNemar p
    is a function of the two, so it goes with a hidden one; the all-sites Mantel-Haenszel p
    sums several sites' tables and does not pin the counts down, so it stays."""
    pairs = _whole(row["n_pairs"]) or 0
    [n_text] = suppress([pairs], min_cell)
    missing = WITHHELD_AT_SITE if pairs else ""
    before, after = (
        missing if _whole(row[key]) is None else suppress([_whole(row[key])], min_cell)[0]
        for key in ("before_only", "after_only")
    )
    hidden = any(_is_hidden(text) or text == WITHHELD_AT_SITE for text in (n_text, before, after))
    p_column = "mcnemar_exact_p" if pooled else "mcnemar_p"
    return {
        "n": n_text,
        "before_only": before,
        "after_only": after,
        "paired_p": row[p_column] if pooled or not hidden else None,
        "suppressed": SUPPRESSED if hidden else "no",
    }


def _site_item_record(row: Mapping[str, Any], scope: str, shown: Mapping[str, Any]) -> dict:
    keys = {key: row[key] for key in ("role", "kind", "item", "level")}
    if row["kind"] == "concern_pair":
        return {"scope": scope, **keys, "paired_test": "exact McNemar", **shown}
    return {
        "scope": scope,
        **keys,
        "percent": _percent(row["proportion"]),
        "ci_low": _percent(row["ci_low"]),
        "ci_high": _percent(row["ci_high"]),
        "ci_method": SITE_SHARE_CI,
        **shown,
    }


def _pooled_item_record(row: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    keys = {key: row[key] for key in ("role", "kind", "item", "level")}
    if row["kind"] == "concern_pair":
        return {
            "scope": POOLED_SCOPE,
            **keys,
            "paired_test": "Mantel-Haenszel (matched pairs), exact conditional p",
            **shown,
        }
    return {
        "scope": POOLED_SCOPE,
        **keys,
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
        **shown,
    }


def _shown_counts(frame: pd.DataFrame, pooled: bool, min_cell: int) -> dict[Any, dict[str, Any]]:
    """Per row of ``frame``: the shown n and counts, and which shares go with them. The
    model-based share is close to count / n when the sites agree, so it goes too."""
    shares = shown_item_counts(frame, min_cell)
    texts = zip(
        shares["n"].tolist(), shares["count"].tolist(), shares["hidden"].tolist(), strict=True
    )
    cells: dict[Any, dict[str, Any]] = {}
    for index, row, (n_text, count_text, hidden_cell) in zip(
        frame.index, frame.to_dict("records"), texts, strict=True
    ):
        if row["kind"] == "concern_pair":
            cells[index] = _shown_pair(row, pooled, min_cell)
            continue
        hidden = bool(hidden_cell)
        cells[index] = {
            "n": n_text,
            "count": count_text,
            "suppressed": SUPPRESSED if hidden else "no",
            **(
                {column: None for column in (*SHARE_COLUMNS, *MODEL_SHARE_COLUMNS)}
                if hidden
                else {}
            ),
        }
    return cells


def items_table(
    site_items: pd.DataFrame, pooled: pd.DataFrame, sites: Sequence[str], min_cell: int
) -> pd.DataFrame:
    """The main outcome per site and pooled: anticipated and experienced concerns, benefit
    and relationship effects; counts from 1 to ``min_cell`` − 1 suppressed as in Table 1."""
    site_cells = _shown_counts(site_items, False, min_cell)
    pooled_cells = _shown_counts(pooled, True, min_cell)
    # Each site's row of each item, looked up once: filtering the sites' rows per pooled row
    # took most of the table's time at 1,000 sites. A missing key matches nothing, as ==.
    item_keys = ("role", "kind", "item", "level")
    by_item: dict[tuple[Any, ...], dict[Any, tuple[Any, dict]]] = {}
    for index, row in zip(site_items.index, site_items.to_dict("records"), strict=True):
        key = tuple(row[name] for name in item_keys)
        if not any(_missing(value) for value in key):
            by_item.setdefault(key, {})[row["site_id"]] = (index, row)
    records = []
    for index, row in zip(pooled.index, pooled.to_dict("records"), strict=True):
        records.append(_pooled_item_record(row, pooled_cells[index]))
        key = tuple(row[name] for name in item_keys)
        by_site = {} if any(_missing(value) for value in key) else by_item.get(key, {})
        records += [
            _site_item_record(by_site[site][1], site, site_cells[by_site[site][0]])
            for site in sites
            if site in by_site
        ]
    return typed_frame(records, ITEM_TABLE_COLUMNS, ITEM_TABLE_TEXT, ())
