"""The manifest is deterministic and verify names each changed or missing file."""

from __future__ import annotations

from revmentor.audit.manifest import build_manifest, manifest_text, verify
from revmentor.core.hashing import sha256_file


def test_manifest_is_deterministic_and_verify_names_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("a\n1\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out/b.csv").write_text("b\n2\n")
    (tmp_path / "out/c.csv").write_text("c\n3\n")
    analysed = {"in.csv": sha256_file(tmp_path / "in.csv")}
    args = (analysed, ["out/c.csv", "out/b.csv"], {"seed": 1}, ["numpy"], tmp_path)
    first, second = build_manifest(*args), build_manifest(*args)
    assert manifest_text(first) == manifest_text(second)
    assert [record["path"] for record in first["outputs"]] == ["out/b.csv", "out/c.csv"]
    assert "numpy" in first["packages"] and first["workflow"]["git_commit"] is None
    assert verify(first, tmp_path) == []
    (tmp_path / "out/b.csv").write_text("b\n3\n")
    (tmp_path / "out/c.csv").unlink()
    assert [str(problem) for problem in verify(first, tmp_path)] == [
        "changed: out/b.csv",
        "missing: out/c.csv",
    ]


def test_config_hash_follows_the_effective_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one = build_manifest({}, [], {"seed": 1, "a": {"b": 2}}, [], tmp_path)
    same = build_manifest({}, [], {"a": {"b": 2}, "seed": 1}, [], tmp_path)
    other = build_manifest({}, [], {"seed": 2, "a": {"b": 2}}, [], tmp_path)
    assert one["config_sha256"] == same["config_sha256"] != other["config_sha256"]
