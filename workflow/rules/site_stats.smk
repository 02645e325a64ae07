# Stage 2: each site's statistics, items, Likert distributions and demographics (the
# per-site summary format), one job per shard. Each shard also writes its sites' tables
# together, so that the consortium steps read a few files instead of one per site.


rule stats_shard:
    input:
        # The shard's reports and clean tables, through its manifest.
        validated=SHARD_MANIFESTS["validate"],
        # Waits for the policy check, so that under 'stop' no statistics job fails
        # (and cancels the other sites' validation) before every report is written.
        # ancient: a renewed check, as when a site is added, reruns no other shard.
        policy_check=ancient("results/validation/policy_check.txt"),
    output:
        shard_tables=expand("results/shards/{{shard}}/{table}.csv", table=SITE_TABLES),
        changes="results/clean/shards/{shard}.changes.csv",
        # Every site's tables with their SHA-256, written last.
        manifest=SHARD_MANIFESTS["stats"],
    log:
        "results/logs/stats/{shard}.log",
    threads: 1
    resources:
        # One clean table at a time: a site at validation.max_rows (100,000 rows) peaks
        # at 260 MB, 20,000 rows at 160 MB; each site read adds its pairs and rows (22 MB
        # for a 95,000-row site) until the shard's statistics are computed together
        # (docs/scaling.md, tests/stats/test_memory.py, tests/stats/test_shard_tables.py).
        mem_mb=2000,
        runtime=30,
    params:
        provenance=provenance("stats_shard.py"),
        sites=shard_sites,
        files=shard_site_files("stats"),
        instrument=config["instrument"],
        seed=config["seed"],
        policy=config["validation"]["on_invalid_site"],
    script:
        "../scripts/stats_shard.py"
