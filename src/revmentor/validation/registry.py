"""The site registry (config/sites.tsv): one row per hospital, checked before anything runs.

A JSON schema checks each row; this module adds what a schema cannot express: empty
cells, real calendar dates, duplicate ids, ids the workflow or Windows reserve
(:mod:`revmentor.core.site_ids`), names that are not one line of text, missing files, paths
that leave ``data_root`` and two sites sending the same file. Every problem names the sheet
row and column.

Besides its own columns the registry holds one column per moderator declared under
``moderators:`` in config.yaml (:mod:`revmentor.core.moderators`), and no other. A
moderator column may be left out, and a cell left empty: the value is then unknown.

The file is tab-separated text with spreadsheet quoting: a cell that holds a double quote,
a tab or a line break is written in double quotes, each quote inside it doubled, as Excel
saves it and as :func:`add_site` writes it. A quote that opens a cell but does not close it
is an error, never silently dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revmentor.core.files import CURRENT_UMASK
from revmentor.core.hashing import sha256_file
from revmentor.core.moderators import (
    NEW_REGISTRY_COLUMNS,
    REGISTRY_COLUMNS,
    REGISTRY_OPTIONAL_COLUMNS,
    REGISTRY_REQUIRED_COLUMNS,
    Moderator,
)
from revmentor.core.problems import Problem, ProblemsError, shown_value
from revmentor.core.site_ids import PRINTABLE_NAME, site_id_problem, site_name_problem, visible
from revmentor.validation.encoding import decode_text

#: validation.on_missing_data: a site whose file is absent waits, or stops the run.
WAIT_FOR_DATA = "wait"
STOP_ON_MISSING = "stop"
ON_MISSING_DATA = (WAIT_FOR_DATA, STOP_ON_MISSING)
#: The overview's status of a registered site whose file has not arrived.
AWAITING_DATA = "awaiting data"
MISSING_FILE = "file_exists"
#: How alike two file names must be (difflib's ratio) to take one for a slip of the other:
#: a swapped pair of letters in ``responses.xlsx`` scores 0.93, another extension 0.81.
NEAR_MATCH_CUTOFF = 0.75
#: The stem suffix of the templates ``revmentor new-site`` writes beside a site's file.
TEMPLATE_SUFFIX = "_template"


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
    #: A REDCap site's data access group, when it is not the site id as REDCap writes it.
    redcap_group: str = ""
    #: Each configured moderator's registry cell, as typed (valid); "" where unknown.
    moderators: dict[str, str] = field(default_factory=dict)

    def as_params(self) -> dict[str, str]:
        """What a rule needs to know about the site, as plain values Snakemake can track."""
        return {
            "site_id": self.site_id,
            "name": self.name,
            "format": self.format,
            "enrolled": self.enrolled.isoformat(),
            "file": self.path,
            "items_file": self.items_path,
            # Only where set, so that no other site's parameters change.
            **({"redcap_group": self.redcap_group} if self.redcap_group else {}),
        }


def read_registry(
    sheet: Path,
    data_root: Path,
    *,
    allow_absolute: bool,
    row_schema: Mapping[str, Any],
    moderators: Sequence[Moderator] = (),
) -> tuple[Site, ...]:
    """Every site of the registry, or a :class:`ProblemsError` listing every problem.

    A site whose data file is missing is a problem here (``on_missing_data: stop``); see
    :func:`load_registry` for a registry in which sites may still be awaiting data.
    ``moderators`` are those declared in the config: their columns are allowed, and each
    cell must be a value of its moderator or empty (unknown)."""
    return load_registry(
        sheet,
        data_root,
        allow_absolute=allow_absolute,
        row_schema=row_schema,
        moderators=moderators,
        on_missing_data=STOP_ON_MISSING,
    ).sites


def load_registry(
    sheet: Path,
    data_root: Path,
    *,
    allow_absolute: bool,
    row_schema: Mapping[str, Any],
    moderators: Sequence[Moderator] = (),
    on_missing_data: str = WAIT_FOR_DATA,
) -> Registry:
    """The registry's sites, split into those whose file is there and those awaiting it.

    Under ``on_missing_data: wait`` a site whose data file does not exist yet is awaiting
    data, unless its folder holds a file whose name is close to the one registered: that
    is taken for a typing mistake and stops the run, as does a file that cannot be read.
    Under ``stop`` a missing file is a problem too."""
    shown = str(sheet)
    if not sheet.is_file():
        raise ProblemsError(
            f"site registry {shown} not found",
            [Problem(None, None, "file_exists", f"{shown} does not exist", shown)],
        )
    rows = _read_rows(sheet, shown, moderators)
    problems = _content_problems(rows, row_schema, moderators)
    paths: dict[int, str] = {}
    waiting: dict[int, str] = {}
    claimed = _claimed_files(rows, data_root)
    for number, record in rows:
        if record.get("data"):
            path, problem = _site_path(number, record["data"], data_root, allow_absolute)
            if problem and problem.check == MISSING_FILE:
                problem = _missing_data_problem(
                    number, record, path, shown, claimed, on_missing_data
                )
                if problem is None:
                    waiting[number] = path
                    continue
            if problem:
                problems.append(problem)
            else:
                paths[number] = path
    problems += _double_submission_problems(rows, paths)
    items_paths, items_problems = _items_paths(rows, data_root, allow_absolute, set(waiting))
    problems += items_problems + _redcap_group_problems(rows)
    if problems:
        raise ProblemsError(f"site registry {shown} has problems", problems)
    return Registry(
        sites=tuple(
            _site(number, record, paths[number], items_paths.get(number, ""), moderators)
            for number, record in rows
            if number in paths
        ),
        awaiting=tuple(
            AwaitingSite(
                site_id=record["site_id"],
                name=record["name"],
                format=record["format"],
                row=number,
                path=waiting[number],
            )
            for number, record in rows
            if number in waiting
        ),
        registered=tuple(record["site_id"] for _, record in rows),
    )


def _claimed_files(rows: list[tuple[int, dict[str, str]]], data_root: Path) -> set[str]:
    """Every file a registry row names (data or items), normalised: another site's file is
    never a near match for a missing one, as in a folder that several sites share."""
    return {
        os.path.normpath(
            record[column] if os.path.isabs(record[column]) else data_root / record[column]
        )
        for _, record in rows
        for column in ("data", "items")
        if record.get(column)
    }


def near_matches(missing: Path, claimed: AbstractSet[str] = frozenset()) -> list[str]:
    """Names in the missing file's folder close enough to its name to be a typing slip
    (``responses.xslx`` for ``responses.xlsx``). Left out: hidden files, Excel's lock files
    (``~$…``), the templates ``revmentor new-site`` writes, and files another registry row
    names."""
    folder = missing.parent
    if not folder.is_dir():
        return []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    names = sorted(
        entry.name
        for entry in entries
        if entry.is_file()
        and not entry.name.startswith((".", "~$"))
        and not entry.stem.endswith(TEMPLATE_SUFFIX)
        and os.path.normpath(entry) not in claimed
    )
    return difflib.get_close_matches(missing.name, names, n=1, cutoff=NEAR_MATCH_CUTOFF)


def _missing_data_problem(
    number: int,
    record: Mapping[str, str],
    path: str,
    shown: str,
    claimed: AbstractSet[str],
    on_missing_data: str,
) -> Problem | None:
    """Why a site's missing file stops the run, or None when the site is awaiting data."""
    where = f"site {record.get('site_id', '')} (row {number} of {shown})"
    near = near_matches(Path(path), claimed)
    if near:
        return Problem(
            number,
            "data",
            "near_match",
            f"{where}: {path} does not exist, but the folder has {near[0]}: did you mean "
            f"that? Fix the data path in {shown} or rename the file",
            shown_value(record.get("data")),
        )
    if on_missing_data == WAIT_FOR_DATA:
        return None
    return Problem(
        number,
        "data",
        MISSING_FILE,
        f"{where}: file {path} does not exist and validation.on_missing_data is 'stop'. "
        "Put the site's file there, correct the data path, or set "
        "validation.on_missing_data: wait to run without the site until it arrives",
        shown_value(record.get("data")),
    )


