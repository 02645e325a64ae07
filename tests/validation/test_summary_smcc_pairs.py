"""A site's summary sends smcc and smcc_var together or not at all, and may not claim that
the workflow derived them."""

from __future__ import annotations

import pytest

from revmentor.core.summary_format import NOTE_SMCC_DERIVED
from tests.validation.test_hostile_summary import BASE, check_row


@pytest.mark.parametrize(
    ("given", "partner"), [("smcc", "smcc_var"), ("smcc_var", "smcc")], ids=["smcc", "smcc_var"]
)
def test_half_of_the_standardised_change_is_refused_naming_the_other_half(
    tmp_path, instrument, given, partner
):
    report, summary, _ = check_row(tmp_path, instrument, {**BASE, given: "0.51"})
    assert summary is None
    assert [(p.row, p.column, p.check, p.message) for p in report.errors] == [
        (
            2,
            given,
            f"{given}_with_{partner}",
            f"'0.51' is given without {partner}: send both, or neither and the workflow "
            "derives both from mean_diff, sd_diff and n_pairs",
        )
    ]


@pytest.mark.parametrize(
    "cells", [{}, {"smcc": "0.51", "smcc_var": "0.07"}], ids=["neither", "both"]
)
def test_both_or_neither_is_accepted(tmp_path, instrument, cells):
    report, summary, _ = check_row(tmp_path, instrument, {**BASE, **cells})
    assert report.errors == ()
    assert summary is not None


def test_a_site_cannot_claim_the_workflow_derived_its_smcc(tmp_path, instrument):
    row = {**BASE, "smcc": "0.51", "smcc_var": "0.07", "note": NOTE_SMCC_DERIVED}
    report, summary, _ = check_row(tmp_path, instrument, row)
    assert summary is None
    assert [(p.column, p.check) for p in report.errors] == [("note", "known_note")]
