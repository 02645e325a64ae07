"""The sites of a shard get their fast checks together, each with the verdict, and so the
report, it gets alone (issue 15).

Checked together, the tables share one frame: these tests put there what one site could
take from another (the same participant ids, another site's id, a column the other site
lacks) and require that each site's verdict is still its own.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from revmentor.core.instrument import SITE_COLUMN
from revmentor.validation import responses
from revmentor.validation import site as site_module
from revmentor.validation.responses import clean_table, nullable_integers
from revmentor.validation.schemas import OWN_SITE, Check, passes_each, stack_tables
from revmentor.validation.site import validate, validate_each
from tests.validation.test_bad_inputs import table  # noqa: F401


def tidy(instrument, own_id: str, participants, /, **columns) -> pd.DataFrame:
    """A normalised table: each participant (id, role) at every timepoint, scores of 4;
    ``columns`` adds or replaces columns (a list of cells, one per row)."""
    rows = [
        (participant, role, timepoint)
        for participant, role in participants
        for timepoint in instrument.timepoints
    ]
    cells = {
        SITE_COLUMN: [own_id] * len(rows),
        "participant_id": [participant for participant, _, _ in rows],
        "role": [role for _, role, _ in rows],
        "timepoint": [timepoint for _, _, timepoint in rows],
        **{domain: ["4"] * len(rows) for domain in instrument.domain_ids},
        **columns,
    }
    index = pd.Index(range(2, 2 + len(rows)), name="row")
    return pd.DataFrame(
        {name: pd.Series(values, index=index, dtype=object) for name, values in cells.items()}
    )


def alone(instrument, tables) -> list[bool]:
    return [passes_each(instrument, [one])[0] for one in tables]


def test_each_table_keeps_its_own_verdict_when_checked_with_others(instrument):
    pair = [("P1", "mentor"), ("P2", "mentee")]
    n_rows = len(pair) * len(instrument.timepoints)
    first_domain = instrument.domain_ids[0]
    tables = [
        ("a", tidy(instrument, "a", pair)),
        # The same ids at another site are other people: no duplicate, no role conflict.
        ("b", tidy(instrument, "b", [("P1", "mentee"), ("P2", "mentor")])),
        # Site a's id is not site c's.
        ("c", tidy(instrument, "c", pair, site_id=["a"] * n_rows)),
        ("d", tidy(instrument, "d", pair, **{first_domain: ["9"] + ["4"] * (n_rows - 1)})),
        # A participant twice at one timepoint.
        ("e", tidy(instrument, "e", [("P1", "mentor"), ("P1", "mentor")])),
        # One role per participant, within a site.
        ("f", tidy(instrument, "f", pair, role=["mentor", "mentee", "mentee", "mentee"])),
        ("g", tidy(instrument, "g", pair).drop(columns=["role"])),
        ("h", tidy(instrument, "h", pair).drop(columns=[SITE_COLUMN])),
        ("i", tidy(instrument, "i", pair, participant_id=[None, "P1", "P2", "P2"])),
    ]
    expected = [True, True, False, False, False, False, False, True, False]
    assert alone(instrument, tables) == expected
    assert passes_each(instrument, tables) == expected
    assert passes_each(instrument, tables[::-1]) == expected[::-1]


def test_a_column_another_site_lacks_is_checked_at_the_site_that_has_it(instrument):
    demographic, levels = instrument.demographics[0]
    pair = [("P1", "mentor"), ("P2", "mentee")]
    n_rows = len(pair) * len(instrument.timepoints)
    # P1 gives two values of the demographic: a conflict at that site alone.
    conflicting = [levels[0], levels[1]] + [levels[0]] * (n_rows - 2)
    tables = [
        ("a", tidy(instrument, "a", pair)),
        ("b", tidy(instrument, "b", pair, **{demographic: [levels[0]] * n_rows})),
        ("c", tidy(instrument, "c", pair, **{demographic: conflicting})),
        ("d", tidy(instrument, "d", pair, **{demographic: ["not a level"] * n_rows})),
    ]
    assert (
        passes_each(instrument, tables)
        == alone(instrument, tables)
        == [
            True,
            True,
            False,
            False,
        ]
    )


def test_a_table_whose_columns_repeat_is_left_to_pandera(instrument):
    pair = [("P1", "mentor"), ("P2", "mentee")]
    repeated = tidy(instrument, "b", pair)
    repeated = pd.concat([repeated, repeated[["role"]]], axis=1)
    tables = [("a", tidy(instrument, "a", pair)), ("b", repeated)]
    assert passes_each(instrument, tables) == [True, False]
    assert passes_each(instrument, []) == []


def test_the_stack_keeps_each_tables_cells_and_people_apart(instrument):
    pair = [("P1", "mentor")]
    stack = stack_tables(
        [
            ("a", tidy(instrument, "a", pair, site_id=["a", "b"])),
            ("b", tidy(instrument, "b", pair).drop(columns=["role"])),
        ]
    )
    assert stack.n_tables == 2
    assert stack.owner.tolist() == [0, 0, 1, 1]
    assert stack.present["role"].tolist() == [True, False]
    assert set(stack.frame.dtypes) == {np.dtype(object)}
    assert stack.frame["role"].tolist() == ["mentor", "mentor", None, None]
    assert stack.frame[SITE_COLUMN].tolist() == [OWN_SITE, "b", OWN_SITE, OWN_SITE]
    keys = stack.frame["participant_id"].tolist()
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[0] != keys[2]


def test_an_element_wise_check_tests_each_distinct_cell_once():
    tested = []

    def small(cell):
        tested.append(cell)
        return int(cell) < 5

    check = Check("small", small, element_wise=True)
    values = pd.Series(["1", "7", "1", "x", "1", ["unhashable"]], dtype=object)
    assert check.passing(values).tolist() == [True, False, True, False, True, False]
    assert tested == ["1", "7", "x", ["unhashable"]]


def test_a_vectorised_check_that_cannot_say_gives_no_verdict():
    values = pd.Series(["1", "2"], dtype=object)
    assert Check("raises", lambda _: 1 / 0).passing(values) is None
    assert Check("not_boolean", lambda v: v).passing(values) is None
    assert Check("ok", lambda v: v == "1").passing(values).tolist() == [True, False]


@pytest.mark.parametrize("values", [[1, None, 3], [None], [], [0, 1, 1]])
def test_nullable_integers_are_pandas_own(values):
    made, expected = nullable_integers(values), pd.array(values, dtype="Int64")
    assert made.dtype == expected.dtype
    assert made.tolist() == expected.tolist()
    assert (made._data == expected._data).all() and (made._mask == expected._mask).all()


def test_the_clean_table_keeps_its_types(instrument):
    frame = tidy(instrument, "a", [("P1", "mentor"), ("P2", "mentee")])
    frame.loc[3, instrument.domain_ids[0]] = None
    clean = clean_table(frame, instrument, "a")
    assert clean.index.equals(pd.RangeIndex(len(frame)))
    assert clean[SITE_COLUMN].tolist() == ["a"] * len(frame)
    assert clean[SITE_COLUMN].dtype == pd.Series("a", index=[0]).dtype
    assert clean["participant_id"].dtype == object
    assert clean[instrument.domain_ids[0]].dtype == "Int64"
    assert clean[instrument.domain_ids[0]].tolist() == [4, pd.NA, 4, 4]
    assert clean["source_row"].dtype == np.int64
    assert clean["source_row"].tolist() == frame.index.tolist()


def _sites(tmp_path, table):  # noqa: F811
    """Five sites: valid, a bad cell, unreadable, the same ids as the first, missing."""
    texts = {
        "leeds": table.text(),
        "york": table.text().replace("leeds,P1,mentor,pre,3", "york,P1,mentor,pre,9"),
        "hull": "\x00\x01 not a table",
        "bath": table.text().replace("leeds", "bath"),
    }
    sites = []
    for site_id in (*texts, "wells"):
        path = tmp_path / f"{site_id}.csv"
        if site_id in texts:
            path.write_text(texts[site_id], encoding="utf-8")
        sites.append(
            {"site_id": site_id, "name": site_id, "format": "responses", "file": str(path)}
        )
    return sites


def _reports(checked) -> list[str]:
    return [site.report.to_json() + site.report.to_markdown() for site in checked]


def test_a_shards_sites_get_the_reports_each_gets_alone(tmp_path, table, instrument, monkeypatch):  # noqa: F811
    sites = _sites(tmp_path, table)
    calls = []
    checked_together = responses.passes_each

    def recorded(instrument, tables):
        calls.append([site_id for site_id, _ in tables])
        return checked_together(instrument, tables)

    monkeypatch.setattr(site_module, "passes_each", recorded)
    together = list(validate_each(sites, instrument))
    assert calls == [["leeds", "york", "bath"]]
    one_by_one = list(validate_each(sites, instrument, batch_rows=1))
    assert calls[1:] == [["leeds"], ["york"], ["bath"]]
    assert (
        _reports(together)
        == _reports(one_by_one)
        == _reports(validate(site, instrument) for site in sites)
    )
    statuses = [json.loads(site.report.to_json())["status"] for site in together]
    assert statuses == ["valid", "invalid", "invalid", "valid", "invalid"]
    assert together[0].clean.equals(one_by_one[0].clean)


def test_when_the_checks_together_fail_pandera_checks_each_site(
    tmp_path,
    table,  # noqa: F811
    instrument,
    monkeypatch,
):
    sites = _sites(tmp_path, table)
    expected = _reports(validate_each(sites, instrument))

    def breaks(instrument, tables):
        raise RuntimeError("no verdict")

    monkeypatch.setattr(site_module, "passes_each", breaks)
    assert _reports(validate_each(sites, instrument)) == expected
