"""Meta-regression, subgroups and influence at their edges: empty cells and a note, never a
crash, inf or NaN."""

import math

import numpy as np
import pandas as pd
import pytest

from revmentor.core.moderators import CATEGORICAL, NUMERIC, UNKNOWN, Moderator
from revmentor.pooling.consortium import Pooling
from revmentor.pooling.heterogeneity import influence_table, moderator_tables
from revmentor.pooling.influence import influence_diagnostics
from revmentor.pooling.meta import meta_analysis
from revmentor.pooling.moderators import design, fitted_line, meta_regression, subgroup_analysis

HOURS = Moderator("mentoring_hours", NUMERIC, "Mentoring hours")
TYPE = Moderator("hospital_type", CATEGORICAL, "Hospital type", ("teaching", "district", "rural"))
Y = np.array([0.9, 0.4, 1.2, 0.7, 0.2, 1.0])
V = np.array([0.04, 0.09, 0.05, 0.02, 0.08, 0.06])


def test_numeric_design_has_intercept_and_slope():
    x, names, notes = design(HOURS, [4.0, 10.0, 12.5])
    assert names == ("intrcpt", "mentoring_hours")
    assert x.tolist() == [[1, 4], [1, 10], [1, 12.5]]
    assert notes == ()


def test_categorical_design_drops_absent_levels_and_says_so():
    x, names, notes = design(TYPE, ["district", "rural", "district"])
    assert names == ("intrcpt", "hospital_type:rural")
    assert x[:, 1].tolist() == [0, 1, 0]
    assert notes == (
        "no site has hospital_type = teaching: left out",
        "reference level is district, the first declared level that sites have",
    )


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
def test_too_few_sites_gives_empty_terms_with_a_note(method):
    x, names, _ = design(HOURS, [4.0, 10.0])
    fit = meta_regression(Y[:2], V[:2], x, names, method, "hksj")
    assert not fit.fitted
    assert [term.estimate for term in fit.terms] == [None, None]
    assert fit.notes == (
        "k = 2: a model with 2 coefficients needs at least 3 sites (one more than its "
        "coefficients) to estimate the residual heterogeneity",
    )


def test_constant_moderator_gives_a_note():
    x, names, _ = design(HOURS, [8.0] * 6)
    fit = meta_regression(Y, V, x, names, "REML", "z")
    assert fit.qm is None and fit.tau2 is None
    assert fit.notes == (
        "the moderator has the same value at every site, so its effect cannot be estimated",
    )


def test_intercept_only_model_equals_the_meta_analysis():
    x = np.ones((6, 1))
    for method in ("FE", "DL", "REML", "PM"):
        for test in ("z", "hksj"):
            fit = meta_regression(Y, V, x, ("intrcpt",), method, test)
            pooled = meta_analysis(Y, V, method, test)
            assert fit.terms[0].estimate == pytest.approx(pooled.estimate, rel=1e-9)
            assert fit.terms[0].se == pytest.approx(pooled.se, rel=1e-9)
            assert fit.terms[0].ci_low == pytest.approx(pooled.ci_low, rel=1e-9)
            assert fit.tau2 == pytest.approx(pooled.tau2, rel=1e-6, abs=1e-12)
            assert fit.qe == pytest.approx(pooled.q, rel=1e-12)
            assert fit.qm is None and fit.notes[-1].startswith("only the intercept")


def test_perfect_fit_under_knapp_hartung_leaves_tests_empty():
    hours = np.array([1.0, 2.0, 3.0, 4.0])
    y = 0.5 + 0.1 * hours
    x, names, _ = design(HOURS, list(hours))
    fit = meta_regression(y, V[:4], x, names, "REML", "hksj")
    assert fit.qm is None and fit.qm_p is None
    assert all(term.p is None for term in fit.terms)
    assert "Knapp-Hartung covariance is 0" in fit.notes[-1]


def test_fitted_line_passes_through_the_coefficients():
    hours = [4.0, 6.0, 9.0, 12.0, 15.0, 20.0]
    x, names, _ = design(HOURS, hours)
    fit = meta_regression(Y, V, x, names, "REML", "hksj")
    fitted, low, high = fitted_line(fit, np.array([0.0, 10.0]))
    assert fitted[0] == pytest.approx(fit.terms[0].estimate)
    assert low[0] == pytest.approx(fit.terms[0].ci_low)
    assert high[0] == pytest.approx(fit.terms[0].ci_high)
    assert np.all(low < fitted) and np.all(fitted < high)


