"""Forest plots: the pooled result per role × outcome, and the cumulative analysis.

:func:`forest_data` and :func:`cumulative_data` turn result rows into a :class:`ForestData`
holding exactly what will be drawn; :func:`draw_forest` turns it into a figure.
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
from matplotlib.patches import Polygon, Rectangle

from revmentor.report.figures.style import (
    figure_style,
    new_figure,
    num,
    p_text,
    wrap_label,
)

AXIS_LABELS = {
    "MD": "Mean change, post \u2212 pre (scale points)",
    "SMCC": "Standardised mean change (SMCC)",
}
METHOD_NAMES = {
    "FE": "common effect (inverse variance)",
    "DL": "DerSimonian\u2013Laird",
    "REML": "REML",
    "PM": "Paule\u2013Mandel",
}
TEST_NAMES = {
    "z": "z test",
    "hksj": "Knapp\u2013Hartung",
    "adhoc": "Knapp\u2013Hartung, ad hoc (never narrower than z)",
}
SITE_COLOUR = "#404040"
POOLED_COLOUR = "#2166ac"
REFERENCE_COLOUR = "#d95f02"
QUANTILE_METHOD = "weibull"  # SPSS's definition, as in the per-site summaries
#: An interval wider than this many times the median interval width may run off the axis
#: (with an arrow), so that one site with a tiny n does not squash every other row.
WIDE_INTERVAL_FACTOR = 3.0
CLIPPED_NOTE = (
    "An arrow marks an interval that runs past the edge of the axis; the numbers beside "
    "it are its full interval."
)


# --------------------------------------------------------------------------- plot data


@dataclass(frozen=True)
class ForestRow:
    """One line of a forest plot; ``None`` marks a value that is not defined for it."""

    label: str
    n: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    weight_percent: float | None = None


@dataclass(frozen=True)
class SitesSummary:
    """Stands in for the site rows when there are too many to draw legibly."""

    n_sites: int
    n_total: int
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float

    @property
    def text(self) -> str:
        return (
            f"{self.n_sites:,} sites, n = {self.n_total:,} (not shown one by one): site "
            f"estimates median {num(self.median)}, IQR {num(self.q1)} to {num(self.q3)}, "
            f"range {num(self.minimum)} to {num(self.maximum)}"
        )


@dataclass(frozen=True)
class ForestData:
    """Everything a forest plot shows, in drawing order; no matplotlib objects."""

    title: str
    axis_label: str
    label_header: str
    count_header: str
    interval_header: str
    site_rows: tuple[ForestRow, ...]
    summarised: SitesSummary | None
    pooled: ForestRow | None
    prediction: tuple[float, float] | None
    reference: float | None
    reference_label: str
    footer: str
    weighted: bool = True


def _missing(value: Any) -> bool:
    """CSV rows carry NaN (pandas) or None for "not defined"; both mean missing here."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _float(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if _missing(value) or value == "" else float(value)


def _int(row: Mapping[str, Any], key: str) -> int | None:
    value = _float(row, key)
    return None if value is None else round(value)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if _missing(value) else str(value)


def _interval(low: float | None, high: float | None) -> str:
    return f"[{num(low)}, {num(high)}]"


def method_text(method: str, test: str) -> str:
    """Name the estimator and test in words, as the footer and pooled label show them."""
    return f"{METHOD_NAMES.get(method, method)}, {TEST_NAMES.get(test, test)}"


def default_title(row: Mapping[str, Any]) -> str:
    """A title such as 'Mentors: clinical practice' from the row's own keys.

    Callers with the instrument's domain labels pass ``title`` instead.
    """
    role, outcome = _text(row, "role"), _text(row, "outcome").replace("_", " ")
    return f"{role.capitalize()}s: {outcome}" if role else outcome


