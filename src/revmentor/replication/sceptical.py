"""Held's sceptical p-value (Held 2020, JRSS A 183:431; Held, Micheloud & Pawel 2022),
as R's ReplicationSuccess ``pSceptical(zo, zr, c, alternative = "one.sided",
type = "golden")`` computes it.

z_S² solves the sceptical-prior equation in closed form from the arithmetic and harmonic
means of z_o² and z_r² and the variance ratio c = se_o² / se_r²; the golden recalibration
multiplies z_S by √φ (φ the golden ratio). One-sided: half the two-sided p when the two
studies agree in direction, one minus that half when they do not.
"""

from __future__ import annotations

import math

from revmentor.core.scipy_distributions import normal_sf

GOLDEN_RATIO = (1 + math.sqrt(5)) / 2


def sceptical_z(z_original: float, z_replication: float, variance_ratio: float) -> float:
    """z_S, from z_o, z_r and c ≥ 0."""
    zo2, zr2 = z_original**2, z_replication**2
    harmonic = 0.0 if zo2 == 0 or zr2 == 0 else 2 / (1 / zo2 + 1 / zr2)
    arithmetic = (zo2 + zr2) / 2
    if variance_ratio == 1:
        z2 = harmonic / 2
    else:
        root = math.sqrt(arithmetic * (arithmetic + (variance_ratio - 1) * harmonic))
        z2 = (root - arithmetic) / (variance_ratio - 1)
    return math.sqrt(max(z2, 0.0))


def sceptical_p_golden(z_original: float, z_replication: float, variance_ratio: float) -> float:
    """The one-sided golden sceptical p-value."""
    recalibrated = sceptical_z(z_original, z_replication, variance_ratio) * math.sqrt(GOLDEN_RATIO)
    two_sided = 2 * float(normal_sf(recalibrated))
    agree = _sign(z_original) == _sign(z_replication)
    return two_sided / 2 if agree else 1 - two_sided / 2


def _sign(value: float) -> int:
    """R's sign(): 0 for 0, so a zero z never agrees with a non-zero one."""
    return int(value > 0) - int(value < 0)
