"""A real headless Chromium, driven from Python by Selenium, for tests of the HTML pages.

Debian's ``chromium`` and ``chromium-driver`` are used (Selenium's own driver download and
Playwright's browser download need network this project's CI does not have). As root, the
set-up installs them when missing, with ``fonts-dejavu-core``: it has the ✓ and ✗ of the
criteria matrix, which the fonts Chromium pulls in without recommended packages may lack.
Elsewhere the browser tests are skipped with the reason.

The checks every report page must pass are plain functions of an open page (the driver):
``image_failures``, ``console_errors``, ``horizontal_overflow``, ``broken_links`` and
``print_to_pdf``; the accessibility check is ``tests.axe.axe_violations``. Each returns what
is wrong in words a failing assertion can show, and an empty list when nothing is. Open the
page with ``open_page`` (it drains the console log of earlier pages), and run axe in a test
of its own, with the ``axe`` fixture, so that the other checks still run where axe-core
cannot be downloaded. tests/report/test_browser_kit.py shows each check catching its fault.
"""

from __future__ import annotations

import base64
import re
import shutil
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.system_packages import (
    SystemPackagesUnavailable,
    debian_package_installed,
    ensure_debian_packages,
)

#: Wide enough that a table of nine columns is not squeezed by the window.
WINDOW = (1400, 900)


class BrowserUnavailable(RuntimeError):
    """No headless Chromium can be started here; the message says why."""


def install() -> None:
    try:
        ensure_debian_packages(
            {
                "chromium": shutil.which("chromium") is not None,
                "chromium-driver": shutil.which("chromedriver") is not None,
                "fonts-dejavu-core": debian_package_installed("fonts-dejavu-core"),
            },
            "the browser tests",
        )
    except SystemPackagesUnavailable as unavailable:
        raise BrowserUnavailable(str(unavailable)) from unavailable


def chromium_options(binary: str) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        # Chromium refuses to run as root inside its sandbox; CI runs the tests as root.
        "--no-sandbox",
        # Containers often give /dev/shm only 64 MB, which crashes renderers.
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        # Screenshots and measured widths in CSS pixels, whatever the machine's display.
        "--force-device-scale-factor=1",
        "--lang=en-GB",
    ):
        options.add_argument(argument)
    # Keeps the page's console (and failed loads) for console_errors.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def start_chromium() -> webdriver.Chrome:
    """A headless Chromium; the caller quits it."""
    install()
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver_path is None:
        raise BrowserUnavailable("chromium or chromedriver is not on PATH after installing them")
    # Both paths given, so Selenium Manager never tries to download a browser or a driver.
    try:
        return webdriver.Chrome(options=chromium_options(binary), service=Service(driver_path))
    except WebDriverException as failure:
        raise BrowserUnavailable(f"headless Chromium did not start: {failure.msg}") from failure


def element_screenshot(driver: webdriver.Chrome, css_selector: str, path: Path) -> Path:
    """One element of the page, whole, even where it runs below the window (PNG)."""
    box = driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {x: r.left + window.scrollX, y: r.top + window.scrollY,"
        " width: r.width, height: r.height};",
        css_selector,
    )
    capture = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": 1}},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(capture["data"]))
    return path


