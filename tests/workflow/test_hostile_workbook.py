"""End to end (issue 10): a site whose workbook cannot be read, and a site over a size limit
set in the config, each get their own report, and under `exclude` the run goes on."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>\n'
)


def _plant_entity_bomb(path) -> None:
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                data = ENTITY_BOMB + data[data.index(b"<worksheet") :]
            target.writestr(name, data)


def test_unreadable_and_oversized_sites_are_reported_and_excluded(workspace):
    _plant_entity_bomb(workspace.root / "data/example/riverside.xlsx")
    # hillcrest.csv (14 KB) is the only file over 12 KB: the limit must reach the shard job.
    workspace.set_config(
        **{"validation.on_invalid_site": "exclude", "validation.max_file_mb": 0.012}
    )
    workspace.snakemake("results/pooled/meta_analysis.csv", check=True)

    def report(site_id: str) -> dict:
        return json.loads((workspace.root / f"results/validation/{site_id}.json").read_text())

    riverside = report("riverside")
    assert [(e["row"], e["check"]) for e in riverside["errors"]] == [(None, "unreadable_workbook")]
    assert riverside["errors"][0]["message"] == (
        "the file is not a readable .xlsx workbook: its part xl/worksheets/sheet1.xml declares "
        "a DOCTYPE (XML entities), which no spreadsheet program writes and which can be used "
        "to exhaust memory; save the sheet again from Excel, as .xlsx or as CSV UTF-8"
    )
    hillcrest = report("hillcrest")
    assert [e["check"] for e in hillcrest["errors"]] == ["file_size_limit"]
    assert (
        "The limit is validation.max_file_mb in config/config.yaml"
        in (hillcrest["errors"][0]["message"])
    )
    overview = pd.read_csv(workspace.root / "results/validation/overview.tsv", sep="\t")
    included = overview.set_index("site_id")["included"].to_dict()
    assert {site for site, flag in included.items() if flag == "no"} == {"riverside", "hillcrest"}
    assert (workspace.root / "results/validation/riverside.md").is_file()
    meta = pd.read_csv(workspace.root / "results/pooled/meta_analysis.csv")
    assert (meta.loc[meta["k"] > 0, "k"] <= 4).all()
    assert meta["excluded_sites"].str.contains("riverside").all()
