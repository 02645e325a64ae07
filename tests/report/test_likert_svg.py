"""The hospital pages' Likert chart as SVG text, and the counts behind it summed once for
every page: the same bars as likert_data, drawn to scale."""

from __future__ import annotations

import itertools
from dataclasses import replace
from xml.etree import ElementTree

import pandas as pd
import pytest

from revmentor.report.figures.likert import (
    LABELLED_PERCENT,
    likert_colours,
    likert_data,
    likert_layout,
    likert_svg,
)
from revmentor.report.page.html import INLINE_FIGURE_STYLE, environment
from revmentor.report.page.site import (
    POOLED_LIKERT_LABEL,
    THIS_HOSPITAL,
    LikertCounts,
    SiteResults,
    likert_figures,
)

NS = {"s": "http://www.w3.org/2000/svg"}
LEVELS = (1, 2, 3, 4, 5)
DOMAINS = {"clinical_practice": "Clinical practice", "strengths": "Strengths"}
ANSWERS = {
    ("here", "pre"): (1, 4, 8, 5, 2),
    ("here", "post"): (0, 1, 3, 9, 7),
    ("there", "pre"): (3, 3, 3, 3, 0),
    ("there", "post"): (0, 0, 2, 5, 5),
}


def counts(role: str = "mentor") -> pd.DataFrame:
    rows = [
        {
            "site_id": site,
            "role": role,
            "outcome": outcome,
            "timepoint": timepoint,
            "level": level,
            "count": count,
        }
        for (site, timepoint), answers in ANSWERS.items()
        for outcome in DOMAINS
        for level, count in zip(LEVELS, answers, strict=True)
    ]
    return pd.DataFrame(rows)


def page_data(site_id: str = "here"):
    return LikertCounts(counts(), ["mentor"], DOMAINS, LEVELS).data(
        site_id, "mentor", DOMAINS, ("pre", "post"), "Mentors’ answers"
    )


def test_the_pages_counts_give_the_bars_likert_data_gives_from_the_frame():
    """The counts summed once for all pages are the counts likert_data sums per page."""
    frame = counts()
    for site_id in ("here", "there"):
        mine = frame[frame["site_id"] == site_id].assign(label=THIS_HOSPITAL)
        pooled = frame.groupby(["outcome", "timepoint", "level"], as_index=False, sort=False)[
            "count"
        ].sum()
        pooled["label"] = POOLED_LIKERT_LABEL
        expected = likert_data(
            pd.concat([mine, pooled], ignore_index=True),
            DOMAINS,
            LEVELS,
            title="Mentors’ answers",
        )
        assert page_data(site_id) == expected


def test_a_site_without_answers_has_no_chart():
    frame = counts()
    frame.loc[frame["site_id"] == "there", "count"] = 0
    data = LikertCounts(frame, ["mentor"], DOMAINS, LEVELS)
    assert data.data("there", "mentor", DOMAINS, ("pre", "post"), "t") is None
    assert data.data("elsewhere", "mentor", DOMAINS, ("pre", "post"), "t") is None
    with pytest.raises(ValueError, match="not on the scale"):
        LikertCounts(frame, ["mentor"], DOMAINS, (1, 2, 3, 4))


def bar_rects(root: ElementTree.Element, colours: list[str]) -> list[ElementTree.Element]:
    return [
        rect
        for rect in root.iterfind(".//s:rect", NS)
        if rect.get("fill") in colours and rect.get("stroke") == "#ffffff"
    ]


def test_bar_widths_are_proportional_to_the_shares_on_the_percent_axis():
    data = page_data()
    layout = likert_layout(data)
    root = ElementTree.fromstring(likert_svg(data, "likert-mentor", "alt"))
    width = layout.width * 96
    left, right = layout.left * width, 0.96 * width
    per_percent = (right - left) / 200
    rects = bar_rects(root, layout.colours)
    drawn = [
        (bar, share, start)
        for bar in data.bars
        for share, start in zip(bar.percents, bar.starts, strict=True)
        if share > 0
    ]
    assert len(rects) == len(drawn)
    for rect, (_, share, start) in zip(rects, drawn, strict=True):
        assert float(rect.get("width")) == pytest.approx(share * per_percent, abs=0.01)
        assert float(rect.get("x")) == pytest.approx(left + (start + 100) * per_percent, abs=0.01)
    # Segments of a bar touch, in level order, and the neutral level is split across zero.
    first = rects[: sum(1 for share in data.bars[0].percents if share > 0)]
    for a, b in itertools.pairwise(first):
        assert float(a.get("x")) + float(a.get("width")) == pytest.approx(
            float(b.get("x")), abs=0.02
        )
    neutral = next(r for r in first if r.get("fill") == layout.colours[2])
    centre = float(neutral.get("x")) + float(neutral.get("width")) / 2
    assert centre == pytest.approx((left + right) / 2, abs=0.02)


