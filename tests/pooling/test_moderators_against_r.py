"""Meta-regression, subgroups and influence against R's metafor 3.8.1 (moderators.json, made
by tests/fixtures/reference/make_moderator_fixtures.R; see the README there)."""

from __future__ import annotations

import numpy as np
import pytest

from revmentor.core.moderators import Moderator
from revmentor.pooling import batch
from revmentor.pooling.influence import influence_diagnostics
from revmentor.pooling.moderators import design, meta_regression, subgroup_analysis
from tests.reference import load

DATASETS = load("moderators")["datasets"]
TERM_FIELDS = ("estimate", "se", "stat", "p", "ci_low", "ci_high")
MODEL_FIELDS = (
    "k", "qm", "qm_df1", "qm_df2", "qm_p", "qe", "qe_df", "qe_p", "tau2", "i2", "r2",
)  # fmt: skip
SUBGROUP_FIELDS = ("k", "estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2")
INFLUENCE_FIELDS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight")
BAUJAT = {"heterogeneity_contribution": "baujat_x", "influence_on_result": "baujat_y"}
# REML and PM are iterative on both sides (metafor's threshold tightened to 1e-12, its PM
# root to 1e-14): the issue allows 5e-5 there; closed forms (FE, DL) must agree to 1e-6.
RELATIVE = {"FE": 1e-6, "DL": 1e-6, "REML": 5e-5, "PM": 5e-5}
# A true 0 (tau2 on the boundary, r2 clipped at 0) can come out as ~1e-13 on either side.
ABSOLUTE = 1e-10


def our_test(r_test: str) -> str:
    return "hksj" if r_test == "knha" else "z"


def disagreements(ours: dict, reference: dict, fields, method: str) -> dict:
    """{field: (ours, R)} for every field that differs beyond the method's tolerance."""
    wrong = {}
    for field in fields:
        actual, expected = ours[field], reference[field]
        if expected is None or actual is None:
            if not (expected is None and actual is None):
                wrong[field] = (actual, expected)
        elif actual != pytest.approx(expected, rel=RELATIVE[method], abs=ABSOLUTE):
            wrong[field] = (actual, expected)
    return wrong


def moderator_of(entry: dict) -> Moderator:
    return Moderator(entry["id"], entry["type"], entry["id"], tuple(entry["levels"]))


def analysed(dataset: dict, entry: dict) -> tuple[np.ndarray, np.ndarray, list]:
    """y, v and moderator values of the sites whose value is known (the others leave)."""
    keep = np.array(entry["included"], dtype=bool)
    values = [value for value, known in zip(entry["values"], keep, strict=True) if known]
    return np.array(dataset["yi"])[keep], np.array(dataset["vi"])[keep], values


def cases(kind: str):
    for dataset in DATASETS:
        for entry in dataset["moderators"]:
            for reference in entry.get(kind) or ():
                test = our_test(reference["test"])
                yield pytest.param(
                    dataset, entry, reference,
                    id=f"{dataset['name']}-{entry['id']}-{reference['method']}-{test}",
                )  # fmt: skip


REGRESSIONS = [case for case in cases("regression") if "terms" in case.values[2]]
REDUNDANT = [case for case in cases("regression") if "r_dropped_terms" in case.values[2]]


@pytest.mark.parametrize(("dataset", "entry", "reference"), REGRESSIONS)
def test_meta_regression_matches_metafor(dataset, entry, reference):
    y, v, values = analysed(dataset, entry)
    x, names, _ = design(moderator_of(entry), values)
    method = reference["method"]
    fit = meta_regression(y, v, x, names, method, our_test(reference["test"]))
    assert [term.name for term in fit.terms] == [term["name"] for term in reference["terms"]]
    wrong = {
        term["name"]: disagreements(vars(ours), term, TERM_FIELDS, method)
        for ours, term in zip(fit.terms, reference["terms"], strict=True)
    }
    wrong["model"] = disagreements(vars(fit), reference["model"], MODEL_FIELDS, method)
    assert not any(wrong.values()), wrong


