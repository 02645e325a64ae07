# Stage 2: each site's pre/post statistics, items, Likert distributions and demographics.


rule site_stats:
    input:
        clean="results/clean/{site}.csv",
        report="results/validation/{site}.json",
    output:
        summary="results/sites/{site}/summary.csv",
        item_table="results/sites/{site}/items.csv",
        likert="results/sites/{site}/likert.csv",
        demographics="results/sites/{site}/demographics.csv",
    log:
        "results/logs/site_stats/{site}.log",
    wildcard_constraints:
        site=sites_of_format("responses"),
    params:
        provenance=provenance("site_stats.py"),
        instrument=config["instrument"],
        seed=config["seed"],
        policy=config["validation"]["on_invalid_site"],
    script:
        "../scripts/site_stats.py"


rule adopt_site_summary:
    input:
        summary="results/clean/{site}.csv",
        item_table="results/clean/{site}.items.csv",
        report="results/validation/{site}.json",
    output:
        summary="results/sites/{site}/summary.csv",
        item_table="results/sites/{site}/items.csv",
        likert="results/sites/{site}/likert.csv",
        demographics="results/sites/{site}/demographics.csv",
    log:
        "results/logs/adopt_site_summary/{site}.log",
    wildcard_constraints:
        site=sites_of_format("summary"),
    params:
        provenance=provenance("adopt_site_summary.py"),
        policy=config["validation"]["on_invalid_site"],
    script:
        "../scripts/adopt_site_summary.py"
