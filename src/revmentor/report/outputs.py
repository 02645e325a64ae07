"""Write one table three ways: CSV for machines, Markdown and HTML for people."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from revmentor.core.files import write_text
from revmentor.core.tables import csv_text, neutralised
from revmentor.report.render import display_frame, html_table, markdown_table


def write_table(
    frame: pd.DataFrame,
    stem: str | Path,
    title: str,
    notes: Sequence[str] = (),
    decimals: Mapping[str, int] | None = None,
    p_columns: Sequence[str] = (),
    hover: Mapping[str, Sequence[str]] | None = None,
) -> list[Path]:
    """``stem``.csv, .md and .html; text cells are neutralised against spreadsheet formulas."""
    stem = Path(stem)
    shown = display_frame(neutralised(frame), decimals, p_columns)
    paths = [stem.with_suffix(suffix) for suffix in (".csv", ".md", ".html")]
    write_text(paths[0], csv_text(frame, for_people=True))
    write_text(paths[1], markdown_table(shown, title, notes))
    write_text(paths[2], html_table(shown, title, notes, hover))
    return paths
