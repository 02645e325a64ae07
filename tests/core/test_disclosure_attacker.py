"""Play the attacker: from each summary row a site exports (``revmentor export-summary``),
try to rebuild the participants' values, at n = 2 … 12 pairs.

For each exported row the attacker lists every multiset of whole-number values that agrees
with everything the row carries:

- the differences (−4 … 4 for a domain, −28 … 28 for the total): n, mean and SD (so their
  sum and sum of squares) and, where exported, the sign counts, W+, the Wilcoxon variance
  (its tie term), the Hodges–Lehmann estimate and interval;
- the pre scores and the post scores (1 … 5, or 7 … 35): n, mean, SD and, where exported,
  median and quartiles.

Domains are brute-forced over every multiset of the scale (no code of the package decides
which fit); totals use the package's pruned search, which
``test_the_search_finds_exactly_what_brute_force_finds`` checks against brute force.

The policy (docs/disclosure.md) promises: no row below ``min_pairs_summary``; below
``min_pairs_order_statistics`` no order or rank statistic; and at any n, a mean and SD
that fit one multiset only leave the site only when every count of that multiset is at
least ``min_cell`` (it then says no more than a Likert table the policy lets out). The
test fails where an exported row breaks that promise: a rebuilt multiset that is the only
fit and has a count from 1 to min_cell − 1, from the columns that row may carry at its n.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revmentor.core.config import load_config
from revmentor.core.disclosure import (
    ORDER_STATISTICS,
    RANK_STATISTICS,
    DisclosurePolicy,
    fitting_multisets,
)
from revmentor.core.instrument import TOTAL, Instrument
from revmentor.simulate.consortium import responses_text
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.site_export import export_summary
from revmentor.stats.paired import HodgesLehmann, hodges_lehmann
from revmentor.stats.site_summary import quantiles
from revmentor.stats.wilcoxon import SignedRank, signed_rank_spss

ROOT = Path(__file__).resolve().parents[2]
POLICY = DisclosurePolicy()
SITES_PER_N = 3
SEED = 20260101


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    config = load_config(ROOT / "config/config.yaml", ROOT / "workflow/schemas/config.schema.yaml")
    return Instrument.from_config(config["instrument"])


@cache
def brute_force(n: int, low: int, high: int) -> dict[tuple[int, int], list[tuple[int, ...]]]:
    """Every multiset of n values from low to high, keyed by (sum, sum of squares)."""
    table: dict[tuple[int, int], list[tuple[int, ...]]] = defaultdict(list)
    for values in itertools.combinations_with_replacement(range(low, high + 1), n):
        table[(sum(values), sum(v * v for v in values))].append(values)
    return table


def sums(n: int, mean: float, sd: float) -> tuple[int, int]:
    total = round(mean * n)
    return total, round((n - 1) * sd * sd + total * total / n)


def candidates(n: int, mean: float, sd: float, low: int, high: int) -> list[tuple[int, ...]]:
    return fits_of_sums(n, *sums(n, mean, sd), low, high)


@cache
def fits_of_sums(n: int, total: int, squares: int, low: int, high: int) -> list[tuple[int, ...]]:
    """Every multiset with these sums. Each row's mean and SD are searched twice (alone,
    then with the rest of the row) and rows repeat across sites: the search, most of this
    test's time, runs once per distinct question."""
    if high - low <= 8:
        return brute_force(n, low, high).get((total, squares), [])
    return [
        tuple(sorted(Counter(fit).elements()))
        for fit in fitting_multisets(n, total, squares, low, high, limit=None)
    ]


def close(a: float, b: object) -> bool:
    return b is None or pd.isna(b) or math.isclose(a, float(b), rel_tol=1e-9, abs_tol=1e-9)


# The same candidate differences come back for many rows: each is tested once.
@cache
def signed_rank(values: tuple[int, ...]) -> SignedRank:
    return signed_rank_spss(np.array(values, dtype=float))


@cache
def hodges_lehmann_of(values: tuple[int, ...]) -> HodgesLehmann | None:
    return hodges_lehmann(np.array(values, dtype=float))


def agrees_as_differences(values: tuple[int, ...], row: pd.Series) -> bool:
    """Whether these differences give the row's exported sign, rank and Hodges–Lehmann
    statistics (the cheap counts first: most candidates fail there)."""
    if pd.isna(row["n_positive"]):
        sign_checks = []
    else:
        positive = sum(v > 0 for v in values)
        negative = sum(v < 0 for v in values)
        if positive != row["n_positive"] or negative != row["n_negative"]:
            return False
        test = signed_rank(values)
        sign_checks = [
            (test.w_plus, "w_plus"),
            (test.variance if test.n_nonzero else None, "wilcoxon_var"),
        ]
    if not all(value is None or close(value, row[column]) for value, column in sign_checks):
        return False
    if pd.isna(row["hl_estimate"]):
        return True
    hl = hodges_lehmann_of(values)
    return all(
        close(value, row[column])
        for value, column in (
            (hl.estimate, "hl_estimate"),
            (hl.ci_low, "hl_ci_low"),
            (hl.ci_high, "hl_ci_high"),
        )
    )


@cache
def score_quantiles(values: tuple[int, ...]) -> tuple[float | None, float | None, float | None]:
    """The package's median and quartiles of a candidate: the same candidates come back for
    many rows (every domain's scores fit the same few multisets)."""
    return quantiles(np.array(values, dtype=float))


