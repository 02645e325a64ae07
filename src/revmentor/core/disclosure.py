"""What may leave a site, at which number of pairs: the disclosure rules of a per-site summary.

The reasoning is in ``docs/disclosure.md``; the rules, once, are here. The site's export step
(``revmentor export-summary``) applies them and says what it withheld; the coordinating
centre's validation of an incoming summary calls the same functions and refuses a row that
breaks them. Like DataSHIELD's ``nfilter`` settings, the thresholds are counts of
participants:

- ``min_pairs_summary``: a role × outcome row from fewer pairs is not exported at all (with
  n = 2, the mean and SD of the differences are the two differences);
- ``min_pairs_order_statistics``: below it, the statistics that are individual values or
  follow from their order and signs are withheld: medians, quartiles, the Hodges–Lehmann
  estimate and its interval (order statistics of the scores or of the Walsh averages) and
  the sign and signed-rank statistics (which, with the mean and SD, pin the differences
  down in most rows at n ≤ 12);
- whatever n, a mean and SD (of the differences, pre or post scores) that fit one multiset
  of whole numbers only say what its frequency table says: they leave only when no count
  of it lies from 1 to ``min_cell`` − 1 (else the site withholds them, the whole row for
  the differences, and the centre refuses a row that carries them);
- ``min_cell``: counts of participants from 1 to ``min_cell`` − 1 are suppressed in what
  is shared: Likert levels and demographics in the shared tables, and in the items file a
  summary-only site sends, each count whose value, or complement, is that small, with
  whatever gives it back (:func:`items_withholdings`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revmentor.core.summary_format import (
    HODGES_LEHMANN,
    ITEM_NO_DISCORDANT,
    SCORE_QUANTILES,
    SIGNED_RANK,
)

#: Quantiles of the scores and the Hodges-Lehmann estimate and interval: at small n each is
#: one participant's value, or the average of two.
ORDER_STATISTICS = (*SCORE_QUANTILES, *HODGES_LEHMANN)

#: How many differences are positive, negative and zero, and the signed-rank statistics
#: (their rank sums, the tie-corrected variance, and what is computed from them).
RANK_STATISTICS = (*SIGNED_RANK, "rank_biserial", "r_effect", "p_holm", "p_bh")

#: Each set of values whose mean and SD a row carries: (what, mean column, SD column, the
#: columns withheld with them when they fit one set of values only).
MOMENT_SETS = (
    ("differences", "mean_diff", "sd_diff", ()),
    ("pre scores", "mean_pre", "sd_pre", ("mean_pre", "sd_pre", "r_prepost")),
    ("post scores", "mean_post", "sd_post", ("mean_post", "sd_post", "r_prepost")),
)

# Beyond this many pairs the search for a second set of values is not run (it takes up to a
# fifth of a second per mean and SD at 300 pairs): only sets of equal values (SD 0) are
# recognised there. A role of a site this large is far beyond the study's scale (the
# original had 6 mentors); docs/disclosure.md names the gap.
SEARCH_MAX_PAIRS = 250


@dataclass(frozen=True)
class DisclosurePolicy:
    """The ``disclosure`` settings of the config."""

    min_pairs_summary: int = 3
    min_pairs_order_statistics: int = 10
    min_cell: int = 5

    @classmethod
    def from_config(cls, disclosure: Mapping[str, Any] | None) -> DisclosurePolicy:
        values = disclosure or {}
        default = cls()
        return cls(
            int(values.get("min_pairs_summary", default.min_pairs_summary)),
            int(values.get("min_pairs_order_statistics", default.min_pairs_order_statistics)),
            int(values.get("min_cell", default.min_cell)),
        )

    def row_rule(self, n_pairs: int) -> str:
        return f"n_pairs {n_pairs} < disclosure.min_pairs_summary {self.min_pairs_summary}"

    def order_rule(self, n_pairs: int) -> str:
        return (
            f"n_pairs {n_pairs} < disclosure.min_pairs_order_statistics "
            f"{self.min_pairs_order_statistics}"
        )


#: The policy a summary is checked against when the caller gives none: the config's defaults.
DEFAULT_POLICY = DisclosurePolicy()


def row_may_leave(n_pairs: int, policy: DisclosurePolicy) -> bool:
    """Whether a summary row from ``n_pairs`` pairs may be exported at all."""
    return n_pairs >= policy.min_pairs_summary


def withheld_at(n_pairs: int, policy: DisclosurePolicy) -> tuple[str, ...]:
    """The columns a row from ``n_pairs`` pairs may not carry (its row itself may leave)."""
    if n_pairs < policy.min_pairs_order_statistics:
        return (*ORDER_STATISTICS, *RANK_STATISTICS)
    return ()


def _integer_sums(n: int, mean: float, sd: float) -> tuple[int, int] | None:
    """The sum and sum of squares of ``n`` whole numbers with this mean and SD (divisor
    n − 1), or ``None`` when no whole numbers have them (rounded values, say)."""
    if not (math.isfinite(mean) and math.isfinite(sd)) or abs(mean) > 1e6 or sd > 1e6:
        return None  # no score on any scale; the format's plausibility checks refuse it
    total = mean * n
    whole_total = round(total)
    squares = (n - 1) * sd * sd + whole_total * whole_total / n
    whole_squares = round(squares)
    if abs(total - whole_total) > 1e-6 or abs(squares - whole_squares) > 1e-6 * max(1, squares):
        return None
    return whole_total, whole_squares


def fitting_multisets(
    n: int, total: int, squares: int, low: int, high: int, limit: int | None = 2
) -> list[dict[int, int]]:
    """Multisets (value → count) of ``n`` whole numbers from ``low`` to ``high`` with this
    sum and sum of squares, up to ``limit`` of them (``None``: all).

    Values are chosen from the highest down; a branch is cut when the rest cannot reach the
    sum, or the sum of squares (at least sum²/k for k values, at most
    (lo + hi)·sum − k·lo·hi for values in [lo, hi])."""
    found: list[dict[int, int]] = []
    chosen: dict[int, int] = {}
    most_wanted = math.inf if limit is None else limit

    def keep() -> None:
        found.append({value: count for value, count in chosen.items() if count})

    def search(value: int, k: int, s: int, q: int) -> None:
        if len(found) >= most_wanted:
            return
        if k == 0:
            if s == 0 and q == 0:
                keep()
            return
        if value < low or s < k * low or s > k * value:
            return
        if q * k < s * s or q > (low + value) * s - k * low * value:
            return
        if value == low:
            if s == k * low and q == k * low * low:
                chosen[value] = k
                keep()
                del chosen[value]
            return
        most = min(k, (s - k * low) // (value - low))
        for count in range(most, -1, -1):
            chosen[value] = count
            search(value - 1, k - count, s - count * value, q - count * value * value)
            del chosen[value]
            if len(found) >= most_wanted:
                return

    search(high, n, total, squares)
    return found


def count_fits(n: int, total: int, squares: int, low: int, high: int, limit: int = 2) -> int:
    """How many multisets :func:`fitting_multisets` finds, up to ``limit``."""
    return len(fitting_multisets(n, total, squares, low, high, limit))


def small_cells(counts: Mapping[object, int], min_cell: int) -> dict[object, int]:
    """The counts from 1 to ``min_cell`` − 1 (a cell that small singles people out)."""
    return {level: count for level, count in counts.items() if 0 < count < min_cell}


def only_fit(n: int, mean: float, sd: float, low: int, high: int) -> dict[int, int] | None:
    """The one multiset of ``n`` whole numbers from ``low`` to ``high`` with this mean and
    SD, if only one has them: the mean and SD then say as much as its frequency table."""
    if n < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
        return None
    if sd == 0:
        value = round(mean)
        return {value: n} if abs(mean - value) < 1e-9 else None
    if n > SEARCH_MAX_PAIRS:
        return None
    sums = _integer_sums(n, mean, sd)
    if sums is None:
        return None
    fits = fitting_multisets(n, *sums, low, high)
    return fits[0] if len(fits) == 1 else None


@dataclass(frozen=True)
class Breach:
    """One value a summary row may not carry, and the rule it breaks."""

    column: str
    value: object
    rule: str
    #: The config key whose rule it breaks.
    key: str


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def moment_breaches(row: Mapping[str, object], low: int, high: int, min_cell: int) -> list[Breach]:
    """Each mean and SD of the row (differences, pre, post) that fits one set of whole-number
    values only, when that set's frequency table has a count from 1 to ``min_cell`` − 1.
    ``low``, ``high``: the outcome's scores; differences span ±(high − low)."""
    n = _number(row.get("n_pairs"))
    if n is None or not n.is_integer():
        return []
    breaches = []
    width = high - low
    for what, mean_column, sd_column, _ in MOMENT_SETS:
        mean, sd = _number(row.get(mean_column)), _number(row.get(sd_column))
        if mean is None or sd is None:
            continue
        lo, hi = (-width, width) if what == "differences" else (low, high)
        fit = only_fit(int(n), mean, sd, lo, hi)
        small = small_cells(fit, min_cell) if fit else {}
        if small:
            table = ", ".join(
                f"{count} × {value:+d}" if what == "differences" else f"{count} × {value}"
                for value, count in sorted(fit.items())
            )
            rule = (
                f"with n_pairs {int(n)}, {mean_column} and {sd_column} fit only one set of "
                f"whole-number {what} ({table}), and a count in it is below "
                f"disclosure.min_cell {min_cell}"
            )
            breaches.append(Breach(sd_column, row.get(sd_column), rule, "min_cell"))
    return breaches


