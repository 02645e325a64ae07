"""Each step's script imports only the libraries its work needs.

Every Snakemake job is a fresh Python process, so what a script imports is paid once per
job: about 1 s for pandas, 0.4 s for scipy (its special functions), 0.7 s more for
scipy.stats and 1.5 s for matplotlib on this project's machine (docs/scaling.md, "Imports
per job"). The table below is the contract: a step that does not need a heavy library must
not load it through the package's imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow.conftest import Workspace

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "scipy", "scipy.stats", "matplotlib", "statsmodels", "pandera", "jinja2")

#: The heavy libraries each script's imports may load; anything else is a regression.
ALLOWED = {
    "audit_manifest.py": set(),
    "audit_report.py": set(),
    "report_config.py": set(),
    "policy_check.py": {"pandas"},
    "validation_overview.py": {"pandas"},
    "validate_shard.py": {"pandas"},
    "stats_shard.py": {"pandas", "scipy"},
    "pool_sites.py": {"pandas", "scipy"},
    "pool_sensitivity.py": {"pandas", "scipy"},
    "pool_moderators.py": {"pandas", "scipy"},
    "pool_items.py": {"pandas", "scipy"},
    # statsmodels imports scipy.stats itself.
    "ipd_model.py": {"pandas", "scipy", "scipy.stats", "statsmodels"},
    "replication_criteria.py": {"pandas", "scipy"},
    "report_tables.py": {"pandas", "scipy"},
    "report_figures.py": {"pandas", "matplotlib"},
    "report_flow.py": {"pandas", "matplotlib"},
    "report_page.py": {"pandas", "scipy", "matplotlib", "jinja2"},
}


def script_imports(script: Path) -> str:
    """The script's top-level import statements alone: what its job loads before any work."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    kept = [
        node
        for node in tree.body
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
    ]
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


def loaded_heavy_libraries(script: Path) -> set[str]:
    probe = (
        f"{script_imports(script)}\nimport sys\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(done.stdout.split())


def test_every_script_has_an_entry():
    assert {path.name for path in (REPO / "workflow/scripts").glob("*.py")} == set(ALLOWED)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_a_step_loads_only_the_libraries_it_needs(name):
    loaded = loaded_heavy_libraries(REPO / "workflow/scripts" / name)
    assert loaded <= ALLOWED[name], f"{name} now loads {sorted(loaded - ALLOWED[name])}"


def test_reading_the_workflow_loads_no_heavy_library(tmp_path):
    """Snakemake reads the workflow on every call, so what reading it imports is paid
    every time: pandas, imported through the registry's readers, was about 0.5 s of the
    example's 3.5 s dry run (docs/scaling.md, "Cheaper parse")."""
    workspace = Workspace(tmp_path / "work")
    command = [sys.executable, "-X", "importtime", "-m", "snakemake", "--cores", "1", "-n", "-q"]
    done = subprocess.run(
        command, cwd=workspace.root, env=workspace.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {
        line.rpartition("|")[2].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    # jinja2 is Snakemake's own: its HTML reporter, loaded for a workflow with report items.
    # Top-level names, as collected above: scipy stands for scipy.stats too.
    ours = {name for name in HEAVY if "." not in name} - {"jinja2"}
    assert "snakemake" in imported
    assert not imported & ours, sorted(imported & ours)
