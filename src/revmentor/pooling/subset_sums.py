"""Weighted sums over the sites of many leave-one-out or cumulative fits, in O(k) per fit.

A fit's estimators need moments A_pq(τ²) = Σ_j w_jᵖ y_jᵠ over its sites, w_j = 1/(v_j + τ²).
Each of the k fits has its own τ², so exact row sums cost k² (216 s and 3 GiB for the
leave-one-out and cumulative fits at 5,000 sites). Here a moment is evaluated exactly at a
few Chebyshev nodes of an interval that holds the fits' τ² values, and each fit takes the
barycentric interpolant at its own τ²: for leave-one-out the sum over all sites minus the
site's own term (at its own τ², exactly), for cumulative a prefix sum in enrolment order.

Each term is analytic in τ² except at its pole −v_j < 0, so the interpolant on [a, b]
converges like ρ^−n, ρ the Bernstein ellipse through the nearest pole −min v. Intervals
are cut so that ρ ≥ RHO; with NODES nodes the relative error is then far below a double's
rounding. At the τ² = 0 of the common-effect sums every fit shares one node, so those
sums are exact row sums in another order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

NODES = 32
RHO = 6.0
#: Where the pole -min v sits, in the interval's [-1, 1] units, for ρ = RHO.
_POLE_DISTANCE = (RHO + 1 / RHO) / 2

Order = tuple[int, int]


def _intervals(tau2: np.ndarray, v_min: float) -> Iterable[tuple[float, float, np.ndarray]]:
    """Cover the τ² values by intervals [a, b] with (2·min v + a + b)/(b − a) ≥ the pole
    distance; yield (a, b, positions of the values in it)."""
    order = np.argsort(tau2, kind="stable")
    values = tau2[order]
    start = 0
    while start < len(values):
        a = float(values[start])
        widest = (2 * v_min + a * (1 + _POLE_DISTANCE)) / (_POLE_DISTANCE - 1)
        stop = max(int(np.searchsorted(values, widest, side="right")), start + 1)
        yield a, float(values[stop - 1]), order[start:stop]
        start = stop


def _nodes(a: float, b: float) -> np.ndarray:
    if b <= a:
        return np.array([a])
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * np.arange(NODES) / (NODES - 1))


def _interpolation_weights(nodes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(len(at), len(nodes)) barycentric weights at Chebyshev points of the second kind."""
    if len(nodes) == 1:
        return np.ones((len(at), 1))
    signs = (-1.0) ** np.arange(len(nodes))
    signs[[0, -1]] /= 2
    distance = at[:, None] - nodes[None, :]
    on_node = distance == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = signs[None, :] / distance
        weights = terms / terms.sum(axis=1, keepdims=True)
    hit = on_node.any(axis=1)
    weights[hit] = on_node[hit]
    return weights


def _powers(w: np.ndarray, y: np.ndarray):
    """wᵖ·yᵠ (p = 1..3, q = 0..2) by products, each power computed once."""
    w_powers = {1: w}
    w_powers[2] = w * w
    w_powers[3] = w_powers[2] * w
    y_powers = {1: y[None, :], 2: (y * y)[None, :]}

    def power(p: int, q: int) -> np.ndarray:
        return w_powers[p] if q == 0 else w_powers[p] * y_powers[q]

    return power


class SubsetSums:
    """Moments of the fits of ``kind`` 'leave_one_out' (fit i: every site but i) or
    'cumulative' (fit s: sites ``order[0..s]``) over sites with effects ``y`` and variances
    ``v``."""

    def __init__(self, y: np.ndarray, v: np.ndarray, kind: str, order: np.ndarray) -> None:
        self.y, self.v, self.kind, self.order = y, v, kind, np.asarray(order, dtype=int)

    def at(
        self, tau2: np.ndarray, rows: np.ndarray, orders: Iterable[Order], whole: bool = False
    ) -> dict[Order, np.ndarray]:
        """A_pq of fits ``rows``, fit ``rows[r]`` at ``tau2[r]``. ``whole``: over every site
        instead of the fit's own (leave-one-out only)."""
        orders = tuple(orders)
        out = {pq: np.empty(len(rows)) for pq in orders}
        for a, b, members in _intervals(tau2, float(np.min(self.v))):
            fits = rows[members]
            if len(members) <= NODES:
                self._direct(tau2[members], fits, orders, whole, out, members)
                continue
            nodes = _nodes(a, b)
            weights = _interpolation_weights(nodes, tau2[members])
            sites = self._sites(fits)
            w = 1 / (self.v[sites][None, :] + nodes[:, None])
            power = _powers(w, self.y[sites])
            for p, q in orders:
                terms = power(p, q)
                if self.kind == "cumulative":
                    prefix = np.cumsum(terms, axis=1)
                    out[p, q][members] = np.einsum("rm,mr->r", weights, prefix[:, fits])
                    continue
                total = weights @ terms.sum(axis=1)
                if not whole:
                    own = (1 / (self.v[fits] + tau2[members])) ** p * self.y[fits] ** q
                    total = total - own
                out[p, q][members] = total
        return out

    def _sites(self, fits: np.ndarray) -> np.ndarray:
        """Cumulative: the sites in joining order up to the last of ``fits`` (none later is
        needed); leave-one-out: every site, in site order (fit i leaves out site i)."""
        if self.kind == "cumulative":
            return self.order[: int(fits.max()) + 1]
        return np.arange(len(self.y))

    def _direct(self, tau2, fits, orders, whole, out, members) -> None:
        """Row sums at each fit's own τ², for intervals with no more fits than nodes (the
        first fits of a cumulative analysis, whose τ² values spread widely)."""
        sites = self._sites(fits)
        if self.kind == "cumulative":
            inside = np.arange(len(sites))[None, :] <= fits[:, None]
        else:
            inside = np.ones((len(fits), len(sites)), dtype=bool)
            if not whole:
                inside[np.arange(len(fits)), fits] = False
        w = inside / (self.v[sites][None, :] + tau2[:, None])
        power = _powers(w, self.y[sites])
        for p, q in orders:
            out[p, q][members] = power(p, q).sum(axis=1)