def row_breaches(
    row: Mapping[str, object], policy: DisclosurePolicy, low: int, high: int
) -> list[Breach]:
    """Every value of a summary row (column → cell; empty cells absent or blank) that the
    policy does not let leave a site."""
    n = _number(row.get("n_pairs"))
    if n is None or not n.is_integer() or n < 1:
        return []  # a bad n_pairs is refused by the format's own check
    pairs = int(n)
    if not row_may_leave(pairs, policy):
        return [Breach("n_pairs", row.get("n_pairs"), policy.row_rule(pairs), "min_pairs_summary")]
    breaches = [
        Breach(column, row[column], policy.order_rule(pairs), "min_pairs_order_statistics")
        for column in withheld_at(pairs, policy)
        if _number(row.get(column)) is not None
        or (isinstance(row.get(column), str) and str(row.get(column)).strip())
    ]
    return breaches + moment_breaches(row, low, high, policy.min_cell)


@dataclass(frozen=True)
class Withheld:
    """What the export step left out of one row, and why."""

    role: str
    outcome: str
    columns: tuple[str, ...]
    rule: str
    whole_row: bool = False

    def describe(self) -> str:
        if self.whole_row:
            return f"withheld: {self.role} {self.outcome} ({self.rule}): row not exported"
        return f"withheld: {self.role} {self.outcome}: {', '.join(self.columns)} ({self.rule})"