@dataclass(frozen=True)
class AwaitingSite:
    """A registered site whose data file has not arrived: it runs no jobs until it does."""

    site_id: str
    name: str
    format: str
    row: int
    path: str

    @property
    def reason(self) -> str:
        return f"no data file yet at {self.path}"

    def as_params(self) -> dict[str, str]:
        """What the overview and the report say of the site, as plain values."""
        return {
            "site_id": self.site_id,
            "name": self.name,
            "format": self.format,
            "file": self.path,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Registry:
    """The sites whose file is there, those awaiting it, and every site id in row order."""

    sites: tuple[Site, ...]
    awaiting: tuple[AwaitingSite, ...]
    registered: tuple[str, ...]


def _content_problems(
    rows: list[tuple[int, dict[str, str]]],
    row_schema: Mapping[str, Any],
    moderators: Sequence[Moderator] = (),
) -> list[Problem]:
    """Everything wrong with the cells themselves, before any file they name is looked at."""
    problems: list[Problem] = []
    moderator_ids = {moderator.id for moderator in moderators}
    for number, record in rows:
        # The row schema knows only the registry's own columns.
        own = {name: value for name, value in record.items() if name not in moderator_ids}
        problems += _row_problems(number, own, row_schema)
        problems += _moderator_problems(number, record, moderators)
    return problems + _duplicate_id_problems(rows)


def _moderator_problems(
    number: int, record: Mapping[str, str], moderators: Sequence[Moderator]
) -> list[Problem]:
    problems = []
    for moderator in moderators:
        text = record.get(moderator.id, "")
        reason = moderator.value_problem(text)
        if reason:
            problems.append(
                Problem(
                    number,
                    moderator.id,
                    "moderator_value",
                    f"{reason}; leave the cell empty if the value is unknown",
                    shown_value(text),
                )
            )
    return problems


def add_site(
    sheet: Path,
    values: Mapping[str, str],
    *,
    row_schema: Mapping[str, Any],
    moderators: Sequence[Moderator] = (),
) -> int:
    """Append one site to the registry and return its row number.

    ``values`` may hold a cell for any of the configured ``moderators``; a moderator
    column the registry lacks yet is added at the end of the header, empty (unknown) for
    the sites already there, whose cells are otherwise kept as they read.

    Cells are quoted as a spreadsheet quotes them, so any name reads back as typed. The
    new registry is written beside the old one and read back (every row checked as
    :func:`read_registry` checks it, and the new row compared with ``values``) before it
    replaces the old one in one step: a registry that would not read back is never saved.
    The files a row names are not looked at: a new site has not sent its file yet.
    """
    shown = str(sheet)
    optional = [column for column in REGISTRY_OPTIONAL_COLUMNS if values.get(column, "") != ""]
    new_columns = optional + [m.id for m in moderators if values.get(m.id, "") != ""]
    content, header = _with_row(sheet, values, shown, new_columns)
    sheet.parent.mkdir(parents=True, exist_ok=True)
    handle, staged = tempfile.mkstemp(dir=sheet.parent, prefix=f".{sheet.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        number = _check_new_row(Path(staged), shown, header, values, row_schema, moderators)
        # mkstemp makes the file private: keep the registry's own permissions.
        mode = sheet.stat().st_mode & 0o7777 if sheet.exists() else 0o666 & ~CURRENT_UMASK
        os.chmod(staged, mode)
        os.replace(staged, sheet)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    return number


def _with_row(
    sheet: Path, values: Mapping[str, str], shown: str, needed_columns: Sequence[str] = ()
) -> tuple[bytes, list[str]]:
    """The registry's bytes with the row appended (its own line ends kept), and its header.

    Earlier bytes are untouched unless one of ``needed_columns`` is missing from the
    header: then every row is written again with that column added, empty."""
    old = sheet.read_bytes() if sheet.is_file() else b""
    # A registry of blank lines only is started afresh: a blank row 1 would be no header.
    old = old if old.strip() else b""
    header = [*NEW_REGISTRY_COLUMNS, *needed_columns]
    line_end = "\n"
    if old:
        text = decode_text(old, shown)
        records = _parse(text, shown)
        header = [cell.strip() for cell in records[0]]
        line_end = "\r\n" if "\r\n" in text else "\n"
        missing = [column for column in needed_columns if column not in header]
        if missing:
            old = _with_columns(records, missing, line_end, shown)
            header += missing
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator=line_end)
    if not old:
        writer.writerow(header)
    writer.writerow([values.get(column, "") for column in header])
    separator = b"" if not old or old.endswith(b"\n") else line_end.encode()
    return old + separator + buffer.getvalue().encode("utf-8"), header


def _with_columns(
    records: list[list[str]], columns: Sequence[str], line_end: str, shown: str
) -> bytes:
    """Every record written again with ``columns`` added at the end, empty (value unknown)
    for every site; blank lines stay blank. Refused unless every earlier cell reads back
    as it was."""

    def widened(index: int, record: list[str]) -> list[str]:
        if index == 0:
            return [*record, *columns]
        return [*record, *([""] * len(columns))] if any(c.strip() for c in record) else []

    expected = [widened(index, record) for index, record in enumerate(records)]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator=line_end).writerows(expected)
    text = buffer.getvalue()
    if _parse(text, shown) != expected:
        raise ProblemsError(
            f"site registry {shown} is unchanged: adding the column(s) {', '.join(columns)} "
            "would change cells of the sites already there",
            [
                Problem(
                    None,
                    column,
                    "reads_back",
                    f"add the column '{column}' to row 1 of {shown} by hand (in a spreadsheet, "
                    "saved as tab-separated text), then run the command again",
                )
                for column in columns
            ],
        )
    return text.encode("utf-8")