def heterogeneity_text(row: Mapping[str, Any]) -> str:
    """τ², I² and Q as reported in meta-analysis papers; a single site has none."""
    k = _int(row, "k") or 0
    if k < 2:
        return "no heterogeneity statistics (one site)"
    parts = []
    if _text(row, "method") != "FE":
        parts.append(f"\u03c4\u00b2 = {num(_float(row, 'tau2'), 3)}")
    parts.append(f"I\u00b2 = {num(_float(row, 'i2'), 1)}%")
    q_df = _int(row, "q_df")
    parts.append(
        f"Q = {num(_float(row, 'q'))} (df = {q_df if q_df is not None else 'NA'}, "
        f"{p_text(_float(row, 'q_p'))})"
    )
    return ", ".join(parts)


def site_ci_text(level: float = 0.95) -> str:
    """How a site's CI in the forest is made, so that a reader who finds another CI for
    the same site in the sites table (the paired t interval) knows why they differ."""
    # scipy.stats.norm.ppf's float without scipy.stats, which takes about four times
    # scipy.special's time to import. Imported here: every figure job imports this module.
    from revmentor.core.scipy_distributions import normal_ppf

    z = float(normal_ppf(0.5 + level / 2))
    return (
        f"Site CIs: estimate \u00b1 {z:.2f}\u00b7\u221avi, the normal approximation used in "
        "the pooling; the sites table also gives the paired-t CI."
    )


def forest_footer(
    row: Mapping[str, Any], summarised: SitesSummary | None, level: float = 0.95
) -> str:
    """The line under a forest plot: sizes, heterogeneity, method, exclusions, and how
    the site CIs are made."""
    k, n = _int(row, "k") or 0, _int(row, "n_participants") or 0
    method = method_text(_text(row, "method"), _text(row, "test"))
    parts = [f"k = {k:,}, n = {n:,}; {heterogeneity_text(row)}; {method}."]
    if summarised is not None:
        parts.append(summarised.text + ".")
    excluded = _text(row, "excluded_sites")
    if excluded:
        parts.append(f"Sites excluded: {excluded}.")
    note = _text(row, "note")
    if note:
        parts.append(f"Note: {note}.")
    parts.append(site_ci_text(level))
    return " ".join(parts)


