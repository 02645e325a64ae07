"""A real headless Chromium, driven from Python by Selenium, for tests of the HTML pages.

Debian's ``chromium`` and ``chromium-driver`` are used (Selenium's own driver download and
Playwright's browser download need network this project's CI does not have). As root, the
set-up installs them when missing, with ``fonts-dejavu-core``: it has the ✓ and ✗ of the
criteria matrix, which the fonts Chromium pulls in without recommended packages may lack.
Elsewhere the browser tests are skipped with the reason.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

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
