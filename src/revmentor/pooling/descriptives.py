"""Quartiles of every paired participant of all participant-level sites together.

They follow exactly from the sites' score counts (``likert.csv``: every domain and the
total), so no participant-level data is needed. SPSS type-6 quartiles, as per site, so that
they can be set beside the original study's medians (total 23 before, 29 after).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.summary_format import SCORE_QUANTILES
from revmentor.core.tables import typed_frame
from revmentor.stats.site_summary import quantiles

DESCRIPTIVE_COLUMNS = (
    "role",
    "outcome",
    "k_sites",
    "n_pairs",
    *SCORE_QUANTILES,
)


def _scores(counts: pd.DataFrame) -> np.ndarray:
    """The scores themselves, each level repeated as often as it was given, in order."""
    summed = counts.groupby("level")["count"].sum()
    return np.repeat(summed.index.to_numpy(dtype=float), summed.to_numpy(dtype=int))


def pooled_descriptives(counts: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    records = []
    # Split once: comparing every row's role and outcome again for each of the 16 took
    # most of this table's time at 1,000 sites. Sums of counts are exact in any order.
    by_analysis = {
        key: rows for key, rows in counts.groupby(["role", "outcome"], sort=False, dropna=False)
    }
    for role in instrument.roles:
        for outcome in instrument.outcomes:
            rows = by_analysis.get((role, outcome), counts.iloc[0:0])
            pre = rows[rows["timepoint"] == instrument.baseline]
            post = rows[rows["timepoint"] == instrument.follow_up]
            per_site = pre.groupby("site_id")["count"].sum()
            median_pre, q1_pre, q3_pre = quantiles(_scores(pre))
            median_post, q1_post, q3_post = quantiles(_scores(post))
            records.append(
                {
                    "role": role,
                    "outcome": outcome,
                    "k_sites": int((per_site > 0).sum()),
                    "n_pairs": int(per_site.sum()),
                    "median_pre": median_pre,
                    "q1_pre": q1_pre,
                    "q3_pre": q3_pre,
                    "median_post": median_post,
                    "q1_post": q1_post,
                    "q3_post": q3_post,
                }
            )
    return typed_frame(records, DESCRIPTIVE_COLUMNS, ("role", "outcome"), ("k_sites", "n_pairs"))
