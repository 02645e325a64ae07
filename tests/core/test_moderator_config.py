"""Moderators declared in the config: what is accepted, and what is refused with the key."""

import pytest

from revmentor.core.moderators import Moderator, moderators_from_config, site_values
from revmentor.core.problems import ProblemsError


def problems_of(entries):
    with pytest.raises(ProblemsError) as caught:
        moderators_from_config(entries)
    return [(problem.column, problem.check, problem.message) for problem in caught.value.problems]


def test_declared_moderators_are_read_in_order():
    moderators = moderators_from_config(
        [
            {
                "id": "hospital_type",
                "type": "categorical",
                "label": "Hospital type",
                "levels": ["teaching", "district"],
            },
            {"id": "mentoring_hours", "type": "numeric", "label": "Mentoring hours"},
        ]
    )
    assert moderators == (
        Moderator("hospital_type", "categorical", "Hospital type", ("teaching", "district")),
        Moderator("mentoring_hours", "numeric", "Mentoring hours"),
    )
    assert moderators[0].reference == "teaching"
    assert moderators_from_config(None) == ()


def test_an_id_that_is_a_registry_column_is_refused():
    assert problems_of([{"id": "enrolled", "type": "numeric"}]) == [
        (
            "moderators[0]",
            "moderator_id_free",
            "moderators[0].id 'enrolled' is a column the site registry already has "
            "(site_id, name, data, format, enrolled, items, redcap_group); choose another id",
        )
    ]


def test_bad_ids_types_levels_and_duplicates_are_each_named():
    found = problems_of(
        [
            {"id": "Hospital Type", "type": "categorical", "levels": ["a", "b"]},
            {"id": "hours", "type": "numeric", "levels": ["4"]},
            {"id": "hours", "type": "count"},
            {"id": "kind", "type": "categorical", "levels": ["only"]},
        ]
    )
    assert sorted((column, check) for column, check, _ in found) == [
        ("moderators[0]", "moderator_id"),
        ("moderators[1]", "moderator_levels"),
        ("moderators[2]", "moderator_type"),
        ("moderators[2]", "unique_moderator_id"),
        ("moderators[3]", "moderator_levels"),
    ]
    found.sort()
    assert found[0][2].startswith("moderators[0].id 'Hospital Type' must start with a lower-case")
    assert found[1][2] == (
        "moderators[1].levels is only for categorical moderators; hours is numeric"
    )
    assert found[-1][2] == (
        "moderators[3].levels must list two or more different levels, the reference first"
    )


def test_values_are_checked_and_read():
    hours = Moderator("mentoring_hours", "numeric", "Hours")
    kind = Moderator("hospital_type", "categorical", "Type", ("teaching", "district"))
    assert hours.value_problem("12.5") is None and hours.value_problem("") is None
    assert (
        hours.value_problem("٤")
        == "'٤' is not a number (mentoring_hours is numeric, e.g. 12 or 7.5)"
    )
    assert hours.value_problem("inf") is not None
    assert kind.value_problem("Teaching") == (
        "'Teaching' is not a level of hospital_type (one of teaching, district)"
    )
    values = site_values(
        (hours, kind),
        {"a": {"mentoring_hours": "12", "hospital_type": ""}, "b": {"mentoring_hours": ""}},
    )
    assert values == {
        "mentoring_hours": {"a": 12.0, "b": None},
        "hospital_type": {"a": None, "b": None},
    }
