"""Combined tests across sites, against a hand-worked example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from revmentor.pooling.combined import combined_tests
from revmentor.stats.pairs import Pairs
from revmentor.stats.site_summary import outcome_row

# Hand-worked: site a, d = 1, 2, -1, 3: |d| ranks 1.5, 3, 1.5, 4 (ties 1, 1):
#   T+ = 8.5, n = 4, E = 5, V = 4*5*9/24 - (2^3 - 2)/48 = 7.375
# site b, d = 2, 2, 2: ranks 2, 2, 2: T+ = 6, n = 3, E = 3, V = 3.5 - (27 - 3)/48 = 3.0
# site c, d = 0, -1, 1, 4, 0: zeros dropped, ranks 1.5, 1.5, 3: T+ = 4.5, E = 3, V = 3.375
# Z = (19 - 11) / sqrt(13.75)
DIFFERENCES = {"a": [1, 2, -1, 3], "b": [2, 2, 2], "c": [0, -1, 1, 4, 0]}
HAND_Z = 8 / math.sqrt(13.75)


def summaries(differences=DIFFERENCES) -> pd.DataFrame:
    rows = []
    for site, d in differences.items():
        pre = np.full(len(d), 2.0)
        row = outcome_row(Pairs(pre, pre + np.array(d, float)), np.random.default_rng(0))
        rows.append({"site_id": site, "role": "mentor", "outcome": "total", **row})
    return pd.DataFrame(rows)


def run(frame, excluded=None, sites=("a", "b", "c")):
    return combined_tests(frame, ["mentor"], ["total"], list(sites), excluded or {}).set_index(
        "test"
    )


def test_stratified_wilcoxon_matches_the_hand_worked_example():
    row = run(summaries()).loc["stratified_wilcoxon"]
    assert (row["k"], row["statistic"]) == (3, 19.0)
    assert row["z"] == pytest.approx(HAND_Z, rel=1e-12)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(HAND_Z), rel=1e-12)


def test_stratified_wilcoxon_recovers_the_variance_from_spss_z_when_not_sent():
    frame = summaries().drop(columns=["wilcoxon_var"])
    assert run(frame).loc["stratified_wilcoxon", "z"] == pytest.approx(HAND_Z, rel=1e-12)


def test_stouffer_keeps_each_sites_direction():
    frame = summaries()
    z_sites = []
    for _, row in frame.iterrows():
        p_one = (
            row["wilcoxon_p"] / 2 if row["w_plus"] > row["w_minus"] else 1 - row["wilcoxon_p"] / 2
        )
        z_sites.append(stats.norm.isf(p_one))
    weights = np.sqrt(frame["n_pairs"].to_numpy(float))
    expected = np.sum(weights * z_sites) / math.sqrt(np.sum(weights**2))
    row = run(frame).loc["stouffer_weighted_z"]
    assert row["z"] == pytest.approx(expected, rel=1e-12)
    worse = summaries({"a": [-1, -2, -1, -3], "b": [-2, -2, -2], "c": [0, -1, 1, -4, 0]})
    assert run(worse).loc["stouffer_weighted_z", "z"] < 0


def test_excluded_and_missing_sites_are_named_with_reasons():
    frame = summaries()
    result = run(frame[frame["site_id"] != "c"], {"b": "invalid data"}, sites=("a", "b", "c"))
    assert result.loc["stratified_wilcoxon", "k"] == 1
    assert result.loc["stratified_wilcoxon", "excluded_sites"] == (
        "b: invalid data; c: no row for this role and outcome"
    )