def agrees_as_scores(values: tuple[int, ...], row: pd.Series, when: str) -> bool:
    median, q1, q3 = score_quantiles(values)
    return all(
        close(value, row[f"{name}_{when}"])
        for value, name in ((median, "median"), (q1, "q1"), (q3, "q3"))
    )


def small_cell(values: tuple[int, ...]) -> bool:
    return any(0 < count < POLICY.min_cell for count in Counter(values).values())


def simulated_exports(instrument: Instrument, n: int, tmp: Path):
    """Each simulated site's responses and the summary it exports, at n pairs per role."""
    for index in range(SITES_PER_N):
        design = SiteDesign(
            f"n{n}s{index}", {"mentor": n, "mentee": n}, p_missing_score=0.0, p_dropout=0.0
        )
        responses = simulate_site(design, instrument, SEED + index)
        path = tmp / f"{design.site_id}.csv"
        path.write_text(responses_text(responses), encoding="utf-8")
        exported = export_summary(path, path.name, design.site_id, instrument, SEED, POLICY)
        assert exported.csv is not None, exported.report.to_markdown()
        summary = pd.read_csv(pd.io.common.StringIO(exported.csv), keep_default_na=True)
        yield responses, summary, exported.withheld


def true_values(responses: pd.DataFrame, instrument: Instrument, role: str, outcome: str):
    rows = responses[responses["role"] == role]
    columns = list(instrument.domain_ids) if outcome == TOTAL else [outcome]
    scores = {
        when: rows[rows["timepoint"] == when].set_index("participant_id")[columns].sum(axis=1)
        for when in instrument.timepoints
    }
    pre, post = (scores[when].sort_index() for when in instrument.timepoints)
    return {
        "differences": tuple(sorted((post - pre).astype(int))),
        "pre": tuple(sorted(pre.astype(int))),
        "post": tuple(sorted(post.astype(int))),
    }


def attack(row: pd.Series, n: int, low: int, high: int, truth: dict) -> dict[str, list]:
    """The multisets that agree with the row, for the differences, pre and post scores."""
    width = high - low
    found = {}
    if not pd.isna(row["sd_diff"]):
        found["differences"] = [
            values
            for values in candidates(n, row["mean_diff"], row["sd_diff"], -width, width)
            if agrees_as_differences(values, row)
        ]
    for when in ("pre", "post"):
        if not pd.isna(row[f"sd_{when}"]):
            found[when] = [
                values
                for values in candidates(n, row[f"mean_{when}"], row[f"sd_{when}"], low, high)
                if agrees_as_scores(values, row, when)
            ]
    for what, fits in found.items():
        # The attacker is right about what it finds: the truth is always among the fits.
        assert truth[what] in fits, (what, truth[what])
    return found


def moment_breaches(row: pd.Series, n: int, low: int, high: int) -> list[tuple]:
    """At every exported n, the mean and SD alone (the rank and order statistics aside)
    must not pin down a multiset with a small count."""
    width = high - low
    breaches = []
    for what, lo, hi in (("diff", -width, width), ("pre", low, high), ("post", low, high)):
        mean, sd = row[f"mean_{what}"], row[f"sd_{what}"]
        if pd.isna(sd):
            continue
        fits = candidates(n, mean, sd, lo, hi)
        if len(fits) == 1 and small_cell(fits[0]):
            breaches.append((n, row["role"], row["outcome"], f"{what} from mean and SD", fits[0]))
    return breaches


def test_no_exported_row_gives_individual_values_away(instrument, tmp_path):
    tried = Counter()
    unique_allowed = Counter()
    withheld_rows = Counter()
    withheld_cells = Counter()
    breaches = []
    for n in range(2, 13):
        for responses, summary, withheld in simulated_exports(instrument, n, tmp_path):
            for item in withheld:
                if item.whole_row:
                    withheld_rows[n] += 1
                else:
                    withheld_cells[n] += len(item.columns)
            if n < POLICY.min_pairs_summary:
                assert summary.empty, f"rows exported at n = {n}"
                continue
            for _, row in summary.iterrows():
                assert row["n_pairs"] == n
                if n < POLICY.min_pairs_order_statistics:
                    assert row[list(ORDER_STATISTICS + RANK_STATISTICS)].isna().all()
                low, high = instrument.outcome_range(row["outcome"])
                truth = true_values(responses, instrument, row["role"], row["outcome"])
                breaches += moment_breaches(row, n, low, high)
                for what, fits in attack(row, n, low, high, truth).items():
                    tried[n] += 1
                    if len(fits) != 1:
                        continue
                    if small_cell(fits[0]) and n < POLICY.min_pairs_order_statistics:
                        breaches.append((n, row["role"], row["outcome"], what, fits[0]))
                    else:
                        unique_allowed[n] += 1
    print(f"\nreconstructions tried, by n: {dict(tried)}")
    print(
        f"unique without a small cell, or from rank/order statistics at n >= "
        f"{POLICY.min_pairs_order_statistics}: {dict(unique_allowed)}"
    )
    print(f"rows withheld, by n: {dict(withheld_rows)}; cells withheld: {dict(withheld_cells)}")
    assert sum(tried.values()) > 0
    assert breaches == []


@pytest.mark.parametrize("n", range(2, 7))
def test_the_search_finds_exactly_what_brute_force_finds(n):
    for low, high in ((-4, 4), (1, 5)):
        for key, multisets in brute_force(n, low, high).items():
            fits = fitting_multisets(n, *key, low, high, limit=None)
            found = sorted(tuple(sorted(Counter(fit).elements())) for fit in fits)
            assert found == sorted(multisets), (n, key)
