"""`snakemake --lint` is clean apart from the conda/container notice (see README)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.workflow.conftest import REPO

ACCEPTED = {"Specify a conda environment or container for each rule."}


def test_snakemake_lint_has_only_the_conda_notice():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    lints = set(re.findall(r"^\s+\* (.+?):$", output, flags=re.MULTILINE))
    assert lints <= ACCEPTED, output
    assert "Traceback" not in output
