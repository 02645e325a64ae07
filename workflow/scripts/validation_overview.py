"""Every site's validation status, for the registry's sites only (a site awaiting data gets
a row saying so); the outputs of sites no longer registered, or whose file is gone, are
removed. This step never fails on an invalid site: the policy check
after it does, so that the overview is always written first."""

from pathlib import Path

import pandas as pd

from revmentor.core.files import write_text
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_csv
from revmentor.validation.policy import (
    current_sites_only,
    overview_markdown,
    read_overview,
    with_awaiting,
)
from revmentor.validation.stale import (
    remove_stale_site_files,
    stale_message,
    stale_shard_message,
    stale_site_files,
)

with step_logging(snakemake.log[0], "validation_overview") as log:
    shards = pd.concat([read_overview(path) for path in snakemake.input.shards])
    awaiting = snakemake.params.awaiting
    table = with_awaiting(
        current_sites_only(shards, snakemake.params.sites), awaiting, snakemake.params.registered
    )
    stale = stale_site_files(
        Path("."),
        snakemake.params.site_outputs,
        set(snakemake.params.sites),
        set(snakemake.output),
        snakemake.params.site_id_pattern,
    )
    if stale:
        remove_stale_site_files(Path("."), stale)
        log.warning(
            "%s",
            stale_message(stale, snakemake.params.registry, {s["site_id"] for s in awaiting}),
        )
    stale_shards = stale_site_files(
        Path("."),
        snakemake.params.shard_outputs,
        set(snakemake.params.shards),
        set(snakemake.output),
        snakemake.params.shard_name_pattern,
        placeholder="{shard}",
    )
    if stale_shards:
        remove_stale_site_files(Path("."), stale_shards)
        log.warning("%s", stale_shard_message(stale_shards))
    write_csv(snakemake.output.tsv, table, for_people=True)
    write_text(snakemake.output.md, overview_markdown(table, snakemake.params.policy))
