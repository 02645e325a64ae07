"""A REDCap flat CSV export (``format: redcap``) read through the one validation path
(revmentor.validation.redcap), every message naming the export's row and REDCap's field."""

from __future__ import annotations

import pandas as pd

from revmentor.core.config import load_config
from revmentor.core.tables import csv_text
from revmentor.simulate.consortium import redcap_export_text, responses_text
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.stats.site_summary import site_summary
from revmentor.validation.site import validate

EVENTS = {"pre_arm_1": "pre", "post_arm_1": "post"}
REDCAP = {"events": EVENTS}
HEADER = (
    "participant_id,redcap_event_name,role,clinical_practice,approach_to_juniors,"
    "approachability,use_of_technology,time_management,strengths,areas_for_improvement,"
    "concern_time,benefited,relationship_effect,sex,confidence_complete"
)
#: P1 at pre and post, as REDCap exports them (raw data): role 1 = mentor, sex 1 = female,
#: relationship_effect 3 = positive.
PRE = "P1,pre_arm_1,1,3,3,3,3,3,3,3,1,,,1,2"
POST = "P1,post_arm_1,1,4,4,4,4,4,4,4,,1,3,1,2"


def check(tmp_path, instrument, text, site_id="leeds", redcap=REDCAP, group=""):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    site = {
        "site_id": site_id,
        "name": "Leeds",
        "format": "redcap",
        "file": str(path),
        "items_file": "",
        **({"redcap_group": group} if group else {}),
    }
    return validate(site, instrument, redcap=redcap)


def lines(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def found(checked, kind="errors"):
    return [(p.row, p.column, p.check, p.message) for p in getattr(checked.report, kind)]


def test_a_clean_export_is_decoded_into_the_responses_table(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE, POST))
    assert checked.report.errors == ()
    clean = checked.clean
    assert list(clean["timepoint"]) == ["pre", "post"]
    assert list(clean["role"]) == ["mentor", "mentor"]
    assert list(clean["relationship_effect"]) == [None, "positive"]
    assert list(clean["sex"]) == ["female", "female"]
    assert list(clean["clinical_practice"]) == [3, 4]
    assert list(clean["concern_time"].astype(object)) == [1, pd.NA]


def test_same_participants_as_responses_and_as_export_give_the_same_summary(
    tmp_path, instrument, config
):
    frame = simulate_site(
        SiteDesign("leeds", {"mentor": 9, "mentee": 8}, p_missing_score=0.05, p_dropout=0.1),
        instrument,
        config["seed"],
    )
    summaries = []
    for name, fmt, text in (
        ("responses.csv", "responses", responses_text(frame)),
        ("export.csv", "redcap", redcap_export_text(frame, instrument, EVENTS)),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        site = {"site_id": "leeds", "name": "L", "format": fmt, "file": str(path)}
        checked = validate(site, instrument, redcap=REDCAP)
        assert checked.report.errors == ()
        summaries.append(
            csv_text(
                site_summary(checked.clean, instrument, "leeds", config["seed"]), for_people=False
            )
        )
    assert summaries[0] == summaries[1]


def test_an_unmapped_event_names_its_row_and_redcap_event_name(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE, POST.replace("post_arm_1", "week6_arm_1")))
    assert found(checked) == [
        (
            3,
            "redcap_event_name",
            "redcap_event",
            "event 'week6_arm_1' is not mapped to a timepoint (redcap.events in config.yaml: "
            "pre_arm_1 = pre, post_arm_1 = post); export only those events, or map this one "
            "there",
        )
    ]
    assert checked.clean is None


def test_events_follow_the_config(tmp_path, instrument):
    text = lines(PRE.replace("pre_arm_1", "baseline_arm_1"), POST.replace("post_arm_1", "m3_arm_1"))
    redcap = {"events": {"baseline_arm_1": "pre", "m3_arm_1": "post"}}
    checked = check(tmp_path, instrument, text, redcap=redcap)
    assert checked.report.errors == ()
    assert list(checked.clean["timepoint"]) == ["pre", "post"]


