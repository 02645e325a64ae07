"""The uniform consortium the benchmarks and the frozen-output test build."""

from __future__ import annotations

import csv

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument
from revmentor.simulate.uniform import add_uniform_site, write_uniform_consortium
from tests.workflow.conftest import REPO


def instrument() -> Instrument:
    config = load_config(REPO / "config/config.yaml", REPO / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


def registry(folder) -> list[dict[str, str]]:
    with open(folder / "config/sites.tsv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_sites_are_numbered_dated_and_registered_in_order(tmp_path):
    write_uniform_consortium(tmp_path, 3, instrument(), seed=7)
    rows = registry(tmp_path)
    assert [row["site_id"] for row in rows] == ["site0001", "site0002", "site0003"]
    assert [row["enrolled"] for row in rows] == ["2023-01-02", "2023-01-03", "2023-01-04"]
    assert [row["data"] for row in rows] == [f"sim/site000{i}.csv" for i in (1, 2, 3)]
    for row in rows:
        lines = (tmp_path / "data" / row["data"]).read_text().splitlines()[1:]
        people = {line.split(",")[1] for line in lines}
        assert {line.split(",")[0] for line in lines} == {row["site_id"]}
        assert len(people) == 20 + 20


def test_the_same_seed_gives_the_same_files_and_an_added_site_changes_no_other(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_uniform_consortium(first, 2, instrument(), seed=7)
    write_uniform_consortium(second, 3, instrument(), seed=7)
    add_uniform_site(first, 3, instrument(), seed=7)
    for name in ("config/sites.tsv", *(f"data/sim/site000{i}.csv" for i in (1, 2, 3))):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
