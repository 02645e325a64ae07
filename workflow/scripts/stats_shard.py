"""Every site of a shard: its statistics, items, Likert counts and demographics, written
per site and, for the consortium steps, together for the shard; last, the shard's manifest
of the per-site files. The sites' reports and clean tables are found through the
validation's manifest."""

from pathlib import Path

import pandas as pd

from revmentor.core.files import write_text
from revmentor.core.instrument import Instrument
from revmentor.core.logs import step_logging
from revmentor.core.shard_manifest import read_manifest, write_shard_manifest
from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import table_csv
from revmentor.stats.distributions import CHANGE_COLUMNS, change_table
from revmentor.stats.pairs import site_pairs
from revmentor.steps import SITE_TABLES, site_tables
from revmentor.validation.clean import read_clean
from revmentor.validation.policy import usable_site
from revmentor.validation.report import ValidationReport

with step_logging(snakemake.log[0], "stats") as log:
    instrument = Instrument.from_config(snakemake.params.instrument)
    output, files = snakemake.output, snakemake.params.files
    validated = read_manifest(snakemake.input.validated)["sites"]
    collected = {table: [] for table in SITE_TABLES}
    changes = []
    for site in snakemake.params.sites:
        given = validated[site["site_id"]]
        report = ValidationReport.from_json(Path(given["report"]).read_text("utf-8"))
        tables = dict.fromkeys(SITE_TABLES)
        if usable_site(report, given["report_md"], snakemake.params.policy):
            if site["format"] == "summary":
                tables = site_tables(
                    site["site_id"],
                    instrument,
                    snakemake.params.seed,
                    summary=read_summary(given["clean"]),
                    items=read_items(given["clean_items"]),
                )
            else:
                clean = read_clean(Path(given["clean"]), instrument)
                pairs = site_pairs(clean, instrument)
                tables = site_tables(
                    site["site_id"], instrument, snakemake.params.seed, clean, pairs=pairs
                )
                changes.append(change_table(clean, instrument, site["site_id"], pairs))
        for table, frame in tables.items():
            write_text(
                files[site["site_id"]][table],
                table_csv(frame, SITE_TABLES[table], for_people=False),
            )
            if frame is not None and not frame.empty:
                collected[table].append(frame)
        log.info(
            "site %s: %s",
            site["site_id"],
            "summarised" if tables["summary"] is not None else "excluded (invalid data)",
        )
    write_text(
        output.changes,
        table_csv(pd.concat(changes) if changes else None, CHANGE_COLUMNS, for_people=False),
    )
    for table, path in zip(SITE_TABLES, output.shard_tables, strict=True):
        frames = collected[table]
        combined = pd.concat(frames, ignore_index=True) if frames else None
        write_text(path, table_csv(combined, SITE_TABLES[table], for_people=False))
    write_shard_manifest(output.manifest, snakemake.wildcards.shard, files)
