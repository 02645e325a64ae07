# Stage 3: pool the sites: meta-analysis, sensitivity analyses, combined tests, and why the
# sites differ (moderators, subgroups, influence).


localrules:
    pool_sites,
    pool_sensitivity,
    pool_moderators,
    pool_items,


rule pool_sites:
    input:
        summaries=consortium_tables("summary"),
        likert=consortium_tables("likert"),
        overview="results/validation/overview.tsv",
    output:
        meta="results/pooled/meta_analysis.csv",
        descriptives="results/pooled/descriptives.csv",
        weights="results/pooled/weights.csv",
        combined="results/pooled/combined_tests.csv",
    log:
        "results/logs/pool_sites.log",
    params:
        provenance=provenance("pool_sites.py"),
        instrument=config["instrument"],
        roles=INSTRUMENT.roles,
        outcomes=INSTRUMENT.outcomes,
        enrolled=enrolment_dates(),
        pooling=config["pooling"],
    script:
        "../scripts/pool_sites.py"


rule pool_sensitivity:
    input:
        summaries=consortium_tables("summary"),
        overview="results/validation/overview.tsv",
    output:
        leave_one_out="results/pooled/leave_one_out.csv",
        cumulative="results/pooled/cumulative.csv",
    log:
        "results/logs/pool_sensitivity.log",
    params:
        provenance=provenance("pool_sensitivity.py"),
        roles=INSTRUMENT.roles,
        outcomes=INSTRUMENT.outcomes,
        enrolled=enrolment_dates(),
        pooling=config["pooling"],
    script:
        "../scripts/pool_sensitivity.py"


rule pool_moderators:
    input:
        summaries=consortium_tables("summary"),
        overview="results/validation/overview.tsv",
    output:
        moderators="results/pooled/moderators.csv",
        subgroups="results/pooled/subgroups.csv",
        influence="results/pooled/influence.csv",
    log:
        "results/logs/pool_moderators.log",
    params:
        provenance=provenance("pool_moderators.py"),
        roles=INSTRUMENT.roles,
        outcomes=INSTRUMENT.outcomes,
        enrolled=enrolment_dates(),
        pooling=config["pooling"],
        moderators=config["moderators"],
        moderator_values=moderator_values(),
    script:
        "../scripts/pool_moderators.py"


rule pool_items:
    input:
        item_tables=consortium_tables("items"),
        overview="results/validation/overview.tsv",
    output:
        "results/pooled/items.csv",
    log:
        "results/logs/pool_items.log",
    params:
        provenance=provenance("pool_items.py"),
        roles=INSTRUMENT.roles,
        sites=SITE_IDS,
        level=config["pooling"]["level"],
    script:
        "../scripts/pool_items.py"


rule ipd_model:
    input:
        changes=expand("results/clean/shards/{shard}.changes.csv", shard=SHARD_SITES),
        overview="results/validation/overview.tsv",
    output:
        model="results/pooled/ipd_model.csv",
    log:
        "results/logs/ipd_model.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        provenance=provenance("ipd_model.py"),
        instrument=config["instrument"],
        summary_sites=sites_with_format("summary"),
        level=config["pooling"]["level"],
    script:
        "../scripts/ipd_model.py"
