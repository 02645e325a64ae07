"""End to end on a real single-node SLURM cluster: the same bytes as a local run."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.workflow.slurm_cluster import (
    PluginUnavailable,
    install_executor_plugin,
    single_node_cluster,
)

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


def test_example_consortium_on_slurm_equals_the_local_run(example_run, tmp_path):
    cluster_copy = example_run.clone(tmp_path / "slurm")
    try:
        plugin = install_executor_plugin(tmp_path / "plugin")
    except PluginUnavailable as unavailable:
        pytest.skip(str(unavailable))
    for path in (cluster_copy.root / "results", cluster_copy.root / ".snakemake"):
        if path.exists():
            shutil.rmtree(path)
    with single_node_cluster(tmp_path / "cluster") as env:
        cluster_copy.env.update(env)
        if plugin is not None:
            paths = [cluster_copy.env.get("PYTHONPATH", ""), str(plugin)]
            cluster_copy.env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        result = cluster_copy.snakemake(
            "--workflow-profile",
            "profiles/slurm",
            "--slurm-no-account",
            "--slurm-status-command",
            "squeue",
            "--slurm-init-seconds-before-status-checks",
            "2",
            # No partition given: the profile runs unedited on the cluster's default one.
            "--jobs",
            "4",
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "slurm" in output.lower()
    assert "your_account" not in output and "your_partition" not in output
    assert cluster_copy.digests() == example_run.digests()
