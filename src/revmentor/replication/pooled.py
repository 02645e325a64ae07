"""The pooled analyses the replication criteria read, from results/pooled/meta_analysis.csv.

The criteria follow the configured primary analysis (``pooling.measure``, ``method``,
``test``). The equivalence test always reads the mean change in scale points (MD) and small
telescopes the standardised mean change (SMCC), each with the primary method and test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revmentor.core.scipy_distributions import normal_ppf, normal_sf, t_ppf, t_sf
from revmentor.pooling.meta import KNAPP_HARTUNG_TESTS


@dataclass(frozen=True)
class Pooled:
    """One pooled estimate: μ̂, its se (Knapp–Hartung's under that test), τ̂² and k."""

    measure: str
    method: str
    test: str
    k: int
    estimate: float
    se: float
    tau2: float
    p: float | None

    @property
    def df(self) -> int | None:
        """Degrees of freedom of its t distribution; None for the z test (and k = 1, where
        Knapp–Hartung falls back to z)."""
        return self.k - 1 if self.test in KNAPP_HARTUNG_TESTS and self.k > 1 else None

    def tail(self, statistic: float) -> float:
        """P(T > statistic) under its own reference distribution."""
        if self.df is None:
            return float(normal_sf(statistic))
        return float(t_sf(statistic, self.df))

    def critical(self, level: float) -> float:
        """The two-sided critical value of a ``level`` CI."""
        upper = 0.5 + level / 2
        return float(normal_ppf(upper) if self.df is None else t_ppf(upper, self.df))


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)
    return None if math.isnan(number) else number


def pooled_from(
    meta: pd.DataFrame, role: str, outcome: str, measure: str, method: str, test: str
) -> Pooled | None:
    """The meta-analysis row of one role × outcome × analysis; None when no site pooled."""
    rows = meta[
        (meta["role"] == role)
        & (meta["outcome"] == outcome)
        & (meta["measure"] == measure)
        & (meta["method"] == method)
        & (meta["test"] == test)
    ]
    if rows.empty:
        return None
    row: Mapping[str, Any] = rows.iloc[0].to_dict()
    estimate, se = _number(row.get("estimate")), _number(row.get("se"))
    if estimate is None or se is None or not int(row.get("k") or 0):
        return None
    return Pooled(
        measure=measure,
        method=method,
        test=test,
        k=int(row["k"]),
        estimate=estimate,
        se=se,
        tau2=_number(row.get("tau2")) or 0.0,
        p=_number(row.get("p")),
    )
