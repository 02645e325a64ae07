# Stage 5: the audit trail: every input and output with its SHA-256, the software and code.


localrules:
    audit_manifest,
    audit_report,


rule audit_manifest:
    input:
        # With the per-site files the shards' manifests list.
        outputs=audited_outputs(),
        inputs=audited_inputs(),
        # Each site's report (listed by its shard's manifest) holds the SHA-256 of the
        # bytes that were analysed.
        validated=shard_manifests("validate"),
        site_tables=shard_manifests("stats"),
    output:
        manifest="results/audit/manifest.json",
        # The manifest's own SHA-256, to publish; the report shows it (workflow.rst).
        sha256=report(
            "results/audit/manifest.sha256",
            caption="../report/audit.rst",
            category="Audit",
        ),
        run="results/audit/run.json",
    log:
        "results/logs/audit_manifest.log",
    params:
        provenance=provenance("audit_manifest.py"),
        config=config,
        # Config and registry as read when the workflow started: what the manifest records.
        inputs_sha256=audited_input_hashes(),
        imported=imported_packages(),
        workflow_version=workflow_version(),
        # Registered sites not analysed because their file has not arrived.
        awaiting=AWAITING,
    script:
        "../scripts/audit_manifest.py"


# The HTML pages name the manifest in their footer, so they are written after it and
# audited by a second manifest that records the first one's SHA-256 as its input.
rule audit_report:
    input:
        manifest="results/audit/manifest.json",
        index="results/report/index.html",
        # The hospital pages, through their manifest.
        pages=SITE_PAGES_MANIFEST,
        log="results/logs/report_page.log",
    output:
        "results/audit/report_manifest.json",
    log:
        "results/logs/audit_report.log",
    params:
        provenance=provenance("audit_report.py"),
        config=config,
        imported=imported_packages(),
    script:
        "../scripts/audit_report.py"
