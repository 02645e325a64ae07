"""A hospital's own report: its results beside the pooled result, its answers before and
after, how its file validated and its items. It holds only this site's aggregates and the
pooled aggregates: no other site's results, no participant id, small counts suppressed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from revmentor.core.instrument import TOTAL
from revmentor.core.tables import matching_rows
from revmentor.report.figures.likert import draw_likert, likert_data
from revmentor.report.figures.site_position import PositionRow, SitePosition, draw_site_position
from revmentor.report.figures.style import svg_bytes
from revmentor.report.page.answer import interval, number, outcome_subject, role_possessive
from revmentor.report.page.content import primary_rows
from revmentor.report.page.html import Cell, PageFigure, PageTable, embedded_figure
from revmentor.report.tables import SUPPRESSED_SHARE, shown_item_counts
from revmentor.validation.report import VALID

POOLED_LIKERT_LABEL = "All sites with participant-level data"
THIS_HOSPITAL = "This hospital"
WITHHELD_SHARE = "withheld by the hospital (small count): not in the pooled share"


def site_interval(row: Mapping[str, Any]) -> tuple[float, float, float]:
    """The site's estimate and CI as the pooling and the forest plots use them (weights.csv:
    yi ± z·√vi)."""
    return float(row["yi"]), float(row["ci_low"]), float(row["ci_high"])


def site_weights(
    weights: pd.DataFrame, site_id: str, pooling: Mapping[str, Any], **keys: str
) -> pd.DataFrame:
    """This site's rows of weights.csv in the primary analysis (its yi, vi and CI)."""
    return matching_rows(
        weights, site_id=site_id, measure=pooling["measure"], method=pooling["method"], **keys
    )


def position_rows(
    site_id: str,
    role: str,
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
) -> list[PositionRow]:
    primary = primary_rows(meta, pooling)
    mine = site_weights(weights, site_id, pooling, role=role)
    rows = []
    for outcome, label in outcome_labels.items():
        pooled = matching_rows(primary, role=role, outcome=outcome)
        site = matching_rows(mine, outcome=outcome)
        p = pooled.iloc[0] if len(pooled) else None
        rows.append(
            PositionRow(
                label=label,
                site=site_interval(site.iloc[0]) if len(site) else None,
                pooled=(float(p["estimate"]), float(p["ci_low"]), float(p["ci_high"]))
                if p is not None and pd.notna(p["estimate"])
                else None,
                prediction=(float(p["pi_low"]), float(p["pi_high"]))
                if p is not None and pd.notna(p["pi_low"])
                else None,
            )
        )
    return rows


def results_table(
    site_id: str,
    roles: Sequence[str],
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
) -> PageTable:
    """Per role × outcome: this site's change and CI, its weight, and the pooled change."""
    primary = primary_rows(meta, pooling)
    level = f"{float(pooling['level']) * 100:g}%"
    rows = []
    for role in roles:
        for outcome, label in outcome_labels.items():
            site = site_weights(weights, site_id, pooling, role=role, outcome=outcome)
            pooled = matching_rows(primary, role=role, outcome=outcome)
            if site.empty and pooled.empty:
                continue
            cells = [Cell(role.capitalize()), Cell(label)]
            if len(site):
                row = site.iloc[0]
                estimate, low, high = site_interval(row)
                cells += [
                    Cell(str(int(row["n_pairs"])), int(row["n_pairs"]), True),
                    Cell(f"{number(estimate)} ({interval(low, high)})", estimate, True),
                    Cell(f"{float(row['weight_percent']):.1f}", float(row["weight_percent"]), True),
                ]
            else:
                cells += [Cell("not in the pooled analysis"), Cell(""), Cell("")]
            if len(pooled) and pd.notna(pooled.iloc[0]["estimate"]):
                p = pooled.iloc[0]
                cells += [
                    Cell(
                        f"{number(p['estimate'])} ({interval(p['ci_low'], p['ci_high'])})",
                        float(p["estimate"]),
                        True,
                    ),
                    Cell(
                        interval(p["pi_low"], p["pi_high"]) if pd.notna(p["pi_low"]) else "",
                        None,
                        True,
                    ),
                    Cell(str(int(p["k"])), int(p["k"]), True),
                ]
            else:
                cells += [Cell("not pooled"), Cell(""), Cell("")]
            rows.append(tuple(cells))
    return PageTable(
        id="site-results",
        title="Change in confidence: this hospital and all sites (primary analysis)",
        columns=(
            "Role",
            "Outcome",
            "Pairs",
            f"This hospital: change ({level} CI)",
            "Weight in pooling (%)",
            f"All sites: change ({level} CI)",
            f"All sites: {level} prediction interval",
            "Sites (k)",
        ),
        rows=tuple(rows),
        notes=(
            "This hospital's CI is the estimate \u00b1 z\u00b7\u221avi, the normal "
            "approximation the pooled analysis and the forest plots use; the consortium's "
            "sites table also gives the paired-t CI.",
            "The prediction interval is where a new hospital's true change is expected to lie.",
        ),
    )


