"""Small-cell suppression in the consortium's items table, by Table 1's rule (``suppress``):
a count from 1 to min_cell − 1 reads "<min_cell", the count that n would give it back by
reads "*", and no share, model share or site McNemar p stands beside a hidden count. The
hospital page shows the same cells by the same function."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from revmentor.inprocess import run_consortium
from revmentor.pooling.items import pooled_items
from revmentor.report.assemble import items_suppression_note
from revmentor.report.page.site import items_table as site_items_table
from revmentor.report.tables import POOLED_SCOPE, items_table
from revmentor.stats.items import items_frame
from revmentor.stats.proportions import mcnemar_exact_p
from tests.item_rows import answer_row, pair_row

REPO = Path(__file__).resolve().parents[2]
SHARES = ("percent", "ci_low", "ci_high")
MODEL = ("model_share_percent", "model_share_ci_low", "model_share_ci_high")


def binary(site: str, count: int, n: int, item: str = "experienced_time") -> dict:
    return answer_row(site, item, n, count)


def level(site: str, name: str, count: int, n: int) -> dict:
    return answer_row(site, "relationship_effect", n, count, "categorical", name)


def pair(site: str, both_yes: int, before_only: int, after_only: int, both_no: int) -> dict:
    return pair_row(site, "time", both_yes, before_only, after_only, both_no)


def table(records: list[dict], min_cell: int = 5) -> pd.DataFrame:
    items = items_frame(records)
    sites = list(dict.fromkeys(items["site_id"]))
    pooled = pooled_items(items, ("mentor",), sites, {})
    return items_table(items, pooled, sites, min_cell).set_index(["scope", "item", "level"])


def cells(frame: pd.DataFrame, key: tuple, columns: tuple[str, ...]) -> tuple:
    row = frame.loc[key]
    return tuple("" if pd.isna(row[c]) else row[c] for c in columns)


def test_a_binary_count_of_2_of_30_and_its_complement_are_hidden():
    frame = table([binary("a", 2, 30), binary("b", 28, 30), binary("c", 15, 30)])
    columns = ("n", "count", *SHARES, "suppressed")
    assert cells(frame, ("a", "experienced_time", ""), columns) == (
        "30", "<5", "", "", "", "yes"
    )  # fmt: skip
    # 28 of 30 says the "no" answers are 2: hidden as Table 1 hides a 2-level variable.
    assert cells(frame, ("b", "experienced_time", ""), columns) == (
        "30", "*", "", "", "", "yes"
    )  # fmt: skip
    assert cells(frame, ("c", "experienced_time", ""), columns)[:3] == ("30", "15", 50.0)
    pooled = frame.loc[(POOLED_SCOPE, "experienced_time", "")]
    assert (pooled["count"], pooled["percent"], pooled["suppressed"]) == ("45", 50.0, "no")
    assert pooled["model_share_percent"] == pytest.approx(50.0, abs=1)


def test_a_small_all_sites_count_hides_its_share_and_its_model_share():
    frame = table([binary("a", 1, 50), binary("b", 0, 51)])
    pooled = cells(frame, (POOLED_SCOPE, "experienced_time", ""), ("n", "count", *SHARES, *MODEL))
    assert pooled == ("101", "<5", "", "", "", "", "", "")
    # Zero is not a small cell.
    assert cells(frame, ("b", "experienced_time", ""), ("count", "percent")) == ("0", 0.0)


def test_a_categorical_items_levels_are_one_group():
    records = [level("a", "positive", 10, 13), level("a", "negative", 3, 13)]
    records += [level("a", "none", 0, 13)]
    frame = table(records)
    shown = [
        cells(frame, ("a", "relationship_effect", name), ("count", "percent", "suppressed"))
        for name in ("positive", "negative", "none")
    ]
    assert shown == [("*", "", "yes"), ("<5", "", "yes"), ("0", 0.0, "no")]


def test_a_small_n_is_hidden_as_table_1_hides_it():
    frame = table([binary("a", 0, 4), binary("b", 20, 40)])
    assert cells(frame, ("a", "experienced_time", ""), ("n", "count", "percent")) == (
        "<5", "0", ""
    )  # fmt: skip


def test_a_concern_pair_hides_small_discordant_counts_and_a_sites_mcnemar_p():
    frame = table([pair("a", 5, 6, 2, 20), pair("b", 4, 8, 1, 30)])
    columns = ("before_only", "after_only", "paired_p", "suppressed")
    key = "concern_time -> experienced_time"
    # A site's exact McNemar p is a function of the two counts: it goes with a hidden one.
    assert cells(frame, ("a", "time", key), columns) == ("6", "<5", "", "yes")
    # The all-sites Mantel-Haenszel p sums several sites' tables: it stays.
    pooled = cells(frame, (POOLED_SCOPE, "time", key), columns)
    assert pooled[:2] == ("14", "<5") and pooled[3] == "yes"
    assert pooled[2] == pytest.approx(mcnemar_exact_p(14, 3))
    shown = table([pair("a", 5, 6, 7, 20), pair("b", 4, 8, 5, 30)])
    assert cells(shown, ("a", "time", key), columns) == (
        "6", "7", pytest.approx(mcnemar_exact_p(6, 7)), "no"
    )  # fmt: skip


def test_min_cell_0_shows_every_count():
    frame = table([binary("a", 2, 30), binary("b", 28, 30), pair("a", 5, 6, 2, 20)], 0)
    assert cells(frame, ("a", "experienced_time", ""), ("count", "suppressed")) == ("2", "no")
    assert cells(frame, ("b", "experienced_time", ""), ("count", "suppressed")) == ("28", "no")
    assert frame.loc[("a", "experienced_time", ""), "percent"] == pytest.approx(100 * 2 / 30)
    pair_row = frame.loc[("a", "time", "concern_time -> experienced_time")]
    assert (pair_row["after_only"], pair_row["paired_p"]) == ("2", mcnemar_exact_p(6, 2))
    assert items_suppression_note(0) == "Small-cell suppression is off (disclosure.min_cell = 0)."


def test_the_note_says_the_rule():
    assert items_suppression_note(5) == (
        "Counts (n, count, before_only, after_only) from 1 to 4 are shown as <5; * marks a "
        "second count hidden so that n cannot reveal a small one (a binary item's yes and no, "
        "a categorical item's levels). Where a count is hidden, so are its percent, CI and "
        "model-based share and, at a site, a concern pair's McNemar p (the all-sites "
        "Mantel-Haenszel p stays: it does not give the counts back). withheld: the site "
        "withheld the count before sending it. suppressed = yes marks the row."
    )


def test_the_hospital_page_and_the_items_table_show_the_same_cells():
    records = [binary("a", 2, 30), binary("b", 1, 71), binary("a", 12, 30, "benefited")]
    records += [binary("b", 40, 71, "benefited")]
    items = items_frame(records)
    pooled = pooled_items(items, ("mentor",), ["a", "b"], {})
    consortium = items_table(items, pooled, ["a", "b"], 5).set_index(["scope", "item"])
    page = site_items_table(items[items["site_id"] == "a"], pooled, ["mentor"], {}, 5)
    for row in page.rows:
        item = row[1].text
        texts = [cell.text for cell in row]
        for scope, (count_at, share_at) in (("a", (2, 3)), (POOLED_SCOPE, (4, 5))):
            expected = consortium.loc[(scope, item)]
            assert texts[count_at] == f"{expected['count']} of {expected['n']}", (scope, item)
            hidden = expected["suppressed"] == "yes"
            assert (texts[share_at] == "suppressed (small count)") == hidden, (scope, item)
    [time] = [[cell.text for cell in row] for row in page.rows if row[1].text == "experienced_time"]
    assert time[2:] == [
        "<5 of 30",
        "suppressed (small count)",
        "<5 of 101",
        "suppressed (small count)",
    ]


@pytest.fixture(scope="module")
def example(config):
    """The example consortium's items table (results/tables/items.csv), built in-process."""
    chosen = copy.deepcopy(config)
    return run_consortium(chosen, REPO)["table_items"], chosen["disclosure"]["min_cell"]


