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
from revmentor.report.figures.likert import LikertData, likert_bars, likert_svg
from revmentor.report.figures.site_position import PositionRow, SitePosition, site_position_svg
from revmentor.report.page.answer import interval, number, outcome_subject, role_possessive
from revmentor.report.page.content import primary_rows
from revmentor.report.page.html import (
    INLINE_FIGURE_STYLE,
    Cell,
    PageFigure,
    PageTable,
    inline_figure,
)
from revmentor.report.tables import SUPPRESSED_SHARE, shown_item_counts
from revmentor.validation.report import VALID

POOLED_LIKERT_LABEL = "All sites with participant-level data"
THIS_HOSPITAL = "This hospital"
WITHHELD_SHARE = "withheld by the hospital (small count): not in the pooled share"


def site_interval(row: Mapping[str, Any]) -> tuple[float, float, float]:
    """The site's estimate and CI as the pooling and the forest plots use them (weights.csv:
    yi ± z·√vi)."""
    return float(row["yi"]), float(row["ci_low"]), float(row["ci_high"])


class SiteResults:
    """weights.csv and the primary analysis indexed once by (role, outcome), for every
    hospital page: a page looks its rows up instead of scanning weights.csv, which grows
    with the sites (at 1,000 sites a scan per row cost more than drawing the page). A
    lookup gives the first matching row, as ``.iloc[0]`` of the matching rows did."""

    def __init__(self, meta: pd.DataFrame, weights: pd.DataFrame, pooling: Mapping[str, Any]):
        self._pooled: dict[tuple[str, str], dict[str, Any]] = {}
        for record in primary_rows(meta, pooling).to_dict("records"):
            self._pooled.setdefault((record["role"], record["outcome"]), record)
        mine = matching_rows(weights, measure=pooling["measure"], method=pooling["method"])
        self._sites: dict[Any, dict[tuple[str, str], dict[str, Any]]] = {}
        for record in mine.to_dict("records"):
            by_site = self._sites.setdefault(record["site_id"], {})
            by_site.setdefault((record["role"], record["outcome"]), record)

    def pooled(self, role: str, outcome: str) -> Mapping[str, Any] | None:
        """The primary analysis's row for ``role`` × ``outcome``, if pooled."""
        return self._pooled.get((role, outcome))

    def site(self, site_id: str, role: str, outcome: str) -> Mapping[str, Any] | None:
        """This site's row of weights.csv in the primary analysis (its yi, vi and CI)."""
        return self._sites.get(site_id, {}).get((role, outcome))


