"""The chart of where one hospital sits, written as SVG text: every row drawn, whiskers on
the axis scale, accessible, escaped, the same bytes every time."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from revmentor.report.figures import svg_text as svg
from revmentor.report.figures.forest import POOLED_COLOUR, SITE_COLOUR
from revmentor.report.figures.site_position import (
    PI_COLOUR,
    PositionRow,
    SitePosition,
    panel_scale,
    site_position_svg,
)
from revmentor.report.page.html import inline_figure, svg_size

NS = {"s": "http://www.w3.org/2000/svg"}
DOMAIN = PositionRow("Mentors: Strengths", (1.1, 0.6, 1.6), (0.5, 0.0, 1.1), (-1.0, 2.0))
UNPOOLED = PositionRow("Mentors: Time management", None, None, None)
TOTAL = PositionRow("Mentors: Total score", (9.4, 7.0, 11.8), (5.2, 1.2, 9.2), (-6.0, 16.4))


def position(title: str = "Here beside all sites") -> SitePosition:
    return SitePosition(
        title=title,
        site_label="This hospital (95% CI)",
        axis_label="Change in scale points (post − pre)",
        panels=((DOMAIN, UNPOOLED), (TOTAL,)),
        footer="CIs: estimate ± z·√vi.",
    )


def parsed(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)


def texts(root: ElementTree.Element) -> list[str]:
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


def lines_of(root: ElementTree.Element, colour: str) -> list[ElementTree.Element]:
    return [line for line in root.iterfind(".//s:line", NS) if line.get("stroke") == colour]


def test_every_row_is_drawn_and_the_bytes_are_the_same_when_drawn_again():
    first = site_position_svg(position(), "here", "Dot plot of here")
    assert first == site_position_svg(position(), "here", "Dot plot of here")
    shown = texts(parsed(first))
    for label in ("Mentors: Strengths", "Mentors: Time management", "Mentors: Total score"):
        assert label in shown
    assert "Here beside all sites" in shown and "CIs: estimate ± z·√vi." in shown
    # The legend names the three marks.
    assert {
        "This hospital (95% CI)",
        "All sites (95% CI)",
        "All sites: prediction interval",
    } <= set(shown)


def test_a_whisker_spans_exactly_the_ci_on_its_panels_scale():
    root = parsed(site_position_svg(position(), "here", "alt"))
    domain_x, total_x = panel_scale((DOMAIN, UNPOOLED)), panel_scale((TOTAL,))
    # Legend first, then the rows in order: domain, then total.
    site_lines = lines_of(root, SITE_COLOUR)[1:]
    pooled_lines = lines_of(root, POOLED_COLOUR)[1:]
    prediction = lines_of(root, PI_COLOUR)[1:]
    for line, (low, high), scale in (
        (site_lines[0], DOMAIN.site[1:], domain_x),
        (site_lines[1], TOTAL.site[1:], total_x),
        (pooled_lines[0], DOMAIN.pooled[1:], domain_x),
        (pooled_lines[1], TOTAL.pooled[1:], total_x),
        (prediction[0], DOMAIN.prediction, domain_x),
        (prediction[1], TOTAL.prediction, total_x),
    ):
        assert float(line.get("x1")) == pytest.approx(scale(low), abs=0.005)
        assert float(line.get("x2")) == pytest.approx(scale(high), abs=0.005)
    # The totals have their own, wider scale.
    assert total_x.high - total_x.low > 5 * (domain_x.high - domain_x.low)


def test_markers_are_squares_for_the_site_and_diamonds_for_all_sites():
    root = parsed(site_position_svg(position(), "here", "alt"))
    squares = [r for r in root.iterfind(".//s:rect", NS) if r.get("fill") == SITE_COLOUR]
    diamonds = [p for p in root.iterfind(".//s:polygon", NS) if p.get("fill") == POOLED_COLOUR]
    # One per row with an estimate, and one in the legend.
    assert len(squares) == 3 and len(diamonds) == 3
    x = panel_scale((DOMAIN, UNPOOLED))
    square = squares[1]
    centre = float(square.get("x")) + float(square.get("width")) / 2
    assert centre == pytest.approx(x(DOMAIN.site[0]), abs=0.01)


def test_each_panel_ticks_at_round_values_with_a_zero_line():
    root = parsed(site_position_svg(position(), "here", "alt"))
    shown = texts(root)
    for tick in ("−1", "0", "1", "2", "−5", "5", "10", "15"):
        assert tick in shown
    zero_lines = [line for line in root.iterfind(".//s:line", NS) if line.get("stroke-dasharray")]
    assert len(zero_lines) == 2
    domain_x = panel_scale((DOMAIN, UNPOOLED))
    assert float(zero_lines[0].get("x1")) == pytest.approx(domain_x(0.0), abs=0.005)


def test_the_chart_is_an_accessible_image_with_every_number_in_its_description():
    root = parsed(site_position_svg(position(), "site-position", "Dot plot: Here's change"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "site-position-title"
    assert root.get("aria-describedby") == "site-position-desc"
    assert root.find("s:title", NS).text == "Dot plot: Here's change"
    assert root.find("s:title", NS).get("id") == "site-position-title"
    desc = root.find("s:desc", NS).text
    assert "Mentors: Strengths: this hospital 1.10 (0.60 to 1.60); all sites 0.50" in desc
    assert "prediction interval −6.00 to 16.40" in desc
    assert "Mentors: Time management: no estimate." in desc
    assert root.get("font-family") == svg.FONT_FAMILY


def test_a_hostile_hospital_name_is_escaped():
    name = """<script>alert("x")</script> & Sons' "Hospital" ]]> <!--"""
    text = site_position_svg(position(f"{name} beside all sites"), "here", f"Dot plot: {name}")
    assert "<script>" not in text and "<!--" not in text
    root = parsed(text)
    assert f"{name} beside all sites" in texts(root)
    assert root.find("s:title", NS).text == f"Dot plot: {name}"


def test_an_inline_figure_keeps_the_charts_size():
    text = site_position_svg(position(), "here", "alt")
    figure = inline_figure("here", text, "alt", "caption")
    root = parsed(text)
    assert (figure.width, figure.height) == (
        round(float(root.get("width"))),
        round(float(root.get("height"))),
    )
    assert figure.svg == text and figure.src == ""
    with pytest.raises(ValueError, match="not an SVG"):
        inline_figure("here", "<p>no</p>", "alt", "caption")


def test_a_file_that_is_not_a_sized_svg_is_refused():
    with pytest.raises(ValueError, match="not an SVG"):
        svg_size(b"\x89PNG\r\n\x1a\n")
