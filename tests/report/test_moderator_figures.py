"""Why sites differ, drawn: bubble, subgroup forest and Baujat plots from the pooled rows."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image

from revmentor.core.moderators import Moderator
from revmentor.pooling.analyses import moderator_analysis
from revmentor.pooling.moderators import design, fitted_line, meta_regression
from revmentor.report import figure_names, figure_plan, figures
from revmentor.report.figures import baujat, moderators
from revmentor.report.settings import Settings

HOURS = Moderator("mentoring_hours", "numeric", "Mentoring hours per pair")
TYPE = Moderator(
    "hospital_type", "categorical", "Hospital type", ("teaching", "district", "community")
)
KEYS = {"role": "mentor", "outcome": "total", "measure": "MD"}


def site_ids(k: int) -> list[str]:
    return [f"site{i:04d}" for i in range(k)]


def effects(k: int, seed: int = 3) -> pd.DataFrame:
    """Site rows shaped like results/pooled/weights.csv (one analysis)."""
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.02, 0.3, k)
    yi = rng.normal(1.0, 0.5, k)
    return pd.DataFrame(
        {
            **KEYS,
            "method": "REML",
            "site_id": site_ids(k),
            "yi": yi,
            "vi": vi,
            "ci_low": yi - 1.96 * np.sqrt(vi),
            "ci_high": yi + 1.96 * np.sqrt(vi),
        }
    )


def hours(k: int, unknown: tuple[int, ...] = ()) -> dict[str, float | None]:
    return {
        site: None if i in unknown else float(2 + (i * 7) % 17)
        for i, site in enumerate(site_ids(k))
    }


def types(k: int, unknown: tuple[int, ...] = (), levels=TYPE.levels) -> dict[str, str | None]:
    return {
        site: None if i in unknown else levels[i % len(levels)]
        for i, site in enumerate(site_ids(k))
    }


def regression_rows(**model: object) -> pd.DataFrame:
    """Rows shaped like results/pooled/moderators.csv for one numeric moderator."""
    base = {
        **KEYS,
        "method": "REML",
        "test": "hksj",
        "moderator": HOURS.id,
        "k": 5,
        "qm": 5.3,
        "qm_df1": 1,
        "qm_df2": 3,
        "qm_p": 0.1049,
        "qe": 12.0,
        "qe_df": 3,
        "qe_p": 0.007,
        "tau2": 0.0412,
        "i2": 38.46,
        "r2": 61.2,
        "excluded_sites": "site0001: value unknown (empty cell in the site registry)",
        "note": np.nan,
    }
    base.update(model)
    intercept = {**base, "term": "intrcpt", "estimate": 0.4, "se": 0.2, "p": 0.1}
    slope = {
        **base,
        "term": HOURS.id,
        "estimate": 0.0523,
        "se": 0.0227,
        "p": 0.1049,
        "ci_low": -0.0199,
        "ci_high": 0.1246,
    }
    return pd.DataFrame([intercept, slope])


def subgroup_rows(levels=("teaching", "district"), **between: object) -> pd.DataFrame:
    """Rows shaped like results/pooled/subgroups.csv for one categorical moderator."""
    rows = []
    for index, level in enumerate(levels):
        rows.append(
            {
                **KEYS,
                "method": "REML",
                "test": "hksj",
                "moderator": TYPE.id,
                "level": level,
                "k": 3 - index,
                "estimate": 1.2 - 0.4 * index,
                "se": 0.2,
                "ci_low": 0.8 - 0.4 * index,
                "ci_high": 1.6 - 0.4 * index,
                "p": 0.01,
                "tau2": 0.05 if index == 0 else 0.0,
                "i2": 40.0 if index == 0 else 0.0,
                "q_between": 1.8512,
                "q_between_df": len(levels) - 1,
                "q_between_p": 0.1736,
                "excluded_sites": "",
                "note": "k = 1: the single site's estimate, no heterogeneity" if index else "",
                **between,
            }
        )
    return pd.DataFrame(rows)


def influence_rows(k: int, influential: tuple[int, ...] = ()) -> pd.DataFrame:
    """Rows shaped like results/pooled/influence.csv (one analysis, one method)."""
    rng = np.random.default_rng(k)
    return pd.DataFrame(
        {
            **KEYS,
            "method": "REML",
            "site_id": site_ids(k),
            "heterogeneity_contribution": rng.chisquare(1, k),
            "influence_on_result": rng.chisquare(1, k) / k,
            "influential": ["yes" if i in influential else "no" for i in range(k)],
            "note": "",
        }
    )


def bubble(k: int, unknown: tuple[int, ...] = (), **model: object) -> moderators.BubbleData:
    return moderators.bubble_data(
        "Mentors: total, by mentoring hours",
        HOURS,
        effects(k),
        hours(k, unknown),
        regression_rows(**model),
        measure="MD",
        method="REML",
        test="hksj",
    )


def subgroups(k: int, unknown: tuple[int, ...] = (), **options) -> moderators.SubgroupData:
    return moderators.subgroup_data(
        "Mentors: total, by hospital type",
        TYPE,
        effects(k),
        types(k, unknown, options.pop("levels", TYPE.levels)),
        options.pop("rows", subgroup_rows(TYPE.levels)),
        {"site0000": "Pilot Teaching Hospital"},
        measure="MD",
        method="REML",
        test="hksj",
        **options,
    )


# --------------------------------------------------------------------------- text


def test_coverage_counts_the_sites_without_a_value() -> None:
    assert moderators.coverage_text(5, 6) == "k = 5 of 6 sites; 1 without a value"
    assert moderators.coverage_text(6, 6) == "k = 6 of 6 sites, all with a value"
    assert moderators.coverage_text(998, 1000) == "k = 998 of 1,000 sites; 2 without a value"


@pytest.mark.parametrize(
    ("method", "test", "expected"),
    [
        ("REML", "hksj", ("REML", "hksj")),
        ("DL", "z", ("DL", "z")),
        ("PM", "adhoc", ("PM", "hksj")),
        ("FE", "hksj", ("FE", "z")),
    ],
)
def test_moderator_figures_use_the_moderator_analysis_nearest_the_primary(
    method, test, expected
) -> None:
    assert moderator_analysis(method, test) == expected


def test_regression_text_reports_slope_test_tau2_and_r2() -> None:
    text = moderators.regression_text(regression_rows(), HOURS, 0.95)
    assert text == (
        "Slope (change per unit of the moderator) 0.052 [95% CI \u22120.020, 0.125], "
        "p = 0.105; F(1, 3) = 5.30, p = 0.105; residual \u03c4\u00b2 = 0.041, "
        "I\u00b2 = 38.5%, R\u00b2 = 61% of \u03c4\u00b2 explained."
    )


def test_regression_text_with_z_and_common_effect() -> None:
    z = moderators.regression_text(regression_rows(test="z", qm_df2=np.nan), HOURS, 0.95)
    assert "; QM(1) = 5.30, p = 0.105;" in z
    fe = moderators.regression_text(regression_rows(method="FE", r2=np.nan), HOURS, 0.95)
    assert fe.endswith("; common-effect model: no \u03c4\u00b2 or R\u00b2.")


def test_unfitted_regression_says_why_and_draws_no_line() -> None:
    note = "k = 2: a model with 2 coefficients needs at least 3 sites"
    rows = regression_rows(note=note).assign(estimate=np.nan, ci_low=np.nan, ci_high=np.nan)
    data = moderators.bubble_data(
        "t", HOURS, effects(2), hours(2), rows, measure="MD", method="REML", test="hksj"
    )
    assert data.line is None
    assert data.footer.startswith(f"No line: the meta-regression could not be fitted ({note}).")


# --------------------------------------------------------------------------- bubble


def test_bubble_leaves_out_sites_without_a_value_and_counts_them() -> None:
    data = bubble(6, unknown=(1,))
    assert [b.site_id for b in data.bubbles] == ["site0000", *site_ids(6)[2:]]
    assert data.subtitle == "k = 5 of 6 sites; 1 without a value"
    assert data.footer.endswith(
        "No mentoring_hours value in the site registry, left out: site0001."
    )
    assert data.x_label == "Mentoring hours per pair"
    assert data.y_label == "Mean change, post \u2212 pre (scale points)"


def test_sites_not_pooled_are_named_apart_from_those_without_a_value() -> None:
    excluded = (
        "seaview: invalid data (see its validation report); "
        "site0001: value unknown (empty cell in the site registry)"
    )
    data = bubble(6, unknown=(1,), excluded_sites=excluded)
    assert data.footer.endswith(
        "No mentoring_hours value in the site registry, left out: site0001. "
        "Not pooled: seaview: invalid data (see its validation report)."
    )
    assert "Not pooled" not in bubble(6, unknown=(1,)).footer
    rows = subgroup_rows(TYPE.levels, excluded_sites=excluded)
    assert "Not pooled: seaview: invalid data" in subgroups(6, rows=rows).footer


def test_many_sites_without_a_value_are_counted_not_named() -> None:
    data = bubble(40, unknown=tuple(range(12)))
    assert data.subtitle == "k = 28 of 40 sites; 12 without a value"
    assert data.footer.endswith(
        "12 sites have no mentoring_hours value in the site registry and are left out "
        "(listed in results/pooled/moderators.csv, excluded_sites)."
    )


def test_bubble_line_is_the_meta_regression_with_its_ci() -> None:
    data = bubble(6, unknown=(1,))
    frame = effects(6).drop(index=1)
    x = np.array([hours(6)[site] for site in frame["site_id"]])
    matrix, names, _ = design(HOURS, list(x))
    fit = meta_regression(frame["yi"], frame["vi"], matrix, names, "REML", "hksj", 0.95)
    assert data.line is not None
    assert data.line.x[0] == x.min() and data.line.x[-1] == x.max()
    fitted, low, high = fitted_line(fit, np.array(data.line.x))
    np.testing.assert_allclose(data.line.fitted, fitted)
    np.testing.assert_allclose(data.line.ci_low, low)
    np.testing.assert_allclose(data.line.ci_high, high)
    assert "95% CI (REML, Knapp\u2013Hartung); bubble area \u221d weight" in data.footer
    weights = 1 / (frame["vi"].to_numpy() + fit.tau2)
    np.testing.assert_allclose(
        [b.weight_percent for b in data.bubbles], 100 * weights / weights.sum()
    )


def test_bubble_area_is_proportional_to_weight() -> None:
    areas = moderators.bubble_areas([10.0, 20.0, 40.0])
    assert areas[1] / areas[0] == pytest.approx(2.0)
    assert areas[2] / areas[0] == pytest.approx(4.0)
    many = moderators.bubble_areas([1.0] * 1000)
    assert max(many) < max(moderators.bubble_areas([1.0] * 3))


@pytest.mark.parametrize(("k", "labelled"), [(3, True), (30, True), (31, False), (1000, False)])
def test_sites_are_labelled_only_while_legible(k: int, labelled: bool) -> None:
    data = bubble(k)
    assert data.labelled is labelled
    assert ("Sites are not labelled: more than 30 would overlap." in data.footer) is not labelled


# --------------------------------------------------------------------------- subgroups


def test_subgroups_list_levels_in_declared_order_with_their_sites() -> None:
    data = subgroups(6, unknown=(4,))
    assert [group.level for group in data.levels] == ["teaching", "district", "community"]
    assert [group.k for group in data.levels] == [3, 2, 1]
    sites = {group.level: [row.label for row in group.sites] for group in data.levels}
    assert sites == {
        "teaching": ["Pilot Teaching Hospital", "site0003"],
        "district": ["site0001"],
        "community": ["site0002", "site0005"],
    }
    for group in data.levels:
        assert sum(row.weight_percent for row in group.sites) == pytest.approx(100.0)
    assert data.subtitle == "k = 5 of 6 sites; 1 without a value"
    assert "No hospital_type value in the site registry, left out: site0004." in data.footer
    assert data.between == "Test for subgroup differences: Q = 1.85, df = 2, p = 0.174"


def test_subgroup_level_without_sites_and_notes_are_said() -> None:
    data = subgroups(4, levels=("teaching", "district"), rows=subgroup_rows())
    assert [group.level for group in data.levels] == ["teaching", "district"]
    assert "No site has hospital_type = community: left out." in data.footer
    assert "Note: k = 1: the single site's estimate, no heterogeneity." in data.footer


def test_subgroup_test_between_needs_two_levels() -> None:
    rows = subgroup_rows(("teaching",), q_between=np.nan, q_between_df=np.nan)
    data = subgroups(3, levels=("teaching",), rows=rows)
    assert data.between == (
        "Test for subgroup differences: not available (fewer than two levels have sites)"
    )


def test_many_sites_are_not_listed_but_levels_keep_their_k() -> None:
    data = subgroups(1000)
    assert not data.sites_listed
    assert all(group.sites == () for group in data.levels)
    assert "1,000 sites are not listed one by one (more than 40)." in data.footer
    layout = moderators.subgroup_layout(data)
    assert [row.count for row in layout if row.kind == "diamond"] == ["3", "2", "1"]
    assert layout[-1].label.startswith("Test for subgroup differences: Q = 1.85")


# --------------------------------------------------------------------------- Baujat


def test_baujat_marks_and_names_influential_sites() -> None:
    data = baujat.baujat_data("t", influence_rows(6, influential=(2,)), "REML")
    assert [p.influential for p in data.points] == [False, False, True, False, False, False]
    assert data.labelled == tuple(site_ids(6))
    assert data.subtitle == "k = 6 sites; 1 influential"
    assert data.footer == (
        "Each point is a site; REML fit with the z test (metafor's influence()). "
        "Influential by metafor's rule: site0002."
    )


def test_baujat_past_30_sites_names_only_the_influential() -> None:
    data = baujat.baujat_data("t", influence_rows(1000, influential=(7, 500)), "REML")
    assert data.labelled == ("site0007", "site0500")
    assert "More than 30 sites: only the influential sites are named." in data.footer
    quiet = baujat.baujat_data("t", influence_rows(1000), "REML")
    assert quiet.labelled == ()
    assert "No site is influential by metafor's rule." in quiet.footer
    assert "More than 30 sites: sites are not named." in quiet.footer


def test_baujat_of_a_common_effect_primary_says_reml_stands_in() -> None:
    data = baujat.baujat_data("t", influence_rows(3), "REML", primary_method="FE")
    assert (
        "the primary analysis is common effect (inverse variance), which has no \u03c4\u00b2, "
        "so REML stands in" in data.footer
    )


def test_baujat_with_one_site_draws_nothing_and_says_why() -> None:
    rows = pd.DataFrame(
        [{**KEYS, "method": "REML", "site_id": "site0000", "note": "k = 1: needs two sites"}]
    )
    data = baujat.baujat_data("t", rows, "REML")
    assert data.points == ()
    assert "1 site(s) without diagnostics are not drawn. Note: k = 1: needs two sites." in (
        data.footer
    )


# --------------------------------------------------------------------------- plan


def settings(k: int, pooling: dict | None = None) -> Settings:
    return Settings(
        roles=("mentor",),
        outcomes=("total", "strengths"),
        names={site: site.upper() for site in site_ids(k)},
        enrolled={},
        original_study={
            "reported": [
                {
                    "role": "mentor",
                    "outcome": "total",
                    "median_pre": 23,
                    "median_post": 29,
                    "p": 0.04,
                }
            ]
        },
        pooling=pooling or {"measure": "MD", "method": "REML", "test": "hksj", "level": 0.95},
        alpha=0.05,
        min_cell=0,
    )


def test_stems_per_headline_outcome_and_moderator() -> None:
    assert figure_names.moderator_stems(settings(3), (HOURS, TYPE)) == [
        "bubble_mentor_total_mentoring_hours",
        "subgroups_mentor_total_hospital_type",
        "baujat_mentor_total",
    ]
    assert figure_names.moderator_stems(settings(3), ()) == ["baujat_mentor_total"]


def test_plan_picks_the_primary_analysis_rows() -> None:
    k = 6
    weights = pd.concat(
        [effects(k), effects(k, seed=9).assign(method="DL"), effects(k).assign(measure="SMCC")]
    )
    regressions = pd.concat(
        [regression_rows(), regression_rows(test="z", qm=99.0), regression_rows(method="DL")]
    )
    frames = {
        "weights": weights,
        "moderators": regressions,
        "subgroups": subgroup_rows(TYPE.levels),
        "influence": pd.concat(
            [influence_rows(k, (1,)), influence_rows(k, (3,)).assign(method="PM")]
        ),
    }
    values = {HOURS.id: hours(k, (1,)), TYPE.id: types(k)}
    planned = figure_plan.moderator_figures(frames, settings(k), (HOURS, TYPE), values)
    assert list(planned) == figure_names.moderator_stems(settings(k), (HOURS, TYPE))
    bubble_plot = planned["bubble_mentor_total_mentoring_hours"]
    assert "F(1, 3) = 5.30" in bubble_plot.footer
    yi = dict(zip(effects(k)["site_id"], effects(k)["yi"], strict=True))
    assert all(b.y == yi[b.site_id] for b in bubble_plot.bubbles)
    assert planned["subgroups_mentor_total_hospital_type"].sites_listed
    baujat_plot = planned["baujat_mentor_total"]
    assert [p.site_id for p in baujat_plot.points if p.influential] == ["site0001"]
    assert bubble_plot.title == "Mentors: total \u2013 Mentoring hours per pair"


# --------------------------------------------------------------------------- files


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [
        (i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2) if a.overlaps(b)
    ]


def _labels(figure) -> list:
    return [text for text in figure.axes[0].texts if text.get_text().startswith("site")]


def _text_boxes(figure) -> list:
    """Each label's own box, without the leader line an annotation's extent includes."""
    renderer = figure.canvas.get_renderer()
    boxes = []
    for text in _labels(figure):
        text.update_positions(renderer)
        boxes.append(Text.get_window_extent(text, renderer))
    return boxes


def crowded_rows(influential: tuple[int, ...] = ()) -> pd.DataFrame:
    """Eleven sites in a tight cluster near the origin, and one far away."""
    rows = influence_rows(12, influential)
    rows["heterogeneity_contribution"] = np.linspace(0.1, 0.2, 12)
    rows["influence_on_result"] = np.linspace(0.01, 0.02, 12)
    rows.loc[11, ["heterogeneity_contribution", "influence_on_result"]] = [3.0, 1.0]
    return rows


def test_crowded_labels_never_overlap_and_those_left_out_are_counted() -> None:
    figure = baujat.draw_baujat(baujat.baujat_data("t", crowded_rows(), "REML"))
    named = _labels(figure)
    assert "site0011" in [text.get_text() for text in named]
    assert _overlaps(_text_boxes(figure)) == []
    subtitle = figure.texts[1].get_text()
    left_out = 12 - len(named)
    assert left_out > 0
    assert subtitle == f"k = 12 sites; 0 influential; {left_out} sites in crowded areas not named"


def test_influential_sites_are_named_even_in_a_crowd() -> None:
    influential = (3, 4, 5, 6)
    figure = baujat.draw_baujat(baujat.baujat_data("t", crowded_rows(influential), "REML"))
    named = {text.get_text() for text in _labels(figure)}
    assert {f"site{i:04d}" for i in influential} <= named
    assert _overlaps(_text_boxes(figure)) == []


def test_bubble_labels_clear_each_other(tmp_path: Path) -> None:
    figure = moderators.draw_bubble(bubble(30))
    assert len(_labels(figure)) >= 20
    assert _overlaps(_text_boxes(figure)) == []


def assert_valid(paths: list[Path]) -> None:
    png, svg = paths
    assert png.suffix == ".png" and svg.suffix == ".svg"
    with Image.open(png) as image:
        image.verify()
    assert b"dc:date" not in svg.read_bytes()


DRAWN = {
    "bubble": lambda k: moderators.draw_bubble(bubble(k, unknown=(1,) if k > 3 else ())),
    "subgroups": lambda k: moderators.draw_subgroups(subgroups(k, unknown=(2,))),
    "baujat": lambda k: baujat.draw_baujat(
        baujat.baujat_data("t", influence_rows(k, influential=(0,)), "REML")
    ),
}


@pytest.mark.parametrize("k", [3, 6, 1000])
@pytest.mark.parametrize("kind", list(DRAWN))
def test_figures_are_written_and_byte_identical(kind: str, k: int, tmp_path: Path) -> None:
    first = figures.save_figure(DRAWN[kind](k), tmp_path / "a" / kind)
    second = figures.save_figure(DRAWN[kind](k), tmp_path / "b" / kind)
    assert_valid(first)
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_a_moderator_no_site_has_still_gives_a_figure_that_says_so() -> None:
    empty = subgroup_rows(TYPE.levels).iloc[0:0]
    data = subgroups(3, unknown=(0, 1, 2), rows=empty)
    assert data.levels == () and data.subtitle == "k = 0 of 3 sites; 3 without a value"
    assert data.between == "Test for subgroup differences: not available (no level has sites)"
    figure = moderators.draw_subgroups(data)
    assert "No subgroup has sites" in [text.get_text() for text in figure.axes[0].texts]
    bubble_plot = moderators.draw_bubble(bubble(3, unknown=(0, 1, 2)))
    assert "No site has a value" in [text.get_text() for text in bubble_plot.axes[0].texts]
