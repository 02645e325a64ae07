"""Complete pre/post pairs per role and outcome, and who was left out of each, and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

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

    @cached_property
    def differences(self) -> np.ndarray:
        """post - pre, computed once: every statistic of the row reads them."""
        return self.post - self.pre

    @property
    def n_excluded(self) -> int:
        return sum(self.excluded.values())

    def reasons_text(self) -> str:
        return "; ".join(f"{reason}: {count}" for reason, count in sorted(self.excluded.items()))


def _score_matrix(rows: pd.DataFrame, domains: tuple[str, ...]) -> np.ndarray:
    """Domain scores as floats (NaN = missing), then the total, which is missing unless
    every domain is present."""
    if all(pd.api.types.is_numeric_dtype(rows[domain]) for domain in domains):
        # a column at a time: a whole number, or a float, is the same float either way
        scores = np.column_stack(
            [rows[domain].to_numpy(dtype=float, na_value=np.nan) for domain in domains]
        )
    else:
        scores = rows[list(domains)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    total = scores.sum(axis=1)
    total[np.isnan(scores).any(axis=1)] = np.nan
    return np.column_stack([scores, total])


def _row_of(participants: np.ndarray, rows: np.ndarray) -> dict[object, int]:
    """Participant -> row; the validation refuses a participant twice at one timepoint."""
    return dict(zip(participants[rows].tolist(), rows.tolist(), strict=True))


def site_pairs(
    clean: pd.DataFrame, instrument: Instrument, roles: Sequence[str] | None = None
) -> dict[str, dict[str, Pairs]]:
    """:func:`role_pairs` for each of ``roles`` (default: every role present, in instrument
    order), from one pass over the table: the scores are converted once, and each role's
    pairs are matched by row number. Every consumer of a site's pairs shares this result."""
    scores = _score_matrix(clean, instrument.domain_ids)
    role_of_row = clean["role"].to_numpy(dtype=object)
    timepoints = clean["timepoint"].to_numpy(dtype=object)
    participants = clean["participant_id"].to_numpy(dtype=object)
    no_post, no_pre, missing_score, missing_domain = exclusion_reasons(
        instrument.baseline, instrument.follow_up
    )
    result = {}
    for role in roles_present(clean, instrument) if roles is None else roles:
        mine = role_of_row == role
        pre = _row_of(participants, np.flatnonzero(mine & (timepoints == instrument.baseline)))
        post = _row_of(participants, np.flatnonzero(mine & (timepoints == instrument.follow_up)))
        everyone = sorted(pre.keys() | post.keys())
        both = [p for p in everyone if p in pre and p in post]
        absent = Counter(
            {
                no_post: sum(p not in post for p in everyone),
                no_pre: sum(p not in pre for p in everyone),
            }
        )
        before_all = scores[[pre[p] for p in both]]
        after_all = scores[[post[p] for p in both]]
        outcomes = {}
        for column, outcome in enumerate(instrument.outcomes):
            before, after = before_all[:, column], after_all[:, column]
            complete = ~np.isnan(before) & ~np.isnan(after)
            excluded = Counter({reason: n for reason, n in absent.items() if n})
            missing = int((~complete).sum())
            if missing:
                excluded[missing_domain if outcome == TOTAL else missing_score] = missing
            outcomes[outcome] = Pairs(before[complete], after[complete], excluded)
        result[role] = outcomes
    return result


def role_pairs(clean: pd.DataFrame, role: str, instrument: Instrument) -> dict[str, Pairs]:
    """Pairs for each outcome of one role; every participant of the role is either paired
    or counted under a reason."""
    return site_pairs(clean, instrument, (role,))[role]


def roles_present(clean: pd.DataFrame, instrument: Instrument) -> list[str]:
    """The instrument's roles that this site has participants in, in instrument order."""
    present = set(clean["role"])
    return [role for role in instrument.roles if role in present]
