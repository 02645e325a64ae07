"""The audit manifest (deterministic) and the run record (times and host)."""

import json
from pathlib import Path

from revmentor.audit.manifest import build_manifest, manifest_text, run_record
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_text

with step_logging(snakemake.log[0], "audit_manifest") as log:
    outputs = list(snakemake.input.outputs)
    manifest = build_manifest(
        snakemake.input.inputs,
        outputs,
        snakemake.params.config,
        snakemake.params.imported["names"],
        Path(),
    )
    write_text(snakemake.output.manifest, manifest_text(manifest))
    record = run_record(Path(".snakemake/metadata"), outputs)
    write_text(snakemake.output.run, json.dumps(record, indent=2) + "\n")
    log.info("manifest: %d inputs, %d outputs", len(manifest["inputs"]), len(outputs))
