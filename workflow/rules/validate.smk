# Stage 1: check each site's data against the instrument. Sites are batched into stable
# shards (execution.shards in the config): one job validates every site of a shard, and
# every site still gets its own report and clean table.


localrules:
    validation_overview,
    policy_check,


# The size limits of the readers (checked before a site's file is parsed): only these
# keys, so that changing the policy does not rerun the validation.
READ_LIMITS = {
    key: config["validation"][key]
    for key in ("max_file_mb", "max_uncompressed_mb", "max_rows", "max_columns")
}


# One job per shard: Snakemake tracks the shard's overview and manifest, which lists every
# site's report and clean table with its SHA-256 (written last, so a killed job leaves none).
rule validate_shard:
    input:
        data=shard_inputs,
    output:
        overview="results/shards/{shard}/validation.tsv",
        manifest=SHARD_MANIFESTS["validate"],
    log:
        "results/logs/validate/{shard}.log",
    threads: 1
    resources:
        # One site at a time: the largest file the read limits let through (100,000
        # rows x 200 columns, 44 MB of CSV) peaks at 710 MB (docs/scaling.md).
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("validate_shard.py"),
        sites=shard_sites,
        content=shard_content,
        files=shard_site_files("validate"),
        instrument=config["instrument"],
        limits=READ_LIMITS,
        redcap=config["redcap"],
        disclosure=config["disclosure"],
    script:
        "../scripts/validate_shard.py"


rule validation_overview:
    input:
        shards=expand("results/shards/{shard}/validation.tsv", shard=SHARD_SITES),
    output:
        tsv="results/validation/overview.tsv",
        md="results/validation/overview.md",
    log:
        "results/logs/validation_overview.log",
    params:
        provenance=provenance("validation_overview.py"),
        policy=config["validation"]["on_invalid_site"],
        sites=SITE_IDS,
        # Registered sites whose file has not arrived: rows of their own, no jobs.
        awaiting=AWAITING,
        registered=REGISTERED_IDS,
        # Functions, so that Snakemake does not read their braces as wildcards.
        site_outputs=lambda wildcards: SITE_OUTPUT_PATTERNS,
        site_id_pattern=lambda wildcards: SITE_ID_PATTERN,
        # A shard left without a site (its last site removed) leaves its files behind.
        shards=list(SHARD_SITES),
        shard_outputs=lambda wildcards: shard_outputs("{shard}"),
        shard_name_pattern=lambda wildcards: SHARD_NAME_PATTERN,
        registry=config["sites"],
    script:
        "../scripts/validation_overview.py"


# Under the 'stop' policy this is the step that fails, after every site's report and the
# overview are written; the statistics wait for it. It must not own the overview, which
# Snakemake would delete as the output of a failed job.
rule policy_check:
    input:
        overview="results/validation/overview.tsv",
        # Every site's report, through the shards' manifests.
        validated=shard_manifests("validate"),
    output:
        "results/validation/policy_check.txt",
    log:
        "results/logs/policy_check.log",
    params:
        provenance=provenance("policy_check.py"),
        policy=config["validation"]["on_invalid_site"],
    script:
        "../scripts/policy_check.py"
