"""Every site of a shard: its statistics, items, Likert counts and demographics, computed
for all the shard's sites at once, written per site and, for the consortium steps,
together for the shard; last, the shard's manifest of the per-site files. The sites'
reports and clean tables are found through the validation's manifest."""

from pathlib import Path

from revmentor.core.files import write_text
from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import read_manifest, write_shard_manifest
from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import table_csv
from revmentor.stats.distributions import CHANGE_COLUMNS
from revmentor.steps import SITE_TABLES, SiteData, shard_tables
from revmentor.validation.clean import read_clean
from revmentor.validation.policy import usable_site
from revmentor.validation.report import ValidationReport

with step_logging(snakemake.log[0], "stats") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    output, files = snakemake.output, snakemake.params.files
    validated = read_manifest(snakemake.input.validated)["sites"]

    def site_data(site: dict) -> SiteData:
        """What the site's tables start from, read when the shard comes to it: only its
        pairs and rows stay in memory once read, not its clean table."""
        given = validated[site["site_id"]]
        report = ValidationReport.from_json(Path(given["report"]).read_text("utf-8"))
        if not usable_site(report, given["report_md"], snakemake.params.policy):
            return SiteData(site["site_id"])
        if site["format"] == "summary":
            return SiteData(
                site["site_id"],
                summary=read_summary(given["clean"]),
                items=read_items(given["clean_items"]),
            )
        return SiteData(site["site_id"], read_clean(Path(given["clean"]), instrument))

    site_ids = [site["site_id"] for site in snakemake.params.sites]
    shard = shard_tables(map(site_data, snakemake.params.sites), instrument, snakemake.params.seed)
    for table, path in zip(SITE_TABLES, output.shard_tables, strict=True):
        text, per_site = shard.csv_texts(table)
        for site_id, site_text in zip(site_ids, per_site, strict=True):
            write_text(files[site_id][table], site_text)
        write_text(path, text)
    for site_id, summary_rows in zip(site_ids, shard.rows["summary"], strict=True):
        summarised = summary_rows is not None
        log.info("site %s: %s", site_id, "summarised" if summarised else "excluded (invalid data)")
    write_text(output.changes, table_csv(shard.changes, CHANGE_COLUMNS, for_people=False))
    write_shard_manifest(output.manifest, snakemake.wildcards.shard, files)
