"""End to end: the workflow deployed as a Snakemake module, as a coordinating centre would.

The centre's own folder, outside the repository, holds only its config/, its data/ and a
Snakefile that imports the workflow by path (``module revmentor: snakefile: ...``). The
run finds its schemas, captions, scripts and package from the workflow's own folder, and
writes the same bytes as a run inside the repository.
"""

from __future__ import annotations

import shutil

import pytest

from tests.workflow.conftest import Workspace

pytestmark = pytest.mark.slow

CENTRE_SNAKEFILE = """\
configfile: "config/config.yaml"


module revmentor:
    snakefile:
        "{workflow}"
    config:
        config


use rule * from revmentor
"""


def test_a_centre_folder_outside_the_repository_runs_the_workflow_as_a_module(
    example_run, tmp_path
):
    centre = tmp_path / "centre"
    (centre / "config").mkdir(parents=True)
    for name in ("config.yaml", "sites.tsv"):
        shutil.copy2(example_run.root / "config" / name, centre / "config" / name)
    shutil.copytree(example_run.root / "data", centre / "data")
    snakefile = example_run.root / "workflow/Snakefile"
    (centre / "Snakefile").write_text(CENTRE_SNAKEFILE.format(workflow=snakefile))
    assert not (centre / "workflow").exists() and not (centre / "src").exists()

    run = Workspace.__new__(Workspace)
    run.root, run.env = centre, dict(example_run.env)
    run.snakemake(check=True)

    assert run.digests() == example_run.digests()
    assert (centre / "results/report/index.html").is_file()
