"""Read one sheet of an XLSX workbook, after its parts have been checked.

Which sheet: the one named ``responses`` (case and surrounding spaces ignored), otherwise
the only visible worksheet. A hidden sheet is never read without a warning. Cells are
read with openpyxl in read-only (streaming) mode; a formula is read as the value it had
when the file was last calculated, with a warning, and a formula with no such value is an
error, as are merged cells in the table. A date cell is read as ISO 8601 text (the checks
then name the band Excel most likely turned into it), and a text cell that holds a number
is noted in :attr:`RawTable.text_numbers`, so that the checks read it with a warning.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from revmentor.core.numbers import plain_number, without_plus_sign
from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.validation.readers.cells import cell_position, column_letter
from revmentor.validation.readers.limits import ReadLimits
from revmentor.validation.readers.table import RawTable, TableBuilder
from revmentor.validation.readers.xlsx_parts import (
    Formula,
    SheetEntry,
    SheetScan,
    check_declared_size,
    scan_parts,
    unreadable,
    workbook_sheets,
)

PREFERRED_SHEET = "responses"
VISIBLE = "visible"


def _cell_text(value: object) -> str | None:
    """An XLSX cell as the text a person would type for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text != "" else None


def _is_text_number(value: object) -> bool:
    """A text cell that holds a number (``'4``, `` 4 ``, ``+4``): a spreadsheet shows it as
    text, aligned left, and does not count it; the checks read it as the number and warn."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return plain_number(without_plus_sign(text) or text) is not None


def _listed(sheets: list[SheetEntry]) -> str:
    return ", ".join(f"'{sheet.title}'" for sheet in sheets)


def choose_sheet(sheets: list[SheetEntry], shown_as: str) -> tuple[SheetEntry, list[Problem]]:
    """The sheet to read, and a warning if it is hidden."""
    if not sheets:
        raise unreadable(shown_as, "the workbook has no worksheet")
    named = [sheet for sheet in sheets if sheet.title.strip().lower() == PREFERRED_SHEET]
    visible = [sheet for sheet in sheets if sheet.state == VISIBLE]
    if named:
        chosen = next((sheet for sheet in named if sheet.state == VISIBLE), named[0])
        reason = f"it is named '{PREFERRED_SHEET}'"
    elif len(visible) == 1:
        chosen, reason = visible[0], ""
    elif len(sheets) == 1:
        chosen, reason = sheets[0], "it is the workbook's only worksheet"
    else:
        among = visible or sheets
        which = "visible sheets" if visible else "worksheets, all hidden,"
        raise ProblemsError(
            f"{shown_as}: it is not clear which sheet holds the data",
            [
                Problem(
                    None,
                    None,
                    "sheet_choice",
                    f"the workbook has {len(among)} {which} ({_listed(among)}) and none is "
                    f"named '{PREFERRED_SHEET}', so it is not clear which holds the data; "
                    f"name that sheet '{PREFERRED_SHEET}'",
                    shown_value(_listed(among)),
                )
            ],
        )
    if chosen.state == VISIBLE:
        return chosen, []
    very = " (very hidden: only the VBA editor can show it)" if chosen.state != "hidden" else ""
    return chosen, [
        Problem(
            None,
            None,
            "hidden_sheet",
            f"sheet '{chosen.title}' is hidden{very} but was read because {reason}; "
            "hidden sheets often hold old data, so unhide it (right-click a sheet tab > "
            "Unhide) and check that it holds the current responses",
            chosen.state,
            chosen.title,
        )
    ]


def read_xlsx(path: Path, shown_as: str, limits: ReadLimits) -> RawTable:
    if path.stat().st_size == 0:
        raise ProblemsError(
            f"{shown_as}: the file is empty",
            [Problem(None, None, "file_not_empty", "the file is empty")],
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise unreadable(
            shown_as, f"it is not a ZIP archive as .xlsx files are ({error})"
        ) from None
    with archive:
        check_declared_size(archive, shown_as, limits)
        chosen, warnings = choose_sheet(workbook_sheets(archive, shown_as, limits), shown_as)
        scan = scan_parts(archive, shown_as, chosen, limits)
    return _read_cells(path, shown_as, chosen, scan, warnings, limits)


def _read_cells(
    path: Path,
    shown_as: str,
    chosen: SheetEntry,
    scan: SheetScan,
    warnings: list[Problem],
    limits: ReadLimits,
) -> RawTable:
    from openpyxl import load_workbook

    builder = TableBuilder(
        shown_as, limits, sheet=chosen.title, delimiter=None, ragged_is_error=False
    )
    builder.warnings.extend(warnings)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # any failure of the reader is the file's, reported as such
        raise unreadable(shown_as, _reason(error)) from None
    try:
        worksheet = workbook[chosen.title]
        # Read every row and column present, whatever the file's (possibly stale) dimension
        # record says; read-only mode otherwise stops at it and silently drops cells.
        worksheet.reset_dimensions()
        for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1):
            builder.add(
                number,
                [_cell_text(value) for value in values],
                [index for index, value in enumerate(values) if _is_text_number(value)],
            )
            for column, formula in scan.formulas.pop(number, ()):
                _formula_problem(builder, number, column, formula)
    except ProblemsError:
        raise
    except Exception as error:  # as above: a damaged sheet is the file's problem
        raise unreadable(shown_as, _reason(error)) from None
    finally:
        workbook.close()
    return builder.finish(_merge_problems(builder, scan.merges))


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _formula_problem(builder: TableBuilder, row: int, column: int, formula: Formula) -> None:
    cell = f"{column_letter(column)}{row}"
    if formula.cached:
        builder.warnings.append(
            Problem(
                row,
                builder.column_name(column),
                "formula_value",
                f"cell {cell} holds a formula; the value it had when the file was last "
                "saved was read. Check that value, or type it in place of the formula",
                shown_value(formula.text),
                builder.sheet,
            )
        )
        return
    builder.problems.append(
        Problem(
            row,
            builder.column_name(column),
            "formula_without_value",
            f"cell {cell} holds a formula but no value: the program that saved the file did "
            "not calculate it. Open the file in Excel and save it, or type the value in "
            "place of the formula",
            shown_value(formula.text),
            builder.sheet,
        )
    )


def _merge_problems(builder: TableBuilder, merges: list[str]) -> list[Problem]:
    """Merged ranges that reach into the table (row 1 to the last row with a value)."""
    problems = []
    for ref in merges:
        first = cell_position(ref.split(":")[0])
        if first is None or first[0] > builder.last_row or first[1] >= builder.width:
            continue
        row, column = first
        problems.append(
            Problem(
                row,
                builder.column_name(column),
                "merged_cells",
                f"cells {ref} are merged, so only {column_letter(column)}{row} holds the value "
                "and the others read as empty; unmerge them (Home > Merge & Center > Unmerge "
                "Cells) and type the value in each cell",
                ref,
                builder.sheet,
            )
        )
    return problems
