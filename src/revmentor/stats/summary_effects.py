"""Effect sizes a summary-only site did not send but that its summary determines.

A site's own statistics step writes ``smcc`` and ``smcc_var``; a site that prepares its
summary by hand often sends only the mean and SD of the change. Without the SMCC it would
be left out of every standardised analysis, although metafor's ``escalc(measure="SMCC")``
needs nothing else: the change-score SD standardises the mean change.
"""

from __future__ import annotations

import pandas as pd

from revmentor.core.summary_format import NOTE_SEPARATOR, NOTE_SMCC_DERIVED
from revmentor.stats.paired import standardised_mean_change


def _given(value: object) -> bool:
    return not pd.isna(value)


def _with_note(note: object, phrase: str) -> str:
    parts = [part for part in str(note or "").split(NOTE_SEPARATOR) if part]
    if phrase not in parts:
        parts.append(phrase)
    return NOTE_SEPARATOR.join(parts)


def derive_missing_smcc(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with ``smcc`` and ``smcc_var`` filled, as escalc(measure="SMCC") gives
    them, in rows that have neither but have mean_diff, sd_diff > 0 and n_pairs >= 3.

    Each filled row's note says so, so that a reader sees which values the site did not
    send. A row with only one of the two is left as the site sent it: a variance without its
    estimate (or the reverse) is the site's statement, not a gap to fill; and rows that do
    not determine the SMCC stay empty (pooling says why).
    """
    derived = summary.copy()
    for index, row in summary.iterrows():
        if _given(row["smcc"]) or _given(row["smcc_var"]):
            continue
        mean_diff, sd_diff, n_pairs = row["mean_diff"], row["sd_diff"], row["n_pairs"]
        if not (_given(mean_diff) and _given(sd_diff) and _given(n_pairs)):
            continue
        effect = standardised_mean_change(float(mean_diff), float(sd_diff), int(n_pairs))
        if effect is None:
            continue
        derived.at[index, "smcc"], derived.at[index, "smcc_var"] = effect
        derived.at[index, "note"] = _with_note(row["note"], NOTE_SMCC_DERIVED)
    return derived
