"""The results page's appendix past ``report.appendix_max_sites`` sites, and the hospital
pages written by several processes, on the small golden consortium."""

from __future__ import annotations

import dataclasses
import re

import pytest

from revmentor.inprocess import analyse
from revmentor.report import assemble
from revmentor.report.page.build import (
    PER_SITE_TABLES,
    PageInputs,
    SharedPageData,
    appendix_tables,
    consortium_page,
    site_page,
    site_page_inputs,
)
from revmentor.report.page.parallel import process_count, write_site_pages
from revmentor.report.page.views import page_table
from revmentor.report.reader_tables import ReaderLabels
from revmentor.report.tables import POOLED_SCOPE
from tests.report.golden import build, golden_config, golden_settings


@pytest.fixture(scope="module")
def golden(tmp_path_factory, config, instrument):
    sites = build(tmp_path_factory.mktemp("appendix"), instrument)
    frames = analyse(sites, golden_config(config))
    settings = golden_settings(sites, config, instrument)
    return frames, settings


def page_inputs(settings, config, instrument) -> PageInputs:
    return PageInputs(
        settings=settings,
        instrument=instrument,
        moderators=(),
        config=config,
        figures={},
        validation={},
        config_used="",
        # A footer names the workflow, Python and packages; the rest of the manifest (every
        # file's hash) is what the hospital pages are written without.
        manifest={
            "workflow": {"version": "9.9", "git_commit": "0123abc", "git_dirty": False},
            "python": "3.11.7",
            "packages": {"numpy": "2.4.0", "pandas": "2.3.3"},
            "outputs": {f"results/file{i}.csv": "0" * 64 for i in range(100)},
        },
        manifest_sha256="0" * 64,
    )


def with_cap(settings, cap: int):
    return dataclasses.replace(settings, appendix_max_sites=cap)


def test_up_to_the_cap_the_appendix_has_every_site_row(golden):
    frames, settings = golden
    tables = assemble.all_tables(frames, settings)
    assert len(settings.names) == 3
    shown = appendix_tables(tables, with_cap(settings, 3))
    assert shown.keys() == tables.keys()
    for name, table in tables.items():
        assert shown[name] is table, name


def test_past_the_cap_per_site_tables_keep_only_the_all_sites_rows(golden, instrument):
    frames, settings = golden
    tables = assemble.all_tables(frames, settings)
    shown = appendix_tables(tables, with_cap(settings, 2))
    for name in set(tables) - set(PER_SITE_TABLES):
        assert shown[name] is tables[name], name
    assert shown["sites"].frame.empty
    assert list(shown["sites"].frame.columns) == list(tables["sites"].frame.columns)
    for name in ("participants", "items"):
        whole, kept = tables[name].frame, shown[name].frame
        assert (whole["scope"] != POOLED_SCOPE).any()
        assert (kept["scope"] == POOLED_SCOPE).all()
        assert len(kept) == int((whole["scope"] == POOLED_SCOPE).sum()) > 0
        assert shown[name].title == f"{tables[name].title}: all sites"
    for name in PER_SITE_TABLES:
        note = shown[name].notes[0]
        assert "with 3 hospitals, more than report.appendix_max_sites (2)" in note
        assert "full CSV below and on each hospital's own page" in note
        assert shown[name].notes[1:] == tables[name].notes
        # The reader's view of a table left with no rows still has its columns and link.
        view = page_table(name, shown[name], ReaderLabels.of(instrument, settings.names), "t")
        assert view.columns and view.csv == f"t/{name}.csv"


def appendix_section(page: str) -> str:
    return page[page.index('id="appendix"') :]


def test_the_results_page_lists_site_rows_up_to_the_cap_only(golden, config, instrument):
    frames, settings = golden
    names = settings.names.values()
    for cap, listed in ((3, True), (2, False)):
        page = consortium_page(frames, page_inputs(with_cap(settings, cap), config, instrument))
        appendix = appendix_section(page)
        sites_table = re.search(
            r'<table class="sortable" id="appendix-sites">.*?</table>', appendix, re.S
        )
        assert sites_table is not None
        assert all((name in sites_table.group(0)) is listed for name in names), cap
        assert ("more than report.appendix_max_sites" in appendix) is not listed


@pytest.mark.parametrize("cores", [1, 2, 3])
def test_pages_written_by_several_processes_are_the_pages_written_alone(
    golden, config, instrument, tmp_path, cores
):
    frames, settings = golden
    inputs = page_inputs(settings, config, instrument)
    site_ids = list(settings.names)
    paths = {site: str(tmp_path / site / "report.html") for site in site_ids}
    shared = SharedPageData.from_frames(frames, inputs)
    processes = write_site_pages(
        site_ids, shared, site_page_inputs(inputs), paths, cores=cores, min_pages_per_process=1
    )
    assert processes == cores
    for site in site_ids:
        with open(paths[site], encoding="utf-8") as page:
            written = page.read()
        assert written == site_page(site, frames, inputs), site
        assert "0123abc" in written and "numpy 2.4.0" in written


def test_an_error_in_a_page_process_stops_the_step(golden, config, instrument, tmp_path):
    frames, settings = golden
    inputs = page_inputs(settings, config, instrument)
    site_ids = [*settings.names, "not_registered"]
    paths = {site: str(tmp_path / f"{site}.html") for site in site_ids}
    shared = SharedPageData.from_frames(frames, inputs)
    with pytest.raises(KeyError, match="not_registered"):
        write_site_pages(site_ids, shared, inputs, paths, cores=2, min_pages_per_process=1)


def test_one_process_unless_each_gets_enough_pages():
    assert process_count(1_000, 1) == 1
    assert process_count(99, 2, 50) == 1
    assert process_count(100, 2, 50) == 2
    assert process_count(10_000, 4, 50) == 4
