"""Every replication criterion against the R oracles: metafor (rma, predict(newvi=)),
ReplicationSuccess (pSceptical, golden) and pwr (paired t power), through the package's own
pooling (tests/fixtures/reference/make_replication_fixtures.R and its README section)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revmentor.pooling.consortium import meta_table
from revmentor.pooling.consortium import plan_from as pooling_plan
from revmentor.replication.criteria import CRITERIA
from revmentor.replication.original import original_results
from revmentor.replication.table import plan_from, replication_tables
from revmentor.stats.paired import standardised_mean_change
from revmentor.stats.power import detectable_effect
from tests.reference import expected_criterion, load

CASES = load("replication_criteria")["cases"]
TOLERANCE = 1e-6
ROLE = "mentor"


def outcome_of(case) -> str:
    return case.get("outcome") or "total"


def agrees(actual, expected) -> bool:
    if expected is None or actual is None or pd.isna(actual):
        return expected is None and (actual is None or pd.isna(actual))
    return actual == pytest.approx(expected, rel=TOLERANCE, abs=1e-12)


def summaries_of(case) -> pd.DataFrame:
    rows = []
    for index, site in enumerate(case["sites"], start=1):
        smcc = standardised_mean_change(site["mean_diff"], site["sd_diff"], site["n_pairs"])
        rows.append(
            {
                "site_id": f"site{index}",
                "role": ROLE,
                "outcome": outcome_of(case),
                "n_pairs": site["n_pairs"],
                "mean_diff": site["mean_diff"],
                "sd_diff": site["sd_diff"],
                "smcc": smcc and smcc[0],
                "smcc_var": smcc and smcc[1],
            }
        )
    return pd.DataFrame(rows)


def pooling_of(case) -> dict:
    test = "hksj" if case["test"] == "knha" else "z"
    return {"measure": "MD", "method": case["method"], "test": test, "level": 0.95}


def original_study_of(case) -> dict:
    given = dict(case["original_given"])
    participants = given.pop("participants", None)
    entry = {"role": ROLE, "outcome": outcome_of(case)}
    study: dict = {"participants": {ROLE: participants} if participants is not None else {}}
    if case["null_original"]:
        study["reported_not_significant"] = [entry]
    else:
        study["reported"] = [{**entry, **given}]
    return study


def replication_of(case) -> tuple[pd.DataFrame, pd.DataFrame]:
    summaries = summaries_of(case)
    sites = {site: "2024-01-01" for site in summaries["site_id"]}
    pooling = pooling_of(case)
    plan = pooling_plan((ROLE,), (outcome_of(case),), sites, {}, pooling)
    meta, _ = meta_table(summaries, plan)
    replication = plan_from(
        (ROLE,),
        (outcome_of(case),),
        original_study_of(case),
        pooling,
        case["alpha"],
        {outcome_of(case): case["sesoi"]},
    )
    return replication_tables(meta, replication)


def criteria_of(case) -> pd.DataFrame:
    return replication_of(case)[0].set_index("criterion")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_original_as_numbers_matches_the_oracle(case):
    if case["null_original"]:
        pytest.skip("an original reported null has no numbers")
    original = original_results(original_study_of(case))[(ROLE, outcome_of(case))]
    expected = case["original"]
    assert agrees(original.change, expected["y_o"])
    assert agrees(original.z, expected["z_o"])
    assert agrees(original.standard_error, expected["se_o"])
    assert original.pairs == expected["n_o"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_derived_smcc_matches_escalc(case):
    derived = [
        standardised_mean_change(site["mean_diff"], site["sd_diff"], site["n_pairs"])
        for site in case["sites"]
    ]
    assert np.allclose([d[0] for d in derived], case["smcc_fit"]["yi"], rtol=1e-9, atol=0)
    assert np.allclose([d[1] for d in derived], case["smcc_fit"]["vi"], rtol=1e-9, atol=0)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
@pytest.mark.parametrize("name", CRITERIA)
def test_every_criterion_matches_the_oracle(case, name):
    found = criteria_of(case).loc[name]
    value, threshold, success = expected_criterion(case, name)
    assert found["success"] == success, found["reason"]
    assert agrees(found["value"], value), (found["value"], case["criteria"][name])
    assert agrees(found["threshold"], threshold), (found["threshold"], case["criteria"][name])
    assert found["reason"], "every criterion says why"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_d33_matches_pwr_solved_tightly(case):
    reference = case["criteria"]["small_telescopes"]
    if reference.get("threshold") is None:
        pytest.skip("no d33 for this case")
    d33 = detectable_effect(case["original"]["n_o"])
    assert d33 == pytest.approx(reference["threshold"], rel=1e-9)
    # pwr.t.test's own answer is only good to uniroot's default tolerance.
    assert d33 == pytest.approx(reference["d33_pwr_default"], rel=1e-3)


# The verdict rule (docs/codebook.md) applied to criteria the oracles agree with.
VERDICTS = {
    "seed_total": ("inconclusive", "sceptical_p: "),
    "seed_clinical_practice": ("inconclusive", "sceptical_p: "),
    "seed_areas_for_improvement": ("inconclusive", "sceptical_p: "),
    "estimate_and_se": ("replicated", "significance: "),
    "original_much_larger": ("not replicated", "small_telescopes: "),
    "opposite_direction": ("not replicated", "significance: "),
    "k1": ("replicated", "significance: "),
    "k2": ("inconclusive", "significance: "),
    "null_equivalent": ("replicated", "as the original found no significant change: "),
    "null_contradicted": ("contradicted", "the original found no significant change, but "),
    "null_inconclusive": ("inconclusive", "the pooled change 0.217 (p = 0.26) is not "),
    "dl_z": ("inconclusive", "sceptical_p: "),
}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_verdict_follows_the_rule(case):
    verdict, start = VERDICTS[case["name"]]
    found = replication_of(case)[1].iloc[0]
    assert (found["verdict"], found["verdict_reason"][: len(start)]) == (verdict, start)