def validation_table(report: Mapping[str, Any]) -> PageTable:
    """Status, rows and participants, and the errors and warnings counted by check: never
    the cells themselves, which may hold participant ids."""
    rows = [
        (Cell("Status"), Cell(str(report["status"]).upper())),
        (Cell("File"), Cell(str(report.get("file") or ""))),
        (Cell("Format"), Cell(str(report.get("format", "")))),
        (Cell("Data rows"), Cell(str(report.get("n_rows", "")), None, True)),
    ]
    for role, count in (report.get("participants") or {}).items():
        rows.append((Cell(f"Participants: {role}s"), Cell(str(count), None, True)))
    for kind in ("errors", "warnings"):
        checks = Counter(str(entry.get("check", "")) for entry in report.get(kind) or ())
        total = int(report.get(f"n_{kind}", sum(checks.values())))
        text = str(total)
        if checks:
            text += ": " + "; ".join(f"{check} \u00d7 {n}" for check, n in sorted(checks.items()))
        rows.append((Cell(kind.capitalize()), Cell(text)))
    return PageTable(
        id="site-validation",
        title="How the file validated",
        columns=("", "Result"),
        rows=tuple(rows),
        notes=(
            "Each error and warning, with its row and column, is in this hospital's "
            "validation report (results/validation/<site>.md), which stays at the site.",
        ),
    )


def items_rows(
    site_items: pd.DataFrame,
    pooled_items: pd.DataFrame,
    role: str,
    item_labels: Mapping[str, str],
    min_cell: int,
) -> list[tuple[Cell, ...]]:
    rows = []
    mine = site_items[site_items["role"] == role]
    ours = pooled_items[pooled_items["role"] == role]
    # The consortium's items table shows the same cells by the same rule.
    mine_shown, ours_shown = shown_item_counts(mine, min_cell), shown_item_counts(ours, min_cell)
    for index, record in zip(ours.index, ours.to_dict("records"), strict=True):
        if str(record["kind"]) not in ("binary", "categorical"):
            continue
        level = "" if pd.isna(record["level"]) else str(record["level"])
        label = item_labels.get(str(record["item"]), str(record["item"]))
        label += f": {level}" if level else ""
        site = mine[
            (mine["kind"] == record["kind"])
            & (mine["item"] == record["item"])
            & (mine["level"].fillna("").astype(str) == level)
        ]
        cells = [Cell(role.capitalize()), Cell(label)]
        if len(site) and pd.notna(site.iloc[0]["n_answered"]) and pd.isna(site.iloc[0]["count"]):
            # A summary-only site withheld the count (disclosure.min_cell): not 0, unknown.
            n_shown = mine_shown.loc[site.index[0], "n"]
            cells += [Cell(f"withheld of {n_shown}", None, True), Cell(WITHHELD_SHARE)]
        elif len(site) and pd.notna(site.iloc[0]["n_answered"]):
            s = site.iloc[0]
            n, count = int(s["n_answered"]), int(s["count"])
            shown = mine_shown.loc[site.index[0]]
            if shown["hidden"]:
                share = SUPPRESSED_SHARE
            else:
                share = (
                    f"{100 * count / n:.0f}% ({100 * s['ci_low']:.0f} to {100 * s['ci_high']:.0f})"
                )
            cells += [
                Cell(f"{shown['count']} of {shown['n']}", None, True),
                Cell(share, None, True),
            ]
        else:
            cells += [Cell("no answers"), Cell("")]
        n, count = int(record["n_answered"]), int(record["count"])
        shown = ours_shown.loc[index]
        if shown["hidden"]:
            pooled_share = SUPPRESSED_SHARE
        elif n:
            pooled_share = (
                f"{100 * count / n:.0f}% ({100 * record['exact_ci_low']:.0f} to "
                f"{100 * record['exact_ci_high']:.0f})"
            )
        else:
            pooled_share = ""
        cells += [
            Cell(f"{shown['count']} of {shown['n']}", None, True),
            Cell(pooled_share, None, True),
        ]
        rows.append(tuple(cells))
    return rows


def items_table(
    site_items: pd.DataFrame,
    pooled_items: pd.DataFrame,
    roles: Sequence[str],
    item_labels: Mapping[str, str],
    min_cell: int,
) -> PageTable:
    rows = [
        row
        for role in roles
        for row in items_rows(site_items, pooled_items, role, item_labels, min_cell)
    ]
    rule = (
        f"Counts from 1 to {min_cell - 1} are shown as <{min_cell}, without their share; * "
        "marks a count hidden because another answer's count is small and the total would "
        "reveal it (as in Table 1). The same rule applies to this hospital and to all sites, "
        "as in the consortium's items table."
        if min_cell
        else "Small-cell suppression is off (disclosure.min_cell = 0)."
    )
    return PageTable(
        id="site-items",
        title="Concerns before and after, benefit and the working relationship",
        columns=(
            "Role",
            "Item",
            "This hospital: yes",
            "This hospital: share (Wilson 95% CI)",
            "All sites: yes",
            "All sites: observed share (exact 95% CI)",
        ),
        rows=tuple(rows),
        notes=(rule, "All sites: the observed share of all pooled participants, count / n."),
    )


