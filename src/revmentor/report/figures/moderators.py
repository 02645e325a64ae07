"""Why sites differ, drawn: a bubble plot per numeric moderator and a subgroup forest plot
per categorical one.

:func:`bubble_data` and :func:`subgroup_data` turn the pooled rows (``weights.csv`` for the
site estimates, ``moderators.csv`` and ``subgroups.csv`` for the models) and the registry's
moderator values into a frozen dataclass holding exactly what will be drawn;
:func:`draw_bubble` and :func:`draw_subgroups` turn it into a figure. Only aggregates are
drawn: one estimate per site, never a participant.

A site whose moderator value is unknown (an empty registry cell) is left out of the
figure, as it is left out of the model, and the subtitle counts it.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.figure import Figure

from revmentor.core.moderators import UNKNOWN, Moderator, ModeratorValue
from revmentor.report.figures.forest import (
    AXIS_LABELS,
    CLIPPED_NOTE,
    POOLED_COLOUR,
    SITE_COLOUR,
    ForestRow,
    _draw_diamond,
    _draw_site,
    _float,
    _forest_axes,
    _int,
    _text,
    any_clipped,
    forest_height,
    method_text,
    robust_limits,
    two_line_labels,
)
from revmentor.report.figures.labels import place_labels
from revmentor.report.figures.style import figure_style, new_figure, num, p_text, wrap_label

#: Past this many sites, a scatter plot's labels would cover each other and the points.
MAX_LABELLED_SITES = 30
#: Past this many sites left out, the footer counts them instead of naming them.
MAX_NAMED_EXCLUSIONS = 10
#: The tests moderator analyses are run with (moderators.csv): z, and Knapp–Hartung.
GRID_POINTS = 101
BAND_COLOUR = "#9ecae1"


# --------------------------------------------------------------------------- shared text


def coverage_text(k: int, total: int) -> str:
    """How many of the pooled sites the figure shows: 'k = 5 of 6 sites; 1 without a value'."""
    missing = total - k
    if missing == 0:
        return f"k = {k:,} of {total:,} sites, all with a value"
    return f"k = {k:,} of {total:,} sites; {missing:,} without a value"


def without_value_text(sites: Sequence[str], moderator: Moderator) -> str:
    """The sites left out for an unknown value, named while the list stays short."""
    if not sites:
        return ""
    if len(sites) > MAX_NAMED_EXCLUSIONS:
        return (
            f"{len(sites):,} sites have no {moderator.id} value in the site registry and are "
            "left out (listed in results/pooled/moderators.csv, excluded_sites)."
        )
    return f"No {moderator.id} value in the site registry, left out: {', '.join(sites)}."


def not_pooled_text(rows: pd.DataFrame) -> str:
    """Sites the analysis left out for another reason than an unknown value (data that
    could not be pooled), from the rows' ``excluded_sites`` ('site: reason; ...')."""
    entries: dict[str, None] = {}
    for text in rows.get("excluded_sites", pd.Series(dtype=object)).tolist():
        if isinstance(text, str) and text:
            entries.update(dict.fromkeys(e for e in text.split("; ") if not e.endswith(UNKNOWN)))
    if not entries:
        return ""
    if len(entries) > MAX_NAMED_EXCLUSIONS:
        return f"{len(entries):,} sites not pooled (results/pooled/meta_analysis.csv says why)."
    return f"Not pooled: {'; '.join(entries)}."


def distinct_notes(rows: pd.DataFrame) -> list[str]:
    """Each distinct note of the rows, in order; notes are '; '-separated in the CSVs."""
    notes: dict[str, None] = {}
    for text in rows.get("note", pd.Series(dtype=object)).tolist():
        if isinstance(text, str) and text:
            notes.update(dict.fromkeys(part for part in text.split("; ") if part))
    return list(notes)


