"""config/README.md, written from the config schema: every key with its type, default and
description, so that the page cannot drift from what Snakemake validates.

Regenerate it after changing workflow/schemas/config.schema.yaml:

    python -m revmentor.core.config_reference workflow/schemas/config.schema.yaml > config/README.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

INTRO = """\
# Configuring a consortium run

Everything a run needs is in two files of this folder:

- `config.yaml`: the settings below. Snakemake checks it against
  `workflow/schemas/config.schema.yaml` before any rule runs and fills in every default
  shown here.
- `sites.tsv`: the site registry, one row per hospital (README, "Add your hospital").

This page is written from the schema (`python -m revmentor.core.config_reference`), and a
test keeps the two equal.

| key | type | default | what it does |
|---|---|---|---|
"""


class UndocumentedKey(ValueError):
    """A schema key without a description: the page would not say what it does."""


def _resolved(node: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = node.get("$ref")
    if not reference:
        return node
    target: Any = schema
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{key: value for key, value in node.items() if key != "$ref"}}


def _type(node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return " | ".join(f"`{value}`" for value in node["enum"])
    kind = node.get("type", "")
    if kind == "array":
        items = node.get("items", {})
        return f"list of {items.get('type', 'object')}s" if isinstance(items, dict) else "list"
    return str(kind)


def _default(node: Mapping[str, Any]) -> str:
    if "default" not in node:
        return "required" if node.get("required_here") else ""
    value = node["default"]
    if value in ({}, []) and node.get("type") in ("object", "array"):
        return "empty" if node.get("type") == "array" else ""
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= 40 else "see `config.yaml`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def rows(
    node: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, description) of every key below ``node``, parents first."""
    required = set(node.get("required", ()))
    for name, child in node.get("properties", {}).items():
        child = _resolved(child, schema)
        key = f"{prefix}{name}"
        description = child.get("description")
        if not description:
            raise UndocumentedKey(f"{key} has no description in the config schema")
        shown = dict(child, required_here=name in required)
        yield key, _type(child), _default(shown), description
        if child.get("type") == "object" and "properties" in child:
            yield from rows(child, schema, f"{key}.")
        items = child.get("items")
        if child.get("type") == "array" and isinstance(items, dict) and "properties" in items:
            yield from rows(_resolved(items, schema), schema, f"{key}[].")


def config_reference(schema: Mapping[str, Any]) -> str:
    lines = [
        f"| `{key}` | {_cell(kind)} | {_cell(default)} | {_cell(description)} |"
        for key, kind, default, description in rows(schema, schema)
    ]
    return INTRO + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    schema = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
    sys.stdout.write(config_reference(schema))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