def likert_figures(
    site_id: str,
    site_name: str,
    likert: pd.DataFrame,
    roles: Sequence[str],
    domain_labels: Mapping[str, str],
    levels: Sequence[int],
    timepoints: Sequence[str],
) -> list[PageFigure]:
    """Per role, every domain: this hospital beside all participant-level sites pooled."""
    figures = []
    counts = likert[likert["outcome"].isin(list(domain_labels))]
    for role in roles:
        of_role = counts[counts["role"] == role]
        mine = of_role[of_role["site_id"] == site_id].assign(label=THIS_HOSPITAL)
        if mine.empty or int(mine["count"].sum()) == 0:
            continue
        pooled = of_role.groupby(["outcome", "timepoint", "level"], as_index=False, sort=False)[
            "count"
        ].sum()
        pooled["label"] = POOLED_LIKERT_LABEL
        data = likert_data(
            pd.concat([mine, pooled], ignore_index=True),
            domain_labels,
            levels,
            timepoints=timepoints,
            title=f"{role_possessive(role)} answers before and after (% of answers)",
        )
        figures.append(
            embedded_figure(
                f"likert-{role}",
                svg_bytes(draw_likert(data)),
                f"Diverging bar chart: {role}s of {site_name} and of all sites with "
                "participant-level data, share of answers at each score before and after, "
                "per domain.",
                f"{role.capitalize()}s: this hospital beside all sites with participant-level "
                "data (summary-only sites send no answer counts).",
            )
        )
    return figures


def position_figure(
    site_id: str,
    site_name: str,
    roles: Sequence[str],
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
    axis_label: str,
) -> PageFigure | None:
    domains: list[PositionRow] = []
    totals: list[PositionRow] = []
    for role in roles:
        for outcome, row in zip(
            outcome_labels,
            position_rows(site_id, role, meta, weights, pooling, outcome_labels),
            strict=True,
        ):
            shown = PositionRow(
                f"{role.capitalize()}s: {row.label}", row.site, row.pooled, row.prediction
            )
            (totals if outcome == TOTAL else domains).append(shown)
    rows = domains + totals
    if not any(row.site for row in rows):
        return None
    data = SitePosition(
        title=f"{site_name} beside all sites",
        site_label=f"This hospital ({float(pooling['level']) * 100:g}% CI)",
        axis_label=axis_label,
        panels=(tuple(domains), tuple(totals)),
        footer="CIs: estimate \u00b1 z\u00b7\u221avi, the normal approximation the pooling uses.",
    )
    return embedded_figure(
        "site-position",
        svg_bytes(draw_site_position(data)),
        f"Dot plot: {site_name}'s change in every outcome beside the pooled change of all "
        "sites, with its CI and the prediction interval.",
        "Squares: this hospital; diamonds: all sites pooled (primary analysis); grey bars: "
        "the prediction interval for a new hospital.",
    )


def summary_lines(
    site_id: str,
    site_name: str,
    report: Mapping[str, Any],
    headline: Sequence[tuple[str, str]],
    meta: pd.DataFrame,
    weights: pd.DataFrame,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
) -> list[str]:
    level = f"{float(pooling['level']) * 100:g}%"
    lines = [
        f"{site_name} ({site_id}): file {str(report['status']).lower()}, "
        + ", ".join(f"{n} {role}s" for role, n in (report.get("participants") or {}).items())
        + "."
    ]
    if report["status"] != VALID:
        lines.append(
            "This hospital's file did not pass validation, so it is not in the pooled "
            f"analysis. Its validation report, results/validation/{site_id}.md, names each "
            "problem with its row and column; once the file is corrected, the next run "
            "includes it."
        )
    primary = primary_rows(meta, pooling)
    for role, outcome in headline:
        subject = outcome_subject(role, outcome, outcome_labels.get(outcome, outcome))
        site = site_weights(weights, site_id, pooling, role=role, outcome=outcome)
        pooled = matching_rows(primary, role=role, outcome=outcome)
        if site.empty or pooled.empty:
            continue
        estimate, low, high = site_interval(site.iloc[0])
        p = pooled.iloc[0]
        lines.append(
            f"{subject}: here {number(estimate)} ({level} CI "
            f"{interval(low, high)}); all {int(p['k'])} sites {number(p['estimate'])} "
            f"({level} CI {interval(p['ci_low'], p['ci_high'])})."
        )
    return lines
