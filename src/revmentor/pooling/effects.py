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


NO_ROW = "no row for this role and outcome"
NO_MD = "no mean_diff or sd_diff (fewer than 2 pairs)"
NO_SMCC = "no smcc (needs 3 or more pairs and differences that vary)"
NO_VARIANCE = "sampling variance is zero (all differences equal)"


def _effects(rows: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yi, vi, reason) per row; reason is '' where the site can enter."""
    number = {
        column: pd.to_numeric(rows[column], errors="coerce").to_numpy(float)
        for column in ("mean_diff", "sd_diff", "n_pairs", "smcc", "smcc_var")
    }
    if measure == "MD":
        y = number["mean_diff"]
        with np.errstate(invalid="ignore", divide="ignore"):
            v = number["sd_diff"] ** 2 / number["n_pairs"]
        absent = np.isnan(y) | np.isnan(v)
        reason = np.where(absent, NO_MD, "")
    else:
        y, v = number["smcc"], number["smcc_var"]
        absent = np.isnan(y) | np.isnan(v)
        reason = np.where(absent, NO_SMCC, "")
    no_variance = ~absent & ~(np.isfinite(v) & (v > 0))
    return y, v, np.where(no_variance, NO_VARIANCE, reason)


def site_effects(
    rows: pd.DataFrame,
    measure: str,
    site_order: Sequence[str],
    excluded_sites: Mapping[str, str],
) -> SiteEffects:
    """Effects of one role × outcome. ``rows`` hold that role × outcome's summary rows;
    ``excluded_sites`` are sites already out of every analysis (invalid data), with why."""
    ordered = rows.drop_duplicates("site_id").set_index("site_id").reindex(list(site_order))
    y, v, reason = _effects(ordered, measure)
    present = ordered["role"].notna().to_numpy()
    reason = np.where(present, reason, NO_ROW).astype(object)
    for index, site in enumerate(site_order):
        if site in excluded_sites:
            reason[index] = excluded_sites[site]
    keep = reason == ""
    n = pd.to_numeric(ordered["n_pairs"], errors="coerce").to_numpy(float)
    sites = np.array(site_order, dtype=object)
    return SiteEffects(
        tuple(sites[keep]),
        y[keep],
        v[keep],
        n[keep].astype(int),
        tuple((str(site), str(why)) for site, why in zip(sites[~keep], reason[~keep], strict=True)),
    )
