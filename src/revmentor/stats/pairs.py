"""Complete pre/post pairs per role and outcome, and who was left out of each, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revmentor.core.instrument import TOTAL, Instrument
from revmentor.core.summary_format import exclusion_reasons


@dataclass(frozen=True)
class Pairs:
    pre: np.ndarray
    post: np.ndarray
    excluded: Counter = field(default_factory=Counter)

    @property
    def n(self) -> int:
        return len(self.pre)

    @property
    def differences(self) -> np.ndarray:
        return self.post - self.pre

    @property
    def n_excluded(self) -> int:
        return sum(self.excluded.values())

    def reasons_text(self) -> str:
        return "; ".join(f"{reason}: {count}" for reason, count in sorted(self.excluded.items()))


def _score_matrix(rows: pd.DataFrame, domains: tuple[str, ...]) -> np.ndarray:
    """Domain scores as floats (NaN = missing), then the total, which is missing unless
    every domain is present."""
    scores = rows[list(domains)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    total = scores.sum(axis=1)
    total[np.isnan(scores).any(axis=1)] = np.nan
    return np.column_stack([scores, total])


def role_pairs(clean: pd.DataFrame, role: str, instrument: Instrument) -> dict[str, Pairs]:
    """Pairs for each outcome of one role; every participant of the role is either paired
    or counted under a reason."""
    rows = clean[clean["role"] == role]
    pre = rows[rows["timepoint"] == instrument.baseline].set_index("participant_id")
    post = rows[rows["timepoint"] == instrument.follow_up].set_index("participant_id")
    everyone = sorted(set(pre.index) | set(post.index))
    both = [p for p in everyone if p in pre.index and p in post.index]
    no_post, no_pre, missing_score, missing_domain = exclusion_reasons(
        instrument.baseline, instrument.follow_up
    )
    absent = Counter(
        {
            no_post: sum(p not in post.index for p in everyone),
            no_pre: sum(p not in pre.index for p in everyone),
        }
    )
    before_all = _score_matrix(pre.loc[both], instrument.domain_ids)
    after_all = _score_matrix(post.loc[both], instrument.domain_ids)
    result = {}
    for column, outcome in enumerate(instrument.outcomes):
        before, after = before_all[:, column], after_all[:, column]
        complete = ~np.isnan(before) & ~np.isnan(after)
        excluded = Counter({reason: n for reason, n in absent.items() if n})
        missing = int((~complete).sum())
        if missing:
            excluded[missing_domain if outcome == TOTAL else missing_score] = missing
        result[outcome] = Pairs(before[complete], after[complete], excluded)
    return result


def roles_present(clean: pd.DataFrame, instrument: Instrument) -> list[str]:
    """The instrument's roles that this site has participants in, in instrument order."""
    present = set(clean["role"])
    return [role for role in instrument.roles if role in present]
