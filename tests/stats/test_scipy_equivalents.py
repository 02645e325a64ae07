"""The statistics jobs compute without importing scipy.stats (most of their start-up) and
without its per-call checks: each replacement gives scipy.stats's very floats."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from revmentor.core.summary_format import MONTE_CARLO
from revmentor.stats import paired, wilcoxon
from revmentor.stats.pairs import Pairs
from revmentor.stats.proportions import binomial_half_p, wilson_interval
from revmentor.stats.site_summary import outcome_row, quantile_rows, quantiles, site_summary


def same_float(a, b) -> bool:
    return float(a).hex() == float(b).hex()


def test_the_sign_test_p_is_binomtests_for_every_count_up_to_120():
    for n in range(1, 121):
        for k in range(n + 1):
            assert same_float(binomial_half_p(k, n), stats.binomtest(k, n, 0.5).pvalue), (k, n)


@pytest.mark.parametrize("n", [401, 1000, 4999, 20000, 100000])
def test_the_sign_test_p_is_binomtests_for_large_n(n):
    rng = np.random.default_rng(n)
    for k in {0, 1, n // 2 - 1, n // 2, n // 2 + 1, n - 1, n, *rng.integers(0, n + 1, 30)}:
        k = int(k)
        assert same_float(binomial_half_p(k, n), stats.binomtest(k, n, 0.5).pvalue), (k, n)


def test_mid_ranks_are_rankdatas():
    rng = np.random.default_rng(3)
    for size in [0, 1, 2, 5, 40, 401, 5000]:
        for values in (rng.integers(1, 6, size).astype(float), rng.normal(size=size)):
            values = np.abs(values)
            expected = stats.rankdata(values, method="average")
            got = wilcoxon.mid_ranks(values)
            assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert np.isnan(wilcoxon.mid_ranks(np.array([1.0, np.nan]))).all()


def test_the_t_and_normal_functions_are_scipy_stats():
    rng = np.random.default_rng(4)
    for _ in range(300):
        n = int(rng.integers(2, 500))
        differences = rng.integers(-4, 5, n).astype(float)
        if np.std(differences) == 0:
            continue
        t = paired.paired_t(differences)
        sd = float(np.std(differences, ddof=1))
        mean = float(np.mean(differences))
        se = sd / np.sqrt(n)
        assert same_float(t.p, 2 * stats.t.sf(abs(mean / se), n - 1))
        assert same_float(t.ci_high, mean + stats.t.ppf(0.975, n - 1) * se)
        test = wilcoxon.signed_rank_spss(differences)
        if test.z is not None:
            assert same_float(test.p, min(1.0, 2 * stats.norm.sf(abs(test.z))))
    assert wilson_interval(3, 10) == pytest.approx((0.10779126740630104, 0.6032218525388546))


def test_quantile_rows_are_each_rows_own_quantiles():
    rng = np.random.default_rng(5)
    for n in [1, 2, 3, 4, 7, 20, 41, 400]:
        rows = rng.integers(1, 6, (2, n)).astype(float)
        for row, got in zip(rows, quantile_rows(rows), strict=True):
            q1, median, q3 = np.quantile(row, [0.25, 0.5, 0.75], method="weibull")
            assert [float(x).hex() for x in got] == [float(x).hex() for x in (median, q1, q3)]
            assert quantiles(row) == got
    assert quantile_rows(np.empty((2, 0))) == [(None, None, None)] * 2


def test_a_row_that_draws_gets_the_generator_of_its_identity(instrument):
    """The generator is seeded only for rows beyond the exact enumeration, and those rows
    draw from the same stream as before (the seed and the row's identity)."""
    from revmentor.stats.site_summary import outcome_rng

    rng = np.random.default_rng(6)
    n = wilcoxon.EXACT_MAX_N + 5
    pre = rng.integers(1, 6, n).astype(float)
    post = np.where(pre < 5, pre + 1, pre - 1)
    pairs = {"mentor": {"clinical_practice": Pairs(pre, post)}}
    row = site_summary(None, instrument, "leeds", 7, pairs).iloc[0]
    assert row["wilcoxon_exact_method"] == MONTE_CARLO
    expected = outcome_row(
        pairs["mentor"]["clinical_practice"], outcome_rng(7, "leeds", "mentor", "clinical_practice")
    )
    assert row["wilcoxon_p_exact"] == expected["wilcoxon_p_exact"]
    assert wilcoxon.draws_needed(post - pre)
    assert not wilcoxon.draws_needed((post - pre)[: wilcoxon.EXACT_MAX_N])


def test_the_statistics_import_no_scipy_stats():
    """The shard job's imports, and a site's statistics, leave scipy.stats unimported."""
    script = (
        "import sys\n"
        "import numpy as np\n"
        "from revmentor.steps import site_tables\n"
        "from revmentor.stats.pairs import Pairs\n"
        "from revmentor.stats.site_summary import outcome_row\n"
        "outcome_row(Pairs(np.array([1., 2, 3, 4, 2]), np.array([2., 4, 3, 5, 5])), None)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "False"
