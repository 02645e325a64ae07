"""The figure of where one hospital sits: drawn, embedded, the same bytes every time."""

from __future__ import annotations

import pytest

from revmentor.report.figures.site_position import PositionRow, SitePosition, draw_site_position
from revmentor.report.figures.style import svg_bytes
from revmentor.report.page.html import embedded_figure, svg_data_uri, svg_size


def position() -> SitePosition:
    domain = PositionRow("Mentors: Strengths", (1.1, 0.6, 1.6), (0.5, 0.0, 1.1), (-1.0, 2.0))
    unpooled = PositionRow("Mentors: Time management", None, None, None)
    total = PositionRow("Mentors: Total score", (9.4, 7.0, 11.8), (5.2, 1.2, 9.2), (-6.0, 16.4))
    return SitePosition(
        title="Here beside all sites",
        site_label="This hospital (95% CI)",
        axis_label="Change in scale points (post − pre)",
        panels=((domain, unpooled), (total,)),
        footer="CIs: estimate ± z·√vi.",
    )


def test_the_figure_draws_every_row_and_is_byte_identical_when_drawn_again():
    first, second = (
        svg_bytes(draw_site_position(position())),
        svg_bytes(draw_site_position(position())),
    )
    assert first == second
    text = first.decode("utf-8")
    for label in ("Mentors: Strengths", "Mentors: Time management", "Mentors: Total score"):
        assert label in text
    width, height = svg_size(first)
    assert width > 600 and height > 200


def test_an_embedded_figure_needs_no_html_escaping_and_keeps_its_size():
    svg = svg_bytes(draw_site_position(position()))
    uri = svg_data_uri(svg)
    assert uri.startswith("data:image/svg+xml;charset=utf-8,")
    assert not set(uri) & set("<>\"'&#\n")
    figure = embedded_figure("here", svg, "alt", "caption")
    assert (figure.width, figure.height) == svg_size(svg)


def test_a_file_that_is_not_a_sized_svg_is_refused():
    with pytest.raises(ValueError, match="not an SVG"):
        svg_size(b"\x89PNG\r\n\x1a\n")
