"""Where one hospital sits: its change in every outcome beside the pooled change of all
sites, with the pooled CI and the prediction interval for a new site. Only this site's and
the pooled aggregates are drawn, so a site lead can pass the figure on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from revmentor.report.figures.forest import POOLED_COLOUR, SITE_COLOUR
from revmentor.report.figures.style import figure_style, new_figure

PI_COLOUR = "#9aa7b4"


@dataclass(frozen=True)
class PositionRow:
    label: str
    site: tuple[float, float, float] | None  # estimate, CI low, CI high
    pooled: tuple[float, float, float] | None
    prediction: tuple[float, float] | None


@dataclass(frozen=True)
class SitePosition:
    title: str
    site_label: str
    axis_label: str
    #: Groups of rows drawn on their own axis (domains, then totals).
    panels: tuple[tuple[PositionRow, ...], ...]
    footer: str


def _draw_rows(axes: Any, rows: Sequence[PositionRow]) -> None:
    for index, row in enumerate(rows):
        y = len(rows) - 1 - index
        if row.prediction is not None:
            axes.plot(row.prediction, [y - 0.14] * 2, color=PI_COLOUR, lw=5, solid_capstyle="butt")
        if row.pooled is not None:
            estimate, low, high = row.pooled
            axes.plot([low, high], [y - 0.14] * 2, color=POOLED_COLOUR, lw=1.6)
            axes.plot([estimate], [y - 0.14], marker="D", color=POOLED_COLOUR, ms=6)
        if row.site is not None:
            estimate, low, high = row.site
            axes.plot([low, high], [y + 0.16] * 2, color=SITE_COLOUR, lw=1.6)
            axes.plot([estimate], [y + 0.16], marker="s", color=SITE_COLOUR, ms=5.5)
    axes.axvline(0, color="#555555", lw=0.8, ls=":")
    axes.set_yticks(range(len(rows)), [row.label for row in reversed(rows)])
    axes.set_ylim(-0.7, len(rows) - 0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def draw_site_position(data: SitePosition) -> Figure:
    """The domains on one axis and the totals on their own (their scale is several times
    wider). Per row: the pooled prediction interval (grey bar), the pooled CI (diamond) and
    the site's CI (square), with a dotted line at no change."""
    panels = [list(group) for group in data.panels if group]
    sizes = [len(group) for group in panels]
    row_inches, extra = 0.34, 0.75
    height = 1.5 + row_inches * sum(sizes) + extra * (len(panels) - 1)
    with figure_style():
        figure = new_figure(7.5, height)
        top, bottom = 1 - 0.75 / height, 0.55 / height
        grid = figure.add_gridspec(
            len(panels),
            1,
            height_ratios=sizes,
            left=0.36,
            right=0.97,
            top=top,
            bottom=bottom + 0.35 / height,
            hspace=extra / (row_inches * sum(sizes) / len(panels)),
        )
        for index, group in enumerate(panels):
            axes = figure.add_subplot(grid[index])
            _draw_rows(axes, group)
            if index == 0:
                axes.set_title(data.title, loc="left")
                handles = [
                    axes.plot([], [], marker="s", color=SITE_COLOUR, lw=1.6, label=data.site_label)[
                        0
                    ],
                    axes.plot(
                        [], [], marker="D", color=POOLED_COLOUR, lw=1.6, label="All sites (95% CI)"
                    )[0],
                    axes.plot(
                        [], [], color=PI_COLOUR, lw=5, label="All sites: prediction interval"
                    )[0],
                ]
                figure.legend(
                    handles=handles,
                    loc="upper left",
                    bbox_to_anchor=(0.01, 1 - 0.05 / height),
                    ncol=3,
                    frameon=False,
                    fontsize=7.5,
                )
            if index == len(panels) - 1:
                axes.set_xlabel(data.axis_label)
        figure.text(0.01, 0.12 / height, data.footer, fontsize=7, color="#444444")
    return figure
