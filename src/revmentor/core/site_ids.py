"""What a site id and a site name may be, beyond the registry schema's pattern.

A site id becomes file and folder names (``results/validation/<site>.json``,
``results/sites/<site>/``), so it may not be a name the workflow gives its own files in
those folders, a device name that Windows and SMB shares refuse, or a word that CSV readers
take for something other than text. A site name is shown in tables, so it is one line of
printable text. The registry reader and ``revmentor new-site`` both ask here.
"""

from __future__ import annotations

import unicodedata

#: Names the workflow gives its own files in the folders that also hold one file (or
#: folder) per site, with the files they name. An id equal to one of them, in any case
#: (Windows and macOS fold case), would make a site's outputs clash with the workflow's.
WORKFLOW_NAMES: dict[str, str] = {
    "overview": "results/validation/overview.tsv and overview.md",
    "policy_check": "results/validation/policy_check.txt",
    "shards": "the folder results/clean/shards/",
}
#: Folders where a site's files sit beside the workflow's own (checked by the tests
#: against the output paths in workflow/rules/*.smk).
SITE_FOLDERS = ("results/validation", "results/clean", "results/sites")

#: Device names Windows reserves in every folder, in any case and with any extension
#: (so ``con.json`` is refused too); COM0 and LPT0 are listed by Microsoft's rules as well.
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))}
)
WINDOWS_DEVICES_SHOWN = "CON, PRN, AUX, NUL, COM0 to COM9 and LPT0 to LPT9"

#: Words pandas (and R, for NA) read as something other than text in a CSV cell: a site
#: with such an id would drop out of, or be mistyped in, every table read back.
READ_AS_NOT_TEXT = {
    "na": "a missing value",
    "nan": "a missing value",
    "null": "a missing value",
    "none": "a missing value",
    "inf": "a number (infinity)",
    "infinity": "a number (infinity)",
    "true": "true/false",
    "false": "true/false",
}

RESERVED_SITE_ID = "reserved_site_id"
WINDOWS_DEVICE_NAME = "windows_device_name"
READS_AS_TEXT = "reads_as_text"
PRINTABLE_NAME = "printable_name"

#: How a control character in a name is described (others by their code point only).
_CHARACTER_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def site_id_problem(site_id: str) -> tuple[str, str] | None:
    """``(check, reason)`` if ``site_id`` (already matching the schema's pattern) cannot be
    used; the reason reads after "site id '<id>' is not allowed: "."""
    folded = site_id.casefold()
    if folded in WORKFLOW_NAMES:
        return RESERVED_SITE_ID, (
            f"the workflow uses the name '{folded}' for its own files "
            f"({WORKFLOW_NAMES[folded]}), so the site's files would clash with them; "
            "choose another id"
        )
    if folded in WINDOWS_DEVICE_NAMES:
        return WINDOWS_DEVICE_NAME, (
            f"'{site_id}' is a device name on Windows ({WINDOWS_DEVICES_SHOWN}, in any case), "
            "so the site's files could not be made on Windows or copied to a Windows (SMB) "
            "share; choose another id"
        )
    if folded in READ_AS_NOT_TEXT:
        return READS_AS_TEXT, (
            f"CSV readers such as pandas and R read '{site_id}' as "
            f"{READ_AS_NOT_TEXT[folded]}, not as a site id, so the site would be lost from "
            "tables read back; choose another id"
        )
    return None


def _unprintable(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Zl", "Zp")


def visible(text: str) -> str:
    """``text`` with each control character written as an escape (``\\t``, ``\\n``,
    ``\\x07``), so that a message quoting it stays on one line and shows what is there."""
    return "".join(
        character.encode("unicode_escape").decode("ascii") if _unprintable(character) else character
        for character in text
    )


def site_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a site name, or ``None``: a name is one line of printable
    text (a tab or line break would also break the tab-separated registry for other tools)."""
    for position, character in enumerate(name, 1):
        if _unprintable(character):
            described = _CHARACTER_NAMES.get(character, "a control character")
            return (
                f"the name contains {described} (U+{ord(character):04X}) at character "
                f"{position}; a site name is one line of printable text: remove it"
            )
    return None
