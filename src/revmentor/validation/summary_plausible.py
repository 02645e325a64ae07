"""Could a per-site summary row have come from real scores? Checks that tie each statistic to
the scale and to the row's own counts, each failure told with the bound it broke.

An outcome's scores lie from ``lo`` to ``hi`` (a domain: the scale; the total: the number of
domains times the scale), a width ``W = hi - lo``; a pre/post difference lies from ``-W`` to
``W``, a width of ``2W``. The largest sample SD (divisor n - 1) that n values in an
interval of width ``w`` can have is reached with half of them at each end:

    w * sqrt(floor(n/2) * ceil(n/2) / (n * (n - 1)))

that is ``w/√2`` at n = 2, falling towards ``w/2``. So the SD of scores is at most about
``W/2`` and the SD of differences about ``W`` (``W·√2`` at n = 2), never more. An SD of 0
says every difference is equal, which the sign counts must allow; no non-zero differences
means an SD of 0 and a mean of 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from revmentor.core.instrument import Instrument
from revmentor.core.numbers import plain_number
from revmentor.validation.schemas import Rule

SDS = ("sd_pre", "sd_post", "sd_diff")
# A bound is a bound: an SD at the very bound, computed in floating point, may exceed it by
# a few units in the last place.
RELATIVE_SLACK = 1e-9


def as_number(cell: object) -> float | None:
    """A validated cell as a number: the one parser (:mod:`revmentor.core.numbers`)."""
    return plain_number(cell)


def row_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats, ``NaN`` where it is absent, empty or not a number."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    return frame[column].map(as_number).astype(float)


def outcome_bounds(frame: pd.DataFrame, instrument: Instrument) -> tuple[pd.Series, pd.Series]:
    """Each row's lowest and highest possible score."""
    outcome = frame["outcome"] if "outcome" in frame.columns else pd.Series("", frame.index)
    ranges = [instrument.outcome_range(str(o)) for o in outcome]
    return (
        pd.Series([r[0] for r in ranges], frame.index, dtype=float),
        pd.Series([r[1] for r in ranges], frame.index, dtype=float),
    )


def max_sample_sd(width: pd.Series, n: pd.Series) -> pd.Series:
    """The largest SD (divisor n - 1) of n values in an interval of ``width``; NaN where n
    is below 2 or not whole (an SD needs two values; a bad n is reported on its own)."""
    whole = n.where((n >= 2) & (n == np.floor(n)))
    return width * np.sqrt(np.floor(whole / 2) * np.ceil(whole / 2) / (whole * (whole - 1)))


