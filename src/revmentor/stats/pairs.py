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


def _scores(rows: pd.DataFrame, outcome: str, domains: tuple[str, ...]) -> pd.Series:
    """One score per participant; the total is missing unless every domain is present."""
    if outcome == TOTAL:
        complete = rows[list(domains)].notna().all(axis=1)
        return rows[list(domains)].sum(axis=1).where(complete)
    return rows[outcome]


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
    absent: Counter = Counter()
    absent[no_post] = sum(p not in post.index for p in everyone)
    absent[no_pre] = sum(p not in pre.index for p in everyone)
    result = {}
    for outcome in instrument.outcomes:
        before = _scores(pre.loc[both], outcome, instrument.domain_ids).astype("Float64")
        after = _scores(post.loc[both], outcome, instrument.domain_ids).astype("Float64")
        complete = before.notna() & after.notna()
        excluded = Counter({reason: n for reason, n in absent.items() if n})
        missing = int((~complete).sum())
        if missing:
            excluded[missing_domain if outcome == TOTAL else missing_score] = missing
        result[outcome] = Pairs(
            before[complete].to_numpy(dtype=float),
            after[complete].to_numpy(dtype=float),
            excluded,
        )
    return result


def roles_present(clean: pd.DataFrame, instrument: Instrument) -> list[str]:
    """The instrument's roles that this site has participants in, in instrument order."""
    present = set(clean["role"])
    return [role for role in instrument.roles if role in present]
