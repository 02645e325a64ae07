"""The manifest tells the truth (issue 10): it records what was analysed, verify finds files
it does not list, refuses a tampered or malformed manifest, and checks the manifest's own
published SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from revmentor.audit import manifest as audit
from revmentor.audit.manifest import (
    analysed_inputs,
    build_manifest,
    manifest_text,
    run_record,
    sha256_line,
)
from revmentor.cli import main
from revmentor.core.hashing import sha256_file
from revmentor.validation import site as site_module
from revmentor.validation.site import validate

REPO = Path(__file__).resolve().parents[2]
DATA = "data/site/responses.csv"
OUTPUTS = ["results/sites/a/summary.csv", "results/logs/step.log"]
MANIFEST = "results/audit/manifest.json"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def finished_run(root: Path, analysed_data: str = "id,score\nP1,4\n") -> str:
    """A workflow folder as a run leaves it: the data as analysed, the outputs, and the
    manifest with its hash file and run record, written as the audit step writes them.
    Returns the manifest's own SHA-256."""
    for name, text in {
        "config/config.yaml": "seed: 1\n",
        DATA: analysed_data,
        OUTPUTS[0]: "role,n\nmentor,1\n",
        OUTPUTS[1]: "INFO done\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    started = {"config/config.yaml": sha256_file(root / "config/config.yaml")}
    reports = [{"file": DATA, "sha256": sha(analysed_data)}]
    cwd = Path.cwd()
    os.chdir(root)
    try:
        inputs = analysed_inputs(["config/config.yaml", DATA], started, reports)
        manifest = build_manifest(inputs, OUTPUTS, {"seed": 1}, [], root)
    finally:
        os.chdir(cwd)
    text = manifest_text(manifest)
    (root / MANIFEST).parent.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).write_text(text)
    (root / "results/audit/manifest.sha256").write_text(sha256_line(sha(text), "manifest.json"))
    (root / "results/audit/run.json").write_text("{}\n")
    (root / "results/logs/audit_manifest.log").write_text("INFO manifest\n")
    return sha(text)


