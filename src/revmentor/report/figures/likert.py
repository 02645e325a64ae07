"""Diverging Likert bars: the answers per domain, before and after, as percentages.

:func:`likert_data` turns answer counts into a :class:`LikertData` holding exactly what
will be drawn; :func:`draw_likert` turns it into a figure (the consortium's figures) and
:func:`likert_svg` into SVG text (the hospital pages, a thousand of them, where matplotlib
would take seconds a page). Both share the layout: :func:`likert_layout`.
"""

from __future__ import annotations

import functools
import itertools
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from revmentor.report.figures import svg_text as svg
from revmentor.report.figures.style import STYLE, figure_style, new_figure, wrap_label

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
    # Running sums in plain Python (as np.cumsum adds, one after another, so the same
    # floats): a thousand hospital pages draw tens of thousands of bars.
    edges = [0.0, *itertools.accumulate(percents)][:-1]
    return tuple(float(edge - below - middle / 2) for edge in edges)


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
    return likert_bars(
        dict(zip(table.index, table.fillna(0).to_numpy().tolist(), strict=True)),
        _ordered(frame["outcome"].tolist(), list(domain_labels)),
        _ordered(frame["label"].tolist(), label_order),
        _ordered(frame["timepoint"].tolist(), timepoints),
        domain_labels,
        levels,
        level_labels=level_labels,
        title=title,
        note=note,
    )


def likert_bars(
    counts: Mapping[tuple[str, str, str], Sequence[float]],
    outcomes: Sequence[str],
    labels: Sequence[str],
    timepoints: Sequence[str],
    domain_labels: Mapping[str, str],
    levels: Sequence[int],
    *,
    level_labels: Mapping[int, str] | None = None,
    title: str = "Confidence per domain, before and after (% of answers)",
    note: str = "",
) -> LikertData:
    """The bars from counts already summed: ``counts[(outcome, label, timepoint)]`` in
    level order (a missing key is a bar with no answers), one bar per outcome × label ×
    timepoint in the orders given. :func:`likert_data` sums them from a frame; the hospital
    pages, a thousand of them, index them once for all."""
    levels = tuple(int(level) for level in levels)
    bars = []
    for outcome in outcomes:
        for label in labels:
            for timepoint in timepoints:
                found = counts.get((outcome, label, timepoint)) or [0.0] * len(levels)
                n, percents = bar_percents(found)
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
        several_labels=len(labels) > 1,
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
    return list(_likert_colours(n_levels))


@functools.cache
def _likert_colours(n_levels: int) -> tuple[str, ...]:
    # Once per scale: every hospital page's charts ask again.
    cmap = matplotlib.colormaps["RdBu"]
    colours = [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.08, 0.92, n_levels)]
    if n_levels % 2:
        colours[n_levels // 2] = NEUTRAL_COLOUR
    return tuple(colours)


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


@functools.cache
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


@dataclass(frozen=True)
class LikertLayout:
    """Where everything of a Likert chart goes, in inches and data units: one layout for
    the matplotlib figure and the SVG, so the two read alike."""

    ys: list[float]
    headings: list[tuple[float, str]]
    #: The lowest y of the bars' axis (it runs downwards, from -0.7 to ``bottom``).
    bottom: float
    colours: list[str]
    tick_labels: list[str]
    width: float
    height: float
    note: list[str]
    note_inches: float
    #: The axes' left edge as a share of the width.
    left: float


def likert_layout(data: LikertData) -> LikertLayout:
    ys, headings = likert_positions(data)
    bottom = (ys[-1] if ys else 0.0) + 0.6
    tick_labels = [bar_label(bar, data.several_labels) for bar in data.bars]
    tall = any("\n" in label for label in tick_labels)
    width = 9.0
    note = textwrap.wrap(data.note, width=int(width * 14))
    note_inches = 0.16 * len(note) + (0.1 if note else 0.0)
    per_row = 0.34 if tall else 0.24
    height = float(min(max(1.6 + per_row * (bottom + 1), 3.0), 16.0)) + note_inches
    longest = max((len(line) for label in tick_labels for line in label.split("\n")), default=10)
    return LikertLayout(
        ys=ys,
        headings=headings,
        bottom=bottom,
        colours=likert_colours(len(data.levels)),
        tick_labels=tick_labels,
        width=width,
        height=height,
        note=note,
        note_inches=note_inches,
        left=(0.25 + 0.075 * longest) / width,
    )


#: The x ticks of the diverging axis, in percent.
PERCENT_TICKS = (-100, -75, -50, -25, 0, 25, 50, 75, 100)
X_LABEL = "Percentage of answers (neutral level split across zero)"
#: A segment this wide (percent) or wider carries its percentage.
LABELLED_PERCENT = 7


def draw_likert(data: LikertData) -> Figure:
    """Diverging stacked bars: low levels left of zero, neutral split, high levels right."""
    layout = likert_layout(data)
    ys, headings, bottom, colours = layout.ys, layout.headings, layout.bottom, layout.colours
    width, height, note, note_inches = layout.width, layout.height, layout.note, layout.note_inches
    with figure_style():
        figure = new_figure(width, height)
        ax = figure.add_subplot(1, 1, 1)
        for y, bar in zip(ys, data.bars, strict=True):
            _draw_bar(ax, y, bar, colours)
        for y, heading in headings:
            ax.text(-99, y, heading, ha="left", va="center", fontweight="bold")
        ax.axvline(0, color="black", lw=0.8, zorder=0.5)  # behind bars: keeps % readable
        ax.set_yticks(ys, layout.tick_labels)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-100, 100)
        ax.set_ylim(bottom, -0.7)
        ticks = list(PERCENT_TICKS)
        ax.set_xticks(ticks, [f"{abs(t)}%" for t in ticks])
        ax.set_xlabel(X_LABEL)
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
            left=layout.left, right=0.96, top=1 - 0.5 / height, bottom=(1.2 + note_inches) / height
        )
        figure.text(
            0.02, 1 - 0.22 / height, data.title, fontsize=11, fontweight="bold", va="center"
        )
    return figure


