"""The consortium's two-stage answer: every role × outcome × measure × method × test.

Also the per-site weights, leave-one-site-out and cumulative (in ``enrolled`` order)
analyses. Sensitivity analyses use the configured primary method and test, for both
measures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.scipy_distributions import normal_ppf
from revmentor.core.tables import stacked_columns, typed_columns, typed_frame
from revmentor.pooling.batch import Subsets, batch_meta
from revmentor.pooling.effects import MEASURES, SiteEffects, site_effects
from revmentor.pooling.meta import (
    KNAPP_HARTUNG_NEEDS_TWO_SITES,
    KNAPP_HARTUNG_TESTS,
    METHODS,
    TESTS,
    MetaResult,
    meta_analyses,
    zero_se_note,
)

META_COLUMNS = (
    "role",
    "outcome",
    "measure",
    "method",
    "test",
    "primary",
    "k",
    "n_participants",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "stat",
    "p",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_p",
    "pi_low",
    "pi_high",
    "excluded_sites",
    "note",
)
META_TEXT = ("role", "outcome", "measure", "method", "test", "primary", "excluded_sites", "note")
META_COUNTS = ("k", "n_participants", "q_df")
WEIGHT_COLUMNS = (
    "role",
    "outcome",
    "measure",
    "method",
    "site_id",
    "n_pairs",
    "yi",
    "vi",
    "ci_low",
    "ci_high",
    "weight_percent",
)
SENSITIVITY_COLUMNS = (
    "role",
    "outcome",
    "measure",
    "method",
    "test",
    "step",
    "site_id",
    "enrolled",
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "tau2",
    "i2",
    "pi_low",
    "pi_high",
    "note",
)
SENSITIVITY_TEXT = ("role", "outcome", "measure", "method", "test", "site_id", "enrolled", "note")


@dataclass(frozen=True)
class Pooling:
    """What the analyses need to know about the consortium, in a fixed order."""

    roles: tuple[str, ...]
    outcomes: tuple[str, ...]
    sites: tuple[str, ...]
    enrolled: Mapping[str, str]
    excluded: Mapping[str, str]
    primary_method: str = "REML"
    primary_test: str = "hksj"
    primary_measure: str = "MD"
    level: float = 0.95


def plan_from(
    roles: Sequence[str],
    outcomes: Sequence[str],
    enrolled: Mapping[str, str],
    excluded: Mapping[str, str],
    pooling: Mapping[str, Any],
) -> Pooling:
    """The plan from config values; ``enrolled`` maps every site, in registry order."""
    return Pooling(
        roles=tuple(roles),
        outcomes=tuple(outcomes),
        sites=tuple(enrolled),
        enrolled=dict(enrolled),
        excluded=dict(excluded),
        primary_method=pooling["method"],
        primary_test=pooling["test"],
        primary_measure=pooling["measure"],
        level=float(pooling["level"]),
    )


def analyses() -> Iterator[tuple[str, str]]:
    """Every (method, test) reported: FE with z; each random-effects method with every test
    (z, hksj, adhoc)."""
    for method in METHODS:
        for test in TESTS[:1] if method == "FE" else TESTS:
            yield method, test


def _rows_of(summaries: pd.DataFrame, role: str, outcome: str) -> pd.DataFrame:
    return summaries[(summaries["role"] == role) & (summaries["outcome"] == outcome)]


def effects_by_analysis(
    summaries: pd.DataFrame, plan: Pooling
) -> Iterator[tuple[dict, SiteEffects]]:
    for role in plan.roles:
        for outcome in plan.outcomes:
            rows = _rows_of(summaries, role, outcome)
            for measure in MEASURES:
                keys = {"role": role, "outcome": outcome, "measure": measure}
                yield keys, site_effects(rows, measure, plan.sites, plan.excluded)


def result_record(result: MetaResult | None, effects: SiteEffects) -> dict[str, Any]:
    if result is None:
        return {
            "k": 0,
            "n_participants": 0,
            "excluded_sites": effects.excluded_text(),
            "note": "no site can be pooled",
        }
    record = {
        name: getattr(result, name)
        for name in (
            "k",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "stat",
            "p",
            "tau2",
            "tau2_ci_low",
            "tau2_ci_high",
            "i2",
            "h2",
            "q",
            "q_df",
            "q_p",
            "pi_low",
            "pi_high",
        )
    }
    record["n_participants"] = int(effects.n.sum())
    record["excluded_sites"] = effects.excluded_text()
    notes = list(result.notes)
    if result.k == 1:
        notes.append("k = 1: the single site's estimate, no heterogeneity")
    elif result.k == 2:
        notes.append("k = 2: no prediction interval or tau2 interval")
    record["note"] = "; ".join(notes)
    return record


def meta_table(summaries: pd.DataFrame, plan: Pooling) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(meta_analysis rows, per-site weights) for every analysis."""
    records: list[dict[str, Any]] = []
    weights: list[dict[str, Sequence]] = []
    for keys, effects in effects_by_analysis(summaries, plan):
        results = meta_analyses(effects.y, effects.v, analyses(), plan.level) if effects.k else {}
        for method, test in analyses():
            result = results.get((method, test))
            primary = (keys["measure"], method, test) == (
                plan.primary_measure,
                plan.primary_method,
                plan.primary_test,
            )
            records.append(
                {
                    **keys,
                    "method": method,
                    "test": test,
                    "primary": "yes" if primary else "no",
                    **result_record(result, effects),
                }
            )
            if result is not None and test == "z":
                weights.append(weight_columns(keys, method, effects, result, plan.level))
    return (
        typed_frame(records, META_COLUMNS, META_TEXT, META_COUNTS),
        typed_columns(
            *stacked_columns(weights, WEIGHT_COLUMNS),
            WEIGHT_COLUMNS,
            ("role", "outcome", "measure", "method", "site_id"),
            ("n_pairs",),
        ),
    )


