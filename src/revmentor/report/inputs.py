"""Read the pooled and per-site files every report step uses, typed as they were written,
into the frames the table builders and the pages take."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from revmentor.core.summary_format import read_items, read_summary
from revmentor.core.tables import read_typed_csv, stacked_frames
from revmentor.pooling.heterogeneity import (
    INFLUENCE_COLUMNS,
    INFLUENCE_TEXT,
    MODERATOR_COLUMNS,
    MODERATOR_COUNTS,
    MODERATOR_TEXT,
)
from revmentor.replication.table import CRITERIA_COLUMNS, CRITERIA_TEXT, VERDICT_COLUMNS

#: The pooled files read with pandas' defaults (an empty cell is missing, nothing else).
PLAIN = ("meta", "weights", "combined", "descriptives", "pooled_items")


def _plain(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def read_report_frames(paths: Mapping[str, str | Sequence[str]]) -> dict[str, pd.DataFrame]:
    """``paths`` names each file as the report rules' ``input:`` do; the per-site tables
    (summaries, site_items, demographics, likert) are lists, one file per shard."""
    frames = {name: _plain(str(paths[name])) for name in PLAIN if name in paths}
    if "pooled_items" in frames:
        frames["pooled_items"] = frames["pooled_items"].fillna({"level": ""})
    if "moderators" in paths:
        frames["moderators"] = read_typed_csv(
            paths["moderators"], MODERATOR_COLUMNS, MODERATOR_TEXT, MODERATOR_COUNTS
        )
    if "influence" in paths:
        frames["influence"] = read_typed_csv(
            paths["influence"], INFLUENCE_COLUMNS, INFLUENCE_TEXT, ()
        )
    if "criteria" in paths:
        frames["criteria"] = read_typed_csv(paths["criteria"], CRITERIA_COLUMNS, CRITERIA_TEXT, ())
    if "verdicts" in paths:
        frames["verdicts"] = read_typed_csv(paths["verdicts"], VERDICT_COLUMNS, VERDICT_COLUMNS, ())
    if "summaries" in paths:
        frames["summaries"] = stacked_frames([read_summary(p) for p in paths["summaries"]])
    if "site_items" in paths:
        frames["site_items"] = stacked_frames([read_items(p) for p in paths["site_items"]])
    if "demographics" in paths:
        frames["demographics"] = pd.concat(
            [pd.read_csv(p, dtype={"level": str}) for p in paths["demographics"]],
            ignore_index=True,
        )
    if "likert" in paths:
        frames["likert"] = pd.concat([pd.read_csv(p) for p in paths["likert"]], ignore_index=True)
    return frames
