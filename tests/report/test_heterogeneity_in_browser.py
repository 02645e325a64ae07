"""The 'why do sites differ?' table as a reader sees it, in a real headless Chromium: one row
per headline outcome, each sentence whole and readable, nothing clipped or overlapping."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from revmentor.inprocess import analyse
from revmentor.report.assemble import P_COLUMNS, heterogeneity
from revmentor.report.heterogeneity import HETEROGENEITY_COLUMNS
from revmentor.report.outputs import write_table
from tests.browser import full_page_screenshot
from tests.report.golden import build, golden_config, golden_settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: Each body cell's text, and whether its content is wider than the cell (clipped).
CELLS = """
return Array.from(document.querySelectorAll("tbody tr"), (row) => Array.from(row.cells, (cell) => (
  {text: cell.innerText, clipped: cell.scrollWidth > cell.clientWidth + 1}
)));
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory, config, instrument):
    folder = tmp_path_factory.mktemp("heterogeneity_in_browser")
    sites = build(folder, instrument)
    fixed = golden_config(config)
    frames = analyse(sites, fixed)
    settings = golden_settings(sites, fixed, instrument)
    table = heterogeneity(frames, settings)
    paths = write_table(
        table.frame,
        folder / "heterogeneity",
        table.title,
        table.notes,
        table.decimals,
        P_COLUMNS,
        table.hover,
    )
    return table, paths[2]


@pytest.fixture(scope="module")
def page(browser, written, tmp_path_factory):
    _, html_path = written
    browser.get(html_path.as_uri())
    full_page_screenshot(browser, tmp_path_factory.mktemp("screenshot") / "heterogeneity.png")
    return browser


def test_the_page_shows_each_headline_outcome_with_its_whole_sentence(page, written):
    table, _ = written
    header = [cell.text for cell in page.find_elements(By.CSS_SELECTOR, "thead th")]
    assert header == list(HETEROGENEITY_COLUMNS)
    assert page.find_element(By.TAG_NAME, "h1").text == table.title
    rows = page.execute_script(CELLS)
    assert len(rows) == len(table.frame) == 3
    explain = HETEROGENEITY_COLUMNS.index("moderators_explain")
    influential = HETEROGENEITY_COLUMNS.index("influential_sites")
    for row, expected in zip(rows, table.frame.to_dict("records"), strict=True):
        assert row[explain]["text"] == expected["moderators_explain"]
        assert row[influential]["text"] == expected["influential_sites"]
        assert "tau²" in row[explain]["text"]
        assert not any(cell["clipped"] for cell in row), row


def test_the_notes_explain_the_columns(page):
    notes = [item.text for item in page.find_elements(By.CSS_SELECTOR, "li")]
    assert any(
        note.startswith("k, tau2 and i2: the primary analysis without moderators") for note in notes
    )
