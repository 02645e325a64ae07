"""The answer's sentences: the same estimate and CI as the replication table, in words."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.report.page.answer import (
    answer,
    answers,
    change_words,
    number,
    original_words,
    outcome_subject,
)

PRIMARY = {
    "role": "mentor",
    "outcome": "total",
    "measure": "MD",
    "estimate": 5.18254,
    "ci_low": 1.16,
    "ci_high": 9.2149,
    "k": 6,
    "n_participants": 93,
}
CRITERIA = {
    "significance": "yes",
    "prediction_interval": "yes",
    "sceptical_p": "no",
    "p_orig": "yes",
    "small_telescopes": "yes",
    "equivalence": "yes",
}


def test_the_headline_sentence_reads_as_the_issue_asks():
    found = answer(PRIMARY, CRITERIA, "inconclusive", "Total score (7 domains, 7–35)", 6.0, 0.95)
    assert found.sentence == (
        "Mentors’ total score (7 domains, 7–35) rose by 5.18 points (95% CI 1.16 to 9.21) "
        "across 6 hospitals and 93 participants; against the original’s rise of 6 points, "
        "5 of 6 replication criteria were met (not met: sceptical p-value). "
        "Verdict: inconclusive."
    )
    assert (found.criteria_met, found.criteria_assessed) == (5, 6)


def test_criteria_that_cannot_be_assessed_are_not_counted_and_no_original_says_nothing():
    criteria = dict(CRITERIA, prediction_interval="", sceptical_p="")
    found = answer(PRIMARY, criteria, "replicated", "Total score", 6.0, 0.95)
    assert "4 of 4 replication criteria were met. Verdict: replicated." in found.sentence
    alone = answer(PRIMARY, {}, "not assessed", "Total score", None, 0.95)
    assert alone.sentence.endswith("93 participants. Verdict: not assessed.")


@pytest.mark.parametrize(
    ("estimate", "words"),
    [
        (5.18, "rose by 5.18 points"),
        (-0.4, "fell by 0.40 points"),
        (1.0, "rose by 1.00 point"),
        (0.001, "changed by 0.00 points"),
    ],
)
def test_change_words(estimate, words):
    assert change_words(estimate, "MD") == words


def test_standardised_changes_are_in_standard_deviations_and_minus_is_typeset():
    assert change_words(-0.5, "SMCC") == "fell by 0.50 standard deviations"
    assert number(-1.234) == "\u22121.23"
    assert original_words(-2, "MD") == "the original’s fall of 2 points"
    assert outcome_subject("mentee", "clinical_practice", "Clinical practice") == (
        "Mentees’ score for clinical practice"
    )


def test_a_level_other_than_95_percent_is_named():
    found = answer(PRIMARY, CRITERIA, "inconclusive", "Total score", 6.0, 0.9)
    assert "(90% CI 1.16 to 9.21)" in found.sentence


def test_an_outcome_no_site_could_pool_says_so():
    empty = dict(PRIMARY, estimate=float("nan"), note="no site had pairs", k=0, n_participants=0)
    found = answer(empty, {}, "not assessed", "Total score (7 domains, 7–35)", 6.0, 0.95)
    assert found.sentence == (
        "Mentors’ total score (7 domains, 7–35) could not be pooled (no site had pairs)."
    )


def test_answers_read_the_primary_analysis_only():
    rows = [
        dict(PRIMARY, method="REML", test="hksj"),
        dict(PRIMARY, method="DL", test="z", estimate=99.0),
    ]
    criteria = pd.DataFrame(
        [
            {"role": "mentor", "outcome": "total", "criterion": name, "success": mark}
            for name, mark in CRITERIA.items()
        ]
    )
    verdicts = pd.DataFrame([{"role": "mentor", "outcome": "total", "verdict": "inconclusive"}])
    [found] = answers(
        pd.DataFrame(rows),
        criteria,
        verdicts,
        [("mentor", "total")],
        {"measure": "MD", "method": "REML", "test": "hksj", "level": 0.95},
        {"total": "Total score"},
        {("mentor", "total"): 6.0},
    )
    assert "rose by 5.18 points" in found.sentence
