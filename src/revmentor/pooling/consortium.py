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
from scipy import stats

from revmentor.core.tables import typed_frame
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
    records, weights = [], []
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
                weights += weight_records(keys, method, effects, result, plan.level)
    return (
        typed_frame(records, META_COLUMNS, META_TEXT, META_COUNTS),
        typed_frame(
            weights,
            WEIGHT_COLUMNS,
            ("role", "outcome", "measure", "method", "site_id"),
            ("n_pairs",),
        ),
    )


def weight_records(
    keys: dict, method: str, effects: SiteEffects, result: MetaResult, level: float
) -> list[dict]:
    z = stats.norm.ppf(0.5 + level / 2)
    return [
        {
            **keys,
            "method": method,
            "site_id": site,
            "n_pairs": int(n),
            "yi": y,
            "vi": v,
            "ci_low": y - z * np.sqrt(v),
            "ci_high": y + z * np.sqrt(v),
            "weight_percent": w,
        }
        for site, n, y, v, w in zip(
            effects.sites, effects.n, effects.y, effects.v, result.weights, strict=True
        )
    ]


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


def _sensitivity_records(
    keys: dict, plan: Pooling, effects: SiteEffects, subsets: Subsets, steps: list[tuple[str, str]]
) -> list[dict]:
    """One record per subset of the sites, all fitted together."""
    fits = batch_meta(
        effects.y, effects.v, subsets, plan.primary_method, plan.primary_test, plan.level
    )
    records = []
    for row, (site, note) in enumerate(steps):
        record = {
            **keys,
            "method": plan.primary_method,
            "test": plan.primary_test,
            "step": row + 1,
            "site_id": site,
            "enrolled": plan.enrolled.get(site, ""),
        }
        notes = [note]
        if fits["k"][row] == 0:
            records.append({**record, "k": 0, "note": f"{note}; no site left to pool"})
            continue
        record.update({field: fits[field][row] for field in SENSITIVITY_FIELDS})
        if fits["k"][row] == 1 and plan.primary_test in KNAPP_HARTUNG_TESTS:
            notes.append(KNAPP_HARTUNG_NEEDS_TWO_SITES)
        if fits["zero_se"][row]:
            notes.append(zero_se_note(fits["estimate"][row]))
        if not fits["converged"][row]:
            notes.append("REML did not converge")
        records.append({**record, "note": "; ".join(notes)})
    return records


def leave_one_out(summaries: pd.DataFrame, plan: Pooling) -> pd.DataFrame:
    """Each included site left out in turn (primary method and test, both measures)."""
    records = []
    for keys, effects in effects_by_analysis(summaries, plan):
        steps = [(site, f"without {site}") for site in effects.sites]
        records += _sensitivity_records(
            keys, plan, effects, Subsets.leave_one_out(effects.k), steps
        )
    return typed_frame(records, SENSITIVITY_COLUMNS, SENSITIVITY_TEXT, ("step", "k"))


def enrolment_order(effects: SiteEffects, plan: Pooling) -> list[int]:
    """Indexes of the included sites by enrolment date, ties in registry order."""
    return sorted(range(effects.k), key=lambda i: (plan.enrolled.get(effects.sites[i], ""), i))


def cumulative(summaries: pd.DataFrame, plan: Pooling) -> pd.DataFrame:
    """Sites added one at a time in enrolment order (primary method and test)."""
    records = []
    for keys, effects in effects_by_analysis(summaries, plan):
        order = enrolment_order(effects, plan)
        steps = [(effects.sites[index], f"adds {effects.sites[index]}") for index in order]
        records += _sensitivity_records(keys, plan, effects, Subsets.cumulative(order), steps)
    return typed_frame(records, SENSITIVITY_COLUMNS, SENSITIVITY_TEXT, ("step", "k"))


def all_summaries(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [frame for frame in frames if not frame.empty]
    return pd.concat(non_empty, ignore_index=True) if non_empty else frames[0].iloc[0:0]
