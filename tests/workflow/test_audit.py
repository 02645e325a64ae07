"""End to end: the manifest and verify, exact reruns, and faults survived."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from revmentor.cli import main
from revmentor.core.sharding import shard_of
from tests.workflow.conftest import SHARDS, Workspace, shard_jobs

pytestmark = pytest.mark.slow
RESPONSES_SITES = ("pilot", "northgate", "riverside", "hillcrest", "seaview")
VALIDATION = {"validation_overview", "policy_check"}
POOLED = {
    *VALIDATION,
    "pool_sites",
    "pool_sensitivity",
    "pool_moderators",
    "pool_items",
    "ipd_model",
    "replication_criteria",
}
REPORT = {"report_tables", "report_forests", "report_moderators", "report_likert", "report_flow"}
# The HTML pages name the manifest, so they are rewritten (and audited) whenever it is.
AUDIT = {"audit_manifest", "report_page", "audit_report", "all"}


def jobs(*rules: str, sites: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    """Consortium-level jobs, and the shard jobs of these sites."""
    return {(rule, "") for rule in rules} | (shard_jobs(*sites) if sites else set())


def stats_jobs(*sites: str) -> set[tuple[str, str]]:
    return {job for job in shard_jobs(*sites) if job[0].startswith("stats_")}


@pytest.fixture
def finished(example_run) -> Workspace:
    return example_run


def verify(workspace: Workspace, capsys) -> tuple[int, str]:
    code = main(["--root", str(workspace.root), "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_verify_passes_then_names_each_changed_or_missing_file(finished, capsys):
    code, output = verify(finished, capsys)
    assert code == 0 and "all" in output
    meta = finished.root / "results/pooled/meta_analysis.csv"
    figure = finished.root / "results/figures/forest_mentor_total.png"
    original_meta, original_figure = meta.read_bytes(), figure.read_bytes()
    try:
        meta.write_bytes(original_meta[:-2] + b"9" + original_meta[-1:])
        figure.unlink()
        code, output = verify(finished, capsys)
        assert code == 1
        assert "changed: results/pooled/meta_analysis.csv" in output
        assert "missing: results/figures/forest_mentor_total.png" in output
        assert "2 of" in output
    finally:
        meta.write_bytes(original_meta)
        figure.write_bytes(original_figure)
    assert verify(finished, capsys)[0] == 0


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text


CASES = {
    "one site's data": (
        "data/example/pilot.csv",
        "pilot,SYN-PILO-MENTOR001,mentor,pre,4,",
        "pilot,SYN-PILO-MENTOR001,mentor,pre,5,",
        jobs(*POOLED, *REPORT, *AUDIT, sites=("pilot",)),
    ),
    "report.alpha (verdicts and tables only)": (
        "config/config.yaml",
        "alpha: 0.05",
        "alpha: 0.01",
        jobs("replication_criteria", "report_tables", "report_config", *AUDIT),
    ),
    "report.forest_max_sites (forest plots only)": (
        "config/config.yaml",
        "forest_max_sites: 40",
        "forest_max_sites: 3",
        jobs("report_forests", "report_moderators", "report_config", *AUDIT),
    ),
    "report.likert_max_sites (Likert charts only)": (
        "config/config.yaml",
        "likert_max_sites: 12",
        "likert_max_sites: 2",
        jobs("report_likert", "report_config", *AUDIT),
    ),
    "report.appendix_max_sites (the results page only)": (
        "config/config.yaml",
        "  site_order: registry",
        "  appendix_max_sites: 1\n  site_order: registry",
        jobs("report_config", *AUDIT),
    ),
    "pooling.method": (
        "config/config.yaml",
        "method: REML",
        "method: PM",
        jobs(
            "pool_sites",
            "pool_sensitivity",
            "pool_moderators",
            "replication_criteria",
            "report_tables",
            "report_forests",
            "report_moderators",
            "report_flow",
            "report_config",
            *AUDIT,
        ),
    ),
    "seed (per-site statistics)": (
        "config/config.yaml",
        "seed: 20221101",
        "seed: 7",
        jobs(*POOLED - VALIDATION, *REPORT, "report_config", *AUDIT)
        | stats_jobs(*RESPONSES_SITES, "oakfield"),
    ),
    "a comment in config.yaml": (
        "config/config.yaml",
        "# Consortium configuration.",
        "# Consortium configuration!",
        jobs(*AUDIT),
    ),
    "a function of revmentor.pooling.combined": (
        "src/revmentor/pooling/combined.py",
        'p_two = float(row["wilcoxon_p"])',
        'p_two = float(row["wilcoxon_p"]) + 0.0',
        jobs(
            "pool_sites",
            "replication_criteria",
            "report_tables",
            "report_forests",
            "report_moderators",
            "report_flow",
            *AUDIT,
        ),
    ),
    "a function of revmentor.report.figures.likert": (
        "src/revmentor/report/figures/likert.py",
        "def neutral_level(",
        "def neutral_level (",
        # The flow diagram's module is in the same package, whose __init__ imports likert.
        jobs("report_forests", "report_moderators", "report_likert", "report_flow", *AUDIT),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_change_reruns_exactly_what_it_affects(finished, case):
    relative, old, new, expected = CASES[case]
    path = finished.root / relative
    before = edit(path, old, new)
    try:
        assert finished.planned_jobs() == expected
    finally:
        path.write_text(before)
    assert finished.planned_jobs() == set()


def test_a_package_upgrade_reruns_the_steps_that_import_it(finished, tmp_path):
    """A newer matplotlib, as installed metadata earlier on the path, reruns the figures."""
    fake = tmp_path / "site" / "matplotlib-9.9.9.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: matplotlib\nVersion: 9.9.9\n")
    saved = finished.env["PYTHONPATH"]
    finished.env["PYTHONPATH"] = f"{saved}{os.pathsep}{fake.parent}"
    try:
        assert finished.planned_jobs() == jobs(
            "report_forests", "report_moderators", "report_likert", "report_flow", *AUDIT
        )
    finally:
        finished.env["PYTHONPATH"] = saved


def test_a_per_site_file_deleted_by_hand_reruns_only_its_shards_statistics(finished):
    """Snakemake tracks a shard by its manifest, not each site's files: the workflow drops a
    manifest that names a file no longer there, so the shard's job writes it again."""
    shard = shard_of("pilot", SHARDS)
    likert = finished.root / "results/sites/pilot/likert.csv"
    manifest = finished.root / f"results/shards/{shard}/stats.json"
    saved = {path: (path.read_bytes(), path.stat()) for path in (likert, manifest)}
    likert.unlink()
    try:
        planned = finished.planned_jobs()
        assert {job for job in planned if job[1]} == {("stats_shard", shard)}
        assert not manifest.exists()
    finally:
        for path, (data, status) in saved.items():
            path.write_bytes(data)
            os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert finished.planned_jobs() == set()