def prediction_interval(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """A prediction interval needs τ² from at least 3 sites; a common effect has none."""
    low, high = _float(row, "pi_low"), _float(row, "pi_high")
    if (_int(row, "k") or 0) < 3 or _text(row, "method") == "FE":
        return None
    return None if low is None or high is None else (low, high)


def site_forest_rows(
    site_rows: pd.DataFrame, site_labels: Mapping[str, str]
) -> tuple[ForestRow, ...]:
    return tuple(
        ForestRow(
            label=site_labels.get(str(row["site_id"]), str(row["site_id"])),
            n=_int(row, "n_pairs"),
            estimate=_float(row, "yi"),
            ci_low=_float(row, "ci_low"),
            ci_high=_float(row, "ci_high"),
            weight_percent=_float(row, "weight_percent"),
        )
        for row in site_rows.to_dict("records")
    )


def summarise_sites(rows: Sequence[ForestRow]) -> SitesSummary:
    """Median, IQR and range of the site estimates, and the participants they cover."""
    estimates = np.array([r.estimate for r in rows if r.estimate is not None], dtype=float)
    if estimates.size == 0:
        estimates = np.array([np.nan])
    q1, median, q3 = np.quantile(estimates, [0.25, 0.5, 0.75], method=QUANTILE_METHOD)
    return SitesSummary(
        n_sites=len(rows),
        n_total=sum(r.n or 0 for r in rows),
        minimum=float(np.min(estimates)),
        q1=float(q1),
        median=float(median),
        q3=float(q3),
        maximum=float(np.max(estimates)),
    )


def reference_text(reference_change: float | None, reference_label: str) -> str:
    return "" if reference_change is None else f"{reference_label}: {num(reference_change)}"


def forest_data(
    meta_row: Mapping[str, Any],
    site_rows: pd.DataFrame,
    site_labels: Mapping[str, str],
    reference_change: float | None,
    max_site_rows: int = 40,
    *,
    title: str | None = None,
    reference_label: str = "Original study",
    level: float = 0.95,
) -> ForestData:
    """The content of one primary forest plot (role × outcome × measure).

    Past ``max_site_rows`` sites the rows would be unreadable, so they are replaced by a
    :class:`SitesSummary`; the pooled result and its footer are unchanged.
    """
    rows = site_forest_rows(site_rows, site_labels)
    summarised = summarise_sites(rows) if len(rows) > max_site_rows else None
    estimate = _float(meta_row, "estimate")
    pooled = ForestRow(
        label=f"Pooled ({METHOD_NAMES.get(_text(meta_row, 'method'), 'model')})",
        n=_int(meta_row, "n_participants"),
        estimate=estimate,
        ci_low=_float(meta_row, "ci_low"),
        ci_high=_float(meta_row, "ci_high"),
        weight_percent=100.0 if rows else None,
    )
    return ForestData(
        title=title or default_title(meta_row),
        axis_label=AXIS_LABELS.get(_text(meta_row, "measure"), _text(meta_row, "measure")),
        label_header="Site",
        count_header="n",
        interval_header=f"Estimate [{level:.0%} CI]",
        site_rows=() if summarised else rows,
        summarised=summarised,
        pooled=pooled if estimate is not None else None,
        prediction=prediction_interval(meta_row),
        reference=reference_change,
        reference_label=reference_text(reference_change, reference_label),
        footer=forest_footer(meta_row, summarised, level),
    )


def thin_indices(n: int, keep: int) -> list[int]:
    """Evenly spaced positions of ``n`` steps, always the first and the last.

    With ``keep`` ≥ 2 and n > keep the rounded positions are more than one step apart,
    so exactly ``keep`` distinct steps remain. Fewer than two cannot hold both ends.
    """
    keep = max(keep, 2)
    if n <= keep:
        return list(range(n))
    return sorted({round(x) for x in np.linspace(0, n - 1, keep)})


def cumulative_row(row: Mapping[str, Any], site_labels: Mapping[str, str]) -> ForestRow:
    site = _text(row, "site_id")
    enrolled = f" ({_text(row, 'enrolled')})" if _text(row, "enrolled") else ""
    # The whole name: the drawing wraps it onto a second line rather than cutting it.
    label = f"+ {site_labels.get(site, site)}{enrolled}"
    return ForestRow(
        label=label,
        n=_int(row, "k"),
        estimate=_float(row, "estimate"),
        ci_low=_float(row, "ci_low"),
        ci_high=_float(row, "ci_high"),
    )


def cumulative_footer(rows: pd.DataFrame, shown: int) -> str:
    first = rows.iloc[0] if len(rows) else {}
    method = method_text(_text(first, "method"), _text(first, "test"))
    text = (
        "Cumulative meta-analysis in order of enrolment: each row pools every site up to "
        f"and including the one it adds ({method}); k = sites pooled."
    )
    if shown < len(rows):
        text += (
            f" Showing {shown:,} of {len(rows):,} steps, evenly thinned; the first and the "
            "last step are always shown."
        )
    return text


def cumulative_data(
    cumulative_rows: pd.DataFrame,
    site_labels: Mapping[str, str],
    reference_change: float | None,
    max_site_rows: int = 40,
    *,
    title: str | None = None,
    reference_label: str = "Original study",
    level: float = 0.95,
) -> ForestData:
    """The cumulative analysis as a forest plot: one row per enrolment step, equal markers.

    Steps are drawn in ``step`` order; past ``max_site_rows`` they are thinned evenly so
    that the plot stays legible while its start and its end (the full pooled result) stay.
    """
    ordered = cumulative_rows.sort_values("step", kind="stable").reset_index(drop=True)
    keep = thin_indices(len(ordered), max_site_rows)
    rows = tuple(cumulative_row(ordered.iloc[i], site_labels) for i in keep)
    first = ordered.iloc[0] if len(ordered) else {}
    return ForestData(
        title=title or f"{default_title(first)} \u2013 cumulative".strip(" \u2013"),
        axis_label=AXIS_LABELS.get(_text(first, "measure"), _text(first, "measure")),
        label_header="Site added (enrolled)",
        count_header="k",
        interval_header=f"Estimate [{level:.0%} CI]",
        site_rows=rows,
        summarised=None,
        pooled=None,
        prediction=None,
        reference=reference_change,
        reference_label=reference_text(reference_change, reference_label),
        footer=cumulative_footer(ordered, len(rows)),
        weighted=False,
    )


# --------------------------------------------------------------------------- drawing


def forest_height(n_rows: int, two_line_labels: bool = False) -> float:
    """Height grows with the rows so each stays readable, within a printable page; rows
    are taller when a label takes two lines, so that neighbouring names do not touch."""
    per_row = 0.4 if two_line_labels else 0.27
    return float(min(max(2.3 + per_row * n_rows, 3.6), 15.0))


@dataclass(frozen=True)
class _Line:
    y: float
    kind: str  # header, site, summary, pooled, prediction
    row: ForestRow | None = None


def forest_layout(data: ForestData) -> list[_Line]:
    """Vertical positions (row 0 at the top) of the header, sites, diamond and PI."""
    lines = [_Line(0, "header")]
    lines += [_Line(i + 1, "site", row) for i, row in enumerate(data.site_rows)]
    if data.summarised is not None:
        lines.append(_Line(1, "summary"))
    y = len(lines) + 0.6
    if data.pooled is not None:
        lines.append(_Line(y, "pooled", data.pooled))
        y += 1
    if data.prediction is not None:
        lines.append(_Line(y, "prediction"))
    return lines


def robust_limits(
    always: Sequence[float | None],
    intervals: Sequence[tuple[float | None, float | None]],
    factor: float = WIDE_INTERVAL_FACTOR,
) -> tuple[float, float]:
    """An x range holding every value in ``always`` and every interval no wider than
    ``factor`` times the median interval width, with a 6% margin.

    One site with a handful of pairs (or the second step of a cumulative analysis) can
    have an interval ten times wider than the rest; an axis stretched to hold it squashes
    every other row into a dot. Point estimates, zero, the reference and the pooled
    CI/PI go in ``always``, so they are never cut; only the wide intervals run off the
    axis, and the drawing marks them with an arrow.
    """
    values = [v for v in always if v is not None and math.isfinite(v)]
    whole = [
        (low, high)
        for low, high in intervals
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high)
    ]
    if whole:
        widths = np.array([high - low for low, high in whole])
        limit = factor * float(np.median(widths))
        kept = [pair for pair, w in zip(whole, widths, strict=True) if w <= limit]
        values += [v for pair in kept for v in pair]
    if not values:
        return -1.0, 1.0
    low, high = min(values), max(values)
    pad = 0.06 * (high - low) if high > low else 0.5
    return low - pad, high + pad