def test_the_example_shows_no_small_count_and_no_share_beside_a_hidden_one(example):
    frame, min_cell = example
    assert min_cell == 5
    small = {str(count) for count in range(1, min_cell)}
    for column in ("n", "count", "before_only", "after_only"):
        assert not frame[column].isin(small).any(), column
    numbers = frame[["n", "count"]].apply(lambda c: c.str.isdigit())
    hidden = frame[(frame["kind"] != "concern_pair") & ~(numbers["n"] & numbers["count"])]
    assert len(hidden) > 0
    assert hidden[[*SHARES, *MODEL]].isna().all().all()
    assert (hidden["suppressed"] == "yes").all()
    pairs = frame[frame["kind"] == "concern_pair"]
    site_pairs = pairs[pairs["scope"] != POOLED_SCOPE]
    pair_hidden = ~(
        site_pairs["before_only"].str.isdigit() & site_pairs["after_only"].str.isdigit()
    )
    assert pair_hidden.any()
    assert site_pairs.loc[pair_hidden, "paired_p"].isna().all()
    # The issue's example: mentors' experienced_relationship, 1 of 101, all sites.
    row = frame[
        (frame["scope"] == POOLED_SCOPE)
        & (frame["role"] == "mentor")
        & (frame["item"] == "experienced_relationship")
    ].iloc[0]
    assert (row["n"], row["count"], row["suppressed"]) == ("101", "<5", "yes")
    assert pd.isna(row["percent"]) and pd.isna(row["model_share_percent"])


def test_a_count_the_site_withheld_reads_withheld_and_nobody_answering_reads_empty():
    records = [
        {**binary("a", 0, 16), "count": None, "proportion": None, "ci_low": None},
        {**binary("b", 0, 0), "count": None, "proportion": None, "ci_low": None},
        binary("c", 10, 40),
    ]
    frame = table(records)
    columns = ("n", "count", "percent", "suppressed")
    assert cells(frame, ("a", "experienced_time", ""), columns) == ("16", "withheld", "", "yes")
    assert cells(frame, ("b", "experienced_time", ""), columns) == ("0", "", "", "no")
    assert cells(frame, (POOLED_SCOPE, "experienced_time", ""), columns) == ("40", "10", 25.0, "no")