def test_a_hospital_page_deleted_by_hand_reruns_the_pages_and_restores_it(finished, tmp_path):
    """Snakemake tracks the hospital pages by their manifest, not page by page: the workflow
    drops the manifest once a page it names is gone, and report_page writes the page again,
    byte for byte, with the audit of the pages after it."""
    copy = finished.clone(tmp_path / "copy")
    page = copy.root / "results/sites/pilot/report.html"
    manifest = copy.root / "results/report/site_pages.json"
    kept = {path: path.read_bytes() for path in (page, manifest)}
    assert copy.planned_jobs() == set()
    page.unlink()
    assert copy.planned_jobs() == jobs("report_page", "audit_report", "all")
    assert not manifest.exists()
    copy.snakemake(check=True)
    assert {path: path.read_bytes() for path in kept} == kept
    assert copy.planned_jobs() == set()
    code = main(["--root", str(copy.root), "verify"])
    assert code == 0


def test_touching_every_input_reruns_nothing(finished):
    later = time.time() + 60
    for path in [*(finished.root / "data").rglob("*.*"), *(finished.root / "config").iterdir()]:
        os.utime(path, (later, later))
    assert finished.planned_jobs() == set()


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.2)


def test_a_run_elsewhere_killed_and_resumed_gives_the_same_bytes(finished, tmp_path):
    """A run in another, deeper directory, with its own copy of the package, killed half
    way and resumed: every output equals the first run's (so no output depends on the
    folder it was made in, nor on being made in one go)."""
    killed = Workspace(tmp_path / "elsewhere" / "deeper", own_package=True)
    process = killed.start()
    wait_for(lambda: len(list((killed.root / "results/sites").glob("*/summary.csv"))) >= 3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed.root / "results/audit/manifest.json").exists()
    refused = killed.snakemake()
    assert refused.returncode != 0 and "--unlock" in refused.stdout + refused.stderr
    killed.snakemake("--unlock", check=True)
    killed.snakemake(check=True)
    first, second = finished.digests(), killed.digests()
    assert len(first) > 150
    assert first == second


# A second run at once is refused, and data changed meanwhile is caught: one live run checks
# both, in test_audit_integrity.py (test_a_run_refuses_a_second_and_records_data_edited_...).


def test_an_unwritable_results_folder_is_a_clear_error(tmp_path):
    blocked = Workspace(tmp_path / "blocked")
    (blocked.root / "results").write_text("a file where the results folder should be\n")
    result = blocked.snakemake()
    assert result.returncode != 0
    assert "cannot write to 'results/'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr.split("WorkflowError")[0]


def test_config_used_is_recorded(finished):
    used = yaml.safe_load((finished.root / "results/report/config_used.yaml").read_text())
    assert used["config"]["pooling"]["method"] == "REML" and len(used["sites"]) == 6
    # Each site's moderator cells, as the registry holds them.
    assert used["sites"][0]["moderators"] == {"hospital_type": "teaching", "mentoring_hours": "10"}
