"""The report manifest: the HTML pages' SHA-256 and the audit manifest they were written from."""

from pathlib import Path

from revmentor.audit.manifest import build_report_manifest, manifest_text
from revmentor.core.files import write_text
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import listed_files

with step_logging(snakemake.log[0], "audit_report") as log:
    given = snakemake.input
    pages = [given.index, *listed_files([given.pages]), given.log]
    # The pages' own manifest is recorded too: `revmentor verify` expects every file.
    manifest = build_report_manifest(
        given.manifest,
        [*pages, given.pages],
        snakemake.params.config,
        snakemake.params.imported["names"],
        Path(),
    )
    write_text(snakemake.output[0], manifest_text(manifest))
    log.info("report manifest: %d pages and logs, from %s", len(pages), given.manifest)
