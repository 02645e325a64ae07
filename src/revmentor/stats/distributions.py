"""Per-site counts for the descriptive tables and figures: Likert distributions and
demographics. Counts are aggregates; small ones are suppressed where tables are pooled."""

from __future__ import annotations

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.summary_format import (
    DEMOGRAPHIC_COLUMNS,
    DEMOGRAPHIC_TEXT_COLUMNS,
    LIKERT_COLUMNS,
    LIKERT_COUNT_COLUMNS,
    LIKERT_TEXT_COLUMNS,
    NOT_RECORDED,
)
from revmentor.core.tables import typed_frame
from revmentor.stats.pairs import role_pairs, roles_present


def likert_counts(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    """Per role × outcome × timepoint × score: paired participants giving that score, for
    every domain (1-5) and the total (7-35).

    Only complete pairs count, so the distributions match the summary's medians, and the
    pooled quartiles of all participants follow exactly from the summed counts.
    """
    records = []
    for role in roles_present(clean, instrument):
        pairs = role_pairs(clean, role, instrument)
        for domain in instrument.outcomes:
            low, high = instrument.outcome_range(domain)
            levels = range(low, high + 1)
            for timepoint, scores in zip(
                instrument.timepoints, (pairs[domain].pre, pairs[domain].post), strict=True
            ):
                counts = pd.Series(scores).value_counts()
                records += [
                    {
                        "site_id": site_id,
                        "role": role,
                        "outcome": domain,
                        "timepoint": timepoint,
                        "level": level,
                        "count": int(counts.get(level, 0)),
                    }
                    for level in levels
                ]
    return typed_frame(records, LIKERT_COLUMNS, LIKERT_TEXT_COLUMNS, LIKERT_COUNT_COLUMNS)


def demographic_counts(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    """Per role × demographic × level: participants (each counted once)."""
    records = []
    for role in roles_present(clean, instrument):
        rows = clean[clean["role"] == role]
        participants = rows["participant_id"].drop_duplicates()
        for variable, levels in instrument.demographics:
            if variable in rows.columns:
                known = rows.dropna(subset=[variable]).drop_duplicates("participant_id")
                values = known.set_index("participant_id")[variable]
            else:
                values = pd.Series(dtype=object)
            values = values.reindex(participants).fillna(NOT_RECORDED)
            counts = values.value_counts()
            records += [
                {
                    "site_id": site_id,
                    "role": role,
                    "variable": variable,
                    "level": level,
                    "count": int(counts.get(level, 0)),
                }
                for level in (*levels, NOT_RECORDED)
            ]
    return typed_frame(records, DEMOGRAPHIC_COLUMNS, DEMOGRAPHIC_TEXT_COLUMNS, ("count",))


CHANGE_COLUMNS = ("site_id", "role", "outcome", "change")


def change_table(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    """Post − pre of every complete pair, per role × outcome: participant-level (it stays
    in the site's clean area) and what the one-stage model is fitted to."""
    frames = []
    for role in roles_present(clean, instrument):
        for outcome, pairs in role_pairs(clean, role, instrument).items():
            frames.append(
                pd.DataFrame(
                    {
                        "site_id": site_id,
                        "role": role,
                        "outcome": outcome,
                        "change": pairs.differences,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(CHANGE_COLUMNS)]
