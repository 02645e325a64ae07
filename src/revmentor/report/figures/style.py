"""Shared by every publication figure: style, canvas, saving and small text helpers.

Drawing functions open :func:`figure_style` and draw on :func:`new_figure`, a figure on its
own Agg canvas outside pyplot.

:func:`save_figure` writes PNG and SVG byte-identically on every run: the SVG id salt,
the fonts and the file metadata are fixed and no timestamp is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MINUS = "\u2212"
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.unicode_minus": True,
    "svg.fonttype": "none",
    "svg.hashsalt": "revmentor-figures",
    "path.simplify": False,
}
PNG_DPI = 200
MAX_LABEL_CHARS = 40


# --------------------------------------------------------------------------- text


def num(value: float | None, digits: int = 2) -> str:
    """Numbers as a journal prints them: fixed decimals and a true minus sign."""
    if value is None or not math.isfinite(value):
        return "NA"
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def p_text(p: float | None) -> str:
    if p is None:
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """Long hospital names would run into the plot; the full name belongs in a table."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def wrap_label(label: str, width: int = MAX_LABEL_CHARS, max_lines: int = 2) -> str:
    """A name on up to ``max_lines`` lines of ``width`` characters, broken between words.

    A hospital's name cut mid-word ("Riverside University Hospital (syntheti…") reads as a
    different name; a second line keeps it whole. Only a name that needs more lines than
    ``max_lines`` is shortened, after its last whole word that fits, with an ellipsis; a
    single word longer than a line is the one case cut inside a word.
    """
    words = label.split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        kept, last = lines[: max_lines - 1], lines[max_lines - 1].split()
        while len(last) > 1 and len(" ".join(last)) + 1 > width:
            last.pop()
        lines = [*kept, " ".join(last) + "\u2026"]
    return "\n".join(short(line, width) if len(line) > width else line for line in lines)


# --------------------------------------------------------------------------- drawing


@contextmanager
def figure_style() -> Iterator[None]:
    """matplotlib's defaults plus :data:`STYLE`, ignoring any user ``matplotlibrc``.

    Used while drawing and again while saving, because tick labels are only made at save
    time; a machine's local style file must not change a published figure's bytes.
    """
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(STYLE)
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas, outside pyplot, so nothing global is touched."""
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


# --------------------------------------------------------------------------- saving


def save_figure(figure: Figure, path_without_suffix: Path) -> list[Path]:
    """Write ``.png`` (200 dpi) and ``.svg``, byte-identical on every run, then close.

    The SVG id salt would otherwise be a fresh UUID per save and the SVG would carry
    today's date; PNG text chunks hold only the fixed ``Software`` entry.
    """
    path_without_suffix = Path(path_without_suffix)
    path_without_suffix.parent.mkdir(parents=True, exist_ok=True)
    png = path_without_suffix.with_name(path_without_suffix.name + ".png")
    svg = path_without_suffix.with_name(path_without_suffix.name + ".svg")
    software = f"matplotlib {matplotlib.__version__}"
    with figure_style():
        figure.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": software})
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": software})
    close_figure(figure)
    return [png, svg]


def close_figure(figure: Figure) -> None:
    """Unregister the figure from pyplot if a caller made it there; ours are unmanaged.

    The figure is not cleared, so saving it again still gives the same files.
    """
    from matplotlib import pyplot

    pyplot.close(figure)
