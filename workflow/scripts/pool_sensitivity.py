"""Sensitivity analyses of the primary analysis: leave-one-site-out and cumulative."""

from revmentor.core.logs import step_logging
from revmentor.core.summary_format import read_summary
from revmentor.core.tables import stacked_frames, write_csv
from revmentor.pooling.consortium import cumulative, leave_one_out, plan_from
from revmentor.validation.policy import excluded_sites, read_overview

with step_logging(snakemake.log[0], "pool_sensitivity") as log:
    params = snakemake.params
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    plan = plan_from(params.roles, params.outcomes, params.enrolled, excluded, params.pooling)
    summaries = stacked_frames([read_summary(path) for path in snakemake.input.summaries])
    write_csv(snakemake.output.leave_one_out, leave_one_out(summaries, plan), for_people=True)
    write_csv(snakemake.output.cumulative, cumulative(summaries, plan), for_people=True)
    log.info("sensitivity analyses over %d sites", len(plan.sites) - len(excluded))
