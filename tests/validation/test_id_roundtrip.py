"""Participant ids survive the workflow's internal tables exactly.

A site's clean table is written by the validation job and read back by the statistics job
(``results/clean/<site>.csv``). If the writer neutralised ids against spreadsheet formulas,
``-P9`` and ``'-P9`` would both come back as ``'-P9``: two people counted as one, and
every statistic of the site computed on merged rows. These tests go through the same
functions, and the same files, as the shard jobs do.
"""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

import pandas as pd
import pytest

from revmentor.core.summary_format import SUMMARY_COLUMNS, read_summary
from revmentor.core.tables import (
    csv_text,
    read_exact_csv,
    table_csv,
    write_csv,
    write_text,
)
from revmentor.stats.distributions import CHANGE_COLUMNS, change_table
from revmentor.steps import SITE_TABLES, site_tables
from revmentor.validation.clean import clean_csv, read_clean
from revmentor.validation.policy import overview, read_overview
from revmentor.validation.site import validate_site

SITE_ID = "leeds"
#: Ids that differ only by what a spreadsheet would take for a formula (a leading
#: ``'``, ``=``, ``+``, ``-``, ``@``), by a quote or by a tab or carriage return inside
#: the id (leading and trailing white space is trimmed by validation, so only inner ones
#: can reach the clean table), and ids a CSV reader would take for the same number.
HOSTILE_MENTEES = (
    "P9",
    "'P9",
    "=P9",
    "+P9",
    "-P9",
    "@P9",
    "'-P9",
    "''-P9",
    "'=P9",
    '"P9"',
    "P\t9",
    "P\r9",
    "P\n9",
    "007",
    "7",
    "7.0",
)
#: Each mentee's change in the first domain, from -4 to 4 on the 1-5 scale.
MENTEE_CHANGES = {
    participant: (index * 5) % 9 - 4 for index, participant in enumerate(HOSTILE_MENTEES)
}
MENTORS = ("M1", "M2", "M3")


def hostile_site_csv(instrument, site_id: str = SITE_ID) -> str:
    """One row per participant and timepoint; a mentee's score in the first domain moves
    by its change, every other score stays at the scale's middle."""
    middle = (instrument.scale_min + instrument.scale_max) // 2
    header = ["site_id", "participant_id", "role", "timepoint", *instrument.domain_ids]
    pre, post = instrument.timepoints
    rows = []

    def scores(first: int) -> list[int]:
        return [first, *[middle] * (len(instrument.domain_ids) - 1)]

    for participant, change in MENTEE_CHANGES.items():
        # Centred on the middle, so that every score stays on the scale.
        base = middle - change // 2
        rows.append([site_id, participant, "mentee", pre, *scores(base)])
        rows.append([site_id, participant, "mentee", post, *scores(base + change)])
    for number, participant in enumerate(MENTORS):
        rows.append([site_id, participant, "mentor", pre, *scores(middle)])
        rows.append([site_id, participant, "mentor", post, *scores(middle + number - 1)])
    buffer = io.StringIO()
    # Excel's own line ends: the writer then quotes a carriage return inside an id.
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue()


def validated(tmp_path: Path, instrument) -> pd.DataFrame:
    path = tmp_path / "leeds.csv"
    path.write_text(hostile_site_csv(instrument), encoding="utf-8", newline="")
    site = {"site_id": SITE_ID, "name": "Leeds", "format": "responses", "file": "leeds.csv"}
    report, clean = validate_site(path, site, instrument)
    assert report.errors == (), report.to_markdown()
    assert clean is not None
    return clean


def through_the_clean_file(tmp_path: Path, clean: pd.DataFrame, instrument) -> pd.DataFrame:
    """What the statistics job reads: the file the validation job wrote, read back."""
    path = tmp_path / "results/clean/leeds.csv"
    write_text(path, clean_csv(clean, instrument))
    return read_clean(path, instrument)


