"""Rows of a site's items table (the ``results/sites/<site>/items.csv`` format), as the
per-site step writes them, for the tests of disclosure, pooling and suppression."""

from __future__ import annotations

from revmentor.core.summary_format import ITEM_NO_DISCORDANT
from revmentor.stats.proportions import mcnemar_exact_p, wilson_interval


def answer_row(
    site: str,
    item: str,
    n: int,
    count: int,
    kind: str = "binary",
    level: str = "",
    role: str = "mentor",
) -> dict:
    """A binary item's yes count, or one level of a categorical item, with its Wilson CI."""
    low, high = wilson_interval(count, n) or (None, None)
    return {
        "site_id": site,
        "role": role,
        "kind": kind,
        "item": item,
        "level": level,
        "timepoint": "post",
        "n_answered": n,
        "count": count,
        "proportion": count / n if n else None,
        "ci_low": low,
        "ci_high": high,
        "note": "",
    }


def pair_row(
    site: str, concern: str, both_yes: int, before_only: int, after_only: int, both_no: int
) -> dict:
    """A concern anticipated before and experienced after: the paired 2×2 table."""
    return {
        "site_id": site,
        "role": "mentor",
        "kind": "concern_pair",
        "item": concern,
        "level": f"concern_{concern} -> experienced_{concern}",
        "timepoint": "pre -> post",
        "n_pairs": both_yes + before_only + after_only + both_no,
        "both_yes": both_yes,
        "before_only": before_only,
        "after_only": after_only,
        "both_no": both_no,
        "mcnemar_p": mcnemar_exact_p(before_only, after_only),
        "note": "" if before_only + after_only else ITEM_NO_DISCORDANT,
    }
