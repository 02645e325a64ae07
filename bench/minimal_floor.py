"""The floor of issue 15: the least a hand-written script does with a consortium, in one
process, with no workflow and none of the package's code.

It reads every site's responses file named in ``config/sites.tsv`` (CSV), checks that every
score is on the scale, and per site × role × outcome (the domains and their total) computes
the paired changes' n, mean, SD, median and Wilcoxon signed-rank p (normal approximation
with the tie correction, as ``scipy.stats.wilcoxon(method="asymptotic")``); then pools the
mean changes of every role × outcome by DerSimonian–Laird and by REML (Fisher scoring). It
prints its wall time.

It is written as a competent analyst would write it in numpy, not tuned: one sort pairs a
site's rows, and the p-values of a site take one call. An earlier version, with
``pivot_table`` and a ``scipy.stats.wilcoxon`` call per row, gave the same numbers (to
1e-13) at 42 ms of CPU per site instead of 8 ms, and so made the ratios look 3-4 × better
than they are; issue 15 measured its floor at 11-12 s for 1,000 sites.

``bench/run_bench.py`` runs it beside the workflow so that the ratio is measured in the
same run:

    python bench/minimal_floor.py FOLDER
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats


def site_changes(path: Path, domains: list[str], low: int, high: int) -> list[dict]:
    frame = pd.read_csv(path, usecols=["site_id", "participant_id", "role", "timepoint", *domains])
    scores = frame[domains].to_numpy(dtype=float)
    if (~np.isnan(scores) & ((scores < low) | (scores > high))).any():
        raise ValueError(f"{path}: a score is off the scale")
    # The total needs every domain; a participant's row pair is found by sorting once.
    total = np.where(np.isnan(scores).any(axis=1), np.nan, scores.sum(axis=1))
    values = np.column_stack([scores, total])
    keys = frame["role"] + "\x00" + frame["participant_id"]
    order = np.lexsort((frame["timepoint"].to_numpy(), keys.to_numpy()))
    keys, timepoints = keys.to_numpy()[order], frame["timepoint"].to_numpy()[order]
    roles = frame["role"].to_numpy()[order]
    values = values[order]
    # After sorting, a participant's "post" row directly precedes its "pre" row.
    pair = (keys[:-1] == keys[1:]) & (timepoints[:-1] == "post") & (timepoints[1:] == "pre")
    post, pre = values[:-1][pair], values[1:][pair]
    roles = roles[:-1][pair]
    rows = []
    for role in sorted(set(roles)):
        changes_by_outcome = (post - pre)[roles == role]
        for column, outcome in enumerate((*domains, "total")):
            changes = changes_by_outcome[:, column]
            changes = changes[~np.isnan(changes)]
            n = len(changes)
            rows.append(
                {
                    "role": role,
                    "outcome": outcome,
                    "n": n,
                    "mean": changes.mean() if n else np.nan,
                    "sd": changes.std(ddof=1) if n > 1 else np.nan,
                    "median": np.median(changes) if n else np.nan,
                    "wilcoxon_z": wilcoxon_z(changes[changes != 0]),
                }
            )
    # One call for every row's p: scipy's per-call overhead exceeds the arithmetic.
    p_values = 2 * stats.norm.sf(np.abs([row.pop("wilcoxon_z") for row in rows]))
    for row, p in zip(rows, p_values, strict=True):
        row["wilcoxon_p"] = float(p)
    return rows


def wilcoxon_z(nonzero: np.ndarray) -> float:
    """The signed-rank statistic's z by the normal approximation, with the tie correction."""
    n = len(nonzero)
    if n == 0:
        return np.nan
    ranks = stats.rankdata(np.abs(nonzero))
    w_plus = ranks[nonzero > 0].sum()
    _, ties = np.unique(ranks, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - (ties**3 - ties).sum() / 48
    if variance <= 0:
        return np.nan
    return (w_plus - n * (n + 1) / 4) / np.sqrt(variance)


def pooled(yi: np.ndarray, vi: np.ndarray) -> dict[str, float]:
    """DerSimonian–Laird and REML random-effects estimates of the mean change."""
    weights = 1 / vi
    fixed = np.sum(weights * yi) / np.sum(weights)
    q = np.sum(weights * (yi - fixed) ** 2)
    c = np.sum(weights) - np.sum(weights**2) / np.sum(weights)
    tau2_dl = max(0.0, (q - (len(yi) - 1)) / c) if c > 0 else 0.0
    tau2 = tau2_dl
    for _ in range(100):
        w = 1 / (vi + tau2)
        mu = np.sum(w * yi) / np.sum(w)
        step = (np.sum(w**2 * ((yi - mu) ** 2 - vi)) / np.sum(w**2) + 1 / np.sum(w)) - tau2
        tau2 = max(0.0, tau2 + step)
        if abs(step) < 1e-10:
            break
    w_dl, w_reml = 1 / (vi + tau2_dl), 1 / (vi + tau2)
    return {
        "dl": float(np.sum(w_dl * yi) / np.sum(w_dl)),
        "reml": float(np.sum(w_reml * yi) / np.sum(w_reml)),
        "tau2_reml": float(tau2),
    }


def analyse(folder: Path) -> pd.DataFrame:
    config = yaml.safe_load((folder / "config/config.yaml").read_text())
    instrument = config["instrument"]
    domains = [domain["id"] for domain in instrument["domains"]]
    low, high = instrument["scale"]["min"], instrument["scale"]["max"]
    registry = pd.read_csv(folder / "config/sites.tsv", sep="\t", dtype=str)
    rows = []
    for site_id, data in zip(registry["site_id"], registry["data"], strict=True):
        changes = site_changes(folder / "data" / data, domains, low, high)
        rows += [{"site_id": site_id, **row} for row in changes]
    per_site = pd.DataFrame(rows)
    results = []
    for (role, outcome), group in per_site.groupby(["role", "outcome"], sort=True):
        usable = group[(group["n"] > 1) & (group["sd"] > 0)]
        if len(usable) < 2:
            continue
        vi = (usable["sd"] ** 2 / usable["n"]).to_numpy()
        results.append({"role": role, "outcome": outcome, **pooled(usable["mean"].to_numpy(), vi)})
    return pd.DataFrame(results)


def main() -> None:
    started = time.perf_counter()
    table = analyse(Path(sys.argv[1]))
    print(f"minimal floor: {len(table)} pooled analyses in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
