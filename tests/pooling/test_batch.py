"""Batched leave-one-out and cumulative fits equal one-at-a-time fits."""

from __future__ import annotations

import numpy as np
import pytest

from revmentor.pooling.batch import batch_meta
from revmentor.pooling.meta import meta_analysis
from tests.reference import load

FIELDS = ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2", "pi_low", "pi_high")


def masks_for(k: int) -> np.ndarray:
    leave_one_out = ~np.eye(k, dtype=bool)
    cumulative = np.tril(np.ones((k, k), dtype=bool))
    return np.vstack([leave_one_out, cumulative])


def datasets():
    rng = np.random.default_rng(3)
    yield "bcg", *(np.array(load("meta_analysis")["datasets"][0][key]) for key in ("yi", "vi"))
    yield "homogeneous", np.full(6, 0.5) + rng.normal(0, 0.01, 6), rng.uniform(0.03, 0.06, 6)
    yield "random40", rng.normal(1, 1, 40), rng.uniform(0.01, 2, 40)
    yield "k3", np.array([1.2, 0.4, 2.1]), np.array([0.30, 0.12, 0.45])


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "hksj"])
@pytest.mark.parametrize(
    ("name", "y", "v"), list(datasets()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_batch_rows_equal_single_fits(method, test, name, y, v):
    masks = masks_for(len(y))
    batch = batch_meta(y, v, masks, method, test, 0.95)
    for row, mask in enumerate(masks):
        single = meta_analysis(y[mask], v[mask], method, test)
        for field in FIELDS:
            expected, got = getattr(single, field), batch[field][row]
            if expected is None:
                assert np.isnan(got), (row, field)
            else:
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-11), (name, row, field)
        assert batch["k"][row] == single.k
