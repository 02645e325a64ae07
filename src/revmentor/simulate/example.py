"""The bundled example consortium (data/example): synthetic hospitals of different sizes.

``pilot`` is shaped like the original study (6 mentors, 5 mentees, complete data). The
others differ in size, in missingness and in the file format the site sends. ``oakfield``
may not share participant-level data: it sends only its per-site summary and items.
"""

from __future__ import annotations

from revmentor.simulate.consortium import SimulatedSite
from revmentor.simulate.model import SiteDesign


def _site(
    site_id,
    name,
    mentors,
    mentees,
    enrolled,
    file_name,
    delimiter=",",
    data_format="responses",
    **rates,
):
    return SimulatedSite(
        design=SiteDesign(site_id, {"mentor": mentors, "mentee": mentees}, **rates),
        name=f"{name} (synthetic)",
        enrolled=enrolled,
        file_name=file_name,
        delimiter=delimiter,
        format=data_format,
    )


EXAMPLE_SITES = (
    _site(
        "pilot",
        "Pilot Teaching Hospital",
        6,
        5,
        "2022-01-10",
        "pilot.csv",
        p_missing_score=0.0,
        p_dropout=0.0,
    ),
    _site("northgate", "Northgate General Hospital", 24, 20, "2023-03-01", "northgate.csv"),
    _site("riverside", "Riverside University Hospital", 12, 10, "2023-06-15", "riverside.xlsx"),
    _site(
        "hillcrest",
        "Hillcrest Royal Infirmary",
        40,
        35,
        "2023-09-01",
        "hillcrest.csv",
        delimiter=";",
    ),
    _site(
        "seaview", "Seaview District Hospital", 9, 8, "2024-01-20", "seaview.txt", delimiter="\t"
    ),
    _site(
        "oakfield",
        "Oakfield Community Trust",
        18,
        15,
        "2024-04-01",
        "oakfield_summary.csv",
        data_format="summary",
    ),
)
