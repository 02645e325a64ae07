"""Holm and Benjamini–Hochberg against statsmodels (which matches R's p.adjust)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from revmentor.stats.multiplicity import benjamini_hochberg, holm


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_matches_statsmodels(p_values):
    p = np.array(p_values)
    # statsmodels' Holm ends with gc.collect(), a full collection of the whole test process
    # (0.2 s each under pytest, most of this test's time) that frees memory and changes no
    # number.
    with mock.patch("gc.collect", return_value=0):
        statsmodels_holm = multipletests(p, method="holm")[1]
    assert holm(p) == pytest.approx(statsmodels_holm, abs=1e-15)
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], abs=1e-15)


def test_r_p_adjust_example():
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.20), "holm") and "BH"."""
    p = np.array([0.01, 0.04, 0.03, 0.20])
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.20])
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20])
