"""results/pooled/replication_criteria.csv and replication_verdicts.csv, from the pooled
meta-analysis and the original study."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revmentor.core.tables import typed_frame
from revmentor.replication.criteria import Question, criteria
from revmentor.replication.original import original_results
from revmentor.replication.pooled import pooled_from
from revmentor.replication.verdict import verdict

CRITERIA_COLUMNS = ("role", "outcome", "criterion", "value", "threshold", "success", "reason")
CRITERIA_TEXT = ("role", "outcome", "criterion", "success", "reason")
VERDICT_COLUMNS = ("role", "outcome", "verdict", "verdict_reason")


@dataclass(frozen=True)
class Plan:
    """What the criteria read from the config."""

    roles: tuple[str, ...]
    outcomes: tuple[str, ...]
    original_study: Mapping[str, Any]
    measure: str
    method: str
    test: str
    level: float
    alpha: float
    sesoi: Mapping[str, float]


def plan_from(
    roles: Sequence[str],
    outcomes: Sequence[str],
    original_study: Mapping[str, Any],
    pooling: Mapping[str, Any],
    alpha: float,
    sesoi: Mapping[str, float],
) -> Plan:
    return Plan(
        roles=tuple(roles),
        outcomes=tuple(outcomes),
        original_study=original_study,
        measure=pooling["measure"],
        method=pooling["method"],
        test=pooling["test"],
        level=float(pooling["level"]),
        alpha=float(alpha),
        sesoi=dict(sesoi),
    )


def questions(meta: pd.DataFrame, plan: Plan) -> Iterator[tuple[str, str, Question]]:
    originals = original_results(plan.original_study)
    for role in plan.roles:
        for outcome in plan.outcomes:

            def pooled(measure: str, role: str = role, outcome: str = outcome):
                return pooled_from(meta, role, outcome, measure, plan.method, plan.test)

            yield (
                role,
                outcome,
                Question(
                    original=originals.get((role, outcome)),
                    primary=pooled(plan.measure),
                    md=pooled("MD"),
                    smcc=pooled("SMCC"),
                    alpha=plan.alpha,
                    sesoi=plan.sesoi.get(outcome),
                    level=plan.level,
                ),
            )


def replication_tables(meta: pd.DataFrame, plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(criteria, verdicts): one row per role × outcome × criterion, one per role × outcome."""
    rows, verdicts = [], []
    for role, outcome, question in questions(meta, plan):
        found = criteria(question)
        rows += [
            {
                "role": role,
                "outcome": outcome,
                "criterion": criterion.name,
                "value": criterion.value,
                "threshold": criterion.threshold,
                "success": criterion.success,
                "reason": criterion.reason,
            }
            for criterion in found
        ]
        decided = verdict(question, {criterion.name: criterion for criterion in found})
        verdicts.append(
            {
                "role": role,
                "outcome": outcome,
                "verdict": decided.verdict,
                "verdict_reason": decided.reason,
            }
        )
    return (
        typed_frame(rows, CRITERIA_COLUMNS, CRITERIA_TEXT, ()),
        typed_frame(verdicts, VERDICT_COLUMNS, VERDICT_COLUMNS, ()),
    )