def test_single_site_level_is_a_z_test_without_heterogeneity():
    levels = ["teaching", "teaching", "district", "teaching", "teaching", "teaching"]
    split = subgroup_analysis(Y, V, levels, TYPE.levels, "REML", "hksj")
    assert [group.level for group in split.subgroups] == ["teaching", "district"]
    single = split.subgroups[1]
    assert (single.k, single.tau2, single.i2, single.estimate) == (1, 0.0, 0.0, 1.2)
    assert single.ci_high == pytest.approx(1.2 + 1.959963984540054 * math.sqrt(0.05))
    assert split.q_between_df == 1 and split.q_between is not None


def test_one_level_only_gives_no_between_test():
    split = subgroup_analysis(Y, V, ["district"] * 6, TYPE.levels, "DL", "z")
    assert split.q_between is None
    assert split.notes == ("fewer than two levels have sites: no test between levels",)


def test_influence_needs_two_sites():
    with pytest.raises(ValueError, match="at least two sites"):
        influence_diagnostics(Y[:1], V[:1], "REML")


def test_influence_of_two_sites_is_finite():
    result = influence_diagnostics(Y[:2], V[:2], "REML")
    for name, values in result.items():
        assert np.all(np.isfinite(values.astype(float))), name


def _summaries(sites):
    rows = []
    for site, (y, v) in sites.items():
        n = 20
        rows.append(
            {
                "site_id": site,
                "role": "mentor",
                "outcome": "total",
                "n_pairs": n,
                "mean_diff": y,
                "sd_diff": math.sqrt(v * n),
                "smcc": y,
                "smcc_var": v,
            }
        )
    return pd.DataFrame(rows)


def _plan(sites, excluded=None):
    return Pooling(
        roles=("mentor",),
        outcomes=("total",),
        sites=tuple(sites),
        enrolled=dict.fromkeys(sites, "2024-01-01"),
        excluded=excluded or {},
    )


def test_tables_name_sites_without_a_value_and_keep_every_cell_finite():
    sites = {f"s{i}": (y, v) for i, (y, v) in enumerate(zip(Y, V, strict=True))}
    values = {
        "mentoring_hours": {"s0": 4.0, "s1": None, "s2": 9.0, "s3": 12.0, "s4": 15.0, "s5": 20.0},
        "hospital_type": {
            "s0": "teaching",
            "s1": "district",
            "s2": "teaching",
            "s3": None,
            "s4": "teaching",
            "s5": "teaching",
        },
    }
    regressions, subgroups = moderator_tables(
        _summaries(sites), _plan(sites, {"s5": "invalid data"}), (HOURS, TYPE), values
    )
    hours = regressions[regressions["moderator"] == "mentoring_hours"]
    # FE z, then DL, REML, PM with z and hksj; two terms each; both measures.
    assert len(hours) == 2 * 7 * 2
    assert set(hours["excluded_sites"]) == {f"s5: invalid data; s1: {UNKNOWN}"}
    assert set(hours["k"]) == {4}
    fe = hours[hours["method"] == "FE"]
    assert fe["r2"].isna().all() and (fe["tau2"] == 0).all()
    assert not (hours["method"].eq("FE") & hours["test"].eq("hksj")).any()
    assert hours.loc[hours["test"] == "z", "qm_df2"].isna().all()
    assert (hours.loc[hours["test"] == "hksj", "qm_df2"] == 2).all()
    numbers = regressions.select_dtypes("number").to_numpy(float)
    assert not np.isinf(numbers).any()
    kinds = regressions[regressions["moderator"] == "hospital_type"]
    assert set(kinds["term"]) == {"intrcpt", "hospital_type:district"}
    district = subgroups[(subgroups["level"] == "district") & (subgroups["method"] == "REML")]
    assert set(district["k"]) == {1}
    assert "k = 1: the single site's estimate, no heterogeneity" in district["note"].iloc[0]
    assert "rural" not in set(subgroups["level"])


def test_influence_table_marks_yes_or_no_and_handles_one_site():
    sites = {f"s{i}": (y, v) for i, (y, v) in enumerate(zip(Y, V, strict=True))}
    table = influence_table(_summaries(sites), _plan(sites))
    assert set(table["method"]) == {"DL", "REML", "PM"}
    assert set(table["influential"]) <= {"yes", "no"}
    assert len(table) == 2 * 3 * 6
    one = {"s0": sites["s0"]}
    single = influence_table(_summaries(one), _plan(one))
    assert set(single["note"]) == {"k = 1: influence diagnostics need two or more sites"}
    assert single["rstudent"].isna().all()
