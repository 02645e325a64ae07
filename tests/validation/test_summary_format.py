"""A summary-only site's files: what the workflow writes is exactly what it accepts back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revmentor.core.disclosure import DisclosurePolicy, exported_items
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.core.tables import csv_text
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.site import validate_site, validate_summary_site

SITE = {
    "site_id": "oak",
    "name": "Oak",
    "format": "summary",
    "file": "data/oak/summary.csv",
    "items_file": "data/oak/items.csv",
}


@pytest.fixture(scope="module")
def produced(repo, instrument):
    """The per-site step's outputs for an example site, as the site would send them."""
    params = {"site_id": "northgate", "name": "N", "format": "responses", "file": "x"}
    _, clean = validate_site(repo / "data/example/northgate.csv", params, instrument)
    clean["site_id"] = "oak"
    # The items with disclosure.min_cell applied (revmentor export-summary --items-out).
    items, _ = exported_items(site_items(clean, instrument, "oak"), DisclosurePolicy())
    return site_summary(clean, instrument, "oak", 1), items


def write(tmp_path: Path, summary: pd.DataFrame, items: pd.DataFrame | None = None):
    summary_path = tmp_path / "summary.csv"
    summary_path.write_text(csv_text(summary, for_people=False), encoding="utf-8")
    items_path = None
    if items is not None:
        items_path = tmp_path / "items.csv"
        items_path.write_text(csv_text(items, for_people=False), encoding="utf-8")
    return summary_path, items_path


def test_the_workflows_own_summary_and_items_are_accepted_unchanged(tmp_path, produced, instrument):
    summary, items = produced
    report, typed, typed_items = validate_summary_site(
        *write(tmp_path, summary, items), SITE, instrument
    )
    assert report.status == "valid", report.to_markdown()
    assert csv_text(typed, for_people=False) == csv_text(summary, for_people=False)
    assert csv_text(typed_items, for_people=False) == csv_text(items, for_people=False)
    assert report.participants == {"mentor": 24, "mentee": 20}


def test_the_pooling_minimum_is_enough(tmp_path, produced, instrument):
    minimal = produced[0][["site_id", "role", "outcome", "n_pairs", "mean_diff", "sd_diff"]].head(3)
    report, typed, items = validate_summary_site(*write(tmp_path, minimal), SITE, instrument)
    assert report.status == "valid", report.to_markdown()
    assert list(typed.columns) == list(SUMMARY_COLUMNS) and len(typed) == 3
    assert list(items.columns) == list(ITEMS_COLUMNS) and items.empty


def broken(summary: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    copy = summary.astype(object).copy()
    copy.loc[row, column] = value
    return copy


@pytest.mark.parametrize(
    ("column", "value", "check", "reported_column"),
    [
        ("n_pairs", 0, "whole_number_at_least_1", "n_pairs"),
        ("n_pairs", 2.5, "whole_number_at_least_1", "n_pairs"),
        ("sd_diff", -0.1, "non_negative", "sd_diff"),
        ("sd_pre", "abc", "non_negative", "sd_pre"),
        ("median_pre", 6, "median_pre_within_scale", "median_pre"),
        ("mean_post", 0.5, "mean_post_within_scale", "mean_post"),
        ("mean_diff", 4.5, "mean_diff_within_range", "mean_diff"),
        ("wilcoxon_p", 1.2, "probability", "wilcoxon_p"),
        ("r_prepost", -1.5, "correlation", "r_prepost"),
        ("w_plus", 1000, "rank_sums_add_up", "w_plus"),
        ("q1_pre", 5, "q1_pre_not_above_median_pre", "q1_pre"),
        ("n_nonzero", 99, "n_nonzero_within_n_pairs", "n_nonzero"),
        ("role", "registrar", "allowed_role", "role"),
        ("outcome", "bedside_manner", "allowed_outcome", "outcome"),
        ("site_id", "elm", "site_id_matches", "site_id"),
        ("note", "Dr Smith was off sick", "known_note", "note"),
        ("excluded_reasons", "moved to Leeds: 1", "known_exclusion_reasons", "excluded_reasons"),
        ("smcc_var", 0, "positive", "smcc_var"),
    ],
)
def test_a_bad_summary_cell_is_reported_exactly(
    tmp_path, produced, instrument, column, value, check, reported_column
):
    summary = broken(produced[0], 2, column, value)
    report, typed, _ = validate_summary_site(*write(tmp_path, summary), SITE, instrument)
    assert typed is None
    assert (4, reported_column, check) in [(p.row, p.column, p.check) for p in report.errors]


def test_duplicate_role_outcome_is_reported(tmp_path, produced, instrument):
    summary = pd.concat([produced[0], produced[0].iloc[[0]]], ignore_index=True)
    report, _, _ = validate_summary_site(*write(tmp_path, summary), SITE, instrument)
    assert {(p.row, p.check) for p in report.errors} == {
        (2, "unique_role_outcome"),
        (len(summary) + 1, "unique_role_outcome"),
    }


def test_participant_level_columns_are_refused(tmp_path, produced, instrument):
    summary = produced[0].copy()
    summary["participant_id"] = "SYN-1"
    report, typed, _ = validate_summary_site(*write(tmp_path, summary), SITE, instrument)
    assert typed is None
    assert [(p.row, p.column, p.check) for p in report.errors] == [
        (1, "participant_id", "aggregates_only")
    ]


def test_missing_pooling_minimum_column_is_reported(tmp_path, produced, instrument):
    report, _, _ = validate_summary_site(
        *write(tmp_path, produced[0].drop(columns=["sd_diff"])), SITE, instrument
    )
    assert [(p.row, p.column, p.check) for p in report.errors] == [
        (1, "sd_diff", "required_column")
    ]


def test_bad_items_file_is_reported_with_its_file_name(tmp_path, produced, instrument):
    items = produced[1].astype(object).copy()
    items.loc[0, "count"] = 999
    items.loc[1, "item"] = "concern_parking"
    report, _, _ = validate_summary_site(*write(tmp_path, produced[0], items), SITE, instrument)
    assert {(p.file, p.row, p.column, p.check) for p in report.errors} == {
        ("data/oak/items.csv", 2, "count", "count_within_answered"),
        ("data/oak/items.csv", 3, "item", "known_item_row"),
    }
