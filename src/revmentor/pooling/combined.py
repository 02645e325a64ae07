"""Combined non-parametric tests across sites, robust to the small n of each site.

Stratified Wilcoxon signed-rank (van Elteren-type sum over sites with equal weights):
``Z = (ΣT⁺ − ΣE_s)/√ΣV_s`` with ``E_s = n_s(n_s+1)/4`` and
``V_s = n_s(n_s+1)(2n_s+1)/24 − Σ(t³ − t)/48`` (n_s non-zero differences, t tied groups).

Stouffer's weighted Z on one-sided p-values in the direction of improvement (post > pre):
each site's two-sided SPSS p is made one-sided keeping its direction (p/2 if the site
improved, 1 − p/2 if it worsened), ``Z_s = Φ⁻¹(1 − p_s)``, and
``Z = Σ√n_s·Z_s / √Σn_s``. Both report a two-sided p.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from revmentor.core.scipy_distributions import normal_isf, normal_sf
from revmentor.core.tables import typed_frame

COMBINED_COLUMNS = (
    "role",
    "outcome",
    "test",
    "k",
    "n_participants",
    "statistic",
    "z",
    "p",
    "excluded_sites",
    "note",
)
STRATIFIED = "stratified_wilcoxon"
STOUFFER = "stouffer_weighted_z"


def _column(rows: pd.DataFrame, name: str) -> list:
    """A column as plain Python values (``None`` where missing): the same floats and ints the
    arithmetic below used when it read the rows one at a time, without a Series per row."""
    if name not in rows:
        return [None] * len(rows)
    column = rows[name]
    return [
        None if missing else value
        for value, missing in zip(column.tolist(), column.isna().tolist(), strict=True)
    ]


def site_variance(row: Mapping[str, object]) -> float | None:
    """The site's tie-corrected null variance of W+, or one recovered from its SPSS z."""
    if not pd.isna(row.get("wilcoxon_var")):
        return float(row["wilcoxon_var"])
    n, z = row.get("n_nonzero"), row.get("wilcoxon_z")
    if pd.isna(n) or pd.isna(z) or z == 0:
        return None
    expected = n * (n + 1) / 4
    smaller = min(row["w_plus"], row["w_minus"])
    return float(((smaller - expected) / z) ** 2)


def _records_of(rows: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    values = [_column(rows, name) for name in ("site_id", *columns)]
    return [
        dict(zip(("site_id", *columns), cells, strict=True)) for cells in zip(*values, strict=True)
    ]


def stratified_wilcoxon(rows: pd.DataFrame) -> tuple[dict, list[tuple[str, str]]]:
    excluded, t_plus, expected, variance, n_total, k = [], 0.0, 0.0, 0.0, 0, 0
    columns = ("w_plus", "w_minus", "n_nonzero", "n_pairs", "wilcoxon_var", "wilcoxon_z")
    for row in _records_of(rows, columns):
        if row["w_plus"] is None or row["n_nonzero"] is None:
            excluded.append((row["site_id"], "no signed-rank sums (w_plus, n_nonzero)"))
            continue
        var = site_variance(row)
        if var is None:
            excluded.append((row["site_id"], "no tie-corrected variance (wilcoxon_var)"))
            continue
        n = int(row["n_nonzero"])
        t_plus += float(row["w_plus"])
        expected += n * (n + 1) / 4
        variance += var
        n_total += int(row["n_pairs"])
        k += 1
    record = {"test": STRATIFIED, "k": k, "n_participants": n_total, "statistic": t_plus}
    if variance > 0:
        z = (t_plus - expected) / math.sqrt(variance)
        record.update(z=z, p=float(2 * normal_sf(abs(z))))
    else:
        record["note"] = "no site has a non-zero difference"
    return record, excluded


def one_sided_p(row: Mapping[str, object]) -> float:
    """The site's one-sided p for 'improved', from its two-sided p and the sign of W+ − W−."""
    p_two = float(row["wilcoxon_p"])
    direction = np.sign(float(row["w_plus"]) - float(row["w_minus"]))
    return p_two / 2 if direction > 0 else (1 - p_two / 2 if direction < 0 else 0.5)


def stouffer(rows: pd.DataFrame) -> tuple[dict, list[tuple[str, str]]]:
    excluded, weighted, weights2, n_total = [], 0.0, 0.0, 0
    needed = ("wilcoxon_p", "w_plus", "w_minus", "n_pairs")
    included = []
    for row in _records_of(rows, needed):
        if any(row[column] is None for column in needed):
            excluded.append((row["site_id"], "no Wilcoxon p (all differences zero or not sent)"))
            continue
        included.append(row)
    # One call for every site: scipy's isf is elementwise, the same value as one call each.
    z_sites = normal_isf(np.array([one_sided_p(row) for row in included], dtype=float))
    for row, z_site in zip(included, z_sites.tolist(), strict=True):
        weight = math.sqrt(float(row["n_pairs"]))
        weighted += weight * z_site
        weights2 += weight**2
        n_total += int(row["n_pairs"])
    k = len(rows) - len(excluded)
    record = {"test": STOUFFER, "k": k, "n_participants": n_total}
    if weights2 > 0:
        z = weighted / math.sqrt(weights2)
        record.update(statistic=z, z=z, p=float(2 * normal_sf(abs(z))))
    else:
        record["note"] = "no site has a Wilcoxon p"
    return record, excluded


def _included_rows(
    summaries: pd.DataFrame, role: str, outcome: str, sites: Sequence[str], excluded: Mapping
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    rows = summaries[(summaries["role"] == role) & (summaries["outcome"] == outcome)]
    present = set(rows["site_id"])
    left_out = [(site, excluded[site]) for site in sites if site in excluded]
    left_out += [
        (site, "no row for this role and outcome")
        for site in sites
        if site not in excluded and site not in present
    ]
    order = {site: index for index, site in enumerate(sites)}
    rows = rows[~rows["site_id"].isin(excluded)]
    return rows.iloc[np.argsort(rows["site_id"].map(order).to_numpy(), kind="stable")], left_out


def _records(summaries, roles, outcomes, sites, excluded) -> Iterator[dict]:
    for role in roles:
        for outcome in outcomes:
            rows, left_out = _included_rows(summaries, role, outcome, sites, excluded)
            for test in (stratified_wilcoxon, stouffer):
                record, dropped = test(rows)
                everyone = [*left_out, *dropped]
                yield {
                    "role": role,
                    "outcome": outcome,
                    **record,
                    "excluded_sites": "; ".join(f"{site}: {why}" for site, why in everyone),
                }


def combined_tests(
    summaries: pd.DataFrame,
    roles: Sequence[str],
    outcomes: Sequence[str],
    sites: Sequence[str],
    excluded: Mapping[str, str],
) -> pd.DataFrame:
    records = list(_records(summaries, roles, outcomes, sites, excluded))
    text = ("role", "outcome", "test", "excluded_sites", "note")
    return typed_frame(records, COMBINED_COLUMNS, text, ("k", "n_participants"))
