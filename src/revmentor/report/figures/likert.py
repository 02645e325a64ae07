"""Diverging Likert bars: the answers per domain, before and after, as percentages.

:func:`likert_data` turns answer counts into a :class:`LikertData` holding exactly what
will be drawn; :func:`draw_likert` turns it into a figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from revmentor.report.figures.style import figure_style, new_figure, short

NEUTRAL_COLOUR = "#d9d9d9"


# --------------------------------------------------------------------------- plot data


@dataclass(frozen=True)
class LikertBar:
    """One horizontal bar: percentages per level and where each segment starts.

    ``starts`` are the left edges in percent on the diverging axis: levels below the
    neutral one lie left of zero, the neutral level is centred on zero, higher levels lie
    right of it. With an even number of levels the boundary between the halves is at zero.
    """

    outcome: str
    domain_label: str
    label: str
    timepoint: str
    n: int
    percents: tuple[float, ...]
    starts: tuple[float, ...]


@dataclass(frozen=True)
class LikertData:
    """The bars of a diverging Likert chart, grouped by domain, pre and post adjacent."""

    title: str
    levels: tuple[int, ...]
    level_labels: tuple[str, ...]
    neutral: int | None
    bars: tuple[LikertBar, ...]
    several_labels: bool
    legend_title: str = "Score"


def neutral_level(levels: Sequence[int]) -> int | None:
    """The middle level of an odd-length scale; an even scale has no neutral answer."""
    return levels[len(levels) // 2] if len(levels) % 2 else None


def diverging_starts(percents: Sequence[float], levels: Sequence[int]) -> tuple[float, ...]:
    """Left edges of the segments so that the neutral level is split evenly across zero."""
    half = len(levels) // 2
    below = sum(percents[:half])
    middle = percents[half] if len(levels) % 2 else 0.0
    edges = np.concatenate([[0.0], np.cumsum(percents)])[:-1] - below - middle / 2
    return tuple(float(x) for x in edges)


def bar_percents(counts: Sequence[float]) -> tuple[int, tuple[float, ...]]:
    """(n, percent per level) from counts in level order; an empty bar is all 0%."""
    n = int(sum(counts))
    if n == 0:
        return 0, tuple(0.0 for _ in counts)
    return n, tuple(float(100.0 * c / n) for c in counts)


def _ordered(values: Sequence[str], preferred: Sequence[str]) -> list[str]:
    """``preferred`` first (in its order), then anything else in order of appearance."""
    present = list(dict.fromkeys(values))
    return [v for v in preferred if v in present] + [v for v in present if v not in preferred]


def likert_data(
    counts: pd.DataFrame,
    domain_labels: Mapping[str, str],
    levels: Sequence[int],
    *,
    timepoints: Sequence[str] = ("pre", "post"),
    level_labels: Mapping[int, str] | None = None,
    title: str = "Confidence per domain, before and after (% of answers)",
) -> LikertData:
    """Diverging-bar content: one bar per domain × label × timepoint, percents per level.

    Raises ``ValueError`` for a level outside ``levels``: silently dropping it would make
    the percentages describe answers that are not all there.
    """
    levels = tuple(int(level) for level in levels)
    unknown = sorted(set(counts["level"].astype(int)) - set(levels))
    if unknown:
        raise ValueError(f"levels {unknown} are not on the scale {levels}")
    frame = counts.assign(
        level=counts["level"].astype(int),
        outcome=counts["outcome"].astype(str),
        label=counts["label"].astype(str),
        timepoint=counts["timepoint"].astype(str),
    )
    table = frame.pivot_table(
        index=["outcome", "label", "timepoint"], columns="level", values="count", aggfunc="sum"
    ).reindex(columns=list(levels))
    bars = []
    for outcome in _ordered(frame["outcome"].tolist(), list(domain_labels)):
        for label in _ordered(frame["label"].tolist(), []):
            for timepoint in _ordered(frame["timepoint"].tolist(), timepoints):
                key = (outcome, label, timepoint)
                found = table.loc[key].fillna(0).tolist() if key in table.index else []
                n, percents = bar_percents(found or [0.0] * len(levels))
                bars.append(
                    LikertBar(
                        outcome=outcome,
                        domain_label=domain_labels.get(outcome, outcome),
                        label=label,
                        timepoint=timepoint,
                        n=n,
                        percents=percents,
                        starts=diverging_starts(percents, levels),
                    )
                )
    names = level_labels or {}
    return LikertData(
        title=title,
        levels=levels,
        level_labels=tuple(names.get(level, str(level)) for level in levels),
        neutral=neutral_level(levels),
        bars=tuple(bars),
        several_labels=frame["label"].nunique() > 1,
        legend_title=f"Score ({levels[0]} = lowest, {levels[-1]} = highest)" if levels else "",
    )


# --------------------------------------------------------------------------- drawing


def likert_colours(n_levels: int) -> list[str]:
    """Brewer RdBu (colour-blind safe), light grey for the neutral middle level."""
    cmap = matplotlib.colormaps["RdBu"]
    colours = [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.08, 0.92, n_levels)]
    if n_levels % 2:
        colours[n_levels // 2] = NEUTRAL_COLOUR
    return colours


def likert_positions(data: LikertData) -> tuple[list[float], list[tuple[float, str]]]:
    """y of each bar and of each domain heading; bars of one domain sit together."""
    ys: list[float] = []
    headings: list[tuple[float, str]] = []
    y = 0.0
    previous = None
    for bar in data.bars:
        if bar.outcome != previous:
            y += 0.6 if previous is not None else 0.0
            headings.append((y, bar.domain_label))
            y += 1.0
            previous = bar.outcome
        ys.append(y)
        y += 1.0
    return ys, headings


def _bar_label(bar: LikertBar, several: bool) -> str:
    who = f"{short(bar.label, 28)}, " if several else ""
    return f"{who}{bar.timepoint} (n = {bar.n:,})"


def _text_colour(hex_colour: str) -> str:
    red, green, blue = matplotlib.colors.to_rgb(hex_colour)
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "white"


def _draw_bar(ax: Any, y: float, bar: LikertBar, colours: list[str]) -> None:
    for start, width, colour in zip(bar.starts, bar.percents, colours, strict=True):
        if width <= 0:
            continue
        ax.barh(y, width, left=start, height=0.78, color=colour, edgecolor="white", lw=0.5)
        if width >= 7:
            ax.text(
                start + width / 2,
                y,
                f"{width:.0f}",
                ha="center",
                va="center",
                fontsize=7.5,
                color=_text_colour(colour),
            )


def draw_likert(data: LikertData) -> Figure:
    """Diverging stacked bars: low levels left of zero, neutral split, high levels right."""
    ys, headings = likert_positions(data)
    bottom = (ys[-1] if ys else 0.0) + 0.6
    height = float(min(max(1.6 + 0.24 * (bottom + 1), 3.0), 16.0))
    colours = likert_colours(len(data.levels))
    tick_labels = [_bar_label(bar, data.several_labels) for bar in data.bars]
    width = 9.0
    left = (0.25 + 0.075 * max((len(label) for label in tick_labels), default=10)) / width
    with figure_style():
        figure = new_figure(width, height)
        ax = figure.add_subplot(1, 1, 1)
        for y, bar in zip(ys, data.bars, strict=True):
            _draw_bar(ax, y, bar, colours)
        for y, heading in headings:
            ax.text(-99, y, heading, ha="left", va="center", fontweight="bold")
        ax.axvline(0, color="black", lw=0.8, zorder=0.5)  # behind bars: keeps % readable
        ax.set_yticks(ys, tick_labels)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-100, 100)
        ax.set_ylim(bottom, -0.7)
        ticks = [-100, -75, -50, -25, 0, 25, 50, 75, 100]
        ax.set_xticks(ticks, [f"{abs(t)}%" for t in ticks])
        ax.set_xlabel("Percentage of answers (neutral level split across zero)")
        for side in ("right", "top"):
            ax.spines[side].set_visible(False)
        handles = [Patch(facecolor=c, edgecolor="#999999", lw=0.5) for c in colours]
        figure.legend(
            handles,
            data.level_labels,
            ncol=len(handles),
            loc="lower center",
            bbox_to_anchor=(0.5, 0.05 / height),
            frameon=False,
            title=data.legend_title,
        )
        figure.subplots_adjust(left=left, right=0.96, top=1 - 0.5 / height, bottom=1.2 / height)
        figure.text(
            0.02, 1 - 0.22 / height, data.title, fontsize=11, fontweight="bold", va="center"
        )
    return figure
