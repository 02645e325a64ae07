"""revmentor.core.scipy_distributions gives scipy.stats' very floats: the same bits, NaNs and
signed zeros included, for scalars and arrays, at the support's ends and beyond them, and for
shape parameters scipy.stats refuses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from revmentor.core import scipy_distributions as distributions

VALUES = [
    -np.inf, -1e308, -40.0, -5.0, -1.959963984540054, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1e-10,
    0.5, 1.0, 1.959963984540054, 3.84, 5.0, 40.0, 1e6, 1e308, np.inf, np.nan,
]  # fmt: skip
PROBABILITIES = [
    -0.1, -0.0, 0.0, 1e-300, 1e-16, 1e-10, 0.0005, 0.025, 0.05, 0.5 - 1e-16, 0.5, 0.5 + 1e-16,
    0.8, 0.95, 0.975, 0.995, 1 - 1e-16, 1.0, 1.1, np.nan,
]  # fmt: skip
DEGREES = [-1.0, 0.0, 1e-3, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0, 30.0, 1e4, 1e10, np.inf, np.nan]

#: (ours, scipy.stats', the kind of the first argument, how many degrees of freedom)
PAIRS = [
    (distributions.normal_sf, stats.norm.sf, VALUES, 0),
    (distributions.normal_ppf, stats.norm.ppf, PROBABILITIES, 0),
    (distributions.normal_isf, stats.norm.isf, PROBABILITIES, 0),
    (distributions.t_sf, stats.t.sf, VALUES, 1),
    (distributions.t_ppf, stats.t.ppf, PROBABILITIES, 1),
    (distributions.chi2_sf, stats.chi2.sf, VALUES, 1),
    (distributions.chi2_cdf, stats.chi2.cdf, VALUES, 1),
    (distributions.chi2_ppf, stats.chi2.ppf, PROBABILITIES, 1),
    (distributions.f_sf, stats.f.sf, VALUES, 2),
]
IDS = [ours.__name__ for ours, *_ in PAIRS]


def bits(value) -> tuple[str, tuple[int, ...], bytes]:
    """What a value is, down to the bit: its type, shape and bytes (a NaN's sign too)."""
    array = np.asarray(value)
    return type(value).__name__, array.shape, array.astype(np.float64).tobytes()


def quietly(function, *arguments):
    with np.errstate(all="ignore"):
        return function(*arguments)


@pytest.mark.parametrize(("ours", "theirs", "values", "shapes"), PAIRS, ids=IDS)
def test_each_scalar_gives_scipy_stats_float(ours, theirs, values, shapes):
    for value, *degrees in itertools.product(values, *[DEGREES] * shapes):
        arguments = (value, *degrees)
        assert bits(quietly(ours, *arguments)) == bits(quietly(theirs, *arguments)), arguments


@pytest.mark.parametrize(("ours", "theirs", "values", "shapes"), PAIRS, ids=IDS)
def test_arrays_broadcast_as_scipy_stats_does(ours, theirs, values, shapes):
    grid = np.array(values)[:, None] if shapes else np.array(values)
    arguments = (grid, *[np.array(DEGREES)] * shapes)
    assert bits(quietly(ours, *arguments)) == bits(quietly(theirs, *arguments))


@pytest.mark.parametrize(("ours", "theirs", "values", "shapes"), PAIRS, ids=IDS)
def test_random_arguments_in_range_give_the_same_floats(ours, theirs, values, shapes):
    rng = np.random.default_rng(15)
    probabilities = ours.__name__.endswith(("ppf", "isf"))
    first = rng.uniform(0, 1, 2000) if probabilities else rng.normal(0, 4, 2000) ** 3
    degrees = [rng.integers(1, 2000, 2000).astype(float) for _ in range(shapes)]
    assert bits(ours(first, *degrees)) == bits(theirs(first, *degrees))


def test_whole_number_arguments_are_taken_as_floats():
    assert bits(distributions.t_ppf(0.975, 4)) == bits(stats.t.ppf(0.975, 4))
    assert bits(distributions.chi2_sf(3, 1)) == bits(stats.chi2.sf(3, 1))
    assert bits(distributions.f_sf(2, 3, 40)) == bits(stats.f.sf(2, 3, 40))


def test_a_quantile_of_one_half_is_positive_zero_as_scipy_stats_gives():
    # norm.isf(0.5) is -ndtri(0.5), -0.0, until scipy.stats adds its location 0.0.
    assert str(distributions.normal_isf(0.5)) == str(stats.norm.isf(0.5)) == "0.0"
