"""What may leave the coordinating centre, and what logs and the console may quote.

Two rules live here, once:

- which top-level entries of ``results/`` may be shared outside the coordinating centre
  (the README's table mirrors :data:`RESULTS_ENTRIES`, and a test keeps them in step);
- which cell values a log line or the console may quote. The per-site validation report
  is the one place that quotes any cell, because it goes back to the site that owns it.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass

#: Columns whose values identify a participant. The instrument defines no free-text
#: column (unknown columns, where free text would sit, are left out on reading).
# record_id: a REDCap export's record id field, the participant id by another name.
IDENTIFYING_COLUMNS = frozenset({"participant_id", "record_id"})

#: Set to 1 on the centre's own machine to see an unexpected error's full text.
DEBUG_VARIABLE = "REVMENTOR_DEBUG"

#: What a log line shows in place of a cell value it may not quote.
WITHHELD = "(value withheld from logs)"

# A short plain number (a score, a count, a statistic) says nothing about a person; any
# other text might be a name, an id or a comment typed into the wrong cell. Six digits
# before the point keep NHS numbers, phone numbers and dates of birth out.
_PLAIN_NUMBER = re.compile(r"[+-]?\d{1,6}(\.\d{1,17})?")
# Shorter values are withheld only where quoted: "a" typed in a score cell must not
# blank every "a" of the sentence.
_BARE_MATCH_CHARS = 3


@dataclass(frozen=True)
class ResultsEntry:
    """A top-level folder (or file) of ``results/`` and whether it may be shared."""

    name: str
    shareable: bool
    reason: str


RESULTS_ENTRIES: tuple[ResultsEntry, ...] = (
    ResultsEntry(
        "tables",
        True,
        "aggregates only; demographic counts below `disclosure.min_cell` are suppressed",
    ),
    ResultsEntry("figures", True, "plots of aggregates; no participant ids or free text"),
    ResultsEntry(
        "pooled", True, "consortium-level estimates and per-site weights; no participant rows"
    ),
    ResultsEntry(
        "report",
        True,
        "the HTML report (index.html: the tables and figures above, methods and provenance) "
        "and the configuration used; no participant data",
    ),
    ResultsEntry("audit", True, "file names, SHA-256 hashes, versions and times; no cell values"),
    ResultsEntry(
        "report.html",
        True,
        "the Snakemake report (if built there): the tables, figures and configuration above",
    ),
    ResultsEntry("report.zip", True, "the same report as a zip archive (if built there)"),
    ResultsEntry(
        "validation",
        False,
        "each site's report quotes failing cells (participant ids, free text); it goes "
        "back only to the site it describes",
    ),
    ResultsEntry("clean", False, "participant-level rows: ids and every score"),
    ResultsEntry(
        "sites",
        False,
        "per-site tables with unsuppressed demographic counts (1 to `min_cell` − 1); each "
        "site's `report.html` holds only its aggregates (small counts suppressed) and the "
        "pooled ones, and is meant to go back to that site",
    ),
    ResultsEntry(
        "shards",
        False,
        "the per-site tables of a shard together, demographic counts unsuppressed",
    ),
    ResultsEntry(
        "logs",
        False,
        "records of the run on the centre's machine (local paths, and which rows failed); "
        "they never quote an id or free text, so an excerpt may be sent for support",
    ),
)

SHAREABLE = frozenset(entry.name for entry in RESULTS_ENTRIES if entry.shareable)
NOT_SHAREABLE = frozenset(entry.name for entry in RESULTS_ENTRIES if not entry.shareable)


def may_quote_in_logs(column: str | None, value: str | None) -> bool:
    """Whether a log line may quote this cell value: a short plain number outside the
    identifying columns, nothing else."""
    if value is None or column in IDENTIFYING_COLUMNS:
        return False
    return _PLAIN_NUMBER.fullmatch(value) is not None


def withhold_value(message: str, column: str | None, value: str | None) -> str:
    """``message`` with every occurrence of the cell's value replaced by :data:`WITHHELD`,
    unless the value may be quoted in logs.

    Messages quote a value in single quotes; a bare occurrence is withheld too when the
    value is long enough not to be part of an ordinary word. A value shortened for the
    report (ending in "…") is matched by its beginning, and everything up to the message's
    last quote (or its end) goes with it, so that no part of a long comment survives.
    """
    if not value or may_quote_in_logs(column, value):
        return message
    if value.endswith("…"):
        start = re.escape(value[:-1])
        return re.sub(f"'{start}.*'|{start}.*", WITHHELD, message, flags=re.DOTALL)
    quoted = re.escape(f"'{value}'")
    if len(value) < _BARE_MATCH_CHARS:
        return re.sub(quoted, WITHHELD, message)
    return re.sub(rf"{quoted}|(?<!\w){re.escape(value)}(?!\w)", WITHHELD, message)


def value_free_traceback(failure: BaseException) -> str:
    """Where an unexpected error happened (each exception's type and frames), without its
    text: a library's message may quote a cell (pandas, pandera and ``int()`` all do)."""
    chain: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and current not in chain:
        chain.insert(0, current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    lines = []
    for index, error in enumerate(chain):
        if index:
            lines.append("which led to:")
        lines.append("Traceback (most recent call last):")
        lines += [
            text.rstrip("\n")
            for text in traceback.format_list(traceback.extract_tb(error.__traceback__))
        ]
        lines.append(f"{type(error).__module__}.{type(error).__qualname__} (text withheld)")
    return "\n".join(lines)
