"""Per-site counts for the descriptive tables and figures: Likert distributions and
demographics. Counts are aggregates; small ones are suppressed where tables are pooled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
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
from revmentor.stats.pairs import Pairs, roles_present, site_pairs


def likert_counts(
    clean: pd.DataFrame,
    instrument: Instrument,
    site_id: str,
    pairs: Mapping[str, Mapping[str, Pairs]] | None = None,
) -> pd.DataFrame:
    """Per role × outcome × timepoint × score: paired participants giving that score, for
    every domain (1-5) and the total (7-35).

    Only complete pairs count, so the distributions match the summary's medians, and the
    pooled quartiles of all participants follow exactly from the summed counts. ``pairs``:
    the site's :func:`~revmentor.stats.pairs.site_pairs`, when the caller already has them.
    """
    return likert_frame(likert_records(site_id, pairs or site_pairs(clean, instrument), instrument))


def likert_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Likert counts of one site or many, as :func:`likert_records` gives them."""
    return typed_frame(records, LIKERT_COLUMNS, LIKERT_TEXT_COLUMNS, LIKERT_COUNT_COLUMNS)


def likert_records(
    site_id: str, pairs: Mapping[str, Mapping[str, Pairs]], instrument: Instrument
) -> list[dict[str, object]]:
    """The rows of :func:`likert_counts`, from the site's pairs."""
    records = []
    for role, by_outcome in pairs.items():
        for domain in instrument.outcomes:
            low, high = instrument.outcome_range(domain)
            levels = np.arange(low, high + 1)
            for timepoint, scores in zip(
                instrument.timepoints,
                (by_outcome[domain].pre, by_outcome[domain].post),
                strict=True,
            ):
                # one comparison of every score with every level (scores outside the
                # range are in no level, as before)
                counts = (scores[:, None] == levels[None, :]).sum(axis=0)
                records += [
                    {
                        "site_id": site_id,
                        "role": role,
                        "outcome": domain,
                        "timepoint": timepoint,
                        "level": level,
                        "count": count,
                    }
                    for level, count in zip(levels.tolist(), counts.tolist(), strict=True)
                ]
    return records


def demographic_counts(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    """Per role × demographic × level: participants (each counted once, by the first answer
    they gave in the table's row order)."""
    return demographic_frame(demographic_records(clean, instrument, site_id))


def demographic_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Demographic counts of one site or many, as :func:`demographic_records` gives them."""
    return typed_frame(records, DEMOGRAPHIC_COLUMNS, DEMOGRAPHIC_TEXT_COLUMNS, ("count",))


def demographic_records(
    clean: pd.DataFrame, instrument: Instrument, site_id: str
) -> list[dict[str, object]]:
    """The rows of :func:`demographic_counts`."""
    roles = clean["role"].to_numpy(dtype=object)
    participants = clean["participant_id"].to_numpy(dtype=object)
    columns = {}
    for variable, _ in instrument.demographics:
        if variable in clean.columns:
            values = clean[variable].to_numpy(dtype=object)
            columns[variable] = (~pd.isna(values), values)
    records = []
    for role in roles_present(clean, instrument):
        mine = roles == role
        everyone = dict.fromkeys(participants[mine].tolist())
        for variable, levels in instrument.demographics:
            first: dict[object, object] = {}
            if variable in columns:
                known, values = columns[variable]
                rows = np.flatnonzero(mine & known)
                for participant, value in zip(
                    participants[rows].tolist(), values[rows].tolist(), strict=True
                ):
                    first.setdefault(participant, value)
            counts = Counter(first.get(participant, NOT_RECORDED) for participant in everyone)
            records += [
                {
                    "site_id": site_id,
                    "role": role,
                    "variable": variable,
                    "level": level,
                    "count": counts[level],
                }
                for level in (*levels, NOT_RECORDED)
            ]
    return records


CHANGE_COLUMNS = ("site_id", "role", "outcome", "change")


def change_table(
    clean: pd.DataFrame,
    instrument: Instrument,
    site_id: str,
    pairs: Mapping[str, Mapping[str, Pairs]] | None = None,
) -> pd.DataFrame:
    """Post − pre of every complete pair, per role × outcome: participant-level (it stays
    in the site's clean area) and what the one-stage model is fitted to. ``pairs``: the
    site's :func:`~revmentor.stats.pairs.site_pairs`, when the caller already has them."""
    keys, changes = [], []
    for role, by_outcome in (pairs or site_pairs(clean, instrument)).items():
        for outcome, outcome_pairs in by_outcome.items():
            keys.append((role, outcome, outcome_pairs.n))
            changes.append(outcome_pairs.differences)
    if not keys:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    sizes = [n for _, _, n in keys]
    return pd.DataFrame(
        {
            "site_id": site_id,
            "role": np.repeat(np.array([r for r, _, _ in keys], dtype=object), sizes),
            "outcome": np.repeat(np.array([o for _, o, _ in keys], dtype=object), sizes),
            "change": np.concatenate(changes),
        }
    )
