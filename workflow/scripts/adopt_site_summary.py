"""A summary-only site's validated summary and items become its per-site outputs."""

from pathlib import Path

from revmentor.core import summary_format as fmt
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_text
from revmentor.validation.policy import usable_site
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import table_csv

with step_logging(snakemake.log[0], "adopt_site_summary") as log:
    report = ValidationReport.from_json(Path(snakemake.input.report).read_text("utf-8"))
    usable_site(report, snakemake.input.report.replace(".json", ".md"), snakemake.params.policy)
    # An excluded site's validated files hold the header alone, so no row is adopted.
    for name in ("summary", "item_table"):
        write_text(snakemake.output[name], Path(snakemake.input[name]).read_text("utf-8"))
    # A summary-only site sends no participant-level distributions or demographics.
    write_text(snakemake.output.likert, table_csv(None, fmt.LIKERT_COLUMNS))
    write_text(snakemake.output.demographics, table_csv(None, fmt.DEMOGRAPHIC_COLUMNS))
    log.info("site %s: adopted its own summary (%s)", report.site_id, report.status)