def run_verify(root: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "verify", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def root(tmp_path) -> Path:
    folder = tmp_path / "workflow"
    folder.mkdir()
    return folder


# 1. Data edited during a run ------------------------------------------------------------


def test_the_manifest_records_the_analysed_hash_of_a_file_edited_during_the_run(root, capsys):
    analysed = "id,score\nP1,4\n"
    (root / "data/site").mkdir(parents=True)
    (root / DATA).write_text(analysed)
    reports = [{"file": DATA, "sha256": sha(analysed)}]
    (root / DATA).write_text("id,score\nP1,5\n")  # edited after validation read it
    os.chdir(root)
    inputs = analysed_inputs([DATA], {}, reports)
    manifest = build_manifest(inputs, [], {}, [], root)
    assert manifest["format"] == 2
    assert manifest["inputs"] == [
        {
            "path": DATA,
            "sha256": sha(analysed),
            "bytes": None,
            "sha256_when_manifest_written": sha("id,score\nP1,5\n"),
        }
    ]
    assert audit.changed_inputs(manifest) == manifest["inputs"]


def test_verify_names_a_data_file_that_differs_from_what_was_analysed(root, capsys):
    finished_run(root)
    assert run_verify(root, capsys)[0] == 0
    (root / DATA).write_text("id,score\nP1,5\n")
    code, out, err = run_verify(root, capsys)
    assert code == 1
    assert out == f"changed since analysed: {DATA}\n"
    assert err.startswith(f"verify: 1 of 4 files differ from {root / MANIFEST}\n")


def test_inputs_record_the_config_hashed_at_start_and_each_sites_files_as_read(root, monkeypatch):
    monkeypatch.chdir(root)
    (root / "data").mkdir()
    (root / "data/c.csv").write_text("never read\n")
    reports = [
        {"file": "data/a.csv", "sha256": "1" * 64},
        {
            "file": "data/b_summary.csv",
            "sha256": "2" * 64,
            "items_file": "data/b_items.csv",
            "items_sha256": "3" * 64,
        },
        {"file": "data/c.csv", "sha256": ""},  # validation failed before reading it
    ]
    started = {"config/config.yaml": "4" * 64}
    inputs = ["config/config.yaml", "data/a.csv", "data/b_summary.csv", "data/b_items.csv"]
    assert analysed_inputs([*inputs, "data/c.csv"], started, reports) == {
        "config/config.yaml": "4" * 64,
        "data/a.csv": "1" * 64,
        "data/b_items.csv": "3" * 64,
        "data/b_summary.csv": "2" * 64,
        "data/c.csv": sha("never read\n"),
    }


def test_a_summary_sites_report_holds_the_hash_of_its_items_file(tmp_path, instrument):
    summary = REPO / "data/example/oakfield_summary.csv"
    items = REPO / "data/example/oakfield_items.csv"
    site = {
        "site_id": "oakfield",
        "name": "Oakfield",
        "format": "summary",
        "file": str(summary),
        "items_file": str(items),
    }
    report = validate(site, instrument).report.to_dict()
    assert report["sha256"] == sha256_file(summary)
    assert (report["items_file"], report["items_sha256"]) == (str(items), sha256_file(items))
    assert f"- **Items file:** `{items}`, SHA-256 `{sha256_file(items)}`" in (
        validate(site, instrument).report.to_markdown()
    )


def test_a_file_written_to_while_it_is_read_is_refused(tmp_path, instrument, monkeypatch):
    data = tmp_path / "pilot.csv"
    data.write_bytes((REPO / "data/example/pilot.csv").read_bytes())
    real_read = site_module.read_table

    def read_during_a_save(path, *args, **kwargs):
        table = real_read(path, *args, **kwargs)
        with open(path, "a") as handle:
            handle.write("\n")
        return table

    monkeypatch.setattr(site_module, "read_table", read_during_a_save)
    site = {"site_id": "pilot", "name": "Pilot", "format": "responses", "file": str(data)}
    report = validate(site, instrument).report
    assert [(error.check, error.message) for error in report.errors] == [
        (
            "changed_while_read",
            "the file changed while it was being read (it was being saved or copied during "
            "the run); let the copy finish, then run the workflow again",
        )
    ]


# 2. Files added under results/ -----------------------------------------------------------


def test_files_under_results_that_the_manifest_does_not_list_are_named(root, capsys):
    finished_run(root)
    (root / "results/report.html").write_text("<html></html>")  # the Snakemake report
    code, out, _ = run_verify(root, capsys)
    assert code == 0
    (root / "results/pooled").mkdir()
    (root / "results/pooled/extra.csv").write_text("a\n1\n")
    (root / "results/sites/a/.hidden").write_text("x")
    (root / "results/linked").symlink_to(root / "data", target_is_directory=True)
    code, out, err = run_verify(root, capsys)
    assert code == 1
    assert out.splitlines() == [
        "not in manifest: results/linked",
        "not in manifest: results/pooled/extra.csv",
        "not in manifest: results/sites/a/.hidden",
    ]
    assert err.splitlines()[0] == (
        f"verify: 0 of 4 files differ from {root / MANIFEST}; "
        "3 file(s) under results/ are not in it"
    )


# 3. A tampered or malformed manifest -----------------------------------------------------


def tamper(root: Path, change) -> None:
    manifest = json.loads((root / MANIFEST).read_text())
    change(manifest)
    (root / MANIFEST).write_text(json.dumps(manifest))
    # As a thorough forger would, so that only the published hash can tell.
    sidecar = sha256_line(sha256_file(root / MANIFEST), "manifest.json")
    (root / "results/audit/manifest.sha256").write_text(sidecar)


@pytest.fixture
def nothing_hashed(monkeypatch):
    def refuse(path):
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(audit, "sha256_file", refuse)


def test_a_path_leading_outside_the_workflow_folder_is_refused_not_hashed(
    root, capsys, nothing_hashed
):
    (root / "data/site").mkdir(parents=True)
    (root / "results/audit").mkdir(parents=True)
    (root / MANIFEST).write_text(
        json.dumps(
            {
                "format": 2,
                "inputs": [{"path": "../../../../etc/hostname", "sha256": "0" * 64, "bytes": 1}],
                "outputs": [{"path": "/etc/hostname", "sha256": "0" * 64, "bytes": 1}],
            }
        )
    )
    code, out, err = run_verify(root, capsys)
    assert code == 2 and out == ""
    assert err == (
        f"revmentor: {root / MANIFEST} cannot be used as an audit manifest; nothing was "
        "checked:\n"
        '  - inputs[0].path "../../../../etc/hostname" leads outside the workflow folder '
        f"{root} once '..' and links are resolved, refused (an input kept elsewhere: name "
        "its folder with --allow-inputs-under)\n"
        '  - outputs[0].path "/etc/hostname" is an absolute path, refused\n'
        "Check the manifest the workflow wrote (results/audit/manifest.json), or ask whoever "
        "sent this one for an intact copy.\n"
    )


def test_a_link_that_escapes_the_workflow_folder_is_refused(root, capsys, tmp_path):
    finished_run(root)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours\n")
    (root / "results/escape.txt").symlink_to(secret)
    tamper(
        root,
        lambda m: m["outputs"].append(
            {"path": "results/escape.txt", "sha256": "0" * 64, "bytes": 10}
        ),
    )
    code, _, err = run_verify(root, capsys)
    assert code == 2
    assert (
        '  - outputs[2].path "results/escape.txt" leads outside the workflow folder '
        f"{root} once '..' and links are resolved, refused\n"
    ) in err


def test_data_kept_outside_the_folder_is_checked_only_where_the_auditor_allows(
    root, capsys, tmp_path
):
    finished_run(root)
    elsewhere = tmp_path / "share"
    elsewhere.mkdir()
    (elsewhere / "site.csv").write_text("id\n1\n")
    outside = {
        "path": str(elsewhere / "site.csv"),
        "sha256": sha256_file(elsewhere / "site.csv"),
        "bytes": 5,
    }
    tamper(root, lambda m: m["inputs"].append(outside))
    assert run_verify(root, capsys)[0] == 2
    code, out, _ = run_verify(root, capsys, "--allow-inputs-under", str(elsewhere))
    assert code == 0 and out.startswith("verify: all 5 files match")


MALFORMED = {
    "not JSON": (
        b'{"format": 2,\n "inputs": [}',
        "it is not valid JSON (line 2, column 13: Expecting value)",
    ),
    "not UTF-8": (
        b'{"format": 2, "inputs": "\xff"}',
        "it is not UTF-8 text (byte 26, counting from 1)",
    ),
    "a list": (b"[1, 2]", "it holds a JSON array, not an object with inputs and outputs"),
    "no inputs": (
        b'{"format": 2, "outputs": []}',
        "it has no 'inputs' list",
    ),
    "outputs not a list": (
        b'{"format": 2, "inputs": [], "outputs": {"a": 1}}',
        "'outputs' is a JSON object, not a list",
    ),
    "a newer format": (
        b'{"format": 3, "inputs": [], "outputs": []}',
        "its 'format' is 3; this revmentor reads formats 1 and 2",
    ),
    "a record without a hash": (
        b'{"format": 2, "inputs": [{"path": "a"}], "outputs": []}',
        "inputs[0] has no 'sha256', 'bytes'",
    ),
    "a record that is a string": (
        b'{"format": 2, "inputs": [], "outputs": ["results/a.csv"]}',
        "outputs[0] is a JSON string, not an object with path, sha256 and bytes",
    ),
    "wrong types": (
        b'{"format": 2, "inputs": [], "outputs": [{"path": 7, "sha256": "abc", "bytes": "12"}]}',
        'outputs[0].path is 7, not a file path\n  - outputs[0].sha256 is "abc", not 64 '
        'lowercase hex digits\n  - outputs[0].bytes is "12", not a size in bytes',
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_manifest_is_a_clear_error_with_exit_status_2(root, capsys, case):
    data, reason = MALFORMED[case]
    (root / "results/audit").mkdir(parents=True)
    (root / MANIFEST).write_bytes(data)
    code, out, err = run_verify(root, capsys)
    assert code == 2 and out == ""
    assert err == (
        f"revmentor: {root / MANIFEST} cannot be used as an audit manifest; nothing was "
        f"checked:\n  - {reason}\nCheck the manifest the workflow wrote "
        "(results/audit/manifest.json), or ask whoever sent this one for an intact copy.\n"
    )


# 4. A forged manifest: its own published SHA-256 -----------------------------------------


def test_verify_prints_the_manifests_own_hash_and_checks_the_published_one(root, capsys):
    own = finished_run(root)
    code, out, _ = run_verify(root, capsys)
    assert code == 0
    assert out == (
        f"verify: all 4 files match {root / MANIFEST}, and results/ holds no other file\n"
        f"manifest SHA-256: {own} (compare it with the published hash, or pass it with "
        "--manifest-sha256)\n"
    )
    code, out, _ = run_verify(root, capsys, "--manifest-sha256", own.upper())
    assert code == 0 and out.endswith(f"manifest SHA-256: {own} (matches the published hash)\n")


def test_a_forged_manifest_fails_against_the_published_hash(root, capsys):
    published = finished_run(root)
    # The forger edits an output and records its new hash in the manifest (and sidecar).
    (root / OUTPUTS[0]).write_text("role,n\nmentor,99\n")
    edited = root / OUTPUTS[0]
    forgery = {"sha256": sha256_file(edited), "bytes": edited.stat().st_size}
    tamper(root, lambda m: m["outputs"][1].update(forgery))
    forged = sha256_file(root / MANIFEST)
    code, out, _ = run_verify(root, capsys)
    assert code == 0 and out.startswith("verify: all 4 files match")  # the manifest alone
    code, out, err = run_verify(root, capsys, "--manifest-sha256", published)
    assert code == 1 and out == ""
    assert err == (
        f"verify: FAILED: {root / MANIFEST} has SHA-256 {forged}, not the published "
        f"{published}. The manifest was edited or replaced after that hash was published, "
        "so its list of files cannot be trusted: nothing was checked against it. Get the "
        "manifest that was published, or check the hash you typed.\n"
    )


def test_a_published_hash_that_is_not_a_sha256_is_refused(root, capsys):
    finished_run(root)
    code, _, err = run_verify(root, capsys, "--manifest-sha256", "abc123")
    assert code == 2
    assert err == (
        "revmentor: --manifest-sha256 'abc123' is not a SHA-256 (64 hexadecimal digits); "
        "copy the hash published with the results\n"
    )


def test_a_hash_file_that_disagrees_with_the_manifest_is_a_discrepancy(root, capsys):
    finished_run(root)
    (root / "results/audit/manifest.sha256").write_text(sha256_line("0" * 64, "manifest.json"))
    code, out, err = run_verify(root, capsys)
    assert code == 1
    assert out == "does not hold the manifest's own SHA-256: results/audit/manifest.sha256\n"
    assert err.splitlines()[0] == (
        f"verify: 0 of 4 files differ from {root / MANIFEST}; "
        f"{root / 'results/audit/manifest.sha256'} holds another hash"
    )


def test_the_run_record_and_the_hash_file_carry_the_manifests_hash(tmp_path):
    record = run_record(tmp_path, [], "f" * 64)
    assert record["manifest_sha256"] == "f" * 64
    assert sha256_line("f" * 64, "manifest.json") == "f" * 64 + "  manifest.json\n"
