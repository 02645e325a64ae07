"""Why the sites differ: the consortium's meta-regressions, subgroup analyses and influence
diagnostics, one row per analysis as the pooled CSVs hold them.

Every role × outcome × measure is analysed with FE (z) and each random-effects method with
the z and Knapp–Hartung tests, as in ``meta_analysis.csv``. A site leaves a moderator's
analyses when its data cannot be pooled (the reason ``meta_analysis.csv`` gives) or its
registry cell for the moderator is empty; ``excluded_sites`` names it with the reason.
Influence diagnostics use the z-test fit of each random-effects method (metafor's default).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.moderators import UNKNOWN, Moderator, ModeratorValue
from revmentor.core.tables import stacked_columns, typed_columns, typed_frame
from revmentor.pooling.analyses import MODERATOR_TESTS
from revmentor.pooling.consortium import Pooling, effects_by_analysis
from revmentor.pooling.effects import SiteEffects
from revmentor.pooling.influence import INFLUENCE_FIELDS, influence_diagnostics
from revmentor.pooling.meta import METHODS
from revmentor.pooling.moderators import (
    RegressionFit,
    SubgroupAnalysis,
    design,
    meta_regression,
    subgroup_analysis,
)

KEYS = ("role", "outcome", "measure", "method", "test")
MODERATOR_COLUMNS = (
    *KEYS,
    "moderator",
    "term",
    "k",
    "estimate",
    "se",
    "stat",
    "p",
    "ci_low",
    "ci_high",
    "qm",
    "qm_df1",
    "qm_df2",
    "qm_p",
    "qe",
    "qe_df",
    "qe_p",
    "tau2",
    "i2",
    "r2",
    "excluded_sites",
    "note",
)
MODERATOR_TEXT = (*KEYS, "moderator", "term", "excluded_sites", "note")
MODERATOR_COUNTS = ("k", "qm_df1", "qm_df2", "qe_df")
SUBGROUP_COLUMNS = (
    *KEYS,
    "moderator",
    "level",
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "tau2",
    "i2",
    "q_between",
    "q_between_df",
    "q_between_p",
    "excluded_sites",
    "note",
)
SUBGROUP_TEXT = (*KEYS, "moderator", "level", "excluded_sites", "note")
SUBGROUP_COUNTS = ("k", "q_between_df")
INFLUENCE_COLUMNS = (
    "role",
    "outcome",
    "measure",
    "method",
    "site_id",
    *(name for name in INFLUENCE_FIELDS if name != "influential"),
    "influential",
    "note",
)
INFLUENCE_TEXT = ("role", "outcome", "measure", "method", "site_id", "influential", "note")
RANDOM_EFFECTS = tuple(method for method in METHODS if method != "FE")


#: Moderator analyses use the z and Knapp–Hartung tests; FE only with z.
def moderator_analyses() -> Iterator[tuple[str, str]]:
    for method in METHODS:
        for test in MODERATOR_TESTS[:1] if method == "FE" else MODERATOR_TESTS:
            yield method, test


def _with_known_values(
    effects: SiteEffects, values: Mapping[str, ModeratorValue]
) -> tuple[SiteEffects, str]:
    """The sites whose moderator value is known, and every site left out, with why."""
    known = np.array([values.get(site) is not None for site in effects.sites], dtype=bool)
    subset = effects.subset(known)
    unknown = [(site, UNKNOWN) for site in np.array(effects.sites, dtype=object)[~known]]
    excluded = [*effects.excluded, *unknown]
    return subset, "; ".join(f"{site}: {reason}" for site, reason in excluded)


def _regression_records(keys: dict, moderator: str, fit: RegressionFit, notes, excluded: str):
    model = {
        "k": fit.k,
        "qm": fit.qm,
        "qm_df1": fit.qm_df1,
        "qm_df2": fit.qm_df2,
        "qm_p": fit.qm_p,
        "qe": fit.qe,
        "qe_df": fit.qe_df,
        "qe_p": fit.qe_p,
        "tau2": fit.tau2,
        "i2": fit.i2,
        "r2": fit.r2,
        "excluded_sites": excluded,
        "note": "; ".join([*notes, *fit.notes]),
    }
    return [
        {
            **keys,
            "moderator": moderator,
            "term": term.name,
            "estimate": term.estimate,
            "se": term.se,
            "stat": term.stat,
            "p": term.p,
            "ci_low": term.ci_low,
            "ci_high": term.ci_high,
            **model,
        }
        for term in fit.terms
    ]


def _subgroup_records(
    keys: dict, moderator: str, analysis: SubgroupAnalysis, notes, excluded: str
) -> list[dict[str, Any]]:
    between = {
        "q_between": analysis.q_between,
        "q_between_df": analysis.q_between_df,
        "q_between_p": analysis.q_between_p,
        "excluded_sites": excluded,
    }
    return [
        {
            **keys,
            "moderator": moderator,
            "level": group.level,
            "k": group.k,
            "estimate": group.estimate,
            "se": group.se,
            "ci_low": group.ci_low,
            "ci_high": group.ci_high,
            "p": group.p,
            "tau2": group.tau2,
            "i2": group.i2,
            **between,
            "note": "; ".join([*notes, *group.notes, *analysis.notes]),
        }
        for group in analysis.subgroups
    ]


def moderator_tables(
    summaries: pd.DataFrame,
    plan: Pooling,
    moderators: Sequence[Moderator],
    values: Mapping[str, Mapping[str, ModeratorValue]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(meta-regression rows, subgroup rows) for every analysis and moderator."""
    regressions: list[dict[str, Any]] = []
    subgroups: list[dict[str, Any]] = []
    for keys, effects in effects_by_analysis(summaries, plan):
        for moderator in moderators:
            known, excluded = _with_known_values(effects, values[moderator.id])
            site_values = [values[moderator.id][site] for site in known.sites]
            x, names, notes = design(moderator, site_values)
            for method, test in moderator_analyses():
                analysis = {**keys, "method": method, "test": test}
                fit = meta_regression(known.y, known.v, x, names, method, test, plan.level)
                regressions += _regression_records(analysis, moderator.id, fit, notes, excluded)
                if moderator.is_categorical:
                    split = subgroup_analysis(
                        known.y,
                        known.v,
                        [str(value) for value in site_values],
                        moderator.levels,
                        method,
                        test,
                        plan.level,
                    )
                    subgroups += _subgroup_records(analysis, moderator.id, split, notes, excluded)
    return (
        typed_frame(regressions, MODERATOR_COLUMNS, MODERATOR_TEXT, MODERATOR_COUNTS),
        typed_frame(subgroups, SUBGROUP_COLUMNS, SUBGROUP_TEXT, SUBGROUP_COUNTS),
    )


