"""Who took part: the flow counts, from small hand-made validation reports, pooled rows and
site summaries (a failed site, a summary-only site, a site left out of one outcome, and a
registered site whose data has not arrived)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from revmentor.core.summary_format import SUMMARY_COLUMNS
from revmentor.report.flow import (
    UNACCOUNTED,
    Exclusion,
    failure_reason,
    flow_counts,
    flow_from_files,
    flow_sentences,
    flow_table,
    parse_counted_reasons,
)

ROLES = ("mentor", "mentee")
OUTCOMES = ("clinical_practice", "total")
REGISTERED = ("alpha", "broken", "summ", "tiny", "late")
PLANTED_ID = "SYN-SECRET-PARTICIPANT-7"
INVALID_REASON = "invalid data: 3 validation error(s), see the site's report"
TOO_FEW = "no mean_diff or sd_diff (fewer than 2 pairs)"


def report(site: str, status: str, data_format: str, mentors: int, mentees: int, errors=()):
    return {
        "site_id": site,
        "status": status,
        "format": data_format,
        "participants": {"mentor": mentors, "mentee": mentees},
        "errors": list(errors),
    }


VALIDATION = {
    "alpha": report("alpha", "valid", "responses", 5, 4),
    # Two errors break the range check, one the header: the range check is the reason.
    "broken": report(
        "broken",
        "invalid",
        "responses",
        3,
        0,
        [
            {"row": 2, "column": "clinical_practice", "check": "score_in_scale", "value": "9"},
            {"row": 3, "column": "participant_id", "check": "score_in_scale", "value": PLANTED_ID},
            {"row": 1, "column": "role", "check": "required_column", "value": None},
        ],
    ),
    "summ": report("summ", "valid", "summary", 6, 2),
    "tiny": report("tiny", "valid", "responses", 1, 2),
    # "late" has no report: registered, no data yet.
}


def summary_row(site, role, outcome, n_pairs, n_excluded, reasons):
    return {
        "site_id": site,
        "role": role,
        "outcome": outcome,
        "n_pairs": n_pairs,
        "n_excluded": n_excluded,
        "excluded_reasons": reasons,
    }


SUMMARIES = pd.DataFrame(
    [
        summary_row("alpha", "mentor", "total", 4, 1, "no post questionnaire: 1"),
        summary_row("alpha", "mentee", "total", 4, 0, ""),
        summary_row(
            "summ", "mentor", "total", 5, 1, "missing a domain score at one or both timepoints: 1"
        ),
        summary_row("summ", "mentee", "total", 2, 0, ""),
        summary_row("tiny", "mentor", "total", 1, 0, ""),
        summary_row("tiny", "mentee", "total", 2, 0, ""),
        summary_row("alpha", "mentor", "clinical_practice", 5, 0, ""),
    ]
)


def meta_row(role, outcome, k, n, excluded, primary="yes", method="REML"):
    return {
        "role": role,
        "outcome": outcome,
        "measure": "MD",
        "method": method,
        "test": "hksj",
        "primary": primary,
        "k": k,
        "n_participants": n,
        "excluded_sites": excluded,
    }


META = pd.DataFrame(
    [
        meta_row("mentor", "clinical_practice", 3, 11, f"broken: {INVALID_REASON}"),
        meta_row("mentor", "total", 2, 9, f"broken: {INVALID_REASON}; tiny: {TOO_FEW}"),
        # A non-primary row with other exclusions must not count.
        meta_row("mentor", "total", 1, 4, f"summ: {TOO_FEW}", primary="no", method="FE"),
        meta_row("mentee", "clinical_practice", 3, 8, f"broken: {INVALID_REASON}"),
        meta_row("mentee", "total", 3, 8, f"broken: {INVALID_REASON}"),
    ]
)


@pytest.fixture
def flow():
    return flow_counts(REGISTERED, VALIDATION, META, SUMMARIES, ROLES, OUTCOMES)


def test_sites_registered_received_valid_each_exclusion_with_its_reason(flow):
    assert (flow.registered, flow.received, flow.valid) == (5, 4, 3)
    assert flow.awaiting == (Exclusion("awaiting data", 1, ("late",)),)
    assert flow.n_awaiting == 1
    assert flow.failed == (Exclusion("failed check score_in_scale", 1, ("broken",)),)
    assert flow.n_failed == 1
    assert flow.summary_sites == 1


def test_a_site_left_out_of_one_outcome_is_counted_there_only(flow):
    total = flow.outcome("mentor", "total")
    assert (total.k, total.n_participants) == (2, 9)
    # The failed site is counted once, at validation, not again for each outcome.
    assert total.excluded == (Exclusion(TOO_FEW, 1, ("tiny",)),)
    assert flow.outcome("mentor", "clinical_practice").excluded == ()
    assert flow.outcome("mentee", "total").excluded == ()


def test_participants_per_role_add_up_from_received_to_pooled(flow):
    mentors, mentees = flow.participants
    assert (mentors.role, mentors.outcome) == ("mentor", "total")
    assert mentors.received == 5 + 3 + 6 + 1
    assert mentors.at_invalid_sites == 3
    assert mentors.valid == 12
    # The summary-only site counts as the pairs and exclusions its summary gives.
    assert mentors.at_summary_sites == 6
    assert mentors.not_paired == (
        Exclusion("missing a domain score at one or both timepoints", 1),
        Exclusion("no post questionnaire", 1),
    )
    assert mentors.paired == 10
    assert mentors.at_sites_left_out == (Exclusion(TOO_FEW, 1, ("tiny",)),)
    assert mentors.included == 9 == flow.outcome("mentor", "total").n_participants
    assert (mentees.received, mentees.valid, mentees.paired, mentees.included) == (8, 8, 8, 8)


def test_participants_a_summary_does_not_account_for_are_shown_not_dropped():
    validation = {"summ": report("summ", "valid", "summary", 9, 2)}
    flow = flow_counts(["summ"], validation, META.iloc[0:0], SUMMARIES, ["mentor"], OUTCOMES)
    (mentors,) = flow.participants
    assert mentors.valid == 9
    assert mentors.paired == 5
    assert dict((e.reason, e.count) for e in mentors.not_paired) == {
        "missing a domain score at one or both timepoints": 1,
        UNACCOUNTED: 3,
    }


def test_a_site_whose_status_says_awaiting_data_has_not_sent_data():
    validation = dict(VALIDATION, late={"site_id": "late", "status": "awaiting data"})
    flow = flow_counts(REGISTERED, validation, META, SUMMARIES, ROLES, OUTCOMES)
    assert flow.received == 4
    assert flow.awaiting == (Exclusion("awaiting data", 1, ("late",)),)


def test_the_flow_holds_aggregates_only(flow):
    assert PLANTED_ID not in repr(flow)
    assert PLANTED_ID not in flow_table(flow).to_csv()


def test_a_failed_site_is_counted_under_the_check_most_of_its_errors_broke():
    assert failure_reason(VALIDATION["broken"]) == "failed check score_in_scale"
    tie = {"errors": [{"check": "utf8_encoding"}, {"check": "file_readable"}]}
    assert failure_reason(tie) == "failed check file_readable"
    assert failure_reason({"errors": []}) == "failed validation"


def test_counted_reasons_are_parsed_from_the_summary_column():
    text = "missing a score at one or both timepoints: 2; no post questionnaire: 11"
    assert parse_counted_reasons(text) == {
        "missing a score at one or both timepoints": 2,
        "no post questionnaire": 11,
    }
    assert parse_counted_reasons(float("nan")) == {}


def test_the_table_gives_each_stage_then_its_reasons(flow):
    table = flow_table(flow)
    sites = table[table["unit"] == "sites"]
    rows = list(sites[["stage", "reason", "count", "sites"]].head(7).itertuples(index=False))
    assert [tuple(row) for row in rows] == [
        ("registered", "", 5, ""),
        ("not received", "", 1, ""),
        ("not received", "awaiting data", 1, "late"),
        ("received", "", 4, ""),
        ("failed validation", "", 1, ""),
        ("failed validation", "failed check score_in_scale", 1, "broken"),
        ("valid", "", 3, ""),
    ]
    pooled = table[(table["unit"] == "participants") & (table["stage"] == "pooled")]
    assert pooled[["role", "outcome", "count"]].values.tolist() == [
        ["mentor", "total", 9],
        ["mentee", "total", 8],
    ]


def test_flow_from_the_files_the_workflow_writes(tmp_path):
    reports = []
    for site, content in VALIDATION.items():
        path = tmp_path / f"{site}.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        reports.append(path)
    META.to_csv(tmp_path / "meta_analysis.csv", index=False)
    summary = SUMMARIES.reindex(columns=list(SUMMARY_COLUMNS))
    summary.to_csv(tmp_path / "summary.csv", index=False)
    from_files = flow_from_files(
        REGISTERED,
        reports,
        tmp_path / "meta_analysis.csv",
        [tmp_path / "summary.csv"],
        ROLES,
        OUTCOMES,
    )
    assert from_files == flow_counts(REGISTERED, VALIDATION, META, SUMMARIES, ROLES, OUTCOMES)


def test_the_flow_in_words_names_every_exclusion_with_its_reason(flow):
    labels = {"total": "Total score (7 domains, 7\u201335)"}
    assert flow_sentences(flow, labels) == [
        "5 hospitals registered; 4 sent data (1 awaiting data); 3 passed validation (1 failed: "
        "failed check score_in_scale: 1), 1 of them sent a summary only.",
        "Mentors: 12 at valid hospitals (6 counted from summaries); 2 not paired (missing a "
        "domain score at one or both timepoints: 1; no post questionnaire: 1); 10 with a pre "
        "and post total score (7 domains, 7\u201335); 1 at hospitals left out of the pooled "
        f"analysis ({TOO_FEW}: 1); 9 in the pooled analysis from 2 hospitals.",
        "Mentees: 8 at valid hospitals (2 counted from summaries); 8 with a pre and post total "
        "score (7 domains, 7\u201335); 8 in the pooled analysis from 3 hospitals.",
    ]
