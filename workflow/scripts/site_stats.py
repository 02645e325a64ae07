"""One responses site's statistics, items, Likert distributions and demographics."""

from pathlib import Path

from revmentor.core import summary_format as fmt
from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.tables import write_text
from revmentor.stats.distributions import demographic_counts, likert_counts
from revmentor.stats.items import site_items
from revmentor.stats.site_summary import site_summary
from revmentor.validation.policy import usable_site
from revmentor.validation.report import ValidationReport
from revmentor.validation.site import read_clean, table_csv

with step_logging(snakemake.log[0], "site_stats") as log:
    site_id = snakemake.wildcards.site
    report = ValidationReport.from_json(Path(snakemake.input.report).read_text("utf-8"))
    tables = dict.fromkeys(("summary", "item_table", "likert", "demographics"))
    if usable_site(report, snakemake.input.report.replace(".json", ".md"), snakemake.params.policy):
        instrument = Instrument.from_config(snakemake.params.instrument)
        clean = read_clean(Path(snakemake.input.clean), instrument)
        tables = {
            "summary": site_summary(clean, instrument, site_id, snakemake.params.seed),
            "item_table": site_items(clean, instrument, site_id),
            "likert": likert_counts(clean, instrument, site_id),
            "demographics": demographic_counts(clean, instrument, site_id),
        }
        log.info("site %s: %d summary rows", site_id, len(tables["summary"]))
    else:
        log.info("site %s is invalid and excluded: no statistics", site_id)
    columns = {
        "summary": fmt.SUMMARY_COLUMNS,
        "item_table": fmt.ITEMS_COLUMNS,
        "likert": fmt.LIKERT_COLUMNS,
        "demographics": fmt.DEMOGRAPHIC_COLUMNS,
    }
    for name, table in tables.items():
        write_text(snakemake.output[name], table_csv(table, columns[name]))
