"""Interpolated moments of leave-one-out and cumulative fits equal exact row sums."""

from __future__ import annotations

import numpy as np
import pytest

from revmentor.pooling.subset_sums import NODES, SubsetSums

ORDERS = tuple((p, q) for p in (1, 2, 3) for q in (0, 1, 2))


def exact(y, v, tau2, masks):
    w = masks / (v[None, :] + tau2[:, None])
    return {(p, q): (w**p * y[None, :] ** q).sum(axis=1) for p, q in ORDERS}


@pytest.mark.parametrize("kind", ["leave_one_out", "cumulative"])
@pytest.mark.parametrize("spread", [1e-4, 0.05, 5.0])
def test_moments_equal_row_sums(kind, spread):
    rng = np.random.default_rng(4)
    k = 3 * NODES + 7  # more fits than nodes, so the interpolant is used, not row sums
    y, v = rng.normal(0, 0.5, k), rng.uniform(0.005, 0.3, k)
    order = rng.permutation(k)
    tau2 = 0.04 + spread * rng.uniform(0, 1, k)
    if kind == "leave_one_out":
        masks = ~np.eye(k, dtype=bool)
    else:
        rank = np.empty(k, dtype=int)
        rank[order] = np.arange(k)
        masks = rank[None, :] <= np.arange(k)[:, None]
    got = SubsetSums(y, v, kind, order).at(tau2, np.arange(k), ORDERS)
    want = exact(y, v, tau2, masks)
    scale = exact(np.abs(y), v, tau2, masks)  # cancellation-free size of each sum
    for pq in ORDERS:
        assert np.all(np.abs(got[pq] - want[pq]) <= 1e-13 * scale[pq]), pq


def test_whole_sums_every_site_at_each_fits_own_tau2():
    rng = np.random.default_rng(5)
    k = 80
    y, v = rng.normal(0, 0.5, k), rng.uniform(0.01, 0.3, k)
    tau2 = rng.uniform(0.0, 0.2, k)
    got = SubsetSums(y, v, "leave_one_out", np.arange(k)).at(tau2, np.arange(k), [(1, 0)], True)
    np.testing.assert_allclose(got[1, 0], (1 / (v[None, :] + tau2[:, None])).sum(axis=1), 1e-14)
