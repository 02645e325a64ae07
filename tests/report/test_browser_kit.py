"""The checks a report page must pass in a real browser (tests/browser.py, tests/axe.py), each
shown to catch its own fault on a tiny page and to pass a clean one, so that a report test
that passes means the page is right, not that the check saw nothing.
"""

from __future__ import annotations

import io
import tarfile
import urllib.error

import numpy as np
import pytest
from matplotlib.image import imsave

from tests import axe as axe_module
from tests.axe import (
    AXE_TARBALL,
    AXE_VERSION,
    AxeIntegrityError,
    AxeUnavailable,
    Violation,
    axe_source,
    axe_violations,
    integrity_of,
)
from tests.browser import (
    BrokenImage,
    BrokenLink,
    Overflow,
    PdfInvalid,
    broken_links,
    console_errors,
    horizontal_overflow,
    image_failures,
    open_page,
    pdf_page_count,
    print_to_pdf,
)

#: The checks that open a real Chromium are slow (CI runs them); the rest are not.


def in_browser(test):
    """Opens Chromium: slow, and a browser test."""
    return pytest.mark.browser(pytest.mark.slow(test))


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 1em; }}
td, th {{ border: 1px solid #444; padding: 0.2em 0.5em; }}
{style}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""

#: A small data table as the report's should be: a caption and a header row.
LABELLED_TABLE = """<table>
<caption>Change in total confidence, by site</caption>
<thead><tr><th scope="col">site</th><th scope="col">change</th><th scope="col">95% CI</th></tr>
</thead>
<tbody>
<tr><td>Pilot</td><td>5.5</td><td>2.4 to 8.6</td></tr>
<tr><td>Riverside</td><td>4.1</td><td>1.0 to 7.2</td></tr>
</tbody>
</table>"""

#: The same numbers with nothing to say what they are.
UNLABELLED_TABLE = """<table>
<tr><td>Pilot</td><td>5.5</td><td>2.4 to 8.6</td></tr>
<tr><td>Riverside</td><td>4.1</td><td>1.0 to 7.2</td></tr>
<tr><td>Northgate</td><td>6.0</td><td>3.1 to 8.9</td></tr>
</table>"""

SVG_FIGURE = (
    "data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%2240%22 "
    "height=%2220%22%3E%3Crect width=%2240%22 height=%2220%22 fill=%22%23369%22/%3E%3C/svg%3E"
)


def write_page(folder, name: str, body: str, style: str = "", title: str = "Did it replicate?"):
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{name}.html"
    page.write_text(PAGE.format(title=title, style=style, body=body), encoding="utf-8")
    return page


@pytest.fixture
def clean_page(tmp_path):
    """A page like the report: a figure beside it and one embedded, one lower down loaded
    lazily, a labelled table, links to CSV tables that exist, and an answer section."""
    (tmp_path / "figures").mkdir()
    imsave(tmp_path / "figures" / "forest.png", np.linspace(0, 1, 60 * 120).reshape(60, 120))
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "sites.csv").write_text("site,change\nPilot,5.5\n")
    (tmp_path / "tables" / "site items.csv").write_text("site,item\n")
    body = f"""
<section id="answer">
<p>Mentors' total confidence rose by 5.5 points (95% CI 2.7 to 8.2) across 6 hospitals.</p>
<img src="figures/forest.png" alt="Forest plot of the change in total confidence">
<img src="{SVG_FIGURE}" alt="Legend">
{LABELLED_TABLE}
</section>
<p><a href="tables/sites.csv">All site results (CSV)</a>,
<a href="tables/sites.csv#row=2">the pilot's row</a>,
<a href="tables/site%20items.csv">items (CSV)</a>,
<a href="https://example.org/about">about the study</a>,
<a href="missing-notes.md">notes</a></p>
<div style="height: 3000px"></div>
<img src="figures/forest.png" alt="The forest again, far down the page" loading="lazy">
"""
    return write_page(tmp_path, "index", body)


@in_browser
def test_a_clean_page_passes_every_check(browser, clean_page, tmp_path):
    open_page(browser, clean_page)
    assert image_failures(browser) == []
    assert console_errors(browser) == []
    assert horizontal_overflow(browser, "#answer") == []
    assert broken_links(browser, clean_page) == []
    assert print_to_pdf(browser, tmp_path / "index.pdf") >= 1


@in_browser
def test_axe_finds_nothing_wrong_with_the_clean_page(browser, axe, clean_page):
    """Apart from the other checks, so that they still run where axe-core cannot be had."""
    open_page(browser, clean_page)
    assert (
        axe_violations(browser, impacts=("minor", "moderate", "serious", "critical"), source=axe)
        == []
    )


@in_browser
def test_an_image_that_did_not_load_is_named_by_its_src(browser, tmp_path):
    body = '<img src="figures/forest.png" alt="Forest plot of the change in total confidence">'
    page = write_page(tmp_path, "broken_image", body)
    open_page(browser, page)
    assert image_failures(browser) == [BrokenImage("figures/forest.png")]
    assert str(image_failures(browser)[0]) == "<img src='figures/forest.png'> did not load"
    # Chromium also logs the failed load: a broken figure fails the console check too.
    assert console_errors(browser) == [
        f"{(tmp_path / 'figures' / 'forest.png').as_uri()} - "
        "Failed to load resource: net::ERR_FILE_NOT_FOUND"
    ]


@in_browser
def test_an_embedded_image_that_is_not_an_image_is_shortened_in_the_message(browser, tmp_path):
    src = "data:image/png;base64," + "A" * 200
    page = write_page(tmp_path, "broken_data_image", f'<img src="{src}" alt="Forest plot">')
    open_page(browser, page)
    assert [str(failure) for failure in image_failures(browser)] == [
        f"<img src='{src[:77]}...'> did not load"
    ]


@in_browser
def test_console_errors_and_uncaught_exceptions_are_reported(browser, tmp_path):
    body = """<p>The forest plot.</p>
<script>
console.log("drawn in 3 ms");
console.warn("a font was substituted");
console.error("the forest plot could not be drawn");
</script>
<script>throw new Error("no data for site Pilot");</script>"""
    page = write_page(tmp_path, "console", body)
    open_page(browser, page)
    errors = console_errors(browser)
    assert len(errors) == 2, errors
    assert errors[0].startswith(page.as_uri())
    assert errors[0].endswith('"the forest plot could not be drawn"')
    assert errors[1].endswith("Uncaught Error: no data for site Pilot")
    # The log is drained by reading it.
    assert console_errors(browser) == []


@in_browser
def test_a_section_too_wide_for_1400_pixels_is_reported_with_its_widths(browser, tmp_path):
    wide_table = "<table><tr>" + "<th>a_long_snake_case_column</th>" * 26 + "</tr></table>"
    body = f'<section id="answer">{wide_table}</section><section id="methods"><p>Short.</p>'
    page = write_page(tmp_path, "wide", body + "</section>")
    open_page(browser, page)
    found = horizontal_overflow(browser, "#answer")
    assert [overflow.element for overflow in found] == ["the page", "section#answer"]
    page_width, answer = found
    assert page_width.box_width == 1400 and page_width.content_width > 1400
    assert answer.content_width > answer.box_width
    assert str(page_width) == (
        f"the page holds content {page_width.content_width} px wide in a box 1400 px wide: "
        "a reader scrolls sideways"
    )
    assert str(answer) == (
        f"section#answer holds content {answer.content_width} px wide in a box "
        f"{answer.box_width} px wide: its content runs past its right edge"
    )


@in_browser
def test_a_scroll_box_inside_the_section_is_reported_though_the_page_fits(browser, tmp_path):
    """A wrapper with overflow-x: auto keeps the page narrow, but the reader still scrolls."""
    wide = (
        '<div class="table-wrap" style="overflow-x: auto"><div style="width: 3000px">x</div></div>'
    )
    page = write_page(tmp_path, "scroll_box", f'<section id="answer">{wide}</section>')
    open_page(browser, page)
    found = horizontal_overflow(browser, "#answer")
    assert [str(overflow) for overflow in found] == [
        "div.table-wrap holds content 3000 px wide in a box "
        f"{found[0].box_width} px wide: a reader scrolls it sideways"
    ]
    assert found[0].box_width < 1400


@in_browser
def test_a_selector_that_matches_nothing_is_an_error_not_a_pass(browser, clean_page):
    open_page(browser, clean_page)
    with pytest.raises(LookupError) as missing:
        horizontal_overflow(browser, "#the-answer")
    assert str(missing.value) == f"{clean_page.as_uri()} has no element matching '#the-answer'"


@in_browser
def test_links_to_missing_or_remote_csv_files_are_reported(browser, tmp_path):
    (tmp_path / "report" / "tables").mkdir(parents=True)
    (tmp_path / "report" / "tables" / "sites.csv").write_text("site\n")
    body = """<p><a href="tables/sites.csv">sites</a>
<a href="tables/items.csv">items</a>
<a href="../tables/heterogeneity.CSV?download=1">heterogeneity</a>
<a href="https://example.org/tables/sites.csv">sites online</a>
<a href="tables/items.md">items as text</a></p>"""
    page = write_page(tmp_path / "report", "index", body)
    open_page(browser, page)
    assert broken_links(browser, page) == [
        BrokenLink(
            "tables/items.csv", f"{tmp_path / 'report' / 'tables' / 'items.csv'} does not exist"
        ),
        BrokenLink(
            "../tables/heterogeneity.CSV?download=1",
            f"{tmp_path / 'tables' / 'heterogeneity.CSV'} does not exist",
        ),
        BrokenLink(
            "https://example.org/tables/sites.csv",
            "a https link, not a file that travels with the page",
        ),
    ]
    # Other kinds of file are checked only when asked for.
    assert broken_links(browser, page, suffix=".md") == [
        BrokenLink(
            "tables/items.md", f"{tmp_path / 'report' / 'tables' / 'items.md'} does not exist"
        )
    ]


@in_browser
def test_axe_reports_a_missing_alt_text_and_an_unlabelled_table(browser, axe, tmp_path):
    body = f'<img src="{SVG_FIGURE}">\n{UNLABELLED_TABLE}'
    page = write_page(tmp_path, "inaccessible", body)
    open_page(browser, page)
    violations = axe_violations(browser, source=axe)
    assert [(found.rule, found.impact, found.targets) for found in violations] == [
        ("image-alt", "critical", ("img",)),
        ("td-has-header", "critical", ("table",)),
    ]
    # Deque's help pages are per minor version.
    docs_version = AXE_VERSION.rsplit(".", 1)[0]
    assert str(violations[0]) == (
        "image-alt (critical): Images must have alternative text, at img "
        f"[https://dequeuniversity.com/rules/axe/{docs_version}/image-alt?application=axeAPI]"
    )


@in_browser
def test_axe_reports_text_too_pale_to_read(browser, axe, tmp_path):
    body = '<p style="color: #bbbbbb">Pooled across 6 hospitals.</p>'
    page = write_page(tmp_path, "pale", body)
    open_page(browser, page)
    assert [(found.rule, found.impact) for found in axe_violations(browser, source=axe)] == [
        ("color-contrast", "serious")
    ]
    # Asked for, the moderate and minor findings are there too; by default they are not.
    assert axe_violations(browser, impacts=("moderate",), source=axe) == []


@in_browser
def test_the_pdf_has_one_page_per_printed_page(browser, tmp_path):
    sheets = "".join(
        f'<section style="break-after: page"><h2>Part {number}</h2></section>' for number in (1, 2)
    )
    page = write_page(tmp_path, "three_pages", sheets + "<section><h2>Part 3</h2></section>")
    open_page(browser, page)
    pdf = tmp_path / "printed" / "three_pages.pdf"
    assert print_to_pdf(browser, pdf) == 3
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_bytes_that_are_not_a_pdf_are_refused():
    with pytest.raises(PdfInvalid) as not_pdf:
        pdf_page_count(b"<html>error</html>")
    assert str(not_pdf.value) == "does not start with %PDF- but with b'<html>error</htm'"
    with pytest.raises(PdfInvalid) as cut:
        pdf_page_count(b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n")
    assert str(cut.value) == "has no %%EOF at its end: it is cut short"
    with pytest.raises(PdfInvalid) as empty:
        pdf_page_count(b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 0 >> endobj\n%%EOF\n")
    assert str(empty.value) == "has no page"


def test_the_page_objects_are_counted_not_the_page_tree():
    pdf = b"%PDF-1.4\n<< /Type /Pages /Count 2 >>\n<</Type/Page>>\n<< /Type /Page >>\n%%EOF"
    assert pdf_page_count(pdf) == 2


# axe-core's download, integrity check and cache, without the network.


def a_tarball(script: str) -> bytes:
    """A package laid out as npm's axe-core tarball, holding the given axe.min.js."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = script.encode()
        member = tarfile.TarInfo("package/axe.min.js")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture
def offline_axe(tmp_path, monkeypatch):
    """axe-core's cache in a temporary folder, with the cached script forgotten before and after."""
    monkeypatch.setenv("REVMENTOR_TEST_CACHE", str(tmp_path / "cache"))
    axe_source.cache_clear()
    yield tmp_path / "cache" / f"axe-core-{AXE_VERSION}.tgz"
    axe_source.cache_clear()


def test_the_integrity_is_npms_sha512_in_base64():
    assert integrity_of(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )


def test_without_network_the_reason_names_the_version_the_address_and_the_cache(
    offline_axe, monkeypatch
):
    def no_network(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(axe_module.urllib.request, "urlopen", no_network)
    with pytest.raises(AxeUnavailable) as unavailable:
        axe_source()
    assert str(unavailable.value) == (
        f"axe-core {AXE_VERSION}, needed by the accessibility tests, could not be downloaded "
        f"from {AXE_TARBALL} ([Errno -3] Temporary failure in name resolution), and no copy "
        f"is cached at {offline_axe}"
    )


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_not_cached(offline_axe, monkeypatch):
    tampered = a_tarball("window.axe = {run: () => Promise.resolve({violations: []})};")
    monkeypatch.setattr(axe_module, "_download", lambda: tampered)
    with pytest.raises(AxeIntegrityError) as refused:
        axe_source()
    assert str(refused.value) == (
        f"The axe-core {AXE_VERSION} tarball from {AXE_TARBALL} has integrity "
        f"{integrity_of(tampered)}, not the pinned {axe_module.AXE_INTEGRITY} (tests/axe.py): "
        "it is not the package npm published, so it is not run. If the version was changed "
        f"on purpose, pin its integrity too (npm view axe-core@{AXE_VERSION} dist.integrity)."
    )
    assert not offline_axe.exists()


def test_a_good_cached_copy_is_used_and_a_damaged_one_downloaded_again(offline_axe, monkeypatch):
    good = a_tarball("var axe = 'the pinned one';")
    monkeypatch.setattr(axe_module, "AXE_INTEGRITY", integrity_of(good))
    downloads = []

    def download() -> bytes:
        downloads.append(AXE_TARBALL)
        return good

    monkeypatch.setattr(axe_module, "_download", download)
    assert axe_source() == "var axe = 'the pinned one';"
    assert downloads == [AXE_TARBALL]
    assert offline_axe.read_bytes() == good

    axe_source.cache_clear()
    assert axe_source() == "var axe = 'the pinned one';"
    assert downloads == [AXE_TARBALL], "a good cached copy needs no download"

    offline_axe.write_bytes(good[:-10])
    axe_source.cache_clear()
    assert axe_source() == "var axe = 'the pinned one';"
    assert downloads == [AXE_TARBALL, AXE_TARBALL]
    assert offline_axe.read_bytes() == good


def test_a_violation_reads_as_rule_impact_help_and_the_first_elements():
    violation = Violation(
        rule="image-alt",
        impact="critical",
        help="Images must have alternative text",
        help_url="https://dequeuniversity.com/rules/axe/4.14/image-alt",
        targets=("#forest", "#likert", "#flow", "#sites", ".site:nth-child(2) > img"),
    )
    assert str(violation) == (
        "image-alt (critical): Images must have alternative text, at #forest, #likert, #flow "
        "and 2 more [https://dequeuniversity.com/rules/axe/4.14/image-alt]"
    )


def test_an_overflow_and_a_broken_link_read_as_sentences():
    overflow = Overflow("div.table-wrap", 2012, 1384, "a reader scrolls it sideways")
    assert str(overflow) == (
        "div.table-wrap holds content 2012 px wide in a box 1384 px wide: "
        "a reader scrolls it sideways"
    )
    assert str(BrokenLink("tables/items.csv", "/r/tables/items.csv does not exist")) == (
        '<a href="tables/items.csv">: /r/tables/items.csv does not exist'
    )
