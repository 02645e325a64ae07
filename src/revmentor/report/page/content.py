"""What the consortium page says, built from the pooled files and the figures already drawn:
the answer, who took part, the results per outcome, methods, appendix and provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from revmentor.core.tables import matching_rows
from revmentor.report.figure_names import (
    baujat_stem,
    bubble_stem,
    cumulative_stem,
    forest_stem,
    likert_stem,
    subgroup_stem,
)
from revmentor.report.page.answer import Answer, answers, interval, number, outcome_subject
from revmentor.report.page.html import PageFigure, embedded_figure
from revmentor.report.settings import Settings, headline_outcomes, reference_changes

PERCENT = "%"


@dataclass(frozen=True)
class OutcomeSection:
    id: str
    title: str
    summary: str
    lines: tuple[str, ...]
    figures: tuple[PageFigure, ...]


def primary_rows(meta: pd.DataFrame, pooling: Mapping[str, Any]) -> pd.DataFrame:
    return matching_rows(
        meta, measure=pooling["measure"], method=pooling["method"], test=pooling["test"]
    )


def p_words(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def outcome_summary(row: Mapping[str, Any], level: float) -> str:
    """The primary estimate with its CI, PI, p, I² and τ², in one sentence."""
    if pd.isna(row["estimate"]):
        return f"Not pooled: {row.get('note') or 'no site had data'}."
    percent = f"{level * 100:g}%"
    parts = [
        f"Change {number(row['estimate'])} ({percent} CI {interval(row['ci_low'], row['ci_high'])}"
    ]
    if pd.notna(row["pi_low"]):
        parts[0] += f"; {percent} prediction interval {interval(row['pi_low'], row['pi_high'])}"
    parts[0] += ")"
    if pd.notna(row["p"]):
        parts.append(p_words(float(row["p"])))
    if pd.notna(row["i2"]):
        parts.append(f"I\u00b2 = {float(row['i2']):.1f}{PERCENT}")
    if pd.notna(row["tau2"]):
        parts.append(f"\u03c4\u00b2 = {float(row['tau2']):.3g}")
    k, n = int(row["k"]), int(row["n_participants"])
    parts.append(f"{k} site{'s' if k != 1 else ''}, {n} participant{'s' if n != 1 else ''}")
    return ", ".join(parts) + "."


def figure_for(
    stem: str, figures: Mapping[str, Path], alt: str, caption: str
) -> tuple[PageFigure, ...]:
    """The figure ``stem`` embedded, or nothing when the run drew no such figure."""
    path = figures.get(stem)
    if path is None:
        return ()
    return (embedded_figure(stem, Path(path).read_bytes(), alt, caption),)


def outcome_figures(
    role: str,
    outcome: str,
    label: str,
    row: Mapping[str, Any],
    headline: bool,
    moderators: Sequence[tuple[str, str, bool]],
    figures: Mapping[str, Path],
    level: float,
) -> tuple[PageFigure, ...]:
    """Forest, then for headline outcomes cumulative and why-sites-differ plots, then the
    Likert chart of the domain (the overview of all domains for the total)."""
    who = outcome_subject(role, outcome, label)
    pooled = outcome_summary(row, level)
    found = figure_for(
        forest_stem(role, outcome),
        figures,
        f"Forest plot of {who}: each site's change with its CI, and the pooled change. {pooled}",
        f"Forest plot, {who}. {pooled}",
    )
    if headline:
        found += figure_for(
            cumulative_stem(role, outcome),
            figures,
            f"Cumulative forest plot of {who}: the pooled change as sites were added by "
            "enrolment date.",
            f"Cumulative meta-analysis, {who}, sites added in order of enrolment.",
        )
        for moderator, moderator_label, categorical in moderators:
            stem = (subgroup_stem if categorical else bubble_stem)(role, outcome, moderator)
            kind = "Subgroup forest plot" if categorical else "Bubble plot (meta-regression)"
            found += figure_for(
                stem,
                figures,
                f"{kind} of {who} by {moderator_label}.",
                f"{kind}, {who}, by {moderator_label}.",
            )
        found += figure_for(
            baujat_stem(role, outcome),
            figures,
            f"Baujat plot of {who}: each site's contribution to heterogeneity against its "
            "influence on the pooled result.",
            f"Baujat plot, {who}: contribution to heterogeneity (x) and influence (y).",
        )
    domain = "overview" if outcome == "total" else outcome
    likert_what = "all domains" if outcome == "total" else label
    found += figure_for(
        likert_stem(role, domain),
        figures,
        f"Diverging bar chart of {role}s' answers before and after, {likert_what}.",
        f"Answers before and after, {role}s, {likert_what} (% of answers).",
    )
    return found


def outcome_sections(
    meta: pd.DataFrame,
    settings: Settings,
    outcome_labels: Mapping[str, str],
    heterogeneity_lines: Mapping[tuple[str, str], str],
    moderators: Sequence[tuple[str, str, bool]],
    figures: Mapping[str, Path],
) -> list[OutcomeSection]:
    """Headline outcomes first (in the original's order), then every other role × outcome."""
    primary = primary_rows(meta, settings.pooling)
    level = float(settings.pooling["level"])
    headline = headline_outcomes(settings)
    others = [(r, o) for r in settings.roles for o in settings.outcomes if (r, o) not in headline]
    sections = []
    for role, outcome in [*headline, *others]:
        rows = matching_rows(primary, role=role, outcome=outcome)
        if rows.empty:
            continue
        row = rows.iloc[0].to_dict()
        label = outcome_labels.get(outcome, outcome)
        is_headline = (role, outcome) in headline
        line = heterogeneity_lines.get((role, outcome))
        sections.append(
            OutcomeSection(
                id=f"outcome-{role}-{outcome}".replace("_", "-"),
                title=outcome_subject(role, outcome, label)[:1].upper()
                + outcome_subject(role, outcome, label)[1:]
                + (" (headline)" if is_headline else ""),
                summary=outcome_summary(row, level),
                lines=(line,) if line else (),
                figures=outcome_figures(
                    role, outcome, label, row, is_headline, moderators, figures, level
                ),
            )
        )
    return sections


def headline_answers(
    frames: Mapping[str, pd.DataFrame], settings: Settings, outcome_labels: Mapping[str, str]
) -> list[Answer]:
    return answers(
        frames["meta"],
        frames["criteria"],
        frames["verdicts"],
        headline_outcomes(settings),
        settings.pooling,
        outcome_labels,
        reference_changes(settings),
    )


def primary_outcome(settings: Settings) -> tuple[str, str] | None:
    """The outcome the answer's forest plot shows: the first headline total, else the first
    headline outcome."""
    headline = headline_outcomes(settings)
    totals = [pair for pair in headline if pair[1] == "total"]
    return (totals or headline or [None])[0]
