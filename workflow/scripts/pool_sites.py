"""Pool every site: meta-analyses, weights, combined tests and pooled descriptives."""

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.summary_format import read_summary
from revmentor.core.tables import stacked_frames, write_csv
from revmentor.pooling.combined import combined_tests
from revmentor.pooling.consortium import meta_table, plan_from
from revmentor.pooling.descriptives import pooled_descriptives
from revmentor.validation.policy import excluded_sites, read_overview

with step_logging(snakemake.log[0], "pool_sites") as log:
    params = snakemake.params
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    plan = plan_from(params.roles, params.outcomes, params.enrolled, excluded, params.pooling)
    summaries = stacked_frames([read_summary(path) for path in snakemake.input.summaries])
    meta, weights = meta_table(summaries, plan)
    write_csv(snakemake.output.meta, meta, for_people=True)
    counts = pd.concat([pd.read_csv(path) for path in snakemake.input.likert], ignore_index=True)
    instrument = Instrument.from_config(params.instrument)
    write_csv(
        snakemake.output.descriptives, pooled_descriptives(counts, instrument), for_people=True
    )
    write_csv(snakemake.output.weights, weights, for_people=True)
    write_csv(
        snakemake.output.combined,
        combined_tests(summaries, plan.roles, plan.outcomes, plan.sites, excluded),
        for_people=True,
    )
    log.info("pooled %d sites (%d excluded)", len(plan.sites) - len(excluded), len(excluded))
