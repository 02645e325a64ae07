# Stage 2: each site's statistics, items, Likert distributions and demographics (the
# per-site summary format), one job per shard. Each shard also writes its sites' tables
# together, so that the consortium steps read a few files instead of one per site.


for shard, members in SHARD_SITES.items():

    rule:
        name:
            f"stats_{shard}"
        input:
            reports=site_paths("results/validation/{site}.json", members),
            cleans=site_paths("results/clean/{site}.csv", members),
            item_tables=site_paths("results/clean/{site}.items.csv", members, "summary"),
            # Waits for the policy check, so that under 'stop' no statistics job fails
            # (and cancels the other sites' validation) before every report is written.
            # ancient: a renewed check, as when a site is added, reruns no other shard.
            policy_check=ancient("results/validation/policy_check.txt"),
        output:
            summaries=site_paths("results/sites/{site}/summary.csv", members),
            site_items=site_paths("results/sites/{site}/items.csv", members),
            likert=site_paths("results/sites/{site}/likert.csv", members),
            demographics=site_paths("results/sites/{site}/demographics.csv", members),
            shard_tables=shard_tables(shard),
            changes=f"results/clean/shards/{shard}.changes.csv",
        log:
            f"results/logs/stats/{shard}.log",
        threads: 1
        resources:
            # One site at a time: a site at validation.max_rows (100,000 rows) peaks at
            # 260 MB, 20,000 rows at 160 MB (docs/scaling.md, tests/stats/test_memory.py).
            mem_mb=2000,
            runtime=30,
        params:
            provenance=provenance("stats_shard.py"),
            sites=[SITES[site].as_params() for site in members],
            instrument=config["instrument"],
            seed=config["seed"],
            policy=config["validation"]["on_invalid_site"],
        script:
            "../scripts/stats_shard.py"