def apply_to_row(
    row: Mapping[str, object], policy: DisclosurePolicy, low: int, high: int
) -> tuple[dict[str, object] | None, list[Withheld]]:
    """The row as it may leave the site (``None``: not at all) and what was withheld."""
    role, outcome = str(row.get("role")), str(row.get("outcome"))
    n = _number(row.get("n_pairs"))
    pairs = int(n) if n is not None else 0
    if not row_may_leave(pairs, policy):
        return None, [Withheld(role, outcome, (), policy.row_rule(pairs), whole_row=True)]
    kept = dict(row)
    withheld = []
    columns = [c for c in withheld_at(pairs, policy) if not _blank(kept.get(c))]
    if columns:
        withheld.append(Withheld(role, outcome, tuple(columns), policy.order_rule(pairs)))
        kept.update({column: None for column in columns})
    for breach in moment_breaches(kept, low, high, policy.min_cell):
        hidden = {sd: columns for _, _, sd, columns in MOMENT_SETS}[breach.column]
        if not hidden:
            return None, [*withheld, Withheld(role, outcome, (), breach.rule, whole_row=True)]
        gone = tuple(column for column in hidden if not _blank(kept.get(column)))
        kept.update({column: None for column in hidden})
        withheld.append(Withheld(role, outcome, gone, breach.rule))
    return kept, withheld


def _blank(value: object) -> bool:
    if value is None or isinstance(value, str):
        return value is None or value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def export_rows(
    rows: list[Mapping[str, object]],
    policy: DisclosurePolicy,
    outcome_range: Callable[[str], tuple[int, int]],
) -> tuple[list[dict[str, object]], list[Withheld]]:
    """A site's summary rows as they may leave it, and everything withheld on the way."""
    kept, withheld = [], []
    for row in rows:
        low, high = outcome_range(str(row.get("outcome")))
        exported, left_out = apply_to_row(row, policy, low, high)
        withheld += left_out
        if exported is not None:
            kept.append(exported)
    return kept, withheld


