"""The criteria matrix as a reader sees it: the HTML table opened in a real headless Chromium.

The golden consortium (tests/report/golden.py) has met, unmet and unassessable criteria and
three kinds of verdict. What the page shows is checked against the criteria and verdict
frames the analysis produced, not against the table code's own hover lists.
"""

from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from revmentor.inprocess import analyse
from revmentor.replication.criteria import CRITERIA
from revmentor.replication.verdict import VERDICTS as ALL_VERDICTS
from revmentor.report.assemble import P_COLUMNS, replication_matrix
from revmentor.report.outputs import write_table
from tests.browser import full_page_screenshot
from tests.report.golden import build, golden_config, golden_settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MARK = {"yes": "✓", "no": "✗", "": "–"}
CELL = re.compile(r"^(?P<mark>[✓✗]) (?P<number>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$|^–$")
VERDICTS = set(ALL_VERDICTS)
#: No font has a glyph for an unassigned code point: what Chromium draws for it is the
#: "tofu" a reader would see for ✓ or ✗ if no installed font had them.
MISSING_GLYPH = "\u0378"
#: Set to a folder (CI keeps it as an artefact) to keep the page's screenshot.
SCREENSHOT_FOLDER = "REVMENTOR_SCREENSHOT_DIR"

GLYPH_PIXELS = """
const [glyphs, missing] = arguments;
// The font stack of the criterion cells.
const style = getComputedStyle(document.querySelector("tbody td:nth-child(3)"));
const canvas = document.createElement("canvas");
canvas.width = 96;
canvas.height = 96;
const context = canvas.getContext("2d", {willReadFrequently: true});
// Enlarged, so that different glyphs differ in many pixels.
context.font = `48px ${style.fontFamily}`;
context.textBaseline = "top";
const draw = (text) => {
  context.clearRect(0, 0, 96, 96);
  context.fillText(text, 16, 16);
  return Array.from(context.getImageData(0, 0, 96, 96).data.filter((_, i) => i % 4 === 3));
};
const tofu = draw(missing);
return glyphs.map((glyph) => {
  const alpha = draw(glyph);
  return {
    glyph: glyph,
    ink: alpha.filter((a) => a > 0).length,
    same_as_missing: alpha.every((a, i) => a === tofu[i]),
  };
});
"""

#: The box of the first character of the first body cell that begins with the given mark.
FIRST_CHARACTER_BOX = """
const mark = arguments[0];
const cell = Array.from(document.querySelectorAll("tbody td")).find(
  (td) => td.innerText.startsWith(mark)
);
const range = document.createRange();
range.setStart(cell.firstChild, 0);
range.setEnd(cell.firstChild, 1);
const box = range.getBoundingClientRect();
return {width: box.width, height: box.height};
"""


#: Every cell as the reader sees it, in one round trip to the browser: its rendered text,
#: its hover text and how many lines it takes.
SHOWN_CELLS = """
const lines = (cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set(Array.from(range.getClientRects(), (box) => Math.round(box.top))).size;
};
const shown = (cell) => (
  {text: cell.innerText, title: cell.getAttribute("title"), lines: lines(cell)}
);
return {
  header: Array.from(document.querySelectorAll("thead th"), shown),
  rows: Array.from(document.querySelectorAll("tbody tr"), (row) => Array.from(row.cells, shown)),
};
"""


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, config, instrument):
    """The golden consortium's analysis, and its matrix written as the report stage writes it."""
    folder = tmp_path_factory.mktemp("matrix_in_browser")
    sites = build(folder, instrument)
    fixed = golden_config(config)
    frames = analyse(sites, fixed)
    settings = golden_settings(sites, fixed, instrument)
    table = replication_matrix(frames, settings)
    paths = write_table(
        table.frame,
        folder / "replication_matrix",
        table.title,
        table.notes,
        table.decimals,
        P_COLUMNS,
        table.hover,
    )
    return frames, paths[2]


@pytest.fixture(scope="module")
def page(browser, analysed, tmp_path_factory):
    """The matrix page, opened; its full-page screenshot kept where SCREENSHOT_FOLDER says.
    The browser comes first, so that where it cannot run the tests skip before analysing."""
    _, html_path = analysed
    browser.get(html_path.as_uri())
    shot = full_page_screenshot(browser, tmp_path_factory.mktemp("screenshot") / "matrix.png")
    if os.environ.get(SCREENSHOT_FOLDER):
        shutil.copy2(shot, Path(os.environ[SCREENSHOT_FOLDER]) / shot.name)
    return browser