def test_hostile_ids_reach_the_clean_table_distinct(tmp_path, instrument):
    clean = validated(tmp_path, instrument)
    mentees = clean.loc[clean["role"] == "mentee", "participant_id"]
    assert sorted(set(mentees)) == sorted(HOSTILE_MENTEES)


def test_clean_table_round_trips_every_value_exactly(tmp_path, instrument):
    clean = validated(tmp_path, instrument)
    read_back = through_the_clean_file(tmp_path, clean, instrument)
    assert read_back["participant_id"].tolist() == clean["participant_id"].tolist()
    pd.testing.assert_frame_equal(read_back, clean, check_dtype=False)


def test_per_site_statistics_count_every_participant_once(tmp_path, instrument):
    clean = validated(tmp_path, instrument)
    read_back = through_the_clean_file(tmp_path, clean, instrument)
    summary = site_tables(SITE_ID, instrument, 1, read_back)["summary"]
    first_domain = instrument.domain_ids[0]
    mentee = summary[(summary["role"] == "mentee") & (summary["outcome"] == first_domain)]
    changes = list(MENTEE_CHANGES.values())
    assert mentee["n_pairs"].tolist() == [len(HOSTILE_MENTEES)]
    assert mentee["sd_diff"].tolist() == pytest.approx([statistics.stdev(changes)], rel=1e-12)
    assert mentee["mean_diff"].tolist() == pytest.approx([statistics.mean(changes)], rel=1e-12)
    in_memory = site_tables(SITE_ID, instrument, 1, clean)["summary"]
    pd.testing.assert_frame_equal(summary, in_memory)


def test_per_site_tables_round_trip_through_their_files(tmp_path, instrument):
    """results/sites/<site>/*.csv and results/shards/*: what the consortium steps read."""
    clean = validated(tmp_path, instrument)
    tables = site_tables(SITE_ID, instrument, 1, clean)
    summary_path = tmp_path / "summary.csv"
    write_text(summary_path, table_csv(tables["summary"], SITE_TABLES["summary"], for_people=False))
    pd.testing.assert_frame_equal(read_summary(summary_path), tables["summary"])
    changes = change_table(clean, instrument, SITE_ID)
    changes_path = tmp_path / "shard000.changes.csv"
    write_text(changes_path, table_csv(changes, CHANGE_COLUMNS, for_people=False))
    read_back = read_exact_csv(changes_path)
    assert read_back["site_id"].tolist() == changes["site_id"].tolist()
    assert [float(value) for value in read_back["change"]] == changes["change"].tolist()


def test_shard_validation_table_keeps_the_site_name_exactly(tmp_path, instrument):
    """results/shards/<shard>/validation.tsv is read back to build the overview."""
    path = tmp_path / "leeds.csv"
    path.write_text(hostile_site_csv(instrument), encoding="utf-8", newline="")
    name = '=HYPERLINK("http://x") St Mary\'s "Wing"'
    site = {"site_id": SITE_ID, "name": name, "format": "responses", "file": "leeds.csv"}
    report, _ = validate_site(path, site, instrument)
    shard_table = tmp_path / "results/shards/shard000/validation.tsv"
    write_csv(shard_table, overview([report], ["results/validation/leeds.md"]), for_people=False)
    assert read_overview(str(shard_table))["name"].tolist() == [name]


def test_tables_for_people_are_neutralised_and_internal_ones_are_not():
    frame = pd.DataFrame({"participant_id": ["-P9", "'-P9", "=1+1", "@x", "+1", "P9"]})
    assert csv_text(frame, for_people=True) == "participant_id\n'-P9\n'-P9\n'=1+1\n'@x\n'+1\nP9\n"
    assert csv_text(frame, for_people=False) == "participant_id\n-P9\n'-P9\n=1+1\n@x\n+1\nP9\n"


def test_an_empty_table_is_the_header_alone():
    assert table_csv(None, SUMMARY_COLUMNS[:3], for_people=False) == "site_id,role,outcome\n"


