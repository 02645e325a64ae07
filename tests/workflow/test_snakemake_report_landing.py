"""Snakemake's own report (``snakemake --report``), opened in headless Chromium: it opens on
"Where to start" rather than the rule graph, a figure is one click away with its caption
beside it, and every figure and table is listed with its labels (issue 13).

The landing page is workflow/report/workflow.rst; profiles/default/config.yaml passes
workflow/report/metadata.yaml and report.css to the report.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import console_errors, full_page_screenshot, open_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FOREST = "results/figures/forest_mentor_total.png"
FOREST_CAPTION = "Forest plot of the primary analysis for one role and outcome"
INDEX_CAPTION = "The results page: read this first."


@pytest.fixture(scope="module")
def snakemake_report(example_run, tmp_path_factory) -> Path:
    report = tmp_path_factory.mktemp("snakemake_report") / "report.html"
    built = example_run.snakemake("--report", str(report))
    assert built.returncode == 0, built.stderr
    return report


@pytest.fixture(scope="module")
def zipped_report(example_run, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("snakemake_report_zip")
    built = example_run.snakemake("--report", str(folder / "report.zip"))
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(folder / "report.zip") as archive:
        archive.extractall(folder)
    return folder / "report" / "report.html"


def open_report(browser, report: Path) -> None:
    open_page(browser, report)
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.TAG_NAME, "h1"))


def content_text(browser) -> str:
    return browser.execute_script("return document.querySelector('#app').innerText")


def navbar_text(browser) -> str:
    """The sidebar's text on one line: its narrow columns wrap wherever the width falls."""
    return " ".join(browser.find_element(By.TAG_NAME, "nav").text.split())


def test_the_report_opens_on_where_to_start_not_on_the_rule_graph(
    browser, snakemake_report, example_run, screenshots
):
    browser.set_window_size(1400, 900)
    open_report(browser, snakemake_report)
    first = browser.find_element(By.XPATH, "//h1[not(ancestor::nav)]")
    assert first.text == "Where to start"
    # Snakemake centres its content vertically: the heading must not be cut off at the top.
    assert first.rect["y"] >= 0
    assert not browser.find_elements(By.CSS_SELECTOR, "div#rulegraph")
    text = content_text(browser)
    assert "Read the results page first: open the results page. It gives the answer" in text
    assert "Forest plot, Mentor, Total score (7 domains, 7–35): open" in text
    assert "Who took part, the flow diagram: open" in text
    assert "Did it replicate? The criteria matrix: open" in text
    assert "Figures: Cumulative plots (3), Flow diagram (1), Forest plots (16)," in text
    assert "Tables: Concerns, benefit, relationship (3), Participants (Table 1) (3)," in text
    assert "HOSPITALS REGISTERED\n6" in text
    assert "MENTORS POOLED, TOTAL SCORE\n93" in text
    assert "System Message" not in text
    assert console_errors(browser) == []
    browser.set_window_size(1400, 1500)
    full_page_screenshot(browser, screenshots / "snakemake_report_landing.png")
    browser.set_window_size(1400, 900)


def test_one_click_opens_the_primary_forest_plot_with_its_caption_beside_it(
    browser, snakemake_report, example_run, screenshots
):
    open_report(browser, snakemake_report)
    item = browser.find_element(
        By.XPATH, "//li[contains(., 'Forest plot, Mentor, Total score')]//a[text()='open']"
    )
    item.click()
    image = WebDriverWait(browser, 30).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "div.p-3 > img")
    )[0]
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return arguments[0].naturalWidth", image) > 0
    )
    sidebar = navbar_text(browser)
    assert FOREST_CAPTION in sidebar
    assert "OUTCOME ROLE SHOWS" in sidebar
    assert "Total score (7 domains, 7–35) Mentor change per site, pooled, original" in sidebar
    assert console_errors(browser) == []
    full_page_screenshot(browser, screenshots / "snakemake_report_forest.png")


def test_every_figure_and_table_is_listed_with_its_labels(browser, snakemake_report):
    open_report(browser, snakemake_report)
    items = browser.execute_script("return results")
    figures = {path: item for path, item in items.items() if path.startswith("results/figures/")}
    tables = {path: item for path, item in items.items() if path.startswith("results/tables/")}
    assert len(figures) == 16 + 3 + 3 * 3 + 16 + 1
    assert figures[FOREST]["labels"] == {
        "role": "Mentor",
        "outcome": "Total score (7 domains, 7–35)",
        "shows": "change per site, pooled, original",
    }
    assert figures["results/figures/bubble_mentor_total_mentoring_hours.png"]["labels"] == {
        "role": "Mentor",
        "outcome": "Total score (7 domains, 7–35)",
        "moderator": "Hours of mentoring",
        "shows": "change against the moderator",
    }
    assert figures["results/figures/likert_mentee_overview.png"]["labels"]["outcome"] == (
        "All domains"
    )
    assert figures["results/figures/flow.png"]["labels"] == {
        "shows": "who took part, every exclusion counted"
    }
    assert {item["labels"]["format"] for item in tables.values()} == {
        "CSV, every column",
        "Markdown, to paste",
        "HTML, to read",
    }
    assert all(item["caption"] for item in {**figures, **tables}.values())
    # The list a reader sees: Figures, then Forest plots.
    browser.find_element(By.XPATH, "//nav//a[normalize-space()='Figures']").click()
    browser.find_element(By.XPATH, "//nav//a[normalize-space()='Forest plots']").click()
    header = browser.find_elements(By.CSS_SELECTOR, "nav table thead th")
    assert [cell.text for cell in header] == ["ROLE", "OUTCOME", "SHOWS", ""]
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "nav table tbody tr")]
    assert "Mentor Total score (7 domains, 7–35) change per site, pooled, original" in rows
    assert len(rows) == 16


def test_the_results_page_opens_from_the_landing_page_of_a_zipped_report(
    browser, zipped_report, example_run, screenshots
):
    open_report(browser, zipped_report)
    browser.find_element(By.LINK_TEXT, "open the results page").click()
    frame = WebDriverWait(browser, 30).until(
        lambda driver: driver.find_elements(By.TAG_NAME, "iframe")
    )[0]
    assert INDEX_CAPTION in navbar_text(browser)
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 30).until(
            lambda driver: driver.find_elements(By.XPATH, "//h2[contains(., 'The answer')]")
        )
    finally:
        browser.switch_to.default_content()
    full_page_screenshot(browser, screenshots / "snakemake_report_start.png")
