"""Render the pages: Jinja2 templates shipped with the package, figures embedded as data
URIs (or, for the hospital pages' charts, as SVG markup) so that a page opens with no
server and can be sent on by e-mail, deterministic bytes."""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2


@dataclass(frozen=True)
class Cell:
    text: str
    #: The value a click on the column heading sorts by (numbers); None sorts by the text.
    sort: float | None = None
    number: bool = False
    #: The sentence behind the cell (a criterion's reason), shown on hover.
    hover: str = ""


@dataclass(frozen=True)
class PageTable:
    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    #: The full machine table, relative to the page.
    csv: str = ""

    @property
    def csv_name(self) -> str:
        return Path(self.csv).name


@dataclass(frozen=True)
class PageFigure:
    id: str
    src: str
    alt: str
    caption: str
    width: int
    height: int
    #: A chart written into the page as SVG markup (``src`` empty): its text is the page's
    #: text, selectable and found by the browser's search; its ``<title>`` is the alt text.
    svg: str = ""


@dataclass(frozen=True)
class Provenance:
    manifest_path: str
    manifest_sha256: str
    version: str
    commit: str
    dirty: bool
    python: str
    packages: str


SVG_SIZE = re.compile(rb'<svg[^>]*?width="([0-9.]+)pt"[^>]*?height="([0-9.]+)pt"', re.S)
#: The charts written as text are sized in CSS pixels.
SVG_PIXELS = re.compile(r'<svg[^>]*? width="([0-9.]+)" height="([0-9.]+)"')
#: matplotlib sizes its SVGs in points; a CSS pixel is 0.75 pt.
PX_PER_PT = 96 / 72


def svg_size(data: bytes) -> tuple[int, int]:
    """Width and height in CSS pixels, from the SVG's own size in points."""
    found = SVG_SIZE.search(data[:2000])
    if found is None:
        raise ValueError("not an SVG with its width and height in points")
    return round(float(found[1]) * PX_PER_PT), round(float(found[2]) * PX_PER_PT)


#: Characters a data URI may carry as they are; everything else is percent-encoded, so the
#: URI needs no HTML escaping either. Unlike base64 (a third larger), the SVG's own text
#: stays readable, and the page stays small enough for Snakemake's one-file report.
URI_SAFE = " !$()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz{|}~"


#: matplotlib indents its SVG elements; the indentation means nothing to a renderer.
SVG_INDENT = re.compile(rb"\n[ \t]+")


def svg_data_uri(svg: bytes) -> str:
    compact = SVG_INDENT.sub(b"\n", svg)
    return "data:image/svg+xml;charset=utf-8," + urllib.parse.quote(compact, safe=URI_SAFE)


def embedded_figure(figure_id: str, svg: bytes, alt: str, caption: str) -> PageFigure:
    """An SVG figure as a data URI: a tenth of the PNG's bytes, and sharp when printed."""
    width, height = svg_size(svg)
    return PageFigure(
        id=figure_id,
        src=svg_data_uri(svg),
        alt=alt,
        caption=caption,
        width=width,
        height=height,
    )


#: What style.css gives ``figure img``, for a chart written into the page: the stylesheet
#: is shared with index.html, whose bytes this must not change.
INLINE_FIGURE_STYLE = "max-width: 100%; height: auto; border: 1px solid #e3e7ec;"


def inline_figure(figure_id: str, svg: str, alt: str, caption: str) -> PageFigure:
    """A chart written as SVG markup (:mod:`revmentor.report.figures.svg_text`), placed in
    the page as it is; ``alt`` is already its accessible name (its ``<title>``)."""
    found = SVG_PIXELS.search(svg[:400])
    if found is None:
        raise ValueError("not an SVG with its width and height in pixels")
    width, height = round(float(found[1])), round(float(found[2]))
    return PageFigure(
        id=figure_id, src="", alt=alt, caption=caption, width=width, height=height, svg=svg
    )


#: The audit manifest's keys that a page's footer names.
PROVENANCE_KEYS = ("workflow", "packages", "python")


def provenance_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the audit manifest that :func:`provenance` reads."""
    return {key: manifest[key] for key in PROVENANCE_KEYS if key in manifest}


def provenance(manifest: Mapping[str, Any], manifest_sha256: str, manifest_path: str) -> Provenance:
    workflow = manifest.get("workflow", {})
    packages = manifest.get("packages", {})
    return Provenance(
        manifest_path=manifest_path,
        manifest_sha256=manifest_sha256,
        version=str(workflow.get("version", "")),
        commit=str(workflow.get("git_commit") or "not a git checkout"),
        dirty=bool(workflow.get("git_dirty")),
        python=str(manifest.get("python", "")),
        packages=", ".join(f"{name} {version}" for name, version in sorted(packages.items())),
    )


def _asset(name: str) -> str:
    return resources.files("revmentor.report.page").joinpath("templates", name).read_text("utf-8")


@functools.cache
def environment() -> jinja2.Environment:
    """One environment per process: it keeps the compiled templates, which a thousand
    hospital pages would otherwise compile again each."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("revmentor.report.page", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_page(template: str, context: Mapping[str, Any]) -> str:
    """One page: the shared style and sorting script, and the template's own content."""
    page = environment().get_template(template)
    return page.render(style=_asset("style.css"), script=_asset("sort.js"), **context)
