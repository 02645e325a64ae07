"""Meta-analysis against R's metafor 3.8.1 (fixtures in tests/fixtures/reference)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from revmentor.pooling.meta import meta_analysis
from tests.reference import load

DATASETS = load("meta_analysis")["datasets"]
FIELDS = (
    "estimate", "se", "ci_low", "ci_high", "stat", "p", "tau2", "tau2_ci_low", "tau2_ci_high",
    "i2", "h2", "q", "q_df", "q_p", "pi_low", "pi_high",
)  # fmt: skip
TOLERANCE = 1e-6


def agrees(actual, expected) -> bool:
    """1e-6 relative; values R gives as ~1e-13 for an exact zero compare absolutely."""
    if expected is None or actual is None:
        return expected is None and actual is None
    return actual == pytest.approx(expected, rel=TOLERANCE, abs=1e-10)


def fits():
    for dataset in DATASETS:
        for reference in dataset["results"]:
            test = "hksj" if reference["test"] == "knha" else "z"
            yield pytest.param(dataset, reference, test,
                               id=f"{dataset['name']}-{reference['method']}-{test}")  # fmt: skip


@pytest.mark.parametrize(("dataset", "reference", "test"), list(fits()))
def test_every_statistic_matches_metafor(dataset, reference, test):
    result = meta_analysis(
        np.array(dataset["yi"]), np.array(dataset["vi"]), reference["method"], test
    )
    wrong = {
        field: (getattr(result, field), reference[field])
        for field in FIELDS
        if not agrees(getattr(result, field), reference[field])
    }
    assert not wrong, wrong
    assert result.weights == pytest.approx(reference["weights_percent"], rel=TOLERANCE)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_dersimonian_laird_truncates_where_statsmodels_does_not():
    """statsmodels' combine_effects keeps a negative DL tau2; metafor (and we) truncate at 0."""
    homogeneous = next(d for d in DATASETS if d["name"] == "homogeneous")
    y, v = np.array(homogeneous["yi"]), np.array(homogeneous["vi"])
    assert homogeneous["dl_tau2_untruncated"] < 0
    ours = meta_analysis(y, v, "DL", "z")
    metafor = next(r for r in homogeneous["results"] if (r["method"], r["test"]) == ("DL", "z"))
    assert ours.tau2 == 0 == metafor["tau2"]
    assert agrees(ours.se, metafor["se"])
    statsmodels = combine_effects(y, v, method_re="dl")
    assert statsmodels.tau2 == pytest.approx(homogeneous["dl_tau2_untruncated"], rel=1e-6)
    assert statsmodels.sd_eff_w_re != pytest.approx(metafor["se"], rel=1e-6)


def sensitivity_cases(kind):
    for dataset in DATASETS:
        for test, block in dataset.get(kind, {}).items():
            if kind == "cumulative" and "records" not in block:
                continue
            yield pytest.param(dataset, "hksj" if test == "knha" else "z", block["records"],
                               id=f"{dataset['name']}-{test}")  # fmt: skip


@pytest.mark.parametrize(("dataset", "test", "records"), list(sensitivity_cases("leave1out")))
def test_leave_one_out_matches_metafor(dataset, test, records):
    y, v = np.array(dataset["yi"]), np.array(dataset["vi"])
    for record in records:
        keep = np.arange(len(y)) != record["omitted"] - 1
        result = meta_analysis(y[keep], v[keep], "REML", test)
        for field in ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2", "q"):
            assert agrees(getattr(result, field), record[field]), (record["omitted"], field)


def test_cumulative_matches_metafor():
    dataset = next(d for d in DATASETS if d["name"] == "bcg_logrr")
    y, v = np.array(dataset["yi"]), np.array(dataset["vi"])
    records = (
        dataset["cumulative"]["records"]
        if "records" in dataset["cumulative"]
        else (dataset["cumulative"]["z"]["records"])
    )
    for record in records:
        k = record["k_included"]
        result = meta_analysis(y[:k], v[:k], "REML", "z")
        for field in ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2"):
            assert agrees(getattr(result, field), record[field]), (k, field)


def test_single_site_is_its_own_estimate_without_heterogeneity():
    result = meta_analysis(np.array([0.9]), np.array([0.16]), "REML", "hksj")
    assert (result.estimate, result.se, result.tau2, result.i2, result.h2) == (0.9, 0.4, 0, 0, 1)
    assert result.pi_low is None and result.tau2_ci_low is None
    assert "z test is reported" in result.notes[0]


def test_no_cell_is_ever_inf_or_nan():
    rng = np.random.default_rng(1)
    for k in (1, 2, 3, 5, 40):
        y, v = rng.normal(0, 1, k), rng.uniform(0.01, 1, k)
        for method in ("FE", "DL", "REML", "PM"):
            for test in ("z", "hksj"):
                result = meta_analysis(y, v, method, test)
                values = [getattr(result, f) for f in FIELDS if getattr(result, f) is not None]
                assert np.all(np.isfinite(values)), (k, method, test)
