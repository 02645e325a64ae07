"""End to end: a consortium of summary-only sites through the real workflow; its
results/pooled/replication_criteria.csv against the R oracles' fixtures."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core.tables import csv_text
from revmentor.replication.criteria import CRITERIA
from tests.reference import expected_criterion, load
from tests.workflow.conftest import Workspace

pytestmark = pytest.mark.slow

FIXTURES = load("replication_criteria")
CASES = {case["name"]: case for case in FIXTURES["cases"]}
CONSORTIUM = FIXTURES["consortium_cases"]
OUTCOMES = {name: CASES[name]["outcome"] for name in CONSORTIUM}
NULL_OUTCOMES = [OUTCOMES[name] for name in CONSORTIUM if CASES[name]["null_original"]]
SITES = 6


def summary_file(site: int) -> str:
    rows = [
        {
            "site_id": f"hospital{site + 1}",
            "role": "mentor",
            "outcome": outcome,
            "n_pairs": CASES[name]["sites"][site]["n_pairs"],
            "mean_diff": CASES[name]["sites"][site]["mean_diff"],
            "sd_diff": CASES[name]["sites"][site]["sd_diff"],
        }
        for name, outcome in OUTCOMES.items()
    ]
    return csv_text(pd.DataFrame(rows), for_people=False)


@pytest.fixture(scope="module")
def criteria(tmp_path_factory) -> pd.DataFrame:
    workspace = Workspace(tmp_path_factory.mktemp("replication") / "run")
    rows = []
    assert {len(CASES[name]["sites"]) for name in CONSORTIUM} == {SITES}
    for site in range(SITES):
        path = workspace.root / f"data/summary{site + 1}.csv"
        path.write_text(summary_file(site), encoding="utf-8")
        rows.append(
            [f"hospital{site + 1}", f"Hospital {site + 1}", path.name, "summary", "2024-01-01"]
        )
    workspace.write_registry(rows)
    original = dict(CASES["seed_total"]["original_given"])
    workspace.set_config(
        **{
            "original_study.reported_not_significant": [
                {"role": "mentor", "outcome": outcome} for outcome in NULL_OUTCOMES
            ],
            "original_study.participants": {"mentor": original["participants"], "mentee": 5},
            "replication.sesoi_per_domain": CASES["null_equivalent"]["sesoi"],
            # One shard for all the sites: two shard jobs, not two per site; how sites are
            # batched never changes a pooled number (test_frozen_outputs.py fixes it only for
            # the shard tables).
            "execution.shards": 1,
        }
    )
    workspace.snakemake("results/pooled/replication_criteria.csv", check=True)
    return pd.read_csv(
        workspace.root / "results/pooled/replication_criteria.csv", keep_default_na=False
    )


def number(cell):
    return None if cell == "" else float(cell)


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_the_workflow_writes_the_oracles_criteria(criteria, name):
    case = CASES[name]
    assert (case["method"], case["test"], case["alpha"]) == ("REML", "knha", 0.05)
    found = criteria[(criteria["role"] == "mentor") & (criteria["outcome"] == OUTCOMES[name])]
    assert list(found["criterion"]) == list(CRITERIA)
    for row in found.to_dict("records"):
        value, threshold, success = expected_criterion(case, row["criterion"])
        assert row["success"] == success, (name, row)
        for column, expected in (("value", value), ("threshold", threshold)):
            actual = number(row[column])
            if expected is None:
                assert actual is None, (name, row)
            else:
                assert actual == pytest.approx(expected, rel=1e-6), (name, row)
        assert row["reason"]