def forest_limits(data: ForestData) -> tuple[float, float]:
    """The x range: zero, the reference, every estimate, the pooled CI and PI, and every
    site interval that is not far wider than the others (see :func:`robust_limits`)."""
    always: list[float | None] = [0.0, data.reference]
    always += [row.estimate for row in data.site_rows]
    if data.pooled is not None:
        always += [data.pooled.estimate, data.pooled.ci_low, data.pooled.ci_high]
    if data.summarised is not None:
        always += [data.summarised.minimum, data.summarised.maximum]
    if data.prediction is not None:
        always += list(data.prediction)
    return robust_limits(always, [(row.ci_low, row.ci_high) for row in data.site_rows])


def clipped_ends(row: ForestRow, limits: tuple[float, float]) -> tuple[bool, bool]:
    """(runs off the left, runs off the right): where the drawing puts an arrow."""
    low_out = row.ci_low is not None and row.ci_low < limits[0]
    high_out = row.ci_high is not None and row.ci_high > limits[1]
    return low_out, high_out


def any_clipped(rows: Sequence[ForestRow], limits: tuple[float, float]) -> bool:
    return any(any(clipped_ends(row, limits)) for row in rows)


def _draw_site(
    ax: Any, y: float, row: ForestRow, size: float, limits: tuple[float, float] | None = None
) -> None:
    """A square and its CI; an end past ``limits`` stops at the edge with an arrowhead."""
    if row.ci_low is not None and row.ci_high is not None:
        low, high = row.ci_low, row.ci_high
        if limits is not None:
            low_out, high_out = clipped_ends(row, limits)
            low, high = max(low, limits[0]), min(high, limits[1])
            for out, x, marker in ((low_out, limits[0], "<"), (high_out, limits[1], ">")):
                if out:
                    ax.plot([x], [y], marker=marker, ms=5, color=SITE_COLOUR, clip_on=False)
        ax.plot([low, high], [y, y], color=SITE_COLOUR, lw=1.0)
    if row.estimate is not None:
        ax.scatter([row.estimate], [y], s=size, marker="s", color=SITE_COLOUR, zorder=3)


