"""The audit manifest (deterministic), its own SHA-256, and the run record (times and host)."""

import json
from pathlib import Path

from revmentor.audit.manifest import (
    analysed_inputs,
    build_manifest,
    changed_inputs,
    manifest_text,
    run_record,
    sha256_line,
)
from revmentor.core.files import write_text
from revmentor.core.hashing import sha256_text
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import listed_files, site_files

with step_logging(snakemake.log[0], "audit_manifest") as log:
    given = snakemake.input
    tracked = list(given.outputs)
    # Snakemake tracks each shard by its manifests; they list every per-site file.
    outputs = tracked + listed_files([*given.validated, *given.site_tables])
    reports = [
        json.loads(Path(path).read_text(encoding="utf-8"))
        for path in site_files(given.validated, "report").values()
    ]
    inputs = analysed_inputs(snakemake.input.inputs, snakemake.params.inputs_sha256, reports)
    manifest = build_manifest(
        inputs,
        outputs,
        snakemake.params.config,
        snakemake.params.imported["names"],
        Path(),
        snakemake.params.awaiting,
    )
    text = manifest_text(manifest)
    manifest_sha256 = sha256_text(text)
    write_text(snakemake.output.manifest, text)
    write_text(
        snakemake.output.sha256, sha256_line(manifest_sha256, Path(snakemake.output.manifest).name)
    )
    # Snakemake keeps a record of the files it tracks only.
    record = run_record(Path(".snakemake/metadata"), tracked, manifest_sha256)
    write_text(snakemake.output.run, json.dumps(record, indent=2) + "\n")
    for changed in changed_inputs(manifest):
        log.warning(
            "%s changed after this run read it: the manifest records the SHA-256 that was "
            "analysed (%s); run the workflow again to analyse the new version",
            changed["path"],
            changed["sha256"],
        )
    log.info(
        "manifest: %d inputs, %d outputs, %d site(s) awaiting data",
        len(manifest["inputs"]),
        len(outputs),
        len(manifest["awaiting_data"]),
    )
    log.info("manifest SHA-256: %s", manifest_sha256)
    # On the console at the end of every run: the one hash to publish with the results.
    print(
        f"Audit manifest {snakemake.output.manifest}, SHA-256 {manifest_sha256}\n"
        f"  (publish it; 'revmentor verify --manifest-sha256 {manifest_sha256}' checks the tree)"
    )
