"""Code and software fingerprints: what a script really depends on."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from revmentor.audit import provenance

SCRIPTS = Path(__file__).resolve().parents[2] / "workflow" / "scripts"


def names(script: str) -> set[str]:
    return {path.name for path in provenance.source_closure(SCRIPTS / script)}


def test_closure_follows_imports_inside_the_package_only():
    figures = names("report_figures.py")
    assert {"report_figures.py", "likert.py", "forest.py", "style.py", "figure_plan.py"} <= figures
    assert "site_summary.py" not in figures and "readers.py" not in figures
    readers = provenance.source_closure(SCRIPTS / "validate_shard.py")
    assert any(path.parent.name == "readers" for path in readers)  # the readers package
    # The shard jobs write, and the steps after them read, the shard manifests: editing that
    # module reruns them.
    for script in ("validate_shard.py", "stats_shard.py", "report_flow.py", "audit_manifest.py"):
        assert "shard_manifest.py" in names(script)


def test_imports_inside_functions_count(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("def run():\n    from openpyxl import load_workbook\n    import yaml\n")
    assert provenance.imported_modules(script) >= {"openpyxl", "yaml"}
    assert provenance.third_party_imports(script) == {"openpyxl", "yaml"}


def test_software_fingerprint_lists_versions_of_what_the_script_imports():
    text = provenance.software_fingerprint(SCRIPTS / "report_figures.py")
    assert f"matplotlib=={importlib.metadata.version('matplotlib')}" in text
    assert "statsmodels" not in text and text.startswith("python==")


def test_a_version_change_changes_the_fingerprint(monkeypatch):
    before = provenance.software_fingerprint(SCRIPTS / "pool_sites.py")
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "99.0" if name == "scipy" else real(name)
    )
    # Versions are looked up once per process (a parse asks for every rule's); an upgrade
    # happens between runs, which this stands for.
    provenance._version.cache_clear()
    try:
        assert provenance.software_fingerprint(SCRIPTS / "pool_sites.py") != before
    finally:
        provenance._version.cache_clear()


def test_code_fingerprint_is_stable_and_names_are_relative():
    first = provenance.code_fingerprint(SCRIPTS / "pool_sites.py")
    assert first == provenance.code_fingerprint(SCRIPTS / "pool_sites.py")
    assert len(first) == 64