def _marker_sizes(data: ForestData) -> list[float]:
    """Square area proportional to weight (as in metafor), equal when unweighted."""
    weights = [r.weight_percent or 0.0 for r in data.site_rows]
    largest = max(weights, default=0.0)
    if not data.weighted or largest <= 0:
        return [28.0 for _ in data.site_rows]
    return [10.0 + 150.0 * w / largest for w in weights]


def _draw_summary(ax: Any, y: float, summary: SitesSummary) -> None:
    ax.plot([summary.minimum, summary.maximum], [y, y], color=SITE_COLOUR, lw=1.0)
    ax.add_patch(
        Rectangle(
            (summary.q1, y - 0.25),
            summary.q3 - summary.q1,
            0.5,
            facecolor="#bdbdbd",
            edgecolor=SITE_COLOUR,
            zorder=3,
        )
    )
    ax.plot([summary.median] * 2, [y - 0.25, y + 0.25], color=SITE_COLOUR, lw=1.5, zorder=4)


def _draw_diamond(ax: Any, y: float, row: ForestRow) -> None:
    if row.estimate is None or row.ci_low is None or row.ci_high is None:
        return
    points = [(row.ci_low, y), (row.estimate, y - 0.35), (row.ci_high, y), (row.estimate, y + 0.35)]
    ax.add_patch(Polygon(points, closed=True, color=POOLED_COLOUR, zorder=3))


def _draw_prediction(ax: Any, y: float, interval: tuple[float, float]) -> None:
    low, high = interval
    ax.plot([low, high], [y, y], color=POOLED_COLOUR, lw=1.2)
    ax.plot([low, low], [y - 0.2, y + 0.2], color=POOLED_COLOUR, lw=1.2)
    ax.plot([high, high], [y - 0.2, y + 0.2], color=POOLED_COLOUR, lw=1.2)


def _draw_reference(ax: Any, data: ForestData, limits: tuple[float, float]) -> None:
    ax.axvline(0.0, color="black", lw=0.8, zorder=1)
    if data.reference is None:
        return
    ax.axvline(data.reference, color=REFERENCE_COLOUR, lw=1.2, ls="--", zorder=1)
    share = (data.reference - limits[0]) / (limits[1] - limits[0])
    align = "left" if share < 0.3 else "right" if share > 0.7 else "center"
    ax.text(
        data.reference,
        0,
        data.reference_label,
        color=REFERENCE_COLOUR,
        ha=align,
        va="center",
        fontsize=8,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
    )


def _row_texts(line: _Line, data: ForestData) -> tuple[str, str, str, str]:
    """(label, count, weight, estimate [CI]) printed beside a row."""
    if line.kind == "header":
        weight = "Weight" if data.weighted else ""
        return data.label_header, data.count_header, weight, data.interval_header
    if line.kind == "summary" and data.summarised is not None:
        s = data.summarised
        return (
            f"{s.n_sites:,} sites (summarised)",
            f"{s.n_total:,}",
            "",
            f"median {num(s.median)} [IQR {num(s.q1)}, {num(s.q3)}]",
        )
    if line.kind == "prediction" and data.prediction is not None:
        return "Prediction interval", "", "", _interval(*data.prediction)
    row = line.row
    assert row is not None
    weight = f"{row.weight_percent:.1f}%" if data.weighted and row.weight_percent else ""
    estimate = "no estimate" if row.estimate is None else num(row.estimate)
    interval = "" if row.estimate is None else " " + _interval(row.ci_low, row.ci_high)
    count = "" if row.n is None else f"{row.n:,}"
    return wrap_label(row.label), count, weight, estimate + interval


