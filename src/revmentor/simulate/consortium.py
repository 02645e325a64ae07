"""Write simulated sites to disk in the formats sites really send, with their registry rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.moderators import REGISTRY_OPTIONAL_COLUMNS, REGISTRY_REQUIRED_COLUMNS
from revmentor.core.redcap import (
    COMPLETE_COLUMN,
    DAG_COLUMN,
    DEFAULT_REDCAP,
    EVENT_COLUMN,
    RECORD_ID,
    dropdowns,
    event_timepoints,
)
from revmentor.core.workbook import responses_workbook, save_workbook
from revmentor.simulate.model import SimulationModel, SiteDesign, simulate_site

SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA made by the revmentor simulator (seeded). No real person is described."
)

#: Turns a simulated site's responses into (summary CSV text, items CSV text), as the site
#: itself would by running the per-site step locally.
Summarise = Callable[[pd.DataFrame, str], tuple[str, str]]


@dataclass(frozen=True)
class SimulatedSite:
    design: SiteDesign
    name: str
    enrolled: str
    file_name: str
    delimiter: str = ","
    format: str = "responses"

    @property
    def moderators(self) -> Mapping[str, str]:
        """The site's moderator values, as its registry row holds them."""
        return self.design.moderators


def responses_text(frame: pd.DataFrame, delimiter: str = ",") -> str:
    """A responses frame as delimited text, empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(frame.columns)
    for record in frame.itertuples(index=False):
        writer.writerow(["" if _missing(value) else value for value in record])
    return buffer.getvalue()


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def write_responses(
    frame: pd.DataFrame, path: Path, instrument: Instrument, delimiter: str
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        site_id = str(frame["site_id"].iloc[0]) if len(frame) else None
        workbook = responses_workbook(instrument, frame, site_id=site_id, about=[SYNTHETIC_NOTICE])
        save_workbook(workbook, path)
    else:
        path.write_text(responses_text(frame, delimiter), encoding="utf-8", newline="")


def redcap_export_text(
    frame: pd.DataFrame,
    instrument: Instrument,
    events: Mapping[str, str],
    data_access_group: str | None = None,
) -> str:
    """A responses frame as REDCap's flat CSV export of the dictionary's project (raw data):
    one row per record and event, sorted by record and then event as REDCap sorts them,
    dropdowns as their codes, every form marked Complete (2)."""
    codes = {
        field: {level: code for code, level in coded.items()}
        for field, coded in dropdowns(instrument).items()
    }
    event_of = {timepoint: event for event, timepoint in events.items()}
    fields = ["role", *instrument.domain_ids, *instrument.item_ids, *instrument.demographic_ids]
    header = [RECORD_ID, EVENT_COLUMN]
    header += [DAG_COLUMN] if data_access_group is not None else []
    header += [*(field for field in fields if field in frame.columns), COMPLETE_COLUMN]
    order = {timepoint: index for index, timepoint in enumerate(instrument.timepoints)}
    ordered = frame.assign(_event=frame["timepoint"].map(order)).sort_values(
        ["participant_id", "_event"], kind="stable"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for _, record in ordered.iterrows():
        cells = [record["participant_id"], event_of[record["timepoint"]]]
        cells += [data_access_group] if data_access_group is not None else []
        for field in header[len(cells) : -1]:
            value = record[field]
            if _missing(value):
                cells.append("")
            elif field in codes:
                cells.append(codes[field][str(value)])
            elif isinstance(value, float) and value.is_integer():
                cells.append(str(int(value)))  # a score, as REDCap writes it
            else:
                cells.append(str(value))
        writer.writerow([*cells, "2"])
    return buffer.getvalue()


def registry_text(rows: Sequence[dict[str, str]]) -> str:
    """The site registry; the optional columns appear only when some site uses them, and
    every other key of a row is a moderator column, in the order the rows first give it."""
    columns = [*REGISTRY_REQUIRED_COLUMNS]
    columns += [c for c in REGISTRY_OPTIONAL_COLUMNS if any(row.get(c) for row in rows)]
    own = {*REGISTRY_REQUIRED_COLUMNS, *REGISTRY_OPTIONAL_COLUMNS}
    for row in rows:
        columns += [key for key in row if key not in own and key not in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def write_consortium(
    sites: Sequence[SimulatedSite],
    out_dir: Path,
    data_root: Path,
    instrument: Instrument,
    seed: int,
    model: SimulationModel | None = None,
    summarise: Summarise | None = None,
    redcap: Mapping[str, object] = DEFAULT_REDCAP,
) -> list[dict[str, str]]:
    """Simulate and write every site; return the registry rows (paths relative to data_root).

    A ``summary`` site keeps its responses to itself: only its summary and items files
    (made by ``summarise``) are written. A ``redcap`` site's responses are written as a
    REDCap export, its events named by ``redcap`` (config.yaml's ``redcap`` block).
    """
    rows = []
    for site in sites:
        path = out_dir / site.file_name
        frame = simulate_site(site.design, instrument, seed, model)
        row = {
            "site_id": site.design.site_id,
            "name": site.name,
            "data": _relative(path, data_root),
            "format": site.format,
            "enrolled": site.enrolled,
            **site.moderators,
        }
        if site.format == "summary":
            if summarise is None:
                raise ValueError(f"site {site.design.site_id} is summary-only: pass summarise")
            summary_text, items_text = summarise(frame, site.design.site_id)
            items_path = path.with_name(path.stem.replace("summary", "items") + path.suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(summary_text, encoding="utf-8")
            items_path.write_text(items_text, encoding="utf-8")
            row["items"] = _relative(items_path, data_root)
        elif site.format == "redcap":
            path.parent.mkdir(parents=True, exist_ok=True)
            text = redcap_export_text(frame, instrument, event_timepoints(redcap))
            path.write_text(text, encoding="utf-8", newline="")
        else:
            write_responses(frame, path, instrument, site.delimiter)
        rows.append(row)
    return rows


def _relative(path: Path, data_root: Path) -> str:
    return path.resolve().relative_to(data_root.resolve()).as_posix()
