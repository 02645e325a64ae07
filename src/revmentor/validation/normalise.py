"""Tidy a raw responses table before it meets the schema, recording every change made.

Column names and labels that differ from an allowed one only in case or surrounding
spaces (``Pre ``, ``MENTOR``) are normalised, each change reported as a warning. A number
written with a leading plus sign (``+4``) is read as Excel shows it (``4``), also with a
warning. NA tokens become missing. Unknown columns are reported and left out; nothing
else changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.numbers import plain_number, without_plus_sign
from revmentor.core.problems import Problem, shown_value

MAX_LISTED_ROWS = 10
NUMBER_STORED_AS_TEXT = "number_stored_as_text"


@dataclass(frozen=True)
class Normalised:
    frame: pd.DataFrame
    warnings: tuple[Problem, ...]


def label_columns(instrument: Instrument) -> dict[str, tuple[str, ...]]:
    """Columns whose values come from a fixed list, with that list."""
    labels: dict[str, tuple[str, ...]] = {
        "role": instrument.roles,
        "timepoint": instrument.timepoints,
    }
    labels.update({item.id: item.levels for item in instrument.items if not item.is_binary})
    labels.update(dict(instrument.demographics))
    return labels


def _rows_text(rows: list[int]) -> str:
    """``row 3``, or ``rows 2, 5`` (and how many more past the first few)."""
    listed = ", ".join(str(row) for row in rows[:MAX_LISTED_ROWS])
    extra = len(rows) - MAX_LISTED_ROWS
    return (
        ("row " if len(rows) == 1 else "rows ")
        + listed
        + (f" and {extra} more" if extra > 0 else "")
    )


def _normalise_header(
    frame: pd.DataFrame, known_columns: tuple[str, ...], sheet: str | None
) -> tuple[pd.DataFrame, list[Problem]]:
    known = set(known_columns)
    renames: dict[str, str] = {}
    warnings = []
    unknown = []
    for name in frame.columns:
        canonical = name.strip().lower()
        if canonical in known:
            if canonical != name:
                renames[name] = canonical
                warnings.append(
                    Problem(
                        1,
                        canonical,
                        "label_normalised",
                        f"column name '{name}' was read as '{canonical}'",
                        shown_value(name),
                        sheet,
                    )
                )
        else:
            unknown.append(name)
            warnings.append(
                Problem(
                    1,
                    name,
                    "unknown_column",
                    f"column '{name}' is not part of the instrument; it was left out "
                    "(its contents are not copied anywhere)",
                    None,
                    sheet,
                )
            )
    return frame.drop(columns=unknown).rename(columns=renames), warnings


def normalise(
    frame: pd.DataFrame,
    instrument: Instrument,
    sheet: str | None,
    known_columns: tuple[str, ...] | None = None,
    labels: dict[str, tuple[str, ...]] | None = None,
    numeric_columns: Collection[str] | None = None,
    text_numbers: Collection[tuple[int, str]] = (),
) -> Normalised:
    """Return the tidied frame (text cells, ``None`` = missing) and the warnings made.

    By default the columns, labels and numeric columns (the scores) are the responses
    format's; a summary passes its own. ``text_numbers`` are the (row, column) cells of a
    number column that a workbook stored as text: each is read as its number with a
    warning that says so (which also covers any spaces or plus sign around it).
    """
    if numeric_columns is None:
        numeric_columns = instrument.domain_ids if known_columns is None else ()
    known = instrument.known_columns() if known_columns is None else known_columns
    frame, warnings = _normalise_header(frame, known, sheet)
    tokens = {token.strip().lower() for token in instrument.na_tokens}
    labels = label_columns(instrument) if labels is None else labels
    changes: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    as_text: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    stored_as_text = set(text_numbers)
    columns = {}
    for column in frame.columns:
        allowed = labels.get(column, ())
        folded = {level.lower(): level for level in allowed}
        cells = []
        numeric = column in numeric_columns
        for row, cell in frame[column].items():
            value = _tidy_cell(cell, tokens, allowed, folded, numeric)
            # Most files have no number stored as text: then no cell needs the lookup.
            if (
                stored_as_text
                and (int(row), column) in stored_as_text
                and plain_number(value) is not None
            ):
                as_text[(column, str(cell), str(value))].append(int(row))
            elif value is not None and cell != value:
                changes[(column, str(cell), value)].append(int(row))
            cells.append(value)
        columns[column] = cells
    # One frame of object cells at once: a Series per column cost more than the cells did.
    tidy = pd.DataFrame(columns, index=frame.index, dtype=object)
    for (column, before, after), rows in sorted(changes.items()):
        warnings.append(
            Problem(
                rows[0],
                column,
                "label_normalised",
                f"'{before}' was read as '{after}' in {_rows_text(rows)}",
                shown_value(before),
                sheet,
            )
        )
    for (column, before, after), rows in sorted(as_text.items()):
        warnings.append(
            Problem(
                rows[0],
                column,
                NUMBER_STORED_AS_TEXT,
                f"'{before}' is stored as text in the spreadsheet; read as the number {after} "
                f"in {_rows_text(rows)}; check the column's format (a number stored "
                "as text is left out of the spreadsheet's own sums: select the cells and "
                "use Convert to Number)",
                shown_value(before),
                sheet,
            )
        )
    return Normalised(tidy, tuple(warnings))


def _tidy_cell(
    cell: str | None,
    tokens: set[str],
    allowed: tuple[str, ...],
    folded: dict[str, str],
    numeric: bool = False,
) -> str | None:
    if cell is None:
        return None
    text = cell.strip()
    if text.lower() in tokens:
        return None
    if numeric:
        return without_plus_sign(text) or text
    if allowed and text not in allowed:
        return folded.get(text.lower(), text)
    return text
