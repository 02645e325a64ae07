"""The study's main outcome (concerns, benefit, relationship effect) pooled across sites.

One row per role × item (× level of a categorical item) and per role × concern pair, from
the sites' items tables (``results/sites/<site>/items.csv``, concatenated).

Binary and categorical rows carry two answers to "what proportion said yes":

- ``re_*``: a random-effects pool of the sites' proportions on the logit scale. Per site
  yi = log(x'/(n − x')), vi = 1/x' + 1/(n − x'), with 0.5 added to x and to n − x only
  for a site with x = 0 or x = n (metafor ``escalc(measure="PLO", add=0.5,
  to="only0")``, its default); REML τ², z test; estimate and CI back-transformed with the
  inverse logit (metafor ``predict(res, transf=transf.ilogit)``). It lets sites differ.
- the exact companion over all participants, ignoring site: the summed count out of the
  summed answers, with the Clopper–Pearson interval (R ``binom.test``). Unlike the logit
  pool it needs no zero-cell correction, so it stays honest when nearly everyone (or no
  one) says yes.

Concern pairs (anticipated before, experienced after) carry the Mantel–Haenszel analysis
of the matched pairs with every participant's pair as its own stratum. A pair belongs to
one site, so stratifying by pair already stratifies by site, and only discordant pairs
carry information. The MH odds ratio of having the concern after versus before is then
Σafter_only / Σbefore_only (< 1: fewer experienced the concern than anticipated it), its
Robins–Breslow–Greenland variance of log OR is 1/Σbefore_only + 1/Σafter_only, and the MH
chi-square (no continuity correction) is McNemar's on the pooled discordant counts,
(Σb − Σc)²/(Σb + Σc). The exact conditional p is the two-sided binomial test of Σb out of
Σb + Σc.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from revmentor.core.scipy_distributions import chi2_sf, normal_ppf
from revmentor.core.summary_format import ITEM_NO_ANSWERS, ITEM_NO_PAIRS
from revmentor.core.tables import typed_frame
from revmentor.pooling.meta import meta_analysis
from revmentor.stats.proportions import clopper_pearson_interval, mcnemar_exact_p

ITEMS_POOLED_COLUMNS = (
    "role",
    "kind",
    "item",
    "level",
    "timepoint",
    "k",
    "n_answered",
    "count",
    "proportion",
    "exact_ci_low",
    "exact_ci_high",
    "re_proportion",
    "re_ci_low",
    "re_ci_high",
    "re_tau2",
    "re_note",
    "n_pairs",
    "both_yes",
    "before_only",
    "after_only",
    "both_no",
    "mh_odds_ratio",
    "mh_ci_low",
    "mh_ci_high",
    "mh_chi2",
    "mh_p",
    "mcnemar_exact_p",
    "excluded_sites",
    "note",
)
ITEMS_POOLED_TEXT = (
    "role",
    "kind",
    "item",
    "level",
    "timepoint",
    "re_note",
    "excluded_sites",
    "note",
)
ITEMS_POOLED_COUNTS = (
    "k",
    "n_answered",
    "count",
    "n_pairs",
    "both_yes",
    "before_only",
    "after_only",
    "both_no",
)
PAIR_COUNTS = ("n_pairs", "both_yes", "before_only", "after_only", "both_no")
ITEM_KEY = ("kind", "item", "level")
ZERO_CELL_ADDITION = 0.5

NO_ROW = "no row for this role and item"
NO_SITE = "k = 0: no site to pool"
ONE_SITE = "k = 1: the single site's proportion, no heterogeneity"
NOBODY_ANSWERED = "no participant answered at any site"
NOBODY_PAIRED = "no participant answered both items at any site"
NO_DISCORDANT = "no discordant pairs: no odds ratio or McNemar test"
NO_BEFORE_ONLY = "no before-only pairs: the odds ratio is infinite, no CI"
NO_AFTER_ONLY = "no after-only pairs: the odds ratio is 0, no CI"
# A summary-only site empties the counts that disclosure.min_cell keeps at the site: the
# site answered, but its count is unknown, so it cannot enter (as 0 it would bias the pool).
WITHHELD = "count withheld by the site under disclosure.min_cell"
ALL_WITHHELD = "no count to pool: every site that answered withheld it (disclosure.min_cell)"


def logit_effects(count: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-site logit proportions and variances, as metafor's ``escalc(measure="PLO",
    add=0.5, to="only0")``: only a site with a zero cell (x = 0 or x = n) is corrected,
    so sites with ordinary counts keep their exact logit."""
    count, n = np.asarray(count, dtype=float), np.asarray(n, dtype=float)
    add = np.where((count == 0) | (count == n), ZERO_CELL_ADDITION, 0.0)
    events, non_events = count + add, n - count + add
    return np.log(events / non_events), 1 / events + 1 / non_events


def random_effects_proportion(count: np.ndarray, n: np.ndarray, level: float) -> dict[str, Any]:
    """REML pool of the logit proportions, back-transformed, so sites may differ."""
    if len(n) == 0:
        return {"re_note": NO_SITE}
    y, v = logit_effects(count, n)
    result = meta_analysis(y, v, "REML", "z", level)
    notes = [ONE_SITE] if result.k == 1 else []
    return {
        "re_proportion": float(special.expit(result.estimate)),
        "re_ci_low": float(special.expit(result.ci_low)),
        "re_ci_high": float(special.expit(result.ci_high)),
        "re_tau2": result.tau2,
        "re_note": "; ".join([*notes, *result.notes]),
    }


