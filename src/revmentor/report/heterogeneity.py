"""Why the sites differ, one line per headline outcome: how much of τ² each moderator
explains (metafor's pseudo-R²) and which site is influential, for the primary analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from revmentor.core.tables import matching_rows, typed_frame
from revmentor.pooling.analyses import influence_method, moderator_analysis

HETEROGENEITY_COLUMNS = (
    "role",
    "outcome",
    "measure",
    "method",
    "test",
    "k",
    "tau2",
    "i2",
    "moderators_explain",
    "influential_sites",
)
HETEROGENEITY_TEXT = (
    "role",
    "outcome",
    "measure",
    "method",
    "test",
    "moderators_explain",
    "influential_sites",
)


def _number(value: Any, digits: int = 3) -> str:
    return f"{float(value):.{digits}g}"


def _p_text(p: Any) -> str:
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.2g}"


def moderator_text(rows: pd.DataFrame, moderator: str) -> str:
    """One moderator's share of τ², with its omnibus test, in words."""
    model = rows.iloc[0]
    if pd.isna(model["qm_p"]) and pd.isna(model["tau2"]):
        reason = str(model["note"]).split("; ")[-1] if model["note"] else "not fitted"
        return f"{moderator} not estimated: {reason}"
    if pd.isna(model["r2"]):
        share = "R² not defined for a common-effect model"
    else:
        share = f"explains {float(model['r2']):.0f}% of tau²"
    if pd.isna(model["qm_p"]):
        test = "no test"
    elif pd.isna(model["qm_df2"]):
        test = f"QM = {_number(model['qm'])} on {int(model['qm_df1'])} df; {_p_text(model['qm_p'])}"
    else:
        test = (
            f"F = {_number(model['qm'])} on {int(model['qm_df1'])} and "
            f"{int(model['qm_df2'])} df; {_p_text(model['qm_p'])}"
        )
    return f"{moderator} {share} ({test}; k = {int(model['k'])})"


def influential_text(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "not assessed (needs a random-effects fit of two or more sites)"
    flagged = rows.loc[rows["influential"] == "yes", "site_id"].tolist()
    return " ".join(flagged) if flagged else "none"


def heterogeneity_table(
    meta: pd.DataFrame,
    moderators: pd.DataFrame,
    influence: pd.DataFrame,
    headline: Sequence[tuple[str, str]],
    pooling: Mapping[str, Any],
) -> pd.DataFrame:
    """One row per headline outcome of the primary measure, method and test.

    The moderators are those of :func:`moderator_analysis` (an ad hoc primary test reads the
    Knapp–Hartung rows); influence is that of :func:`influence_method`'s z-test fit."""
    primary = {key: pooling[key] for key in ("measure", "method", "test")}
    method, test = moderator_analysis(primary["method"], primary["test"])
    records = []
    for role, outcome in headline:
        keys = {"role": role, "outcome": outcome, "measure": primary["measure"]}
        pooled = matching_rows(meta, **keys, method=primary["method"], test=primary["test"])
        fits = matching_rows(moderators, **keys, method=method, test=test)
        texts = [
            moderator_text(fits[fits["moderator"] == moderator], moderator)
            for moderator in dict.fromkeys(fits["moderator"])
        ]
        diagnostics = matching_rows(influence, **keys, method=influence_method(primary["method"]))
        first = pooled.iloc[0] if len(pooled) else {}
        records.append(
            {
                **keys,
                **{key: primary[key] for key in ("method", "test")},
                "k": first.get("k"),
                "tau2": first.get("tau2"),
                "i2": first.get("i2"),
                "moderators_explain": "; ".join(texts) if texts else "no moderator declared",
                "influential_sites": influential_text(diagnostics),
            }
        )
    return typed_frame(records, HETEROGENEITY_COLUMNS, HETEROGENEITY_TEXT, ("k",))


def heterogeneity_lines(table: pd.DataFrame) -> tuple[str, ...]:
    """The table's rows as the sentences the replication table's notes carry."""
    return tuple(
        f"Why sites differ, {row['role']} {row['outcome']} (I² {float(row['i2']):.0f}%): "
        f"{row['moderators_explain']}. Influential site: {row['influential_sites']}."
        if pd.notna(row["i2"])
        else f"Why sites differ, {row['role']} {row['outcome']}: no site could be pooled."
        for row in table.to_dict("records")
    )
