# Stage 1: check each site's data against the instrument. Sites are batched into stable
# shards (execution.shards in the config): one job validates every site of a shard, and
# every site still gets its own report and clean table.


localrules:
    validation_overview,


for shard, members in SHARD_SITES.items():

    rule:
        name:
            f"validate_{shard}"
        input:
            data=shard_inputs(members),
        output:
            reports=site_paths("results/validation/{site}.json", members),
            reports_md=site_paths("results/validation/{site}.md", members),
            cleans=site_paths("results/clean/{site}.csv", members),
            item_tables=site_paths("results/clean/{site}.items.csv", members, "summary"),
            overview=f"results/shards/{shard}/validation.tsv",
        log:
            f"results/logs/validate/{shard}.log",
        threads: 1
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            provenance=provenance("validate_shard.py"),
            sites=[SITES[site].as_params() for site in members],
            content=shard_content(members),
            instrument=config["instrument"],
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
    script:
        "../scripts/validation_overview.py"