def full_page_screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """The whole page, not only the window, as PNG (Chromium's DevTools capture)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    capture = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(capture["data"]))
    return path


#: How long a not-yet-loaded image is waited for before it counts as failed.
IMAGE_SECONDS = 10

#: Every <img> once it has loaded or failed; lazy images are made eager, as a reader scrolling
#: down would load them.
IMAGES = """
const [seconds, done] = [arguments[0], arguments[arguments.length - 1]];
const images = Array.from(document.images);
const settled = (img) => img.complete ? Promise.resolve() : new Promise((resolve) => {
  img.addEventListener("load", resolve, {once: true});
  img.addEventListener("error", resolve, {once: true});
});
images.forEach((img) => { if (img.loading === "lazy") img.loading = "eager"; });
const timeout = new Promise((resolve) => setTimeout(resolve, seconds * 1000));
Promise.race([Promise.all(images.map(settled)), timeout]).then(() => done(images.map((img) => ({
  src: img.getAttribute("src") || "",
  loaded: img.complete && img.naturalWidth > 0,
}))));
"""

#: The page, the element itself, and every scroll box inside the element, whose content is
#: wider than its box. A scroll box is caught inside the element: its own overflow is clipped
#: to it, so the element and the page look as if they fit.
OVERFLOW = """
const element = document.querySelector(arguments[0]);
if (element === null) return null;
const describe = (node) => {
  const id = node.id ? "#" + node.id : "";
  const classes = Array.from(node.classList, (name) => "." + name).join("");
  return node.tagName.toLowerCase() + id + classes;
};
const wide = (node) => node.scrollWidth > node.clientWidth;
const scrolls = (node) => ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
const found = [];
const page = document.documentElement;
const add = (node, name, consequence) => found.push(
  [name, node.scrollWidth, node.clientWidth, consequence]
);
if (wide(page)) add(page, "the page", "a reader scrolls sideways");
if (wide(element)) add(element, describe(element), "its content runs past its right edge");
for (const node of element.querySelectorAll("*")) {
  if (scrolls(node) && wide(node)) add(node, describe(node), "a reader scrolls it sideways");
}
return {viewport: window.innerWidth, found: found};
"""

#: Resolves once the open document has loaded, its fonts are ready and two frames have been
#: drawn: its layout is settled. Chromium's printToPDF called sooner, on a page opened right
#: after axe-core ran on another one in the same browser, failed ("Printing failed") or
#: printed one page of three in 5 of 70 tries, and in none of 200 after this wait.
SETTLED = """
const done = arguments[arguments.length - 1];
const loaded = document.readyState === "complete" ? Promise.resolve()
  : new Promise((resolve) => window.addEventListener("load", resolve, {once: true}));
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
loaded.then(() => document.fonts.ready).then(frame).then(frame).then(() => done(null));
"""

LINKS = """
return Array.from(document.querySelectorAll("a[href]"), (a) => a.getAttribute("href"));
"""

#: A4 in inches, the paper of a steering committee's copy (a page's @page size wins).
A4 = {"paperWidth": 8.27, "paperHeight": 11.69}
#: A page object of a PDF (not the /Pages tree that holds them).
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


@dataclass(frozen=True)
class BrokenImage:
    src: str

    def __str__(self) -> str:
        # An embedded image's data URI runs to megabytes; its start says what it is.
        shown = self.src if len(self.src) <= 80 else f"{self.src[:77]}..."
        return f"<img src={shown!r}> did not load"


@dataclass(frozen=True)
class Overflow:
    element: str
    content_width: int
    box_width: int
    consequence: str

    def __str__(self) -> str:
        return (
            f"{self.element} holds content {self.content_width} px wide in a box "
            f"{self.box_width} px wide: {self.consequence}"
        )


@dataclass(frozen=True)
class BrokenLink:
    href: str
    reason: str

    def __str__(self) -> str:
        return f'<a href="{self.href}">: {self.reason}'


class PdfInvalid(AssertionError):
    """What Chromium printed is not a PDF with pages; the message says how."""


def open_page(driver: WebDriver, page: Path) -> None:
    """Opens a page from disk, as a reader double-clicking it would (file://), with the
    console log of earlier pages drained so that console_errors reports this page's only."""
    driver.get_log("browser")
    driver.get(page.resolve().as_uri())


def image_failures(driver: WebDriver) -> list[BrokenImage]:
    """Every <img> of the open page that did not load (naturalWidth 0), with its src."""
    images = driver.execute_async_script(IMAGES, IMAGE_SECONDS)
    return [BrokenImage(image["src"]) for image in images if not image["loaded"]]


def console_errors(driver: WebDriver) -> list[str]:
    """The console's errors (level SEVERE) since the last call: console.error, uncaught
    exceptions, and files that failed to load. Reading drains Chromium's log, so read it
    once before opening the page under test when the browser is shared."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def horizontal_overflow(driver: WebDriver, css_selector: str) -> list[Overflow]:
    """Whatever makes a reader scroll sideways to read the element: the page wider than the
    window, the element's content wider than its box (it spills out, or widens the page), or a
    scroll box inside it wider than itself (the page fits, but the reader scrolls that box).
    Measured at the window the browser was started with (WINDOW, 1,400 × 900)."""
    measured = driver.execute_script(OVERFLOW, css_selector)
    if measured is None:
        raise LookupError(f"{driver.current_url} has no element matching {css_selector!r}")
    if measured["viewport"] != WINDOW[0]:
        raise AssertionError(
            f"the window is {measured['viewport']} px wide, not {WINDOW[0]}: "
            "the widths measured would not be the ones a reader at 1,400 px sees"
        )
    return [Overflow(*found) for found in measured["found"]]


def broken_links(driver: WebDriver, page_path: Path, suffix: str = ".csv") -> list[BrokenLink]:
    """Every link of the open page to a file ending in ``suffix`` that does not resolve to an
    existing file, relative links read from ``page_path``'s folder as file:// does. A link
    off this machine (http:, https:) counts as broken: the page's tables go with it."""
    page_uri = page_path.resolve().as_uri()
    broken = []
    for href in driver.execute_script(LINKS):
        target = urllib.parse.urlsplit(urllib.parse.urljoin(page_uri, href))
        if not target.path.lower().endswith(suffix.lower()):
            continue
        if target.scheme != "file":
            reason = f"a {target.scheme} link, not a file that travels with the page"
            broken.append(BrokenLink(href, reason))
            continue
        path = Path(urllib.request.url2pathname(target.path))
        if not path.is_file():
            broken.append(BrokenLink(href, f"{path} does not exist"))
    return broken


def pdf_page_count(pdf: bytes) -> int:
    """The number of pages of a PDF as Chromium writes it (its page objects are not
    compressed into object streams); PdfInvalid when it is not a PDF with pages."""
    if not pdf.startswith(b"%PDF-"):
        raise PdfInvalid(f"does not start with %PDF- but with {pdf[:16]!r}")
    if b"%%EOF" not in pdf[-1024:]:
        raise PdfInvalid("has no %%EOF at its end: it is cut short")
    pages = len(PDF_PAGE.findall(pdf))
    if pages == 0:
        raise PdfInvalid("has no page")
    return pages


def print_to_pdf(driver: WebDriver, path: Path) -> int:
    """The open page printed as a reader's Print > Save as PDF would (print CSS, backgrounds,
    A4), written to ``path``; returns its number of pages, PdfInvalid when it has none.
    It waits for the page's layout to settle first (SETTLED)."""
    driver.execute_async_script(SETTLED)
    printed = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {"printBackground": True, "preferCSSPageSize": True, **A4},
    )
    pdf = base64.b64decode(printed["data"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    try:
        return pdf_page_count(pdf)
    except PdfInvalid as invalid:
        raise PdfInvalid(f"{path}, printed from {driver.current_url}, {invalid}") from invalid
