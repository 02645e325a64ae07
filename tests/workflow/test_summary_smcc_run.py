"""End to end: summary-only sites that send no smcc enter the SMCC meta-analysis, with the
values metafor derives and pools."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.reference import load

pytestmark = pytest.mark.slow
DERIVED = "smcc and smcc_var derived from mean_diff, sd_diff and n_pairs (metafor escalc SMCC)"


def test_summary_sites_without_smcc_enter_the_smcc_analysis(workspace):
    """Eight summary sites sending only n_pairs/mean_diff/sd_diff: metafor's sim_smcc is
    escalc(measure="SMCC") of exactly these, pooled with rma()."""
    dataset = next(d for d in load("meta_analysis")["datasets"] if d["name"] == "sim_smcc")
    sites = dataset["site_summaries"]
    workspace.write_summary_sites(sites)
    # One shard for all the sites: two shard jobs, not two per site; how sites are batched
    # never changes a pooled number (test_frozen_outputs.py fixes it only for the shard tables).
    workspace.set_config(**{"execution.shards": 1})
    workspace.snakemake("results/pooled/meta_analysis.csv", check=True)

    for index, (yi, vi) in enumerate(zip(dataset["yi"], dataset["vi"], strict=True), 1):
        sent = pd.read_csv(workspace.root / f"results/sites/site{index}/summary.csv")
        assert sent.loc[0, "smcc"] == pytest.approx(yi, rel=1e-9)
        assert sent.loc[0, "smcc_var"] == pytest.approx(vi, rel=1e-9)
        assert sent.loc[0, "note"] == DERIVED

    pooled = pd.read_csv(workspace.root / "results/pooled/meta_analysis.csv")
    ours = pooled[(pooled["role"] == "mentor") & (pooled["outcome"] == "total")]
    ours = ours[ours["measure"] == "SMCC"].set_index(["method", "test"])
    for reference in dataset["results"]:
        test = "hksj" if reference["test"] == "knha" else "z"
        row = ours.loc[(reference["method"], test)]
        assert row["k"] == 8 and row["n_participants"] == sum(sites["n_pairs"])
        assert pd.isna(row["excluded_sites"])
        for field in ("estimate", "se", "ci_low", "ci_high", "stat", "p", "tau2", "i2", "h2",
                      "q", "q_p", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"):  # fmt: skip
            expected = reference[field]
            if expected is None:
                assert pd.isna(row[field]), field
            else:
                assert row[field] == pytest.approx(expected, rel=1e-6, abs=1e-10), (
                    reference["method"], test, field,
                )  # fmt: skip
