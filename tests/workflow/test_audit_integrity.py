"""End to end (issue 10): the manifest records what was analysed, lists every file under
results/, and its own SHA-256 is in run.json, manifest.sha256, the console and the report."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from revmentor.cli import main
from tests.workflow.conftest import Workspace, shard_jobs
from tests.workflow.test_audit import RESPONSES_SITES

pytestmark = pytest.mark.slow
MANIFEST = "results/audit/manifest.json"


def verify(workspace: Workspace, capsys, *extra: str) -> tuple[int, str]:
    code = main(["--root", str(workspace.root), "verify", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def manifest_sha256(workspace: Workspace) -> str:
    return hashlib.sha256((workspace.root / MANIFEST).read_bytes()).hexdigest()


def test_a_clean_run_lists_every_file_and_publishes_the_manifests_hash(example_run, capsys):
    root = example_run.root
    own = manifest_sha256(example_run)
    code, output = verify(example_run, capsys, "--manifest-sha256", own)
    assert code == 0, output
    assert "files match" in output and "results/ holds no other file" in output
    assert f"manifest SHA-256: {own} (matches the published hash)" in output
    assert (root / "results/audit/manifest.sha256").read_text() == f"{own}  manifest.json\n"
    assert json.loads((root / "results/audit/run.json").read_text())["manifest_sha256"] == own


def test_inputs_carry_the_hash_each_validation_report_took_when_reading(example_run):
    root = example_run.root
    manifest = json.loads((root / MANIFEST).read_text())
    recorded = {record["path"]: record["sha256"] for record in manifest["inputs"]}
    reports = sorted((root / "results/validation").glob("*.json"))
    assert len(reports) == 6
    for path in reports:
        report = json.loads(path.read_text())
        assert recorded[report["file"]] == report["sha256"], report["file"]
        if report.get("items_file"):
            assert recorded[report["items_file"]] == report["items_sha256"]
    oakfield = json.loads((root / "results/validation/oakfield.json").read_text())
    assert oakfield["items_file"] == "data/example/oakfield_items.csv"
    assert manifest["format"] == 2


def test_a_file_added_under_results_is_named(example_run, capsys):
    added = example_run.root / "results/pooled/extra.csv"
    added.write_text("estimate\n9.9\n")
    try:
        code, output = verify(example_run, capsys)
        assert code == 1
        assert "not in manifest: results/pooled/extra.csv\n" in output
        assert "1 file(s) under results/ are not in it" in output
    finally:
        added.unlink()
    assert verify(example_run, capsys)[0] == 0


def test_the_report_shows_the_manifests_hash_and_is_not_taken_for_an_added_file(
    example_run, capsys
):
    report = example_run.root / "results/report.html"
    try:
        example_run.snakemake("--report", "results/report.html", check=True)
        assert manifest_sha256(example_run) in report.read_text(encoding="utf-8")
        assert verify(example_run, capsys)[0] == 0
    finally:
        report.unlink(missing_ok=True)


def wait_for(condition, run, what: str) -> None:
    deadline = time.time() + 300
    while not condition():
        assert time.time() < deadline and run.poll() is None, what
        time.sleep(0.2)


def test_a_run_refuses_a_second_and_records_data_edited_during_it_as_analysed_and_caught(
    tmp_path, capsys
):
    """One live run for both (each was a full run of its own): a second run started
    meanwhile is refused; data edited after it was read is recorded as analysed, named,
    caught by verify, and only its shard is planned again."""
    busy = Workspace(tmp_path / "busy")
    data = busy.root / "data/example/pilot.csv"
    analysed = hashlib.sha256(data.read_bytes()).hexdigest()
    run = busy.start()
    wait_for(lambda: any((busy.root / ".snakemake/locks").glob("*")), run, "never locked")
    second = busy.snakemake()
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout + second.stderr
    wait_for(
        lambda: (busy.root / "results/validation/pilot.json").exists(),
        run,
        "pilot was never validated",
    )
    text = data.read_text()
    assert "mentor,pre,4," in text
    data.write_text(text.replace("mentor,pre,4,", "mentor,pre,5,", 1))
    edited = hashlib.sha256(data.read_bytes()).hexdigest()
    assert edited != analysed
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output
    manifest = json.loads((busy.root / MANIFEST).read_text())
    record = next(r for r in manifest["inputs"] if r["path"] == "data/example/pilot.csv")
    assert record == {
        "path": "data/example/pilot.csv",
        "sha256": analysed,
        "bytes": None,
        "sha256_when_manifest_written": edited,
    }
    assert (
        "data/example/pilot.csv changed after this run read it: the manifest records the "
        f"SHA-256 that was analysed ({analysed}); run the workflow again to analyse the new "
        "version"
    ) in output
    own = manifest_sha256(busy)
    assert f"Audit manifest results/audit/manifest.json, SHA-256 {own}" in output
    code, report = verify(busy, capsys)
    assert code == 1
    assert report.splitlines()[0] == "changed since analysed: data/example/pilot.csv"
    planned = busy.planned_jobs()
    pilot = shard_jobs("pilot")
    assert pilot <= planned
    others = {job for site in RESPONSES_SITES[1:] for job in shard_jobs(site)} - pilot
    assert not planned & others
