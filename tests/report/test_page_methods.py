"""The methods paragraph follows the config: each estimator, test and rule, with its reference."""

from __future__ import annotations

import pytest

from revmentor.report.page.methods import REFERENCES, methods_paragraphs

POOLING = {"measure": "MD", "method": "REML", "test": "hksj", "level": 0.95}


def paragraphs(**changes) -> str:
    values = {
        "pooling": POOLING,
        "report": {"alpha": 0.05},
        "replication": {"sesoi_per_domain": 0.5},
        "disclosure": {"min_cell": 5},
        "validation": {"on_invalid_site": "stop"},
        "moderator_labels": ["Hospital type", "Hours of mentoring"],
        "n_domains": 7,
        "scale": (1, 5),
    } | changes
    return "\n".join(methods_paragraphs(**values))


def test_the_primary_analysis_is_named_with_its_references():
    text = paragraphs()
    assert "restricted maximum likelihood for τ² (Viechtbauer 2005)" in text
    assert "the Knapp–Hartung test, t with k − 1 degrees of freedom (Knapp & Hartung 2003)" in text
    assert "95% confidence intervals" in text
    assert "Hospital type and Hours of mentoring" in text
    assert "shown as <5" in text
    assert "a site that failed validation stopped the run" in text
    assert "7–35" in text


@pytest.mark.parametrize(
    ("pooling", "phrase"),
    [
        ({"method": "DL"}, "DerSimonian–Laird estimator of τ² (DerSimonian & Laird 1986)"),
        ({"method": "PM"}, "Paule–Mandel estimator of τ² (Paule & Mandel 1982)"),
        (
            {"test": "z"},
            "with restricted maximum likelihood for τ² (Viechtbauer 2005) and a z test",
        ),
        ({"measure": "SMCC"}, "standardised mean change with the change-score SD"),
        ({"level": 0.9}, "90% confidence intervals"),
    ],
)
def test_a_changed_setting_changes_the_words(pooling, phrase):
    assert phrase in paragraphs(pooling=POOLING | pooling)


def test_rules_that_are_off_or_absent_are_not_claimed():
    text = paragraphs(disclosure={"min_cell": 0}, moderator_labels=[])
    assert "suppressed" not in text and "meta-regression" not in text
    assert "excluded, with the reason recorded" in paragraphs(
        validation={"on_invalid_site": "exclude"}
    )


def test_every_cited_work_is_in_the_reference_list():
    text = paragraphs()
    cited = {
        "Viechtbauer 2005",
        "Knapp & Hartung 2003",
        "Higgins & Thompson 2002",
        "Viechtbauer 2007",
        "Viechtbauer 2010",
        "Viechtbauer & Cheung 2010",
        "Wilson 1927",
        "Clopper & Pearson 1934",
        "Patil, Peng & Leek 2016",
        "Held, Micheloud & Pawel 2022",
        "Mathur & VanderWeele 2020",
        "Simonsohn 2015",
        "Lakens 2017",
        "Raju et al. 2022",
    }
    for citation in cited:
        assert citation in text, citation
        author, year = citation.split()[0].rstrip(","), citation.split()[-1]
        assert any(ref.startswith(author) and year in ref for ref in REFERENCES), citation
