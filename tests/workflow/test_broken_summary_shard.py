"""End to end: a summary site whose file used to crash its shard's validation job (issue 10).

Every example site is put in one shard. Before, a count no table can hold (``1e20``) in the
summary site's file killed the shard's job with a TypeError, so no site of the shard got a
report. Now that site gets its own report and every other site of the shard is validated.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from revmentor.core.tables import csv_text

pytestmark = pytest.mark.slow


def test_a_broken_summary_does_not_stop_its_shards_other_sites(workspace):
    """All example sites in one shard; the summary site's file has a count no table can hold.
    Before, the shard's job died with a TypeError and no site of the shard got a report."""
    path = workspace.root / "data/example/oakfield_summary.csv"
    summary = pd.read_csv(path, dtype=str, keep_default_na=False)
    summary.loc[2, "n_pairs"] = "1e20"
    path.write_text(csv_text(summary, for_people=False), encoding="utf-8")
    workspace.set_config(**{"execution.shards": 1, "validation.on_invalid_site": "exclude"})
    workspace.snakemake("results/validation/overview.tsv", check=True)
    overview = pd.read_csv(workspace.root / "results/validation/overview.tsv", sep="\t")
    status = dict(zip(overview["site_id"], overview["status"], strict=True))
    assert status.pop("oakfield") == "invalid"
    assert set(status.values()) == {"valid"} and len(status) >= 5
    report = json.loads((workspace.root / "results/validation/oakfield.json").read_text())
    assert [(e["row"], e["column"], e["check"], e["message"]) for e in report["errors"]] == [
        (
            4,
            "n_pairs",
            "whole_number_at_least_1",
            "'1e20' is not a whole number, at least 1: it is more than 9007199254740991, the "
            "largest count the workflow holds exactly",
        )
    ]
