"""The answer, in plain English: one sentence per headline outcome, with the same estimate
and 95% CI as the replication table (the primary analysis)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revmentor.core.instrument import TOTAL
from revmentor.core.tables import matching_rows
from revmentor.replication.criteria import CRITERIA, NO, YES
from revmentor.report.reader_tables import MINUS, interval, number

CRITERION_NAMES = {
    "significance": "significance",
    "prediction_interval": "prediction interval",
    "sceptical_p": "sceptical p-value",
    "p_orig": "p_orig",
    "small_telescopes": "small telescopes",
    "equivalence": "equivalence",
}
UNITS = {"MD": ("point", "points"), "SMCC": ("standard deviation", "standard deviations")}


def role_possessive(role: str) -> str:
    return f"{role[:1].upper()}{role[1:]}s\u2019"


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def outcome_subject(role: str, outcome: str, outcome_label: str) -> str:
    """ "Mentors' total score (7 domains, 7–35)", "Mentors' score for clinical practice"."""
    if outcome == TOTAL:
        return f"{role_possessive(role)} {_lower_first(outcome_label)}"
    return f"{role_possessive(role)} score for {_lower_first(outcome_label)}"


def change_words(estimate: float, measure: str, decimals: int = 2) -> str:
    """ "rose by 5.18 points", "fell by 0.40 points", "did not change"."""
    singular, plural = UNITS.get(measure, ("unit", "units"))
    size = abs(float(estimate))
    if round(size, decimals) == 0:
        return f"changed by {number(0.0, decimals)} {plural}"
    unit = singular if round(size, decimals) == 1 else plural
    verb = "rose" if estimate > 0 else "fell"
    return f"{verb} by {number(size, decimals)} {unit}"


def original_words(change: float, measure: str) -> str:
    singular, plural = UNITS.get(measure, ("unit", "units"))
    direction = "rise" if change > 0 else "fall" if change < 0 else "change"
    size = abs(float(change))
    shown = f"{size:g}".replace("-", MINUS)
    return f"the original\u2019s {direction} of {shown} {singular if size == 1 else plural}"


@dataclass(frozen=True)
class Answer:
    """One headline outcome, in words and with the numbers behind the words."""

    role: str
    outcome: str
    sentence: str
    verdict: str
    criteria_met: int
    criteria_assessed: int


def answer(
    primary: Mapping[str, Any],
    criteria: Mapping[str, str],
    verdict: str,
    outcome_label: str,
    original_change: float | None,
    level: float,
) -> Answer:
    """The sentence for one role × outcome.

    ``primary`` is the row of the primary analysis (meta_analysis.csv), ``criteria`` maps
    each criterion to yes / no / '' (not assessable), ``verdict`` is the verdict."""
    role, outcome, measure = str(primary["role"]), str(primary["outcome"]), str(primary["measure"])
    percent = f"{level * 100:g}%"
    subject = outcome_subject(role, outcome, outcome_label)
    k, n = int(primary["k"]), int(primary["n_participants"])
    hospitals = "hospital" if k == 1 else "hospitals"
    participants = "participant" if n == 1 else "participants"
    if pd.isna(primary["estimate"]):
        sentence = f"{subject} could not be pooled ({primary.get('note') or 'no site had data'})."
        return Answer(role, outcome, sentence, verdict, 0, 0)
    sentence = (
        f"{subject} {change_words(primary['estimate'], measure)} ({percent} CI "
        f"{interval(primary['ci_low'], primary['ci_high'])}) across {k} {hospitals} "
        f"and {n} {participants}"
    )
    met = [name for name in CRITERIA if criteria.get(name) == YES]
    failed = [name for name in CRITERIA if criteria.get(name) == NO]
    assessed = len(met) + len(failed)
    if original_change is not None and assessed:
        sentence += (
            f"; against {original_words(original_change, measure)}, {len(met)} of {assessed} "
            "replication criteria were met"
        )
        if failed:
            sentence += " (not met: " + ", ".join(CRITERION_NAMES[name] for name in failed) + ")"
    sentence += f". Verdict: {verdict}."
    return Answer(role, outcome, sentence, verdict, len(met), assessed)


def answers(
    meta: pd.DataFrame,
    criteria: pd.DataFrame,
    verdicts: pd.DataFrame,
    headline: Sequence[tuple[str, str]],
    pooling: Mapping[str, Any],
    outcome_labels: Mapping[str, str],
    original_changes: Mapping[tuple[str, str], float],
) -> list[Answer]:
    """One :class:`Answer` per headline outcome, from the pooled files."""
    primary = {key: pooling[key] for key in ("measure", "method", "test")}
    found = []
    for role, outcome in headline:
        rows = matching_rows(meta, role=role, outcome=outcome, **primary)
        if rows.empty:
            continue
        marks = matching_rows(criteria, role=role, outcome=outcome)
        said = matching_rows(verdicts, role=role, outcome=outcome)
        found.append(
            answer(
                rows.iloc[0].to_dict(),
                dict(zip(marks["criterion"], marks["success"].fillna(""), strict=True)),
                str(said["verdict"].iloc[0]) if not said.empty else "not assessed",
                outcome_labels.get(outcome, outcome),
                original_changes.get((role, outcome)),
                float(pooling["level"]),
            )
        )
    return found
