"""Logs and the console name rows, columns and checks, never a participant id or free text.

The site's own validation report still quotes every failing value: it goes back only to
the site that owns the data. Each case builds a bad site file, validates it, and compares
what the report says with what a log line (and the ``stop`` policy's message) says.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pytest

from revmentor.core.logs import step_logging
from revmentor.core.privacy import DEBUG_VARIABLE, WITHHELD
from revmentor.core.problems import Problem, ProblemsError
from revmentor.validation import site as site_module
from revmentor.validation.policy import invalid_site_message
from revmentor.validation.site import validate_site

SITE_ID = "leeds"
LEAKY_ID = "PID-LEAK-0042"
FREE_TEXT = "Dr Example said this was FREE-TEXT-7Q"
LONG_FREE_TEXT = "Consultant Jane Roe on ward 7 told me the sessions changed how she " * 2
SCORE_HINT = "(leave the cell empty or write NA when a score is missing)"


def site_file(tmp_path: Path, instrument, rows: list[dict[str, str]]) -> Path:
    """A responses CSV; every row gets all the instrument's domains (default score 3)."""
    header = ["site_id", "participant_id", "role", "timepoint", *instrument.domain_ids, "sex"]
    out = io.StringIO()
    writer = csv.DictWriter(out, header, restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"site_id": SITE_ID, **dict.fromkeys(instrument.domain_ids, "3"), **row})
    path = tmp_path / "site.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def pair(participant: str, role: str = "mentor", **post: str) -> list[dict[str, str]]:
    """A participant's pre and post rows; ``post`` overrides cells of the post row."""
    base = {"participant_id": participant, "role": role, "sex": "female"}
    return [{**base, "timepoint": "pre"}, {**base, "timepoint": "post", **post}]


def checked(tmp_path: Path, instrument, rows: list[dict[str, str]]):
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "site.csv"}
    report, _ = validate_site(site_file(tmp_path, instrument, rows), site, instrument)
    return report


def only_error(report) -> Problem:
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


def test_a_duplicate_participant_id_is_withheld_from_the_log_line(tmp_path, instrument):
    rows = [*pair(LEAKY_ID), {"participant_id": LEAKY_ID, "role": "mentor", "timepoint": "post"}]
    report = checked(tmp_path, instrument, rows)
    problems = [p for p in report.errors if p.check == "unique_participant_timepoint"]
    assert [(p.row, p.value) for p in problems] == [(3, LEAKY_ID), (4, LEAKY_ID)]
    assert LEAKY_ID in problems[0].message  # the site's own report quotes it
    assert problems[0].log_line() == (
        f"row 3, column 'participant_id': participant {WITHHELD} has more than one row at the "
        "same timepoint; keep one row per participant and timepoint "
        "[unique_participant_timepoint]"
    )


def test_free_text_typed_into_a_score_cell_is_withheld(tmp_path, instrument):
    report = checked(tmp_path, instrument, pair(LEAKY_ID, strengths="FREE-TEXT-7Q"))
    problem = only_error(report)
    assert (problem.row, problem.column, problem.value) == (3, "strengths", "FREE-TEXT-7Q")
    assert problem.log_line() == (
        f"row 3, column 'strengths': {WITHHELD} is not a whole number from 1 to 5 "
        f"{SCORE_HINT} [score_in_scale]"
    )


def test_a_long_comment_shortened_in_the_report_leaves_no_part_in_the_log(tmp_path, instrument):
    report = checked(tmp_path, instrument, pair(LEAKY_ID, strengths=LONG_FREE_TEXT.strip()))
    problem = only_error(report)
    assert problem.value.endswith("…") and len(problem.value) == 60
    line = problem.log_line()
    assert line.startswith(f"row 3, column 'strengths': {WITHHELD} is not a whole number")
    assert line.endswith("[score_in_scale]")
    for word in ("Jane", "Roe", "ward", "sessions", "changed"):
        assert word not in line


def test_a_score_out_of_scale_is_still_quoted(tmp_path, instrument):
    report = checked(tmp_path, instrument, pair(LEAKY_ID, strengths="7"))
    assert only_error(report).log_line() == (
        f"row 3, column 'strengths': '7' is not a whole number from 1 to 5 {SCORE_HINT} "
        "[score_in_scale]"
    )


def test_a_long_number_in_a_score_cell_is_withheld(tmp_path, instrument):
    """Ten digits may be an NHS or phone number typed into the wrong column."""
    report = checked(tmp_path, instrument, pair(LEAKY_ID, strengths="9434765919"))
    line = only_error(report).log_line()
    assert "9434765919" not in line
    assert line.startswith(f"row 3, column 'strengths': {WITHHELD} is not a whole number")


def test_a_changed_role_names_no_participant(tmp_path, instrument):
    rows = pair(LEAKY_ID)
    rows[1]["role"] = "mentee"
    report = checked(tmp_path, instrument, rows)
    lines = [p.log_line() for p in report.errors]
    assert lines == [
        f"row 2, column 'role': the role here is {WITHHELD} but this participant has another "
        "role in another row; a participant keeps one role [role_consistent]",
        f"row 3, column 'role': the role here is {WITHHELD} but this participant has another "
        "role in another row; a participant keeps one role [role_consistent]",
    ]
    assert [p.message for p in report.errors][1] == (
        "the role here is 'mentee' but this participant has another role in another row; "
        "a participant keeps one role"
    )


