"""The 'why do sites differ?' line of each headline outcome, from the pooled tables."""

import math

import numpy as np
import pandas as pd

from revmentor.core.moderators import CATEGORICAL, NUMERIC, Moderator
from revmentor.pooling.consortium import Pooling, meta_table
from revmentor.pooling.heterogeneity import influence_table, moderator_tables
from revmentor.report.heterogeneity import heterogeneity_lines, heterogeneity_table

SITES = [f"h{i}" for i in range(1, 9)]
HOURS = [4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 30.0]
KINDS = ["teaching", "district"] * 4
POOLING = {"measure": "MD", "method": "REML", "test": "hksj", "level": 0.95}


def frames(hours=HOURS):
    rng = np.random.default_rng(3)
    y = 0.2 + 0.05 * np.array(hours) + rng.normal(0, 0.05, len(SITES))
    v = rng.uniform(0.01, 0.03, len(SITES))
    summaries = pd.DataFrame(
        {
            "site_id": SITES,
            "role": "mentor",
            "outcome": "total",
            "n_pairs": 25,
            "mean_diff": y,
            "sd_diff": np.sqrt(v * 25),
            "smcc": y,
            "smcc_var": v,
        }
    )
    plan = Pooling(("mentor",), ("total",), tuple(SITES), dict.fromkeys(SITES, "2024"), {})
    moderators = (
        Moderator("mentoring_hours", NUMERIC, "Hours"),
        Moderator("hospital_type", CATEGORICAL, "Type", ("teaching", "district")),
    )
    values = {
        "mentoring_hours": dict(zip(SITES, hours, strict=True)),
        "hospital_type": dict(zip(SITES, KINDS, strict=True)),
    }
    meta, _ = meta_table(summaries, plan)
    regressions, _ = moderator_tables(summaries, plan, moderators, values)
    return meta, regressions, influence_table(summaries, plan)


def test_each_moderator_gets_its_share_of_tau2_and_test():
    meta, regressions, influence = frames()
    table = heterogeneity_table(meta, regressions, influence, [("mentor", "total")], POOLING)
    row = table.iloc[0]
    fit = regressions[
        (regressions["measure"] == "MD")
        & (regressions["method"] == "REML")
        & (regressions["test"] == "hksj")
        & (regressions["moderator"] == "mentoring_hours")
    ].iloc[0]
    assert fit["r2"] > 50
    assert row["moderators_explain"].startswith(
        f"mentoring_hours explains {fit['r2']:.0f}% of tau² (F = {fit['qm']:.3g} on 1 and 6 df; "
    )
    assert "; hospital_type explains" in row["moderators_explain"]
    flagged = influence[
        (influence["method"] == "REML")
        & (influence["measure"] == "MD")
        & (influence["influential"] == "yes")
    ]["site_id"]
    assert row["influential_sites"] == (" ".join(flagged) if len(flagged) else "none")
    (line,) = heterogeneity_lines(table)
    assert line.startswith(f"Why sites differ, mentor total (I² {row['i2']:.0f}%): mentoring_hours")
    assert line.endswith(f"Influential site: {row['influential_sites']}.")
    assert not math.isnan(row["tau2"])


def test_a_model_that_cannot_be_fitted_says_why():
    meta, regressions, influence = frames(hours=[8.0] * len(SITES))
    table = heterogeneity_table(meta, regressions, influence, [("mentor", "total")], POOLING)
    assert table.iloc[0]["moderators_explain"].startswith(
        "mentoring_hours not estimated: the moderator has the same value at every site"
    )


def test_an_ad_hoc_primary_test_reads_the_knapp_hartung_moderator_rows():
    meta, regressions, influence = frames()
    adhoc = {**POOLING, "test": "adhoc"}
    table = heterogeneity_table(meta, regressions, influence, [("mentor", "total")], adhoc)
    hksj = heterogeneity_table(meta, regressions, influence, [("mentor", "total")], POOLING)
    assert table.iloc[0]["moderators_explain"] == hksj.iloc[0]["moderators_explain"]
    assert table.iloc[0]["moderators_explain"].startswith("mentoring_hours explains")