def exported_summary(
    summary: pd.DataFrame, policy: DisclosurePolicy, outcome_range: Callable[[str], tuple[int, int]]
) -> tuple[pd.DataFrame, list[Withheld]]:
    """A per-site summary (the site-statistics step's table) as it may leave the site."""
    from revmentor.core import summary_format as fmt
    from revmentor.core.tables import typed_frame

    records = [
        {key: (None if _blank(value) else value) for key, value in record.items()}
        for record in summary.to_dict("records")
    ]
    kept, withheld = export_rows(records, policy, outcome_range)
    frame = typed_frame(kept, fmt.SUMMARY_COLUMNS, fmt.TEXT_COLUMNS, (*fmt.COUNT_COLUMNS, "t_df"))
    return frame, withheld


# --- The items file (concerns, benefit, relationship effect) -------------------------------
#
# Each row of a site's items file is a table of participants: a binary or categorical row
# says how many of n_answered gave this answer (count) and how many did not (n_answered −
# count); a concern pair row is the 2×2 table of the same participants before and after.
# ``min_cell`` applies to every one of those counts, 0 excepted (as DataSHIELD's
# ``nfilter.tab``, a minimum *non-zero* cell). The totals (n_answered, n_pairs) leave: they
# are how many took part, as n_pairs does in the summary. What gives a count back is
# withheld with it (docs/disclosure.md, "The items file").

#: What gives a binary or categorical row's count back: the count itself, and with
#: n_answered the proportion and either end of its Wilson interval.
ITEM_SHARE_COLUMNS = ("count", "proportion", "ci_low", "ci_high")
#: The paired 2×2 table of a concern pair; with n_pairs any three give the fourth.
PAIR_CELL_COLUMNS = ("both_yes", "before_only", "after_only", "both_no")
#: The cells and McNemar's exact p, a function of before_only and after_only.
PAIR_WITHHELD_COLUMNS = (*PAIR_CELL_COLUMNS, "mcnemar_p")
#: How the workflow writes a concern pair's level: its before item, then its after item.
PAIR_LEVEL_SEPARATOR = " -> "


def count_rule(count: int, n: int | None, min_cell: int) -> str | None:
    """Why ``count`` of ``n`` participants may not leave the site, or ``None``: it is a
    small cell, or the participants it leaves out (n − count) are."""
    if 0 < count < min_cell:
        return f"count {count} is below disclosure.min_cell {min_cell}"
    if n is not None and 0 < n - count < min_cell:
        return (
            f"n_answered {n} - count {count} = {n - count} is below disclosure.min_cell {min_cell}"
        )
    return None


@dataclass(frozen=True)
class ItemWithholding:
    """Cells of one items row that may not leave the site: ``row`` is the caller's index of
    the row, ``columns`` the cells that carry a value and must be emptied."""

    row: object
    columns: tuple[str, ...]
    rule: str
    #: The cell that breaks the rule, when it is one of ``columns``: the one to name.
    cell: str | None = None


def item_label(row: Mapping[str, object]) -> str:
    """How the site's own output names an items row: item, level of a categorical item."""
    kind, item = str(row.get("kind")), str(row.get("item"))
    if kind == "categorical":
        return f"{item} = {row.get('level')}"
    if kind == "concern_pair":
        return f"concern pair {item}"
    return item


def _carried(row: Mapping[str, object], columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in columns if not _blank(row.get(c)) and str(row.get(c)).strip())


def _whole(row: Mapping[str, object], column: str) -> int | None:
    number = _number(row.get(column))
    return int(number) if number is not None and number.is_integer() else None


def _count_withheld(row: Mapping[str, object]) -> bool:
    """A row whose count the site withheld: participants answered, no count."""
    n = _whole(row, "n_answered")
    return n is not None and n > 0 and _whole(row, "count") is None


