"""A site's pre/post statistics, one row per role × outcome: the per-site summary.

Quantiles (median, Q1, Q3) use the Hyndman & Fan type 6 definition, p(n+1) with linear
interpolation, which is SPSS's default ("weighted average"); numpy calls it ``weibull``.
Holm and Benjamini–Hochberg adjustments run over the domains of one site × role; the
``total`` is a separate, pre-specified outcome and is not in that family.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from revmentor.core.instrument import TOTAL, Instrument
from revmentor.core.summary_format import (
    COUNT_COLUMNS,
    NOTE_ALL_ZERO,
    NOTE_CONSTANT,
    NOTE_NO_PAIRS,
    NOTE_ONE_PAIR,
    NOTE_SEPARATOR,
    NOTE_TWO_PAIRS,
    NOTE_ZERO_SD,
    SUMMARY_COLUMNS,
    TEXT_COLUMNS,
)
from revmentor.core.tables import typed_frame
from revmentor.stats import paired
from revmentor.stats.multiplicity import benjamini_hochberg, holm
from revmentor.stats.pairs import Pairs, site_pairs
from revmentor.stats.wilcoxon import (
    draws_needed,
    exact_conditional_p,
    nonzero_ranks,
    signed_rank_spss,
)

QUANTILE_METHOD = "weibull"


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


def _sd(values: np.ndarray) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) >= 2 else None


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def descriptives(pairs: Pairs) -> dict[str, Any]:
    (median_pre, q1_pre, q3_pre), (median_post, q1_post, q3_post) = quantile_rows(
        np.stack([pairs.pre, pairs.post])
    )
    return {
        "median_pre": median_pre,
        "q1_pre": q1_pre,
        "q3_pre": q3_pre,
        "median_post": median_post,
        "q1_post": q1_post,
        "q3_post": q3_post,
        "mean_pre": _mean(pairs.pre),
        "sd_pre": _sd(pairs.pre),
        "mean_post": _mean(pairs.post),
        "sd_post": _sd(pairs.post),
        "mean_diff": _mean(pairs.differences),
        "sd_diff": _sd(pairs.differences),
        "r_prepost": paired.pearson(pairs.pre, pairs.post),
    }


def rank_tests(pairs: Pairs, rng: np.random.Generator | None) -> dict[str, Any]:
    differences = pairs.differences
    ranked = nonzero_ranks(differences)
    test = signed_rank_spss(differences, ranked)
    exact = exact_conditional_p(differences, rng, ranked)
    return {
        "n_nonzero": test.n_nonzero,
        "n_positive": test.n_positive,
        "n_negative": test.n_negative,
        "w_plus": test.w_plus,
        "w_minus": test.w_minus,
        "wilcoxon_z": test.z,
        "wilcoxon_var": test.variance,
        "wilcoxon_p": test.p,
        "wilcoxon_p_exact": exact.p,
        "wilcoxon_exact_method": exact.method,
        "sign_test_p": paired.sign_test_p(test.n_positive, test.n_negative),
        "rank_biserial": paired.rank_biserial(test.w_plus, test.w_minus),
        "r_effect": None if test.z is None else abs(test.z) / np.sqrt(pairs.n),
    }


def mean_tests(pairs: Pairs, mean: float, sd: float | None) -> dict[str, Any]:
    """``mean`` and ``sd``: the differences' (the row's ``mean_diff`` and ``sd_diff``)."""
    differences = pairs.differences
    t = paired.paired_t(differences)
    hl = paired.hodges_lehmann(differences)
    smcc = paired.standardised_mean_change(mean, sd, pairs.n) if sd else None
    return {
        "t_stat": t and t.t,
        "t_df": t and t.df,
        "t_p": t and t.p,
        "t_ci_low": t and t.ci_low,
        "t_ci_high": t and t.ci_high,
        "hl_estimate": hl and hl.estimate,
        "hl_ci_low": hl and hl.ci_low,
        "hl_ci_high": hl and hl.ci_high,
        "hl_ci_method": hl.method if hl else "",
        "cohens_dz": mean / sd if sd else None,
        "smcc": smcc and smcc[0],
        "smcc_var": smcc and smcc[1],
    }


def degenerate_note(pairs: Pairs) -> str:
    """Why some statistics of this row are empty, in words."""
    if pairs.n == 0:
        return NOTE_NO_PAIRS
    notes = []
    if pairs.n < 2:
        notes.append(NOTE_ONE_PAIR)
    elif pairs.n < 3:
        notes.append(NOTE_TWO_PAIRS)
    if np.all(pairs.differences == 0):
        notes.append(NOTE_ALL_ZERO)
    elif pairs.n >= 2 and np.std(pairs.differences) == 0:
        notes.append(NOTE_ZERO_SD)
    if pairs.n >= 2 and (np.std(pairs.pre) == 0 or np.std(pairs.post) == 0):
        notes.append(NOTE_CONSTANT)
    return NOTE_SEPARATOR.join(notes)


def outcome_row(pairs: Pairs, rng: np.random.Generator | None) -> dict[str, Any]:
    """One role × outcome's statistics. ``rng`` draws the Monte Carlo p-value, which only
    rows beyond the exact enumeration need (:func:`~revmentor.stats.wilcoxon.draws_needed`)."""
    row: dict[str, Any] = {
        "n_pairs": pairs.n,
        "n_excluded": pairs.n_excluded,
        "excluded_reasons": pairs.reasons_text(),
    }
    row.update(descriptives(pairs))
    if pairs.n:
        row.update(rank_tests(pairs, rng))
        row.update(mean_tests(pairs, row["mean_diff"], row["sd_diff"]))
    row["note"] = degenerate_note(pairs)
    return row


def adjust_domains(rows: list[dict[str, Any]]) -> None:
    """Holm and BH adjusted Wilcoxon p over the domains of one site × role (not total)."""
    family = [r for r in rows if r["outcome"] != TOTAL and r.get("wilcoxon_p") is not None]
    if not family:
        return
    p_values = np.array([r["wilcoxon_p"] for r in family])
    for row, p_holm, p_bh in zip(family, holm(p_values), benjamini_hochberg(p_values), strict=True):
        row["p_holm"], row["p_bh"] = float(p_holm), float(p_bh)


def outcome_rng(seed: int, site_id: str, role: str, outcome: str) -> np.random.Generator:
    """Monte Carlo draws depend on the seed and this row's identity only."""
    key = hashlib.sha256(f"{site_id}\0{role}\0{outcome}".encode()).hexdigest()[:16]
    return np.random.default_rng(np.random.SeedSequence([seed, int(key, 16)]))


def site_summary(
    clean: pd.DataFrame,
    instrument: Instrument,
    site_id: str,
    seed: int,
    pairs: Mapping[str, Mapping[str, Pairs]] | None = None,
) -> pd.DataFrame:
    """Every statistic for every role × outcome this site has; aggregates only. ``pairs``:
    the site's :func:`~revmentor.stats.pairs.site_pairs`, when the caller already has them."""
    rows = []
    for role, by_outcome in (pairs or site_pairs(clean, instrument)).items():
        role_rows = []
        for outcome, outcome_pairs in by_outcome.items():
            row = {"site_id": site_id, "role": role, "outcome": outcome}
            # The generator is seeded (a SHA-256 and a SeedSequence) only for a row that draws.
            rng = (
                outcome_rng(seed, site_id, role, outcome)
                if draws_needed(outcome_pairs.differences)
                else None
            )
            row.update(outcome_row(outcome_pairs, rng))
            role_rows.append(row)
        adjust_domains(role_rows)
        rows += role_rows
    return summary_frame(rows)


def summary_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows in the summary format: fixed columns, whole numbers as integers, no inf."""
    return typed_frame(rows, SUMMARY_COLUMNS, TEXT_COLUMNS, (*COUNT_COLUMNS, "t_df"))