def _check_new_row(
    staged: Path,
    shown: str,
    header: list[str],
    values: Mapping[str, str],
    row_schema: Mapping[str, Any],
    moderators: Sequence[Moderator] = (),
) -> int:
    """The staged registry's new row number, once every row reads back as it should."""
    rows = _read_rows(staged, shown, moderators)
    problems = _content_problems(rows, row_schema, moderators)
    if problems:
        raise ProblemsError(f"site registry {shown} is unchanged: it has problems", problems)
    number, record = rows[-1]
    expected = {
        **dict.fromkeys(REGISTRY_OPTIONAL_COLUMNS, ""),
        **{column: values.get(column, "") for column in header},
    }
    different = [column for column in header if record.get(column) != expected[column]]
    if different:
        raise ProblemsError(
            f"site registry {shown} is unchanged: the new row would not read back as given",
            [
                Problem(
                    number,
                    column,
                    "reads_back",
                    f"'{expected[column]}' would read back as '{record.get(column)}'",
                    shown_value(expected[column]),
                )
                for column in different
            ],
        )
    return number


def registry_columns(sheet: Path) -> list[str]:
    """The registry's column names, as row 1 holds them (none if it is missing or blank)."""
    if not sheet.is_file() or not sheet.read_bytes().strip():
        return []
    return [
        cell.strip() for cell in _parse(decode_text(sheet.read_bytes(), str(sheet)), str(sheet))[0]
    ]


