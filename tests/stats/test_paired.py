"""t-test, sign test, Hodges–Lehmann and effect sizes against R and metafor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from revmentor.stats import paired
from revmentor.stats.wilcoxon import signed_rank_spss
from tests.reference import close, load

PAIRED = load("paired_tests")["cases"]
WILCOXON = load("wilcoxon")["cases"]


def diffs(case) -> np.ndarray:
    return np.array(case["post"], dtype=float) - np.array(case["pre"], dtype=float)


@pytest.mark.parametrize("case", PAIRED, ids=lambda c: c["name"])
def test_paired_t_matches_r(case):
    result = paired.paired_t(diffs(case))
    r = case["t_test"]
    if r["t"] is None:
        assert result is None
        return
    assert close(result.t, r["t"]) and result.df == r["df"]
    assert close(result.p, r["p"])
    assert close(result.ci_low, r["conf_low"]) and close(result.ci_high, r["conf_high"])


@pytest.mark.parametrize("case", PAIRED, ids=lambda c: c["name"])
def test_sign_test_matches_r_binom_test(case):
    p = paired.sign_test_p(case["n_pos"], case["n_neg"])
    expected = case["sign_test"]["p"]
    assert (p is None) if expected is None else close(p, expected)


@pytest.mark.parametrize("case", PAIRED, ids=lambda c: c["name"])
def test_pearson_matches_r_cor(case):
    r = paired.pearson(np.array(case["pre"], float), np.array(case["post"], float))
    assert (r is None) if case["cor"] is None else close(r, case["cor"])


@pytest.mark.parametrize(
    "case", [c for c in WILCOXON if c.get("hl_exact")], ids=lambda c: c["name"]
)
def test_hodges_lehmann_matches_r_exact_without_ties(case):
    """R: wilcox.test(post, pre, paired=TRUE, exact=TRUE, conf.int=TRUE)."""
    result = paired.hodges_lehmann(diffs(case))
    r = case["hl_exact"]
    assert close(result.estimate, r["estimate"])
    assert close(result.ci_low, r["conf_low"]) and close(result.ci_high, r["conf_high"])


def test_hodges_lehmann_is_the_median_of_walsh_averages_with_zeros_kept():
    """Hollander & Wolfe: all n(n+1)/2 Walsh averages, zeros included."""
    d = np.array([1, 1, 2, 2, 3, 0], dtype=float)
    walsh = sorted((d[i] + d[j]) / 2 for i in range(6) for j in range(i, 6))
    assert len(walsh) == 21
    assert paired.hodges_lehmann(d).estimate == walsh[10] == 1.5


@pytest.mark.parametrize(
    "case",
    [c for c in WILCOXON if c["n_zero"] == 0 and c.get("walsh_average_median") is not None],
    ids=lambda c: c["name"],
)
def test_hodges_lehmann_without_zeros_matches_r_walsh_median(case):
    assert close(paired.hodges_lehmann(diffs(case)).estimate, case["walsh_average_median"])


SMCC = load("escalc_smcc")["cases"]


@pytest.mark.parametrize("case", SMCC, ids=lambda c: c["name"])
def test_smcc_matches_metafor_escalc(case):
    result = paired.standardised_mean_change(
        case["mean_diff"], case["sd_diff"], case["inputs"]["n"]
    )
    assert close(result[0], case["yi"]) and close(result[1], case["vi"])


def test_hedges_correction_is_exact_gamma_ratio():
    for m in (2, 5, 10, 50, 500):
        exact = (
            math.gamma(m / 2) / (math.sqrt(m / 2) * math.gamma((m - 1) / 2)) if m < 300 else None
        )
        if exact is not None:
            assert paired.hedges_correction(m) == pytest.approx(exact, rel=1e-12)
    assert paired.hedges_correction(5000) == pytest.approx(1 - 3 / (4 * 5000 - 1), rel=1e-6)


def test_rank_biserial_and_r_effect_of_study_case():
    test = signed_rank_spss(np.array([1, 1, 2, 2, 3, 0.0]))
    assert paired.rank_biserial(test.w_plus, test.w_minus) == 1.0
    assert abs(test.z) / math.sqrt(6) == pytest.approx(0.833333, rel=1e-5)


@pytest.mark.parametrize(
    ("d", "expected"),
    [(np.array([]), None), (np.array([2.0]), None), (np.array([1.0, 1.0]), None)],
)
def test_undefined_paired_statistics_are_none(d, expected):
    assert paired.paired_t(d) is expected


@pytest.mark.parametrize("n", [1, 4, 37, paired.WALSH_TABLE_MAX_N])
def test_walsh_order_statistics_from_the_table_equal_the_selection(n):
    rng = np.random.default_rng(n)
    differences = rng.integers(-4, 5, n) + rng.choice([0.0, 0.1, 1e-9], n)
    total = n * (n + 1) // 2
    ranks = sorted({1, total, (total + 1) // 2, max(1, total // 3)})
    table = paired.walsh_order_statistics(differences, ranks)
    assert table == [paired.walsh_order_statistic(differences, rank) for rank in ranks]
    with pytest.raises(ValueError, match="outside"):
        paired.walsh_order_statistics(differences, [total + 1])
