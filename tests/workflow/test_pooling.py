"""End to end: pooled outputs, and a summary-only consortium reproducing metafor."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.reference import load

pytestmark = pytest.mark.slow
POOLED = (
    "meta_analysis",
    "weights",
    "leave_one_out",
    "cumulative",
    "combined_tests",
    "items",
    "ipd_model",
    "descriptives",
)


def test_summary_only_consortium_reproduces_metafor(workspace):
    """Eight summary sites whose n_pairs/mean_diff/sd_diff are metafor's sim_md inputs."""
    dataset = next(d for d in load("meta_analysis")["datasets"] if d["name"] == "sim_md")
    sites = dataset["site_summaries"]
    workspace.write_summary_sites(sites)
    # One shard for all the sites: two shard jobs, not two per site; how sites are batched
    # never changes a pooled number (test_frozen_outputs.py fixes it only for the shard tables).
    workspace.set_config(**{"execution.shards": 1})
    workspace.snakemake("results/pooled/meta_analysis.csv", check=True)
    pooled = pd.read_csv(workspace.root / "results/pooled/meta_analysis.csv")
    ours = pooled[(pooled["role"] == "mentor") & (pooled["outcome"] == "total")]
    ours = ours[ours["measure"] == "MD"].set_index(["method", "test"])
    for reference in dataset["results"]:
        test = "hksj" if reference["test"] == "knha" else "z"
        row = ours.loc[(reference["method"], test)]
        assert row["k"] == 8 and row["n_participants"] == sum(sites["n_pairs"])
        for field in ("estimate", "se", "ci_low", "ci_high", "stat", "p", "tau2", "i2", "h2",
                      "q", "q_p", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"):  # fmt: skip
            expected = reference[field]
            if expected is None:
                assert pd.isna(row[field]), field
            else:
                assert row[field] == pytest.approx(expected, rel=1e-6, abs=1e-10), (
                    reference["method"], test, field,
                )  # fmt: skip


def test_example_consortium_writes_every_pooled_file_without_inf_or_nan_text(example_run):
    workspace = example_run
    for name in POOLED:
        text = (workspace.root / f"results/pooled/{name}.csv").read_text()
        assert "inf" not in text.lower().replace("info", "") and "nan" not in text.lower(), name
        assert "SYN-" not in text
    meta = pd.read_csv(workspace.root / "results/pooled/meta_analysis.csv")
    primary = meta[meta["primary"] == "yes"]
    assert set(primary[["measure", "method", "test"]].itertuples(index=False, name=None)) == {
        ("MD", "REML", "hksj")
    }
    # roles x outcomes x measures x (FE with z + DL, REML, PM each with z, hksj, adhoc)
    assert len(meta) == 2 * 8 * 2 * 10
    ipd = pd.read_csv(workspace.root / "results/pooled/ipd_model.csv").set_index(
        ["role", "outcome"]
    )
    total = ipd.loc[("mentor", "total")]
    assert total["k_sites"] == 5 and "oakfield: summary-only site" in total["sites_not_in_model"]
    assert abs(total["difference"]) < 0.25 * total["se"]
