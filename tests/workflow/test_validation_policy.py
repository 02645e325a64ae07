"""End to end: invalid sites under the stop and exclude policies, and path escapes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_stop_policy_fails_and_names_site_report_and_first_error(example_run, tmp_path):
    # A copy of the finished example run: only the changed site's shard is validated again.
    workspace = example_run.clone(tmp_path / "copy")
    workspace.corrupt_cell("example/northgate.csv", 5, "strengths", "7")
    result = workspace.snakemake()
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Site 'northgate' (data/example/northgate.csv) is invalid: 1 error(s)" in output
    assert "results/validation/northgate.md" in output
    assert "row 5, column 'strengths': '7' is not a whole number from 1 to 5" in output
    report = json.loads((workspace.root / "results/validation/northgate.json").read_text())
    assert report["status"] == "invalid"
    assert [(e["row"], e["column"], e["value"], e["check"]) for e in report["errors"]] == [
        (5, "strengths", "7", "score_in_scale")
    ]


def test_exclude_policy_goes_on_and_shows_the_exclusion_everywhere(example_run, tmp_path):
    # A copy of the finished example run: only northgate's shard is validated and summarised
    # again, so every file read below that names it was written by this run.
    workspace = example_run.clone(tmp_path / "copy")
    workspace.corrupt_cell("example/northgate.csv", 5, "strengths", "7")
    workspace.set_config(**{"validation.on_invalid_site": "exclude"})
    workspace.snakemake("results/pooled/meta_analysis.csv", "results/pooled/items.csv", check=True)
    overview = pd.read_csv(workspace.root / "results/validation/overview.tsv", sep="\t")
    row = overview.set_index("site_id").loc["northgate"]
    assert (row["status"], row["included"], row["n_errors"]) == ("invalid", "no", 1)
    assert "1 validation error" in row["reason"]
    assert set(overview.loc[overview["site_id"] != "northgate", "included"]) == {"yes"}
    assert pd.read_csv(workspace.root / "results/sites/northgate/summary.csv").empty
    for name in ("meta_analysis", "combined_tests", "items"):
        pooled = pd.read_csv(workspace.root / f"results/pooled/{name}.csv", keep_default_na=False)
        assert pooled["excluded_sites"].str.contains("northgate: invalid data").all(), name
    meta = pd.read_csv(workspace.root / "results/pooled/meta_analysis.csv")
    assert (meta.loc[meta["k"] > 0, "k"] == 5).all()


def test_example_consortium_is_all_valid(example_run):
    for site_id, *_ in example_run.registry_rows():
        report = json.loads((example_run.root / f"results/validation/{site_id}.json").read_text())
        assert report["status"] == "valid", site_id


@pytest.mark.parametrize(
    ("data", "check"),
    [
        ("../../outside.csv", "path_inside_data_root"),
        ("example/../../outside.csv", "path_inside_data_root"),
        ("link_out/outside.csv", "path_inside_data_root"),
        ("/etc/hostname", "relative_path"),
    ],
)
def test_path_escape_stops_before_any_rule_runs(workspace, data, check):
    (workspace.root / "outside.csv").write_text("participant_id\n")
    (workspace.root / "data/link_out").symlink_to(workspace.root, target_is_directory=True)
    rows = workspace.registry_rows()
    rows.append(["intruder", "Intruder", data, "responses", "2024-05-01"])
    workspace.write_registry(rows)
    result = workspace.snakemake()
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"row {len(rows) + 1}, column 'data'" in output
    assert f"[{check}]" in output
    assert not (workspace.root / "results").exists()
