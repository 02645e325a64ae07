"""The flow diagram: the text of each box, its size at 1,000 sites, and identical bytes on
every save."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest
from PIL import Image

from revmentor.report.figures.flow import (
    MAX_REASONS,
    FlowBox,
    draw_flow,
    flow_diagram_data,
    reason_lines,
)
from revmentor.report.figures.style import save_figure
from revmentor.report.flow import Exclusion, flow_counts
from tests.report.test_flow_counts import META, OUTCOMES, REGISTERED, ROLES, SUMMARIES, VALIDATION

LABELS = {"total": "Total score (7 domains, 7\u201335)", "clinical_practice": "Clinical practice"}


@pytest.fixture
def data():
    flow = flow_counts(REGISTERED, VALIDATION, META, SUMMARIES, ROLES, OUTCOMES)
    return flow_diagram_data(flow, LABELS)


def test_each_stage_and_each_exclusion_box_says_what_it_counts(data):
    assert data.shared.boxes == (
        FlowBox("Hospitals registered: 5"),
        FlowBox("Data received: 4 hospitals", ("15 mentors, 8 mentees",)),
        FlowBox(
            "Passed validation: 3 hospitals",
            ("12 mentors, 8 mentees", "1 hospital sent a summary only"),
        ),
    )
    assert data.shared.excluded == (
        FlowBox("Awaiting data: 1 hospital", ("late",)),
        FlowBox(
            "Failed validation: 1 hospital",
            ("3 mentors, 0 mentees", "\u2022 failed check score_in_scale: 1 hospital (broken)"),
        ),
    )
    mentors = data.branches[0]
    assert mentors.boxes == (
        FlowBox(
            "Mentors at valid hospitals: 12",
            ("of whom 6 at summary-only hospitals (counted from their summaries)",),
        ),
        FlowBox("Mentors with a pre and post total score (7 domains, 7\u201335): 10"),
        FlowBox(
            "Mentors in the pooled analysis: 9",
            ("2 hospitals; total score (7 domains, 7\u201335)",),
        ),
    )
    assert mentors.excluded == (
        FlowBox(
            "Not paired: 2",
            (
                "\u2022 missing a domain score at one or both timepoints: 1",
                "\u2022 no post questionnaire: 1",
            ),
        ),
        FlowBox(
            "Hospitals left out: 1 (1 mentor with pairs)",
            ("\u2022 no mean_diff or sd_diff (fewer than 2 pairs): 1 hospital (tiny)",),
        ),
    )
    assert data.footer[0] == (
        "Mentors, every outcome: 2 to 3 hospitals pooled (results/pooled/meta_analysis.csv)."
    )


def test_many_reasons_are_summed_past_the_first_few_and_many_sites_are_not_named():
    exclusions = [
        Exclusion(
            f"failed check check_{index}",
            10 - index,
            tuple(f"s{index}_{n}" for n in range(10 - index)),
        )
        for index in range(MAX_REASONS + 3)
    ]
    lines = reason_lines(exclusions, ("hospital", "hospitals"))
    assert len(lines) == MAX_REASONS + 1
    assert lines[0] == "\u2022 failed check check_0: 10 hospitals"
    assert lines[-1] == "\u2022 3 other reasons: 15 hospitals"  # 6 + 5 + 4
    named = reason_lines(
        [Exclusion("awaiting data", 2, ("leeds", "york"))], ("hospital", "hospitals")
    )
    assert named == ("\u2022 awaiting data: 2 hospitals (leeds, york)",)


def national_flow(n_sites: int):
    """A consortium of ``n_sites``: some awaiting data, some invalid for many checks, some
    left out of the pooled analyses."""
    ids = [f"site{index:04d}" for index in range(n_sites)]
    checks = [
        "score_in_scale",
        "required_column",
        "file_readable",
        "allowed_role",
        "utf8_encoding",
        "whole_number",
    ]
    validation = {}
    for index, site in enumerate(ids[: n_sites - n_sites // 50]):
        bad = index % 37 == 0
        validation[site] = {
            "site_id": site,
            "status": "invalid" if bad else "valid",
            "format": "summary" if index % 10 == 0 else "responses",
            "participants": {"mentor": 20, "mentee": 20},
            "errors": [{"check": checks[index % len(checks)]}] if bad else [],
        }
    valid = [site for site, report in validation.items() if report["status"] == "valid"]
    meta, summaries = [], []
    for role in ROLES:
        for outcome in OUTCOMES:
            left_out = {
                site: "no mean_diff or sd_diff (fewer than 2 pairs)" for site in valid[3::50]
            }
            text = "; ".join(f"{site}: {why}" for site, why in left_out.items())
            meta.append(
                {
                    "role": role,
                    "outcome": outcome,
                    "primary": "yes",
                    "k": len(valid) - len(left_out),
                    "n_participants": 0,
                    "excluded_sites": text,
                }
            )
            summaries += [
                {
                    "site_id": site,
                    "role": role,
                    "outcome": outcome,
                    "n_pairs": 16,
                    "excluded_reasons": "no post questionnaire: 4",
                }
                for site in valid
            ]
    return flow_counts(
        ids, validation, pd.DataFrame(meta), pd.DataFrame(summaries), ROLES, OUTCOMES
    )


def test_a_national_consortium_fits_the_same_diagram(tmp_path):
    flow = national_flow(1000)
    assert (flow.registered, flow.received, flow.n_failed) == (1000, 980, 27)
    data = flow_diagram_data(flow, LABELS)
    failed_box = data.shared.excluded[1]
    assert failed_box.heading == "Failed validation: 27 hospitals"
    assert len(failed_box.lines) == 1 + len(reason_lines(flow.failed))
    assert all("site0" not in line for line in failed_box.lines)
    figure = draw_flow(data)
    width, height = figure.get_size_inches()
    small = draw_flow(flow_diagram_data(national_flow(10), LABELS)).get_size_inches()
    # Reasons are summed, not listed per site: 100 times the sites, much the same page.
    assert height < 13 and height < small[1] + 2.5
    assert width == small[0]


def test_the_figure_is_written_byte_identically_and_keeps_its_text(data, tmp_path):
    first = save_figure(draw_flow(data), tmp_path / "first" / "flow")
    second = save_figure(draw_flow(data), tmp_path / "second" / "flow")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    png, svg = first
    with Image.open(png) as image:
        assert image.size[0] > 1500
    text = "".join(ElementTree.parse(svg).getroot().itertext())
    assert "Hospitals registered: 5" in text
    assert "Failed validation: 1 hospital" in text


def test_every_box_text_stays_inside_the_figure(data):
    figure = draw_flow(data)
    renderer = figure.canvas.get_renderer()
    frame = figure.bbox
    for text in figure.axes[0].texts:
        box = text.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text.get_text()
