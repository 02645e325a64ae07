"""The normal, t, χ² and F distributions' tails and quantiles, as scipy.stats computes them.

scipy.stats' ``norm``, ``t``, ``chi2`` and ``f`` evaluate these functions of scipy.special
(``norm_gen._sf`` is ``ndtr(-x)``, ``t_gen._ppf`` is ``stdtrit(df, q)``, and so on), after
checking their arguments: a bad shape parameter or a NaN gives NaN, a value at or beyond
the support's ends gives 0 or 1 (a quantile of 0 or 1 gives the support's end), and a
quantile is ``_ppf(q) * 1.0 + 0.0``, which turns -0.0 into 0.0. Done here, with the same
checks, they give scipy.stats' very floats, scalars and arrays alike
(``tests/core/test_scipy_distributions.py`` compares them bit for bit, edges included).

Why not scipy.stats itself: importing it costs a job about 0.7 s more than pandas and
scipy.optimize together, and every consortium job that reports a p-value or a confidence
interval needs only these (docs/scaling.md). scipy.special is imported by scipy.optimize
anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

Value = Any  # a float or an array of floats, as scipy.stats takes and gives them


def _shaped(result: np.ndarray) -> Any:
    """A 0-d result as a numpy scalar, as scipy.stats returns it; arrays as they are."""
    return result[()]


def _valid(*shapes: Value) -> np.ndarray:
    """scipy.stats' default argument check: every shape parameter positive (NaN is not)."""
    valid = np.asarray(True)
    for shape in shapes:
        valid = valid & (np.asarray(shape) > 0)
    return valid


def _tail(
    x: Value,
    shapes: tuple[Value, ...],
    lower: float,
    upper: float,
    tail: Callable[..., np.ndarray],
    below: float,
) -> Any:
    """A cdf or sf as ``rv_continuous`` computes it: ``below`` at or under the support's
    lower end, ``1 - below`` at or over its upper end, NaN for a NaN or a bad shape, and
    ``tail(x, *shapes)`` inside the support."""
    x = np.asarray(x, dtype=float)
    valid = _valid(*shapes)
    inside = valid & (x > lower) & (x < upper)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        computed = tail(x, *shapes)
    result = np.where(inside, computed, np.where(x <= lower, below, 1.0 - below))
    result = np.where(valid & ~np.isnan(x), result, np.nan)
    return _shaped(np.asarray(result, dtype=float))


def _quantile(
    q: Value,
    shapes: tuple[Value, ...],
    at_zero: float,
    at_one: float,
    quantile: Callable[..., np.ndarray],
) -> Any:
    """A ppf or isf as ``rv_continuous`` computes it: the support's ends at q = 0 and q = 1
    (lower then upper for a ppf, upper then lower for an isf), NaN outside [0, 1] or for a
    bad shape, and ``quantile(q, *shapes) * 1.0 + 0.0`` inside."""
    q = np.asarray(q, dtype=float)
    valid = _valid(*shapes)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        computed = quantile(q, *shapes) * 1.0 + 0.0
    result = np.where(q == 0, at_zero, np.where(q == 1, at_one, computed))
    result = np.where(valid & (q >= 0) & (q <= 1), result, np.nan)
    return _shaped(np.asarray(result, dtype=float))


def normal_sf(x: Value) -> Any:
    """``scipy.stats.norm.sf(x)``."""
    return _tail(x, (), -np.inf, np.inf, lambda x: special.ndtr(-x), 1.0)


def normal_ppf(q: Value) -> Any:
    """``scipy.stats.norm.ppf(q)``."""
    return _quantile(q, (), -np.inf, np.inf, special.ndtri)


def normal_isf(q: Value) -> Any:
    """``scipy.stats.norm.isf(q)``: the value with ``q`` above it."""
    return _quantile(q, (), np.inf, -np.inf, lambda q: -special.ndtri(q))


def t_sf(x: Value, df: Value) -> Any:
    """``scipy.stats.t.sf(x, df)``."""
    return _tail(x, (df,), -np.inf, np.inf, lambda x, df: special.stdtr(df, -x), 1.0)


def t_ppf(q: Value, df: Value) -> Any:
    """``scipy.stats.t.ppf(q, df)``."""
    return _quantile(q, (df,), -np.inf, np.inf, lambda q, df: special.stdtrit(df, q))


def chi2_sf(x: Value, df: Value) -> Any:
    """``scipy.stats.chi2.sf(x, df)``."""
    return _tail(x, (df,), 0.0, np.inf, lambda x, df: special.chdtrc(df, x), 1.0)


def chi2_cdf(x: Value, df: Value) -> Any:
    """``scipy.stats.chi2.cdf(x, df)``."""
    return _tail(x, (df,), 0.0, np.inf, lambda x, df: special.chdtr(df, x), 0.0)


def chi2_ppf(q: Value, df: Value) -> Any:
    """``scipy.stats.chi2.ppf(q, df)``."""
    return _quantile(q, (df,), 0.0, np.inf, lambda q, df: 2 * special.gammaincinv(df / 2, q))


def f_sf(x: Value, dfn: Value, dfd: Value) -> Any:
    """``scipy.stats.f.sf(x, dfn, dfd)``."""
    return _tail(x, (dfn, dfd), 0.0, np.inf, lambda x, dfn, dfd: special.fdtrc(dfn, dfd, x), 1.0)