def test_labels_instead_of_raw_codes_are_explained(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE.replace(",1,3,3,", ",mentor,3,3,", 1), POST))
    assert found(checked) == [
        (
            2,
            "role",
            "redcap_code",
            "'mentor' is not a code of field 'role' (1 = mentor, 2 = mentee); this is a "
            "label: export 'raw data', not labels",
        )
    ]


def test_a_code_the_dictionary_does_not_have(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE, POST.replace(",3,1,2", ",9,1,2")))
    assert found(checked) == [
        (
            3,
            "relationship_effect",
            "redcap_code",
            "'9' is not a code of field 'relationship_effect' (1 = negative, 2 = none, 3 = "
            "positive); check the project was built from 'revmentor redcap-dictionary' for "
            "this config",
        )
    ]


def test_a_score_outside_the_scale_names_the_export_row_and_field(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE, POST.replace("1,4,4,", "1,7,4,", 1)))
    assert found(checked) == [
        (
            3,
            "clinical_practice",
            "score_in_scale",
            "'7' is not a whole number from 1 to 5 (leave the cell empty or write NA when a "
            "score is missing)",
        )
    ]


def test_a_second_row_at_one_event_names_both_rows(tmp_path, instrument):
    # The rows differ (an identical copy has its own message: test_data_manager_messages).
    second = POST.replace("1,4,4,", "1,5,4,", 1)
    checked = check(tmp_path, instrument, lines(PRE, POST, second))
    message = (
        "participant 'P1' has more than one row at the same timepoint; keep one row per "
        "participant and timepoint"
    )
    assert found(checked) == [
        (3, "participant_id", "unique_participant_timepoint", message),
        (4, "participant_id", "unique_participant_timepoint", message),
    ]


def test_an_item_outside_its_event_names_the_field(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE, POST.replace("4,4,,1,3", "4,4,1,1,3")))
    assert found(checked) == [
        (
            3,
            "concern_time",
            "concern_time_only_at_pre",
            "'concern_time' is asked at 'pre' only, but this row is at another timepoint "
            "(value '1'); leave it empty here",
        )
    ]


def test_record_id_is_redcaps_default_name(tmp_path, instrument):
    header = HEADER.replace("participant_id", "record_id", 1)
    checked = check(tmp_path, instrument, lines(PRE, POST, POST[2:], header=header))
    assert checked.clean is None
    assert found(checked) == [
        (4, "record_id", "not_nullable", "'record_id' is empty; every row needs one")
    ]


def test_data_access_group_must_be_the_sites(tmp_path, instrument):
    header = HEADER.replace("redcap_event_name,", "redcap_event_name,redcap_data_access_group,")
    text = lines(
        PRE.replace("pre_arm_1,", "pre_arm_1,st_james,"),
        POST.replace("post_arm_1,", "post_arm_1,york,"),
        header=header,
    )
    checked = check(tmp_path, instrument, text, site_id="St-James")
    assert found(checked) == [
        (
            3,
            "redcap_data_access_group",
            "redcap_data_access_group",
            "the record is in data access group 'york', not this site's ('St-James' or "
            "'st_james'): export only site 'St-James''s records, or give the site its "
            "group in the registry's redcap_group column",
        )
    ]
    text = lines(
        PRE.replace("pre_arm_1,", "pre_arm_1,york,"),
        POST.replace("post_arm_1,", "post_arm_1,york,"),
        header=header,
    )
    assert check(tmp_path, instrument, text, site_id="St-James", group="york").report.errors == ()


