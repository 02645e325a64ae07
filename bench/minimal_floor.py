"""The floor of issue 15: the least a hand-written script does with a consortium, in one
process, with no workflow and none of the package's code.

It reads every site's responses file named in ``config/sites.tsv`` (CSV), checks that every
score is on the scale, and per site × role × outcome (the domains and their total) computes
the paired changes' n, mean, SD, median and Wilcoxon signed-rank p (normal approximation);
then pools the mean changes of every role × outcome by DerSimonian–Laird and by REML
(Fisher scoring). It prints its wall time. ``bench/run_bench.py`` runs it beside the
workflow so that the ratio is measured in the same run:

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

TIMEPOINTS = ("pre", "post")


def site_changes(frame: pd.DataFrame, domains: list[str], low: int, high: int) -> list[dict]:
    scores = frame[domains]
    off_scale = scores.notna() & ((scores < low) | (scores > high))
    if off_scale.to_numpy().any():
        raise ValueError(f"site {frame['site_id'].iloc[0]}: a score is off the scale")
    frame = frame.assign(total=scores.sum(axis=1, min_count=len(domains)))
    rows = []
    for role, group in frame.groupby("role", sort=True):
        wide = group.pivot_table(
            index="participant_id", columns="timepoint", values=[*domains, "total"]
        )
        for outcome in (*domains, "total"):
            if (outcome, "post") not in wide or (outcome, "pre") not in wide:
                continue
            changes = (wide[(outcome, "post")] - wide[(outcome, "pre")]).dropna().to_numpy()
            n = len(changes)
            nonzero = changes[changes != 0]
            rows.append(
                {
                    "role": role,
                    "outcome": outcome,
                    "n": n,
                    "mean": changes.mean() if n else np.nan,
                    "sd": changes.std(ddof=1) if n > 1 else np.nan,
                    "median": np.median(changes) if n else np.nan,
                    # The normal approximation: scipy's default turns to a permutation
                    # test when small samples have ties, 0.8 s a call.
                    "wilcoxon_p": (
                        stats.wilcoxon(nonzero, method="asymptotic").pvalue
                        if len(nonzero)
                        else np.nan
                    ),
                }
            )
    return rows


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
        frame = pd.read_csv(folder / "data" / data)
        rows += [{"site_id": site_id, **row} for row in site_changes(frame, domains, low, high)]
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
