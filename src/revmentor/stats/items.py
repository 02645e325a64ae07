"""A site's item results (the study's main outcome): concerns, benefit, relationship effect.

Per role × item: the number who answered, the count, the proportion and its Wilson 95%
CI; for categorical items one row per level; for each concern pair (anticipated before,
experienced after) the paired 2×2 counts and McNemar's exact p.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.instrument import ConcernPair, Instrument, Item
from revmentor.core.summary_format import (
    ITEM_NO_ANSWERS,
    ITEM_NO_DISCORDANT,
    ITEM_NO_PAIRS,
    ITEM_NOT_COLLECTED,
    ITEMS_COLUMNS,
    ITEMS_COUNT_COLUMNS,
    ITEMS_TEXT_COLUMNS,
)
from revmentor.core.tables import typed_frame
from revmentor.stats.pairs import roles_present
from revmentor.stats.proportions import mcnemar_exact_p, wilson_interval

#: One role's answers to each item at the item's own timepoint: participant -> the answer
#: as text (unanswered cells left out).
Answers = dict[str, dict[object, str]]


def site_answers(clean: pd.DataFrame, instrument: Instrument) -> dict[str, Answers]:
    """Each role's answers to each item (every role present, in instrument order), from
    one pass over the table's columns."""
    roles = clean["role"].to_numpy(dtype=object)
    timepoints = clean["timepoint"].to_numpy(dtype=object)
    participants = clean["participant_id"].to_numpy(dtype=object)
    # the text of each answered cell, as ``astype(str)`` of the column gives it
    columns = {}
    for item in instrument.items:
        if item.id in clean.columns:
            values = clean[item.id].to_numpy(dtype=object)
            columns[item.id] = (~pd.isna(values), values)
    result = {}
    for role in roles_present(clean, instrument):
        mine = roles == role
        answers: Answers = {}
        for item in instrument.items:
            if item.id not in columns:
                answers[item.id] = {}
                continue
            answered, values = columns[item.id]
            rows = np.flatnonzero(mine & (timepoints == item.timepoint) & answered)
            answers[item.id] = {
                participant: str(value)
                for participant, value in zip(
                    participants[rows].tolist(), values[rows].tolist(), strict=True
                )
            }
        result[role] = answers
    return result


def proportion_row(n_answered: int, count: int) -> dict[str, Any]:
    interval = wilson_interval(count, n_answered)
    return {
        "n_answered": n_answered,
        "count": count,
        "proportion": count / n_answered if n_answered else None,
        "ci_low": interval and interval[0],
        "ci_high": interval and interval[1],
        "note": "" if n_answered else ITEM_NO_ANSWERS,
    }


def item_rows(collected: bool, item: Item, answers: dict[object, str]) -> list[dict[str, Any]]:
    """One row per level (one for a yes/no item); ``collected``: the site's table has the
    item's column at all."""
    base = {"kind": item.kind, "item": item.id, "timepoint": item.timepoint}
    levels = ("1",) if item.is_binary else item.levels
    given = Counter(answers.values())
    result = []
    for level in levels:
        row = {**base, "level": "" if item.is_binary else level}
        row.update(proportion_row(len(answers), given[level]))
        if not collected:
            row["note"] = ITEM_NOT_COLLECTED
        result.append(row)
    return result


def concern_pair_row(answers: Answers, pair: ConcernPair, instrument: Instrument) -> dict:
    before, after = answers[pair.before], answers[pair.after]
    both = [participant for participant in before if participant in after]
    yes_before = [before[participant] == "1" for participant in both]
    yes_after = [after[participant] == "1" for participant in both]
    pattern = Counter(zip(yes_before, yes_after, strict=True))
    counts = {
        "n_pairs": len(both),
        "both_yes": pattern[True, True],
        "before_only": pattern[True, False],
        "after_only": pattern[False, True],
        "both_no": pattern[False, False],
    }
    p = mcnemar_exact_p(counts["before_only"], counts["after_only"])
    note = ITEM_NO_PAIRS if not len(both) else ""
    if len(both) and p is None:
        note = ITEM_NO_DISCORDANT
    return {
        "kind": "concern_pair",
        "item": pair.concern,
        "level": f"{pair.before} -> {pair.after}",
        "timepoint": f"{instrument.baseline} -> {instrument.follow_up}",
        **counts,
        "mcnemar_p": p,
        "note": note,
    }


def site_items(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> pd.DataFrame:
    return items_frame(item_records(clean, instrument, site_id))


def item_records(clean: pd.DataFrame, instrument: Instrument, site_id: str) -> list[dict[str, Any]]:
    """The rows of :func:`site_items`."""
    records = []
    for role, answers in site_answers(clean, instrument).items():
        for item in instrument.items:
            records += [
                {"site_id": site_id, "role": role, **r}
                for r in item_rows(item.id in clean.columns, item, answers[item.id])
            ]
        for pair in instrument.concern_pairs:
            records.append(
                {"site_id": site_id, "role": role, **concern_pair_row(answers, pair, instrument)}
            )
    return records


def items_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return typed_frame(records, ITEMS_COLUMNS, ITEMS_TEXT_COLUMNS, ITEMS_COUNT_COLUMNS)
