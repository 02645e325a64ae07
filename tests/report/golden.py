"""A small, fixed consortium whose report tables are committed as golden files.

Regenerate (after checking that a change is intended) with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_golden_tables.py
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.report.settings import Settings, settings_from
from revmentor.simulate.consortium import SimulatedSite, write_consortium
from revmentor.simulate.model import SiteDesign
from revmentor.validation.registry import Site

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
TABLES = ("replication", "replication_matrix", "heterogeneity", "sites", "participants", "items")
SEED = 7
SITES = (
    SimulatedSite(
        SiteDesign(
            "alpha",
            {"mentor": 6, "mentee": 5},
            moderators={"hospital_type": "teaching", "mentoring_hours": "10"},
        ),
        "Alpha Hospital",
        "2023-01-01",
        "alpha.csv",
    ),
    SimulatedSite(
        SiteDesign(
            "beta",
            {"mentor": 9, "mentee": 7},
            moderators={"hospital_type": "district", "mentoring_hours": "14"},
        ),
        "=Beta Trust",
        "2023-05-01",
        "beta.csv",
    ),
    SimulatedSite(
        SiteDesign(
            "gamma",
            {"mentor": 4, "mentee": 12},
            moderators={"hospital_type": "teaching", "mentoring_hours": ""},
        ),
        "Gamma Infirmary",
        "2024-02-01",
        "gamma.csv",
        delimiter=";",
    ),
)


def build(folder: Path, instrument: Instrument) -> tuple[Site, ...]:
    rows = write_consortium(SITES, folder, folder, instrument, SEED)
    sites = []
    for number, (row, site) in enumerate(zip(rows, SITES, strict=True), 2):
        path = folder / row["data"]
        sites.append(
            Site(
                row["site_id"],
                row["name"],
                row["data"],
                "responses",
                dt.date.fromisoformat(row["enrolled"]),
                number,
                str(path),
                "",
                moderators=dict(site.design.moderators),
            )
        )
    return tuple(sites)


def golden_settings(sites: tuple[Site, ...], config: dict, instrument: Instrument) -> Settings:
    """The report settings of the golden consortium, as the report stage builds them."""
    return settings_from(
        {
            "roles": instrument.roles,
            "outcomes": instrument.outcomes,
            "names": {site.site_id: site.name for site in sites},
            "enrolled": {site.site_id: site.enrolled.isoformat() for site in sites},
            **{key: config[key] for key in ("original_study", "pooling", "report", "disclosure")},
        }
    )


def golden_config(config: dict) -> dict:
    fixed = copy.deepcopy(config)
    fixed["seed"] = SEED
    return fixed
