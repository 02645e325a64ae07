"""The bundled example consortium is valid, and is what the simulator makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from revmentor.core.config import read_yaml
from revmentor.simulate.consortium import write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from revmentor.validation.readers import read_table
from revmentor.validation.registry import read_registry
from revmentor.validation.site import validate_site


@pytest.fixture(scope="module")
def sites(repo, config):
    return read_registry(
        repo / config["sites"],
        repo / config["data_root"],
        allow_absolute=False,
        row_schema=read_yaml(repo / "workflow/schemas/sites.schema.yaml"),
    )


def test_example_has_at_least_five_sites_one_shaped_like_the_study(sites, instrument):
    assert len(sites) >= 5
    pilot = next(site for site in sites if site.site_id == "pilot")
    report, _ = validate_site(Path(pilot.path), pilot.as_params(), instrument)
    assert report.participants == {"mentor": 6, "mentee": 5}


def test_every_example_site_is_valid(sites, instrument):
    for site in sites:
        report, clean = validate_site(Path(site.path), site.as_params(), instrument)
        assert report.status == "valid", report.to_markdown()
        assert clean is not None and len(clean) == report.n_rows


def test_simulator_rebuilds_the_bundled_files(tmp_path, repo, config, instrument, sites):
    write_consortium(EXAMPLE_SITES, tmp_path, tmp_path, instrument, config["seed"])
    for site in sites:
        bundled = read_table(Path(site.path), site.path, instrument.known_columns())
        rebuilt_path = tmp_path / Path(site.path).name
        rebuilt = read_table(rebuilt_path, site.path, instrument.known_columns())
        assert bundled.header == rebuilt.header
        assert bundled.rows == rebuilt.rows
