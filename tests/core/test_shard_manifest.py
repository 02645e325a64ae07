"""A shard's manifest: the per-site files a shard job wrote, found again by the next steps."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from revmentor.core.shard_manifest import (
    listed_files,
    read_manifest,
    site_files,
    void_reason,
    write_files_manifest,
    write_shard_manifest,
)


def write_site_files(root, site, body):
    report, clean = root / f"{site}.json", root / f"{site}.csv"
    report.write_text(body)
    clean.write_text(body * 2)
    return {"report": str(report), "clean": str(clean)}


def test_the_manifest_lists_every_file_with_its_digest_and_size(tmp_path):
    files = {
        "pilot": write_site_files(tmp_path, "pilot", "a"),
        "seaview": write_site_files(tmp_path, "seaview", "bb"),
    }
    files["seaview"]["clean_items"] = str(tmp_path / "seaview.items.csv")
    (tmp_path / "seaview.items.csv").write_text("items")
    manifest = tmp_path / "validated.json"
    write_shard_manifest(manifest, "shard007", files)
    read = read_manifest(manifest)
    assert read["shard"] == "shard007" and read["sites"] == files
    expected = [path for site in files.values() for path in site.values()]
    assert [record["path"] for record in read["files"]] == expected
    for record in read["files"]:
        data = Path(record["path"]).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["bytes"] == len(data)
    assert listed_files([manifest]) == expected
    assert site_files([manifest], "report") == {
        "pilot": files["pilot"]["report"],
        "seaview": files["seaview"]["report"],
    }
    # Only the summary site has items.
    assert site_files([manifest], "clean_items") == {"seaview": files["seaview"]["clean_items"]}


def test_sites_are_found_across_every_shard_and_the_bytes_are_reproducible(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_shard_manifest(first, "shard001", {"pilot": write_site_files(tmp_path, "pilot", "x")})
    write_shard_manifest(second, "shard002", {"oak": write_site_files(tmp_path, "oak", "y")})
    assert set(site_files([first, second], "clean")) == {"pilot", "oak"}
    before = first.read_bytes()
    write_shard_manifest(first, "shard001", read_manifest(first)["sites"])
    assert first.read_bytes() == before


def test_a_file_missing_when_the_manifest_is_written_fails_the_job(tmp_path):
    """The manifest is written last: it never lists a file the job did not write."""
    manifest = tmp_path / "stats.json"
    with pytest.raises(FileNotFoundError):
        write_shard_manifest(manifest, "shard001", {"pilot": {"summary": str(tmp_path / "no")}})
    assert not manifest.exists()


def test_a_manifest_of_another_format_is_refused_with_what_to_do(tmp_path):
    manifest = tmp_path / "validated.json"
    manifest.write_text(json.dumps({"format": 99, "shard": "shard001", "sites": {}, "files": []}))
    with pytest.raises(ValueError, match="run the workflow again"):
        read_manifest(manifest)


def test_a_manifest_naming_a_file_that_is_gone_or_unreadable_is_void(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = tmp_path / "stats.json"
    assert void_reason(manifest) is None  # no manifest yet: nothing to drop
    files = {f"site{i}": write_site_files(tmp_path, f"site{i}", "z") for i in range(3)}
    write_shard_manifest(manifest, "shard001", files)
    assert void_reason(manifest) is None
    for site in files.values():
        Path(site["clean"]).unlink()
    reason = void_reason(manifest)
    assert reason is not None and reason.endswith(", no longer there")
    assert files["site0"]["clean"] in reason and files["site2"]["clean"] in reason
    manifest.write_text("{")
    assert "cannot be read" in void_reason(manifest)


def test_a_shard_manifest_keeps_its_bytes(tmp_path, monkeypatch):
    """The shard manifests are frozen outputs: the generalised writer leaves them as they
    were (format, shard, sites, files, in that order)."""
    monkeypatch.chdir(tmp_path)
    Path("pilot.json").write_text("a")
    write_shard_manifest("validated.json", "shard001", {"pilot": {"report": "pilot.json"}})
    digest = hashlib.sha256(b"a").hexdigest()
    assert Path("validated.json").read_text() == (
        "{\n"
        '  "format": 1,\n'
        '  "shard": "shard001",\n'
        '  "sites": {\n'
        '    "pilot": {\n'
        '      "report": "pilot.json"\n'
        "    }\n"
        "  },\n"
        '  "files": [\n'
        "    {\n"
        '      "path": "pilot.json",\n'
        f'      "sha256": "{digest}",\n'
        '      "bytes": 1\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_the_hospital_pages_manifest_lists_each_page_and_is_void_once_one_is_gone(
    tmp_path, monkeypatch
):
    """report_page lists the hospital pages it wrote in the same kind of manifest as a
    shard's: found again by the audit, and dropped (so the job runs again) when a page is
    deleted by hand."""
    monkeypatch.chdir(tmp_path)
    pages = {}
    for site, body in (("pilot", "<html>p</html>"), ("oak", "<html>oak</html>")):
        page = Path(f"results/sites/{site}/report.html")
        page.parent.mkdir(parents=True)
        page.write_text(body)
        pages[site] = {"page": page.as_posix()}
    manifest = Path("results/report/site_pages.json")
    write_files_manifest(manifest, {"job": "report_page"}, pages)
    read = read_manifest(manifest)
    assert read["job"] == "report_page" and "shard" not in read
    assert list(read) == ["format", "job", "sites", "files"]
    assert site_files([manifest], "page") == {site: files["page"] for site, files in pages.items()}
    assert listed_files([manifest]) == [pages["pilot"]["page"], pages["oak"]["page"]]
    assert [record["bytes"] for record in read["files"]] == [14, 16]
    assert void_reason(manifest) is None
    Path(pages["oak"]["page"]).unlink()
    assert void_reason(manifest) == "it lists results/sites/oak/report.html, no longer there"
