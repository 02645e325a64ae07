"""Pool the item results (concerns, benefit, relationship effect) across sites."""

from revmentor.core.logs import step_logging
from revmentor.core.summary_format import read_items
from revmentor.core.tables import stacked_frames, write_csv
from revmentor.pooling.items import pooled_items
from revmentor.validation.policy import excluded_sites, read_overview

with step_logging(snakemake.log[0], "pool_items") as log:
    params = snakemake.params
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    items = stacked_frames([read_items(path) for path in snakemake.input.item_tables])
    pooled = pooled_items(items, params.roles, params.sites, excluded, params.level)
    write_csv(snakemake.output[0], pooled, for_people=True)
    log.info("pooled %d item rows", len(pooled))
