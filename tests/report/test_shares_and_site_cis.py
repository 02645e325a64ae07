"""Issue 13, what misled: a pooled share that its own count contradicted, and a site's CI
that differed between the sites table and the forest plot without saying why."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.inprocess import analyse
from revmentor.pooling.items import pooled_items
from revmentor.report import assemble
from revmentor.report.tables import MODEL_SHARE_LABEL, POOLED_SCOPE, items_table
from revmentor.stats.items import items_frame
from revmentor.stats.proportions import clopper_pearson_interval
from tests.reference import load
from tests.report.golden import build, golden_config, golden_settings

SHARES = load("share_intervals")["cases"]


@pytest.mark.parametrize("case", SHARES, ids=lambda c: f"{c['x']}of{c['n']}@{c['level']}")
def test_clopper_pearson_matches_r_binom_test(case):
    low, high = clopper_pearson_interval(case["x"], case["n"], case["level"])
    assert low == pytest.approx(case["clopper_pearson_low"], rel=1e-6, abs=1e-12)
    assert high == pytest.approx(case["clopper_pearson_high"], rel=1e-6, abs=1e-12)


def test_clopper_pearson_has_no_interval_without_answers():
    assert clopper_pearson_interval(0, 0) is None


@pytest.fixture(scope="module")
def consortium(tmp_path_factory, config, instrument):
    """The golden consortium's frames and its report tables with their notes."""
    sites = build(tmp_path_factory.mktemp("shares"), instrument)
    frames = analyse(sites, golden_config(config))
    return frames, assemble.all_tables(frames, golden_settings(sites, config, instrument))


def test_every_share_in_the_items_table_is_its_own_count_over_n(consortium):
    _, tables = consortium
    shares = tables["items"].frame
    shares = shares[shares["kind"] != "concern_pair"]
    shown = shares[shares["suppressed"] == "no"]
    hidden = shares[shares["suppressed"] == "yes"]
    assert len(shown) > 0 and len(hidden) > 0
    for row in shown.to_dict("records"):
        where = f"{row['scope']} {row['role']} {row['item']} {row['level']}"
        count, n = int(row["count"]), int(row["n"])
        assert round(row["percent"], 2) == round(100 * count / n, 2), where
        assert row["ci_low"] <= row["percent"] <= row["ci_high"], where
    # A suppressed count has no share to contradict it (nor one that would give it back).
    for row in hidden.to_dict("records"):
        where = f"{row['scope']} {row['role']} {row['item']} {row['level']}"
        assert not (row["count"].isdigit() and row["n"].isdigit()), where
        for column in ("percent", "ci_low", "ci_high", "model_share_percent"):
            assert pd.isna(row[column]), f"{where} {column}"


def test_each_row_names_its_interval(consortium):
    _, tables = consortium
    shares = tables["items"].frame
    shares = shares[shares["kind"] != "concern_pair"]
    assert set(shares.loc[shares["scope"] == POOLED_SCOPE, "ci_method"]) == {
        "Clopper-Pearson (exact)"
    }
    assert set(shares.loc[shares["scope"] != POOLED_SCOPE, "ci_method"]) == {"Wilson"}


