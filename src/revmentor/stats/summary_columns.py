"""The statistics of many summary rows (role × outcome × site) at once, a column each.

Rows with the same number of pairs are stacked into one matrix, and every numpy step that
costs time on a small array (quantiles, means, SDs, mid-ranks, sorting the Walsh
averages) runs once over the matrix, along its rows. Each reduction along a row of a
C-ordered matrix is the same sum, in the same order, as the reduction of that row alone,
so every value is the very float that one row computed alone would give
(tests/stats/test_summary_columns.py checks this row by row, and the frozen outputs of
the workflow hold it for whole consortia). What is left per row is arithmetic on a few
Python numbers, done by the same functions as for one row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from revmentor.core.summary_format import (
    COUNT_COLUMNS,
    KEY_COLUMNS,
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
from revmentor.stats import paired
from revmentor.stats.pairs import Pairs
from revmentor.stats.wilcoxon import EXACT_MAX_N, exact_conditional_p, signed_rank_from_sums

QUANTILE_METHOD = "weibull"

#: What :func:`outcome_columns` gives: every column of the summary but the row's keys and
#: the multiplicity adjustments, which need the other rows of its site × role.
COUNTS = (*COUNT_COLUMNS, "t_df")
TEXTS = tuple(column for column in TEXT_COLUMNS if column not in KEY_COLUMNS)
FLOATS = tuple(
    column
    for column in SUMMARY_COLUMNS
    if column not in (*KEY_COLUMNS, *COUNTS, *TEXTS, "p_holm", "p_bh")
)

#: Walsh averages sorted at once, at most (32 MB of floats), whatever the rows' number.
WALSH_BLOCK_VALUES = 1 << 22

#: The generator of row i, asked for only by the rows that draw a Monte Carlo p-value.
Generators = Callable[[int], np.random.Generator | None]


def outcome_columns(rows: Sequence[Pairs], generator_of: Generators) -> dict[str, Any]:
    """Every statistic of each row of pairs: float columns as arrays (NaN where empty),
    whole numbers and text as lists (``None`` or '' where empty)."""
    size = len(rows)
    columns: dict[str, Any] = {name: np.full(size, np.nan) for name in FLOATS}
    columns.update({name: [None] * size for name in COUNTS})
    columns.update({name: [""] * size for name in TEXTS})
    for index, pairs in enumerate(rows):
        columns["n_pairs"][index] = pairs.n
        columns["n_excluded"][index] = pairs.n_excluded
        columns["excluded_reasons"][index] = pairs.reasons_text()
        if not pairs.n:
            columns["note"][index] = NOTE_NO_PAIRS
    by_size: dict[int, list[int]] = {}
    for index, pairs in enumerate(rows):
        if pairs.n:
            by_size.setdefault(pairs.n, []).append(index)
    for n, indices in by_size.items():
        _same_size_rows(n, np.array(indices), rows, generator_of, columns)
    return columns


def _same_size_rows(
    n: int,
    indices: np.ndarray,
    rows: Sequence[Pairs],
    generator_of: Generators,
    columns: dict[str, Any],
) -> None:
    pre = np.stack([rows[index].pre for index in indices])
    post = np.stack([rows[index].post for index in indices])
    differences = np.stack([rows[index].differences for index in indices])
    floats = _descriptives(pre, post, differences)
    floats.update(_rank_sums(differences))
    ranks = floats.pop("ranks")
    zero_spread = {
        name: np.std(values, axis=1) == 0
        for name, values in (("pre", pre), ("post", post), ("differences", differences))
    }
    all_zero = (differences == 0).all(axis=1)
    walsh = _walsh_order_statistics(differences) if n <= paired.WALSH_TABLE_MAX_N else None
    for position, index in enumerate(indices.tolist()):
        row = {name: values[position].item() for name, values in floats.items()}
        varies = n >= 2 and not (zero_spread["pre"][position] or zero_spread["post"][position])
        row["r_prepost"] = paired.correlation(pre[position], post[position]) if varies else None
        row.update(_rank_tests(n, row, differences[position], ranks[position], generator_of, index))
        order_statistics = (
            walsh(position)
            if walsh is not None
            else lambda ranks, position=position: paired.walsh_order_statistics(
                differences[position], ranks
            )
        )
        row.update(_mean_tests(n, row, order_statistics))
        row["note"] = _note(
            n, bool(all_zero[position]), bool(zero_spread["differences"][position]), varies
        )
        for name, value in row.items():
            if name in columns:
                columns[name][index] = np.nan if value is None and name in FLOATS else value


def _descriptives(
    pre: np.ndarray, post: np.ndarray, differences: np.ndarray
) -> dict[str, np.ndarray]:
    k, n = pre.shape
    q1, median, q3 = np.quantile(
        np.concatenate([pre, post]), [0.25, 0.5, 0.75], axis=1, method=QUANTILE_METHOD
    )
    result = {
        "median_pre": median[:k],
        "q1_pre": q1[:k],
        "q3_pre": q3[:k],
        "median_post": median[k:],
        "q1_post": q1[k:],
        "q3_post": q3[k:],
    }
    for name, values in (("pre", pre), ("post", post), ("diff", differences)):
        result[f"mean_{name}"] = np.mean(values, axis=1)
        result[f"sd_{name}"] = np.std(values, axis=1, ddof=1) if n >= 2 else np.full(k, np.nan)
    return result


def _rank_sums(differences: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: the mid-ranks of the non-zero |differences| (NaN at the zeros), as
    :func:`~revmentor.stats.wilcoxon.mid_ranks` gives them, and their signed sums, counts
    and tie correction. Ranks are whole numbers or halves, so their sums are exact."""
    k, n = differences.shape
    nonzero = differences != 0
    keys = np.where(nonzero, np.abs(differences), np.inf)
    order = np.argsort(keys, axis=1, kind="stable")
    ordered = np.take_along_axis(keys, order, axis=1)
    starts_group = np.ones((k, n), dtype=bool)
    starts_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    columns = np.broadcast_to(np.arange(n), (k, n))
    start = np.maximum.accumulate(np.where(starts_group, columns, 0), axis=1)
    ends_group = np.ones((k, n), dtype=bool)
    ends_group[:, :-1] = starts_group[:, 1:]
    end = np.minimum.accumulate(np.where(ends_group, columns + 1, n)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((k, n))
    np.put_along_axis(ranks, order, 0.5 * (end + start + 1), axis=1)
    ranks[~nonzero] = np.nan
    sizes = (end - start).astype(float)
    ties = np.where(starts_group & np.isfinite(ordered), sizes**3 - sizes, 0.0).sum(axis=1)
    return {
        "ranks": ranks,
        "n_positive": (differences > 0).sum(axis=1),
        "n_negative": (differences < 0).sum(axis=1),
        "w_plus": np.where(differences > 0, ranks, 0.0).sum(axis=1),
        "w_minus": np.where(differences < 0, ranks, 0.0).sum(axis=1),
        "ties": ties,
    }


def _rank_tests(
    n: int,
    row: dict[str, Any],
    differences: np.ndarray,
    ranks: np.ndarray,
    generator_of: Generators,
    index: int,
) -> dict[str, Any]:
    test = signed_rank_from_sums(
        row.pop("n_positive"), row.pop("n_negative"), row["w_plus"], row["w_minus"], row.pop("ties")
    )
    nonzero = differences != 0
    ranked = (ranks[nonzero], np.sign(differences[nonzero]))
    generator = generator_of(index) if test.n_nonzero > EXACT_MAX_N else None
    exact = exact_conditional_p(differences, generator, ranked)
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
        "r_effect": None if test.z is None else abs(test.z) / np.sqrt(n),
    }


