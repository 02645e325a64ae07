"""A uniform simulated consortium: every site participant-level, with the same design.

The benchmarks (``bench/``) time the workflow on it, and the frozen-output test
(``tests/workflow/test_frozen_outputs.py``) checks that speed work leaves its outputs
byte-identical, so both must build the very same consortium from a size and a seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from revmentor.core.instrument import Instrument
from revmentor.simulate.consortium import SimulatedSite, registry_text, write_consortium
from revmentor.simulate.model import SiteDesign

PARTICIPANTS: Mapping[str, int] = {"mentor": 20, "mentee": 20}
FIRST_ENROLMENT = dt.date(2023, 1, 1)
#: Where the site files go, under the consortium's data/ folder (the registry's paths).
DATA_SUBFOLDER = "sim"


def uniform_site(index: int, participants: Mapping[str, int] = PARTICIPANTS) -> SimulatedSite:
    """Site number ``index`` (from 1): ``site0001``, enrolled ``index`` days after the first."""
    site_id = f"site{index:04d}"
    enrolled = FIRST_ENROLMENT + dt.timedelta(days=index)
    return SimulatedSite(
        SiteDesign(site_id, dict(participants)),
        f"Hospital {index:04d} (synthetic)",
        enrolled.isoformat(),
        f"{site_id}.csv",
    )


def write_uniform_sites(
    folder: Path, indices: range, instrument: Instrument, seed: int
) -> list[dict[str, str]]:
    """Write the sites numbered ``indices`` under ``folder/data``; return their registry rows."""
    return write_consortium(
        [uniform_site(index) for index in indices],
        folder / "data" / DATA_SUBFOLDER,
        folder / "data",
        instrument,
        seed,
    )


def write_uniform_consortium(folder: Path, n_sites: int, instrument: Instrument, seed: int) -> None:
    """Sites 1..``n_sites`` under ``folder/data`` and their registry ``folder/config/sites.tsv``
    (the config itself is the caller's)."""
    rows = write_uniform_sites(folder, range(1, n_sites + 1), instrument, seed)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config/sites.tsv").write_text(registry_text(rows), encoding="utf-8")


def add_uniform_site(folder: Path, index: int, instrument: Instrument, seed: int) -> None:
    """Site number ``index`` written and appended to the consortium's registry."""
    [row] = write_uniform_sites(folder, range(index, index + 1), instrument, seed)
    registry = folder / "config/sites.tsv"
    registry.write_text(
        registry.read_text(encoding="utf-8") + registry_text([row]).split("\n", 1)[1],
        encoding="utf-8",
    )
