"""Every site of a shard at once: each site's tables are those it has alone, and the
shard does not hold the sites' clean tables."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

from revmentor.core.summary_format import (
    ITEMS_COLUMNS,
    SUMMARY_COLUMNS,
    read_items,
    read_summary,
)
from revmentor.core.tables import table_csv
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.stats.distributions import change_table
from revmentor.steps import SITE_TABLES, SiteData, shard_tables, site_tables
from revmentor.validation.clean import clean_csv, read_clean
from revmentor.validation.site import validate_site


def clean_site(instrument, folder, name: str, seed: int) -> pd.DataFrame:
    design = SiteDesign(name, {"mentor": 9, "mentee": 7}, p_missing_score=0.1, p_dropout=0.2)
    simulate_site(design, instrument, seed).to_csv(folder / f"{name}.csv", index=False)
    site = {"site_id": name, "name": name, "format": "responses", "file": f"{name}.csv"}
    _, checked = validate_site(folder / f"{name}.csv", site, instrument)
    (folder / f"{name}.clean.csv").write_text(clean_csv(checked, instrument), "utf-8")
    return read_clean(folder / f"{name}.clean.csv", instrument)


@pytest.fixture(scope="module")
def sites(instrument, tmp_path_factory) -> list[SiteData]:
    """Participant-level sites, an excluded one between them, and a summary-only one."""
    folder = tmp_path_factory.mktemp("shard")
    cleans = {name: clean_site(instrument, folder, name, seed) for seed, name in enumerate("abc")}
    # a summary-only site's tables, read back as the statistics job reads them
    sent = site_tables("sent", instrument, 3, cleans["c"])
    summary_csv = sent["summary"].assign(site_id="sent", smcc=np.nan, smcc_var=np.nan)
    (folder / "summary.csv").write_text(
        table_csv(summary_csv, SUMMARY_COLUMNS, for_people=False), "utf-8"
    )
    (folder / "items.csv").write_text(
        table_csv(sent["items"].assign(site_id="sent"), ITEMS_COLUMNS, for_people=False), "utf-8"
    )
    summary, items = read_summary(folder / "summary.csv"), read_items(folder / "items.csv")
    return [
        SiteData("a", cleans["a"]),
        SiteData("excluded"),
        SiteData("b", cleans["b"]),
        SiteData("sent", summary=summary, items=items),
        SiteData("c", cleans["c"]),
    ]


def test_each_sites_tables_in_the_shard_are_its_tables_alone(sites, instrument):
    shard = shard_tables(sites, instrument, 3)
    for position, site in enumerate(sites):
        alone = site_tables(site.site_id, instrument, 3, site.clean, site.summary, site.items)
        for table in SITE_TABLES:
            got = shard.site_frame(table, position)
            if alone[table] is None:
                assert got is None, (site.site_id, table)
            else:
                pd.testing.assert_frame_equal(got, alone[table])
    assert shard.rows["summary"][1] is None and shard.rows["likert"][3] is None
    # the summary-only site gains the SMCC it did not send
    assert shard.site_frame("summary", 3)["smcc"].notna().any()


def test_each_sites_csv_is_its_own_table_written_alone(sites, instrument):
    shard = shard_tables(sites, instrument, 3)
    for table, columns in SITE_TABLES.items():
        text, per_site = shard.csv_texts(table)
        frames = [shard.site_frame(table, position) for position in range(len(sites))]
        assert per_site == [table_csv(frame, columns, for_people=False) for frame in frames]
        stacked = pd.concat([frame for frame in frames if frame is not None and len(frame)])
        assert text == table_csv(stacked, columns, for_people=False)
    changes = [
        change_table(site.clean, instrument, site.site_id)
        for site in sites
        if site.clean is not None
    ]
    pd.testing.assert_frame_equal(shard.changes, pd.concat(changes))


def test_the_shard_holds_at_most_two_clean_tables_at_once(sites, instrument):
    """Sites are read one at a time: while the next is read, only the one before it may
    still be in memory (the loop's variable), never the earlier ones."""
    alive, held = [], []

    def one_at_a_time():
        for site in sites:
            gc.collect()
            held.append(sum(reference() is not None for reference in alive))
            if site.clean is None:
                yield site
                continue
            copy = site.clean.copy()
            alive.append(weakref.ref(copy))
            yield SiteData(site.site_id, copy)

    shard = shard_tables(one_at_a_time(), instrument, 3)
    assert len(alive) == 3 and max(held) <= 1, held
    assert shard.tables["summary"] is not None
