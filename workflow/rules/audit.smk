# Stage 5: the audit trail: every input and output with its SHA-256, the software and code.


localrules:
    audit_manifest,


rule audit_manifest:
    input:
        outputs=audited_outputs(),
        inputs=audited_inputs(),
        # Each site's report holds the SHA-256 of the bytes that were analysed.
        reports=expand("results/validation/{site}.json", site=SITE_IDS),
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
    script:
        "../scripts/audit_manifest.py"
