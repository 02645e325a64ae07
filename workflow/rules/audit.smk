# Stage 5: the audit trail: every input and output with its SHA-256, the software and code.


localrules:
    audit_manifest,


rule audit_manifest:
    input:
        outputs=audited_outputs(),
        inputs=audited_inputs(),
    output:
        manifest="results/audit/manifest.json",
        run="results/audit/run.json",
    log:
        "results/logs/audit_manifest.log",
    params:
        provenance=provenance("audit_manifest.py"),
        config=config,
        inputs_sha256=audited_input_hashes(),
        imported=imported_packages(),
        workflow_version=workflow_version(),
    script:
        "../scripts/audit_manifest.py"