def test_internal_tables_need_an_explicit_choice():
    """No default: each writer says whether people open its file in a spreadsheet."""
    frame = pd.DataFrame({"a": ["-1"]})
    with pytest.raises(TypeError, match="for_people"):
        csv_text(frame)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="for_people"):
        table_csv(frame, ["a"])  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------
# End to end: the real workflow reads exactly what it wrote
# ---------------------------------------------------------------------------------------

FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
FOR_PEOPLE = ("results/tables", "results/pooled")


@pytest.mark.slow
def test_workflow_keeps_hostile_ids_apart_and_neutralises_the_name(
    example_run, tmp_path, instrument, config
):
    from tests.workflow.conftest import shard_target

    # A copy of the finished example run: the added site reruns its shard and the
    # consortium steps behind the targets, which write every table read below.
    workspace = example_run.clone(tmp_path / "work")
    data = workspace.root / "data/hostile/responses.csv"
    data.parent.mkdir(parents=True)
    data.write_text(hostile_site_csv(instrument, "hostile"), encoding="utf-8", newline="")
    sheet = workspace.root / "config/sites.tsv"
    row = ["hostile", FORMULA_NAME, "hostile/responses.csv", "responses", "2025-02-01"]
    # The optional cells (items, moderators) empty.
    row += [""] * (len(workspace.registry_header()) - len(row))
    with sheet.open("a", encoding="utf-8", newline="") as stream:
        csv.writer(stream, delimiter="\t", lineterminator="\n").writerow(row)
    workspace.snakemake(
        shard_target("hostile"),
        "results/validation/overview.tsv",
        "results/tables/sites.csv",
        check=True,
    )
    results = workspace.root / "results"
    site = {"site_id": "hostile", "name": FORMULA_NAME, "format": "responses", "file": "x"}
    _, clean = validate_site(data, site, instrument)
    assert clean is not None
    # The statistics job read the clean table exactly as validation left it...
    read_back = read_clean(results / "clean/hostile.csv", instrument)
    pd.testing.assert_frame_equal(read_back, clean, check_dtype=False)
    # ...so the site's summary is the one computed in memory, every participant counted once.
    in_memory = site_tables("hostile", instrument, config["seed"], clean)["summary"]
    expected = table_csv(in_memory, SITE_TABLES["summary"], for_people=False)
    assert (results / "sites/hostile/summary.csv").read_text() == expected
    first = read_summary(results / "sites/hostile/summary.csv")
    mentee = first[(first["role"] == "mentee") & (first["outcome"] == instrument.domain_ids[0])]
    assert mentee["n_pairs"].tolist() == [len(HOSTILE_MENTEES)]
    assert mentee["sd_diff"].tolist() == pytest.approx(
        [statistics.stdev(MENTEE_CHANGES.values())], rel=1e-12
    )
    # Files people open show the name as text, never as a formula.
    overview_table = pd.read_csv(
        results / "validation/overview.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    assert overview_table.loc[overview_table["site_id"] == "hostile", "name"].tolist() == [
        "'" + FORMULA_NAME
    ]
    sites_table = pd.read_csv(results / "tables/sites.csv", dtype=str, keep_default_na=False)
    assert set(sites_table.loc[sites_table["site_id"] == "hostile", "name"]) == {"'" + FORMULA_NAME}
    shown = [results / "validation/overview.tsv"]
    for folder in FOR_PEOPLE:
        shown += sorted((workspace.root / folder).glob("*.csv"))
    for path in shown:
        table = pd.read_csv(
            path, sep="\t" if path.suffix == ".tsv" else ",", dtype=str, keep_default_na=False
        )
        cells = [cell for column in table.columns for cell in table[column]]
        assert [cell for cell in cells if runs_as_formula(cell)] == [], path


def runs_as_formula(cell: str) -> bool:
    """Text a spreadsheet would run (a number such as -1.5 is just a number)."""
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False
