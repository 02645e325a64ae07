"""The counts at a glance on the landing page of Snakemake's own report (``snakemake
--report``): src/revmentor/report/snakemake_landing.py, listed by workflow/report/metadata.yaml."""

from __future__ import annotations

from pathlib import Path

from revmentor.report.snakemake_landing import landing_counts

FLOW = """unit,role,outcome,stage,reason,count,sites
sites,,,registered,,7,
sites,,,received,,6,
sites,,,valid,,5,
sites,mentor,total,pooled,,5,
participants,mentor,,received,,109,
participants,mentor,total,not paired,,16,
participants,mentor,total,not paired,no post questionnaire,8,
participants,mentor,total,pooled,,93,
participants,mentor,clinical_practice,pooled,,98,
participants,mentee,total,pooled,,79,
"""


def test_counts_are_the_hospitals_and_each_roles_pooled_total_score(tmp_path: Path):
    flow = tmp_path / "flow.csv"
    flow.write_text(FLOW, encoding="utf-8")
    assert landing_counts(flow) == {
        "Hospitals registered": 7,
        "Hospitals with valid data": 5,
        "Mentors pooled, total score": 93,
        "Mentees pooled, total score": 79,
    }


def test_a_stage_the_flow_table_lacks_is_left_out_rather_than_shown_as_zero(tmp_path: Path):
    flow = tmp_path / "flow.csv"
    flow.write_text(
        "unit,role,outcome,stage,reason,count,sites\nsites,,,registered,,3,\n", encoding="utf-8"
    )
    assert landing_counts(flow) == {"Hospitals registered": 3}


def test_no_flow_table_gives_no_counts(tmp_path: Path):
    assert landing_counts(tmp_path / "missing.csv") == {}
