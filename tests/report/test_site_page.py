"""A hospital's own page: its aggregates beside the pooled ones, nothing of another site, no
participant id, small counts suppressed as in Table 1."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.report.figures.svg_text import escape
from revmentor.report.page.site import (
    ItemsShown,
    SiteResults,
    items_table,
    position_figure,
    results_table,
    site_interval,
    site_items_table,
    summary_lines,
    validation_table,
)

POOLING = {"measure": "MD", "method": "REML", "test": "hksj", "level": 0.95}


def weights() -> pd.DataFrame:
    rows = []
    for site, yi in (("here", 2.0), ("elsewhere", 7.5)):
        rows.append(
            {
                "role": "mentor",
                "outcome": "total",
                "measure": "MD",
                "method": "REML",
                "site_id": site,
                "n_pairs": 6,
                "yi": yi,
                "vi": 0.25,
                "ci_low": yi - 0.98,
                "ci_high": yi + 0.98,
                "weight_percent": 50.0,
            }
        )
    return pd.DataFrame(rows)


def meta() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "role": "mentor",
                "outcome": "total",
                "measure": "MD",
                "method": "REML",
                "test": "hksj",
                "estimate": 4.75,
                "ci_low": 1.0,
                "ci_high": 8.5,
                "pi_low": -2.0,
                "pi_high": 11.5,
                "k": 2,
            }
        ]
    )


def results() -> SiteResults:
    return SiteResults(meta(), weights(), POOLING)


def texts(table) -> str:
    return " | ".join(cell.text for row in table.rows for cell in row)


def test_the_site_ci_is_the_one_the_pooling_and_the_forest_use():
    row = weights().iloc[0]
    assert site_interval(row) == (2.0, 1.02, 2.98)
    table = results_table("here", ["mentor"], results(), POOLING, {"total": "Total"})
    shown = texts(table)
    assert "2.00 (1.02 to 2.98)" in shown and "4.75 (1.00 to 8.50)" in shown
    # The other hospital's own estimate is pooled into 4.75 but never shown.
    assert "7.50" not in shown and "elsewhere" not in shown
    assert "normal approximation" in table.notes[0]


def test_summary_lines_name_this_hospital_and_the_pooled_result_only():
    lines = summary_lines(
        "here",
        "Here Hospital",
        {"status": "valid", "participants": {"mentor": 6}},
        [("mentor", "total")],
        results(),
        POOLING,
        {"total": "Total score (7 domains, 7–35)"},
    )
    assert lines == [
        "Here Hospital (here): file valid, 6 mentors.",
        "Mentors’ total score (7 domains, 7–35): here 2.00 (95% CI 1.02 to 2.98); all 2 sites "
        "4.75 (95% CI 1.00 to 8.50).",
    ]


def test_an_invalid_file_is_explained_with_where_to_look():
    lines = summary_lines(
        "here",
        "Here",
        {"status": "invalid", "participants": {}},
        [],
        results(),
        POOLING,
        {},
    )
    assert "results/validation/here.md" in lines[1] and "not in the pooled" in lines[1]


def test_validation_counts_problems_by_check_and_never_quotes_a_cell():
    report = {
        "status": "valid",
        "file": "data/here.csv",
        "format": "responses",
        "n_rows": 12,
        "participants": {"mentor": 6},
        "n_errors": 0,
        "n_warnings": 2,
        "errors": [],
        "warnings": [
            {
                "row": 2,
                "column": "participant_id",
                "value": "SYN-HERE-1",
                "check": "both_timepoints",
                "message": "participant 'SYN-HERE-1' has no 'post' row",
            },
            {
                "row": 5,
                "column": "participant_id",
                "value": "SYN-HERE-2",
                "check": "both_timepoints",
                "message": "participant 'SYN-HERE-2' has no 'post' row",
            },
        ],
    }
    shown = texts(validation_table(report))
    assert "both_timepoints \u00d7 2" in shown
    assert "SYN-HERE" not in shown


def test_small_item_counts_are_suppressed_with_their_complement_and_share():
    site_items = pd.DataFrame(
        [
            {
                "site_id": "here",
                "role": "mentor",
                "kind": "binary",
                "item": "benefited",
                "level": "",
                "n_answered": 6,
                "count": 2,
                "ci_low": 0.1,
                "ci_high": 0.7,
            },
            {
                "site_id": "here",
                "role": "mentor",
                "kind": "binary",
                "item": "concern_time",
                "level": "",
                "n_answered": 10,
                "count": 5,
                "ci_low": 0.24,
                "ci_high": 0.76,
            },
        ]
    )
    pooled = pd.DataFrame(
        [
            {
                "role": "mentor",
                "kind": "binary",
                "item": item,
                "level": "",
                "n_answered": 60,
                "count": 30,
                "exact_ci_low": 0.37,
                "exact_ci_high": 0.63,
            }
            for item in ("benefited", "concern_time")
        ]
    )
    table = items_table(
        site_items, pooled, ["mentor"], {"benefited": "Benefited", "concern_time": "Time"}, 5
    )
    benefited, time = ([cell.text for cell in row] for row in table.rows)
    assert benefited[2:4] == ["<5 of 6", "suppressed (small count)"]
    assert time[2:4] == ["5 of 10", "50% (24 to 76)"]
    assert benefited[4:] == ["30 of 60", "50% (37 to 63)"]
    off = items_table(site_items, pooled, ["mentor"], {}, 0)
    assert [cell.text for cell in off.rows[0]][2] == "2 of 6"


def test_items_shown_once_for_all_sites_give_each_page_its_own_sites_cells():
    """The small-count rule worked out over every site at once shows each page what a pass
    over that site's rows alone did; another site's small count hides nothing here."""
    rows = []
    for site, benefited in (("here", 2), ("there", 5), ("third", 1)):
        rows += [
            {
                "site_id": site,
                "role": "mentor",
                "kind": "binary",
                "item": "benefited",
                "level": "",
                "n_answered": 10,
                "count": benefited,
                "ci_low": 0.1,
                "ci_high": 0.9,
            }
        ]
    site_items = pd.DataFrame(rows, index=[5, 5, 7])  # an index need not be unique
    pooled = pd.DataFrame(
        [
            {
                "role": "mentor",
                "kind": "binary",
                "item": "benefited",
                "level": "",
                "n_answered": 30,
                "count": 12,
                "exact_ci_low": 0.2,
                "exact_ci_high": 0.6,
            }
        ]
    )
    labels = {"benefited": "Benefited"}
    shared = ItemsShown(site_items, pooled, 5)
    for site in ("here", "there", "third", "absent"):
        alone = items_table(
            site_items[site_items["site_id"] == site], pooled, ["mentor"], labels, 5
        )
        assert site_items_table(site, shared, ["mentor"], labels, 5) == alone
    cells = [cell.text for cell in site_items_table("there", shared, ["mentor"], labels, 5).rows[0]]
    assert cells[2:] == ["5 of 10", "50% (10 to 90)", "12 of 30", "40% (20 to 60)"]
    absent = site_items_table("absent", shared, ["mentor"], labels, 5).rows[0]
    assert [cell.text for cell in absent][2:4] == ["no answers", ""]
    with pytest.raises(ValueError, match="items of one site"):
        items_table(site_items, pooled, ["mentor"], labels, 5)


def test_the_position_chart_is_placed_with_its_id_and_alt_text_or_left_out():
    figure = position_figure(
        "here", "Here & <There>", ["mentor"], results(), POOLING, {"total": "Total"}, "Change"
    )
    assert figure is not None and figure.id == "site-position"
    assert figure.alt.startswith("Dot plot: Here & <There>'s change in every outcome")
    assert f'<title id="site-position-title">{escape(figure.alt)}</title>' in figure.svg
    assert "Mentors: Total: this hospital 2.00 (1.02 to 2.98); all sites 4.75" in figure.svg
    # The other hospital's estimate is pooled into 4.75 but never drawn.
    assert "7.50" not in figure.svg
    absent = position_figure(
        "absent", "Absent", ["mentor"], results(), POOLING, {"total": "Total"}, "Change"
    )
    assert absent is None
