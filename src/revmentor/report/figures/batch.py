"""Writing a job's publication figures: each drawn once, or copied from a cache of earlier
draws when nothing that decides its bytes has changed.

A figure's files are a function of the dataclass its drawing function receives, the
drawing code (this package), matplotlib and what sits under it (numpy, Pillow, FreeType,
zlib) and the font files. :func:`figure_key` hashes all of them; a figure whose key is in
the cache is copied from it, byte for byte, instead of drawn. Snakemake deletes a job's
outputs and reruns the whole job when any input or code changes, so without the cache a
pooling change that leaves every number equal, or ``--forcerun``, redraws every figure.

The cache holds only copies of figures the job publishes (aggregates), named by their
key; the data behind a key is never written. After a job its folder holds exactly that
job's figures (:func:`prune`), so it never outgrows one run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import math
import os
import shutil
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure

from revmentor.report.figures.baujat import BaujatData, draw_baujat
from revmentor.report.figures.forest import ForestData, draw_forest
from revmentor.report.figures.likert import LikertData, draw_likert
from revmentor.report.figures.moderators import (
    BubbleData,
    SubgroupData,
    draw_bubble,
    draw_subgroups,
)
from revmentor.report.figures.style import STYLE, save_figure

FigureData = ForestData | LikertData | BubbleData | SubgroupData | BaujatData
DRAW: dict[type, Callable[[Any], Figure]] = {
    ForestData: draw_forest,
    LikertData: draw_likert,
    BubbleData: draw_bubble,
    SubgroupData: draw_subgroups,
    BaujatData: draw_baujat,
}
SUFFIXES = (".png", ".svg")
DIGESTS = ".sha256"
PARTIAL = ".partial"
#: Weights the figures use (titles and headings are bold); their font files are hashed.
FONT_WEIGHTS = ("normal", "bold")
#: Bumped if the key's layout changes, so that no old entry can match a new key by chance.
KEY_VERSION = "1"


# --------------------------------------------------------------------------- the key


def canonical(value: Any) -> Any:
    """``value`` as plain JSON values, exactly: a float by its ``repr`` (which round-trips),
    a dataclass by its class and fields. Anything else is refused rather than guessed at,
    so two different figures cannot share a text form."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return {"float": repr(number)} if math.isfinite(number) else {"float": str(number)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "class": f"{type(value).__module__}.{type(value).__qualname__}",
            "fields": {
                f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
            },
        }
    if isinstance(value, (tuple, list)):
        return [canonical(item) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {"mapping": [[key, canonical(item)] for key, item in value.items()]}
    raise TypeError(f"no canonical form for {type(value).__name__} in figure data")


#: The drawing code: every drawing function and the style live in this package, and a
#: drawing function reads nothing but its dataclass (the module constants are here too).
PACKAGE_FOLDER = Path(__file__).parent


@cache
def code_fingerprint(folder: Path = PACKAGE_FOLDER) -> str:
    """SHA-256 over the package's sources. It covers the data-building functions beside
    the drawing ones, so a change there is a miss too, which is safe; code outside it
    (reading, pooling) reaches a figure only through its data, which the key holds."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def software_fingerprint() -> str:
    """The versions of what turns a figure into bytes, and SHA-256 of the font files the
    figures' style resolves to (a font installed or updated on the machine is a miss)."""
    parts = [
        f"python={sys.version_info[:3]}",
        f"matplotlib={matplotlib.__version__}",
        f"numpy={np.__version__}",
        # Looked up, not imported: matplotlib already imports it, and an import here would
        # add it to the packages the audit manifest lists (docs/reproducibility.md).
        f"pillow={importlib.metadata.version('pillow')}",
        f"freetype={ft2font.__freetype_version__}",
        f"zlib={zlib.ZLIB_RUNTIME_VERSION}",
    ]
    for weight in FONT_WEIGHTS:
        properties = font_manager.FontProperties(family=STYLE["font.family"], weight=weight)
        font = Path(font_manager.findfont(properties, fallback_to_default=False))
        parts.append(f"font:{weight}={hashlib.sha256(font.read_bytes()).hexdigest()}")
    return ";".join(parts)


def figure_key(data: FigureData) -> str:
    """SHA-256 over everything that decides the figure's bytes (see the module text)."""
    draw = DRAW[type(data)]
    text = json.dumps(
        {
            "version": KEY_VERSION,
            "draw": f"{draw.__module__}.{draw.__qualname__}",
            "data": canonical(data),
            "code": code_fingerprint(),
            "software": software_fingerprint(),
        },
        ensure_ascii=True,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --------------------------------------------------------------------------- writing


def _files(path_without_suffix: Path) -> list[Path]:
    return [path_without_suffix.with_name(path_without_suffix.name + s) for s in SUFFIXES]


def _entry(cache_folder: Path, key: str) -> tuple[list[Path], Path]:
    """An entry's figure files, and the file of their SHA-256 (written last)."""
    return _files(cache_folder / key), cache_folder / f"{key}{DIGESTS}"


def _digests(contents: Iterable[bytes]) -> str:
    return "".join(hashlib.sha256(content).hexdigest() + "\n" for content in contents)


def _cached(cache_folder: Path, key: str) -> list[bytes] | None:
    """The entry's bytes if it is whole and unchanged since it was stored, else ``None``
    (a missing, partial or altered entry is a miss, and is drawn and stored again)."""
    paths, digests = _entry(cache_folder, key)
    try:
        contents = [path.read_bytes() for path in paths]
        recorded = digests.read_text(encoding="ascii")
    except OSError:
        return None
    return contents if recorded == _digests(contents) else None


def _write_atomically(target: Path, content: bytes) -> None:
    """A reader never sees a half-written entry, even if the job is killed mid-write."""
    partial = target.with_name(f"{target.name}.{os.getpid()}{PARTIAL}")
    try:
        partial.write_bytes(content)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _store(cache_folder: Path, key: str, figure_files: Sequence[Path]) -> None:
    paths, digests = _entry(cache_folder, key)
    contents = [path.read_bytes() for path in figure_files]
    for path, content in zip(paths, contents, strict=True):
        _write_atomically(path, content)
    _write_atomically(digests, _digests(contents).encode("ascii"))


def write_figures(
    figures: Mapping[str, FigureData],
    folder: Path,
    *,
    cache_folder: Path | None = None,
) -> list[str]:
    """Write ``<folder>/<stem>.png`` and ``.svg`` for every figure; return the stems that
    were drawn (the others were copied from ``cache_folder``).

    The cache is a help, not a need: if it cannot be written (a read-only or full disk),
    the figures still are. Drawing stays on one process: a second one helps a job run
    alone, but in a workflow run the other core is busy (docs/scaling.md).
    """
    folder.mkdir(parents=True, exist_ok=True)
    keys = {stem: figure_key(data) for stem, data in figures.items()} if cache_folder else {}
    to_draw = []
    for stem, data in figures.items():
        cached = _cached(cache_folder, keys[stem]) if cache_folder else None
        if cached is None:
            to_draw.append((stem, data))
            continue
        for target, content in zip(_files(folder / stem), cached, strict=True):
            target.write_bytes(content)
    for stem, data in to_draw:
        save_figure(DRAW[type(data)](data), folder / stem)
    if cache_folder is not None:
        try:
            cache_folder.mkdir(parents=True, exist_ok=True)
            for stem, _ in to_draw:
                _store(cache_folder, keys[stem], _files(folder / stem))
            prune(cache_folder, keys.values())
        except OSError as failure:
            print(f"figure cache not updated ({failure}); the figures are written", file=sys.stderr)
    return [stem for stem, _ in to_draw]


def prune(cache_folder: Path, keep: Iterable[str]) -> list[Path]:
    """Delete every entry but those of ``keep`` (this run's keys); return what went."""
    kept = {path.name for key in keep for path in [*_files(Path(key)), Path(key + DIGESTS)]}
    removed = [path for path in sorted(cache_folder.iterdir()) if path.name not in kept]
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed
