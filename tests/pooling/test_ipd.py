"""The one-stage random-intercept model against nlme/lme4, its edge cases, and the pooled
quartiles."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from revmentor.core.instrument import TOTAL
from revmentor.core.tables import csv_text
from revmentor.pooling import ipd
from revmentor.pooling.descriptives import DESCRIPTIVE_COLUMNS, pooled_descriptives
from revmentor.pooling.ipd import (
    MIXED_MODEL_KEYS,
    NOTE_BOUNDARY,
    NOTE_CONSTANT,
    NOTE_NO_PARTICIPANTS,
    NOTE_NO_REPLICATION,
    NOTE_NO_WITHIN,
    NOTE_NOT_CONVERGED,
    NOTE_ONE_PARTICIPANT,
    NOTE_ONE_SITE,
    change_scores,
    ipd_table,
    mixed_model,
    reml_slope_at_zero,
)
from revmentor.stats.distributions import change_table, likert_counts
from tests.reference import close, load

REFERENCE = load("mixed_model")
FIELDS = {
    "estimate": "fixed_effect",
    "se": "fixed_effect_se",
    "between_site_variance": "site_variance",
    "residual_variance": "residual_variance",
}


def changes_of(sites: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(site, value) for site, values in sites.items() for value in values],
        columns=["site_id", "change"],
    )


def reference_changes() -> pd.DataFrame:
    data = REFERENCE["data"]
    return pd.DataFrame({"site_id": data["site"], "change": data["change"]})


def profiled_reml(changes: pd.DataFrame) -> dict[str, float]:
    """An independent REML solution: the root of the profiled criterion's derivative in
    λ = σ²_site/σ² (the method of the R script's manual_reml)."""
    groups = [g.to_numpy(dtype=float) for _, g in changes.groupby("site_id")["change"]]
    n = np.array([len(g) for g in groups], dtype=float)
    total = n.sum()

    def pieces(lam):
        weight = np.sum(n / (1 + n * lam))
        mu = np.sum([g.sum() for g in groups] / (1 + n * lam)) / weight
        sums = np.array([np.sum(g - mu) for g in groups])
        q = sum(np.sum((g - mu) ** 2) for g in groups) - np.sum(lam / (1 + n * lam) * sums**2)
        return weight, mu, sums, q

    def slope(lam):
        weight, _, sums, q = pieces(lam)
        dq = -np.sum(sums**2 / (1 + n * lam) ** 2)
        dweight = -np.sum(n**2 / (1 + n * lam) ** 2)
        return (total - 1) * dq / q + np.sum(n / (1 + n * lam)) + dweight / weight

    lam = optimize.brentq(slope, 0, 1e3, xtol=1e-15, rtol=8.9e-16) if slope(0) < 0 else 0.0
    weight, mu, _, q = pieces(lam)
    residual = q / (total - 1)
    return {
        "estimate": mu,
        "se": math.sqrt(residual / weight),
        "between_site_variance": lam * residual,
        "residual_variance": residual,
    }


@pytest.mark.parametrize("source", ["nlme", "manual_reml", "lme4"])
def test_reml_matches_r(source):
    fit = mixed_model(reference_changes())
    reference = REFERENCE[source]
    # lme4 itself agrees with nlme only to ~5e-10 (see the fixtures' README).
    rel = 1e-8 if source == "lme4" else 1e-9
    for ours, theirs in FIELDS.items():
        assert close(fit[ours], reference[theirs], rel=rel), ours
    assert (fit["k_sites"], fit["n_participants"], fit["converged"]) == (5, 33, True)
    assert fit["note"] == ""


def test_confidence_interval_is_normal():
    fit = mixed_model(reference_changes(), level=0.90)
    half = 1.6448536269514722 * fit["se"]
    assert fit["ci_low"] == pytest.approx(fit["estimate"] - half, rel=1e-12)
    assert fit["ci_high"] == pytest.approx(fit["estimate"] + half, rel=1e-12)


def test_small_between_site_variance_matches_an_independent_reml():
    # BFGS alone from statsmodels' start stops here with "precision loss"; σ²_site/σ² ≈ 0.03.
    changes = changes_of(
        {
            "a": [5, 2, 4, 5, 4],
            "b": [3, 2, 3, 1, 2, 2],
            "c": [1, 5, 0, 0, 1, 5, 4],
            "d": [5, 1, 4, 2, 2, 0, 3, 4],
        }
    )
    expected = profiled_reml(changes)
    assert 0 < expected["between_site_variance"] < 0.05 * expected["residual_variance"]
    fit = mixed_model(changes)
    assert fit["converged"]
    for field, value in expected.items():
        assert fit[field] == pytest.approx(value, rel=1e-6), field


def test_equal_site_means_put_the_site_variance_on_the_boundary():
    values = [1, 2, 3, 4]
    changes = changes_of({"a": values, "b": values[::-1], "c": [2, 3, 1, 4]})
    assert reml_slope_at_zero(changes) > 0
    fit = mixed_model(changes)
    assert fit["note"] == NOTE_BOUNDARY and fit["between_site_variance"] == 0
    assert fit["estimate"] == pytest.approx(2.5)
    assert fit["residual_variance"] == pytest.approx(np.var(values * 3, ddof=1))
    assert fit["se"] == pytest.approx(np.std(values * 3, ddof=1) / math.sqrt(12))
    assert fit["se"] == pytest.approx(profiled_reml(changes)["se"], rel=1e-12)


def test_one_site_is_an_intercept_only_ols():
    fit = mixed_model(changes_of({"a": [1, 2, 6]}))
    assert fit["note"] == NOTE_ONE_SITE and fit["between_site_variance"] is None
    assert (fit["estimate"], fit["residual_variance"]) == pytest.approx((3, 7))
    assert fit["se"] == pytest.approx(math.sqrt(7 / 3))
    assert fit["k_sites"] == 1


def test_one_participant_per_site_cannot_separate_the_variances():
    fit = mixed_model(changes_of({"a": [1], "b": [2], "c": [6]}))
    assert fit["note"] == NOTE_NO_REPLICATION and fit["between_site_variance"] is None
    assert fit["estimate"] == pytest.approx(3)


@pytest.mark.parametrize(
    ("sites", "note", "estimate"),
    [
        ({}, NOTE_NO_PARTICIPANTS, None),
        ({"a": [4]}, NOTE_ONE_PARTICIPANT, 4.0),
        ({"a": [2, 2], "b": [2, 2, 2]}, NOTE_CONSTANT, 2.0),
        ({"a": [1, 1, 1], "b": [3, 3]}, NOTE_NO_WITHIN, None),
    ],
)
def test_degenerate_data_give_a_note_not_an_error(sites, note, estimate):
    fit = mixed_model(changes_of(sites))
    assert tuple(fit) == MIXED_MODEL_KEYS
    assert fit["note"] == note and fit["estimate"] == estimate
    assert fit["se"] is None and fit["ci_low"] is None
    assert fit["n_participants"] == sum(len(v) for v in sites.values())


def test_non_convergence_is_reported_not_raised(monkeypatch):
    """From a poor start, one BFGS step cannot converge: a note, not an exception."""
    monkeypatch.setattr(ipd, "profile_reml", lambda changes: (0.0, 0.01, 1.0))
    fit = mixed_model(reference_changes(), max_iterations=1)
    assert fit["converged"] is False and fit["note"] == NOTE_NOT_CONVERGED
    assert all(math.isfinite(fit[key]) for key in FIELDS)


def clean_table(instrument, sites_rows):
    """{participant: (role, {timepoint: total or None})}; a total t spread over the domains."""
    rows = []
    for participant, (role, by_time) in sites_rows.items():
        for timepoint, total in by_time.items():
            if total is None:
                continue
            scores = np.full(len(instrument.domain_ids), instrument.scale_min)
            extra = total - scores.sum()
            for index in range(len(scores)):
                step = min(extra, instrument.scale_max - instrument.scale_min)
                scores[index] += step
                extra -= step
            rows.append(
                {"participant_id": participant, "role": role, "timepoint": timepoint}
                | dict(zip(instrument.domain_ids, scores.tolist(), strict=True))
            )
    frame = pd.DataFrame(rows)
    for domain in instrument.domain_ids:
        frame[domain] = pd.array(frame[domain], dtype="Int64")
    return frame


@pytest.fixture
def cleans(instrument):
    return {
        "north": clean_table(
            instrument,
            {
                "n1": ("mentor", {"pre": 21, "post": 27}),
                "n2": ("mentor", {"pre": 23, "post": 29}),
                "n3": ("mentor", {"pre": 25, "post": None}),
            },
        ),
        "south": clean_table(
            instrument,
            {
                "s1": ("mentor", {"pre": 22, "post": 30}),
                "s2": ("mentor", {"pre": 24, "post": 28}),
                "s3": ("mentor", {"pre": 26, "post": 31}),
                "s4": ("mentor", {"pre": 25, "post": 32}),
                "s5": ("mentee", {"pre": 20, "post": 22}),
            },
        ),
    }


@pytest.fixture
def changes(cleans, instrument):
    return pd.concat(
        [change_table(clean, instrument, site) for site, clean in cleans.items()],
        ignore_index=True,
    )


def test_change_scores_reuse_the_site_pairing(changes):
    changes_all = changes
    changes = change_scores(changes_all, "mentor", TOTAL)
    assert list(changes.columns) == ["site_id", "change"]
    assert changes["site_id"].tolist() == ["north", "north", "south", "south", "south", "south"]
    assert changes["change"].tolist() == [6, 6, 8, 4, 5, 7]
    mentees = change_scores(changes_all, "mentee", TOTAL)
    assert mentees["site_id"].tolist() == ["south"]
    assert change_scores(changes_all.iloc[0:0], "mentor", TOTAL).empty


def test_pooled_quartiles_over_all_sites_are_spss_type_6(cleans, instrument):
    """From the sites' score counts alone: the same quartiles as from the raw scores."""
    counts = pd.concat(
        [likert_counts(clean, instrument, site) for site, clean in cleans.items()],
        ignore_index=True,
    )
    table = pooled_descriptives(counts, instrument)
    assert tuple(table.columns) == DESCRIPTIVE_COLUMNS
    assert len(table) == len(instrument.roles) * len(instrument.outcomes)
    total = table[(table["role"] == "mentor") & (table["outcome"] == TOTAL)].iloc[0]
    assert (total["k_sites"], total["n_pairs"]) == (2, 6)
    # pre 21 22 23 24 25 26: positions p(n + 1) = 1.75, 3.5, 5.25.
    assert (total["q1_pre"], total["median_pre"], total["q3_pre"]) == (21.75, 23.5, 25.25)
    # post 27 28 29 30 31 32
    assert (total["q1_post"], total["median_post"], total["q3_post"]) == (27.75, 29.5, 31.25)
    mentee = table[(table["role"] == "mentee") & (table["outcome"] == TOTAL)].iloc[0]
    assert (mentee["k_sites"], mentee["n_pairs"], mentee["median_pre"]) == (1, 1, 20)


def test_the_one_stage_table_does_not_depend_on_the_order_sites_arrive_in(instrument):
    """The workflow gathers the change tables shard by shard, so the shard count decides
    the order of the sites' rows; the table must come out the same, to the last bit."""
    rng = np.random.default_rng(11)
    blocks = [
        pd.DataFrame(
            {
                "site_id": f"site{number:02d}",
                "role": "mentor",
                "outcome": TOTAL,
                "change": rng.integers(-3, 12, size=int(rng.integers(4, 15))).astype(float),
            }
        )
        for number in range(40)
    ]
    tables = [
        csv_text(ipd_table(pd.concat(order, ignore_index=True), instrument, {}), for_people=True)
        for order in (blocks, blocks[::-1], blocks[1::2] + blocks[::2])
    ]
    assert tables[0] == tables[1] == tables[2]


def simulated_changes(seed: int, sites: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 30, size=sites)
    site_means = rng.normal(0.3, 0.4, size=sites)
    return pd.DataFrame(
        {
            "site_id": np.repeat([f"s{index:03d}" for index in range(sites)], sizes),
            "change": np.concatenate(
                [
                    rng.normal(mean, 0.8, size=size).round(1)
                    for mean, size in zip(site_means, sizes, strict=True)
                ]
            ),
        }
    )


def statsmodels_fit(changes: pd.DataFrame, start, max_iterations: int = ipd.MAX_ITERATIONS):
    """What the model was before: MixedLM.fit itself, from the formula interface."""
    import statsmodels.formula.api as smf

    model = smf.mixedlm("change ~ 1", changes, groups=changes["site_id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(
            start_params=start,
            reml=True,
            method=[ipd.POLISH_OPTIMISER],
            gtol=ipd.GRADIENT_TOLERANCE,
            maxiter=max_iterations,
        )
    return (
        float(fit.fe_params.iloc[0]),
        float(fit.cov_re.iloc[0, 0]),
        float(fit.scale),
        bool(fit.converged),
    )


def array_model(changes: pd.DataFrame):
    return ipd.MixedLM(
        changes["change"].to_numpy(dtype=float),
        np.ones((len(changes), 1)),
        groups=changes["site_id"].to_numpy(),
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_polish_gives_statsmodels_fit_bit_for_bit_from_the_exact_optimum(seed):
    """From the profiled optimum BFGS stops at once; skipping it (and fit's Hessian) must
    still give fit's own floats, not merely close ones."""
    changes = simulated_changes(seed)
    mu, between, residual = ipd.profile_reml(changes)
    start = ipd.MixedLMParams.from_components(
        fe_params=np.array([mu]), cov_re=np.array([[between / residual]])
    )
    assert ipd._polished(array_model(changes), start, ipd.MAX_ITERATIONS) == statsmodels_fit(
        changes, start
    )


@pytest.mark.parametrize("max_iterations", [1, 3, ipd.MAX_ITERATIONS])
def test_the_polish_runs_bfgs_as_fit_does_from_a_poor_start(max_iterations):
    """Away from the optimum the gradient test fails and BFGS runs: the same iterations,
    the same floats and the same convergence flag as fit."""
    changes = simulated_changes(7)
    start = ipd.MixedLMParams.from_components(fe_params=np.array([0.0]), cov_re=np.array([[0.5]]))
    polished = ipd._polished(array_model(changes), start, max_iterations)
    assert polished == statsmodels_fit(changes, start, max_iterations)
    assert polished[3] is (max_iterations == ipd.MAX_ITERATIONS)


def test_the_intercept_only_fit_equals_the_formula_interface():
    import statsmodels.formula.api as smf

    changes = simulated_changes(5)
    fit = smf.ols("change ~ 1", data=changes).fit()
    record = ipd._one_mean(changes, 0.95)
    assert record["estimate"] == float(fit.params.iloc[0])
    assert record["se"] == float(fit.bse.iloc[0])
    assert record["residual_variance"] == float(fit.scale)
