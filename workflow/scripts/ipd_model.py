"""The one-stage model over participant-level sites, beside the two-stage estimate."""

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_csv
from revmentor.pooling.ipd import ipd_table
from revmentor.validation.policy import excluded_sites, read_overview

with step_logging(snakemake.log[0], "ipd_model") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    changes = pd.concat(
        [pd.read_csv(path, dtype={"site_id": str}) for path in snakemake.input.changes],
        ignore_index=True,
    )
    changes = changes[~changes["site_id"].isin(excluded)]
    not_in_model = {site: f"excluded ({why})" for site, why in excluded.items()}
    summary_only = "summary-only site: no participant-level data"
    not_in_model.update({site: summary_only for site in snakemake.params.summary_sites})
    table = ipd_table(changes, instrument, not_in_model, snakemake.params.level)
    write_csv(snakemake.output.model, table, for_people=True)
    log.info("one-stage model over %d participants", len(changes))
