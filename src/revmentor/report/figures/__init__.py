"""Publication figures: forest plots (pooled and cumulative) and diverging Likert bars.

Every figure is built in two steps. A pure function turns result rows into a small frozen
dataclass holding exactly what will be drawn (rows, numbers, labels, footer text), so the
content of a figure can be tested without pixels. A drawing function turns that dataclass
into a matplotlib :class:`~matplotlib.figure.Figure` on the Agg canvas, never through
pyplot's global state, so that workflow scripts can run headless and in parallel.

The hospital pages' charts (:mod:`.site_position`, and :func:`.likert.likert_svg`) are
written as SVG text with :mod:`.svg_text` from the same dataclasses: a thousand pages each
drawn by matplotlib would take most of the report step.

:mod:`.forest` holds the forest plots, :mod:`.likert` the Likert bars and :mod:`.style` the
style, canvas and :func:`save_figure` they share; everything public is re-exported here.
"""

from revmentor.report.figures.forest import (
    AXIS_LABELS,
    METHOD_NAMES,
    POOLED_COLOUR,
    QUANTILE_METHOD,
    REFERENCE_COLOUR,
    SITE_COLOUR,
    TEST_NAMES,
    ForestData,
    ForestRow,
    SitesSummary,
    cumulative_data,
    cumulative_footer,
    cumulative_row,
    default_title,
    draw_forest,
    forest_data,
    forest_footer,
    forest_height,
    forest_layout,
    forest_limits,
    heterogeneity_text,
    method_text,
    prediction_interval,
    reference_text,
    site_forest_rows,
    summarise_sites,
    thin_indices,
)
from revmentor.report.figures.likert import (
    NEUTRAL_COLOUR,
    LikertBar,
    LikertData,
    bar_percents,
    diverging_starts,
    draw_likert,
    likert_colours,
    likert_data,
    likert_positions,
    neutral_level,
)
from revmentor.report.figures.style import (
    MAX_LABEL_CHARS,
    MINUS,
    PNG_DPI,
    STYLE,
    close_figure,
    figure_style,
    new_figure,
    save_figure,
)

__all__ = [
    "AXIS_LABELS",
    "MAX_LABEL_CHARS",
    "METHOD_NAMES",
    "MINUS",
    "NEUTRAL_COLOUR",
    "PNG_DPI",
    "POOLED_COLOUR",
    "QUANTILE_METHOD",
    "REFERENCE_COLOUR",
    "SITE_COLOUR",
    "STYLE",
    "TEST_NAMES",
    "ForestData",
    "ForestRow",
    "LikertBar",
    "LikertData",
    "SitesSummary",
    "bar_percents",
    "close_figure",
    "cumulative_data",
    "cumulative_footer",
    "cumulative_row",
    "default_title",
    "diverging_starts",
    "draw_forest",
    "draw_likert",
    "figure_style",
    "forest_data",
    "forest_footer",
    "forest_height",
    "forest_layout",
    "forest_limits",
    "heterogeneity_text",
    "likert_colours",
    "likert_data",
    "likert_positions",
    "method_text",
    "neutral_level",
    "new_figure",
    "prediction_interval",
    "reference_text",
    "save_figure",
    "site_forest_rows",
    "summarise_sites",
    "thin_indices",
]
