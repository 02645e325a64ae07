"""The coordinating centre's side of ``disclosure.min_cell`` for the items file a summary-only
site sends: refuse a row that carries a small count, or a cell that gives a withheld count
back (:func:`revmentor.core.disclosure.items_withholdings`), naming the row, the column, the
value and the rule. A row whose withheld cells are empty is accepted."""

from __future__ import annotations

import pandas as pd

from revmentor.core.disclosure import items_withholdings
from revmentor.core.problems import Problem, shown_value

CHECK = "disclosure_min_cell"


def _listed(columns: tuple[str, ...]) -> str:
    return columns[0] if len(columns) == 1 else f"{', '.join(columns[:-1])} and {columns[-1]}"


def items_disclosure_problems(
    frame: pd.DataFrame, min_cell: int, sheet: str | None
) -> list[Problem]:
    """One problem per items row that carries what ``min_cell`` keeps at the site. ``frame``
    holds the file's cells as text, indexed by spreadsheet row (header = row 1)."""
    rows = {index: row.to_dict() for index, row in frame.iterrows()}
    problems = []
    for found in items_withholdings(rows, min_cell):
        column = found.cell if found.cell in found.columns else found.columns[0]
        value = rows[found.row].get(column)
        message = (
            f"'{value}' may not leave the site under the disclosure policy: {found.rule}; "
            f"leave {_listed(found.columns)} of this row empty (the workflow then leaves "
            "this site out of that item's pooled result); 'revmentor export-summary "
            "--items-out' withholds them"
        )
        problems.append(
            Problem(int(found.row), column, CHECK, message, shown_value(value), sheet)  # type: ignore[arg-type]
        )
    return sorted(problems, key=lambda problem: (problem.row or 0, problem.column or ""))