def position_rows(
    site_id: str, role: str, results: SiteResults, outcome_labels: Mapping[str, str]
) -> list[PositionRow]:
    rows = []
    for outcome, label in outcome_labels.items():
        p, site = results.pooled(role, outcome), results.site(site_id, role, outcome)
        rows.append(
            PositionRow(
                label=label,
                site=site_interval(site) if site is not None else None,
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
    results: SiteResults,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
) -> PageTable:
    """Per role × outcome: this site's change and CI, its weight, and the pooled change."""
    level = f"{float(pooling['level']) * 100:g}%"
    rows = []
    for role in roles:
        for outcome, label in outcome_labels.items():
            row, p = results.site(site_id, role, outcome), results.pooled(role, outcome)
            if row is None and p is None:
                continue
            cells = [Cell(role.capitalize()), Cell(label)]
            if row is not None:
                estimate, low, high = site_interval(row)
                cells += [
                    Cell(str(int(row["n_pairs"])), int(row["n_pairs"]), True),
                    Cell(f"{number(estimate)} ({interval(low, high)})", estimate, True),
                    Cell(f"{float(row['weight_percent']):.1f}", float(row["weight_percent"]), True),
                ]
            else:
                cells += [Cell("not in the pooled analysis"), Cell(""), Cell("")]
            if p is not None and pd.notna(p["estimate"]):
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


ItemKey = tuple[Any, Any, str]


def _level_text(level: Any) -> str:
    return "" if pd.isna(level) else str(level)


class ItemsShown:
    """The items rows and the counts each may show (the small-count rule), worked out once
    for every hospital page: per site and role, its rows by (kind, item, level); per role,
    the pooled binary and categorical rows in order. The rule groups a site's rows by
    site, role, kind and item, so one pass over all sites shows each row as a pass over one
    site's rows did."""

    def __init__(self, site_items: pd.DataFrame, pooled_items: pd.DataFrame, min_cell: int):
        # Positions, not labels: an index need not be unique.
        site_items, pooled_items = (
            site_items.reset_index(drop=True),
            pooled_items.reset_index(drop=True),
        )
        # The consortium's items table shows the same cells by the same rule.
        site_shown = shown_item_counts(site_items, min_cell).to_dict("index")
        pooled_shown = shown_item_counts(pooled_items, min_cell).to_dict("index")
        self.sites: dict[tuple[Any, Any], dict[ItemKey, tuple[dict, dict]]] = {}
        for index, record in zip(site_items.index, site_items.to_dict("records"), strict=True):
            rows = self.sites.setdefault((record["site_id"], record["role"]), {})
            key = (record["kind"], record["item"], _level_text(record["level"]))
            rows.setdefault(key, (record, site_shown[index]))
        self.pooled: dict[Any, list[tuple[dict, dict]]] = {}
        for index, record in zip(pooled_items.index, pooled_items.to_dict("records"), strict=True):
            if str(record["kind"]) in ("binary", "categorical"):
                self.pooled.setdefault(record["role"], []).append((record, pooled_shown[index]))


def _site_item_cells(found: tuple[dict, dict] | None) -> list[Cell]:
    if found is None or pd.isna(found[0]["n_answered"]):
        return [Cell("no answers"), Cell("")]
    s, shown = found
    if pd.isna(s["count"]):
        # A summary-only site withheld the count (disclosure.min_cell): not 0, unknown.
        return [Cell(f"withheld of {shown['n']}", None, True), Cell(WITHHELD_SHARE)]
    n, count = int(s["n_answered"]), int(s["count"])
    if shown["hidden"]:
        share = SUPPRESSED_SHARE
    else:
        share = f"{100 * count / n:.0f}% ({100 * s['ci_low']:.0f} to {100 * s['ci_high']:.0f})"
    return [Cell(f"{shown['count']} of {shown['n']}", None, True), Cell(share, None, True)]


def items_rows(
    site_id: str, items: ItemsShown, role: str, item_labels: Mapping[str, str]
) -> list[tuple[Cell, ...]]:
    rows = []
    mine = items.sites.get((site_id, role), {})
    for record, shown in items.pooled.get(role, []):
        level = _level_text(record["level"])
        label = item_labels.get(str(record["item"]), str(record["item"]))
        label += f": {level}" if level else ""
        cells = [Cell(role.capitalize()), Cell(label)]
        cells += _site_item_cells(mine.get((record["kind"], record["item"], level)))
        n, count = int(record["n_answered"]), int(record["count"])
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
    """One site's items (``site_items`` holds its rows only) beside all sites'."""
    sites = set(site_items["site_id"])
    if len(sites) > 1:
        raise ValueError(f"items of one site expected, got {sorted(map(str, sites))}")
    items = ItemsShown(site_items, pooled_items, min_cell)
    return site_items_table(next(iter(sites), ""), items, roles, item_labels, min_cell)


def site_items_table(
    site_id: str,
    items: ItemsShown,
    roles: Sequence[str],
    item_labels: Mapping[str, str],
    min_cell: int,
) -> PageTable:
    rows = [row for role in roles for row in items_rows(site_id, items, role, item_labels)]
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


class LikertCounts:
    """The hospital pages' answer counts, summed once for all of them: per role, each
    site's counts and all sites' pooled counts, by (outcome, timepoint), in level order.
    Summing the pooled counts again for every page made the pages quadratic in the sites."""

    def __init__(
        self,
        likert: pd.DataFrame,
        roles: Sequence[str],
        domain_labels: Mapping[str, str],
        levels: Sequence[int],
    ) -> None:
        self.levels = tuple(int(level) for level in levels)
        position = {level: index for index, level in enumerate(self.levels)}
        counts = likert[likert["outcome"].isin(list(domain_labels)) & likert["role"].isin(roles)]
        unknown = sorted(set(counts["level"].astype(int)) - set(self.levels))
        if unknown:
            raise ValueError(f"levels {unknown} are not on the scale {self.levels}")
        self.outcomes: dict[str, list[str]] = {}
        self.timepoints: dict[str, list[str]] = {}
        self.pooled: dict[str, dict[tuple[str, str, str], list[float]]] = {}
        self.sites: dict[tuple[str, str], dict[tuple[str, str, str], list[float]]] = {}
        self.site_timepoints: dict[tuple[str, str], list[str]] = {}
        self.answered: dict[tuple[str, str], float] = {}
        for role in roles:
            of_role = counts[counts["role"] == role]
            present = set(of_role["outcome"].astype(str))
            self.outcomes[role] = [outcome for outcome in domain_labels if outcome in present]
            self.timepoints[role] = list(dict.fromkeys(of_role["timepoint"].astype(str)))
            pooled: dict[tuple[str, str, str], list[float]] = {}
            keys = ["site_id", "outcome", "timepoint", "level"]
            summed = of_role.groupby(keys, sort=False)["count"].sum()
            for (site, outcome, timepoint, level), count in summed.items():
                key = (str(outcome), str(timepoint))
                row = self.sites.setdefault((role, site), {}).setdefault(
                    (key[0], THIS_HOSPITAL, key[1]), [0] * len(self.levels)
                )
                row[position[int(level)]] += count
                total = pooled.setdefault(
                    (key[0], POOLED_LIKERT_LABEL, key[1]), [0] * len(self.levels)
                )
                total[position[int(level)]] += count
                self.answered[(role, site)] = self.answered.get((role, site), 0) + count
                seen = self.site_timepoints.setdefault((role, site), [])
                if key[1] not in seen:
                    seen.append(key[1])
            self.pooled[role] = pooled

    def data(
        self,
        site_id: str,
        role: str,
        domain_labels: Mapping[str, str],
        timepoints: Sequence[str],
        title: str,
    ) -> LikertData | None:
        """This hospital beside all sites, or None if it has no answers from ``role``."""
        if not self.answered.get((role, site_id)):
            return None
        # Timepoints as likert_data orders them: the instrument's first, then any other in
        # order of appearance (this site's rows came first).
        present = list(
            dict.fromkeys([*self.site_timepoints[(role, site_id)], *self.timepoints[role]])
        )
        ordered = [t for t in timepoints if t in present] + [
            t for t in present if t not in timepoints
        ]
        return likert_bars(
            {**self.sites[(role, site_id)], **self.pooled[role]},
            self.outcomes[role],
            (THIS_HOSPITAL, POOLED_LIKERT_LABEL),
            ordered,
            domain_labels,
            self.levels,
            title=title,
        )


def likert_figures(
    site_id: str,
    site_name: str,
    counts: LikertCounts,
    roles: Sequence[str],
    domain_labels: Mapping[str, str],
    timepoints: Sequence[str],
) -> list[PageFigure]:
    """Per role, every domain: this hospital beside all participant-level sites pooled."""
    figures = []
    for role in roles:
        data = counts.data(
            site_id,
            role,
            domain_labels,
            timepoints,
            f"{role_possessive(role)} answers before and after (% of answers)",
        )
        if data is None:
            continue
        figure_id = f"likert-{role}"
        alt = (
            f"Diverging bar chart: {role}s of {site_name} and of all sites with "
            "participant-level data, share of answers at each score before and after, "
            "per domain."
        )
        figures.append(
            inline_figure(
                figure_id,
                likert_svg(data, figure_id, alt, INLINE_FIGURE_STYLE),
                alt,
                f"{role.capitalize()}s: this hospital beside all sites with participant-level "
                "data (summary-only sites send no answer counts).",
            )
        )
    return figures


def position_figure(
    site_id: str,
    site_name: str,
    roles: Sequence[str],
    results: SiteResults,
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
    axis_label: str,
) -> PageFigure | None:
    domains: list[PositionRow] = []
    totals: list[PositionRow] = []
    for role in roles:
        for outcome, row in zip(
            outcome_labels,
            position_rows(site_id, role, results, outcome_labels),
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
    alt = (
        f"Dot plot: {site_name}'s change in every outcome beside the pooled change of all "
        "sites, with its CI and the prediction interval."
    )
    return inline_figure(
        "site-position",
        site_position_svg(data, "site-position", alt, INLINE_FIGURE_STYLE),
        alt,
        "Squares: this hospital; diamonds: all sites pooled (primary analysis); grey bars: "
        "the prediction interval for a new hospital.",
    )


def summary_lines(
    site_id: str,
    site_name: str,
    report: Mapping[str, Any],
    headline: Sequence[tuple[str, str]],
    results: SiteResults,
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
    for role, outcome in headline:
        subject = outcome_subject(role, outcome, outcome_labels.get(outcome, outcome))
        site, p = results.site(site_id, role, outcome), results.pooled(role, outcome)
        if site is None or p is None:
            continue
        estimate, low, high = site_interval(site)
        lines.append(
            f"{subject}: here {number(estimate)} ({level} CI "
            f"{interval(low, high)}); all {int(p['k'])} sites {number(p['estimate'])} "
            f"({level} CI {interval(p['ci_low'], p['ci_high'])})."
        )
    return lines