def largest_sd(width: float, n: int) -> float:
    """:func:`max_sample_sd` for one row."""
    if n < 2:
        return math.nan
    return width * math.sqrt((n // 2) * ((n + 1) // 2) / (n * (n - 1)))


def _shown(value: float) -> str:
    return f"{value:.6g}"


def _cell(record: pd.Series | None, column: str) -> float | None:
    if record is None:
        return None
    return as_number(record.get(column))


def _count(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def plausibility_checks(instrument: Instrument) -> tuple[list[pa.Check], list[Rule]]:
    """Frame checks (and the words for each) that no genuine summary row can fail."""
    checks: list[pa.Check] = []
    rules: list[Rule] = []

    def add(
        name: str,
        column: str,
        fails: Callable[[pd.DataFrame], pd.Series],
        describe: Callable[[object, pd.Series | None], str],
    ) -> None:
        # A comparison with a missing value is False, so a check passes where it lacks input.
        checks.append(pa.Check(lambda f: ~fails(f).fillna(False).astype(bool), name=name))
        rules.append(Rule(name, describe, column=column))

    def widths(frame: pd.DataFrame) -> pd.Series:
        low, high = outcome_bounds(frame, instrument)
        return high - low

    def range_of(record: pd.Series | None) -> tuple[int, int]:
        outcome = "" if record is None else str(record.get("outcome"))
        return instrument.outcome_range(outcome)

    pair_words = f"{instrument.baseline}/{instrument.follow_up} differences"
    for column in SDS:
        is_diff = column == "sd_diff"
        factor = 2.0 if is_diff else 1.0

        def too_large(f: pd.DataFrame, c: str = column, k: float = factor) -> pd.Series:
            bound = max_sample_sd(k * widths(f), row_values(f, "n_pairs"))
            return row_values(f, c) > bound * (1 + RELATIVE_SLACK)

        def too_large_words(v: object, record: pd.Series | None, c: str = column) -> str:
            low, high = range_of(record)
            n = int(_cell(record, "n_pairs") or 0)
            if c == "sd_diff":
                width = high - low
                bound = largest_sd(2.0 * width, n)
                return (
                    f"'{v}' is larger than the SD of {n} {pair_words} can be: each "
                    f"difference lies from -{width} to {width}, so their SD is at most "
                    f"{_shown(bound)} (half of them at each end); check that it is the SD of "
                    "the differences, in scale points"
                )
            timepoint = instrument.baseline if c == "sd_pre" else instrument.follow_up
            bound = largest_sd(float(high - low), n)
            return (
                f"'{v}' is larger than the SD of {n} {timepoint} scores can be: each score "
                f"lies from {low} to {high}, so their SD is at most {_shown(bound)} (half of "
                "them at each end); check that it is an SD, in scale points"
            )

        add(f"{column}_within_bound", column, too_large, too_large_words)

        advice = (
            "a row with one pair cannot enter the pooled mean change, so leave the row out "
            "of the summary"
            if is_diff
            else "leave the cell empty"
        )
        add(
            f"{column}_needs_two_pairs",
            column,
            lambda f, c=column: row_values(f, c).notna() & (row_values(f, "n_pairs") == 1),
            lambda v, _, a=advice: (
                f"'{v}' cannot be an SD: n_pairs is 1, and an SD needs at least 2 values; {a}"
            ),
        )

    def nonzero(frame: pd.DataFrame) -> pd.Series:
        """How many differences are non-zero: n_nonzero, or else n_positive + n_negative."""
        given = row_values(frame, "n_nonzero")
        return given.fillna(row_values(frame, "n_positive") + row_values(frame, "n_negative"))

    def nonzero_name(record: pd.Series | None) -> str:
        if _cell(record, "n_nonzero") is not None:
            return "n_nonzero is 0"
        return "n_positive and n_negative are both 0"

    def zero_sd_conflicts(frame: pd.DataFrame) -> pd.Series:
        n = row_values(frame, "n_pairs")
        positive, negative = row_values(frame, "n_positive"), row_values(frame, "n_negative")
        mean, changed = row_values(frame, "mean_diff"), nonzero(frame)
        conflict = (
            ((positive > 0) & (negative > 0))
            | ((changed > 0) & (changed < n))
            | ((mean == 0) & (changed > 0))
            | ((mean > 0) & (positive < n))
            | ((mean < 0) & (negative < n))
        )
        return (row_values(frame, "sd_diff") == 0) & conflict

    def zero_sd_words(v: object, record: pd.Series | None) -> str:
        n = _cell(record, "n_pairs")
        positive, negative = _cell(record, "n_positive"), _cell(record, "n_negative")
        mean, changed = _cell(record, "mean_diff"), _cell(record, "n_nonzero")
        if changed is None and positive is not None and negative is not None:
            changed = positive + negative
        if positive and negative:
            reason = (
                f"n_positive is {positive:g} and n_negative is {negative:g}: some differences "
                "are above 0 and some below"
            )
        elif changed is not None and n is not None and 0 < changed < n:
            reason = f"{changed:g} of the {n:g} differences are non-zero and the others zero"
        elif mean == 0:
            reason = f"mean_diff is 0, so every difference would be 0, yet {changed:g} are not"
        else:
            sign, count = ("n_positive", positive) if (mean or 0) > 0 else ("n_negative", negative)
            reason = (
                f"mean_diff is {mean:g}, so every difference would be {mean:g}, yet {sign} is "
                f"{_count(count)} of {_count(n)} pairs"
            )
        return (
            f"'{v}' (an SD of 0) says every difference is the same, but {reason}; check "
            "sd_diff and the counts"
        )

    add("sd_diff_zero_fits_counts", "sd_diff", zero_sd_conflicts, zero_sd_words)
    add(
        "sd_diff_fits_all_zero",
        "sd_diff",
        lambda f: (nonzero(f) == 0) & (row_values(f, "sd_diff") > 0),
        lambda v, record: (
            f"'{v}' cannot be the SD: {nonzero_name(record)}, so every difference is 0 and "
            "their SD is 0"
        ),
    )

    def mean_sign_conflicts(frame: pd.DataFrame) -> pd.Series:
        mean = row_values(frame, "mean_diff")
        positive, negative = row_values(frame, "n_positive"), row_values(frame, "n_negative")
        return (
            ((nonzero(frame) == 0) & (mean != 0))
            | ((negative == 0) & (mean < 0))
            | ((positive == 0) & (mean > 0))
        )

    def mean_sign_words(v: object, record: pd.Series | None) -> str:
        mean = _cell(record, "mean_diff") or 0.0
        positive, negative = _cell(record, "n_positive"), _cell(record, "n_negative")
        changed = _cell(record, "n_nonzero")
        if changed is None and positive is not None and negative is not None:
            changed = positive + negative
        if changed == 0:
            return (
                f"'{v}' cannot be the mean difference: {nonzero_name(record)}, so every "
                "difference is 0 and their mean is 0"
            )
        if mean < 0:
            return (
                f"'{v}' is below 0, but n_negative is 0: with no negative differences the "
                "mean difference cannot be below 0"
            )
        return (
            f"'{v}' is above 0, but n_positive is 0: with no positive differences the mean "
            "difference cannot be above 0"
        )

    add("mean_diff_fits_signs", "mean_diff", mean_sign_conflicts, mean_sign_words)

    # With n_nonzero given, its own checks (at most n_pairs, n_positive + n_negative) tie the
    # signs to n_pairs; without it, nothing else would.
    add(
        "n_positive_within_n_pairs",
        "n_positive",
        lambda f: (
            row_values(f, "n_nonzero").isna()
            & (
                row_values(f, "n_positive") + row_values(f, "n_negative").fillna(0)
                > row_values(f, "n_pairs")
            )
        ),
        lambda v, record: (
            f"'{v}' is more than n_pairs ({_count(_cell(record, 'n_pairs'))})"
            if _cell(record, "n_negative") is None
            else (
                f"'{v}' positive plus {_count(_cell(record, 'n_negative'))} negative "
                f"differences is more than n_pairs ({_count(_cell(record, 'n_pairs'))})"
            )
        ),
    )
    add(
        "n_negative_within_n_pairs",
        "n_negative",
        lambda f: (
            row_values(f, "n_nonzero").isna()
            & row_values(f, "n_positive").isna()
            & (row_values(f, "n_negative") > row_values(f, "n_pairs"))
        ),
        lambda v, record: f"'{v}' is more than n_pairs ({_count(_cell(record, 'n_pairs'))})",
    )
    return checks, rules
