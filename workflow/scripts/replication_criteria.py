"""The replication criteria and verdicts from the pooled meta-analysis."""

from revmentor.core.logs import step_logging
from revmentor.core.tables import read_typed_csv, write_csv
from revmentor.pooling.consortium import META_COLUMNS, META_COUNTS, META_TEXT
from revmentor.replication.table import plan_from, replication_tables

with step_logging(snakemake.log[0], "replication_criteria") as log:
    params = snakemake.params
    meta = read_typed_csv(snakemake.input.meta, META_COLUMNS, META_TEXT, META_COUNTS)
    plan = plan_from(
        params.roles,
        params.outcomes,
        params.original_study,
        params.pooling,
        params.alpha,
        params.sesoi,
    )
    criteria, verdicts = replication_tables(meta, plan)
    write_csv(snakemake.output.criteria, criteria, for_people=True)
    write_csv(snakemake.output.verdicts, verdicts, for_people=True)
    for verdict, count in verdicts["verdict"].value_counts().sort_index().items():
        log.info("%s: %d role x outcome", verdict, count)
