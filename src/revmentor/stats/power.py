"""Power of the paired t-test, and the effect it detects with a given power.

Used for Simonsohn's (2015) "small telescopes": d33 is the standardised paired effect that
an original study of n pairs had 33% power to detect (two-sided α = 0.05). The power is
R's ``pwr.t.test(type = "paired")`` formula, the noncentral t with n − 1 df and
noncentrality √n·d; it is solved here to 1e-12, whereas ``pwr.t.test(power = 1/3)``
stops at ``uniroot``'s default tolerance (about 1e-4).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from revmentor.core.scipy_distributions import t_ppf

SMALL_TELESCOPES_POWER = 1 / 3
SMALL_TELESCOPES_ALPHA = 0.05
EFFECT_TOLERANCE = 1e-12


def paired_t_power(d: float, n: int, alpha: float = SMALL_TELESCOPES_ALPHA) -> float:
    """Two-sided power of the paired t-test with ``n`` pairs against a standardised
    effect ``d`` (mean difference / SD of the differences)."""
    # Imported here: the report's jobs reach this module through the criteria's names, and
    # only the criteria's own job computes a power (scipy.stats costs a job about 0.7 s).
    from scipy import stats

    df = n - 1
    critical = t_ppf(1 - alpha / 2, df)
    noncentrality = math.sqrt(n) * d
    return float(
        stats.nct.sf(critical, df, noncentrality) + stats.nct.cdf(-critical, df, noncentrality)
    )


def detectable_effect(
    n: int, power: float = SMALL_TELESCOPES_POWER, alpha: float = SMALL_TELESCOPES_ALPHA
) -> float:
    """The d > 0 that a paired t-test with ``n`` pairs detects with ``power`` (n ≥ 2)."""
    if n < 2:
        raise ValueError("a paired t-test needs at least 2 pairs")
    if not alpha < power < 1:
        raise ValueError("power must lie between alpha and 1")
    upper = 1.0
    while paired_t_power(upper, n, alpha) < power:
        upper *= 2
    return float(
        optimize.brentq(
            lambda d: paired_t_power(d, n, alpha) - power,
            0.0,
            upper,
            xtol=EFFECT_TOLERANCE,
            rtol=4 * float(np.finfo(float).eps),
            maxiter=1000,
        )
    )
