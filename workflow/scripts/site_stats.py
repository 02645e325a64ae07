"""One responses site's pre/post statistics and items, in the per-site summary format."""

from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.core.tables import write_text
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.policy import usable_site
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import read_clean, table_csv

with step_logging(snakemake.log[0], "site_stats") as log:
    site_id = snakemake.wildcards.site
    report = ValidationReport.from_json(Path(snakemake.input.report).read_text("utf-8"))
    summary = items = None
    if usable_site(report, snakemake.input.report.replace(".json", ".md"), snakemake.params.policy):
        instrument = Instrument.from_config(snakemake.params.instrument)
        clean = read_clean(Path(snakemake.input.clean), instrument)
        summary = site_summary(clean, instrument, site_id, snakemake.params.seed)
        items = site_items(clean, instrument, site_id)
        log.info("site %s: %d summary rows, %d item rows", site_id, len(summary), len(items))
    else:
        log.info("site %s is invalid and excluded: no statistics", site_id)
    write_text(snakemake.output.summary, table_csv(summary, SUMMARY_COLUMNS))
    write_text(snakemake.output.item_table, table_csv(items, ITEMS_COLUMNS))
