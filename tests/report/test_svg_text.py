"""The SVG primitives of the hospital pages' charts: escaping, fixed numbers, nice ticks."""

from __future__ import annotations

import re
from importlib import resources
from xml.etree import ElementTree

import pytest

from revmentor.report.figures import svg_text as svg


def test_escaping_leaves_nothing_that_could_end_an_element_or_an_attribute():
    hostile = """<b onclick="x">St Mary's & "All" ]]></b>"""
    escaped = svg.escape(hostile)
    assert not set(escaped) & set("<>\"'")
    element = ElementTree.fromstring(f"<t a=\"{escaped}\" b='{escaped}'>{escaped}</t>")
    assert element.text == element.get("a") == element.get("b") == hostile


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1.0, "1"), (1.5, "1.5"), (1.256, "1.26"), (-0.001, "0"), (-2.5, "-2.5"), (720.0, "720")],
)
def test_coordinates_have_at_most_two_decimals_and_never_a_negative_zero(value, shown):
    assert svg.fmt(value) == shown


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (-1.4, 3.2, [-1, 0, 1, 2, 3]),
        (-7.1, 17.6, [-5, 0, 5, 10, 15]),
        (0.02, 0.31, [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]),
        (-0.6, 0.6, [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]),
        (0, 100, [0, 20, 40, 60, 80, 100]),
    ],
)
def test_ticks_are_round_steps_inside_the_range(low, high, ticks):
    assert svg.nice_ticks(low, high) == pytest.approx(ticks)
    assert all(low <= tick <= high for tick in svg.nice_ticks(low, high))
    assert len(svg.nice_ticks(low, high)) <= 7


def test_tick_labels_print_the_decimals_the_step_needs_and_a_true_minus():
    ticks = svg.nice_ticks(-0.6, 0.6)
    assert [svg.tick_label(t, ticks) for t in ticks] == [
        "−0.6",
        "−0.4",
        "−0.2",
        "0.0",
        "0.2",
        "0.4",
        "0.6",
    ]
    whole = svg.nice_ticks(-7.1, 17.6)
    assert [svg.tick_label(t, whole) for t in whole] == ["−5", "0", "5", "10", "15"]
    quarter = [0.0, 2.5, 5.0]
    assert svg.tick_label(2.5, quarter) == "2.5"


def test_a_range_is_padded_like_matplotlibs_autoscale_and_a_scale_maps_it_linearly():
    assert svg.padded_range([0.0, 10.0]) == pytest.approx((-0.5, 10.5))
    assert svg.padded_range([3.0]) == (2.0, 4.0)
    scale = svg.Scale((-1.0, 3.0), (100.0, 500.0))
    assert (scale(-1.0), scale(0.0), scale(3.0)) == (100.0, 200.0, 500.0)


def test_the_document_is_sized_labelled_and_set_in_the_pages_fonts():
    text = svg.document(300, 120.5, "fig", "A & B", "Numbers <here>", [svg.text(1, 2, "x", 9)])
    root = ElementTree.fromstring(text)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "300",
        "120.5",
        "0 0 300 120.5",
    )
    assert root.get("role") == "img" and root.get("aria-labelledby") == "fig-title"
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text == "A & B"
    assert root.find("s:desc", ns).text == "Numbers <here>"
    css = resources.files("revmentor.report.page").joinpath("templates", "style.css")
    body = re.search(r"body \{ font-family: ([^;]+);", css.read_text("utf-8"))
    assert body is not None
    assert body[1].replace('"', "'") == svg.FONT_FAMILY


def test_text_width_grows_with_the_text_and_errs_wide_for_unknown_characters():
    assert svg.text_width("iii", 10) < svg.text_width("MMM", 10)
    assert svg.text_width("ab", 10) == pytest.approx(2 * svg.text_width("a", 10))
    assert svg.text_width("\u4e2d", 10) >= svg.text_width("a", 10)