@pytest.fixture(scope="module")
def shown(page) -> dict[str, list]:
    return page.execute_script(SHOWN_CELLS)


def by_key(frame: pd.DataFrame, *columns: str) -> dict[tuple[str, ...], dict]:
    return {tuple(row[column] for column in columns): row for row in frame.to_dict("records")}


def test_the_header_names_every_criterion_and_the_verdict(page, shown):
    assert [cell["text"] for cell in shown["header"]] == ["role", "outcome", *CRITERIA, "verdict"]
    title = page.find_element(By.TAG_NAME, "h1").text
    assert title == "Did it replicate? The criteria side by side"


def test_each_cell_shows_the_mark_and_number_of_its_criterion(shown, analysed, instrument):
    frames, _ = analysed
    criteria = by_key(frames["criteria"], "role", "outcome", "criterion")
    rows = shown["rows"]
    assert [(row[0]["text"], row[1]["text"]) for row in rows] == [
        (role, outcome) for role in instrument.roles for outcome in instrument.outcomes
    ]
    shown_marks = set()
    for row in rows:
        role, outcome = row[0]["text"], row[1]["text"]
        for name, cell in zip(CRITERIA, row[2:-1], strict=True):
            where = f"{role} {outcome} {name}: {cell['text']!r}"
            read = CELL.match(cell["text"])
            assert read, f"{where} is not '✓ number', '✗ number' or '–'"
            expected = criteria[(role, outcome, name)]
            mark = read["mark"] or "–"
            shown_marks.add(mark)
            assert mark == MARK[expected["success"]], where
            if mark == "–":
                continue
            # The number as printed must be the criterion's value to the digits shown.
            printed = Decimal(read["number"])
            tolerance = Decimal(5) * Decimal(10) ** (printed.as_tuple().exponent - 1)
            assert abs(printed - Decimal(repr(expected["value"]))) <= tolerance, where
    assert shown_marks == {"✓", "✗", "–"}, "the golden consortium should show every mark"


def test_hovering_a_cell_gives_its_reason_and_the_verdict_its_reason(shown, analysed):
    frames, _ = analysed
    criteria = by_key(frames["criteria"], "role", "outcome", "criterion")
    verdicts = by_key(frames["verdicts"], "role", "outcome")
    shown_verdicts = set()
    for row in shown["rows"]:
        role, outcome = row[0]["text"], row[1]["text"]
        for name, cell in zip(CRITERIA, row[2:-1], strict=True):
            reason = criteria[(role, outcome, name)]["reason"]
            assert reason, f"{role} {outcome} {name} has no reason to show"
            assert cell["title"] == reason, f"{role} {outcome} {name}"
        verdict = verdicts[(role, outcome)]
        assert row[-1]["text"] == verdict["verdict"] and row[-1]["text"] in VERDICTS
        assert row[-1]["title"] == verdict["verdict_reason"], f"{role} {outcome}"
        shown_verdicts.add(row[-1]["text"])
    assert {"replicated", "contradicted", "inconclusive", "not assessed"} <= shown_verdicts


def test_the_marks_are_drawn_by_a_font_that_has_them(page):
    """Without a font that has them, ✓ and ✗ are drawn as the same empty box ("tofu"),
    which takes space like any glyph: the pixels tell, not the width alone."""
    for mark in ("✓", "✗"):
        box = page.execute_script(FIRST_CHARACTER_BOX, mark)
        assert box["width"] > 0 and box["height"] > 0, f"{mark} takes no space: {box}"
    for glyph in page.execute_script(GLYPH_PIXELS, ["✓", "✗", "–"], MISSING_GLYPH):
        assert glyph["ink"] > 0, f"{glyph['glyph']} draws nothing"
        assert not glyph["same_as_missing"], f"{glyph['glyph']} is drawn as a missing glyph"


def test_no_cell_wraps_onto_a_second_line(shown):
    """A cell broken over two lines ("✓" above "0.0129") reads as two values."""
    cells = [*shown["header"], *(cell for row in shown["rows"] for cell in row)]
    assert [cell["text"] for cell in cells if cell["lines"] > 1] == []
