"""Figures that do not mislead (issue 13): whole site names, axes that one very wide interval
cannot squash, Likert charts in the configured site order that say which sites they pool,
and forest plots that say how a site's CI is made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from revmentor.report import figures
from revmentor.report.figure_plan import likert_figures
from revmentor.report.figures import forest, labels, moderators
from revmentor.report.figures.likert import bar_label, pooled_sites_note
from revmentor.report.figures.style import new_figure, wrap_label
from revmentor.report.settings import Settings

RIVERSIDE = "Riverside University Hospital (synthetic)"
LONG_TRUST = (
    "The Royal Wolverhampton and Black Country Combined Teaching Hospitals NHS "
    "Foundation Trust (synthetic)"
)
LEVELS = (1, 2, 3, 4, 5)
ELLIPSIS = "\u2026"


def drawn_texts(figure: Figure) -> list[str]:
    """Every piece of text the figure draws (titles, columns, tick labels, annotations)."""
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]


# --------------------------------------------------------------------------- names


def test_long_name_wraps_at_a_word_boundary_instead_of_being_cut() -> None:
    assert wrap_label(RIVERSIDE) == "Riverside University Hospital\n(synthetic)"
    assert wrap_label("Pilot Teaching Hospital (synthetic)") == (
        "Pilot Teaching Hospital (synthetic)"
    )


def test_only_a_name_longer_than_two_lines_is_shortened_after_a_whole_word() -> None:
    wrapped = wrap_label(LONG_TRUST)
    assert wrapped == (
        "The Royal Wolverhampton and Black\nCountry Combined Teaching Hospitals NHS\u2026"
    )
    for line in wrapped.split("\n"):
        assert len(line) <= 40
        # every word shown is a whole word of the name
        assert set(line.rstrip(ELLIPSIS).split()) <= set(LONG_TRUST.split())


def site_rows(labels_and_intervals: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "site_id": site,
                "n_pairs": 10,
                "yi": yi,
                "ci_low": low,
                "ci_high": high,
                "weight_percent": 100 / len(labels_and_intervals),
            }
            for site, yi, low, high in labels_and_intervals
        ]
    )


META = {
    "role": "mentor",
    "outcome": "total",
    "measure": "MD",
    "method": "REML",
    "test": "hksj",
    "primary": "yes",
    "k": 3,
    "n_participants": 30,
    "estimate": 5.18,
    "ci_low": 1.16,
    "ci_high": 9.21,
    "tau2": 13.9,
    "i2": 94.9,
    "q": 105.7,
    "q_df": 2,
    "q_p": 1e-5,
    "pi_low": -6.04,
    "pi_high": 16.41,
}
SITES = [
    ("pilot", 5.5, 3.14, 7.86),
    ("riverside", 9.4, 7.02, 11.78),
    ("northgate", 0.41, -1.16, 1.98),
]
NAMES = {"pilot": "Pilot Teaching Hospital (synthetic)", "riverside": RIVERSIDE}


def test_forest_prints_the_whole_name_on_two_lines_and_makes_room_for_it() -> None:
    data = figures.forest_data(META, site_rows(SITES), NAMES, 6.0)
    texts = drawn_texts(figures.draw_forest(data))
    assert "Riverside University Hospital\n(synthetic)" in texts
    assert not [text for text in texts if ELLIPSIS in text]
    assert figures.forest_height(5, two_line_labels=True) > figures.forest_height(5)


def test_cumulative_row_keeps_the_whole_name_and_wraps_it_when_drawn() -> None:
    row = {"site_id": "riverside", "enrolled": "2023-06-15", "k": 3, "estimate": 5.0}
    label = figures.cumulative_row(row, NAMES).label
    assert label == "+ Riverside University Hospital (synthetic) (2023-06-15)"
    assert wrap_label(label) == "+ Riverside University Hospital\n(synthetic) (2023-06-15)"


def test_subgroup_forest_wraps_site_names() -> None:
    site = figures.ForestRow(RIVERSIDE, 10, 9.4, 7.02, 11.78, 100.0)
    level = moderators.SubgroupLevel("teaching", 1, 9.4, 7.02, 11.78, None, None, (site,))
    data = moderators.SubgroupData("t", "", "x", "Estimate [95% CI]", (level,), True, "", "")
    rows = moderators.subgroup_layout(data)
    assert [row.label for row in rows if row.kind == "site"] == [
        "Riverside University Hospital\n(synthetic)"
    ]


def test_point_labels_wrap_long_names_onto_two_lines() -> None:
    figure = new_figure(6, 4)
    ax = figure.add_subplot(1, 1, 1)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    names = [RIVERSIDE, LONG_TRUST]
    left_out = labels.place_labels(figure, ax, [3.0, 7.0], [7.0, 3.0], names, [3.0, 3.0])
    assert left_out == []
    assert sorted(drawn_texts(figure)) == [
        "Riverside University\nHospital (synthetic)",
        "The Royal\nWolverhampton and\u2026",
    ]


def test_likert_bar_label_wraps_the_site_name() -> None:
    bar = figures.LikertBar("total", "Total", RIVERSIDE, "pre", 10, (100.0,), (0.0,))
    assert bar_label(bar, several=True) == (
        "Riverside University\nHospital (synthetic), pre (n = 10)"
    )


# --------------------------------------------------------------------------- axes

# The example: the cumulative k = 2 step is [-17.9, 25.3], every other step is
# a few points wide.
CUMULATIVE = pd.DataFrame(
    {
        "role": "mentor",
        "outcome": "total",
        "measure": "MD",
        "method": "REML",
        "test": "hksj",
        "step": [1, 2, 3, 4, 5, 6],
        "site_id": ["pilot", "northgate", "riverside", "hillcrest", "seaview", "oakfield"],
        "enrolled": "2024-01-01",
        "k": [1, 2, 3, 4, 5, 6],
        "estimate": [5.5, 3.7, 5.0, 5.9, 6.1, 5.2],
        "ci_low": [3.14, -17.9, 0.5, 1.9, 2.7, 2.5],
        "ci_high": [7.86, 25.3, 9.5, 9.9, 9.5, 7.9],
    }
)


def test_one_very_wide_interval_runs_off_the_axis_instead_of_squashing_the_rest() -> None:
    data = figures.cumulative_data(CUMULATIVE, {}, 6.0)
    low, high = figures.forest_limits(data)
    assert -17.9 < low < 0.0 and 9.9 < high < 25.3
    # every other interval, every estimate, zero and the reference stay on the axis
    for row in data.site_rows:
        assert low <= row.estimate <= high
        if row.n != 2:
            assert low <= row.ci_low and row.ci_high <= high
    assert [forest.clipped_ends(row, (low, high)) for row in data.site_rows] == [
        (False, False),
        (True, True),
        (False, False),
        (False, False),
        (False, False),
        (False, False),
    ]
    assert forest.drawn_footer(data, (low, high)).endswith(
        "An arrow marks an interval that runs past the edge of the axis; the numbers "
        "beside it are its full interval."
    )


def test_clipped_axis_is_drawn_with_arrows_and_the_true_numbers() -> None:
    data = figures.cumulative_data(CUMULATIVE, {}, 6.0)
    figure = figures.draw_forest(data)
    middle = figure.axes[0]
    assert middle.get_xlim() == pytest.approx(figures.forest_limits(data))
    arrows = [
        line.get_marker()
        for line in middle.get_lines()
        if line.get_marker() in ("<", ">") and list(line.get_ydata()) == [2]
    ]
    assert sorted(arrows) == ["<", ">"]
    texts = drawn_texts(figure)
    assert "3.70 [\u221217.90, 25.30]" in texts
    assert "An arrow marks an interval" in " ".join(texts).replace("\n", " ")


def test_pooled_interval_and_prediction_interval_are_never_clipped() -> None:
    rows = site_rows([("a", 1.0, 0.0, 2.0), ("b", 1.2, 0.1, 2.3), ("c", 0.9, -0.2, 2.0)])
    meta = {**META, "estimate": 1.0, "ci_low": -8.0, "ci_high": 10.0, "pi_low": -20.0}
    data = figures.forest_data(meta, rows, {}, None)
    low, high = figures.forest_limits(data)
    assert low < -20.0 and high > 16.41


def test_evenly_wide_intervals_are_not_clipped() -> None:
    data = figures.forest_data(META, site_rows(SITES), NAMES, 6.0)
    limits = figures.forest_limits(data)
    assert not forest.any_clipped(data.site_rows, limits)
    assert "An arrow marks" not in forest.drawn_footer(data, limits)


def test_subgroup_forest_clips_a_very_wide_site_interval() -> None:
    sites = tuple(
        figures.ForestRow(name, 10, est, low, high, 25.0)
        for name, est, low, high in [
            ("a", 1.0, 0.0, 2.0),
            ("b", 1.5, 0.4, 2.6),
            ("c", 0.8, -0.3, 1.9),
            ("d", 2.0, -30.0, 34.0),
        ]
    )
    level = moderators.SubgroupLevel("teaching", 4, 1.2, 0.5, 1.9, 0.1, 20.0, sites)
    data = moderators.SubgroupData("t", "", "x", "Estimate [95% CI]", (level,), True, "", "")
    figure = moderators.draw_subgroups(data)
    low, high = figure.axes[0].get_xlim()
    assert low > -30.0 and high < 34.0
    assert "An arrow marks an interval" in " ".join(drawn_texts(figure)).replace("\n", " ")


def test_clipped_forest_saves_byte_identically(tmp_path: Path) -> None:
    data = figures.cumulative_data(CUMULATIVE, {}, 6.0)
    first = figures.save_figure(figures.draw_forest(data), tmp_path / "a")
    second = figures.save_figure(figures.draw_forest(data), tmp_path / "b")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


# --------------------------------------------------------------------------- site CIs


def test_forest_says_how_site_cis_are_made() -> None:
    note = (
        "Site CIs: estimate \u00b1 1.96\u00b7\u221avi, the normal approximation used in the "
        "pooling; the sites table also gives the paired-t CI."
    )
    data = figures.forest_data(META, site_rows(SITES), NAMES, 6.0)
    assert data.footer.endswith(note)
    drawn = " ".join(drawn_texts(figures.draw_forest(data))).replace("\n", " ")
    assert "Site CIs: estimate \u00b1 1.96\u00b7\u221avi" in drawn
    ninety = figures.forest_data(META, site_rows(SITES), NAMES, 6.0, level=0.9)
    assert "Site CIs: estimate \u00b1 1.64\u00b7\u221avi" in ninety.footer
    # the cumulative rows are pooled intervals, not site intervals
    assert "Site CIs" not in figures.cumulative_data(CUMULATIVE, {}, 6.0).footer


# --------------------------------------------------------------------------- Likert

REGISTRY = {
    "pilot": "Pilot Teaching Hospital (synthetic)",
    "northgate": "Northgate General Hospital (synthetic)",
    "riverside": RIVERSIDE,
    "zeta": "Abbey Hospital (synthetic)",
    "oakfield": "Oakfield Community Trust (synthetic)",
}
ENROLLED = {
    "pilot": "2022-01-10",
    "northgate": "2023-03-01",
    "riverside": "2023-06-15",
    "zeta": "2021-05-01",
    "oakfield": "2024-04-01",
}


def shard_counts(sites: list[tuple[str, int]]) -> pd.DataFrame:
    """Likert counts as the shards write them: sites in shard order, not registry order."""
    rows = []
    for site, n in sites:
        for timepoint, level in (("pre", 3), ("post", 4)):
            for value in LEVELS:
                rows.append(
                    {
                        "site_id": site,
                        "role": "mentor",
                        "outcome": "total",
                        "timepoint": timepoint,
                        "level": value,
                        "count": n if value == level else 0,
                    }
                )
    return pd.DataFrame(rows)


# zeta's shard comes first; oakfield sent a summary and has no counts.
COUNTS = shard_counts([("zeta", 4), ("riverside", 10), ("pilot", 6), ("northgate", 23)])


def settings(site_order: str) -> Settings:
    return Settings(
        roles=("mentor",),
        outcomes=("total",),
        names=REGISTRY,
        enrolled=ENROLLED,
        original_study={},
        pooling={},
        alpha=0.05,
        min_cell=0,
        site_order=site_order,
    )


def likert_sites(site_order: str) -> list[str]:
    chart = likert_figures(
        COUNTS, settings(site_order), {"total": "Total"}, LEVELS, ("pre", "post"), ["oakfield"]
    )["likert_mentor_total"]
    return list(dict.fromkeys(bar.label for bar in chart.bars))


@pytest.mark.parametrize(
    ("site_order", "expected"),
    [
        ("registry", ["pilot", "northgate", "riverside", "zeta"]),
        ("enrolled", ["zeta", "pilot", "northgate", "riverside"]),
        ("name", ["zeta", "northgate", "pilot", "riverside"]),
        # a Likert step reads no estimates: registry order (see likert_figures)
        ("estimate", ["pilot", "northgate", "riverside", "zeta"]),
    ],
)
def test_likert_charts_follow_the_configured_site_order(
    site_order: str, expected: list[str]
) -> None:
    assert likert_sites(site_order) == ["All sites", *(REGISTRY[s] for s in expected)]


def test_likert_note_names_the_pooled_sites_and_the_summary_only_site() -> None:
    chart = likert_figures(
        COUNTS, settings("registry"), {"total": "Total"}, LEVELS, ("pre", "post"), ["oakfield"]
    )["likert_mentor_total"]
    assert chart.note == (
        "All sites: 4 of 5 sites, those with participant-level answers from mentors "
        "(n = answered before): Pilot Teaching Hospital (synthetic) (n = 6), Northgate "
        "General Hospital (synthetic) (n = 23), Riverside University Hospital (synthetic) "
        "(n = 10) and Abbey Hospital (synthetic) (n = 4). Oakfield Community Trust "
        "(synthetic) sent a summary only, so it has no Likert counts."
    )
    overview = likert_figures(
        COUNTS, settings("registry"), {"total": "Total"}, LEVELS, ("pre", "post"), ["oakfield"]
    )["likert_mentor_overview"]
    assert overview.note == chart.note


def test_likert_note_says_why_a_participant_level_site_has_no_counts() -> None:
    counts = shard_counts([("pilot", 6)])
    names = {"pilot": REGISTRY["pilot"], "northgate": REGISTRY["northgate"]}
    note = pooled_sites_note(counts, names, [], "mentees")
    assert note == (
        "All sites: 1 of 2 sites, those with participant-level answers from mentees "
        "(n = answered before): Pilot Teaching Hospital (synthetic) (n = 6). Northgate "
        "General Hospital (synthetic) has no valid participant-level answers from mentees "
        "(see the validation overview)."
    )


def test_likert_note_counts_the_rest_past_twelve_names() -> None:
    many = {f"s{i:02d}": f"Site {i:02d}" for i in range(15)}
    counts = shard_counts([(site, 5) for site in many])
    note = pooled_sites_note(counts, many, [], "mentors")
    assert note.endswith("Site 10 (n = 5), Site 11 (n = 5) and 3 more.")
    assert note.startswith("All sites: 15 of 15 sites")


def test_likert_note_is_drawn_under_the_chart() -> None:
    chart = likert_figures(
        COUNTS, settings("registry"), {"total": "Total"}, LEVELS, ("pre", "post"), ["oakfield"]
    )["likert_mentor_total"]
    figure = figures.draw_likert(chart)
    text = " ".join(drawn_texts(figure)).replace("\n", " ")
    assert "Oakfield Community Trust (synthetic) sent a summary only, so it has no Likert" in (text)
    ticks = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert "Riverside University\nHospital (synthetic), pre (n = 10)" in ticks
    assert not [tick for tick in ticks if ELLIPSIS in tick]
    note = next(t for t in figure.texts if "All sites:" in t.get_text())
    # the note sits below the plotting area, not over the bars
    assert note.get_position()[1] < figure.subplotpars.bottom
    assert np.isfinite(figure.get_figheight())
