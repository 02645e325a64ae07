"""A site's pre/post statistics, one row per role × outcome: the per-site summary.

Quantiles (median, Q1, Q3) use the Hyndman & Fan type 6 definition, p(n+1) with linear
interpolation, which is SPSS's default ("weighted average"); numpy calls it ``weibull``.
Holm and Benjamini–Hochberg adjustments run over the domains of one site × role; the
``total`` is a separate, pre-specified outcome and is not in that family.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.instrument import TOTAL, Instrument
from revmentor.core.summary_format import (
    COUNT_COLUMNS,
    KEY_COLUMNS,
    SUMMARY_COLUMNS,
    TEXT_COLUMNS,
)
from revmentor.core.tables import typed_columns
from revmentor.stats.multiplicity import benjamini_hochberg, holm
from revmentor.stats.pairs import Pairs, site_pairs
from revmentor.stats.summary_columns import FLOATS, QUANTILE_METHOD, outcome_columns


def quantile_rows(
    rows: np.ndarray,
) -> list[tuple[float, float, float]] | list[tuple[None, None, None]]:
    """(median, Q1, Q3) of each row of a matrix, in one call: each row's are the floats
    of its own ``np.quantile`` (the same order statistics, the same interpolation)."""
    if rows.shape[1] == 0:
        return [(None, None, None)] * len(rows)
    q1, median, q3 = np.quantile(rows, [0.25, 0.5, 0.75], axis=1, method=QUANTILE_METHOD)
    return [(float(m), float(a), float(b)) for m, a, b in zip(median, q1, q3, strict=True)]


def quantiles(values: np.ndarray) -> tuple[float, float, float] | tuple[None, None, None]:
    return quantile_rows(np.asarray(values)[np.newaxis])[0]


def outcome_rng(seed: int, site_id: str, role: str, outcome: str) -> np.random.Generator:
    """Monte Carlo draws depend on the seed and this row's identity only."""
    key = hashlib.sha256(f"{site_id}\0{role}\0{outcome}".encode()).hexdigest()[:16]
    return np.random.default_rng(np.random.SeedSequence([seed, int(key, 16)]))


def outcome_row(pairs: Pairs, rng: np.random.Generator | None) -> dict[str, Any]:
    """One role × outcome's statistics (``None`` where empty): a view on
    :func:`~revmentor.stats.summary_columns.outcome_columns` of that row alone. ``rng``
    draws the Monte Carlo p-value, which only rows beyond the exact enumeration need
    (:func:`~revmentor.stats.wilcoxon.draws_needed`)."""
    columns = outcome_columns([pairs], lambda _: rng)
    row = {}
    for name, values in columns.items():
        value = values[0]
        row[name] = None if name in FLOATS and np.isnan(value) else _python(value)
    return row


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def outcome_keys(
    site_id: str, pairs: Mapping[str, Mapping[str, Pairs]]
) -> tuple[list[tuple[str, str, str]], list[Pairs]]:
    """A site's rows (site, role, outcome) and their pairs, in the summary's order."""
    keys, rows = [], []
    for role, by_outcome in pairs.items():
        for outcome, outcome_pairs in by_outcome.items():
            keys.append((site_id, role, outcome))
            rows.append(outcome_pairs)
    return keys, rows


def summary_table(
    keys: Sequence[tuple[str, str, str]], rows: Sequence[Pairs], seed: int
) -> pd.DataFrame:
    """The summary of many sites at once: row i is role × outcome ``keys[i]`` (site, role,
    outcome; each site × role's rows together), computed from ``rows[i]``. A row that
    draws a Monte Carlo p-value draws from the generator of its identity."""
    columns = outcome_columns(rows, lambda index: outcome_rng(seed, *keys[index]))
    columns["p_holm"], columns["p_bh"] = _adjusted_domains(keys, columns["wilcoxon_p"])
    for position, name in enumerate(KEY_COLUMNS):
        columns[name] = [key[position] for key in keys]
    return typed_columns(
        columns, len(rows), SUMMARY_COLUMNS, TEXT_COLUMNS, (*COUNT_COLUMNS, "t_df")
    )


def _adjusted_domains(
    keys: Sequence[tuple[str, str, str]], wilcoxon_p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Holm and BH adjusted Wilcoxon p over the domains of each site × role (not total)."""
    p_holm, p_bh = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    for _, family in groupby(range(len(keys)), key=lambda index: keys[index][:2]):
        members = [
            index for index in family if keys[index][2] != TOTAL and not np.isnan(wilcoxon_p[index])
        ]
        if members:
            p_values = wilcoxon_p[members]
            p_holm[members] = holm(p_values)
            p_bh[members] = benjamini_hochberg(p_values)
    return p_holm, p_bh


def site_summary(
    clean: pd.DataFrame | None,
    instrument: Instrument,
    site_id: str,
    seed: int,
    pairs: Mapping[str, Mapping[str, Pairs]] | None = None,
) -> pd.DataFrame:
    """Every statistic for every role × outcome this site has; aggregates only. ``pairs``:
    the site's :func:`~revmentor.stats.pairs.site_pairs`, when the caller already has them."""
    keys, rows = outcome_keys(site_id, pairs or site_pairs(clean, instrument))
    return summary_table(keys, rows, seed)
