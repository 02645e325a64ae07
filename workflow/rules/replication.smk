# Stage 4: did it replicate? The replication criteria and the verdict per role x outcome.


localrules:
    replication_criteria,


rule replication_criteria:
    input:
        meta="results/pooled/meta_analysis.csv",
    output:
        criteria="results/pooled/replication_criteria.csv",
        verdicts="results/pooled/replication_verdicts.csv",
    log:
        "results/logs/replication_criteria.log",
    params:
        provenance=provenance("replication_criteria.py"),
        roles=INSTRUMENT.roles,
        outcomes=INSTRUMENT.outcomes,
        original_study=config["original_study"],
        pooling=config["pooling"],
        alpha=config["report"]["alpha"],
        sesoi=sesoi_by_outcome(INSTRUMENT, config["replication"]),
    script:
        "../scripts/replication_criteria.py"
