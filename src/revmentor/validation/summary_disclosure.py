"""The coordinating centre's side of the disclosure policy: refuse a summary row that carries
what may not leave a site (:mod:`revmentor.core.disclosure`), naming the row, the column,
the value and the rule, so that the site can export its summary again."""

from __future__ import annotations

import pandas as pd

from revmentor.core.disclosure import Breach, DisclosurePolicy, row_breaches
from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem, shown_value

_WHAT_TO_DO = {
    "min_pairs_summary": "remove this row; 'revmentor export-summary' leaves such rows out",
    "min_pairs_order_statistics": (
        "leave this cell empty; 'revmentor export-summary' withholds it"
    ),
    "min_cell": (
        "leave this cell empty (the workflow then uses the other columns); "
        "'revmentor export-summary' withholds it"
    ),
}


def breach_message(breach: Breach) -> str:
    subject = "this row" if breach.key == "min_pairs_summary" else f"'{breach.value}'"
    return (
        f"{subject} may not leave the site under the disclosure policy: {breach.rule}; "
        f"{_WHAT_TO_DO[breach.key]}"
    )


def disclosure_problems(
    frame: pd.DataFrame, instrument: Instrument, policy: DisclosurePolicy, sheet: str | None
) -> list[Problem]:
    """One problem per cell (or row) of the summary that breaks the policy. ``frame`` holds
    the summary's cells as text, indexed by spreadsheet row (header = row 1)."""
    outcomes = set(instrument.outcomes)
    problems = []
    for row_number, row in frame.iterrows():
        outcome = row.get("outcome")
        if outcome not in outcomes:
            continue  # an unknown outcome is refused by the format's own check
        low, high = instrument.outcome_range(str(outcome))
        for breach in row_breaches(row.to_dict(), policy, low, high):
            problems.append(
                Problem(
                    int(row_number),
                    breach.column,
                    f"disclosure_{breach.key}",
                    breach_message(breach),
                    shown_value(breach.value),
                    sheet,
                )
            )
    return problems
