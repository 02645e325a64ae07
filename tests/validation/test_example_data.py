"""The bundled example consortium is valid, and is exactly what the simulator makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from revmentor.cli import local_summariser
from revmentor.core.config import read_yaml
from revmentor.core.moderators import moderators_from_config
from revmentor.simulate.consortium import registry_text, write_consortium
from revmentor.simulate.example import EXAMPLE_SITES
from revmentor.validation.registry import read_registry
from revmentor.validation.site import validate_site, validate_summary_site


@pytest.fixture(scope="module")
def sites(repo, config):
    return read_registry(
        repo / config["sites"],
        repo / config["data_root"],
        allow_absolute=False,
        row_schema=read_yaml(repo / "workflow/schemas/sites.schema.yaml"),
        moderators=moderators_from_config(config["moderators"]),
    )


def validate(site, instrument):
    if site.format == "summary":
        items = Path(site.items_path) if site.items_path else None
        report, table, _ = validate_summary_site(
            Path(site.path), items, site.as_params(), instrument
        )
        return report, table
    return validate_site(Path(site.path), site.as_params(), instrument)


def test_example_has_five_sites_one_like_the_study_and_one_summary_only(sites, instrument):
    assert len([site for site in sites if site.format == "responses"]) >= 5
    assert [site.site_id for site in sites if site.format == "summary"] == ["oakfield"]
    pilot = next(site for site in sites if site.site_id == "pilot")
    assert validate(pilot, instrument)[0].participants == {"mentor": 6, "mentee": 5}


def test_every_example_site_is_valid(sites, instrument):
    for site in sites:
        report, table = validate(site, instrument)
        assert report.status == "valid", report.to_markdown()
        assert table is not None and len(table) == report.n_rows


def test_simulator_rebuilds_the_bundled_files_byte_for_byte(tmp_path, repo, config, instrument):
    out = tmp_path / "example"
    rows = write_consortium(
        EXAMPLE_SITES,
        out,
        tmp_path,
        instrument,
        config["seed"],
        summarise=local_summariser(instrument, config["seed"]),
    )
    assert registry_text(rows) == (repo / "config/sites.tsv").read_text(encoding="utf-8")
    for path in sorted(out.iterdir()):
        assert path.read_bytes() == (repo / "data/example" / path.name).read_bytes(), path.name
