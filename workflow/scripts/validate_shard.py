"""Validate every site of a shard: each site's report (JSON, Markdown) and clean table, then
the shard's overview and, last, its manifest of those files."""

from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.files import write_text
from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import write_shard_manifest
from revmentor.core.summary_format import ITEMS_COLUMNS, SUMMARY_COLUMNS
from revmentor.core.tables import table_csv, write_csv
from revmentor.validation.clean import clean_csv
from revmentor.validation.policy import overview
from revmentor.validation.readers import ReadLimits
from revmentor.validation.site import validate_each

with step_logging(snakemake.log[0], "validate") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    limits = ReadLimits.from_config(snakemake.params.limits)
    # A summary-only site's summary and items are refused where they break the disclosure
    # policy.
    disclosure = DisclosurePolicy.from_config(snakemake.params.disclosure)
    output = snakemake.output
    files = snakemake.params.files
    reports = []
    sites = snakemake.params.sites
    # validate_each() turns any failure into the site's own report, so one broken file
    # never stops the shard's other sites.
    checked_sites = validate_each(sites, instrument, limits, snakemake.params.redcap, disclosure)
    for site, checked in zip(sites, checked_sites, strict=True):
        written = files[site["site_id"]]
        if checked.fault is not None:
            log.error(
                "site %s: the checks failed (%s); the site's report says why",
                site["site_id"],
                checked.fault,
            )
        reports.append(checked.report)
        write_text(written["report"], checked.report.to_json())
        write_text(written["report_md"], checked.report.to_markdown())
        if site["format"] == "summary":
            write_text(
                written["clean"], table_csv(checked.summary, SUMMARY_COLUMNS, for_people=False)
            )
            write_text(
                written["clean_items"], table_csv(checked.items, ITEMS_COLUMNS, for_people=False)
            )
        else:
            write_text(written["clean"], clean_csv(checked.clean, instrument))
        log.info(
            "site %s: %s, %d error(s)",
            site["site_id"],
            checked.report.status,
            len(checked.report.errors),
        )
    markdown = [files[site["site_id"]]["report_md"] for site in snakemake.params.sites]
    write_csv(output.overview, overview(reports, markdown), for_people=False)
    write_shard_manifest(output.manifest, snakemake.wildcards.shard, files)
