"""The site registry (config/sites.tsv): one row per hospital, checked before anything runs.

A JSON schema checks each row; this module adds what a schema cannot express: empty
cells, real calendar dates, duplicate ids, missing files, paths that leave ``data_root``
and two sites sending the same file. Every problem names the sheet row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revmentor.core.config import schema_problems
from revmentor.core.hashing import sha256_file
from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.validation.readers import decode_text

REQUIRED_COLUMNS = ("site_id", "name", "data", "format", "enrolled")
#: ``items``: a summary-only site's items file, relative to data_root (optional).
OPTIONAL_COLUMNS = ("items",)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


@dataclass(frozen=True)
class Site:
    site_id: str
    name: str
    data: str
    format: str
    enrolled: dt.date
    row: int
    path: str
    sha256: str
    items_path: str = ""

    def as_params(self) -> dict[str, str]:
        """What a rule needs to know about the site, as plain values Snakemake can track."""
        return {
            "site_id": self.site_id,
            "name": self.name,
            "format": self.format,
            "enrolled": self.enrolled.isoformat(),
            "file": self.path,
            "items_file": self.items_path,
        }


def read_registry(
    sheet: Path,
    data_root: Path,
    *,
    allow_absolute: bool,
    row_schema: Mapping[str, Any],
) -> tuple[Site, ...]:
    """Every site of the registry, or a :class:`ProblemsError` listing every problem."""
    shown = str(sheet)
    if not sheet.is_file():
        raise ProblemsError(
            f"site registry {shown} not found",
            [Problem(None, None, "file_exists", f"{shown} does not exist", shown)],
        )
    rows = _read_rows(sheet, shown)
    problems: list[Problem] = []
    for number, record in rows:
        problems += _row_problems(number, record, row_schema)
    problems += _duplicate_id_problems(rows)
    paths: dict[int, str] = {}
    for number, record in rows:
        if record.get("data"):
            path, problem = _site_path(number, record["data"], data_root, allow_absolute)
            if problem:
                problems.append(problem)
            else:
                paths[number] = path
    problems += _double_submission_problems(rows, paths)
    items_paths, items_problems = _items_paths(rows, data_root, allow_absolute)
    problems += items_problems
    if problems:
        raise ProblemsError(f"site registry {shown} has problems", problems)
    return tuple(
        _site(number, record, paths[number], items_paths.get(number, "")) for number, record in rows
    )


def _items_paths(
    rows: list[tuple[int, dict[str, str]]], data_root: Path, allow_absolute: bool
) -> tuple[dict[int, str], list[Problem]]:
    """The optional items file of summary-only sites (responses sites derive their items)."""
    paths, problems = {}, []
    for number, record in rows:
        if not record.get("items"):
            continue
        if record.get("format") != "summary":
            problems.append(
                Problem(
                    number,
                    "items",
                    "items_for_summary_sites",
                    "only a summary site sends an items file; a responses site's items are "
                    "computed from its data",
                    shown_value(record["items"]),
                )
            )
            continue
        path, problem = _site_path(number, record["items"], data_root, allow_absolute, "items")
        if problem:
            problems.append(problem)
        else:
            paths[number] = path
    return paths, problems


def _read_rows(sheet: Path, shown: str) -> list[tuple[int, dict[str, str]]]:
    text = decode_text(sheet.read_bytes(), shown)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    if not records or not any(cell.strip() for cell in records[0]):
        raise ProblemsError(
            f"site registry {shown} is empty",
            [Problem(1, None, "header_present", "row 1 must hold the column names")],
        )
    header = [cell.strip() for cell in records[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems = (
        [Problem(1, name, "required_column", f"column '{name}' is missing") for name in missing]
        + [
            Problem(1, name, "known_column", f"column '{name}' is not a registry column {COLUMNS}")
            for name in unknown
        ]
        + [
            Problem(
                1, name, "unique_column_name", f"column '{name}' appears more than once in row 1"
            )
            for name in repeated
        ]
    )
    rows = []
    for number, record in enumerate(records[1:], 2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    number,
                    None,
                    "row_length",
                    f"row {number} has {len(record)} tab-separated fields but the header has "
                    f"{len(header)}",
                    f"{len(record)} fields",
                )
            )
            continue
        cells = [cell.strip() for cell in record]
        rows.append(
            (
                number,
                {**dict.fromkeys(OPTIONAL_COLUMNS, ""), **dict(zip(header, cells, strict=True))},
            )
        )
    if problems:
        raise ProblemsError(f"site registry {shown} has problems", problems)
    if not rows:
        raise ProblemsError(
            f"site registry {shown} lists no sites",
            [Problem(None, None, "has_sites", "the registry has a header but no site rows")],
        )
    return rows


def _row_problems(number: int, record: dict[str, str], schema: Mapping[str, Any]) -> list[Problem]:
    problems = [
        Problem(number, name, "value_present", f"'{name}' is empty")
        for name in REQUIRED_COLUMNS
        if not record.get(name)
    ]
    present = {name: value for name, value in record.items() if value}
    for problem in schema_problems(present, schema, fill=False):
        if problem.check == "schema_required":
            continue
        problems.append(
            Problem(
                number,
                problem.column,
                problem.check,
                f"{problem.column} {problem.message}",
                problem.value,
            )
        )
    enrolled = present.get("enrolled")
    if enrolled and not any(p.column == "enrolled" for p in problems):
        try:
            dt.date.fromisoformat(enrolled)
        except ValueError:
            problems.append(
                Problem(
                    number,
                    "enrolled",
                    "iso_date",
                    f"'{enrolled}' is not a real calendar date (YYYY-MM-DD)",
                    shown_value(enrolled),
                )
            )
    return problems


def _duplicate_id_problems(entries: list[tuple[int, dict[str, str]]]) -> list[Problem]:
    """Ids that differ only in case collide on case-insensitive file systems, so they clash."""
    first_row: dict[str, int] = {}
    problems = []
    for number, record in entries:
        if not record.get("site_id"):
            continue
        folded = record["site_id"].casefold()
        if folded in first_row:
            problems.append(
                Problem(
                    number,
                    "site_id",
                    "unique_site_id",
                    f"site_id '{record['site_id']}' is already used in row {first_row[folded]}",
                    record["site_id"],
                )
            )
        else:
            first_row[folded] = number
    return problems


def _site(number: int, record: dict[str, str], path: str, items_path: str) -> Site:
    return Site(
        site_id=record["site_id"],
        name=record["name"],
        data=record["data"],
        format=record["format"],
        enrolled=dt.date.fromisoformat(record["enrolled"]),
        row=number,
        path=path,
        sha256=sha256_file(Path(path)),
        items_path=items_path,
    )


def _site_path(
    number: int, data: str, data_root: Path, allow_absolute: bool, column: str = "data"
) -> tuple[str, Problem | None]:
    def problem(check: str, message: str) -> tuple[str, Problem]:
        return "", Problem(number, column, check, message, shown_value(data))

    if Path(data).is_absolute() or os.path.isabs(data):
        if not allow_absolute:
            return problem(
                "relative_path",
                f"'{data}' is an absolute path; give it relative to data_root ({data_root}) "
                "or set allow_absolute_data_paths: true in config.yaml",
            )
        candidate = Path(data)
    else:
        candidate = data_root / data
        if not candidate.resolve().is_relative_to(data_root.resolve()):
            return problem(
                "path_inside_data_root",
                f"'{data}' leads outside data_root ({data_root}) once '..' and links are resolved",
            )
    if not candidate.exists():
        return problem("file_exists", f"file {os.path.normpath(candidate)} does not exist")
    if not candidate.is_file():
        return problem("is_file", f"{os.path.normpath(candidate)} is not a file")
    return os.path.normpath(candidate), None


def _double_submission_problems(
    rows: list[tuple[int, dict[str, str]]], paths: dict[int, str]
) -> list[Problem]:
    first: dict[str, tuple[int, str]] = {}
    problems = []
    for number, record in rows:
        if number not in paths:
            continue
        digest = sha256_file(Path(paths[number]))
        if digest in first:
            earlier_row, earlier_id = first[digest]
            problems.append(
                Problem(
                    number,
                    "data",
                    "unique_data_file",
                    f"site '{record.get('site_id')}' sends the same file content (SHA-256 "
                    f"{digest[:12]}…) as site '{earlier_id}' in row {earlier_row}: "
                    "a double submission",
                    shown_value(record["data"]),
                )
            )
        else:
            first[digest] = (number, record.get("site_id", ""))
    return problems
