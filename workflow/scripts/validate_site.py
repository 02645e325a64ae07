"""Validate one site's file: write its report (JSON and Markdown) and its clean table."""

from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_text
from revmentor.validation.site import clean_csv, validate_site

with step_logging(snakemake.log[0], "validate_site") as log:
    site = snakemake.params.site
    instrument = Instrument.from_config(snakemake.params.instrument)
    report, clean = validate_site(Path(snakemake.input.data), site, instrument)
    log.info("site %s: %s, %d error(s)", site["site_id"], report.status, len(report.errors))
    write_text(snakemake.output.report, report.to_json())
    write_text(snakemake.output.report_md, report.to_markdown())
    write_text(snakemake.output.clean, clean_csv(clean, instrument))