@pytest.mark.parametrize(("dataset", "entry", "reference"), REDUNDANT)
def test_a_constant_moderator_is_not_fitted_where_metafor_drops_it(dataset, entry, reference):
    """metafor drops the constant column with a warning and fits the intercept alone; the
    issue wants empty cells and a note instead."""
    assert reference["warnings"] == ["Redundant predictors dropped from the model."]
    y, v, values = analysed(dataset, entry)
    x, names, _ = design(moderator_of(entry), values)
    fit = meta_regression(y, v, x, names, reference["method"], our_test(reference["test"]))
    assert [term.name for term in fit.terms] == ["intrcpt", entry["id"]]
    assert all(getattr(term, field) is None for term in fit.terms for field in TERM_FIELDS)
    assert (fit.qm, fit.tau2, fit.r2) == (None, None, None)
    assert fit.notes == (
        "the moderator has the same value at every site, so its effect cannot be estimated",
    )


@pytest.mark.parametrize(("dataset", "entry", "reference"), list(cases("subgroups")))
def test_subgroups_match_metafor(dataset, entry, reference):
    y, v, values = analysed(dataset, entry)
    method = reference["method"]
    result = subgroup_analysis(y, v, values, entry["levels"], method, our_test(reference["test"]))
    assert [group.level for group in result.subgroups] == entry["levels_with_sites"]
    wrong = {
        group.level: disagreements(vars(group), expected, SUBGROUP_FIELDS, method)
        for group, expected in zip(result.subgroups, reference["subgroups"], strict=True)
    }
    wrong["between"] = disagreements(
        vars(result), reference, ("q_between", "q_between_df", "q_between_p"), method
    )
    assert not any(wrong.values()), wrong


def influence_cases():
    for dataset in DATASETS:
        for reference in dataset["influence"]:
            yield pytest.param(dataset, reference, id=f"{dataset['name']}-{reference['method']}")


@pytest.mark.parametrize("exact_up_to", [batch.EXACT_UP_TO_SITES, 0], ids=["exact", "moments"])
@pytest.mark.parametrize(("dataset", "reference"), list(influence_cases()))
def test_influence_and_baujat_match_metafor(monkeypatch, exact_up_to, dataset, reference):
    """Leave-one-out fits from exact row sums and from interpolated moments."""
    monkeypatch.setattr(batch, "EXACT_UP_TO_SITES", exact_up_to)
    method = reference["method"]
    ours = influence_diagnostics(np.array(dataset["yi"]), np.array(dataset["vi"]), method)
    wrong = {}
    for field in INFLUENCE_FIELDS:
        for site, actual, expected in zip(
            dataset["site_ids"], ours[field], reference[field], strict=True
        ):
            if actual != pytest.approx(expected, rel=RELATIVE[method], abs=ABSOLUTE):
                wrong[f"{field}[{site}]"] = (float(actual), expected)
    for field, r_field in BAUJAT.items():
        for site, actual, expected in zip(
            dataset["site_ids"], ours[field], reference[r_field], strict=True
        ):
            if actual != pytest.approx(expected, rel=RELATIVE[method], abs=ABSOLUTE):
                wrong[f"{field}[{site}]"] = (float(actual), expected)
    assert not wrong, wrong
    assert [bool(flag) for flag in ours["influential"]] == reference["influential"]


def test_the_fixture_holds_the_edge_cases_the_issue_names():
    """Guards the fixture: regenerating it without these cases would hollow out the tests."""
    hand = next(dataset for dataset in DATASETS if dataset["name"] == "hand_k8")
    moderators = {entry["id"]: entry for entry in hand["moderators"]}
    setting = moderators["setting"]
    assert setting["values"][4] is None and setting["k"] == 7  # s5 unknown: it leaves
    assert setting["levels_with_sites"] == ["teaching", "district", "community"]  # no rural
    single = [g for g in setting["subgroups"][4]["subgroups"] if g["level"] == "community"]
    assert single[0]["k"] == 1 and single[0]["test_used"] == "z"  # REML x knha row
    assert moderators["region"]["reference"] == "south"  # declared reference has no site
    assert all(entry["influential"][3] for entry in hand["influence"])  # s4 is flagged
    bcg = next(dataset for dataset in DATASETS if dataset["name"] == "bcg_logrr")
    assert [entry["id"] for entry in bcg["moderators"]] == ["ablat", "alloc"]
    assert bcg["moderators"][1]["levels"] == ["random", "alternate", "systematic"]