def influence_table(summaries: pd.DataFrame, plan: Pooling) -> pd.DataFrame:
    """Each site's influence on each random-effects z-test fit."""
    parts: list[dict[str, Sequence]] = []
    for keys, effects in effects_by_analysis(summaries, plan):
        for method in RANDOM_EFFECTS:
            analysis = {**keys, "method": method}
            if effects.k == 1:
                note = "k = 1: influence diagnostics need two or more sites"
                parts.append(
                    {**_repeated(analysis, 1), "site_id": [effects.sites[0]], "note": [note]}
                )
                continue
            if effects.k == 0:
                continue
            diagnostics = influence_diagnostics(effects.y, effects.v, method, plan.level)
            parts.append(
                {
                    **_repeated(analysis, effects.k),
                    "site_id": list(effects.sites),
                    **{name: diagnostics[name] for name in INFLUENCE_FIELDS},
                    "influential": np.where(diagnostics["influential"], "yes", "no").tolist(),
                    "note": [
                        "" if converged else f"REML without {site} did not converge"
                        for site, converged in zip(
                            effects.sites, diagnostics["converged"].tolist(), strict=True
                        )
                    ],
                }
            )
    columns, rows = stacked_columns(parts, INFLUENCE_COLUMNS)
    return typed_columns(columns, rows, INFLUENCE_COLUMNS, INFLUENCE_TEXT, ())


def _repeated(values: Mapping[str, str], rows: int) -> dict[str, list[str]]:
    return {column: [value] * rows for column, value in values.items()}