def _known(
    effects: pd.DataFrame, values: Mapping[str, ModeratorValue]
) -> tuple[pd.DataFrame, list[str]]:
    """The site rows with a known value (in the given order), and the sites without one."""
    has_value = [values.get(str(site)) is not None for site in effects["site_id"]]
    mask = np.array(has_value, dtype=bool)
    return effects[mask], [str(site) for site in effects.loc[~mask, "site_id"]]


def _wrap(text: str, width_inches: float) -> list[str]:
    return textwrap.wrap(text, width=int(width_inches * 15)) if text else []


# --------------------------------------------------------------------------- bubble plot


@dataclass(frozen=True)
class Bubble:
    site_id: str
    x: float
    y: float
    weight_percent: float  # of the shown sites, in the meta-regression (1/(vᵢ + τ²))


@dataclass(frozen=True)
class FittedLine:
    x: tuple[float, ...]
    fitted: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]


@dataclass(frozen=True)
class BubbleData:
    title: str
    subtitle: str
    x_label: str
    y_label: str
    bubbles: tuple[Bubble, ...]
    line: FittedLine | None
    labelled: bool
    footer: str


def regression_text(rows: pd.DataFrame, moderator: Moderator, level: float) -> str:
    """The slope, the omnibus test, τ², I² and R² of one meta-regression (moderators.csv)."""
    slope = rows[rows["term"] == moderator.id]
    if slope.empty:
        return "No meta-regression in results/pooled/moderators.csv for this analysis."
    row = slope.iloc[0].to_dict()
    estimate = _float(row, "estimate")
    if estimate is None:
        reason = "; ".join(distinct_notes(slope)) or "see results/pooled/moderators.csv"
        return f"No line: the meta-regression could not be fitted ({reason})."
    parts = [
        f"Slope (change per unit of the moderator) {num(estimate, 3)} "
        f"[{level:.0%} CI {num(_float(row, 'ci_low'), 3)}, {num(_float(row, 'ci_high'), 3)}], "
        f"{p_text(_float(row, 'p'))}"
    ]
    qm, df1, df2 = _float(row, "qm"), _int(row, "qm_df1"), _int(row, "qm_df2")
    if qm is not None and df1 is not None:
        statistic = f"F({df1}, {df2}) = {num(qm)}" if df2 is not None else f"QM({df1}) = {num(qm)}"
        parts.append(f"{statistic}, {p_text(_float(row, 'qm_p'))}")
    if _text(row, "method") == "FE":
        parts.append("common-effect model: no \u03c4\u00b2 or R\u00b2")
    else:
        parts.append(
            f"residual \u03c4\u00b2 = {num(_float(row, 'tau2'), 3)}, "
            f"I\u00b2 = {num(_float(row, 'i2'), 1)}%, "
            f"R\u00b2 = {num(_float(row, 'r2'), 0)}% of \u03c4\u00b2 explained"
        )
    return "; ".join(parts) + "."


