"""Tables for people: the same rows as the CSV, formatted, as Markdown and as HTML.

Numbers are rounded for reading only (the CSV keeps 12 significant digits); p-values
below 0.001 read "<0.001". Text is escaped for Markdown and HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence

import pandas as pd

DEFAULT_DECIMALS = 2
P_DECIMALS = 3
P_FLOOR = 0.001


def format_value(value: object, decimals: int, is_p: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if is_p:
            return "<0.001" if value < P_FLOOR else f"{value:.{P_DECIMALS}f}"
        return f"{value:.{decimals}f}"
    return str(value)


def display_frame(
    frame: pd.DataFrame,
    decimals: Mapping[str, int] | None = None,
    p_columns: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every cell as display text; columns renamed to their human labels."""
    decimals = decimals or {}
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        places = decimals.get(column, DEFAULT_DECIMALS)
        is_p = column in p_columns
        shown[column] = [
            format_value(value.item() if hasattr(value, "item") else value, places, is_p)
            for value in frame[column].astype(object)
        ]
    return shown.rename(columns=dict(labels or {}))


def _rows(shown: pd.DataFrame) -> Iterator[tuple]:
    """The rows as tuples, from each column's list: iterating a frame of text row by row
    costs a lookup per cell, seconds for the larger tables at 1,000 sites."""
    if not len(shown.columns):
        return iter([()] * len(shown))
    return zip(*(shown[column].tolist() for column in shown.columns), strict=True)


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(shown: pd.DataFrame, title: str, notes: Sequence[str] = ()) -> str:
    lines = [f"# {title}", ""]
    header = [_markdown_cell(str(column)) for column in shown.columns]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for row in _rows(shown):
        lines.append("| " + " | ".join(_markdown_cell(str(cell)) for cell in row) + " |")
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


STYLE = (
    "body{font-family:sans-serif;margin:1.5em}"
    "table{border-collapse:collapse;font-size:0.9em}"
    "th,td{border:1px solid #bbb;padding:0.25em 0.5em;text-align:right}"
    "th{background:#eef3f8}td:first-child,th:first-child{text-align:left}"
    "td.text,th.text{text-align:left}"
    # A cell with a sentence behind it says so: dotted underline, help cursor.
    "td[title]{text-align:left;cursor:help;text-decoration:underline dotted #888}"
    "ul{max-width:60em}"
)


TEXT_CLASS = ' class="text"'


def _html_cell(text: str, hover: str, is_text: bool) -> str:
    title = f' title="{html.escape(hover)}"' if hover else ""
    return f"<td{TEXT_CLASS if is_text else ''}{title}>{html.escape(text)}</td>"


def _is_number(text: str) -> bool:
    try:
        float(text.lstrip("<"))
    except ValueError:
        return False
    return True


def text_columns(shown: pd.DataFrame) -> set[str]:
    """Columns holding words rather than numbers: left-aligned, as a reader expects."""
    # Each distinct text is tried once: a word costs a raised ValueError, and a column of
    # site names or roles repeats the same few thousand words down 10,000s of rows.
    return {
        str(column)
        for column in shown.columns
        if not any(_is_number(text) for text in set(map(str, shown[column].tolist())) if text)
    }


def html_table(
    shown: pd.DataFrame,
    title: str,
    notes: Sequence[str] = (),
    hover: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """``hover`` maps a column to one text per row, shown when the pointer rests on a cell."""
    hover = hover or {}
    columns = [str(column) for column in shown.columns]
    words = text_columns(shown)
    head = "".join(
        f"<th{TEXT_CLASS if column in words else ''}>{html.escape(column)}</th>"
        for column in columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            _html_cell(str(cell), hover[column][index] if column in hover else "", column in words)
            for column, cell in zip(columns, row, strict=True)
        )
        + "</tr>\n"
        for index, row in enumerate(_rows(shown))
    )
    notes_html = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        f"{body}</tbody>\n</table>\n"
        + (f"<ul>{notes_html}</ul>\n" if notes else "")
        + "</body></html>\n"
    )
