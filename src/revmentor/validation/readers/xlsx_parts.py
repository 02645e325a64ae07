"""The parts of an XLSX file (a ZIP of XML parts), checked before openpyxl parses any.

- The sizes the ZIP directory declares are summed against ``max_uncompressed_mb``, and
  the bytes actually inflated are counted as well, since a ZIP directory can lie.
- Every XML part is streamed through expat and refused if it declares a DOCTYPE (an XML
  entity bomb needs one, and no spreadsheet program writes one) or is not well-formed.
- The sheet to be read is checked against the row and column limits as it streams, and
  its formulas and merged ranges are collected: read-only openpyxl shows neither.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from revmentor.core.problems import Problem, ProblemsError
from revmentor.validation.readers.cells import cell_position, column_letter
from revmentor.validation.readers.limits import (
    ReadLimits,
    columns_over_limit,
    megabytes,
    over_limit,
    rows_over_limit,
)

UNREADABLE = "unreadable_workbook"
CHUNK = 1 << 16
XML_SUFFIXES = (".xml", ".rels")
#: Shared strings allowed beyond the cells of the sheet read: the text of instruction or
#: lookup sheets, and strings a writer kept although no cell uses them any more.
OTHER_SHEETS_STRINGS = 100_000
_RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx)"


def unreadable(shown_as: str, reason: str, advice: str = _RESAVE) -> ProblemsError:
    return ProblemsError(
        f"{shown_as}: the file is not a readable .xlsx workbook",
        [
            Problem(
                None,
                None,
                UNREADABLE,
                f"the file is not a readable .xlsx workbook: {reason}; {advice}",
            )
        ],
    )


@dataclass(frozen=True)
class SheetEntry:
    """A worksheet as the workbook lists it."""

    title: str
    state: str  # visible, hidden or veryHidden
    part: str  # its path inside the ZIP


@dataclass(frozen=True)
class Formula:
    text: str  # as Excel shows it, with the leading '='
    cached: bool  # the file holds the value it had when last calculated


@dataclass
class SheetScan:
    """What the sheet's XML says that read-only openpyxl does not."""

    formulas: dict[int, list[tuple[int, Formula]]] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    cells: int = 0  # cells that hold a value or a formula


class _Refused(Exception):
    def __init__(self, error: ProblemsError):
        self.error = error


def _local(name: str) -> str:
    return name[name.rfind(" ") + 1 :]


class _Budget:
    """The bytes inflated so far, against max_uncompressed_mb."""

    def __init__(self, shown_as: str, limits: ReadLimits):
        self.shown_as = shown_as
        self.limit = limits.max_uncompressed_bytes
        self.used = 0

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise over_limit(
                self.shown_as,
                "uncompressed_size_limit",
                f"the workbook inflates to more than {megabytes(self.limit)} "
                "(more than its ZIP directory declares)",
                "max_uncompressed_mb",
            )


def check_declared_size(archive: zipfile.ZipFile, shown_as: str, limits: ReadLimits) -> None:
    declared = sum(info.file_size for info in archive.infolist())
    if declared > limits.max_uncompressed_bytes:
        raise over_limit(
            shown_as,
            "uncompressed_size_limit",
            f"the workbook's parts add up to {megabytes(declared)} once uncompressed, more "
            f"than the limit of {megabytes(limits.max_uncompressed_bytes)}",
            "max_uncompressed_mb",
            value=megabytes(declared),
        )


