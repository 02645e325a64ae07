"""Cells that a spreadsheet turned into dates, and what was most likely typed there.

Excel reads ``5-9`` typed into a General cell as a date: 5 September of the current year
where days come first (en-GB), 9 May where months do (en-US), and ``10-14`` as October
2014. The cell then holds a date serial with a date format: an XLSX reader returns a date
(written here as ISO 8601, ``2025-09-05T00:00:00``), and a CSV saved by Excel holds the
date as it was displayed (``05-Sep``, ``Sep-05``, ``05/09/2025``). A number typed into a
cell formatted as a date is shown as a date too: 4 becomes 4 January 1900.

This module recognises those forms and names the band that most likely became the date,
so that a data manager is told what happened and how to undo it, not that a date is
"not an allowed value".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}
_ISO = re.compile(
    r"(?P<y>[0-9]{4})[-/](?P<m>[0-9]{1,2})[-/](?P<d>[0-9]{1,2})"
    r"(?P<time>[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
)
_DAY_MONTH_NAME = re.compile(
    r"(?P<d>[0-9]{1,2})[-/ ](?P<month>[A-Za-z]{3,9})\.?(?:[-/ ](?P<y>[0-9]{2}|[0-9]{4}))?"
)
_MONTH_NAME_NUMBER = re.compile(r"(?P<month>[A-Za-z]{3,9})\.?[-/ ](?P<n>[0-9]{1,4})")
_NUMERIC = re.compile(r"(?P<a>[0-9]{1,2})[-/.](?P<b>[0-9]{1,2})[-/.](?P<y>[0-9]{2}|[0-9]{4})")
_BAND = re.compile(r"\s*([0-9]{1,2})\s*[-/]\s*([0-9]{1,4})\s*")
#: Excel's day 0 of the 1900 date system; its serials count days from here (after
#: February 1900, one more: Excel keeps Lotus 1-2-3's 29 February 1900).
_EPOCH = dt.date(1899, 12, 31)
_FIRST_MARCH_1900 = dt.date(1900, 3, 1)
#: A date this close to 1900 is a small number (a score, a 0/1 answer) in a date format.
_SMALL_SERIAL = 100


@dataclass(frozen=True)
class CellDate:
    """A cell that holds a date: the number pairs ``a-b`` it may have been typed as."""

    pairs: tuple[tuple[int, int], ...]
    #: The number the cell holds, when it is a small number shown as a date (XLSX only).
    serial: int | None = None


def _valid(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def _pairs(day: int, month: int, year: int | None) -> tuple[tuple[int, int], ...]:
    """The two numbers of a band Excel could have read as this day and month (day first or
    month first) or, for the 1st of a month, as month and two-digit year (``10-14``)."""
    pairs = [(day, month), (month, day)]
    if day == 1 and year is not None:
        pairs.append((month, year % 100))
    return tuple(dict.fromkeys(pairs))


def _serial(date: dt.date) -> int:
    days = (date - _EPOCH).days
    return days + 1 if date >= _FIRST_MARCH_1900 else days


def cell_date(text: object) -> CellDate | None:
    """The date a cell's text shows (as an XLSX reader or a CSV saved by Excel writes
    it), or ``None`` when it shows none."""
    if text is None:
        return None
    shown = str(text).strip()
    match = _ISO.fullmatch(shown)
    if match is not None:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
        try:
            date = dt.date(year, month, day)
        except ValueError:
            return None
        time = match["time"]
        midnight = time is None or not time.strip("T :.0")
        serial = _serial(date) if midnight and year <= 1900 else None
        if serial is not None and not 0 <= serial <= _SMALL_SERIAL:
            serial = None
        return CellDate(_pairs(day, month, year), serial)
    match = _DAY_MONTH_NAME.fullmatch(shown)
    if match is not None:
        month = _MONTHS.get(match["month"].lower())
        day = int(match["d"])
        if month is None or not _valid(day, month):
            return None
        year = int(match["y"]) if match["y"] else None
        return CellDate(_pairs(day, month, year))
    match = _MONTH_NAME_NUMBER.fullmatch(shown)
    if match is not None:
        month = _MONTHS.get(match["month"].lower())
        if month is None:
            return None
        number = int(match["n"])
        # 'Sep-05' is 5 September or September 2005; either way the band had 9 and 5.
        return CellDate(tuple(dict.fromkeys(((number, month), (month, number % 100)))))
    match = _NUMERIC.fullmatch(shown)
    if match is not None:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        if not (_valid(first, second) or _valid(second, first)):
            return None
        pairs = [*_pairs(first, second, year), *_pairs(second, first, year)]
        return CellDate(tuple(dict.fromkeys(pairs)))
    return None


def likely_bands(date: CellDate, levels: Iterable[str]) -> tuple[str, ...]:
    """The allowed levels (bands such as ``5-9``) that Excel could have turned into ``date``."""
    found = []
    for level in levels:
        match = _BAND.fullmatch(level)
        if match is not None and (int(match[1]), int(match[2])) in date.pairs:
            found.append(level)
    return tuple(found)


def date_reason(text: object) -> str | None:
    """Why a number cell that holds a date is refused, or ``None`` when it holds no date."""
    date = cell_date(text)
    if date is None:
        return None
    if date.serial is not None:
        return (
            # The date itself is not repeated: a log line withholds the quoted cell, and
            # an unquoted copy of a date (of birth) would slip past it.
            f"the cell holds a date, which is how a spreadsheet shows the number "
            f"{date.serial} in a cell formatted as a date; format the column as "
            "Number (Format Cells > Number) and check the value"
        )
    return "the cell holds a date or time; format it as a number and type the number"
