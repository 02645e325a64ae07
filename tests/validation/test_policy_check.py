"""The policy check between validation and the statistics, and the overview's site list."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core.logs import StepFailure
from revmentor.validation.policy import (
    OVERVIEW_COLUMNS,
    InvalidSiteError,
    current_sites_only,
    policy_check,
)


def overview(*rows: tuple[str, str]) -> pd.DataFrame:
    records = []
    for site_id, status in rows:
        valid = status == "valid"
        records.append(
            {
                "site_id": site_id,
                "status": status,
                "included": "yes" if valid else "no",
                "reason": ""
                if valid
                else "invalid data: 2 validation error(s), see the site's report",
                "report": f"results/validation/{site_id}.md",
            }
        )
    return pd.DataFrame(records).reindex(columns=list(OVERVIEW_COLUMNS), fill_value="")


def never_read(path: str):
    raise AssertionError(f"no report is read when every site is valid ({path})")


def test_every_site_valid_is_recorded():
    table = overview(("pilot", "valid"), ("oakfield", "valid"))
    assert policy_check(table, "stop", never_read) == (
        "Policy for invalid sites (validation.on_invalid_site): stop.\n"
        "Sites valid: 2 of 2.\n"
        "Every site goes on to the analyses.\n"
    )


def test_exclude_records_the_excluded_sites_and_their_reason():
    table = overview(("pilot", "valid"), ("northgate", "invalid"))
    assert policy_check(table, "exclude", never_read) == (
        "Policy for invalid sites (validation.on_invalid_site): exclude.\n"
        "Sites valid: 1 of 2.\n"
        "Excluded from every analysis:\n"
        "  northgate: invalid data: 2 validation error(s), see the site's report\n"
    )


def test_stop_fails_the_check_reading_the_invalid_sites_report():
    table = overview(("pilot", "valid"), ("northgate", "invalid"))
    read = []

    def read_report(path: str):
        read.append(path)
        raise InvalidSiteError("stopped")

    with pytest.raises(InvalidSiteError):
        policy_check(table, "stop", read_report)
    assert read == ["results/validation/northgate.json"]


def test_the_overview_lists_the_registry_sites_only_in_registry_order():
    shards = overview(("seaview", "valid"), ("pilot", "valid"), ("gone", "valid"))
    table = current_sites_only(shards, ["pilot", "seaview"])
    assert table["site_id"].tolist() == ["pilot", "seaview"]


def test_a_registry_site_missing_from_the_shards_is_an_error():
    with pytest.raises(StepFailure) as failure:
        current_sites_only(overview(("pilot", "valid")), ["pilot", "leeds"])
    assert str(failure.value) == ("no validation result for site(s) leeds: run the workflow again")
