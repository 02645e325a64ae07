"""End to end: a full disk under a real run gives one message naming the file and its
folder, and the run after the fault is byte-identical to one that never met it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_a_full_disk_is_one_message_and_the_rerun_is_identical(example_run, tmp_path):
    workspace = example_run.clone(tmp_path / "copy")
    pooled = workspace.root / "results/pooled"
    before = shutil.copytree(pooled, tmp_path / "pooled_before")
    shutil.rmtree(pooled)
    pooled.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(pooled)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tiny disk here ({mounted.stderr.strip()})")
    try:
        # Fill the tiny disk, as another program would.
        (pooled / "filler").write_bytes(b"x" * 4096)
        failed = workspace.snakemake("results/pooled/meta_analysis.csv")
    finally:
        subprocess.run(["umount", str(pooled)], check=True)
    # The pooled files of the steps the fault never reached come back as they were (times
    # kept), so the rerun is the failed step and what follows it, every file of which is
    # then compared with the run that never met the fault.
    for path in before.iterdir():
        if path.name != "meta_analysis.csv":
            shutil.copy2(path, pooled / path.name)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert (
        "ERROR revmentor.pool_sites: could not write results/pooled/meta_analysis.csv: No space "
        "left on device; the disk (or quota) holding the folder results/pooled/ is full: free "
        "some space there, then run the workflow again. No partial file was kept."
    ) in output
    assert output.count("could not write") == 1
    assert "Logging error" not in output and "Traceback" not in output
    workspace.snakemake(check=True)
    assert workspace.digests() == example_run.digests()
