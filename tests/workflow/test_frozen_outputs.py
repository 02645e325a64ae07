"""Speed work must not change a byte of what the workflow writes (issue 15).

``tests/fixtures/frozen/`` holds the SHA-256 of every file a run of the example consortium
and of a 100-site simulated consortium wrote under ``results/``, as made by main before
the speed work began (its README says which commit, and how to remake them when an issue
changes outputs on purpose). The files that differ between identical runs by design (the
run record, Snakemake's own report) are left out, as in every other reproducibility test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from revmentor.core.config import load_config
from revmentor.core.instrument import Instrument
from revmentor.simulate.uniform import write_uniform_consortium
from tests.workflow.conftest import REPO, Workspace

FROZEN = REPO / "tests/fixtures/frozen"
#: The 100-site consortium: the benchmark's design (bench/run_bench.py) with this seed, in
#: 4 shards (fixed here, so that a change of the default shard count, which regroups the
#: shard tables, is not taken for a change of results; and few jobs keep the test short).
SITES, SEED, SHARDS = 100, 2026, 4
#: The same commit's outputs made on other kinds of machine. The last bits of some pooled
#: estimates depend on the CPU's vector instructions (numpy's and OpenBLAS's kernels), so
#: each kind of machine the tests run on has its own set (tests/fixtures/frozen/README.md).
OTHER_MACHINES = FROZEN / "other-machines"
#: Set to rewrite the digests from this checkout's outputs: ``1`` the main set, any other
#: value the set of that name in ``other-machines/`` (see tests/fixtures/frozen/README.md).
REFREEZE = os.environ.get("REVMENTOR_REFREEZE", "")


def read_digests(path: Path) -> dict[str, str]:
    """``sha256sum`` format: the digest, two spaces, the path."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines)}


def write_digests(path: Path, digests: dict[str, str]) -> None:
    text = "".join(f"{digest}  {path}\n" for path, digest in sorted(digests.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def frozen_sets(name: str) -> dict[str, dict[str, str]]:
    """Every frozen set of this file: the main set, then each other machine's that has it."""
    sets = {"the main set": read_digests(FROZEN / name)}
    if OTHER_MACHINES.is_dir():
        for folder in sorted(OTHER_MACHINES.iterdir()):
            if (folder / name).is_file():
                sets[folder.name] = read_digests(folder / name)
    return sets


def tree_digests(root: Path, folders: tuple[str, ...]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def differences(frozen: dict[str, str], found: dict[str, str]) -> list[str]:
    """Each file missing, new or changed, named (empty when the outputs are identical)."""
    return [
        f"{'missing' if path not in found else 'new' if path not in frozen else 'changed'}: {path}"
        for path in sorted(frozen.keys() | found.keys())
        if frozen.get(path) != found.get(path)
    ]


def assert_frozen(name: str, found: dict[str, str]) -> None:
    """The outputs equal one of the frozen sets; else the differences from the nearest."""
    if REFREEZE:
        write_digests(FROZEN / name if REFREEZE == "1" else OTHER_MACHINES / REFREEZE / name, found)
        return
    compared = {label: differences(frozen, found) for label, frozen in frozen_sets(name).items()}
    label, problems = min(compared.items(), key=lambda item: len(item[1]))
    assert not problems, (
        f"{len(problems)} of the frozen outputs differ from {label} (the nearest of "
        f"{len(compared)} sets):\n" + "\n".join(problems)
    )


def test_outputs_must_equal_one_whole_set_not_a_mix(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "REFREEZE", "")
    monkeypatch.setattr(sys.modules[__name__], "FROZEN", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "OTHER_MACHINES", tmp_path / "other-machines")
    write_digests(tmp_path / "t.sha256", {"a": "1", "b": "2"})
    write_digests(tmp_path / "other-machines/avx2/t.sha256", {"a": "1", "b": "3"})
    assert_frozen("t.sha256", {"a": "1", "b": "2"})
    assert_frozen("t.sha256", {"a": "1", "b": "3"})
    with pytest.raises(AssertionError, match="1 of the frozen outputs differ from the main"):
        assert_frozen("t.sha256", {"a": "1", "b": "2", "c": "4"})
    with pytest.raises(AssertionError, match="differ from avx2"):
        assert_frozen("t.sha256", {"a": "9", "b": "3", "c": "4"})


def test_differences_names_every_missing_new_and_changed_file():
    frozen = {"a": "1", "b": "2", "c": "3"}
    assert differences(frozen, dict(frozen)) == []
    assert differences(frozen, {"a": "1", "c": "9", "d": "4"}) == [
        "missing: b",
        "changed: c",
        "new: d",
    ]


@pytest.mark.slow
def test_the_example_outputs_are_byte_identical_to_the_frozen_ones(example_run):
    assert_frozen("example.sha256", example_run.digests())


@pytest.mark.slow
def test_a_100_site_consortium_gives_byte_identical_outputs(tmp_path):
    workspace = Workspace(tmp_path / "work")
    shutil.rmtree(workspace.root / "data")
    config = load_config(
        workspace.root / "config/config.yaml", REPO / "workflow/schemas/config.schema.yaml"
    )
    instrument = Instrument.from_config(config["instrument"])
    write_uniform_consortium(workspace.root, SITES, instrument, SEED)
    # The same inputs first: a changed simulator is not a changed workflow.
    inputs = tree_digests(workspace.root, ("data",))
    inputs["config/sites.tsv"] = hashlib.sha256(
        (workspace.root / "config/sites.tsv").read_bytes()
    ).hexdigest()
    assert_frozen("sites100.inputs.sha256", inputs)
    workspace.set_config(**{"execution.shards": SHARDS})
    workspace.snakemake(check=True)
    assert_frozen("sites100.sha256", workspace.digests())
