"""`revmentor redcap-dictionary`: the REDCap data dictionary of the configured instrument."""

from __future__ import annotations

import shutil

import pytest
import yaml

from revmentor.cli import main
from revmentor.core.redcap import dictionary_csv


@pytest.fixture
def root(tmp_path, repo):
    for name in ("config", "workflow/schemas"):
        shutil.copytree(repo / name, tmp_path / name)
    return tmp_path


def test_writes_the_dictionary_and_says_how_to_import_it(root, instrument, capsys, tmp_path):
    out = tmp_path / "out/dictionary.csv"
    assert main(["--root", str(root), "redcap-dictionary", "--out", str(out)]) == 0
    events = {"pre_arm_1": "pre", "post_arm_1": "post"}
    assert out.read_bytes() == dictionary_csv(instrument, events).encode("utf-8")
    assert capsys.readouterr().out == (
        f"Wrote the REDCap data dictionary to {out}. In REDCap: Project Setup > Data "
        "Dictionary > upload it; then enable longitudinal data collection, define the events "
        'pre_arm_1, post_arm_1 and designate the form on both (README, "Collect in REDCap").\n'
    )


def test_follows_the_configured_instrument(root, tmp_path):
    config_file = root / "config/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["instrument"]["domains"].append({"id": "listening", "label": "Listening"})
    config_file.write_text(yaml.safe_dump(config))
    out = tmp_path / "dictionary.csv"
    assert main(["--root", str(root), "redcap-dictionary", "--out", str(out)]) == 0
    assert "listening,confidence,,radio,Listening," in out.read_text()


def test_an_event_mapping_that_misses_a_timepoint_is_refused(root, tmp_path, capsys):
    config_file = root / "config/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["redcap"] = {"events": {"pre_arm_1": "pre", "followup_arm_1": "pre"}}
    config_file.write_text(yaml.safe_dump(config))
    out = tmp_path / "dictionary.csv"
    assert main(["--root", str(root), "redcap-dictionary", "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "redcap.events does not fit the instrument" in err
    assert "timepoint 'post' needs exactly one REDCap event, but 0 are mapped to it (none)" in err


def test_new_redcap_site_gets_the_dictionary_and_its_export_path(root, instrument, capsys):
    (root / "data").mkdir()
    code = main(
        [
            "--root",
            str(root),
            "new-site",
            "leeds",
            "--name",
            "Leeds",
            "--format",
            "redcap",
            "--enrolled",
            "2025-02-01",
        ]
    )
    assert code == 0
    row = (root / "config/sites.tsv").read_text().splitlines()[-1].split("\t")
    assert row[:5] == ["leeds", "Leeds", "leeds/redcap_export.csv", "redcap", "2025-02-01"]
    events = {"pre_arm_1": "pre", "post_arm_1": "post"}
    dictionary = root / "data/leeds/redcap_dictionary.csv"
    assert dictionary.read_text() == dictionary_csv(instrument, events)
    out = capsys.readouterr().out
    assert f"Templates: {dictionary}\n" in out
    assert (
        'Next: build the REDCap project from the dictionary (README, "Collect in REDCap"), '
        f"export its records as CSV (raw data) and save the export as "
        f"{root / 'data/leeds/redcap_export.csv'}, then run 'snakemake -n'"
    ) in out
