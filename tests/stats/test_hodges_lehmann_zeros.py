"""Hodges–Lehmann with zero differences kept (the package's ``hl_*`` columns) and dropped
(R's ``wilcox.test(d, conf.int=TRUE, exact=FALSE, correct=FALSE)``), against R 4.2.2
(tests/fixtures/reference/hodges_lehmann_zeros.json, made by make_edge_fixtures.R)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from revmentor.stats import paired
from revmentor.stats.hodges_lehmann_zeros import (
    hodges_lehmann_zeros_dropped,
    standardised_signed_rank,
)
from revmentor.stats.wilcoxon import signed_rank_spss
from tests.reference import close, load

CASES = load("hodges_lehmann_zeros")["cases"]


def case(name: str) -> dict:
    return next(c for c in CASES if c["name"] == name)


@pytest.mark.parametrize("reference", CASES, ids=lambda c: c["name"])
def test_zeros_dropped_form_matches_r_wilcox_test_to_1e9(reference):
    r = reference["r_zeros_dropped"]
    ours = hodges_lehmann_zeros_dropped(np.array(reference["differences"]))
    assert ours.n_nonzero == reference["n_nonzero"]
    assert ours.conf_level == pytest.approx(r["conf_level_achieved"], abs=1e-12)
    for got, exact, raw in (
        (ours.ci_low, r["conf_low_snapped"], r["conf_low"]),
        (ours.ci_high, r["conf_high_snapped"], r["conf_high"]),
    ):
        if raw is None:
            assert got is None
        else:  # R's uniroot (tol.root = 1e-12) lands on this Walsh average
            assert close(got, exact) and close(got, raw, abs_=1e-9)
    if r["estimate"] is None:
        assert ours.estimate is None
    elif r["estimate_in_flat_zero_region"]:
        nonzero = np.array([d for d in reference["differences"] if d != 0])
        assert close(ours.estimate, reference["walsh_median_nonzero"])
        assert standardised_signed_rank(nonzero, r["estimate"]) == 0
    else:
        assert close(ours.estimate, r["estimate"], abs_=1e-9)


@pytest.mark.parametrize(
    "reference", [c for c in CASES if c["zeros_kept"]], ids=lambda c: c["name"]
)
def test_zeros_kept_form_is_the_packages_hl_columns(reference):
    ours = paired.hodges_lehmann(np.array(reference["differences"]))
    kept = reference["zeros_kept"]
    assert (ours.estimate, ours.ci_low, ours.ci_high) == pytest.approx(
        (kept["estimate"], kept["conf_low"], kept["conf_high"]), rel=1e-12, abs=1e-12
    )


def test_site_with_z_3_13_shows_both_forms_side_by_side():
    """The case of the issue: the signed-rank test (zeros dropped) is clearly significant,
    while the zeros-kept HL CI starts at 0.0; R's zeros-dropped CI does not."""
    differences = np.array(case("site_z_3_13_many_zeros")["differences"])
    assert (np.sum(differences == 0), len(differences)) == (12, 25)
    assert round(abs(signed_rank_spss(differences).z), 2) == 3.13
    kept = paired.hodges_lehmann(differences)
    assert (kept.estimate, kept.ci_low, kept.ci_high) == (1.0, 0.0, 1.0)
    dropped = hodges_lehmann_zeros_dropped(differences)
    assert (dropped.estimate, dropped.ci_low, dropped.ci_high) == (1.5, 1.5, 2.0)
    assert dropped.conf_level == pytest.approx(0.9)
    assert dropped.note == "requested conf.level not achievable: 0.9 given"


def test_degenerate_samples_say_why_there_is_no_interval():
    assert hodges_lehmann_zeros_dropped(np.zeros(4)).note == "every difference is zero"
    equal = hodges_lehmann_zeros_dropped(np.array([0.0, 2.0, 2.0, 2.0, 0.0]))
    assert (equal.estimate, equal.ci_low, equal.ci_high, equal.conf_level) == (2.0, None, None, 0)
    assert equal.note == (
        "the non-zero differences are all equal: no confidence interval (R: midrange)"
    )


def test_walsh_averages_from_distinct_values_equal_the_full_enumeration():
    differences = np.resize(np.array([-4.0, -1, 0, 0, 1, 1, 2, 3, 4, 1, 2, 0, -2]), 1_500)
    nonzero = differences[differences != 0]
    walsh = paired.walsh_averages(nonzero)
    result = hodges_lehmann_zeros_dropped(differences)
    assert result.estimate == np.median(walsh)
    assert result.ci_low in walsh and result.ci_high in walsh
    below = standardised_signed_rank(nonzero, result.ci_low - 1e-6)
    above = standardised_signed_rank(nonzero, result.ci_low + 1e-6)
    assert below > 1.959963984540054 > above


def test_memory_grows_with_distinct_values_not_pairs():
    """200,000 Likert changes: 2·10¹⁰ Walsh averages, but only 45 distinct ones."""
    differences = np.resize(np.array([-4.0, -1, 0, 0, 1, 1, 2, 3, 4, 1, 2, 0, -2]), 200_000)
    tracemalloc.start()
    result = hodges_lehmann_zeros_dropped(differences)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.n_nonzero == int(np.sum(differences != 0))
    assert peak < 40 * differences.nbytes