def test_a_changed_demographic_names_no_participant(tmp_path, instrument):
    report = checked(tmp_path, instrument, pair(LEAKY_ID, sex="male"))
    assert [(p.row, p.column, p.check, p.value) for p in report.errors] == [
        (2, "sex", "sex_consistent", "female"),
        (3, "sex", "sex_consistent", "male"),
    ]
    assert report.errors[1].message == (
        "sex is 'male' here but this participant has a different sex in another row"
    )
    assert all(LEAKY_ID not in p.message for p in report.errors)


def test_the_stop_message_lists_the_first_errors_without_ids_or_free_text(tmp_path, instrument):
    rows = [
        *pair(LEAKY_ID, strengths=FREE_TEXT),
        {"participant_id": LEAKY_ID, "role": "mentor", "timepoint": "post"},
    ]
    report = checked(tmp_path, instrument, rows)
    message = invalid_site_message(report, "results/validation/leeds.md")
    assert message == "\n".join(
        [
            "Site 'leeds' (site.csv) is invalid: 3 error(s). "
            "Full report: results/validation/leeds.md",
            f"  - row 3, column 'participant_id': participant {WITHHELD} has more than one row "
            "at the same timepoint; keep one row per participant and timepoint "
            "[unique_participant_timepoint]",
            f"  - row 3, column 'strengths': {WITHHELD} is not a whole number from 1 to 5: it "
            "has a space inside, so a spreadsheet reads it as text; remove the space "
            "[score_in_scale]",
            f"  - row 4, column 'participant_id': participant {WITHHELD} has more than one row "
            "at the same timepoint; keep one row per participant and timepoint "
            "[unique_participant_timepoint]",
        ]
    )
    markdown = report.to_markdown()
    assert LEAKY_ID in markdown and FREE_TEXT in markdown


def test_a_whole_file_error_that_quotes_a_cell_is_withheld_from_the_log():
    problem = Problem(None, "participant_id", "example", f"'{LEAKY_ID}' cannot be read", LEAKY_ID)
    failure = ProblemsError(f"site.csv: '{LEAKY_ID}' cannot be read", [problem])
    assert failure.log_text() == (
        f"site.csv: {WITHHELD} cannot be read\n"
        f"  - column 'participant_id': {WITHHELD} cannot be read [example]"
    )


def test_a_problems_error_in_a_step_is_logged_without_the_value(tmp_path, capsys):
    problem = Problem(5, "participant_id", "example", f"'{LEAKY_ID}' is wrong", LEAKY_ID)
    log = tmp_path / "step.log"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "step"):
        raise ProblemsError("site.csv has problems", [problem])
    assert stopped.value.code == 1
    expected = f"row 5, column 'participant_id': {WITHHELD} is wrong [example]"
    assert expected in log.read_text() and expected in capsys.readouterr().err
    assert LEAKY_ID not in log.read_text()


def _fails_on_a_cell() -> None:
    try:
        int(LEAKY_ID)
    except ValueError as failure:
        raise KeyError(FREE_TEXT) from failure


def test_an_unexpected_error_logs_where_it_happened_but_not_its_text(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(DEBUG_VARIABLE, raising=False)
    log = tmp_path / "step.log"
    with pytest.raises(SystemExit) as stopped, step_logging(log, "validate"):
        _fails_on_a_cell()
    assert stopped.value.code == 1
    written, console = log.read_text(), capsys.readouterr().err
    for text in (written, console):
        assert LEAKY_ID not in text and "FREE-TEXT" not in text
    assert written.startswith(
        "ERROR revmentor.validate: unexpected failure in validate; the error's own text is "
        "withheld, as it may quote input data (set REVMENTOR_DEBUG=1 to see it on this "
        "machine):\nTraceback (most recent call last):\n"
    )
    assert "builtins.ValueError (text withheld)\nwhich led to:\n" in written
    assert "in _fails_on_a_cell\n" in written
    assert written.rstrip().endswith("builtins.KeyError (text withheld)")


def test_the_debug_switch_shows_the_full_error_on_the_centres_machine(tmp_path, monkeypatch):
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    log = tmp_path / "step.log"
    with pytest.raises(KeyError), step_logging(log, "validate"):
        _fails_on_a_cell()
    assert FREE_TEXT in log.read_text()
    logging.getLogger("revmentor.validate").handlers = []


def test_a_check_that_breaks_on_a_cell_keeps_the_cell_out_of_the_log(
    tmp_path, instrument, monkeypatch
):
    def breaks(*_args, **_kwargs):
        raise ValueError(f"invalid literal for int() with base 10: '{LEAKY_ID}'")

    monkeypatch.setattr(site_module, "check_responses", breaks)
    path = site_file(tmp_path, instrument, pair("P1"))
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": str(path)}
    report = site_module.validate(site, instrument).report
    assert [(p.check, p.value) for p in report.errors] == [
        ("validation_failed", f"invalid literal for int() with base 10: '{LEAKY_ID}'")
    ]
    assert LEAKY_ID in report.to_markdown()
    assert invalid_site_message(report, "results/validation/leeds.md").splitlines()[1] == (
        f"  - whole file: the file could not be checked (ValueError: {WITHHELD}); check that "
        "it opens in a spreadsheet and follows the template, and if it does, send this "
        "report to the coordinating centre [validation_failed]"
    )
