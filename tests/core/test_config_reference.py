"""config/README.md describes every key of the config schema, and stays equal to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from revmentor.core.config_reference import UndocumentedKey, config_reference

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def test_config_readme_is_the_schema_written_out():
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    assert (ROOT / "config/README.md").read_text(encoding="utf-8") == config_reference(schema), (
        "config/README.md is out of date: run python -m revmentor.core.config_reference "
        "workflow/schemas/config.schema.yaml > config/README.md"
    )


def test_every_key_of_the_example_config_is_on_the_page():
    page = (ROOT / "config/README.md").read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    for section, value in config.items():
        assert f"| `{section}` |" in page, section
        if isinstance(value, dict) and section not in ("sesoi",):
            for key in value:
                if section in ("instrument", "original_study", "disclosure", "validation"):
                    assert f"| `{section}.{key}` |" in page, f"{section}.{key}"


def test_a_key_without_a_description_is_refused():
    schema = {"properties": {"seed": {"type": "integer"}}}
    with pytest.raises(UndocumentedKey, match="seed has no description"):
        config_reference(schema)


def test_nested_keys_enums_and_defaults_are_shown():
    schema = {
        "properties": {
            "pooling": {
                "type": "object",
                "description": "The primary analysis.",
                "properties": {
                    "method": {
                        "type": "string",
                        "enum": ["DL", "REML"],
                        "default": "REML",
                        "description": "The estimator | of tau2.",
                    }
                },
            }
        }
    }
    page = config_reference(schema)
    row = '| `pooling.method` | `DL` \\| `REML` | `"REML"` | The estimator \\| of tau2. |'
    assert row in page
