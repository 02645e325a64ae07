"""Numbers typed into a cell, read the way a spreadsheet shows them: the one number parser.

Python's ``int()`` and ``float()`` accept spellings that no spreadsheet shows as that
number: digit groups with underscores (``1_6`` is 16), digits of other scripts (Arabic-Indic
``٤``, fullwidth ``４``, mathematical ``𝟒`` are all 4) and the words ``inf``, ``nan`` and
``infinity``. A site's data manager who sees ``1_6`` or ``٤`` in Excel sees text, not a
number, so the workflow must not read a number there either.

A cell is a number here only in the plain decimal form a spreadsheet displays: an optional
minus sign, the ASCII digits 0-9 with at most one decimal point, and an optional exponent
(``1.5E-05``, as Excel shows very small or large numbers). Surrounding spaces are removed,
with a warning, before a cell gets here. A leading ``+`` (``+4``) is not a number here
either: Excel shows ``+4`` as 4, so :func:`without_plus_sign` lets the caller read it as
``4`` and say so in a warning, as it does for ``' 4'``; it is never read silently.
"""

from __future__ import annotations

import math
import re
import unicodedata

from revmentor.core.excel_dates import date_reason

PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
UNSIGNED_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NOT_FINITE_WORDS = frozenset({"inf", "infinity", "nan"})
# How the readers write an XLSX date, time or date-time cell (ISO 8601).
DATE_OR_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?"
    r"|[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
)

#: The largest count a summary may hold: above 2**53 - 1 a float (which every statistic
#: uses) no longer holds each whole number exactly, and int64 tables overflow soon after.
MAX_COUNT = 2**53 - 1


def plain_number(text: object) -> float | None:
    """The finite number a cell's text shows in a spreadsheet, or ``None`` if it shows none."""
    if text is None:
        return None
    shown = str(text)
    if not PLAIN_NUMBER.fullmatch(shown):
        return None
    value = float(shown)
    return value if math.isfinite(value) else None


def whole_number(text: object) -> int | None:
    """The whole number a cell shows (``16``, ``16.0``, ``1.6E1``), or ``None``."""
    value = plain_number(text)
    if value is None or not value.is_integer():
        return None
    return int(value)


def without_plus_sign(text: str) -> str | None:
    """``'4'`` for ``'+4'``: the number Excel shows for it; ``None`` for any other text."""
    if text.startswith("+") and UNSIGNED_NUMBER.fullmatch(text[1:]):
        return text[1:]
    return None


def _foreign_digit(text: str) -> str | None:
    for character in text:
        if character.isdigit() and character not in "0123456789":
            name = unicodedata.name(character, "a digit of another script")
            return f"'{character}' ({name})"
    return None


def why_not_a_number(text: object) -> str | None:
    """Why a cell that Python would read as a number is not one in a spreadsheet, in words
    a data manager can act on; ``None`` when there is no more to say than "not a number"."""
    shown = str(text)
    foreign = _foreign_digit(shown)
    if foreign is not None:
        return (
            f"{foreign} is not one of the digits 0-9, so a spreadsheet does not read it as a "
            "number; type the number with the digits 0-9"
        )
    if "_" in shown:
        return "a spreadsheet does not read '_' inside a number; type the digits alone"
    if shown.strip().lstrip("+-").lower() in NOT_FINITE_WORDS:
        return (
            "a spreadsheet cell holds no infinity or NaN; if there is no value, "
            "leave the cell empty"
        )
    dated = date_reason(shown)
    if dated is not None:
        return dated
    if DATE_OR_TIME.fullmatch(shown):
        return "the cell holds a date or time; format it as a number and type the number"
    if shown in ("TRUE", "FALSE"):
        return "the cell holds TRUE or FALSE; type the number"
    if any(character.isspace() for character in shown.strip()):
        return "it has a space inside, so a spreadsheet reads it as text; remove the space"
    if "," in shown and re.fullmatch(r"-?[0-9][0-9,]*(\.[0-9]*)?", shown):
        return (
            "a comma is neither a decimal point nor allowed as a thousands separator here; "
            "write the number with a point and no separators (2.5, 1000)"
        )
    return None