def items_withholdings(
    rows: Mapping[object, Mapping[str, object]], min_cell: int
) -> list[ItemWithholding]:
    """Every cell of an items table (row index → column → cell; blank = withheld) that may
    not leave a site under ``min_cell``, each with the rule it breaks.

    One pass suffices: the table with these cells emptied yields none (the export step
    empties them; the centre refuses a table that yields any)."""
    found: list[ItemWithholding] = []
    hidden: set[object] = set()

    def withhold(index: object, columns: tuple[str, ...], rule: str, cell: str | None = None):
        carried = _carried(rows[index], columns)
        if carried:
            found.append(ItemWithholding(index, carried, rule, cell))
        hidden.add(index)

    # A small count, or a small complement, at each binary and categorical row.
    for index, row in rows.items():
        if row.get("kind") not in ("binary", "categorical"):
            continue
        n, count = _whole(row, "n_answered"), _whole(row, "count")
        if count is None:
            if _count_withheld(row):
                withhold(
                    index,
                    ITEM_SHARE_COLUMNS[1:],
                    f"the count is withheld, and with n_answered {n} the proportion and "
                    "its interval give it back",
                )
            continue
        rule = count_rule(count, n, min_cell)
        if rule:
            withhold(index, ITEM_SHARE_COLUMNS, rule)

    # A categorical item's levels add up to n_answered: one withheld level alone would be
    # given back by the others, so the smallest other level is withheld with it.
    levels: dict[tuple[str, str], list[object]] = {}
    for index, row in rows.items():
        if row.get("kind") == "categorical":
            levels.setdefault((str(row.get("role")), str(row.get("item"))), []).append(index)
    for indexes in levels.values():
        gone = [i for i in indexes if i in hidden]
        shown = [i for i in indexes if i not in hidden]
        n = _whole(rows[indexes[0]], "n_answered")
        counts = [_whole(rows[i], "count") for i in shown]
        if len(gone) != 1 or not shown or n is None or None in counts:
            continue
        given_back = n - sum(c for c in counts if c is not None)
        if count_rule(given_back, n, min_cell) is None:
            continue
        smallest = min(shown, key=lambda i: _whole(rows[i], "count") or 0)
        withhold(
            smallest,
            ITEM_SHARE_COLUMNS,
            f"with n_answered {n} and the other levels' counts, this count gives back the "
            f"withheld count of level '{rows[gone[0]].get('level')}'",
        )

    # The concern pairs: their own cells, and the margins they share with the binary rows.
    withheld_items = {
        (str(row.get("role")), str(row.get("item")))
        for index, row in rows.items()
        if row.get("kind") == "binary" and index in hidden
    }
    for index, row in rows.items():
        if row.get("kind") != "concern_pair":
            continue
        cells = {column: _whole(row, column) for column in PAIR_CELL_COLUMNS}
        small = [(c, v) for c, v in cells.items() if v is not None and 0 < v < min_cell]
        linked = [
            item
            for item in str(row.get("level")).split(PAIR_LEVEL_SEPARATOR)
            if (str(row.get("role")), item) in withheld_items
        ]
        cell = None
        if small:
            cell, value = small[0]
            rule = f"{cell} {value} is below disclosure.min_cell {min_cell}"
        elif None in cells.values():
            rule = (
                "a paired cell is withheld, and with n_pairs the other cells and McNemar's p "
                "give it back"
            )
        elif linked:
            rule = (
                f"the count of {linked[0]} is withheld, and the paired cells give it back "
                "(its yes answers are both_yes plus before_only or after_only)"
            )
        else:
            continue
        withhold(index, PAIR_WITHHELD_COLUMNS, rule, cell)
        # The one note that describes the paired cells: before_only = after_only = 0.
        if row.get("note") == ITEM_NO_DISCORDANT:
            found.append(
                ItemWithholding(
                    index,
                    ("note",),
                    "the paired cells are withheld, and this note says before_only and "
                    "after_only are 0",
                )
            )
    return found


def exported_items(
    items: pd.DataFrame, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, list[Withheld]]:
    """A site's items table (the workflow's per-site items step) as it may leave the site,
    and what was withheld, one line per row."""
    from revmentor.core import summary_format as fmt
    from revmentor.core.tables import typed_frame

    records = [
        {key: (None if _blank(value) else value) for key, value in record.items()}
        for record in items.to_dict("records")
    ]
    withheld = []
    for found in items_withholdings(dict(enumerate(records)), policy.min_cell):
        row = records[found.row]  # type: ignore[index]
        for column in found.columns:
            row[column] = "" if column == "note" else None
        withheld.append(Withheld(str(row.get("role")), item_label(row), found.columns, found.rule))
    frame = typed_frame(records, fmt.ITEMS_COLUMNS, fmt.ITEMS_TEXT_COLUMNS, fmt.ITEMS_COUNT_COLUMNS)
    return frame, withheld
