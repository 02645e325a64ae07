"""Why the sites differ: meta-regression on each moderator, subgroups and influence."""

from revmentor.core.logs import step_logging
from revmentor.core.moderators import moderators_from_config, site_values
from revmentor.core.summary_format import read_summary
from revmentor.core.tables import stacked_frames, write_csv
from revmentor.pooling.consortium import plan_from
from revmentor.pooling.heterogeneity import influence_table, moderator_tables
from revmentor.validation.policy import excluded_sites, read_overview

with step_logging(snakemake.log[0], "pool_moderators") as log:
    params = snakemake.params
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    plan = plan_from(params.roles, params.outcomes, params.enrolled, excluded, params.pooling)
    summaries = stacked_frames([read_summary(path) for path in snakemake.input.summaries])
    moderators = moderators_from_config(params.moderators)
    values = site_values(moderators, params.moderator_values)
    regressions, subgroups = moderator_tables(summaries, plan, moderators, values)
    write_csv(snakemake.output.moderators, regressions, for_people=True)
    write_csv(snakemake.output.subgroups, subgroups, for_people=True)
    write_csv(snakemake.output.influence, influence_table(summaries, plan), for_people=True)
    log.info(
        "%d moderators over %d sites (%d excluded)",
        len(moderators),
        len(plan.sites) - len(excluded),
        len(excluded),
    )