def bubble_data(
    title: str,
    moderator: Moderator,
    effects: pd.DataFrame,
    values: Mapping[str, ModeratorValue],
    model_rows: pd.DataFrame,
    *,
    measure: str,
    method: str,
    test: str,
    level: float = 0.95,
) -> BubbleData:
    """The content of one bubble plot: each pooled site's estimate (``effects``: site_id,
    yi, vi, as weights.csv) against its value of a numeric moderator, and the
    meta-regression line with its CI, fitted by the same function as moderators.csv."""
    # Imported here: the fit needs scipy, which the forest and Likert jobs (that import this
    # module through figure_plan) would otherwise load for nothing (~1 s).
    from revmentor.pooling.moderators import design, fitted_line, meta_regression

    known, without = _known(effects, values)
    xs = np.array([float(values[str(site)]) for site in known["site_id"]], dtype=float)  # type: ignore[arg-type]
    ys = known["yi"].to_numpy(dtype=float)
    vs = known["vi"].to_numpy(dtype=float)
    x_matrix, names, _ = design(moderator, list(xs))
    fit = meta_regression(ys, vs, x_matrix, names, method, test, level)
    tau2 = fit.tau2 if fit.tau2 is not None else 0.0
    weights = 1 / (vs + tau2) if len(vs) else np.array([])
    percents = 100 * weights / weights.sum() if len(vs) else weights
    line = None
    if fit.fitted and len(xs):
        grid = np.linspace(xs.min(), xs.max(), GRID_POINTS)
        fitted, low, high = fitted_line(fit, grid)
        line = FittedLine(*(tuple(float(v) for v in a) for a in (grid, fitted, low, high)))
    labelled = len(xs) <= MAX_LABELLED_SITES
    band = (
        f"Line: the meta-regression fit and its {level:.0%} CI "
        f"({method_text(method, test)}); bubble area \u221d weight, 1/(v\u1d62 + \u03c4\u00b2)."
    )
    footer = [regression_text(model_rows, moderator, level), band]
    if not labelled:
        footer.append(f"Sites are not labelled: more than {MAX_LABELLED_SITES} would overlap.")
    footer.append(without_value_text(without, moderator))
    footer.append(not_pooled_text(model_rows))
    return BubbleData(
        title=title,
        subtitle=coverage_text(len(xs), len(effects)),
        x_label=moderator.label,
        y_label=AXIS_LABELS.get(measure, measure),
        bubbles=tuple(
            Bubble(str(site), float(x), float(y), float(w))
            for site, x, y, w in zip(known["site_id"], xs, ys, percents, strict=True)
        ),
        line=line,
        labelled=labelled,
        footer=" ".join(part for part in footer if part),
    )


def bubble_areas(weights: Sequence[float]) -> list[float]:
    """Marker areas (pt²) proportional to weight; the largest shrinks as sites multiply so
    that a thousand bubbles do not cover the plot, and none vanishes below a dot."""
    if not weights:
        return []
    largest_area = float(np.clip(2400 / math.sqrt(len(weights)), 120, 700))
    heaviest = max(weights)
    return [max(4.0, largest_area * w / heaviest) if heaviest > 0 else 30.0 for w in weights]


