"""Baujat plots: which sites drive the heterogeneity, and which move the pooled result.

:func:`baujat_data` turns the rows of ``influence.csv`` for one analysis into a
:class:`BaujatData`; :func:`draw_baujat` draws it. Each site is a point: across, its
contribution to the heterogeneity (its squared Pearson residual in the z-test fit); up, its
influence on the pooled result (the squared change of the estimate when it is left out, in
units of that estimate's variance). The sites metafor's rule marks as influential are
drawn in another colour and shape, and named while they are few.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from revmentor.report.figures.forest import METHOD_NAMES, REFERENCE_COLOUR, SITE_COLOUR, _float
from revmentor.report.figures.labels import place_labels
from revmentor.report.figures.moderators import (
    MAX_LABELLED_SITES,
    MAX_NAMED_EXCLUSIONS,
    distinct_notes,
    scatter_figure,
    scatter_limits,
    unnamed_text,
)
from revmentor.report.figures.style import figure_style

X_LABEL = (
    "Contribution to heterogeneity, (y\u1d62 \u2212 \u03bc\u0302)\u00b2 / (v\u1d62 + \u03c4\u00b2)"
)
Y_LABEL = (
    "Influence on the pooled result, "
    "(\u03bc\u0302\u208b\u1d62 \u2212 \u03bc\u0302)\u00b2 / se\u00b2(\u03bc\u0302\u208b\u1d62)"
)
POINT_AREA = 28.0


@dataclass(frozen=True)
class BaujatPoint:
    site_id: str
    heterogeneity: float
    influence: float
    influential: bool


@dataclass(frozen=True)
class BaujatData:
    title: str
    subtitle: str
    points: tuple[BaujatPoint, ...]
    labelled: tuple[str, ...]  # site ids named beside their point
    footer: str


def influential_text(sites: Sequence[str]) -> str:
    if not sites:
        return "No site is influential by metafor's rule."
    if len(sites) > MAX_NAMED_EXCLUSIONS:
        return (
            f"{len(sites):,} sites are influential by metafor's rule (listed in "
            "results/pooled/influence.csv)."
        )
    return f"Influential by metafor's rule: {', '.join(sites)}."


def baujat_data(
    title: str, rows: pd.DataFrame, method: str, *, primary_method: str | None = None
) -> BaujatData:
    """The content of one Baujat plot from influence.csv rows (one analysis, one method).

    ``primary_method`` is the primary analysis's method when the plot uses another one
    (a common-effect primary has no τ² to be influenced, so REML stands in)."""
    points = tuple(
        BaujatPoint(
            str(row["site_id"]),
            x,
            y,
            str(row.get("influential", "")) == "yes",
        )
        for row in rows.to_dict("records")
        if (x := _float(row, "heterogeneity_contribution")) is not None
        and (y := _float(row, "influence_on_result")) is not None
        and math.isfinite(x)
        and math.isfinite(y)
    )
    influential = [point.site_id for point in points if point.influential]
    if len(points) <= MAX_LABELLED_SITES:
        labelled = tuple(point.site_id for point in points)
    elif len(influential) <= MAX_NAMED_EXCLUSIONS:
        labelled = tuple(influential)
    else:
        labelled = ()
    fit = f"{METHOD_NAMES.get(method, method)} fit with the z test (metafor's influence())"
    if primary_method is not None and primary_method != method:
        fit += (
            f"; the primary analysis is {METHOD_NAMES.get(primary_method, primary_method)}, "
            f"which has no \u03c4\u00b2, so {method} stands in"
        )
    footer = [f"Each point is a site; {fit}.", influential_text(influential)]
    if len(points) > MAX_LABELLED_SITES:
        named = "only the influential sites are named" if labelled else "sites are not named"
        footer.append(f"More than {MAX_LABELLED_SITES} sites: {named}.")
    left_out = len(rows) - len(points)
    if left_out:
        footer.append(f"{left_out:,} site(s) without diagnostics are not drawn.")
    footer += [f"Note: {note}." for note in distinct_notes(rows)]
    return BaujatData(
        title=title,
        subtitle=f"k = {len(points):,} sites; {len(influential):,} influential",
        points=points,
        labelled=labelled,
        footer=" ".join(footer),
    )


def draw_baujat(data: BaujatData) -> Figure:
    """Heterogeneity contribution across, influence on the result up; influential marked."""
    with figure_style():
        figure, ax, subtitle = scatter_figure(data.title, data.subtitle, data.footer)
        many = len(data.points) > 100
        for influential, colour, marker, name in (
            (False, SITE_COLOUR, "o", "site"),
            (True, REFERENCE_COLOUR, "D", "influential site (metafor's rule)"),
        ):
            chosen = [p for p in data.points if p.influential == influential]
            if not chosen:
                continue
            ax.scatter(
                [p.heterogeneity for p in chosen],
                [p.influence for p in chosen],
                s=POINT_AREA,
                marker=marker,
                color=colour,
                alpha=0.4 if many and not influential else 0.9,
                linewidth=0,
                zorder=4 if influential else 3,
                label=name,
            )
        xs = [p.heterogeneity for p in data.points]
        ys = [p.influence for p in data.points]
        ax.set_xlim(*_nonnegative_limits(xs))
        ax.set_ylim(*_nonnegative_limits(ys))
        ax.set_xlabel(X_LABEL)
        ax.set_ylabel(Y_LABEL)
        if not data.points:
            ax.text(
                0.5,
                0.5,
                "No influence diagnostics (fewer than two sites)",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        handles = [
            Line2D([], [], ls="", marker="o", color=SITE_COLOUR, label="site"),
            Line2D(
                [],
                [],
                ls="",
                marker="D",
                color=REFERENCE_COLOUR,
                label="influential (metafor's rule)",
            ),
        ]
        ax.legend(
            handles=handles,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=2,
            frameon=False,
            borderaxespad=0.2,
        )
        named = set(data.labelled)
        if named:
            radius = math.sqrt(POINT_AREA) / 2
            left_out = place_labels(
                figure,
                ax,
                xs,
                ys,
                [p.site_id if p.site_id in named else None for p in data.points],
                [radius] * len(data.points),
                required=[p.influential for p in data.points],
            )
            subtitle.set_text(data.subtitle + unnamed_text(left_out))
    return figure


def _nonnegative_limits(values: Sequence[float]) -> tuple[float, float]:
    """Both axes are squared quantities: start at 0, leave room for labels at the top."""
    low, high = scatter_limits([0.0, *values])
    return max(low, -0.04 * (high - low)), high
