"""Validate a summary-only site's summary (and optional items): report and validated tables."""

from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.core.tables import write_text
from revmentor.validation.site import table_csv, validate_summary_site

with step_logging(snakemake.log[0], "validate_summary_site") as log:
    site = snakemake.params.site
    instrument = Instrument.from_config(snakemake.params.instrument)
    items_path = Path(snakemake.input.item_table[0]) if snakemake.input.item_table else None
    report, summary, items = validate_summary_site(
        Path(snakemake.input.data), items_path, site, instrument
    )
    log.info("site %s: %s, %d error(s)", site["site_id"], report.status, len(report.errors))
    write_text(snakemake.output.report, report.to_json())
    write_text(snakemake.output.report_md, report.to_markdown())
    write_text(snakemake.output.summary, table_csv(summary, SUMMARY_COLUMNS))
    write_text(snakemake.output.item_table, table_csv(items, ITEMS_COLUMNS))
