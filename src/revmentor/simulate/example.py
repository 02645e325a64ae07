"""The bundled example consortium (data/example): synthetic hospitals of different sizes.

``pilot`` is shaped like the original study (6 mentors, 5 mentees, complete data). The
others differ in size, in missingness and in the file format the site sends. ``oakfield``
may not share participant-level data: it sends only its per-site summary and items.

Each site also has the two moderators of ``config/config.yaml``: teaching or district
hospital, and hours of mentoring. They move the simulated change (see
:mod:`revmentor.simulate.model`), so part of the sites' heterogeneity is theirs to
explain. ``pilot`` is a teaching hospital with 10 hours, the model's reference, so it
stays shaped like the original study.
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
    hospital_type,
    mentoring_hours,
    delimiter=",",
    data_format="responses",
    **rates,
):
    moderators = {"hospital_type": hospital_type, "mentoring_hours": mentoring_hours}
    return SimulatedSite(
        design=SiteDesign(
            site_id, {"mentor": mentors, "mentee": mentees}, moderators=moderators, **rates
        ),
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
        "teaching",
        "10",
        p_missing_score=0.0,
        p_dropout=0.0,
    ),
    _site(
        "northgate",
        "Northgate General Hospital",
        24,
        20,
        "2023-03-01",
        "northgate.csv",
        "district",
        "12",
    ),
    _site(
        "riverside",
        "Riverside University Hospital",
        12,
        10,
        "2023-06-15",
        "riverside.xlsx",
        "teaching",
        "20",
    ),
    _site(
        "hillcrest",
        "Hillcrest Royal Infirmary",
        40,
        35,
        "2023-09-01",
        "hillcrest.csv",
        "teaching",
        "16",
        delimiter=";",
    ),
    _site(
        "seaview",
        "Seaview District Hospital",
        9,
        8,
        "2024-01-20",
        "seaview.txt",
        "district",
        "15",
        delimiter="\t",
    ),
    _site(
        "oakfield",
        "Oakfield Community Trust",
        18,
        15,
        "2024-04-01",
        "oakfield_summary.csv",
        "district",
        "12.5",
        data_format="summary",
    ),
)
