"""The replication, sites, participants and items tables, as CSV, Markdown and HTML."""

from pathlib import Path

from revmentor.core.logs import step_logging
from revmentor.report.assemble import P_COLUMNS, all_tables
from revmentor.report.inputs import read_report_frames
from revmentor.report.outputs import write_table
from revmentor.report.settings import settings_from

with step_logging(snakemake.log[0], "report_tables") as log:
    frames = read_report_frames(dict(snakemake.input.items()))
    folder = Path(snakemake.output.tables[0]).parent
    for name, table in all_tables(frames, settings_from(snakemake.params.settings)).items():
        write_table(
            table.frame,
            folder / name,
            table.title,
            table.notes,
            table.decimals,
            P_COLUMNS,
            table.hover,
        )
        log.info("table %s: %d rows", name, len(table.frame))
