"""The HTML report of the example run as a reader opens it: headless Chromium, from disk.

index.html and one hospital's report.html: every image loads, the console stays quiet, the
answer needs no sideways scrolling at 1,400 × 900, every CSV link resolves, the page prints
to PDF, and axe-core finds no serious accessibility violation. Screenshots of the answer
and of a hospital's page are kept under results/report/screenshots/ of the test's own
temporary folder (the ``screenshots`` fixture).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from tests.axe import axe_violations
from tests.browser import (
    broken_links,
    console_errors,
    element_screenshot,
    full_page_screenshot,
    horizontal_overflow,
    image_failures,
    open_page,
    print_to_pdf,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SITE = "riverside"


@pytest.fixture(scope="module")
def pages(example_run):
    root = example_run.root
    return root / "results/report/index.html", root / f"results/sites/{SITE}/report.html"


def check_page(browser, page, tmp_path) -> int:
    open_page(browser, page)
    assert image_failures(browser) == []
    assert console_errors(browser) == []
    assert horizontal_overflow(browser, "#answer") == []
    assert broken_links(browser, page) == []
    return print_to_pdf(browser, tmp_path / f"{page.stem}.pdf")


def test_the_report_opens_prints_and_keeps_the_answer_on_screen(
    browser, pages, tmp_path, screenshots
):
    index, site = pages
    assert check_page(browser, index, tmp_path) > 5
    images = browser.find_elements(By.TAG_NAME, "img")
    assert len(images) > 30 and all(image.get_attribute("alt") for image in images)
    element_screenshot(browser, "#answer", screenshots / "answer.png")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.csv")]
    assert len(links) >= 6
    assert check_page(browser, site, tmp_path) >= 1
    full_page_screenshot(browser, screenshots / f"site_{SITE}.png")


def test_the_answer_gives_the_replication_tables_estimate_and_ci(browser, pages, example_run):
    index, _ = pages
    open_page(browser, index)
    answer = browser.find_element(By.CSS_SELECTOR, "#answer ul.answers").text
    table = pd.read_csv(example_run.root / "results/tables/replication.csv")
    total = table.set_index(["role", "outcome"]).loc[("mentor", "total")]
    expected = (
        f"Mentors’ total score (7 domains, 7–35) rose by {total['estimate']:.2f} points "
        f"(95% CI {total['ci_low']:.2f} to {total['ci_high']:.2f}) across {total['k']} "
        f"hospitals and {total['n_participants']} participants"
    )
    assert expected in answer
    assert f"Verdict: {total['verdict']}." in answer
    # The verdict is the third column of the criteria matrix, on screen.
    headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#answer thead th")]
    assert headings[:3] == ["Role", "Outcome", "Verdict"]


def test_appendix_tables_sort_by_a_click_on_a_heading(browser, pages):
    index, _ = pages
    open_page(browser, index)
    table = browser.find_element(By.ID, "appendix-sites")
    headings = table.find_elements(By.CSS_SELECTOR, "thead th")
    column = next(i for i, th in enumerate(headings) if th.text.startswith("Pairs"))
    button = headings[column].find_element(By.TAG_NAME, "button")

    def pairs() -> list[float]:
        cells = table.find_elements(By.CSS_SELECTOR, f"tbody td:nth-child({column + 1})")
        return [float(cell.get_attribute("data-sort")) for cell in cells]

    button.click()
    assert pairs() == sorted(pairs())
    assert headings[column].get_attribute("aria-sort") == "ascending"
    button.click()
    assert pairs() == sorted(pairs(), reverse=True)


def test_no_serious_accessibility_violation(browser, axe, pages):
    for page in pages:
        open_page(browser, page)
        assert axe_violations(browser, source=axe) == [], page


def test_the_hospital_page_names_no_other_hospital(pages, example_run):
    _, site = pages
    text = site.read_text(encoding="utf-8")
    others = [row[1] for row in example_run.registry_rows() if row[0] != SITE]
    assert not [name for name in others if name in text]
    assert re.search(r"Riverside University Hospital", text)
