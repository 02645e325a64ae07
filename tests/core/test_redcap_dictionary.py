"""The REDCap data dictionary written from the instrument (revmentor.core.redcap)."""

from __future__ import annotations

import copy
import csv
import io

import pytest

from revmentor.core.instrument import Instrument
from revmentor.core.redcap import (
    DICTIONARY_COLUMNS,
    dictionary_csv,
    dropdowns,
    event_timepoints,
    events_problems,
)

EVENTS = {"pre_arm_1": "pre", "post_arm_1": "post"}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def by_name(text: str) -> dict[str, dict[str, str]]:
    return {row["Variable / Field Name"]: row for row in rows(text)}


def test_header_is_redcaps_18_columns_in_order(instrument):
    header = dictionary_csv(instrument, EVENTS).split("\n", 1)[0]
    assert next(csv.reader([header])) == [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
        "Choices, Calculations, OR Slider Labels",
        "Field Note",
        "Text Validation Type OR Show Slider Number",
        "Text Validation Min",
        "Text Validation Max",
        "Identifier?",
        "Branching Logic (Show field only if...)",
        "Required Field?",
        "Custom Alignment",
        "Question Number (surveys only)",
        "Matrix Group Name",
        "Matrix Ranking?",
        "Field Annotation",
    ]
    assert len(DICTIONARY_COLUMNS) == 18


def test_record_id_first_then_every_instrument_field_once(instrument):
    names = [row["Variable / Field Name"] for row in rows(dictionary_csv(instrument, EVENTS))]
    assert names[0] == "participant_id"
    assert sorted(names) == sorted(
        [
            "participant_id",
            "role",
            *instrument.domain_ids,
            *instrument.item_ids,
            *instrument.demographic_ids,
        ]
    )
    assert {row["Form Name"] for row in rows(dictionary_csv(instrument, EVENTS))} == {"confidence"}


def test_field_types_choices_and_matrix_group(instrument):
    fields = by_name(dictionary_csv(instrument, EVENTS))
    assert fields["participant_id"]["Field Type"] == "text"
    assert fields["role"]["Field Type"] == "dropdown"
    assert fields["role"]["Choices, Calculations, OR Slider Labels"] == "1, mentor | 2, mentee"
    assert fields["role"]["Required Field?"] == "y"
    for domain in instrument.domain_ids:
        assert fields[domain]["Field Type"] == "radio"
        assert (
            fields[domain]["Choices, Calculations, OR Slider Labels"]
            == "1, 1 (lowest) | 2, 2 | 3, 3 | 4, 4 | 5, 5 (highest)"
        )
        assert fields[domain]["Matrix Group Name"] == "confidence_domains"
    assert fields["clinical_practice"]["Section Header"].startswith("How confident are you")
    assert fields["benefited"]["Field Type"] == "yesno"
    assert fields["concern_time"]["Field Type"] == "yesno"
    assert fields["relationship_effect"]["Field Type"] == "dropdown"
    assert (
        fields["relationship_effect"]["Choices, Calculations, OR Slider Labels"]
        == "1, negative | 2, none | 3, positive"
    )
    assert fields["age_band"]["Field Type"] == "dropdown"
    assert fields["years_in_role"]["Choices, Calculations, OR Slider Labels"] == (
        "1, 0-4 | 2, 5-9 | 3, 10-14 | 4, 15-19 | 5, 20+ | 6, not_stated"
    )


def test_matrix_fields_are_contiguous(instrument):
    """REDCap requires a matrix group's fields to follow one another."""
    groups = [row["Matrix Group Name"] for row in rows(dictionary_csv(instrument, EVENTS))]
    marked = [index for index, group in enumerate(groups) if group == "confidence_domains"]
    assert marked == list(range(marked[0], marked[0] + len(instrument.domains)))


def test_items_show_only_in_their_timepoints_event(instrument):
    fields = by_name(dictionary_csv(instrument, {"baseline": "pre", "followup": "post"}))
    assert fields["concern_time"]["Branching Logic (Show field only if...)"] == (
        "[event-name] = 'baseline'"
    )
    assert fields["benefited"]["Branching Logic (Show field only if...)"] == (
        "[event-name] = 'followup'"
    )
    assert fields["clinical_practice"]["Branching Logic (Show field only if...)"] == ""


def test_dictionary_is_deterministic_utf8_with_plain_newlines(instrument):
    text = dictionary_csv(instrument, EVENTS)
    assert text == dictionary_csv(instrument, EVENTS)
    assert "\r" not in text and text.endswith("\n")


def test_changing_the_instrument_changes_the_dictionary(config):
    changed = copy.deepcopy(config["instrument"])
    changed["scale"] = {"min": 0, "max": 3}
    changed["domains"].append({"id": "listening", "label": "Écoute"})
    changed["demographics"]["grade"] = ["FY1", "FY2"]
    fields = by_name(dictionary_csv(Instrument.from_config(changed), EVENTS))
    assert fields["listening"]["Field Label"] == "Écoute"
    assert fields["listening"]["Matrix Group Name"] == "confidence_domains"
    assert fields["clinical_practice"]["Choices, Calculations, OR Slider Labels"] == (
        "0, 0 (lowest) | 1, 1 | 2, 2 | 3, 3 (highest)"
    )
    assert fields["grade"]["Choices, Calculations, OR Slider Labels"] == "1, FY1 | 2, FY2"


def test_dropdown_codes_decode_every_level(instrument):
    coded = dropdowns(instrument)
    assert coded["sex"] == {"1": "female", "2": "male", "3": "other", "4": "not_stated"}
    assert set(coded) == {"role", "relationship_effect", *instrument.demographic_ids}


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            {"pre_arm_1": "pre", "post_arm_1": "later"},
            "event 'post_arm_1' is mapped to 'later', which is not one of the timepoints "
            "['pre', 'post']",
        ),
        (
            {"pre_arm_1": "pre", "pre_arm_2": "pre"},
            "timepoint 'pre' needs exactly one REDCap event, but 2 are mapped to it "
            "(pre_arm_1, pre_arm_2)",
        ),
    ],
)
def test_event_mapping_must_fit_the_timepoints(instrument, events, message):
    problems = events_problems({"events": events}, instrument)
    assert message in [problem.message for problem in problems]


def test_default_events_fit_the_default_instrument(config, instrument):
    assert event_timepoints(config["redcap"]) == EVENTS
    assert events_problems(config["redcap"], instrument) == []
