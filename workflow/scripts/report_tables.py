"""The replication, sites, participants and items tables, as CSV, Markdown and HTML."""

from pathlib import Path

import pandas as pd

from revmentor.core.logs import step_logging
from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import read_typed_csv
from revmentor.pooling.consortium import all_summaries
from revmentor.pooling.heterogeneity import (
    INFLUENCE_COLUMNS,
    INFLUENCE_TEXT,
    MODERATOR_COLUMNS,
    MODERATOR_COUNTS,
    MODERATOR_TEXT,
)
from revmentor.replication.table import CRITERIA_COLUMNS, CRITERIA_TEXT, VERDICT_COLUMNS
from revmentor.report.assemble import P_COLUMNS, all_tables, settings_from
from revmentor.report.outputs import write_table

with step_logging(snakemake.log[0], "report_tables") as log:
    given = snakemake.input
    frames = {
        name: pd.read_csv(getattr(given, name), keep_default_na=False, na_values=[""])
        for name in (
            "meta",
            "weights",
            "combined",
            "descriptives",
            "pooled_items",
        )
    }
    frames["pooled_items"] = frames["pooled_items"].fillna({"level": ""})
    frames["moderators"] = read_typed_csv(
        given.moderators, MODERATOR_COLUMNS, MODERATOR_TEXT, MODERATOR_COUNTS
    )
    frames["influence"] = read_typed_csv(given.influence, INFLUENCE_COLUMNS, INFLUENCE_TEXT, ())
    frames["criteria"] = read_typed_csv(given.criteria, CRITERIA_COLUMNS, CRITERIA_TEXT, ())
    frames["verdicts"] = read_typed_csv(given.verdicts, VERDICT_COLUMNS, VERDICT_COLUMNS, ())
    frames["summaries"] = all_summaries([read_summary(path) for path in given.summaries])
    frames["site_items"] = all_summaries([read_items(path) for path in given.site_items])
    frames["demographics"] = pd.concat(
        [pd.read_csv(path, dtype={"level": str}) for path in given.demographics], ignore_index=True
    )
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
