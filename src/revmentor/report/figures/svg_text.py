"""SVG written as text, for the charts of the hospital pages.

A thousand hospital pages each embed three charts; drawn by matplotlib they cost seconds
per page, written here they cost about a millisecond. The publication figures
(results/figures) stay matplotlib. Everything a chart needs besides its own layout lives
here: escaping, fixed number formatting (so the bytes are the same on every run), nice
axis ticks, an estimate of a label's width, and the few elements the charts use.

Coordinates are CSS pixels; a chart is as wide as the matplotlib figure it replaces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from revmentor.report.figures.style import MINUS, STYLE

#: The page's own fonts (style.css: body), so a chart's text reads as the page's text.
FONT_FAMILY = f"'{STYLE['font.family']}', system-ui, sans-serif"
#: matplotlib's sizes are points; a CSS pixel is 0.75 pt.
PX_PER_PT = 96 / 72
#: The step multiples an axis may tick at (matplotlib's AutoLocator uses the same).
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})

#: DejaVu Sans advance widths in em, by class of character; unknown characters count as
#: wide, so an estimate errs towards more room.
_NARROW = frozenset("ijlI'.,:;|!·’ ")
_SEMI = frozenset('frtJ()[]/\\-"')
_WIDE = frozenset("mwMW%@…—")


def escape(text: str) -> str:
    """Text safe inside an element or a double- or single-quoted attribute."""
    return text.translate(_ESCAPES)


def fmt(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pt(size: float) -> float:
    """A font size given in points (as matplotlib's style has it), in CSS pixels."""
    return size * PX_PER_PT


def text_width(text: str, size_px: float, bold: bool = False) -> float:
    """About how wide ``text`` sets in DejaVu Sans at ``size_px``; for layout only."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.32
        elif char in _SEMI:
            em += 0.4
        elif char in _WIDE:
            em += 1.0
        elif char.isupper():
            em += 0.72
        elif char.isascii():
            em += 0.64
        else:
            em += 0.84
    return em * size_px * (1.08 if bold else 1.0)


def wrap_to_width(text: str, size_px: float, width: float) -> list[str]:
    """``text`` in lines of at most about ``width`` pixels, broken between words (a single
    word wider than that keeps its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size_px) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


# --------------------------------------------------------------------------- axes


def nice_ticks(low: float, high: float, max_ticks: int = 7) -> list[float]:
    """Round tick values inside [low, high]: the smallest step of 1, 2, 2.5 or 5 × 10^k
    that gives at most ``max_ticks`` ticks."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(max_ticks - 1, 1)
    scale = 10.0 ** math.floor(math.log10(raw))
    step = next(m * scale for m in NICE_STEPS if m * scale >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """A tick as an axis prints it: as many decimals as the step needs, a true minus."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9:
        decimals += 1
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def padded_range(values: Iterable[float], margin: float = 0.05) -> tuple[float, float]:
    """The span of ``values`` widened by ``margin`` of it each side (matplotlib's autoscale)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return -1.0, 1.0
    low, high = min(finite), max(finite)
    if high == low:
        return low - 1.0, high + 1.0
    pad = (high - low) * margin
    return low - pad, high + pad


class Scale:
    """Data values to pixels along one axis."""

    def __init__(self, domain: tuple[float, float], pixels: tuple[float, float]) -> None:
        self.low, self.high = domain
        self.start, self.end = pixels

    def __call__(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.start + share * (self.end - self.start)


# --------------------------------------------------------------------------- elements


def text(
    x: float,
    y: float,
    content: str,
    size: float,
    *,
    anchor: str = "start",
    bold: bool = False,
    fill: str = "",
) -> str:
    """One line of text; ``y`` is its middle (dominant-baseline: central)."""
    attributes = [f'x="{fmt(x)}"', f'y="{fmt(y)}"', f'font-size="{fmt(size)}"']
    if anchor != "start":
        attributes.append(f'text-anchor="{anchor}"')
    if bold:
        attributes.append('font-weight="bold"')
    if fill:
        attributes.append(f'fill="{fill}"')
    return f'<text {" ".join(attributes)} dominant-baseline="central">{escape(content)}</text>'


def line(
    x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, dash: str = ""
) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" y2="{fmt(y2)}" '
        f'stroke="{stroke}" stroke-width="{fmt(width)}"{extra}/>'
    )


def rect(
    x: float, y: float, width: float, height: float, fill: str, stroke: str = "", lw: float = 0
) -> str:
    extra = f' stroke="{stroke}" stroke-width="{fmt(lw)}"' if stroke else ""
    return (
        f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(width)}" height="{fmt(height)}" '
        f'fill="{fill}"{extra}/>'
    )


def square(x: float, y: float, side: float, fill: str) -> str:
    """A square marker centred on (x, y)."""
    return rect(x - side / 2, y - side / 2, side, side, fill)


def diamond(x: float, y: float, size: float, fill: str) -> str:
    """A diamond marker centred on (x, y), ``size`` across its points."""
    half = size / 2
    points = f"{fmt(x)},{fmt(y - half)} {fmt(x + half)},{fmt(y)} {fmt(x)},{fmt(y + half)} "
    return f'<polygon points="{points}{fmt(x - half)},{fmt(y)}" fill="{fill}"/>'


def document(
    width: float,
    height: float,
    figure_id: str,
    title: str,
    desc: str,
    body: Iterable[str],
    style: str = "",
) -> str:
    """A complete ``<svg>``: sized in pixels, scalable (viewBox), its accessible name the
    ``<title>`` and its longer description the ``<desc>``, ids prefixed by ``figure_id`` so
    that several charts can share one page."""
    size = f'width="{fmt(width)}" height="{fmt(height)}" viewBox="0 0 {fmt(width)} {fmt(height)}"'
    style_attribute = f' style="{escape(style)}"' if style else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} role="img" '
        f'aria-labelledby="{figure_id}-title" aria-describedby="{figure_id}-desc" '
        f'font-family="{escape(FONT_FAMILY)}"{style_attribute}>\n'
        f'<title id="{figure_id}-title">{escape(title)}</title>\n'
        f'<desc id="{figure_id}-desc">{escape(desc)}</desc>\n'
        f"{rect(0, 0, width, height, '#ffffff')}\n" + "\n".join(body) + "\n</svg>"
    )
