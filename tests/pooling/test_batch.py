"""Batched leave-one-out and cumulative fits equal one-at-a-time fits."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from revmentor.pooling import batch
from revmentor.pooling.batch import Subsets, batch_meta
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


def test_subsets_make_the_leave_one_out_and_cumulative_masks_block_by_block(monkeypatch):
    monkeypatch.setattr(batch, "BLOCK_ELEMENTS", 10)
    order = [3, 0, 4, 1, 2]
    expected_cumulative = np.zeros((5, 5), dtype=bool)
    for step, index in enumerate(order):
        expected_cumulative[step:, index] = True
    for subsets, expected in (
        (Subsets.leave_one_out(5), ~np.eye(5, dtype=bool)),
        (Subsets.cumulative(order), expected_cumulative),
    ):
        blocks = list(subsets.blocks())
        assert [stop - start for start, stop, _ in blocks] == [2, 2, 1]
        assert np.array_equal(np.vstack([masks for *_, masks in blocks]), expected)


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "hksj", "adhoc"])
def test_every_bit_is_the_same_whatever_the_block_size(monkeypatch, method, test):
    rng = np.random.default_rng(7)
    y, v = rng.normal(0.5, 0.4, 37), rng.uniform(0.01, 0.3, 37)
    masks = masks_for(37)
    whole = batch_meta(y, v, masks, method, test, 0.95)
    monkeypatch.setattr(batch, "BLOCK_ELEMENTS", 3 * 37 + 5)
    blocked = batch_meta(y, v, Subsets.given(masks), method, test, 0.95)
    assert whole.keys() == blocked.keys()
    for name in whole:
        assert whole[name].tobytes() == blocked[name].tobytes(), name


def test_leave_one_out_memory_does_not_grow_with_k_squared():
    k = 3000
    rng = np.random.default_rng(1)
    y, v = rng.normal(0.5, 0.4, k), rng.uniform(0.01, 0.3, k)
    tracemalloc.start()
    batch_meta(y, v, Subsets.leave_one_out(k), "DL", "z", 0.95)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # One k x k float temporary alone would be 72 MB.
    assert peak < k * k * 8 / 2


def metafor_sensitivity_cases():
    for dataset in load("meta_analysis")["datasets"]:
        for test, block in dataset.get("leave1out", {}).items():
            name = f"{dataset['name']}-loo-{test}"
            yield pytest.param(dataset, "leave1out", test, block["records"], id=name)
        if "cumulative" in dataset:
            records = dataset["cumulative"]["records"]
            yield pytest.param(dataset, "cumulative", "z", records, id=f"{dataset['name']}-cum-z")


@pytest.mark.parametrize(("dataset", "kind", "test", "records"), list(metafor_sensitivity_cases()))
def test_fits_from_moments_match_metafor(monkeypatch, dataset, kind, test, records):
    monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", 0)
    y, v = np.array(dataset["yi"]), np.array(dataset["vi"])
    k = len(y)
    subsets = Subsets.leave_one_out(k) if kind == "leave1out" else Subsets.cumulative(range(k))
    assert subsets.by_moments
    fits = batch_meta(y, v, subsets, "REML", {"knha": "hksj"}.get(test, test), 0.95)
    rows = [record.get("omitted", record.get("k_included")) - 1 for record in records]
    for row, record in zip(rows, records, strict=True):
        for field in ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2"):
            expected = record[field]
            assert fits[field][row] == pytest.approx(expected, rel=1e-6, abs=1e-10), (row, field)


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "hksj", "adhoc"])
def test_fits_from_moments_equal_exact_row_sums(monkeypatch, method, test):
    rng = np.random.default_rng(12)
    k = 60
    y, v = rng.normal(0.5, 0.4, k), rng.uniform(0.005, 0.3, k)
    order = rng.permutation(k)
    for subsets in (Subsets.leave_one_out(k), Subsets.cumulative(order)):
        monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", k)
        exact = batch_meta(y, v, subsets, method, test, 0.95)
        monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", k - 1)
        moments = batch_meta(y, v, subsets, method, test, 0.95)
        for name in ("k", "zero_se", "converged"):
            assert np.array_equal(exact[name], moments[name]), name
        for name in ("estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2", "pi_low", "pi_high"):
            np.testing.assert_allclose(
                moments[name], exact[name], rtol=1e-10, atol=1e-13, err_msg=name
            )


def test_identical_estimates_stay_exactly_zero_se_from_moments(monkeypatch):
    monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", 0)
    y, v = np.full(7, 0.4), np.linspace(0.02, 0.2, 7)
    fits = batch_meta(y, v, Subsets.leave_one_out(7), "REML", "hksj", 0.95)
    assert fits["zero_se"].all()
    assert np.array_equal(fits["se"], np.zeros(7)) and np.array_equal(fits["p"], np.zeros(7))