def registered_site_ids(sheet: Path) -> list[str]:
    """The site ids already in the registry (none if it is missing or has no rows)."""
    if not sheet.is_file() or not sheet.read_bytes().strip():
        return []
    records = _parse(decode_text(sheet.read_bytes(), str(sheet)), str(sheet))
    header = [cell.strip() for cell in records[0]]
    if "site_id" not in header:
        return []
    column = header.index("site_id")
    return [record[column].strip() for record in records[1:] if len(record) > column]


def _parse(text: str, shown: str) -> list[list[str]]:
    """Every record of the tab-separated text; a quote left open is a problem naming its
    row (as a spreadsheet numbers rows: each record is one row, blank lines included)."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    first_line = 1
    try:
        for record in reader:
            records.append(record)
            first_line = reader.line_num + 1
    except csv.Error:
        row = len(records) + 1
        # The reader counts lines as StringIO splits them (a lone CR ends a line too).
        lines = io.StringIO(text, newline="").readlines()
        line = lines[first_line - 1].rstrip("\r\n") if first_line <= len(lines) else ""
        raise ProblemsError(
            f"site registry {shown} has problems",
            [
                Problem(
                    row,
                    None,
                    "quoted_cell",
                    f'row {row} has a cell that opens with a double quote (") but does not '
                    "close it just before the next tab or line end. A cell holding a quote is "
                    'written in quotes with the quote doubled: """Foo"" Hospital" for the name '
                    '"Foo" Hospital. Save the registry from a spreadsheet as tab-separated text, '
                    "or add sites with 'revmentor new-site'",
                    shown_value(visible(line)),
                )
            ],
        ) from None
    return records


def _items_paths(
    rows: list[tuple[int, dict[str, str]]],
    data_root: Path,
    allow_absolute: bool,
    awaiting: AbstractSet[int] = frozenset(),
) -> tuple[dict[int, str], list[Problem]]:
    """The optional items file of summary-only sites (responses sites derive their items).
    A site ``awaiting`` its data (by row) may be awaiting its items file too."""
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
        if problem and problem.check == MISSING_FILE and number in awaiting:
            continue
        if problem:
            problems.append(problem)
        else:
            paths[number] = path
    return paths, problems