def site_items(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """One binary item's rows per site: {site: (count, n_answered)}."""
    return items_frame(
        [
            {
                "site_id": site,
                "role": "mentor",
                "kind": "categorical",
                "item": "relationship_effect",
                "level": "negative",
                "timepoint": "post",
                "n_answered": n,
                "count": x,
                "proportion": x / n,
            }
            for site, (x, n) in counts.items()
        ]
    )


def test_nobody_out_of_101_reads_0_percent_and_the_model_share_has_its_own_columns():
    # The case: mentors, relationship_effect = negative, 0 of 101, was shown as
    # "percent 3.28 (1.06-9.71)". The logit pool adds 0.5 to zero cells, so it is > 0.
    sites = site_items({"a": (0, 30), "b": (0, 40), "c": (0, 31)})
    pooled = pooled_items(sites, ("mentor",), ["a", "b", "c"], {})
    table = items_table(sites, pooled, ["a", "b", "c"], 5)
    row = table[table["scope"] == POOLED_SCOPE].iloc[0]
    # Zero is not a small cell: 0 of 101 is shown, with its share.
    assert (row["n"], row["count"], row["percent"], row["ci_low"]) == ("101", "0", 0.0, 0.0)
    # binom.test(0, 101)$conf.int: upper limit 1 - 0.025^(1/101).
    assert row["ci_high"] == pytest.approx(100 * (1 - 0.025 ** (1 / 101)), rel=1e-9)
    assert row["ci_method"] == "Clopper-Pearson (exact)"
    assert row["model_share_percent"] == pytest.approx(100 * pooled.iloc[0]["re_proportion"])
    assert row["model_share_percent"] > 0
    assert row["model_share_ci_low"] == pytest.approx(100 * pooled.iloc[0]["re_ci_low"])
    assert row["model_share_ci_high"] == pytest.approx(100 * pooled.iloc[0]["re_ci_high"])
    sites_rows = table[table["scope"] != POOLED_SCOPE]
    assert sites_rows["model_share_percent"].isna().all()


def test_items_notes_say_which_share_is_which(consortium):
    _, tables = consortium
    assert MODEL_SHARE_LABEL == "model-based share across sites (random effects, logit)"
    assert tables["items"].notes[:2] == (
        "percent is always the observed share, count / n. Per site: Wilson 95% CI; exact "
        "McNemar p for each concern anticipated before and experienced after. All sites: "
        "every participant of the contributing sites, with the exact (Clopper-Pearson) CI; "
        "ci_method names the interval of each row.",
        "model_share_percent, model_share_ci_low, model_share_ci_high (all sites only): the "
        "model-based share across sites (random effects, logit), REML, 0.5 added to a site's "
        "zero cells. It lets sites differ, so it need not equal count / n.",
    )


def test_sites_table_names_the_paired_t_ci_and_gives_the_pooled_ci(consortium):
    frames, tables = consortium
    sites = tables["sites"].frame
    assert "ci_low" not in sites.columns and "ci_high" not in sites.columns
    summaries = frames["summaries"].set_index(["site_id", "role", "outcome"])
    primary = frames["meta"][frames["meta"]["primary"] == "yes"]
    used = frames["weights"].merge(primary[["role", "outcome", "measure", "method"]])
    used = used.set_index(["site_id", "role", "outcome"])
    included = sites[sites["included"] == "yes"]
    assert len(included) > 0
    for row in included.to_dict("records"):
        key = (row["site_id"], row["role"], row["outcome"])
        assert row["paired_t_ci_low"] == summaries.loc[key, "t_ci_low"]
        assert row["paired_t_ci_high"] == summaries.loc[key, "t_ci_high"]
        # The interval the forest plot draws: yi ± z·√vi, from weights.csv.
        assert row["pooled_ci_low"] == used.loc[key, "ci_low"]
        assert row["pooled_ci_high"] == used.loc[key, "ci_high"]
        z = 1.959963984540054
        yi, vi = used.loc[key, "yi"], used.loc[key, "vi"]
        assert row["pooled_ci_low"] == pytest.approx(yi - z * vi**0.5, rel=1e-9)
        assert row["mean_diff"] == pytest.approx(yi, rel=1e-12)
    excluded = sites[sites["included"] == "no"]
    assert excluded["pooled_ci_low"].isna().all()


def test_sites_table_note_says_why_the_two_cis_differ(consortium):
    _, tables = consortium
    assert tables["sites"].notes[1:] == (
        "mean_diff: mean change, with its paired-t 95% CI (paired_t_ci_low, "
        "paired_t_ci_high: t with n - 1 degrees of freedom); wilcoxon_p: Wilcoxon "
        "signed-rank as SPSS prints it; smcc: standardised mean change.",
        "Where the pooled analysis uses the normal approximation (\u221avi), a site's CI "
        "differs from its paired-t CI: pooled_ci_low and pooled_ci_high are the site's "
        "estimate (MD, as mean_diff) \u00b1 z \u00d7 \u221avi, the interval the pooled "
        "analysis and the forest plot use for the site. The paired-t CI of the mean change "
        "uses t with n - 1 degrees of freedom (wider than z, most so for small sites).",
    )


def test_the_note_names_the_smcc_scale_when_that_is_primary():
    note = assemble.pooled_site_ci_note({"measure": "SMCC"})
    assert "estimate (SMCC, as smcc) \u00b1 z \u00d7 \u221avi" in note
