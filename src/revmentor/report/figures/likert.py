"""Diverging Likert bars: the answers per domain, before and after, as percentages.

:func:`likert_data` turns answer counts into a :class:`LikertData` holding exactly what
will be drawn; :func:`draw_likert` turns it into a figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from revmentor.report.figures.style import figure_style, new_figure, wrap_label

NEUTRAL_COLOUR = "#d9d9d9"
#: Longest line of a site's name beside its bar; a longer name wraps onto a second line.
BAR_LABEL_CHARS = 28
#: Past this many sites, the note under a chart counts the rest instead of naming them.
MAX_NAMED_SITES = 12


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
    #: Printed under the chart: which sites the "all sites" bars pool, and which not, why.
    note: str = ""


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
    label_order: Sequence[str] = (),
    note: str = "",
) -> LikertData:
    """Diverging-bar content: one bar per domain × label × timepoint, percents per level.

    Labels (the pooled row, then sites) follow ``label_order``; a label not in it comes
    after, in order of appearance.

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
        for label in _ordered(frame["label"].tolist(), label_order):
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
        note=note,
    )


def _named(names: Sequence[str]) -> str:
    """'A, B and C'; past :data:`MAX_NAMED_SITES` names, 'A, B, … and 3 more'."""
    if len(names) > MAX_NAMED_SITES:
        rest = len(names) - MAX_NAMED_SITES
        return ", ".join(names[:MAX_NAMED_SITES]) + f" and {rest:,} more"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def pooled_sites_note(
    counts: pd.DataFrame,
    site_names: Mapping[str, str],
    summary_sites: Sequence[str],
    who: str,
    first_timepoint: str = "pre",
) -> str:
    """Which sites the "all sites" bars pool and why the others are not in them.

    ``counts`` are one figure's answer counts (site_id, outcome, timepoint, count);
    ``site_names`` every registered site, in the order the report shows sites. Only a site
    with participant-level answers has Likert counts: a site that sent a summary
    (registry ``format: summary``) has none, and a site whose data were invalid or held no
    answers from ``who`` has none either. Beside each name is how many answered before
    (the most in any domain shown), an aggregate count, never a participant's answer.
    """
    answered = counts[counts["count"] > 0]
    before = (
        answered[answered["timepoint"] == first_timepoint]
        .groupby(["site_id", "outcome"])["count"]
        .sum()
        .groupby(level="site_id")
        .max()
    )
    present = set(answered["site_id"].astype(str))
    pooled = [site for site in site_names if site in present]
    listed = [f"{site_names[site]} (n = {int(before.get(site, 0)):,})" for site in pooled]
    parts = [
        f"All sites: {len(pooled):,} of {len(site_names):,} sites, those with "
        f"participant-level answers from {who} (n = answered before): {_named(listed)}."
        if pooled
        else f"All sites: none of the {len(site_names):,} sites has participant-level "
        f"answers from {who}."
    ]
    absent = [site for site in site_names if site not in present]
    summaries = [site_names[site] for site in absent if site in summary_sites]
    others = [site_names[site] for site in absent if site not in summary_sites]
    if summaries:
        sent = (
            "sent a summary only, so it has"
            if len(summaries) == 1
            else ("sent summaries only, so they have")
        )
        parts.append(f"{_named(summaries)} {sent} no Likert counts.")
    if others:
        verb = "has" if len(others) == 1 else "have"
        parts.append(
            f"{_named(others)} {verb} no valid participant-level answers from {who} "
            "(see the validation overview)."
        )
    return " ".join(parts)


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


def bar_label(bar: LikertBar, several: bool) -> str:
    """The y label of a bar; a long site name wraps between words onto a second line."""
    who = f"{wrap_label(bar.label, BAR_LABEL_CHARS)}, " if several else ""
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
    colours = likert_colours(len(data.levels))
    tick_labels = [bar_label(bar, data.several_labels) for bar in data.bars]
    tall = any("\n" in label for label in tick_labels)
    width = 9.0
    note = textwrap.wrap(data.note, width=int(width * 14))
    note_inches = 0.16 * len(note) + (0.1 if note else 0.0)
    per_row = 0.34 if tall else 0.24
    height = float(min(max(1.6 + per_row * (bottom + 1), 3.0), 16.0)) + note_inches
    longest = max((len(line) for label in tick_labels for line in label.split("\n")), default=10)
    left = (0.25 + 0.075 * longest) / width
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
            bbox_to_anchor=(0.5, (0.05 + note_inches) / height),
            frameon=False,
            title=data.legend_title,
        )
        if note:
            figure.text(
                0.02, 0.08 / height, "\n".join(note), fontsize=8, va="bottom", color="#333333"
            )
        figure.subplots_adjust(
            left=left, right=0.96, top=1 - 0.5 / height, bottom=(1.2 + note_inches) / height
        )
        figure.text(
            0.02, 1 - 0.22 / height, data.title, fontsize=11, fontweight="bold", va="center"
        )
    return figure