# --------------------------------------------------------------------------- SVG text


def _bar_description(bar: LikertBar, several: bool, level_labels: Sequence[str]) -> str:
    who = f"{bar.label}, " if several else ""
    shares = ", ".join(
        f"{level} {percent:.0f}%" for level, percent in zip(level_labels, bar.percents, strict=True)
    )
    return f"{bar.domain_label}, {who}{bar.timepoint} (n = {bar.n:,}): {shares}."


def likert_description(data: LikertData) -> str:
    """Every bar's shares in words, for a reader who cannot see the chart."""
    bars = " ".join(
        _bar_description(bar, data.several_labels, data.level_labels) for bar in data.bars
    )
    return f"{data.legend_title}; percentage of answers at each score. {bars}"


def likert_svg(data: LikertData, figure_id: str, alt: str, style: str = "") -> str:
    """:func:`draw_likert`'s chart as SVG text, from the same layout: the same bars,
    colours, labels, scale, centre line and legend. ``alt`` is the accessible name; the
    description gives every bar's shares."""
    layout = likert_layout(data)
    inch = 96.0
    width, height = layout.width * inch, layout.height * inch
    left, right = layout.left * width, 0.96 * width
    top, bottom = 0.5 * inch, height - (1.2 + layout.note_inches) * inch
    x = svg.Scale((-100.0, 100.0), (left, right))
    y = svg.Scale((-0.7, layout.bottom), (top, bottom))
    unit = (bottom - top) / (layout.bottom + 0.7)
    label_size = svg.pt(float(STYLE["ytick.labelsize"]))
    body = [
        svg.text(0.02 * width, 0.22 * inch, data.title, svg.pt(11), bold=True),
        svg.line(x(0), top, x(0), bottom, "#000000", svg.pt(0.8)),
    ]
    for centre, bar, label in zip(layout.ys, data.bars, layout.tick_labels, strict=True):
        middle = y(centre)
        for start, share, colour in zip(bar.starts, bar.percents, layout.colours, strict=True):
            if share <= 0:
                continue
            body.append(
                svg.rect(
                    x(start),
                    middle - 0.39 * unit,
                    x(start + share) - x(start),
                    0.78 * unit,
                    colour,
                    "#ffffff",
                    svg.pt(0.5),
                )
            )
            if share >= LABELLED_PERCENT:
                body.append(
                    svg.text(
                        x(start + share / 2),
                        middle,
                        f"{share:.0f}",
                        svg.pt(7.5),
                        anchor="middle",
                        fill=_text_colour(colour),
                    )
                )
        lines = label.split("\n")
        for index, text in enumerate(lines):
            offset = (index - (len(lines) - 1) / 2) * label_size * 1.2
            body.append(
                svg.text(left - svg.pt(3.5), middle + offset, text, label_size, anchor="end")
            )
    for centre, heading in layout.headings:
        body.append(svg.text(x(-99), y(centre), heading, svg.pt(9), bold=True))
    body += [
        svg.line(left, top, left, bottom, "#000000", svg.pt(0.8)),
        svg.line(left, bottom, right, bottom, "#000000", svg.pt(0.8)),
    ]
    tick = svg.pt(3.5)
    for value in PERCENT_TICKS:
        body.append(svg.line(x(value), bottom, x(value), bottom + tick, "#000000", svg.pt(0.8)))
        body.append(
            svg.text(x(value), bottom + tick + 9, f"{abs(value)}%", label_size, anchor="middle")
        )
    body.append(svg.text((left + right) / 2, bottom + 32, X_LABEL, svg.pt(9), anchor="middle"))
    body += _svg_legend(data, layout, width, height - (0.05 + layout.note_inches) * inch)
    note_size = svg.pt(8)
    for index, text in enumerate(layout.note):
        y_note = height - 0.08 * inch - (len(layout.note) - 1 - index) * note_size * 1.2 - 6
        body.append(svg.text(0.02 * width, y_note, text, note_size, fill="#333333"))
    return svg.document(width, height, figure_id, alt, likert_description(data), body, style)


def _svg_legend(data: LikertData, layout: LikertLayout, width: float, base: float) -> list[str]:
    """The levels in one row under the axis, the scale's meaning above them, centred."""
    size = svg.pt(float(STYLE["legend.fontsize"]))
    patch, gap = 2.0 * size, 0.8 * size
    widths = [patch + gap + svg.text_width(label, size) for label in data.level_labels]
    spacing = 2.0 * size
    total = sum(widths) + spacing * (len(widths) - 1)
    row_y = base - 0.8 * size
    parts = [svg.text(width / 2, row_y - 1.4 * size, data.legend_title, size, anchor="middle")]
    x = (width - total) / 2
    for label, colour, item in zip(data.level_labels, layout.colours, widths, strict=True):
        parts.append(
            svg.rect(x, row_y - 0.35 * size, patch, 0.7 * size, colour, "#999999", svg.pt(0.5))
        )
        parts.append(svg.text(x + patch + gap, row_y, label, size))
        x += item + spacing
    return parts
