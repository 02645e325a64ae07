"""XLSX data-entry workbooks built from the instrument, with Excel data validation.

A site's data manager can only type allowed values: scores within the scale, the roles,
the timepoints, 0/1 for binary items and the listed levels. Files are written with fixed
timestamps so that the same content gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from revmentor.core.instrument import SITE_COLUMN, Instrument

RESPONSES_SHEET = "responses"
FIXED_TIME = dt.datetime(2022, 11, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CORE_PROPERTIES = "docProps/core.xml"
TEMPLATE_ROWS = 2000


def _list_validation(levels: Sequence[str], prompt: str) -> DataValidation:
    formula = '"' + ",".join(levels) + '"'
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.error = f"Choose one of: {', '.join(levels)}"
    validation.errorTitle = "Value not allowed"
    validation.prompt = prompt
    validation.showErrorMessage = True
    return validation


def _score_validation(instrument: Instrument) -> DataValidation:
    validation = DataValidation(
        type="whole",
        operator="between",
        formula1=str(instrument.scale_min),
        formula2=str(instrument.scale_max),
        allow_blank=True,
    )
    validation.error = (
        f"A score is a whole number from {instrument.scale_min} to {instrument.scale_max}; "
        "leave it empty if missing"
    )
    validation.errorTitle = "Score out of range"
    validation.showErrorMessage = True
    return validation


def _column_validations(instrument: Instrument, site_id: str | None) -> dict[str, DataValidation]:
    rules: dict[str, DataValidation] = {
        "role": _list_validation(instrument.roles, "Role of the participant"),
        "timepoint": _list_validation(instrument.timepoints, "Questionnaire timepoint"),
    }
    if site_id:
        rules[SITE_COLUMN] = _list_validation([site_id], "This site's id")
    score = _score_validation(instrument)
    for domain in instrument.domain_ids:
        rules[domain] = score
    for item in instrument.items:
        prompt = f"Asked at '{item.timepoint}' only" + (
            " (0 = no, 1 = yes)" if item.is_binary else ""
        )
        rules[item.id] = _list_validation(item.levels, prompt)
    for name, levels in instrument.demographics:
        rules[name] = _list_validation(levels, name)
    return rules


def responses_workbook(
    instrument: Instrument,
    rows: pd.DataFrame | None = None,
    *,
    site_id: str | None = None,
    about: Sequence[str] = (),
) -> Workbook:
    """A workbook with a validated ``responses`` sheet (and an ``about`` sheet if given)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = RESPONSES_SHEET
    columns = list(instrument.known_columns())
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    if rows is not None:
        for record in rows[columns].itertuples(index=False):
            sheet.append([_excel_value(value) for value in record])
    last_row = max(TEMPLATE_ROWS, sheet.max_row)
    validations = _column_validations(instrument, site_id)
    added: dict[int, DataValidation] = {}
    for index, column in enumerate(columns, 1):
        validation = validations.get(column)
        if validation is None:
            continue
        if id(validation) not in added:
            sheet.add_data_validation(validation)
            added[id(validation)] = validation
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.column_dimensions[letter].width = max(12, len(column) + 2)
    sheet.freeze_panes = "A2"
    if about:
        notes = workbook.create_sheet("about")
        for line in about:
            notes.append([line])
            # openpyxl stores text that opens with '=' as a formula; these notes (which may
            # quote a site's name) are text, so Excel never runs them.
            notes.cell(notes.max_row, 1).data_type = "s"
        notes.column_dimensions["A"].width = 110
    workbook.properties.creator = "revmentor"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    return workbook


def _excel_value(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    # ASCII digits only: str.isdigit() is also true of '٤' and '²', which int() reads as 4
    # or refuses, and which a spreadsheet shows as text.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save with fixed zip timestamps, so that equal workbooks are equal files."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = entry.external_attr
            content = source.read(entry.filename)
            if entry.filename == CORE_PROPERTIES:
                content = _fixed_modified_time(content)
            target.writestr(fixed, content)


def _fixed_modified_time(core_xml: bytes) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml; replace it with a fixed one."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
        rb"\g<1>" + stamp + rb"\g<2>",
        core_xml,
    )
