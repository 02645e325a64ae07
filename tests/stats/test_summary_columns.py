"""The summary's statistics computed for many rows at once are each row's own floats."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import stats

from revmentor.stats import paired
from revmentor.stats.pairs import Pairs
from revmentor.stats.summary_columns import COUNTS, FLOATS, TEXTS, outcome_columns
from revmentor.stats.wilcoxon import EXACT_MAX_N


def mixed_rows(seed: int, count: int) -> list[Pairs]:
    """Rows of many sizes and kinds: Likert scores, continuous values, ties, all-zero and
    constant rows, rows beyond the Walsh table and beyond the exact enumeration."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        n = int(rng.choice([0, 1, 2, 3, 4, 9, 20, 20, 20, 33, 257, EXACT_MAX_N + 3]))
        kind = rng.integers(0, 5)
        if kind == 0:
            pre = rng.normal(size=n) * 3
            post = pre + rng.normal(size=n)
        elif kind == 1:
            pre = np.full(n, 3.0)
            post = pre.copy()
        elif kind == 2:
            pre = rng.integers(1, 6, n).astype(float)
            post = pre + 1
        elif kind == 3:
            pre, post = np.round(rng.normal(size=(2, n)), 1)
        else:
            pre, post = rng.integers(1, 6, (2, n)).astype(float)
        rows.append(Pairs(pre, post, Counter({"no post": int(rng.integers(0, 3))})))
    return rows


def generators(index: int) -> np.random.Generator:
    return np.random.default_rng(index)


def column_values(columns: dict, index: int) -> dict:
    return {name: values[index] for name, values in columns.items()}


def same(a: object, b: object) -> bool:
    """Equal as stored: the same float to the last bit (NaN equal to NaN), or equal."""
    if isinstance(a, float | np.floating) and isinstance(b, float | np.floating):
        return np.array(a).tobytes() == np.array(b).tobytes()
    return a == b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_row_computed_with_others_equals_the_row_computed_alone(seed):
    rows = mixed_rows(seed, 120)
    together = outcome_columns(rows, generators)
    assert set(together) == {*FLOATS, *COUNTS, *TEXTS}
    for index, row in enumerate(rows):
        alone = outcome_columns([row], lambda _, index=index: generators(index))
        for name in together:
            assert same(together[name][index], alone[name][0]), (index, name)


def test_the_descriptives_and_tests_are_those_of_numpy_and_scipy_on_the_row():
    rows = [row for row in mixed_rows(4, 150) if row.n >= 3]
    columns = outcome_columns(rows, generators)
    for index, row in enumerate(rows):
        got = column_values(columns, index)
        d = row.differences
        assert same(got["mean_diff"], float(np.mean(d)))
        assert same(got["sd_pre"], float(np.std(row.pre, ddof=1)))
        median, q1, q3 = (np.quantile(row.post, q, method="weibull") for q in (0.5, 0.25, 0.75))
        assert (got["median_post"], got["q1_post"], got["q3_post"]) == (median, q1, q3)
        nonzero = d[d != 0]
        ranks = stats.rankdata(np.abs(nonzero))
        assert got["n_nonzero"] == len(nonzero)
        assert got["w_plus"] == ranks[nonzero > 0].sum()
        assert got["w_minus"] == ranks[nonzero < 0].sum()
        if np.std(d) > 0:
            expected = stats.ttest_1samp(d, 0)
            assert got["t_stat"] == pytest.approx(expected.statistic, rel=1e-12)
            assert got["t_p"] == pytest.approx(expected.pvalue, rel=1e-9)
        walsh = paired.walsh_averages(d)
        assert same(got["hl_estimate"], float(np.median(walsh)))


def test_rows_without_pairs_or_with_one_pair_leave_their_statistics_empty():
    rows = [Pairs(np.array([]), np.array([])), Pairs(np.array([2.0]), np.array([4.0]))]
    columns = outcome_columns(rows, generators)
    assert columns["n_pairs"] == [0, 1]
    assert np.isnan(columns["mean_diff"][0]) and columns["mean_diff"][1] == 2.0
    assert np.isnan(columns["sd_diff"]).all() and np.isnan(columns["t_stat"]).all()
    assert columns["note"][0].startswith("no complete")
    assert columns["note"][1].startswith("fewer than 2")
    assert columns["n_nonzero"] == [None, 1]


def test_only_rows_beyond_the_exact_enumeration_ask_for_their_generator():
    asked = []

    def generator_of(index):
        asked.append(index)
        return np.random.default_rng(index)

    big = np.arange(EXACT_MAX_N + 2, dtype=float) % 5
    rows = [Pairs(big, big + 1), Pairs(big[:30], big[:30] + 1), Pairs(big, big + 2)]
    outcome_columns(rows, generator_of)
    assert asked == [0, 2]