def _parse_part(
    archive: zipfile.ZipFile,
    part: str,
    shown_as: str,
    budget: _Budget,
    setup: Callable[[expat.XMLParserType], None] | None = None,
) -> None:
    """Stream one part through expat: no DOCTYPE, well-formed, inflated size counted."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse_doctype(*_: object) -> None:
        raise _Refused(
            unreadable(
                shown_as,
                f"its part {part} declares a DOCTYPE (XML entities), which no spreadsheet "
                "program writes and which can be used to exhaust memory",
                "save the sheet again from Excel, as .xlsx or as CSV UTF-8",
            )
        )

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    if setup is not None:
        setup(parser)
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(CHUNK):
                budget.spend(len(chunk))
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refused as refused:
        raise refused.error from None
    except expat.ExpatError as error:
        raise unreadable(
            shown_as,
            f"its part {part} is not well-formed XML ({expat.ErrorString(error.code)}, "
            f"line {error.lineno}, column {error.offset + 1})",
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
        raise unreadable(shown_as, f"its part {part} is damaged ({error})") from None


def _relationships(
    archive: zipfile.ZipFile, source: str, shown_as: str, budget: _Budget
) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of the relationships of ``source`` ('' for the package)."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in archive.NameToInfo:
        return found

    def start(element: str, attrs: dict[str, str]) -> None:
        if _local(element) == "Relationship" and "Id" in attrs:
            target = attrs.get("Target", "")
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            found[attrs["Id"]] = (attrs.get("Type", ""), resolved)

    def setup(parser: expat.XMLParserType) -> None:
        parser.StartElementHandler = start

    _parse_part(archive, rels, shown_as, budget, setup)
    return found


def workbook_sheets(
    archive: zipfile.ZipFile, shown_as: str, limits: ReadLimits
) -> list[SheetEntry]:
    """The workbook's worksheets (not chart sheets) in tab order, with their state."""
    budget = _Budget(shown_as, limits)
    package = _relationships(archive, "", shown_as, budget)
    workbook = next(
        (target for kind, target in package.values() if kind.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    if workbook not in archive.NameToInfo:
        raise unreadable(shown_as, f"it has no workbook part ({workbook})")
    listed: list[tuple[str, str, str]] = []

    def start(element: str, attrs: dict[str, str]) -> None:
        if _local(element) == "sheet":
            relation = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            listed.append((attrs.get("name", ""), attrs.get("state", "visible"), relation))

    def setup(parser: expat.XMLParserType) -> None:
        parser.StartElementHandler = start

    _parse_part(archive, workbook, shown_as, budget, setup)
    relations = _relationships(archive, workbook, shown_as, budget)
    sheets = []
    for title, state, relation in listed:
        kind, target = relations.get(relation, ("", ""))
        if kind.endswith("/worksheet") and target in archive.NameToInfo:
            sheets.append(SheetEntry(title, state, target))
    return sheets


class _SheetScanner:
    """Streams a worksheet: row and column limits, and (for the sheet read) its formulas
    and merged ranges."""

    def __init__(self, shown_as: str, title: str, limits: ReadLimits, scan: SheetScan):
        self.shown_as = shown_as
        self.title = title
        self.limits = limits
        self.scan = scan
        self.parser: expat.XMLParserType | None = None
        self.row = 0
        self.column = -1
        self.counted = False
        self.cell_type: str | None = None
        self.formula_attrs: dict[str, str] | None = None
        self.formula_text: list[str] = []
        self.value_text: list[str] = []
        self.value_seen = False
        self.shared: dict[str, tuple[str, int, int]] = {}
        self.columns: dict[str, int] = {}  # column letters -> 0-based index

    def setup(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        parser.StartElementHandler = self.start

    def start(self, element: str, attrs: dict[str, str]) -> None:
        name = _local(element)
        if name == "c":
            position = self._position(attrs["r"]) if "r" in attrs else None
            if position is None:
                self.column += 1
            else:
                self.row, self.column = position
            self.counted = False
            self.cell_type = attrs.get("t")
        elif name in ("v", "is", "f"):
            if not self.counted:
                self.counted = True
                self.scan.cells += 1
                self._check_limits()
            if name == "f":
                self._start_formula(attrs)
            elif name == "v" and self.formula_attrs is not None:
                self.value_seen = True
                assert self.parser is not None
                self.parser.CharacterDataHandler = self.value_text.append
        elif name == "row":
            number = attrs.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.column = -1
        elif name == "mergeCell" and "ref" in attrs:
            self.scan.merges.append(attrs["ref"])

    def _position(self, ref: str) -> tuple[int, int] | None:
        """As cell_position, with the column letters cached: this runs for every cell."""
        letters = ref.rstrip("0123456789")
        column = self.columns.get(letters)
        digits = ref[len(letters) :]
        if column is None or not digits.isdigit():
            position = cell_position(ref)
            if position is not None:
                self.columns[letters] = position[1]
            return position
        return int(digits), column

    def _check_limits(self) -> None:
        if self.row > self.limits.max_rows + 1:
            raise _Refused(rows_over_limit(self.shown_as, self.row, self.limits, self.title))
        if self.column + 1 > self.limits.max_columns:
            raise _Refused(
                columns_over_limit(
                    self.shown_as, self.row, self.column + 1, self.limits, self.title
                )
            )

    def _start_formula(self, attrs: dict[str, str]) -> None:
        assert self.parser is not None
        self.formula_attrs = dict(attrs)
        self.formula_text = []
        self.value_text = []
        self.value_seen = False
        self.parser.CharacterDataHandler = self.formula_text.append
        self.parser.EndElementHandler = self.end

    def end(self, element: str) -> None:
        assert self.parser is not None
        name = _local(element)
        if name in ("f", "v"):
            self.parser.CharacterDataHandler = None
        elif name == "c":
            self.parser.EndElementHandler = None
            self._keep_formula()

    def _keep_formula(self) -> None:
        attrs = self.formula_attrs or {}
        self.formula_attrs = None
        text = "".join(self.formula_text)
        kind = attrs.get("t", "normal")
        if kind == "shared" and "si" in attrs:
            if text:
                self.shared[attrs["si"]] = (text, self.row, self.column)
            else:
                text = self._shared_text(attrs["si"])
        shown = f"={text}" if text else f"(a {kind} formula)"
        cached = bool("".join(self.value_text)) or (self.cell_type == "str" and self.value_seen)
        self.scan.formulas.setdefault(self.row, []).append((self.column, Formula(shown, cached)))

    def _shared_text(self, index: str) -> str:
        """A shared formula as Excel shows it in this cell (references moved along)."""
        if index not in self.shared:
            return ""
        text, row, column = self.shared[index]
        from openpyxl.formula.translate import Translator

        origin = f"{column_letter(column)}{row}"
        here = f"{column_letter(self.column)}{self.row}"
        try:
            return Translator(f"={text}", origin=origin).translate_formula(here)[1:]
        except Exception:  # a formula the translator cannot parse is shown as written
            return text


def scan_parts(
    archive: zipfile.ZipFile, shown_as: str, sheet: SheetEntry, limits: ReadLimits
) -> SheetScan:
    """Check every XML part and the sheet to be read; that sheet's formulas and merges."""
    budget = _Budget(shown_as, limits)
    scan = SheetScan()
    scanner = _SheetScanner(shown_as, sheet.title, limits, scan)
    _parse_part(archive, sheet.part, shown_as, budget, scanner.setup)
    strings_allowed = scan.cells + OTHER_SHEETS_STRINGS
    for info in archive.infolist():
        if info.filename != sheet.part and info.filename.lower().endswith(XML_SUFFIXES):
            watch = _SharedStringsWatch(shown_as, info.filename, sheet.title, strings_allowed)
            _parse_part(archive, info.filename, shown_as, budget, watch.setup)
    return scan


class _SharedStringsWatch:
    """Counts the strings of the shared-string table (whatever its part is called), which
    openpyxl holds in memory whole, at some 170 bytes each and slowly: a table of millions
    of tiny strings is a memory bomb within any size limit. A workbook that Excel or
    LibreOffice saved keeps only the strings its cells use."""

    def __init__(self, shown_as: str, part: str, title: str, allowed: int):
        self.shown_as = shown_as
        self.part = part
        self.title = title
        self.allowed = allowed
        self.parser: expat.XMLParserType | None = None
        self.count = 0

    def setup(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        parser.StartElementHandler = self.root

    def root(self, element: str, attrs: dict[str, str]) -> None:
        assert self.parser is not None
        self.parser.StartElementHandler = self.start if _local(element) == "sst" else None

    def start(self, element: str, attrs: dict[str, str]) -> None:
        if _local(element) != "si":
            return
        self.count += 1
        if self.count > self.allowed:
            raise _Refused(
                unreadable(
                    self.shown_as,
                    f"its table of shared text ({self.part}) holds more than "
                    f"{self.allowed:,} strings, far more than sheet '{self.title}' "
                    f"({self.allowed - OTHER_SHEETS_STRINGS:,} cells with a value) and any "
                    "other sheet can use, as in a damaged or hostile file",
                )
            )
