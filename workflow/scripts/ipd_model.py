"""The one-stage model over participant-level sites, beside the two-stage estimate."""

from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_csv
from revmentor.pooling.ipd import ipd_table, pooled_descriptives
from revmentor.validation.policy import excluded_sites, read_overview
from revmentor.validation.site import read_clean

with step_logging(snakemake.log[0], "ipd_model") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    excluded = excluded_sites(read_overview(snakemake.input.overview))
    cleans = {}
    for path in map(Path, snakemake.input.cleans):
        site_id = path.stem
        if site_id not in excluded:
            cleans[site_id] = read_clean(path, instrument)
    not_in_model = {site: f"excluded ({why})" for site, why in excluded.items()}
    not_in_model.update(
        {
            site: "summary-only site: no participant-level data"
            for site in snakemake.params.summary_sites
        }
    )
    write_csv(
        snakemake.output.model, ipd_table(cleans, instrument, not_in_model, snakemake.params.level)
    )
    write_csv(snakemake.output.descriptives, pooled_descriptives(cleans, instrument))
    log.info("one-stage model over %d participant-level sites", len(cleans))
