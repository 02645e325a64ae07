"""Pooled item results against R (metafor, binom.test) and the Mantel–Haenszel analysis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from revmentor.core.summary_format import ITEM_NOT_COLLECTED
from revmentor.pooling.items import (
    ITEMS_POOLED_COLUMNS,
    NO_AFTER_ONLY,
    NO_BEFORE_ONLY,
    NO_DISCORDANT,
    NO_ROW,
    NO_SITE,
    NOBODY_ANSWERED,
    ONE_SITE,
    exact_proportion,
    logit_effects,
    mantel_haenszel_pairs,
    pooled_items,
)
from revmentor.stats.items import items_frame
from tests.reference import close, load

ITEMS = load("items_pooling")["sets"]
PROPORTIONS = load("proportions")
ROLES = ("mentor",)


def binary_rows(counts: dict[str, tuple[int, int]], item: str = "benefited") -> list[dict]:
    """Items rows of one binary item: {site: (count, n_answered)}."""
    return [
        {
            "site_id": site,
            "role": "mentor",
            "kind": "binary",
            "item": item,
            "level": "",
            "timepoint": "post",
            "n_answered": n,
            "count": x,
        }
        for site, (x, n) in counts.items()
    ]


def pair_rows(tables: dict[str, tuple[int, int, int, int]]) -> list[dict]:
    """Items rows of one concern pair: {site: (both_yes, before_only, after_only, both_no)}."""
    return [
        {
            "site_id": site,
            "role": "mentor",
            "kind": "concern_pair",
            "item": "time",
            "level": "concern_time -> experienced_time",
            "timepoint": "pre -> post",
            "n_pairs": sum(table),
            **dict(zip(("both_yes", "before_only", "after_only", "both_no"), table, strict=True)),
        }
        for site, table in tables.items()
    ]


def pool(records: list[dict], sites=None, excluded=None):
    frame = items_frame(records)
    order = sites or list(dict.fromkeys(frame["site_id"]))
    return pooled_items(frame, ROLES, order, excluded or {})


@pytest.mark.parametrize("case", ITEMS, ids=lambda c: c["name"])
def test_logit_effects_match_escalc_only0(case):
    y, v = logit_effects(np.array(case["xi"]), np.array(case["ni"]))
    assert close(list(y), case["yi"]) and close(list(v), case["vi"])


@pytest.mark.parametrize("case", ITEMS, ids=lambda c: c["name"])
def test_random_effects_proportion_matches_metafor(case):
    sites = {f"s{i}": (x, n) for i, (x, n) in enumerate(zip(case["xi"], case["ni"], strict=True))}
    row = pool(binary_rows(sites)).iloc[0]
    assert row["k"] == len(sites)
    assert close(row["re_proportion"], case["pred"])
    assert close(row["re_ci_low"], case["ci_lb"]) and close(row["re_ci_high"], case["ci_ub"])
    # On the boundary metafor stops its step-halving at ~4e-13, not at 0.
    assert row["re_tau2"] == pytest.approx(case["tau2"], abs=1e-9)


@pytest.mark.parametrize("case", PROPORTIONS["proportions"], ids=lambda c: f"{c['x']}of{c['n']}")
def test_clopper_pearson_matches_r_binom_test(case):
    row = exact_proportion(case["x"], case["n"], 0.95)
    assert close(row["exact_ci_low"], case["clopper_pearson_low"])
    assert close(row["exact_ci_high"], case["clopper_pearson_high"])


def test_exact_companion_sums_every_participant():
    # 3/6 + 14/34 = 17/40, whose binom.test interval is in proportions.json.
    reference = next(c for c in PROPORTIONS["proportions"] if (c["x"], c["n"]) == (17, 40))
    row = pool(binary_rows({"a": (3, 6), "b": (14, 34)})).iloc[0]
    assert (row["n_answered"], row["count"]) == (40, 17)
    assert row["proportion"] == pytest.approx(17 / 40)
    assert close(row["exact_ci_low"], reference["clopper_pearson_low"])
    assert close(row["exact_ci_high"], reference["clopper_pearson_high"])


def test_mantel_haenszel_by_hand_and_as_mcnemar():
    # Sites (both_yes, before_only, after_only, both_no): pooled b = 5, c = 2.
    row = pool(pair_rows({"a": (1, 3, 1, 2), "b": (2, 2, 1, 2)})).iloc[0]
    assert (row["n_pairs"], row["both_yes"], row["before_only"], row["after_only"]) == (14, 3, 5, 2)
    assert row["both_no"] == 4 and row["k"] == 2
    assert row["mh_odds_ratio"] == pytest.approx(2 / 5, rel=1e-12)
    half = 1.959963984540054 * math.sqrt(1 / 5 + 1 / 2)
    assert row["mh_ci_low"] == pytest.approx(0.4 * math.exp(-half), rel=1e-12)
    assert row["mh_ci_high"] == pytest.approx(0.4 * math.exp(half), rel=1e-12)
    assert row["mh_chi2"] == pytest.approx(9 / 7, rel=1e-12)
    mcnemar = next(c for c in PROPORTIONS["mcnemar"] if (c["b"], c["c"]) == (5, 2))
    assert close(row["mh_p"], mcnemar["asymptotic_p_uncorrected"])
    assert close(row["mcnemar_exact_p"], mcnemar["exact_p"])


def test_mantel_haenszel_equals_statsmodels_with_one_stratum_per_pair():
    both_yes, before_only, after_only, both_no = 4, 7, 3, 6
    # One 2x2 table per participant: rows after / before, columns concern yes / no.
    shapes = {
        "both_yes": [[1, 0], [1, 0]],
        "before_only": [[0, 1], [1, 0]],
        "after_only": [[1, 0], [0, 1]],
        "both_no": [[0, 1], [0, 1]],
    }
    counts = (both_yes, before_only, after_only, both_no)
    tables = [shape for shape, n in zip(shapes.values(), counts, strict=True) for _ in range(n)]
    strata = StratifiedTable(np.moveaxis(np.array(tables, dtype=float), 0, -1))
    ours = mantel_haenszel_pairs(before_only, after_only, 0.95)
    test = strata.test_null_odds(correction=False)
    low, high = strata.oddsratio_pooled_confint()
    assert ours["mh_odds_ratio"] == pytest.approx(strata.oddsratio_pooled, rel=1e-12)
    assert (ours["mh_ci_low"], ours["mh_ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert ours["mh_chi2"] == pytest.approx(test.statistic, rel=1e-12)
    assert ours["mh_p"] == pytest.approx(test.pvalue, rel=1e-12)


def empty_as_none(value):
    return None if value is None or math.isnan(value) else value


@pytest.mark.parametrize(
    ("table", "odds_ratio", "note"),
    [
        ((2, 0, 3, 1), None, NO_BEFORE_ONLY),
        ((2, 4, 0, 1), 0.0, NO_AFTER_ONLY),
        ((2, 0, 0, 1), None, NO_DISCORDANT),
    ],
)
def test_zero_discordant_cells_leave_cells_empty_not_infinite(table, odds_ratio, note):
    row = pool(pair_rows({"a": table})).iloc[0]
    assert row["note"] == note
    assert empty_as_none(row["mh_odds_ratio"]) == odds_ratio
    assert math.isnan(row["mh_ci_low"]) and math.isnan(row["mh_ci_high"])


def test_sites_left_out_are_named_with_their_reason():
    records = binary_rows({"a": (3, 6), "b": (0, 0), "c": (5, 9)})
    records[1]["note"] = ITEM_NOT_COLLECTED
    row = pool(records, ["a", "b", "c", "d"], {"c": "invalid data"}).iloc[0]
    assert row["k"] == 1 and row["n_answered"] == 6
    assert row["excluded_sites"] == (f"b: {ITEM_NOT_COLLECTED}; c: invalid data; d: {NO_ROW}")
    assert row["re_note"] == ONE_SITE
    assert row["re_proportion"] == pytest.approx(0.5)


def test_one_site_with_a_zero_cell_uses_the_corrected_logit():
    row = pool(binary_rows({"a": (0, 5)})).iloc[0]
    assert row["re_proportion"] == pytest.approx(0.5 / 6, rel=1e-12)
    assert row["proportion"] == 0 and row["exact_ci_low"] == 0


def test_no_site_answering_gives_notes_not_numbers():
    row = pool(binary_rows({"a": (0, 0)})).iloc[0]
    assert (row["k"], row["n_answered"]) == (0, 0)
    assert row["re_note"] == NO_SITE and row["note"] == NOBODY_ANSWERED
    assert math.isnan(row["re_proportion"]) and math.isnan(row["proportion"])


def test_fixed_columns_one_row_per_role_and_item_and_no_infinities():
    records = binary_rows({"a": (6, 6), "b": (0, 4)}) + pair_rows({"a": (0, 0, 3, 3)})
    frame = items_frame(records)
    table = pooled_items(frame, ("mentor", "mentee"), ["a", "b"], {})
    assert tuple(table.columns) == ITEMS_POOLED_COLUMNS
    assert list(zip(table["role"], table["kind"], strict=True)) == [
        ("mentor", "binary"),
        ("mentor", "concern_pair"),
        ("mentee", "binary"),
        ("mentee", "concern_pair"),
    ]
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()
    assert table.iloc[2]["excluded_sites"] == f"a: {NO_ROW}; b: {NO_ROW}"
