"""A count a summary-only site withheld under ``disclosure.min_cell`` is unknown, not 0: the
pooled items leave that site out of that item, say why, and the site page shows it as
withheld (in-process; the items as ``read_items`` gives them back from the site's file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from revmentor.core.disclosure import DisclosurePolicy, exported_items
from revmentor.core.summary_format import read_items
from revmentor.core.tables import csv_text
from revmentor.pooling.items import ALL_WITHHELD, WITHHELD, pooled_items
from revmentor.report.page.site import items_table
from revmentor.stats.items import items_frame
from tests.item_rows import answer_row, pair_row


def binary(site: str, count: int, n: int) -> dict:
    return answer_row(site, "experienced_time", n, count)


def pair(site: str, both_yes: int, before_only: int, after_only: int, both_no: int) -> dict:
    return pair_row(site, "time", both_yes, before_only, after_only, both_no)


def as_sent(tmp_path: Path, site: str, records: list[dict]) -> pd.DataFrame:
    """A summary-only site's items as exported, written and read back by the centre."""
    exported, _ = exported_items(items_frame(records), DisclosurePolicy())
    path = tmp_path / f"{site}_items.csv"
    path.write_text(csv_text(exported, for_people=False), encoding="utf-8")
    return read_items(path)


def test_a_withheld_count_leaves_its_site_out_of_the_pool_and_says_so(tmp_path):
    items = pd.concat(
        [
            as_sent(tmp_path, "big", [binary("big", 10, 40), pair("big", 5, 10, 5, 20)]),
            as_sent(tmp_path, "small", [binary("small", 1, 16), pair("small", 1, 8, 0, 7)]),
        ],
        ignore_index=True,
    )
    assert items.loc[items["site_id"] == "small", "count"].isna().all()
    pooled = pooled_items(items, ["mentor"], ["big", "small"], {}).set_index("kind")
    share, paired = pooled.loc["binary"], pooled.loc["concern_pair"]
    # As 0 of 16 the small site would pull the pooled share from 25% to 18%.
    assert (share["k"], share["count"], share["n_answered"]) == (1, 10, 40)
    assert share["proportion"] == 0.25
    assert share["excluded_sites"] == f"small: {WITHHELD}"
    assert WITHHELD == "count withheld by the site under disclosure.min_cell"
    assert (paired["k"], paired["n_pairs"], paired["before_only"]) == (1, 40, 10)
    assert paired["excluded_sites"] == f"small: {WITHHELD}"


def test_when_every_site_withheld_the_pool_says_so_and_not_that_nobody_answered(tmp_path):
    items = as_sent(tmp_path, "small", [binary("small", 1, 16)])
    pooled = pooled_items(items, ["mentor"], ["small"], {})
    row = pooled.iloc[0]
    assert row["k"] == 0 and row["note"] == ALL_WITHHELD
    assert ALL_WITHHELD == (
        "no count to pool: every site that answered withheld it (disclosure.min_cell)"
    )


def test_the_site_page_shows_a_withheld_count_as_withheld(tmp_path):
    items = as_sent(tmp_path, "small", [binary("small", 1, 16)])
    pooled = pooled_items(
        pd.concat([items, items_frame([binary("big", 10, 40)])], ignore_index=True),
        ["mentor"],
        ["big", "small"],
        {},
    )
    table = items_table(items, pooled, ["mentor"], {"experienced_time": "Time"}, 5)
    assert [cell.text for cell in table.rows[0]] == [
        "Mentor",
        "Time",
        "withheld of 16",
        "withheld by the hospital (small count): not in the pooled share",
        "10 of 40",
        "25% (13 to 41)",
    ]
