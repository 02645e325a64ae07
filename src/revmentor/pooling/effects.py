"""Per-site effects for pooling, and every site left out of an analysis with its reason.

``MD``: the raw mean change in scale points, yi = mean_diff, vi = sd_diff²/n_pairs.
``SMCC``: the site's standardised mean change (change-score SD), yi = smcc, vi = smcc_var.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MEASURES = ("MD", "SMCC")


@dataclass(frozen=True)
class SiteEffects:
    """The sites that enter one analysis, in registry order, and those left out."""

    sites: tuple[str, ...]
    y: np.ndarray
    v: np.ndarray
    n: np.ndarray
    excluded: tuple[tuple[str, str], ...]

    @property
    def k(self) -> int:
        return len(self.sites)

    def excluded_text(self) -> str:
        return "; ".join(f"{site}: {reason}" for site, reason in self.excluded)

    def subset(self, keep: np.ndarray) -> SiteEffects:
        return SiteEffects(
            tuple(np.array(self.sites, dtype=object)[keep]),
            self.y[keep],
            self.v[keep],
            self.n[keep],
            self.excluded,
        )


def _effect(row: pd.Series, measure: str) -> tuple[float, float] | str:
    """(yi, vi) of one site, or the reason it cannot enter."""
    if measure == "MD":
        mean, sd, n = row.get("mean_diff"), row.get("sd_diff"), row.get("n_pairs")
        if pd.isna(mean) or pd.isna(sd) or pd.isna(n):
            return "no mean_diff or sd_diff (fewer than 2 pairs)"
        y, v = float(mean), float(sd) ** 2 / float(n)
    else:
        y, v = row.get("smcc"), row.get("smcc_var")
        if pd.isna(y) or pd.isna(v):
            return "no smcc (needs 3 or more pairs and differences that vary)"
        y, v = float(y), float(v)
    if not np.isfinite(v) or v <= 0:
        return "sampling variance is zero (all differences equal)"
    return y, v


def site_effects(
    rows: pd.DataFrame,
    measure: str,
    site_order: Sequence[str],
    excluded_sites: Mapping[str, str],
) -> SiteEffects:
    """Effects of one role × outcome. ``rows`` hold that role × outcome's summary rows;
    ``excluded_sites`` are sites already out of every analysis (invalid data), with why."""
    by_site = {row["site_id"]: row for _, row in rows.iterrows()}
    sites, y, v, n, excluded = [], [], [], [], []
    for site in site_order:
        if site in excluded_sites:
            excluded.append((site, excluded_sites[site]))
            continue
        row = by_site.get(site)
        if row is None:
            excluded.append((site, "no row for this role and outcome"))
            continue
        effect = _effect(row, measure)
        if isinstance(effect, str):
            excluded.append((site, effect))
            continue
        sites.append(site)
        y.append(effect[0])
        v.append(effect[1])
        n.append(int(row["n_pairs"]))
    return SiteEffects(
        tuple(sites), np.array(y), np.array(v), np.array(n, dtype=int), tuple(excluded)
    )