def scatter_limits(values: Sequence[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return -1.0, 1.0
    low, high = min(finite), max(finite)
    pad = 0.08 * (high - low) if high > low else max(0.5, abs(low) * 0.1)
    return low - pad, high + pad


SCATTER_WIDTH = 8.0
SCATTER_HEIGHT = 5.6


def frame_with_subtitle(
    figure: Figure, title: str, subtitle: str, footer: Sequence[str], height: float, left: float
) -> Any:
    """Title and subtitle on top, the footer at the bottom, margins fixed in inches so that
    no text is clipped whatever the figure's height. Returns the subtitle's text artist."""
    width = figure.get_figwidth()
    figure.subplots_adjust(
        left=left / width,
        right=1 - 0.3 / width,
        top=1 - 0.8 / height,
        bottom=(0.75 + 0.16 * len(footer)) / height,
    )
    figure.text(0.02, 1 - 0.22 / height, title, fontsize=11, fontweight="bold", va="center")
    shown = figure.text(0.02, 1 - 0.47 / height, subtitle, fontsize=9, va="center", color="#333")
    figure.text(0.02, 0.1 / height, "\n".join(footer), fontsize=8, va="bottom", color="#333333")
    return shown


def scatter_figure(title: str, subtitle: str, footer: str) -> tuple[Figure, Any, Any]:
    """A figure with one axes between a title, a subtitle and a wrapped footer; returns the
    figure, the axes and the subtitle (which may still be extended)."""
    lines = _wrap(footer, SCATTER_WIDTH)
    height = SCATTER_HEIGHT + 0.16 * len(lines)
    figure = new_figure(SCATTER_WIDTH, height)
    ax = figure.add_subplot(1, 1, 1)
    shown = frame_with_subtitle(figure, title, subtitle, lines, height, left=0.9)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return figure, ax, shown


def unnamed_text(left_out: Sequence[str]) -> str:
    """Said in the subtitle when labels found no free place near their point."""
    if not left_out:
        return ""
    sites = "site" if len(left_out) == 1 else "sites"
    return f"; {len(left_out):,} {sites} in crowded areas not named"


def draw_bubble(data: BubbleData) -> Figure:
    """Site estimates against the moderator, area ∝ weight, with the fitted line and CI."""
    with figure_style():
        figure, ax, subtitle = scatter_figure(data.title, data.subtitle, data.footer)
        xs = [b.x for b in data.bubbles]
        ys = [b.y for b in data.bubbles]
        areas = bubble_areas([b.weight_percent for b in data.bubbles])
        many = len(data.bubbles) > 100
        ax.axhline(0.0, color="black", lw=0.8, zorder=1)
        if data.line is not None:
            ax.fill_between(
                data.line.x,
                data.line.ci_low,
                data.line.ci_high,
                color=BAND_COLOUR,
                alpha=0.5,
                lw=0,
                zorder=2,
            )
            ax.plot(data.line.x, data.line.fitted, color=POOLED_COLOUR, lw=1.6, zorder=4)
        ax.scatter(
            xs,
            ys,
            s=areas,
            facecolor=SITE_COLOUR,
            alpha=0.35 if many else 0.55,
            edgecolor="white" if not many else "none",
            linewidth=0.6,
            zorder=3,
        )
        band_ys = [*ys]
        if data.line is not None:
            band_ys += [*data.line.ci_low, *data.line.ci_high]
        ax.set_xlim(*scatter_limits(xs))
        ax.set_ylim(*scatter_limits([0.0, *band_ys]))
        ax.set_xlabel(data.x_label)
        ax.set_ylabel(data.y_label)
        if not data.bubbles:
            ax.text(
                0.5, 0.5, "No site has a value", ha="center", va="center", transform=ax.transAxes
            )
        if data.labelled and data.bubbles:
            radii = [math.sqrt(a) / 2 for a in areas]
            left_out = place_labels(figure, ax, xs, ys, [b.site_id for b in data.bubbles], radii)
            subtitle.set_text(data.subtitle + unnamed_text(left_out))
    return figure


# --------------------------------------------------------------------------- subgroup forest


@dataclass(frozen=True)
class SubgroupLevel:
    level: str
    k: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None
    sites: tuple[ForestRow, ...]  # empty when there are too many sites to list


@dataclass(frozen=True)
class SubgroupData:
    title: str
    subtitle: str
    axis_label: str
    interval_header: str
    levels: tuple[SubgroupLevel, ...]
    sites_listed: bool
    between: str
    footer: str


def between_text(rows: pd.DataFrame) -> str:
    """The Wald test of the differences between the subgroup estimates, as printed."""
    if rows.empty:
        return "Test for subgroup differences: not available (no level has sites)"
    row = rows.iloc[0].to_dict()
    q, df = _float(row, "q_between"), _int(row, "q_between_df")
    if q is None or df is None:
        return "Test for subgroup differences: not available (fewer than two levels have sites)"
    p = p_text(_float(row, "q_between_p"))
    return f"Test for subgroup differences: Q = {num(q)}, df = {df}, {p}"


def _level_sites(
    known: pd.DataFrame,
    values: Mapping[str, ModeratorValue],
    level: str,
    tau2: float | None,
    site_labels: Mapping[str, str],
) -> tuple[ForestRow, ...]:
    members = known[[values.get(str(site)) == level for site in known["site_id"]]]
    if members.empty:
        return ()
    weights = 1 / (members["vi"].to_numpy(dtype=float) + (tau2 or 0.0))
    percents = 100 * weights / weights.sum()
    return tuple(
        ForestRow(
            label=site_labels.get(str(row["site_id"]), str(row["site_id"])),
            n=None,
            estimate=_float(row, "yi"),
            ci_low=_float(row, "ci_low"),
            ci_high=_float(row, "ci_high"),
            weight_percent=float(percent),
        )
        for row, percent in zip(members.to_dict("records"), percents, strict=True)
    )


def subgroup_data(
    title: str,
    moderator: Moderator,
    effects: pd.DataFrame,
    values: Mapping[str, ModeratorValue],
    subgroup_rows: pd.DataFrame,
    site_labels: Mapping[str, str],
    *,
    measure: str,
    method: str,
    test: str,
    max_site_rows: int = 40,
    level: float = 0.95,
) -> SubgroupData:
    """The content of one subgroup forest plot: per level (declared order) its sites while
    they fit, its own pooled diamond with k, τ² and I², and the test between levels.

    ``effects`` are the site rows of weights.csv (site_id, yi, vi, ci_low, ci_high);
    ``subgroup_rows`` the rows of subgroups.csv for this analysis and moderator."""
    known, without = _known(effects, values)
    listed = len(known) <= max_site_rows
    rows_by_level = {str(row["level"]): row for row in subgroup_rows.to_dict("records")}
    levels = []
    for name in moderator.levels:
        row = rows_by_level.get(name)
        if row is None:
            continue
        tau2 = _float(row, "tau2")
        levels.append(
            SubgroupLevel(
                level=name,
                k=_int(row, "k") or 0,
                estimate=_float(row, "estimate"),
                ci_low=_float(row, "ci_low"),
                ci_high=_float(row, "ci_high"),
                tau2=tau2,
                i2=_float(row, "i2"),
                sites=_level_sites(known, values, name, tau2, site_labels) if listed else (),
            )
        )
    footer = [
        f"Each level pooled on its own (its own \u03c4\u00b2; {method_text(method, test)}, "
        f"{level:.0%} CI); the test between levels is the Wald test of the level estimates "
        '(metafor: rma(estimates, sei = se, mods = ~ level, method = "FE")). '
        "Squares: sites, area \u221d weight within their level.",
    ]
    if not listed:
        footer.append(
            f"{len(known):,} sites are not listed one by one (more than {max_site_rows})."
        )
    absent = [name for name in moderator.levels if name not in rows_by_level]
    if absent and not subgroup_rows.empty:
        footer.append(f"No site has {moderator.id} = {', '.join(absent)}: left out.")
    footer.append(without_value_text(without, moderator))
    footer.append(not_pooled_text(subgroup_rows))
    footer += [f"Note: {note}." for note in distinct_notes(subgroup_rows)]
    return SubgroupData(
        title=title,
        subtitle=coverage_text(len(known), len(effects)),
        axis_label=AXIS_LABELS.get(measure, measure),
        interval_header=f"Estimate [{level:.0%} CI]",
        levels=tuple(levels),
        sites_listed=listed,
        between=between_text(subgroup_rows),
        footer=" ".join(part for part in footer if part),
    )


@dataclass(frozen=True)
class _Row:
    y: float
    kind: str  # header, level, site, diamond, between
    label: str = ""
    count: str = ""
    interval: str = ""
    row: ForestRow | None = None


def _interval_text(estimate: float | None, low: float | None, high: float | None) -> str:
    if estimate is None:
        return "no estimate"
    return f"{num(estimate)} [{num(low)}, {num(high)}]"


def _heterogeneity(group: SubgroupLevel) -> str:
    if group.k < 2:
        return "one site"
    return f"\u03c4\u00b2 = {num(group.tau2, 3)}, I\u00b2 = {num(group.i2, 1)}%"


def subgroup_layout(data: SubgroupData) -> list[_Row]:
    """Rows from the top: the header, then per level its name, sites and diamond, then the
    test between levels."""
    rows = [_Row(0, "header", "Level / site", "k", data.interval_header)]
    y = 1.0
    for group in data.levels:
        if data.sites_listed:
            rows.append(_Row(y, "level", group.level))
            y += 1
            for site in group.sites:
                interval = _interval_text(site.estimate, site.ci_low, site.ci_high)
                rows.append(_Row(y, "site", wrap_label(site.label), "", interval, site))
                y += 1
            label = f"Subtotal ({_heterogeneity(group)})"
        else:
            label = f"{group.level} ({_heterogeneity(group)})"
        diamond = ForestRow(label, group.k, group.estimate, group.ci_low, group.ci_high)
        interval = _interval_text(group.estimate, group.ci_low, group.ci_high)
        rows.append(_Row(y, "diamond", label, f"{group.k:,}", interval, diamond))
        y += 1.4
    rows.append(_Row(y, "between", data.between))
    return rows


def _subgroup_limits(data: SubgroupData) -> tuple[float, float]:
    """Every level's diamond and every site estimate; a site interval far wider than the
    rest runs off the axis with an arrow (as in the forest plot)."""
    always: list[float | None] = [0.0]
    for group in data.levels:
        always += [group.estimate, group.ci_low, group.ci_high]
        always += [site.estimate for site in group.sites]
    sites = [site for group in data.levels for site in group.sites]
    return robust_limits(always, [(site.ci_low, site.ci_high) for site in sites])


def draw_subgroups(data: SubgroupData) -> Figure:
    """A forest plot grouped by level: sites, each level's diamond, the test between."""
    rows = subgroup_layout(data)
    width = 11.0
    sites = [row.row for row in rows if row.kind == "site" and row.row is not None]
    limits = _subgroup_limits(data)
    clipped = any_clipped(sites, limits)
    footer = _wrap(f"{data.footer} {CLIPPED_NOTE}" if clipped else data.footer, width)
    tall = two_line_labels([site.label for site in sites])
    height = forest_height(len(rows), tall) + 0.16 * len(footer) + 0.3
    heaviest = max((site.weight_percent or 0.0 for site in sites), default=0.0)
    with figure_style():
        figure = new_figure(width, height)
        left, middle, right = _forest_axes(figure, max(row.y for row in rows))
        for row in rows:
            if row.kind == "site" and row.row is not None:
                share = (row.row.weight_percent or 0.0) / heaviest if heaviest else 0.0
                _draw_site(middle, row.y, row.row, 10.0 + 150.0 * share, limits)
            elif row.kind == "diamond" and row.row is not None:
                _draw_diamond(middle, row.y, row.row)
        middle.axvline(0.0, color="black", lw=0.8, zorder=1)
        if not data.levels:
            middle.text(
                0.5,
                0.5,
                "No subgroup has sites",
                ha="center",
                va="center",
                transform=middle.transAxes,
                bbox=_TEXT_BOX,
            )
        middle.set_xlim(*limits)
        middle.set_xlabel(data.axis_label)
        _write_subgroup_columns(left, right, rows)
        frame_with_subtitle(figure, data.title, data.subtitle, footer, height, left=0.2)
    return figure


_TEXT_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 1.5}


def _write_subgroup_columns(left: Any, right: Any, rows: Sequence[_Row]) -> None:
    for row in rows:
        bold = "bold" if row.kind in ("header", "level", "between") else "normal"
        colour = POOLED_COLOUR if row.kind == "diamond" else "black"
        indent = 0.04 if row.kind in ("site", "diamond") and row.kind != "level" else 0.0
        for ax, x, text, ha in (
            (left, indent, row.label, "left"),
            (left, 0.98, row.count, "right"),
            (right, 0.98, row.interval, "right"),
        ):
            if not text:
                continue
            ax.text(
                x,
                row.y,
                text,
                ha=ha,
                va="center",
                fontweight=bold,
                color=colour,
                transform=transforms.blended_transform_factory(ax.transAxes, ax.transData),
                zorder=5,
                bbox=_TEXT_BOX if row.kind == "between" else None,
            )