def _mean_tests(
    n: int, row: dict[str, Any], order_statistics: Callable[[Sequence[int]], list[float]]
) -> dict[str, Any]:
    mean, sd = row["mean_diff"], row["sd_diff"]
    sd = None if sd != sd else sd  # NaN: fewer than 2 pairs
    t = paired.paired_t_from(mean, sd, n) if sd is not None else None
    hl = paired.hodges_lehmann_from(n, order_statistics)
    smcc = paired.standardised_mean_change(mean, sd, n) if sd else None
    return {
        "sd_diff": sd,
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


def _walsh_order_statistics(
    differences: np.ndarray,
) -> Callable[[int], Callable[[Sequence[int]], list[float]]]:
    """Per row, the function giving its Walsh averages of the given ranks: each row's
    n(n+1)/2 averages, sorted in blocks of rows (the same floats as
    :func:`~revmentor.stats.paired.walsh_averages` of the row alone)."""
    k, n = differences.shape
    i, j = np.triu_indices(n)
    block = max(1, WALSH_BLOCK_VALUES // len(i))
    tables = [
        np.sort((differences[start : start + block, i] + differences[start : start + block, j]) / 2)
        for start in range(0, k, block)
    ]

    def of_row(position: int) -> Callable[[Sequence[int]], list[float]]:
        table = tables[position // block][position % block]
        return lambda ranks: [float(table[rank - 1]) for rank in ranks]

    return of_row


def _note(n: int, all_zero: bool, zero_sd: bool, varies: bool) -> str:
    """Why some statistics of a row with pairs are empty, in words."""
    notes = []
    if n < 2:
        notes.append(NOTE_ONE_PAIR)
    elif n < 3:
        notes.append(NOTE_TWO_PAIRS)
    if all_zero:
        notes.append(NOTE_ALL_ZERO)
    elif n >= 2 and zero_sd:
        notes.append(NOTE_ZERO_SD)
    if n >= 2 and not varies:
        notes.append(NOTE_CONSTANT)
    return NOTE_SEPARATOR.join(notes)
