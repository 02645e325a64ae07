"""Issue 13: tables for people are narrow (at most ten columns), labelled rather than
snake_case, with the verdict near the left, an estimate and its CI in one cell, and numbers
that sort as numbers."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from revmentor.inprocess import analyse
from revmentor.report import assemble
from revmentor.report.reader_tables import (
    MAX_COLUMNS,
    VIEWS,
    ReaderLabels,
    concern_pair_label,
    estimate_with_ci,
    reader_table,
    reader_tables,
)
from revmentor.report.settings import TABLE_NAMES
from tests.report.golden import build, golden_config, golden_settings

SNAKE_CASE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


@pytest.fixture(scope="module")
def golden(tmp_path_factory, config, instrument):
    sites = build(tmp_path_factory.mktemp("reader"), instrument)
    frames = analyse(sites, golden_config(config))
    settings = golden_settings(sites, config, instrument)
    tables = assemble.all_tables(frames, settings)
    labels = ReaderLabels.of(instrument, settings.names)
    return tables, reader_tables(tables, labels)


def test_every_report_table_has_a_narrow_view(golden):
    tables, views = golden
    assert set(VIEWS) == set(TABLE_NAMES) == set(views)
    for name, view in views.items():
        assert len(view.columns) <= MAX_COLUMNS, name
        assert len(view.rows) == len(tables[name].frame), name
        assert all(len(row) == len(view.columns) for row in view.rows), name
        assert all(len(keys) == len(view.columns) for keys in view.sort_keys), name
        assert view.csv == f"{name}.csv"
        assert view.title == tables[name].title
        assert view.notes == tables[name].notes


def test_column_labels_are_words_not_ids(golden):
    _, views = golden
    for name, view in views.items():
        for label in view.columns:
            assert not SNAKE_CASE.match(label), f"{name}: {label}"
            assert "_" not in label, f"{name}: {label}"
            assert label[:1].isupper() or label[:1].isdigit() or label[:1] in "Iτ", label


def test_the_verdict_is_the_third_column_of_the_headline_tables(golden):
    _, views = golden
    assert views["replication"].columns[:4] == ("Role", "Outcome", "Verdict", "Change (95% CI)")
    assert views["replication_matrix"].columns[:3] == ("Role", "Outcome", "Verdict")
    assert views["replication"].columns == (
        "Role",
        "Outcome",
        "Verdict",
        "Change (95% CI)",
        "95% PI",
        "Original change",
        "I² (%)",
        "τ²",
        "Sites (k)",
        "Participants",
    )


def test_estimate_and_ci_share_one_cell():
    assert estimate_with_ci(5.1849, 1.163, 9.2071) == "5.18 (1.16 to 9.21)"
    assert estimate_with_ci(-0.5, -1.25, 0.25) == "\u22120.50 (\u22121.25 to 0.25)"
    assert estimate_with_ci(0.7, None, None) == "0.70"
    assert estimate_with_ci(None, 1.0, 2.0) == ""


def test_headline_row_as_a_reader_sees_it(golden):
    tables, views = golden
    frame = tables["replication"].frame
    first = frame.iloc[0]
    row = views["replication"].rows[0]
    assert row[:3] == ("Mentor", "Clinical practice", first["verdict"])
    assert row[3] == estimate_with_ci(first["estimate"], first["ci_low"], first["ci_high"])
    assert row[3] == "1.22 (\u22120.26 to 2.71)"
    assert row[4] == "\u22126.78 to 9.23"
    assert row[8:] == ("3", "18")
    assert views["replication"].hover[0][2] == first["verdict_reason"]


def test_site_names_and_instrument_labels_replace_ids(golden, instrument):
    _, views = golden
    sites = views["sites"]
    assert {row[0] for row in sites.rows} == {"Alpha Hospital", "=Beta Trust", "Gamma Infirmary"}
    outcome_labels = set(instrument.outcome_labels().values())
    assert {row[2] for row in sites.rows} <= outcome_labels
    items = views["items"]
    assert {row[0] for row in items.rows} >= {"All sites", "Alpha Hospital"}
    item_labels = {item.label for item in instrument.items}
    single = [row for row in items.rows if row[3] != "before and after"]
    assert {row[2] for row in single} <= item_labels
    assert "Time commitment (anticipated before \u2192 experienced after)" in {
        row[2] for row in items.rows
    }


def test_a_concern_pair_is_named_once_by_its_subject():
    assert concern_pair_label("Concern: confidentiality", "Experienced: confidentiality") == (
        "Confidentiality (anticipated before \u2192 experienced after)"
    )
    assert concern_pair_label("Worried about time", "Time taken") == (
        "Worried about time \u2192 Time taken"
    )


def test_sites_view_shows_both_cis_by_name(golden):
    tables, views = golden
    sites = views["sites"]
    assert sites.columns[4:6] == (
        "Mean change (paired-t 95% CI)",
        "CI in the pooled analysis (\u00b1z\u221avi)",
    )
    first = tables["sites"].frame.iloc[0]
    assert sites.rows[0][4] == estimate_with_ci(
        first["mean_diff"], first["paired_t_ci_low"], first["paired_t_ci_high"]
    )
    assert sites.rows[0][5] == "1.23 to 2.44"


def test_items_view_keeps_the_observed_and_the_model_share_apart(golden):
    _, views = golden
    items = views["items"]
    assert items.columns[6:9] == (
        "Share (95% CI)",
        "CI method",
        "Model-based share across sites (random effects, logit)",
    )
    pooled = items.rows[0]
    assert pooled[:8] == (
        "All sites",
        "Mentor",
        "Concern: hierarchical difference",
        "yes",
        "19",
        "12",
        "63.2% (38.4 to 83.7)",
        "Clopper-Pearson (exact)",
    )
    assert pooled[8] == "63.0% (39.9 to 81.4)"
    assert items.rows[1][8] == ""


def test_numbers_sort_as_numbers_not_as_text(golden):
    tables, _ = golden
    frame = tables["replication"].frame.head(3).copy()
    frame["estimate"] = [9.5, 10.25, -1.0]
    frame[["ci_low", "ci_high"]] = [[9.0, 10.0], [10.0, 10.5], [-2.0, 0.0]]
    table = assemble.Table(frame, "t", ("note",))
    labels = ReaderLabels({}, {}, {}, {})
    view = reader_table("replication", table, labels)
    change = view.columns.index("Change (95% CI)")
    by_key = sorted(range(3), key=lambda i: view.sort_keys[i][change])
    by_text = sorted(range(3), key=lambda i: view.rows[i][change])
    assert [view.rows[i][change] for i in by_key] == [
        "\u22121.00 (\u22122.00 to 0.00)",
        "9.50 (9.00 to 10.00)",
        "10.25 (10.00 to 10.50)",
    ]
    assert by_key != by_text
    assert view.numeric[change] and not view.numeric[view.columns.index("Verdict")]
    assert view.sort_keys[0][view.columns.index("Verdict")] is None


def test_suppressed_counts_do_not_pretend_to_be_numbers(golden):
    _, views = golden
    participants = views["participants"]
    count = participants.columns.index("Count")
    for row, keys in zip(participants.rows, participants.sort_keys, strict=True):
        if row[count].startswith("<") or row[count] == "*":
            assert keys[count] is None
        else:
            assert keys[count] == float(row[count])


def test_a_view_with_too_many_columns_is_refused(monkeypatch, golden):
    tables, _ = golden
    narrow = VIEWS["replication"]
    monkeypatch.setitem(VIEWS, "replication", lambda labels, table: narrow(labels, table) * 2)
    with pytest.raises(ValueError, match="the reader view of replication has 20 columns"):
        reader_table("replication", tables["replication"], ReaderLabels({}, {}, {}, {}))


def test_missing_values_read_as_empty_cells():
    frame = pd.DataFrame(
        [{"role": "mentee", "outcome": "total", "k": pd.NA, "tau2": None, "i2": float("nan")}]
    )
    frame["moderators_explain"] = ""
    frame["influential_sites"] = "none"
    view = reader_table("heterogeneity", assemble.Table(frame, "t"), ReaderLabels({}, {}, {}, {}))
    assert view.rows[0] == ("Mentee", "total", "", "", "", "", "none")
    assert view.sort_keys[0][2:5] == (None, None, None)


def test_a_suppressed_items_row_says_its_share_is_suppressed(golden):
    tables, views = golden
    frame = tables["items"].frame
    items = views["items"]
    share = items.columns.index("Share (95% CI)")
    model = items.columns.index("Model-based share across sites (random effects, logit)")
    hidden = [
        index
        for index, (suppressed, kind) in enumerate(
            zip(frame["suppressed"], frame["kind"], strict=True)
        )
        if suppressed == "yes" and kind != "concern_pair"
    ]
    assert hidden, "the golden consortium has small cells"
    for index in hidden:
        assert items.rows[index][share] == "suppressed (small count)"
        pooled = frame["scope"].iloc[index] == "all sites"
        assert (items.rows[index][model] == "suppressed (small count)") == pooled
