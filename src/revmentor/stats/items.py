"""A site's item results (the study's main outcome): concerns, benefit, relationship effect.

Per role × item: the number who answered, the count, the proportion and its Wilson 95%
CI; for categorical items one row per level; for each concern pair (anticipated before,
experienced after) the paired 2×2 counts and McNemar's exact p.
"""

from __future__ import annotations

from typing import Any

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


def role_answers(rows: pd.DataFrame, instrument: Instrument) -> dict[str, pd.Series]:
    """Each item's answers of one role (participant -> text), from its own timepoint."""
    by_timepoint = {
        timepoint: rows[rows["timepoint"] == timepoint].set_index("participant_id")
        for timepoint in instrument.timepoints
    }
    answers = {}
    for item in instrument.items:
        at_timepoint = by_timepoint[item.timepoint]
        if item.id in at_timepoint.columns:
            values = at_timepoint[item.id]
            answers[item.id] = values[values.notna()].astype(str)
        else:
            answers[item.id] = pd.Series(dtype=object)
    return answers


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


def item_rows(rows: pd.DataFrame, item: Item, answers: pd.Series) -> list[dict[str, Any]]:
    base = {"kind": item.kind, "item": item.id, "timepoint": item.timepoint}
    collected = item.id in rows.columns
    levels = ("1",) if item.is_binary else item.levels
    result = []
    for level in levels:
        row = {**base, "level": "" if item.is_binary else level}
        row.update(proportion_row(len(answers), int((answers == level).sum())))
        if not collected:
            row["note"] = ITEM_NOT_COLLECTED
        result.append(row)
    return result


def concern_pair_row(
    answers: dict[str, pd.Series], pair: ConcernPair, instrument: Instrument
) -> dict:
    before, after = answers[pair.before], answers[pair.after]
    both = before.index.intersection(after.index)
    yes_before = before.loc[both] == "1"
    yes_after = after.loc[both] == "1"
    counts = {
        "n_pairs": len(both),
        "both_yes": int((yes_before & yes_after).sum()),
        "before_only": int((yes_before & ~yes_after).sum()),
        "after_only": int((~yes_before & yes_after).sum()),
        "both_no": int((~yes_before & ~yes_after).sum()),
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
    records = []
    for role in roles_present(clean, instrument):
        rows = clean[clean["role"] == role]
        answers = role_answers(rows, instrument)
        for item in instrument.items:
            records += [
                {"site_id": site_id, "role": role, **r}
                for r in item_rows(rows, item, answers[item.id])
            ]
        for pair in instrument.concern_pairs:
            records.append(
                {"site_id": site_id, "role": role, **concern_pair_row(answers, pair, instrument)}
            )
    return items_frame(records)


def items_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return typed_frame(records, ITEMS_COLUMNS, ITEMS_TEXT_COLUMNS, ITEMS_COUNT_COLUMNS)
