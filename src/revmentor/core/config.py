"""Reading config.yaml outside Snakemake (command line, tests, benchmarks).

Inside the workflow, the Snakefile validates the config with ``snakemake.utils.validate``
against the same schema file; this module gives the same result to code that does not
run under Snakemake, and reports schema failures as :class:`Problem` records.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from revmentor.core.instrument import Instrument
from revmentor.core.problems import Problem, ProblemsError, shown_value

CONFIG_SCHEMA = Path("workflow/schemas/config.schema.yaml")
SITES_SCHEMA = Path("workflow/schemas/sites.schema.yaml")


def read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _fill_defaults(validator_class: type) -> type:
    """A validator that writes each property's schema default into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema) -> Iterator:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties_with_defaults})


def schema_problems(instance: Any, schema: Mapping[str, Any], *, fill: bool) -> list[Problem]:
    """Every place ``instance`` breaks ``schema``; fills defaults in place when ``fill``."""
    base = jsonschema.validators.validator_for(schema)
    validator_class = _fill_defaults(base) if fill else base
    validator = validator_class(schema)
    if fill:
        # One pass fills defaults; errors are read on the filled instance.
        for _ in validator.iter_errors(instance):
            pass
    problems = []
    for error in validator.iter_errors(instance):
        key = config_key(error.absolute_path)
        problems.append(
            Problem(
                row=None,
                column=key,
                check=f"schema_{error.validator}",
                message=error.message,
                value=shown_value(error.instance if not isinstance(error.instance, dict) else None),
            )
        )
    return problems


def config_key(path) -> str:
    """A location in the config as people write it: ``instrument.domains[0].id``."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def load_config(path: Path, schema_path: Path = CONFIG_SCHEMA) -> dict[str, Any]:
    """Read, validate and default-fill a config file; raise naming every bad key."""
    try:
        config = read_yaml(path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ProblemsError(
            f"{path}: the config is not valid YAML",
            [
                Problem(
                    None if mark is None else mark.line + 1,
                    None,
                    "yaml_syntax",
                    " ".join(str(error).split()),
                )
            ],
        ) from None
    if not isinstance(config, dict):
        raise ProblemsError(
            f"{path}: the config must be a mapping of keys to values",
            [Problem(None, None, "config_is_mapping", "the file holds no key: value pairs")],
        )
    problems = schema_problems(config, read_yaml(schema_path), fill=True)
    if problems:
        raise ProblemsError(f"{path}: the config does not match {schema_path}", problems)
    Instrument.from_config(config["instrument"])
    return config
