"""Point labels that do not overlap each other, the points or the plot's edge.

Scatter plots of sites (bubble and Baujat plots) name each site beside its point while
there are few. Each label tries a ring of positions around its point, nearest first, and
takes the first whose text box is inside the axes and clear of every label already placed
and of every point, with a thin leader line back to its point when it is not the nearest
ring. A label with no free place near its point is left out (the caller says how many),
unless it is required: that one takes the least crowded place. Placement depends only on
the figure's geometry, so the same input gives the same figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from revmentor.report.figures.style import wrap_label

#: Longest line of a label beside a point; a longer name wraps onto a second line, and only
#: past two lines is it shortened, after a whole word, with an ellipsis.
MAX_POINT_LABEL_CHARS = 22
LABEL_FONT_SIZE = 7.5
LABEL_GAP_POINTS = 2.0
#: An optional label may go this many rings out; farther, its leader line would tangle.
NEAR_RINGS = 3
# (dx, dy) in units of the ring's radius; right and left first, as a reader scans, then
# above, below, the diagonals and the angles between them.
_DIRECTIONS = (
    (1.0, 0.0),
    (-1.0, 0.0),
    (0.0, 1.0),
    (0.0, -1.0),
    (0.8, 0.8),
    (-0.8, 0.8),
    (0.8, -0.8),
    (-0.8, -0.8),
    *(
        (round(math.cos(angle), 3), round(math.sin(angle), 3))
        for angle in (math.pi * (2 * i + 1) / 8 for i in range(8))
    ),
)
# A crowded cluster (many sites near the origin of a Baujat plot) pushes labels outwards,
# each with a thin leader line back to its point.
_RINGS = (1.0, 2.2, 3.6, 5.5, 8.0, 11.0, 15.0)


def _text_box(label: Any, renderer: Any) -> Bbox:
    """The text's own box; an annotation's extent would include its leader line."""
    label.update_positions(renderer)
    return Text.get_window_extent(label, renderer)


def _alignment(dx: float, dy: float) -> tuple[str, str]:
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    return ha, va


def _extents(boxes: Sequence[Bbox]) -> np.ndarray:
    """Boxes as an (n, 4) array of x0, y0, x1, y1, so overlaps are one vector operation."""
    return np.array([box.extents for box in boxes], dtype=float).reshape(-1, 4)


def _overlap(box: Bbox, others: np.ndarray) -> float:
    """Total area of ``box`` shared with ``others`` (display units²)."""
    width = np.minimum(box.x1, others[:, 2]) - np.maximum(box.x0, others[:, 0])
    height = np.minimum(box.y1, others[:, 3]) - np.maximum(box.y0, others[:, 1])
    return float(np.sum(np.clip(width, 0, None) * np.clip(height, 0, None)))


def _outside(box: Bbox, frame: Bbox) -> float:
    """How far (display units) ``box`` sticks out of ``frame``; 0 when inside."""
    return max(0.0, frame.x0 - box.x0, box.x1 - frame.x1, frame.y0 - box.y0, box.y1 - frame.y1)


def place_labels(
    figure: Figure,
    ax: Any,
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str | None],
    point_radii: Sequence[float],
    *,
    required: Sequence[bool] | None = None,
    colour: str = "#202020",
) -> list[str]:
    """Write ``texts`` beside the points (data coordinates) without overlaps, and return
    the texts left out.

    ``point_radii`` are the markers' radii in points, so a label clears its own bubble. A
    point whose text is ``None`` gets no label, but labels keep clear of it.
    The most isolated points are labelled first. A label that finds no free place near its
    point is left out, so that long leader lines do not tangle, unless it is ``required``
    (an influential site): that one goes to the least crowded place, however far.
    The axes limits must be final before this is called.
    """
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    required = list(required) if required is not None else [False] * len(texts)
    points_to_pixels = figure.dpi / 72.0
    centres = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.empty((0, 2))
    point_boxes = [
        Bbox.from_extents(
            cx - r * points_to_pixels,
            cy - r * points_to_pixels,
            cx + r * points_to_pixels,
            cy + r * points_to_pixels,
        )
        for (cx, cy), r in zip(centres, point_radii, strict=True)
    ]
    point_extents = _extents(point_boxes)
    frame = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    left_out: list[str] = []
    for index in _labelling_order(centres, required):
        text = texts[index]
        if text is None:
            continue
        shown = wrap_label(text, MAX_POINT_LABEL_CHARS)
        xy = (xs[index], ys[index])
        probe = ax.annotate(
            shown, xy, xytext=(0, 0), textcoords="offset points", fontsize=LABEL_FONT_SIZE
        )
        others = np.delete(point_extents, index, axis=0)
        rings = _RINGS if required[index] else _RINGS[:NEAR_RINGS]
        position = _best_position(
            probe,
            renderer,
            point_radii[index] + 4.0,
            _extents(placed),
            others,
            frame,
            rings,
            settle=required[index],
        )
        probe.remove()
        if position is None:
            left_out.append(text)
            continue
        offset, ha, va, ring = position
        leader = (
            {"arrowstyle": "-", "color": "#808080", "lw": 0.5, "shrinkA": 1.0, "shrinkB": 0.0}
            if ring > _RINGS[0]
            else None
        )
        label = ax.annotate(
            shown,
            xy,
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=LABEL_FONT_SIZE,
            color=colour,
            zorder=5,
            annotation_clip=False,
            arrowprops=leader,
        )
        placed.append(_text_box(label, renderer))
    return sorted(left_out, key=list(texts).index)


def _labelling_order(centres: np.ndarray, required: Sequence[bool]) -> list[int]:
    """Required labels first, then the most isolated points (farthest from their nearest
    neighbour on the page); ties keep the input order."""
    count = len(centres)
    if count < 2:
        return list(range(count))
    gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    np.fill_diagonal(gaps, np.inf)
    nearest = gaps.min(axis=1)
    return sorted(range(count), key=lambda i: (not required[i], -round(nearest[i], 6), i))


def _best_position(
    probe: Any,
    renderer: Any,
    radius: float,
    placed: np.ndarray,
    points: np.ndarray,
    frame: Bbox,
    rings: Sequence[float],
    *,
    settle: bool,
) -> tuple[tuple[float, float], str, str, float] | None:
    """(offset in points, ha, va, ring): the nearest free position in ``rings``; else, when
    ``settle``, the least crowded one inside the axes, and otherwise ``None``. Boxes keep
    a small gap so that two labels never read as one."""
    padding = LABEL_GAP_POINTS * probe.figure.dpi / 72.0
    best_score: tuple[bool, float, float] | None = None
    best = None
    for ring in rings:
        for dx, dy in _DIRECTIONS:
            offset = (dx * radius * ring, dy * radius * ring)
            ha, va = _alignment(dx, dy)
            probe.set_position(offset)
            probe.set_ha(ha)
            probe.set_va(va)
            box = _text_box(probe, renderer).padded(padding)
            crowding = _overlap(box, placed) + _overlap(box, points)
            outside = _outside(box, frame)
            if crowding == 0 and outside == 0:
                return offset, ha, va, ring
            score = (outside > 0, crowding + 1e3 * outside, ring)
            if best_score is None or score < best_score:
                best_score, best = score, (offset, ha, va, ring)
    return best if settle else None