def _write_columns(left: Any, right: Any, lines: list[_Line], data: ForestData) -> None:
    for line in lines:
        label, count, weight, estimate = _row_texts(line, data)
        bold = "bold" if line.kind in ("header", "pooled") else "normal"
        for ax, x, text, ha in (
            (left, 0.0, label, "left"),
            (left, 0.98, count, "right"),
            (right, 0.25, weight, "right"),
            (right, 0.98, estimate, "right"),
        ):
            ax.text(
                x,
                line.y,
                text,
                ha=ha,
                va="center",
                fontweight=bold,
                transform=transforms.blended_transform_factory(ax.transAxes, ax.transData),
            )


def _forest_axes(figure: Figure, n_lines: float) -> tuple[Any, Any, Any]:
    grid = figure.add_gridspec(1, 3, width_ratios=[3.4, 4.4, 2.2], wspace=0.03)
    middle = figure.add_subplot(grid[0, 1])
    left = figure.add_subplot(grid[0, 0], sharey=middle)
    right = figure.add_subplot(grid[0, 2], sharey=middle)
    for ax in (left, right):
        ax.axis("off")
    for side in ("left", "right", "top"):
        middle.spines[side].set_visible(False)
    middle.tick_params(axis="y", left=False, labelleft=False)
    middle.set_ylim(n_lines + 0.6, -0.7)
    return left, middle, right


def _footer_lines(footer: str, width: float) -> list[str]:
    return textwrap.wrap(footer, width=int(width * 15))


def drawn_footer(data: ForestData, limits: tuple[float, float]) -> str:
    """The footer as drawn: with a note on the arrows when an interval is clipped."""
    if any_clipped(data.site_rows, limits):
        return f"{data.footer} {CLIPPED_NOTE}"
    return data.footer


def two_line_labels(labels: Sequence[str]) -> bool:
    return any("\n" in wrap_label(label) for label in labels)


def draw_forest(data: ForestData) -> Figure:
    """A forest plot: site squares and CIs, the pooled diamond, the PI, text columns."""
    lines = forest_layout(data)
    width = 11.0
    limits = forest_limits(data)
    footer = _footer_lines(drawn_footer(data, limits), width)
    tall = two_line_labels([row.label for row in data.site_rows])
    height = forest_height(len(lines), tall) + 0.16 * len(footer)
    with figure_style():
        figure = new_figure(width, height)
        left, middle, right = _forest_axes(figure, max(line.y for line in lines))
        sizes = iter(_marker_sizes(data))
        for line in lines:
            if line.kind == "site" and line.row is not None:
                _draw_site(middle, line.y, line.row, next(sizes), limits)
            elif line.kind == "summary" and data.summarised is not None:
                _draw_summary(middle, line.y, data.summarised)
            elif line.kind == "pooled" and line.row is not None:
                _draw_diamond(middle, line.y, line.row)
            elif line.kind == "prediction" and data.prediction is not None:
                _draw_prediction(middle, line.y, data.prediction)
        _draw_reference(middle, data, limits)
        middle.set_xlim(*limits)
        middle.set_xlabel(data.axis_label)
        _write_columns(left, right, lines, data)
        _frame_figure(figure, data.title, footer, height)
    return figure


def _frame_figure(figure: Figure, title: str, footer: list[str], height: float) -> None:
    """Title on top, footer at the bottom, margins fixed in inches so text never clips."""
    bottom = (0.62 + 0.16 * len(footer)) / height
    figure.subplots_adjust(left=0.02, right=0.98, top=1 - 0.5 / height, bottom=bottom)
    figure.text(0.02, 1 - 0.22 / height, title, fontsize=11, fontweight="bold", va="center")
    figure.text(0.02, 0.1 / height, "\n".join(footer), fontsize=8, va="bottom", color="#333333")