def test_incomplete_forms_are_warned_about_and_counted(tmp_path, instrument):
    checked = check(tmp_path, instrument, lines(PRE[:-1] + "0", POST[:-1] + "1"))
    assert checked.report.errors == ()
    assert checked.clean is not None
    assert found(checked, "warnings") == [
        (
            2,
            "confidence_complete",
            "redcap_form_incomplete",
            "form 'confidence' is marked Incomplete (0), not Complete (2); its answers are "
            "used as entered",
        ),
        (
            3,
            "confidence_complete",
            "redcap_form_incomplete",
            "form 'confidence' is marked Unverified (1), not Complete (2); its answers are "
            "used as entered",
        ),
        (
            None,
            "confidence_complete",
            "redcap_forms_incomplete",
            "2 of 2 rows have a form that is not marked Complete (0 Incomplete or 1 "
            "Unverified); their answers are used as entered. Check them in REDCap and mark "
            "them Complete, then export again",
        ),
    ]


def test_checkbox_fields_are_reported_and_left_out(tmp_path, instrument):
    header = HEADER + ",hobbies___1,hobbies___2"
    checked = check(tmp_path, instrument, lines(PRE + ",1,0", POST + ",0,0", header=header))
    assert checked.report.errors == ()
    assert found(checked, "warnings") == [
        (
            None,
            "hobbies",
            "redcap_checkbox_field",
            "'hobbies' is a REDCap checkbox field (hobbies___1, hobbies___2), which the "
            "revmentor data dictionary does not have; it is left out. Build the project from "
            "'revmentor redcap-dictionary'",
        )
    ]
    assert "hobbies___1" not in checked.clean.columns


def test_repeating_instruments_are_refused(tmp_path, instrument):
    header = HEADER.replace(
        "redcap_event_name,", "redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
    )
    text = lines(
        PRE.replace("pre_arm_1,", "pre_arm_1,,,"),
        POST.replace("post_arm_1,", "post_arm_1,confidence,2,"),
        header=header,
    )
    checked = check(tmp_path, instrument, text)
    assert checked.clean is None
    assert found(checked) == [
        (
            3,
            "redcap_repeat_instrument",
            "redcap_repeating_instrument",
            "this row is a repeated instance ('confidence'): revmentor reads one form per "
            "participant and event, and repeating instruments or events are not supported. "
            "Turn repeating off for the form (Project Setup > Repeating instruments and "
            "events) and keep one instance per event",
        )
    ]


def test_empty_repeat_columns_are_fine(tmp_path, instrument):
    header = HEADER.replace(
        "redcap_event_name,", "redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
    )
    text = lines(
        PRE.replace("pre_arm_1,", "pre_arm_1,,,"),
        POST.replace("post_arm_1,", "post_arm_1,,,"),
        header=header,
    )
    assert check(tmp_path, instrument, text).report.errors == ()


def test_an_export_without_events_is_refused(tmp_path, instrument):
    header = HEADER.replace("redcap_event_name,", "")
    text = lines(PRE.replace("pre_arm_1,", ""), header=header)
    assert found(check(tmp_path, instrument, text)) == [
        (
            None,
            "redcap_event_name",
            "redcap_event_column",
            "the export has no 'redcap_event_name' column: the project must be longitudinal, "
            "with one event per timepoint (README, 'Collect in REDCap'), and the export must "
            "include every event",
        )
    ]


def test_a_responses_file_given_as_redcap_is_refused(tmp_path, instrument):
    text = "site_id,participant_id,role,timepoint\nleeds,P1,mentor,pre\n"
    errors = found(check(tmp_path, instrument, text))
    assert errors[0] == (
        None,
        "site_id",
        "redcap_record_id",
        "the export's first column is 'site_id', not the record id: a REDCap export starts "
        "with the record id field (participant_id or record_id). Export the records as "
        "'CSV / Microsoft Excel (raw data)' from a project built with 'revmentor "
        "redcap-dictionary'",
    )


def test_the_config_schema_fills_in_the_redcap_events(repo):
    config = load_config(repo / "config/config.yaml", repo / "workflow/schemas/config.schema.yaml")
    assert config["redcap"] == {"events": {"pre_arm_1": "pre", "post_arm_1": "post"}}
