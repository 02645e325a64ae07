"""Where one hospital sits: its change in every outcome beside the pooled change of all
sites, with the pooled CI and the prediction interval for a new site. Only this site's and
the pooled aggregates are drawn, so a site lead can pass the figure on.

The chart is written as SVG text (:mod:`.svg_text`): every hospital page has one, and a
thousand pages drawn by matplotlib would take most of the report step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from revmentor.report.figures import svg_text as svg
from revmentor.report.figures.forest import POOLED_COLOUR, SITE_COLOUR
from revmentor.report.figures.style import STYLE, num

PI_COLOUR = "#9aa7b4"
ZERO_COLOUR = "#555555"
FOOTER_COLOUR = "#444444"
#: The figure's width and its fixed parts, as the matplotlib figure had them (inches × 96).
WIDTH = 720.0
ROW = 0.34 * 96
PANEL_GAP = 0.75 * 96
TOP = 0.75 * 96
BOTTOM = 0.9 * 96
AXES_LEFT, AXES_RIGHT = 0.36 * WIDTH, 0.97 * WIDTH
#: Line widths and marker sizes in points, as drawn before (matplotlib's lw and ms).
CI_WIDTH, PI_WIDTH, SITE_MARKER, POOLED_MARKER = 1.6, 5.0, 5.5, 6.0
#: Where the site's and the pooled marks sit around a row's centre, in rows.
SITE_OFFSET, POOLED_OFFSET = 0.16, 0.14
TICK = svg.pt(3.5)
#: matplotlib's "D" marker is a square on its corner, about 1.3 × its size point to point.
DIAMOND = svg.pt(POOLED_MARKER) * 1.3


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


def row_values(rows: Sequence[PositionRow]) -> list[float]:
    """Every x a panel draws, and zero (its reference line): what its scale must hold."""
    values = [0.0]
    for row in rows:
        values += [*(row.site or ()), *(row.pooled or ()), *(row.prediction or ())]
    return values


def panel_scale(rows: Sequence[PositionRow]) -> svg.Scale:
    return svg.Scale(svg.padded_range(row_values(rows)), (AXES_LEFT, AXES_RIGHT))


def _row_marks(row: PositionRow, y: float, x: svg.Scale) -> list[str]:
    marks = []
    pooled_y, site_y = y + POOLED_OFFSET * ROW, y - SITE_OFFSET * ROW
    if row.prediction is not None:
        low, high = row.prediction
        marks.append(svg.line(x(low), pooled_y, x(high), pooled_y, PI_COLOUR, svg.pt(PI_WIDTH)))
    if row.pooled is not None:
        estimate, low, high = row.pooled
        marks.append(svg.line(x(low), pooled_y, x(high), pooled_y, POOLED_COLOUR, svg.pt(CI_WIDTH)))
        marks.append(svg.diamond(x(estimate), pooled_y, DIAMOND, POOLED_COLOUR))
    if row.site is not None:
        estimate, low, high = row.site
        marks.append(svg.line(x(low), site_y, x(high), site_y, SITE_COLOUR, svg.pt(CI_WIDTH)))
        marks.append(svg.square(x(estimate), site_y, svg.pt(SITE_MARKER), SITE_COLOUR))
    return marks


def _panel(rows: Sequence[PositionRow], top: float) -> list[str]:
    """One axis: rows from the top, the dotted line at no change, ticks under it."""
    x = panel_scale(rows)
    height = ROW * len(rows) + 0.4 * ROW
    bottom = top + height
    tick_size, label_size = (
        svg.pt(float(STYLE["xtick.labelsize"])),
        svg.pt(float(STYLE["ytick.labelsize"])),
    )
    parts = [svg.line(x(0.0), top, x(0.0), bottom, ZERO_COLOUR, svg.pt(0.8), dash="1,1.6")]
    for index, row in enumerate(rows):
        y = top + 0.7 * ROW + index * ROW
        parts += _row_marks(row, y, x)
        parts.append(svg.line(AXES_LEFT - TICK, y, AXES_LEFT, y, "#000000", svg.pt(0.8)))
        parts.append(
            svg.text(AXES_LEFT - TICK - svg.pt(3.5), y, row.label, label_size, anchor="end")
        )
    ticks = svg.nice_ticks(x.low, x.high)
    for tick in ticks:
        at = x(tick)
        parts.append(svg.line(at, bottom, at, bottom + TICK, "#000000", svg.pt(0.8)))
        parts.append(
            svg.text(at, bottom + TICK + 9, svg.tick_label(tick, ticks), tick_size, anchor="middle")
        )
    parts.append(svg.line(AXES_LEFT, top, AXES_LEFT, bottom, "#000000", svg.pt(0.8)))
    parts.append(svg.line(AXES_LEFT, bottom, AXES_RIGHT, bottom, "#000000", svg.pt(0.8)))
    return parts


def _legend(site_label: str) -> list[str]:
    """The three marks named in one line across the top, as the figure legend was."""
    size = svg.pt(7.5)
    y, x = 16.0, 10.0
    parts = []
    for kind, label in (
        ("site", site_label),
        ("pooled", "All sites (95% CI)"),
        ("prediction", "All sites: prediction interval"),
    ):
        if kind == "prediction":
            parts.append(svg.line(x, y, x + 26, y, PI_COLOUR, svg.pt(PI_WIDTH)))
        else:
            colour = SITE_COLOUR if kind == "site" else POOLED_COLOUR
            parts.append(svg.line(x, y, x + 26, y, colour, svg.pt(CI_WIDTH)))
            parts.append(
                svg.square(x + 13, y, svg.pt(SITE_MARKER), colour)
                if kind == "site"
                else svg.diamond(x + 13, y, DIAMOND, colour)
            )
        parts.append(svg.text(x + 33, y, label, size))
        x += 33 + svg.text_width(label, size) + 24
    return parts


def _title(title: str) -> list[str]:
    """Above the first panel, from its left edge as matplotlib placed it; a hospital name
    too long for that starts at the figure's edge, and wraps onto a second line there."""
    size = svg.pt(float(STYLE["axes.titlesize"]))
    if svg.text_width(title, size) <= AXES_RIGHT - AXES_LEFT:
        return [svg.text(AXES_LEFT, TOP - 14, title, size)]
    lines = svg.wrap_to_width(title, size, WIDTH - 16)
    return [
        svg.text(8, TOP - 14 - (len(lines) - 1 - index) * size * 1.2, line, size)
        for index, line in enumerate(lines)
    ]


