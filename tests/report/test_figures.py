"""Publication figures: the plot data is checked as numbers, the files as bytes."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from revmentor.report import figures
from revmentor.report.figures import forest as forest_module

REPO = Path(__file__).resolve().parents[2]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEVELS = (1, 2, 3, 4, 5)


def site_frame(k: int, seed: int = 7) -> pd.DataFrame:
    """Rows shaped like results/pooled/weights.csv for one analysis."""
    rng = np.random.default_rng(seed)
    yi = rng.normal(0.8, 0.4, k)
    se = rng.uniform(0.1, 0.6, k)
    weights = 1 / se**2
    return pd.DataFrame(
        {
            "site_id": [f"site{i:04d}" for i in range(k)],
            "n_pairs": rng.integers(5, 40, k),
            "yi": yi,
            "ci_low": yi - 1.96 * se,
            "ci_high": yi + 1.96 * se,
            "weight_percent": 100 * weights / weights.sum(),
        }
    )


def meta_row(k: int, **changes: object) -> dict:
    """A row shaped like results/pooled/meta_analysis.csv (primary analysis)."""
    row = {
        "role": "mentor",
        "outcome": "clinical_practice",
        "measure": "MD",
        "method": "REML",
        "test": "hksj",
        "primary": "yes",
        "k": k,
        "n_participants": 20 * k,
        "estimate": 0.77,
        "ci_low": 0.31,
        "ci_high": 1.24,
        "tau2": 0.159,
        "i2": 80.38,
        "q": 29.16,
        "q_df": k - 1,
        "q_p": 2.2e-5,
        "pi_low": -0.44 if k >= 3 else np.nan,
        "pi_high": 1.99 if k >= 3 else np.nan,
        "excluded_sites": np.nan,
        "note": np.nan,
    }
    return {**row, **changes}


def forest(k: int, **changes: object) -> figures.ForestData:
    return figures.forest_data(meta_row(k, **changes), site_frame(k), {}, 1.0)


def cumulative_frame(steps: int) -> pd.DataFrame:
    """Rows shaped like results/pooled/cumulative.csv for one analysis."""
    k = np.arange(1, steps + 1)
    return pd.DataFrame(
        {
            "role": "mentor",
            "outcome": "total",
            "measure": "MD",
            "method": "REML",
            "test": "hksj",
            "step": k,
            "site_id": [f"site{i}" for i in k],
            "enrolled": [f"2024-01-{1 + i % 28:02d}" for i in k],
            "k": k,
            "estimate": 5.5,
            "ci_low": 5.5 - 4 / np.sqrt(k),
            "ci_high": 5.5 + 4 / np.sqrt(k),
        }
    )


def likert_counts(labels: tuple[str, ...] = ("Pooled",)) -> pd.DataFrame:
    """Counts per label × domain × timepoint × level, as the Likert figure takes them."""
    rows = []
    for label in labels:
        for outcome in ("clinical_practice", "strengths"):
            for timepoint, counts in (("post", (0, 1, 3, 9, 7)), ("pre", (1, 4, 8, 5, 2))):
                rows += [
                    {
                        "label": label,
                        "outcome": outcome,
                        "timepoint": timepoint,
                        "level": level,
                        "count": count,
                    }
                    for level, count in zip(LEVELS, counts, strict=True)
                ]
    return pd.DataFrame(rows)


DOMAINS = {"clinical_practice": "Clinical practice", "strengths": "Strengths"}


@pytest.mark.parametrize(("k", "shown"), [(3, 3), (40, 40), (1000, 0)])
def test_forest_rows_scale_to_a_legible_figure(k: int, shown: int) -> None:
    data = forest(k)
    assert len(data.site_rows) == shown
    assert (data.summarised is not None) == (k > 40)


def test_many_sites_are_summarised_by_count_range_and_total_n() -> None:
    sites = site_frame(1000)
    data = figures.forest_data(meta_row(1000), sites, {}, None)
    summary = data.summarised
    assert summary is not None
    assert summary.n_sites == 1000
    assert summary.n_total == sites["n_pairs"].sum()
    assert summary.minimum == pytest.approx(sites["yi"].min())
    assert summary.maximum == pytest.approx(sites["yi"].max())
    assert summary.minimum <= summary.q1 <= summary.median <= summary.q3 <= summary.maximum
    assert "1,000 sites" in data.footer


def test_site_rows_carry_labels_n_estimates_and_weights_in_order() -> None:
    sites = site_frame(3)
    data = figures.forest_data(meta_row(3), sites, {"site0001": "Northgate"}, None)
    assert [row.label for row in data.site_rows] == ["site0000", "Northgate", "site0002"]
    first = data.site_rows[0]
    assert first.n == sites["n_pairs"][0]
    assert first.estimate == pytest.approx(sites["yi"][0])
    assert first.weight_percent == pytest.approx(sites["weight_percent"][0])
    assert data.pooled is not None and data.pooled.estimate == pytest.approx(0.77)


@pytest.mark.parametrize(("k", "has_pi"), [(1, False), (2, False), (3, True)])
def test_prediction_interval_needs_three_sites(k: int, has_pi: bool) -> None:
    data = forest(k, pi_low=-0.44, pi_high=1.99)  # present in the row, but not usable
    assert (data.prediction is not None) == has_pi


def test_common_effect_has_no_prediction_interval() -> None:
    assert forest(6, method="FE", test="z").prediction is None


def test_reference_line_and_axis_label_follow_the_inputs() -> None:
    data = figures.forest_data(meta_row(3), site_frame(3), {}, 1.0)
    assert data.reference == 1.0
    assert "Original study" in data.reference_label and "1.00" in data.reference_label
    assert data.axis_label == "Mean change, post \u2212 pre (scale points)"
    smcc = figures.forest_data(meta_row(3, measure="SMCC"), site_frame(3), {}, None)
    assert smcc.reference is None and smcc.reference_label == ""
    assert smcc.axis_label == "Standardised mean change (SMCC)"


def test_footer_reports_heterogeneity_method_and_exclusions() -> None:
    footer = forest(6, excluded_sites="seaview: invalid data").footer
    for part in ("k = 6", "n = 120", "\u03c4\u00b2 = 0.159", "I\u00b2 = 80.4%", "Q = 29.16"):
        assert part in footer
    assert "df = 5, p < 0.001" in footer
    assert "REML, Knapp\u2013Hartung" in footer
    assert "excluded: seaview: invalid data" in footer
    assert "excluded" not in forest(6).footer


def test_cumulative_rows_are_labelled_steps_with_equal_markers() -> None:
    data = figures.cumulative_data(cumulative_frame(4), {"site1": "Pilot"}, 6.0)
    assert [row.label for row in data.site_rows][:2] == [
        "+ Pilot (2024-01-02)",
        "+ site2 (2024-01-03)",
    ]
    assert [row.n for row in data.site_rows] == [1, 2, 3, 4]
    assert not data.weighted and data.pooled is None
    assert data.reference == 6.0
    assert "thinned" not in data.footer


def test_cumulative_thinning_keeps_first_and_last_step() -> None:
    frame = cumulative_frame(1000)
    data = figures.cumulative_data(frame.sample(frac=1, random_state=1), {}, None)
    ks = [row.n for row in data.site_rows]
    assert len(ks) == 40
    assert ks[0] == 1 and ks[-1] == 1000
    assert ks == sorted(set(ks))
    assert "Showing 40 of 1,000 steps" in data.footer


@pytest.mark.parametrize(("n", "keep"), [(41, 40), (1000, 40), (7, 2), (5, 10)])
def test_thin_indices_are_even_and_keep_both_ends(n: int, keep: int) -> None:
    kept = figures.thin_indices(n, keep)
    assert len(kept) == min(n, keep)
    assert kept[0] == 0 and kept[-1] == n - 1
    gaps = np.diff(kept)
    assert gaps.max() - gaps.min() <= 1


def test_likert_bars_sum_to_100_and_split_the_neutral_level() -> None:
    data = figures.likert_data(likert_counts(), DOMAINS, LEVELS)
    assert data.neutral == 3
    assert len(data.bars) == 4
    for bar in data.bars:
        assert sum(bar.percents) == pytest.approx(100.0)
        neutral_start, neutral_width = bar.starts[2], bar.percents[2]
        assert neutral_start == pytest.approx(-neutral_width / 2)
        left = sum(bar.percents[:2]) + neutral_width / 2
        assert bar.starts[0] == pytest.approx(-left)
        ends = np.add(bar.starts, bar.percents)
        assert np.allclose(ends[:-1], bar.starts[1:])  # segments touch, in level order


def test_likert_orders_domains_and_puts_pre_before_post() -> None:
    data = figures.likert_data(likert_counts(("Pooled", "Leeds")), DOMAINS, LEVELS)
    keys = [(bar.outcome, bar.label, bar.timepoint) for bar in data.bars]
    assert keys[:4] == [
        ("clinical_practice", "Pooled", "pre"),
        ("clinical_practice", "Pooled", "post"),
        ("clinical_practice", "Leeds", "pre"),
        ("clinical_practice", "Leeds", "post"),
    ]
    assert data.several_labels
    assert data.bars[0].n == 20 and data.bars[0].domain_label == "Clinical practice"


def test_likert_even_scale_has_no_neutral_and_rejects_unknown_levels() -> None:
    counts = likert_counts()
    four = counts[counts["level"] < 5]
    data = figures.likert_data(four, DOMAINS, (1, 2, 3, 4))
    assert data.neutral is None
    assert all(bar.starts[2] == pytest.approx(0.0) for bar in data.bars)
    with pytest.raises(ValueError, match="not on the scale"):
        figures.likert_data(counts, DOMAINS, (1, 2, 3, 4))


def assert_valid_files(paths: list[Path]) -> None:
    assert [path.suffix for path in paths] == [".png", ".svg"]
    png, svg = paths
    assert png.read_bytes()[:8] == PNG_MAGIC
    with Image.open(png) as image:
        image.verify()
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"dc:date" not in svg.read_bytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda: figures.draw_forest(forest(6, excluded_sites="seaview: invalid")),
        lambda: figures.draw_forest(forest(1000)),
        lambda: figures.draw_forest(figures.cumulative_data(cumulative_frame(60), {}, 6.0)),
        lambda: figures.draw_likert(figures.likert_data(likert_counts(), DOMAINS, LEVELS)),
    ],
    ids=["forest", "forest-summarised", "cumulative", "likert"],
)
def test_saved_figures_are_valid_and_byte_identical(make, tmp_path: Path) -> None:
    first = figures.save_figure(make(), tmp_path / "a" / "figure")
    second = figures.save_figure(make(), tmp_path / "b" / "figure")
    assert_valid_files(first)
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_saving_one_figure_twice_gives_identical_bytes(tmp_path: Path) -> None:
    figure = figures.draw_forest(forest(3))
    first = figures.save_figure(figure, tmp_path / "one")
    second = figures.save_figure(figure, tmp_path / "two")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_png_is_200_dpi_and_height_grows_with_rows(tmp_path: Path) -> None:
    small = figures.draw_forest(forest(3))
    large = figures.draw_forest(forest(40))
    assert small.get_figheight() < large.get_figheight() <= 16
    png, _ = figures.save_figure(small, tmp_path / "small")
    with Image.open(png) as image:
        assert image.size[0] == pytest.approx(small.get_figwidth() * 200, abs=1)
        assert image.info["dpi"][0] == pytest.approx(200, abs=0.5)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_site_ci_text_has_the_normal_quantile_of_scipy_stats(level: float) -> None:
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    assert f"estimate \u00b1 {z:.2f}\u00b7" in forest_module.site_ci_text(level)


def test_a_forest_plot_is_made_without_importing_scipy_stats() -> None:
    """scipy.stats is most of a figure job's imports; the forest job does not need it."""
    script = (
        "import sys\n"
        "from tests.report.test_figures import forest\n"
        "from revmentor.report.figures import draw_forest\n"
        "draw_forest(forest(4))\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert shown.stdout.strip() == "False"
