"""Collect every site's validation status; under the 'stop' policy, fail on an invalid site."""

from pathlib import Path

from revmentor.core.logs import step_logging
from revmentor.core.tables import write_csv, write_text
from revmentor.validation.policy import overview, overview_markdown
from revmentor.validation.report import ValidationReport

with step_logging(snakemake.log[0], "validation_overview"):
    paths = list(snakemake.input.reports)
    reports = [ValidationReport.from_json(Path(path).read_text("utf-8")) for path in paths]
    table = overview(
        reports, [path.replace(".json", ".md") for path in paths], snakemake.params.policy
    )
    write_csv(snakemake.output.tsv, table)
    write_text(snakemake.output.md, overview_markdown(table, snakemake.params.policy))