def weight_columns(
    keys: dict, method: str, effects: SiteEffects, result: MetaResult, level: float
) -> dict[str, Sequence]:
    """Each site's effect, its interval and its weight in one analysis, a column each."""
    z = normal_ppf(0.5 + level / 2)
    root = np.sqrt(effects.v)
    same = {**keys, "method": method}
    return {
        **{column: np.full(effects.k, value, dtype=object) for column, value in same.items()},
        "site_id": np.array(effects.sites, dtype=object),
        "n_pairs": effects.n.astype(int),
        "yi": effects.y,
        "vi": effects.v,
        "ci_low": effects.y - z * root,
        "ci_high": effects.y + z * root,
        "weight_percent": result.weights,
    }


SENSITIVITY_FIELDS = (
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "tau2",
    "i2",
    "pi_low",
    "pi_high",
)


def _sensitivity_columns(
    keys: dict, plan: Pooling, effects: SiteEffects, subsets: Subsets, steps: list[tuple[str, str]]
) -> dict[str, Sequence]:
    """One row per subset of the sites, all fitted together, a column each."""
    fits = batch_meta(
        effects.y, effects.v, subsets, plan.primary_method, plan.primary_test, plan.level
    )
    rows = len(steps)
    empty = fits["k"] == 0
    knapp_hartung = plan.primary_test in KNAPP_HARTUNG_TESTS
    notes = []
    for (_, note), k, zero_se, estimate, converged in zip(
        steps,
        fits["k"].tolist(),
        fits["zero_se"].tolist(),
        fits["estimate"].tolist(),
        fits["converged"].tolist(),
        strict=True,
    ):
        if k == 0:
            notes.append(f"{note}; no site left to pool")
            continue
        parts = [note]
        if k == 1 and knapp_hartung:
            parts.append(KNAPP_HARTUNG_NEEDS_TWO_SITES)
        if zero_se:
            parts.append(zero_se_note(estimate))
        if not converged:
            parts.append("REML did not converge")
        notes.append("; ".join(parts))
    same = {**keys, "method": plan.primary_method, "test": plan.primary_test}
    return {
        **{column: [value] * rows for column, value in same.items()},
        "step": np.arange(1, rows + 1),
        "site_id": [site for site, _ in steps],
        "enrolled": [plan.enrolled.get(site, "") for site, _ in steps],
        "k": fits["k"],
        **{
            field: np.where(empty, np.nan, fits[field])
            for field in SENSITIVITY_FIELDS
            if field != "k"
        },
        "note": notes,
    }


def _sensitivity_table(parts: list[dict[str, Sequence]]) -> pd.DataFrame:
    return typed_columns(
        *stacked_columns(parts, SENSITIVITY_COLUMNS),
        SENSITIVITY_COLUMNS,
        SENSITIVITY_TEXT,
        ("step", "k"),
    )


def leave_one_out(summaries: pd.DataFrame, plan: Pooling) -> pd.DataFrame:
    """Each included site left out in turn (primary method and test, both measures)."""
    parts = []
    for keys, effects in effects_by_analysis(summaries, plan):
        steps = [(site, f"without {site}") for site in effects.sites]
        parts.append(
            _sensitivity_columns(keys, plan, effects, Subsets.leave_one_out(effects.k), steps)
        )
    return _sensitivity_table(parts)


def enrolment_order(effects: SiteEffects, plan: Pooling) -> list[int]:
    """Indexes of the included sites by enrolment date, ties in registry order."""
    return sorted(range(effects.k), key=lambda i: (plan.enrolled.get(effects.sites[i], ""), i))


def cumulative(summaries: pd.DataFrame, plan: Pooling) -> pd.DataFrame:
    """Sites added one at a time in enrolment order (primary method and test)."""
    parts = []
    for keys, effects in effects_by_analysis(summaries, plan):
        order = enrolment_order(effects, plan)
        steps = [(effects.sites[index], f"adds {effects.sites[index]}") for index in order]
        parts.append(_sensitivity_columns(keys, plan, effects, Subsets.cumulative(order), steps))
    return _sensitivity_table(parts)
