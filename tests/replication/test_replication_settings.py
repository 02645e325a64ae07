"""SESOI per outcome, and the checks on the original study's entries."""

from __future__ import annotations

import pytest

from revmentor.core.problems import ProblemsError
from revmentor.replication.settings import (
    check_replication_config,
    replication_config_problems,
    sesoi_by_outcome,
)


def test_half_a_point_per_domain_and_the_total_gets_one_per_domain(instrument):
    sesoi = sesoi_by_outcome(instrument, {})
    assert sesoi["clinical_practice"] == 0.5
    assert sesoi["total"] == 0.5 * len(instrument.domain_ids) == 3.5


def test_an_outcome_of_its_own_overrides_the_rule(instrument):
    sesoi = sesoi_by_outcome(instrument, {"sesoi_per_domain": 0.4, "sesoi": {"total": 3.0}})
    assert sesoi["strengths"] == 0.4 and sesoi["total"] == 3.0


def test_unknown_roles_outcomes_and_duplicates_are_named(instrument):
    original = {
        "reported": [
            {"role": "mentor", "outcome": "total", "p": 0.04},
            {"role": "registrar", "outcome": "total"},
            {"role": "mentor", "outcome": "kindness"},
        ],
        "reported_not_significant": [{"role": "mentor", "outcome": "total"}],
    }
    problems = replication_config_problems(original, {"sesoi": {"totl": 3}}, instrument)
    described = {(problem.column, problem.check): problem.message for problem in problems}
    assert described[("original_study.reported[2].role", "known_role")] == (
        "role 'registrar' is not one of instrument.roles (mentee, mentor)"
    )
    assert described[("original_study.reported[3].outcome", "known_outcome")] == (
        "outcome 'kindness' is not a domain id of the instrument or 'total'"
    )
    assert described[("original_study.reported_not_significant[1]", "listed_once")] == (
        "mentor total is already listed at original_study.reported[1]; list each role and "
        "outcome once, under reported or reported_not_significant"
    )
    assert ("replication.sesoi.totl", "known_outcome") in described
    with pytest.raises(ProblemsError, match="The replication settings in the config"):
        check_replication_config(original, {}, instrument)


def test_the_example_config_is_valid(config, instrument):
    assert (
        replication_config_problems(config["original_study"], config["replication"], instrument)
        == []
    )