def _redcap_group_problems(rows: list[tuple[int, dict[str, str]]]) -> list[Problem]:
    """A data access group means something for a REDCap site only."""
    return [
        Problem(
            number,
            "redcap_group",
            "redcap_group_for_redcap_sites",
            "only a REDCap site (format redcap) has a data access group; leave the cell "
            "empty for this site",
            shown_value(record["redcap_group"]),
        )
        for number, record in rows
        if record.get("redcap_group") and record.get("format") != "redcap"
    ]


def _read_rows(
    sheet: Path, shown: str, moderators: Sequence[Moderator] = ()
) -> list[tuple[int, dict[str, str]]]:
    text = decode_text(sheet.read_bytes(), shown)
    records = _parse(text, shown)
    if not records or not any(cell.strip() for cell in records[0]):
        raise ProblemsError(
            f"site registry {shown} is empty",
            [Problem(1, None, "header_present", "row 1 must hold the column names")],
        )
    header = [cell.strip() for cell in records[0]]
    missing = [name for name in REGISTRY_REQUIRED_COLUMNS if name not in header]
    moderator_ids = tuple(moderator.id for moderator in moderators)
    # Moderator columns are optional: a site without one has an unknown value.
    optional = (*REGISTRY_OPTIONAL_COLUMNS, *moderator_ids)
    unknown = [name for name in header if name not in (*REGISTRY_REQUIRED_COLUMNS, *optional)]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems = (
        [Problem(1, name, "required_column", f"column '{name}' is missing") for name in missing]
        + [
            Problem(1, name, "known_column", _unknown_column_message(name, moderator_ids))
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
                {**dict.fromkeys(optional, ""), **dict(zip(header, cells, strict=True))},
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


def _unknown_column_message(name: str, moderator_ids: Sequence[str]) -> str:
    declared = ", ".join(moderator_ids) if moderator_ids else "none are declared"
    return (
        f"column '{name}' is not a registry column. Allowed: {', '.join(REGISTRY_COLUMNS)}, "
        f"and the moderators declared under 'moderators:' in config.yaml ({declared}). "
        f"To record '{name}' for each site, declare it as a moderator there first"
    )


def _row_problems(number: int, record: dict[str, str], schema: Mapping[str, Any]) -> list[Problem]:
    # Imported here: it loads jsonschema and yaml, which the shard jobs (that import this
    # module for its constants) never need.
    from revmentor.core.config import schema_problems

    problems = [
        Problem(number, name, "value_present", f"'{name}' is empty")
        for name in REGISTRY_REQUIRED_COLUMNS
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
    if "site_id" in present and not any(p.column == "site_id" for p in problems):
        clash = site_id_problem(present["site_id"])
        if clash:
            check, reason = clash
            problems.append(
                Problem(
                    number,
                    "site_id",
                    check,
                    f"site_id '{present['site_id']}' is not allowed: {reason}",
                    shown_value(present["site_id"]),
                )
            )
    name_problem = site_name_problem(present.get("name", ""))
    if name_problem:
        problems.append(
            Problem(
                number, "name", PRINTABLE_NAME, name_problem, shown_value(visible(record["name"]))
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


def _site(
    number: int,
    record: dict[str, str],
    path: str,
    items_path: str,
    moderators: Sequence[Moderator],
) -> Site:
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
        redcap_group=record.get("redcap_group", ""),
        moderators={moderator.id: record.get(moderator.id, "") for moderator in moderators},
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
    shown = os.path.normpath(candidate)
    if candidate.is_symlink() and not candidate.exists():
        return problem(
            "readable",
            f"{shown} is a link to a file that does not exist: point it at the site's file "
            "or replace it with the file",
        )
    if not candidate.exists():
        # The path is returned too: a missing data file may be a site awaiting its data.
        return shown, Problem(
            number, column, MISSING_FILE, f"file {shown} does not exist", shown_value(data)
        )
    if not candidate.is_file():
        return problem("is_file", f"{shown} is not a file")
    unreadable = _unreadable_reason(candidate)
    if unreadable:
        return problem(
            "readable",
            f"{shown} cannot be read ({unreadable}): give the account that runs the "
            "workflow read access to it, then run again",
        )
    return shown, None


def _unreadable_reason(path: Path) -> str | None:
    """Why a file that exists cannot be opened (permission denied, ...), or None."""
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


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