def test_the_chart_keeps_the_colours_labels_scale_and_legend_of_draw_likert():
    data = page_data()
    root = ElementTree.fromstring(likert_svg(data, "likert-mentor", "Diverging bar chart"))
    shown = [t.text for t in root.iterfind(".//s:text", NS)]
    assert likert_layout(data).colours == likert_colours(5)
    assert shown[0] == "Mentors’ answers"
    for label in ("Clinical practice", "Strengths", "This hospital, pre (n = 20)"):
        assert label in shown
    assert "All sites with" in shown  # the long label wraps as the y labels did
    for tick in ("100%", "50%", "0%"):
        assert tick in shown
    assert "Score (1 = lowest, 5 = highest)" in shown
    assert [t for t in shown if t in {"1", "2", "3", "4", "5"}][-5:] == ["1", "2", "3", "4", "5"]
    # Segments of 7% or more carry their rounded share.
    bar = data.bars[0]
    labelled = [f"{share:.0f}" for share in bar.percents if share >= LABELLED_PERCENT]
    assert labelled == ["20", "40", "25", "10"]
    first_bar = [t for t in shown if t in labelled]
    assert first_bar[:4] == labelled and "5" not in first_bar[:4]
    desc = root.find("s:desc", NS).text
    assert (
        "Clinical practice, This hospital, pre (n = 20): 1 5%, 2 20%, 3 40%, 4 25%, 5 10%." in desc
    )
    assert root.get("role") == "img" and root.find("s:title", NS).text == "Diverging bar chart"


def test_the_chart_is_the_same_bytes_every_time():
    assert likert_svg(page_data(), "a", "alt") == likert_svg(page_data(), "a", "alt")


def test_site_results_give_the_first_row_of_the_primary_analysis_or_none():
    meta = pd.DataFrame(
        [
            {
                "role": "mentor",
                "outcome": "total",
                "measure": m,
                "method": "REML",
                "test": "hksj",
                "estimate": e,
            }
            for m, e in (("SMD", 9.0), ("MD", 4.75))
        ]
    )
    weights = pd.DataFrame(
        [
            {
                "site_id": s,
                "role": "mentor",
                "outcome": "total",
                "measure": "MD",
                "method": me,
                "yi": y,
            }
            for s, me, y in (("here", "DL", 1.0), ("here", "REML", 2.0), ("there", "REML", 3.0))
        ]
    )
    results = SiteResults(meta, weights, {"measure": "MD", "method": "REML", "test": "hksj"})
    assert results.pooled("mentor", "total")["estimate"] == 4.75
    assert results.site("here", "mentor", "total")["yi"] == 2.0
    assert results.site("there", "mentor", "total")["yi"] == 3.0
    assert results.site("here", "mentee", "total") is None
    assert results.pooled("mentee", "total") is None


def test_the_page_places_the_chart_itself_with_the_figure_id_alt_text_and_caption():
    figures = likert_figures(
        "here",
        'St <Mary> & "Co"',
        LikertCounts(counts(), ["mentor"], DOMAINS, LEVELS),
        ["mentor", "mentee"],
        DOMAINS,
        ("pre", "post"),
    )
    assert [figure.id for figure in figures] == ["likert-mentor"]  # no mentee answers
    [figure] = figures
    assert figure.alt.startswith('Diverging bar chart: mentors of St <Mary> & "Co" and of all')
    root = ElementTree.fromstring(figure.svg)
    assert root.find("s:title", NS).text == figure.alt
    assert root.get("style") == INLINE_FIGURE_STYLE
    html = environment().from_string('{% import "macros.html.j2" as m %}{{ m.figure(f) }}')
    page = html.render(f=figure)
    assert '<figure id="likert-mentor">\n<svg xmlns=' in page
    assert "<img" not in page and "St &lt;Mary&gt; &amp; &quot;Co&quot;" in page
    assert f"<figcaption>{figure.caption}</figcaption>" in page
    # A figure drawn by matplotlib (the consortium's page) is still an image.
    image = html.render(f=replace(figure, svg="", src="data:image/svg+xml;charset=utf-8,x"))
    assert '<img src="data:image/svg+xml;charset=utf-8,x" alt="Diverging' in image
