"""Knapp–Hartung when every site has the same estimate, and metafor's ``test="adhoc"``,
against metafor 3.8.1 (tests/fixtures/reference/meta_edge.json, made by make_edge_fixtures.R).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revmentor.core.config import CONFIG_SCHEMA, read_yaml, schema_problems
from revmentor.core.tables import csv_text
from revmentor.pooling import batch
from revmentor.pooling.batch import Subsets, batch_meta
from revmentor.pooling.consortium import Pooling, analyses, cumulative, leave_one_out, meta_table
from revmentor.pooling.meta import RSS_ZERO_THRESHOLD, TESTS, meta_analysis
from tests.reference import load

EDGE = load("meta_edge")
FIELDS = (
    "estimate", "se", "ci_low", "ci_high", "p", "tau2", "tau2_ci_low", "tau2_ci_high",
    "i2", "h2", "q", "q_df", "q_p", "pi_low", "pi_high",
)  # fmt: skip
SENSITIVITY_FIELDS = ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2")
OURS = {"z": "z", "knha": "hksj", "adhoc": "adhoc"}
IDENTICAL_NOTE = (
    "every site has the same estimate: the Knapp-Hartung scale factor is 0 "
    "(weighted residual sum of squares <= machine epsilon, as metafor), so se = 0 and the "
    "t statistic (estimate / 0) is left empty"
)


def agrees(actual, expected) -> bool:
    """1e-6 relative (the issue's bar); R's ~1e-16 for an exact 0 compares absolutely."""
    if expected is None or actual is None:
        return expected is None and (actual is None or np.isnan(actual))
    return actual == pytest.approx(expected, rel=1e-6, abs=1e-10)


def fits(block: str):
    for dataset in EDGE[block]:
        for reference in dataset["results"]:
            test = OURS[reference["test"]]
            yield pytest.param(
                dataset, reference, test, id=f"{dataset['name']}-{reference['method']}-{test}"
            )


def check_against_metafor(dataset: dict, reference: dict, test: str) -> None:
    result = meta_analysis(
        np.array(dataset["yi"]), np.array(dataset["vi"]), reference["method"], test
    )
    wrong = {
        field: (getattr(result, field), reference[field])
        for field in FIELDS
        if not agrees(getattr(result, field), reference[field])
    }
    assert not wrong, wrong
    assert result.weights == pytest.approx(reference["weights_percent"], rel=1e-6)
    if reference["stat_is_infinite"] or reference["stat_is_nan"]:
        assert result.stat is None
    else:
        assert agrees(result.stat, reference["stat"])


@pytest.mark.parametrize(("dataset", "reference", "test"), list(fits("identical")))
def test_identical_estimates_match_metafor(dataset, reference, test):
    check_against_metafor(dataset, reference, test)


@pytest.mark.parametrize(("dataset", "reference", "test"), list(fits("adhoc")))
def test_adhoc_matches_metafor(dataset, reference, test):
    check_against_metafor(dataset, reference, test)


def test_metafor_threshold_is_the_machine_epsilon_of_a_double():
    assert RSS_ZERO_THRESHOLD == 2.0**-52
    assert EDGE["meta"]["machine_double_eps"] == pytest.approx(RSS_ZERO_THRESHOLD, rel=1e-14)
    below = next(d for d in EDGE["identical"] if d["name"] == "below_eps")
    above = next(d for d in EDGE["identical"] if d["name"] == "above_eps")
    assert 0 < below["rss_fixed"] <= RSS_ZERO_THRESHOLD < above["rss_fixed"]
    y, v = np.array(below["yi"]), np.array(below["vi"])
    assert meta_analysis(y, v, "REML", "hksj").se == 0
    y, v = np.array(above["yi"]), np.array(above["vi"])
    assert meta_analysis(y, v, "REML", "hksj").se > 0


def test_identical_estimates_give_p_0_an_empty_statistic_and_a_note():
    result = meta_analysis(np.array([1.0, 1.0, 1.0]), np.array([0.1, 0.2, 0.3]), "REML", "hksj")
    assert (result.ci_low, result.ci_high) == pytest.approx((1.0, 1.0), rel=1e-12)
    assert result.se == 0 and result.stat is None and result.p == 0.0
    assert result.notes == (IDENTICAL_NOTE + "; p = 0",)


def test_identical_zero_estimates_leave_p_empty_as_metafor_gives_nan():
    result = meta_analysis(np.zeros(3), np.array([0.1, 0.2, 0.3]), "DL", "hksj")
    assert result.stat is None and result.p is None
    assert result.notes == (
        IDENTICAL_NOTE + "; the estimate is 0 too, so p (0/0) is undefined and left empty",
    )


def test_adhoc_is_never_narrower_than_z_and_otherwise_equals_knapp_hartung():
    rng = np.random.default_rng(11)
    for k in (2, 3, 6, 25):
        for _ in range(20):
            y, v = rng.normal(0, 1, k), rng.uniform(0.01, 1, k)
            for method in ("DL", "REML", "PM"):
                z, knha, adhoc = (meta_analysis(y, v, method, test) for test in TESTS)
                assert adhoc.se >= z.se * (1 - 1e-12)
                assert adhoc.se == pytest.approx(max(z.se, knha.se), rel=1e-12)
                assert adhoc.ci_high - adhoc.ci_low >= z.ci_high - z.ci_low


def sensitivity_cases():
    for dataset in EDGE["identical"] + EDGE["adhoc"]:
        for kind in ("leave1out", "cumulative"):
            for test, block in dataset.get(kind, {}).items():
                yield pytest.param(
                    dataset, kind, OURS[test], block["records"],
                    id=f"{dataset['name']}-{kind}-{test}",
                )  # fmt: skip


@pytest.mark.parametrize("exact_up_to", [batch.EXACT_UP_TO_SITES, 0], ids=["exact", "moments"])
@pytest.mark.parametrize(("dataset", "kind", "test", "records"), list(sensitivity_cases()))
def test_batched_leave_one_out_and_cumulative_match_metafor(
    monkeypatch, exact_up_to, dataset, kind, test, records
):
    monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", exact_up_to)
    y, v = np.array(dataset["yi"]), np.array(dataset["vi"])
    k = len(y)
    subsets = Subsets.leave_one_out(k) if kind == "leave1out" else Subsets.cumulative(range(k))
    assert subsets.by_moments == (exact_up_to == 0)
    fits = batch_meta(y, v, subsets, "REML", test, 0.95)
    for row, record in enumerate(records):
        wrong = {
            field: (fits[field][row], record[field])
            for field in SENSITIVITY_FIELDS
            if not agrees(fits[field][row], record[field])
        }
        assert not wrong, (row, wrong)
        assert fits["zero_se"][row] == (record["stat_is_infinite"] or record["p"] is None)


# --------------------------------------------------------------------------- output tables


def summaries(mean_diffs: list[float]) -> pd.DataFrame:
    rows = []
    for index, mean in enumerate(mean_diffs, 1):
        n, sd = 10 + index, 0.8 + 0.1 * index
        rows.append(
            {
                "site_id": f"s{index}",
                "role": "mentee",
                "outcome": "total",
                "n_pairs": n,
                "mean_diff": mean,
                "sd_diff": sd,
                "smcc": 0.5,
                "smcc_var": 1 / n + 0.125 / n,
            }
        )
    return pd.DataFrame(rows)


def plan(test: str, sites: int) -> Pooling:
    names = [f"s{index}" for index in range(1, sites + 1)]
    return Pooling(
        roles=("mentee",),
        outcomes=("total",),
        sites=tuple(names),
        enrolled={name: f"2024-01-{number:02d}" for number, name in enumerate(names, 1)},
        excluded={},
        primary_test=test,
    )


def test_meta_analysis_csv_has_adhoc_rows_and_no_inf_or_nan_for_identical_sites():
    meta, _ = meta_table(summaries([1.0, 1.0, 1.0]), plan("hksj", 3))
    assert list(analyses()) == [
        ("FE", "z"),
        *((method, test) for method in ("DL", "REML", "PM") for test in ("z", "hksj", "adhoc")),
    ]
    assert len(meta) == 2 * 10
    text = csv_text(meta, for_people=True)
    assert "inf" not in text.lower() and "nan" not in text.lower()
    written = pd.read_csv(io.StringIO(text), keep_default_na=False)
    row = written[
        (written["measure"] == "MD") & (written["method"] == "REML") & (written["test"] == "hksj")
    ].iloc[0]
    assert (row["stat"], row["p"], row["se"]) == ("", 0.0, 0.0)
    assert row["note"] == IDENTICAL_NOTE + "; p = 0"
    adhoc = written[(written["method"] == "REML") & (written["test"] == "adhoc")].iloc[0]
    z = written[(written["method"] == "REML") & (written["test"] == "z")].iloc[0]
    assert adhoc["se"] == pytest.approx(z["se"], rel=1e-12) and adhoc["note"] == ""


def test_sensitivity_tables_note_the_zero_scale_factor_and_write_no_inf_or_nan():
    frames = {
        "leave_one_out": leave_one_out(summaries([1.0, 1.0, 1.0, 2.5]), plan("hksj", 4)),
        "cumulative": cumulative(summaries([1.0, 1.0, 1.0, 2.5]), plan("hksj", 4)),
    }
    for name, frame in frames.items():
        text = csv_text(frame, for_people=True)
        assert "inf" not in text.lower() and "nan" not in text.lower(), name
    without_s4 = frames["leave_one_out"].set_index(["measure", "site_id"]).loc[("MD", "s4")]
    assert (without_s4["se"], without_s4["p"]) == (0.0, 0.0)
    assert without_s4["note"] == "without s4; " + IDENTICAL_NOTE + "; p = 0"
    second = frames["cumulative"].set_index(["measure", "step"]).loc[("MD", 2)]
    assert second["note"] == "adds s2; " + IDENTICAL_NOTE + "; p = 0"


def test_adhoc_primary_analysis_marks_the_adhoc_row():
    meta, _ = meta_table(summaries([1.0, 2.0, 0.4]), plan("adhoc", 3))
    primary = meta[meta["primary"] == "yes"]
    assert primary[["measure", "method", "test"]].values.tolist() == [["MD", "REML", "adhoc"]]
    loo = leave_one_out(summaries([1.0, 2.0, 0.4]), plan("adhoc", 3))
    assert set(loo["test"]) == {"adhoc"}


def test_config_accepts_adhoc_as_the_primary_test():
    root = Path(__file__).resolve().parents[2]
    schema = read_yaml(root / CONFIG_SCHEMA)
    config = read_yaml(root / "config" / "config.yaml")
    config["pooling"]["test"] = "adhoc"
    assert schema_problems(config, schema, fill=True) == []
    config["pooling"]["test"] = "knha"
    problems = schema_problems(config, schema, fill=True)
    assert [(p.column, p.check, p.message) for p in problems] == [
        ("pooling.test", "schema_enum", "'knha' is not one of ['z', 'hksj', 'adhoc']")
    ]