def _description(data: SitePosition) -> str:
    """The chart's numbers in words, for a reader who cannot see it."""
    sentences = []
    for rows in data.panels:
        for row in rows:
            parts = []
            if row.site is not None:
                estimate, low, high = row.site
                parts.append(f"this hospital {num(estimate)} ({num(low)} to {num(high)})")
            if row.pooled is not None:
                estimate, low, high = row.pooled
                parts.append(f"all sites {num(estimate)} ({num(low)} to {num(high)})")
            if row.prediction is not None:
                parts.append(
                    f"prediction interval {num(row.prediction[0])} to {num(row.prediction[1])}"
                )
            sentences.append(f"{row.label}: {'; '.join(parts) or 'no estimate'}.")
    return f"{data.axis_label}. " + " ".join(sentences)


def site_position_height(data: SitePosition) -> float:
    panels = [group for group in data.panels if group]
    rows = sum(len(group) for group in panels)
    return TOP + ROW * (rows + 0.4 * len(panels)) + PANEL_GAP * (len(panels) - 1) + BOTTOM


def site_position_svg(data: SitePosition, figure_id: str, alt: str, style: str = "") -> str:
    """The domains on one axis and the totals on their own (their scale is several times
    wider). Per row: the pooled prediction interval (grey bar), the pooled CI (diamond) and
    the site's CI (square), with a dotted line at no change. ``alt`` is the accessible name;
    the description gives every number drawn."""
    panels = [group for group in data.panels if group]
    height = site_position_height(data)
    body = _legend(data.site_label)
    body += _title(data.title)
    top = TOP
    for rows in panels:
        body += _panel(rows, top)
        top += ROW * (len(rows) + 0.4) + PANEL_GAP
    axis_y = top - PANEL_GAP + 36
    body.append(
        svg.text((AXES_LEFT + AXES_RIGHT) / 2, axis_y, data.axis_label, svg.pt(9), anchor="middle")
    )
    body.append(svg.text(8, height - 14, data.footer, svg.pt(7), fill=FOOTER_COLOUR))
    return svg.document(WIDTH, height, figure_id, alt, _description(data), body, style)
