"""End to end: summary-only sites with moderator columns in the registry, through the real
workflow; results/pooled/moderators.csv, subgroups.csv and influence.csv against metafor
(the hand-made data set of tests/fixtures/reference/moderators.json)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from revmentor.core.moderators import UNKNOWN
from tests.reference import load
from tests.workflow.conftest import Workspace

pytestmark = pytest.mark.slow

DATASET = next(data for data in load("moderators")["datasets"] if data["name"] == "hand_k8")
MODERATORS = {entry["id"]: entry for entry in DATASET["moderators"]}
N_PAIRS = 10
RELATIVE = {"FE": 1e-6, "DL": 1e-6, "REML": 5e-5, "PM": 5e-5}


def r_test(test: str) -> str:
    return "knha" if test == "hksj" else "z"


def cell(value) -> str:
    return "" if value is None else str(value)


@pytest.fixture(scope="module")
def pooled(tmp_path_factory) -> dict[str, pd.DataFrame]:
    workspace = Workspace(tmp_path_factory.mktemp("moderators") / "run")
    folder = workspace.root / "data/hand"
    folder.mkdir()
    ids = list(MODERATORS)
    lines = ["\t".join(["site_id", "name", "data", "format", "enrolled", *ids])]
    for index, site in enumerate(DATASET["site_ids"]):
        mean, variance = DATASET["yi"][index], DATASET["vi"][index]
        (folder / f"{site}.csv").write_text(
            "site_id,role,outcome,n_pairs,mean_diff,sd_diff\n"
            f"{site},mentor,total,{N_PAIRS},{mean!r},{math.sqrt(variance * N_PAIRS)!r}\n"
        )
        values = [cell(MODERATORS[name]["values"][index]) for name in ids]
        lines.append("\t".join([site, f"Hospital {site}", f"hand/{site}.csv", "summary",
                                f"2024-01-{index + 1:02d}", *values]))  # fmt: skip
    (workspace.root / "config/sites.tsv").write_text("\n".join(lines) + "\n")
    # One shard for all the sites: two shard jobs, not two per site; how sites are batched
    # never changes a pooled number (test_frozen_outputs.py fixes it only for the shard tables).
    workspace.set_config(
        **{"execution.shards": 1},
        moderators=[
            {"id": name, "type": entry["type"], "label": name, "levels": entry["levels"]}
            if entry["type"] == "categorical"
            else {"id": name, "type": entry["type"], "label": name}
            for name, entry in MODERATORS.items()
        ],
    )
    names = ("moderators", "subgroups", "influence")
    workspace.snakemake(*(f"results/pooled/{name}.csv" for name in names), check=True)
    return {
        name: pd.read_csv(
            workspace.root / f"results/pooled/{name}.csv",
            keep_default_na=False,
            na_values=[""],
            dtype={"site_id": str, "level": str, "term": str},
        )
        for name in names
    }


def mentor_total_md(frame: pd.DataFrame) -> pd.DataFrame:
    keep = (frame["role"] == "mentor") & (frame["outcome"] == "total") & (frame["measure"] == "MD")
    return frame[keep]


def close(ours, expected, method) -> bool:
    if expected is None:
        return pd.isna(ours)
    return ours == pytest.approx(expected, rel=RELATIVE[method], abs=1e-10)


def test_moderators_csv_equals_metafor(pooled):
    rows = mentor_total_md(pooled["moderators"])
    checked = 0
    for name, entry in MODERATORS.items():
        for reference in entry["regression"]:
            if "terms" not in reference:
                continue
            test = "hksj" if reference["test"] == "knha" else "z"
            found = rows[
                (rows["moderator"] == name)
                & (rows["method"] == reference["method"])
                & (rows["test"] == test)
            ]
            assert list(found["term"]) == [term["name"] for term in reference["terms"]]
            for (_, row), term in zip(found.iterrows(), reference["terms"], strict=True):
                for field in ("estimate", "se", "stat", "p", "ci_low", "ci_high"):
                    assert close(row[field], term[field], reference["method"]), (name, field)
                for field in ("k", "qm", "qm_df1", "qm_df2", "qm_p", "qe", "qe_df", "tau2", "r2"):
                    expected = reference["model"][field]
                    assert close(row[field], expected, reference["method"]), (name, field)
                checked += 1
    assert checked >= 40


def test_sites_without_a_value_are_named_with_the_reason(pooled):
    rows = mentor_total_md(pooled["moderators"])
    setting = rows[rows["moderator"] == "setting"]
    assert set(setting["excluded_sites"]) == {f"s5: {UNKNOWN}"}
    assert set(setting["k"]) == {7}


def test_constant_moderator_rows_are_empty_with_a_note(pooled):
    rows = mentor_total_md(pooled["moderators"])
    constant = rows[rows["moderator"] == "constant"]
    assert len(constant) == 7 * 2
    assert constant["estimate"].isna().all() and constant["tau2"].isna().all()
    assert set(constant["note"]) == {
        "the moderator has the same value at every site, so its effect cannot be estimated"
    }


def test_subgroups_csv_equals_metafor(pooled):
    rows = mentor_total_md(pooled["subgroups"])
    entry = MODERATORS["setting"]
    for reference in entry["subgroups"]:
        test = "hksj" if reference["test"] == "knha" else "z"
        found = rows[
            (rows["moderator"] == "setting")
            & (rows["method"] == reference["method"])
            & (rows["test"] == test)
        ]
        assert list(found["level"]) == entry["levels_with_sites"]
        for (_, row), expected in zip(found.iterrows(), reference["subgroups"], strict=True):
            for field in ("k", "estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2"):
                assert close(row[field], expected[field], reference["method"]), field
            assert close(row["q_between"], reference["q_between"], reference["method"])
            assert close(row["q_between_p"], reference["q_between_p"], reference["method"])


def test_influence_csv_equals_metafor(pooled):
    rows = mentor_total_md(pooled["influence"])
    for reference in DATASET["influence"]:
        found = rows[rows["method"] == reference["method"]]
        assert list(found["site_id"]) == DATASET["site_ids"]
        for field in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat"):
            for ours, expected in zip(found[field], reference[field], strict=True):
                assert close(ours, expected, reference["method"]), field
        flagged = ["yes" if flag else "no" for flag in reference["influential"]]
        assert list(found["influential"]) == flagged
        assert "yes" in flagged