def exact_proportion(count: int, n: int, level: float) -> dict[str, Any]:
    """Everyone pooled into one binomial sample, with the Clopper–Pearson interval."""
    if n == 0:
        return {"n_answered": 0, "count": 0, "note": NOBODY_ANSWERED}
    low, high = clopper_pearson_interval(count, n, level) or (None, None)
    return {
        "n_answered": n,
        "count": count,
        "proportion": count / n,
        "exact_ci_low": low,
        "exact_ci_high": high,
    }


def mantel_haenszel_pairs(before_only: int, after_only: int, level: float) -> dict[str, Any]:
    """MH odds ratio (after vs before), its CI, the MH chi-square and the exact McNemar p
    for matched pairs pooled over sites (each pair its own stratum: see the module)."""
    b, c = before_only, after_only
    if b + c == 0:
        return {"note": NO_DISCORDANT}
    chi2 = (b - c) ** 2 / (b + c)
    record: dict[str, Any] = {
        "mh_odds_ratio": c / b if b else None,
        "mh_chi2": chi2,
        "mh_p": float(chi2_sf(chi2, 1)),
        "mcnemar_exact_p": mcnemar_exact_p(b, c),
        "note": "" if b and c else (NO_BEFORE_ONLY if c else NO_AFTER_ONLY),
    }
    if b and c:
        half = normal_ppf(0.5 + level / 2) * math.sqrt(1 / b + 1 / c)
        record["mh_ci_low"] = math.exp(math.log(c / b) - half)
        record["mh_ci_high"] = math.exp(math.log(c / b) + half)
    return record


def _number(row: Mapping[str, Any], column: str) -> int:
    value = row.get(column)
    return 0 if value is None or pd.isna(value) else int(value)


def _missing(row: Mapping[str, Any], column: str) -> bool:
    value = row.get(column)
    return value is None or bool(pd.isna(value))


def _why_not_pooled(row: Mapping[str, Any] | None, size_column: str, empty_reason: str) -> str:
    """'' when the site's row can be pooled, else the reason (the site's own note first)."""
    if row is None:
        return NO_ROW
    if _number(row, size_column) > 0:
        needed = PAIR_COUNTS if size_column == "n_pairs" else ("count",)
        return WITHHELD if any(_missing(row, column) for column in needed) else ""
    note = row.get("note")
    return str(note) if isinstance(note, str) and note else empty_reason


def contributing_rows(
    rows: pd.DataFrame,
    size_column: str,
    empty_reason: str,
    site_order: Sequence[str],
    excluded: Mapping[str, str],
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The site rows that enter, in registry order, and every other site with its reason.
    Only the sites in ``site_order`` are analysed."""
    columns = list(rows.columns)
    # Plain dicts of the rows' values (as a row Series holds them), a site's last row
    # winning: a Series per row took most of this step's time at 1,000 sites.
    by_site = {
        row["site_id"]: row
        for row in (
            dict(zip(columns, cells, strict=True))
            for cells in zip(*(rows[column].tolist() for column in columns), strict=True)
        )
    }
    included, dropped = [], []
    for site in site_order:
        if site in excluded:
            reason = excluded[site] or "excluded"
        else:
            reason = _why_not_pooled(by_site.get(site), size_column, empty_reason)
        if reason:
            dropped.append((site, reason))
        else:
            included.append(by_site[site])
    return included, dropped


def proportion_record(rows: Sequence[Mapping[str, Any]], level: float) -> dict[str, Any]:
    counts = np.array([_number(row, "count") for row in rows], dtype=int)
    n = np.array([_number(row, "n_answered") for row in rows], dtype=int)
    return {
        **exact_proportion(int(counts.sum()), int(n.sum()), level),
        **random_effects_proportion(counts, n, level),
    }


def pair_record(rows: Sequence[Mapping[str, Any]], level: float) -> dict[str, Any]:
    totals = {column: sum(_number(row, column) for row in rows) for column in PAIR_COUNTS}
    if totals["n_pairs"] == 0:
        return {**totals, "note": NOBODY_PAIRED}
    return {**totals, **mantel_haenszel_pairs(totals["before_only"], totals["after_only"], level)}


def item_keys(items: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(kind, item, level, timepoint) in the order the sites' tables list them."""
    keys = items[[*ITEM_KEY, "timepoint"]].drop_duplicates(subset=list(ITEM_KEY))
    return list(keys.itertuples(index=False, name=None))


def pooled_items(
    items: pd.DataFrame,
    roles: Sequence[str],
    site_order: Sequence[str],
    excluded: Mapping[str, str],
    level: float = 0.95,
) -> pd.DataFrame:
    """Every role × item pooled over the sites in ``site_order``; ``excluded`` holds sites
    out of every analysis (invalid data) with the reason, shown in ``excluded_sites``."""
    items = items.fillna({"level": "", "timepoint": ""})
    records = []
    for role in roles:
        of_role = items[items["role"] == role]
        for kind, item, item_level, timepoint in item_keys(items):
            chosen = of_role[
                (of_role["kind"] == kind)
                & (of_role["item"] == item)
                & (of_role["level"] == item_level)
            ]
            is_pair = kind == "concern_pair"
            size, empty = ("n_pairs", ITEM_NO_PAIRS) if is_pair else ("n_answered", ITEM_NO_ANSWERS)
            included, dropped = contributing_rows(chosen, size, empty, site_order, excluded)
            record = {
                "role": role,
                "kind": kind,
                "item": item,
                "level": item_level,
                "timepoint": timepoint,
                "k": len(included),
                "excluded_sites": "; ".join(f"{site}: {why}" for site, why in dropped),
            }
            record.update(
                pair_record(included, level) if is_pair else proportion_record(included, level)
            )
            if not included and any(why == WITHHELD for _, why in dropped):
                record["note"] = ALL_WITHHELD
            records.append(record)
    return typed_frame(records, ITEMS_POOLED_COLUMNS, ITEMS_POOLED_TEXT, ITEMS_POOLED_COUNTS)
