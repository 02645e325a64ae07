"""The original study as numbers: y_o, z_o, se_o and n_o, as the codebook derives them."""

from __future__ import annotations

import pytest
from scipy import stats

from revmentor.replication.original import Original, original_results

SEED = {
    "participants": {"mentor": 6, "mentee": 5},
    "reported": [
        {"role": "mentor", "outcome": "total", "median_pre": 23, "median_post": 29, "p": 0.04},
        {"role": "mentor", "outcome": "strengths", "estimate": -0.8, "se": 0.4, "n": 9},
    ],
    "reported_not_significant": [{"role": "mentor", "outcome": "approachability"}],
}


def test_medians_and_p_give_the_change_its_z_and_se():
    total = original_results(SEED)[("mentor", "total")]
    z = stats.norm.isf(0.02)
    assert total.change == 6
    assert total.z == pytest.approx(z, rel=1e-15)
    assert total.standard_error == pytest.approx(6 / z, rel=1e-15)
    assert total.pairs == 6
    assert total.derivation == "median after minus median before; se from the two-sided p"


def test_estimate_and_se_without_p_give_z_as_their_ratio_and_n_as_given():
    strengths = original_results(SEED)[("mentor", "strengths")]
    assert (strengths.change, strengths.standard_error, strengths.pairs) == (-0.8, 0.4, 9)
    assert strengths.z == pytest.approx(-2.0)


def test_z_takes_the_sign_of_the_change():
    falling = Original(median_pre=4, median_post=3, p=0.01)
    assert falling.z == pytest.approx(-stats.norm.isf(0.005))


def test_p_wins_over_estimate_over_se_for_z_but_a_given_se_is_kept():
    both = Original(estimate=1.0, se=0.25, p=0.05)
    assert both.z == pytest.approx(stats.norm.isf(0.025))
    assert both.standard_error == 0.25


def test_an_outcome_reported_null_has_no_numbers():
    null = original_results(SEED)[("mentor", "approachability")]
    assert null.not_significant and null.change is None and null.z is None
    assert null.standard_error is None and null.pairs == 6


@pytest.mark.parametrize(
    ("original", "why"),
    [
        (Original(median_pre=3, median_post=4), "no p and no se"),
        (Original(median_pre=3, median_post=4, p=1.0), "p = 1 gives z = 0"),
        (Original(median_pre=3, median_post=3, p=0.2), "no change"),
    ],
)
def test_no_standard_error_where_it_cannot_be_derived(original, why):
    assert original.standard_error is None, why


def test_a_given_n_wins_over_participants():
    assert Original(n=12, participants=6).pairs == 12
