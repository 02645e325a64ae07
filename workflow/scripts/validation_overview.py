"""Every site's validation status; under the 'stop' policy, fail on an invalid site."""

from pathlib import Path

import pandas as pd

from revmentor.core.logs import step_logging
from revmentor.core.tables import write_csv, write_text
from revmentor.validation.policy import overview_markdown, read_overview, stop_if_invalid
from revmentor.validation.report import ValidationReport

with step_logging(snakemake.log[0], "validation_overview"):
    shards = pd.concat([read_overview(path) for path in snakemake.input.shards])
    order = {site: index for index, site in enumerate(snakemake.params.sites)}
    table = shards.iloc[shards["site_id"].map(order).argsort(kind="stable")]
    table = table.reset_index(drop=True)
    write_csv(snakemake.output.tsv, table)
    write_text(snakemake.output.md, overview_markdown(table, snakemake.params.policy))
    stop_if_invalid(
        table,
        snakemake.params.policy,
        lambda path: ValidationReport.from_json(Path(path).read_text("utf-8")),
    )
