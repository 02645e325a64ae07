# Stage 3: pool the sites: meta-analysis, sensitivity analyses and combined tests.


localrules:
    pool_sites,


rule pool_sites:
    input:
        summaries=site_summaries,
        overview="results/validation/overview.tsv",
    output:
        meta="results/pooled/meta_analysis.csv",
        weights="results/pooled/weights.csv",
        leave_one_out="results/pooled/leave_one_out.csv",
        cumulative="results/pooled/cumulative.csv",
        combined="results/pooled/combined_tests.csv",
    log:
        "results/logs/pool_sites.log",
    params:
        roles=INSTRUMENT.roles,
        outcomes=INSTRUMENT.outcomes,
        enrolled=enrolment_dates(),
        pooling=config["pooling"],
    script:
        "../scripts/pool_sites.py"
