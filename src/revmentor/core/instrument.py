"""The questionnaire: domains, scale, roles, timepoints, items and demographics.

This is the one home of the instrument. Schemas, statistics, tables, templates and the
simulator all read it from an :class:`Instrument` built from the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from revmentor.core.problems import Problem, ProblemsError

TOTAL = "total"
IDENTITY_COLUMNS = ("participant_id", "role", "timepoint")
SITE_COLUMN = "site_id"
BINARY_LEVELS = ("0", "1")


@dataclass(frozen=True)
class Domain:
    id: str
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    timepoint: str
    kind: Literal["binary", "categorical"]
    levels: tuple[str, ...]

    @property
    def is_binary(self) -> bool:
        return self.kind == "binary"


@dataclass(frozen=True)
class ConcernPair:
    concern: str
    before: str
    after: str


@dataclass(frozen=True)
class Instrument:
    scale_min: int
    scale_max: int
    domains: tuple[Domain, ...]
    roles: tuple[str, ...]
    timepoints: tuple[str, str]
    na_tokens: tuple[str, ...]
    items: tuple[Item, ...]
    concern_pairs: tuple[ConcernPair, ...]
    demographics: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def domain_ids(self) -> tuple[str, ...]:
        return tuple(domain.id for domain in self.domains)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every analysed outcome: each domain, then the total over domains."""
        return (*self.domain_ids, TOTAL)

    @property
    def baseline(self) -> str:
        return self.timepoints[0]

    @property
    def follow_up(self) -> str:
        return self.timepoints[1]

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def demographic_ids(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.demographics)

    def item(self, item_id: str) -> Item:
        return next(item for item in self.items if item.id == item_id)

    def outcome_range(self, outcome: str) -> tuple[int, int]:
        """Smallest and largest possible score of a domain or of the total."""
        if outcome == TOTAL:
            n = len(self.domains)
            return n * self.scale_min, n * self.scale_max
        return self.scale_min, self.scale_max

    def outcome_label(self, outcome: str) -> str:
        """What a reader calls an outcome: the domain's label, or the total with its range."""
        if outcome == TOTAL:
            low, high = self.outcome_range(TOTAL)
            return f"Total score ({len(self.domains)} domains, {low}\u2013{high})"
        return next((d.label for d in self.domains if d.id == outcome), outcome)

    def outcome_labels(self) -> dict[str, str]:
        return {outcome: self.outcome_label(outcome) for outcome in self.outcomes}

    def known_columns(self) -> tuple[str, ...]:
        """Every column the responses format may hold, in template order."""
        return (
            SITE_COLUMN,
            *IDENTITY_COLUMNS,
            *self.domain_ids,
            *self.item_ids,
            *self.demographic_ids,
        )

    @classmethod
    def from_config(cls, instrument: Mapping[str, Any]) -> Instrument:
        """Build from the (schema-validated, defaults-filled) ``instrument`` config block.

        Raises :class:`ProblemsError` naming each inconsistent key.
        """
        problems = instrument_problems(instrument)
        if problems:
            raise ProblemsError("config.yaml: the instrument is inconsistent", problems)
        return cls(
            scale_min=int(instrument["scale"]["min"]),
            scale_max=int(instrument["scale"]["max"]),
            domains=tuple(Domain(d["id"], d["label"]) for d in instrument["domains"]),
            roles=tuple(instrument["roles"]),
            timepoints=(instrument["timepoints"][0], instrument["timepoints"][1]),
            na_tokens=tuple(instrument["na_tokens"]),
            items=tuple(_item(entry) for entry in instrument.get("items", [])),
            concern_pairs=tuple(
                ConcernPair(p["concern"], p["before"], p["after"])
                for p in instrument.get("concern_pairs", [])
            ),
            demographics=tuple(
                (name, tuple(levels))
                for name, levels in sorted(instrument.get("demographics", {}).items())
            ),
        )


def _item(entry: Mapping[str, Any]) -> Item:
    levels = BINARY_LEVELS if entry["type"] == "binary" else tuple(entry["levels"])
    return Item(entry["id"], entry["label"], entry["timepoint"], entry["type"], levels)


def _config_problem(key: str, check: str, message: str, value: object = None) -> Problem:
    return Problem(
        row=None,
        column=key,
        check=check,
        message=message,
        value=None if value is None else str(value),
    )


def instrument_problems(instrument: Mapping[str, Any]) -> list[Problem]:
    """Consistency rules a JSON schema cannot express. ``column`` holds the config key."""
    problems: list[Problem] = []
    scale = instrument["scale"]
    if scale["min"] >= scale["max"]:
        problems.append(
            _config_problem(
                "instrument.scale",
                "scale_min_below_max",
                f"scale min ({scale['min']}) must be below max ({scale['max']})",
                f"{scale['min']}..{scale['max']}",
            )
        )
    problems += _duplicate_ids("instrument.domains", [d["id"] for d in instrument["domains"]])
    items = instrument.get("items", [])
    problems += _duplicate_ids("instrument.items", [i["id"] for i in items])
    problems += _reserved_names(instrument)
    problems += _item_problems(items, instrument["timepoints"])
    problems += _concern_pair_problems(instrument.get("concern_pairs", []), items, instrument)
    problems += _na_token_problems(instrument)
    return problems


def _na_token_problems(instrument: Mapping[str, Any]) -> list[Problem]:
    """A missing-value token that is also a real answer would silently blank real data."""
    low, high = instrument["scale"]["min"], instrument["scale"]["max"]
    values = {str(score) for score in range(low, high + 1)} | set(BINARY_LEVELS)
    for item in instrument.get("items", []):
        values |= {level.lower() for level in item.get("levels", [])}
    for levels in instrument.get("demographics", {}).values():
        values |= {level.lower() for level in levels}
    values |= {role.lower() for role in instrument["roles"]}
    values |= {timepoint.lower() for timepoint in instrument["timepoints"]}
    return [
        _config_problem(
            f"instrument.na_tokens[{index}]",
            "na_token_not_a_value",
            f"'{token}' is a real answer (a score, level or label), so it cannot mean missing",
            token,
        )
        for index, token in enumerate(instrument["na_tokens"])
        if token.strip().lower() in values
    ]


def _duplicate_ids(key: str, ids: list[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, identifier in enumerate(ids):
        if identifier in seen:
            problems.append(
                _config_problem(
                    f"{key}[{index}].id",
                    "unique_id",
                    f"id '{identifier}' is used twice",
                    identifier,
                )
            )
        seen.add(identifier)
    return problems


def _reserved_names(instrument: Mapping[str, Any]) -> list[Problem]:
    """Domain, item and demographic names become column names; they must not collide."""
    reserved = {SITE_COLUMN, *IDENTITY_COLUMNS, TOTAL}
    named = [
        ("instrument.domains", f"instrument.domains[{n}].id", d["id"])
        for n, d in enumerate(instrument["domains"])
    ]
    named += [
        ("instrument.items", f"instrument.items[{n}].id", item["id"])
        for n, item in enumerate(instrument.get("items", []))
    ]
    named += [
        ("instrument.demographics", f"instrument.demographics.{name}", name)
        for name in instrument.get("demographics", {})
    ]
    problems = []
    first_family: dict[str, str] = {}
    for family, key, name in named:
        if name in reserved:
            problems.append(
                _config_problem(key, "reserved_name", f"'{name}' is a reserved column name", name)
            )
        elif first_family.setdefault(name, family) != family:
            problems.append(
                _config_problem(
                    key,
                    "unique_column_name",
                    f"'{name}' is already used in {first_family[name]}; column names must be "
                    "unique",
                    name,
                )
            )
    return problems


def _item_problems(items: list[Mapping[str, Any]], timepoints: list[str]) -> list[Problem]:
    problems = []
    for index, item in enumerate(items):
        key = f"instrument.items[{index}]"
        if item["timepoint"] not in timepoints:
            problems.append(
                _config_problem(
                    f"{key}.timepoint",
                    "known_timepoint",
                    f"item '{item['id']}' is asked at '{item['timepoint']}', "
                    f"which is not one of the timepoints {timepoints}",
                    item["timepoint"],
                )
            )
        if item["type"] == "categorical" and "levels" not in item:
            problems.append(
                _config_problem(
                    f"{key}.levels",
                    "categorical_levels",
                    f"categorical item '{item['id']}' needs its levels",
                )
            )
        if item["type"] == "binary" and "levels" in item:
            problems.append(
                _config_problem(
                    f"{key}.levels",
                    "binary_levels",
                    f"binary item '{item['id']}' is coded 0/1 and takes no levels",
                )
            )
    return problems


def _concern_pair_problems(
    pairs: list[Mapping[str, Any]],
    items: list[Mapping[str, Any]],
    instrument: Mapping[str, Any],
) -> list[Problem]:
    by_id = {item["id"]: item for item in items}
    baseline, follow_up = instrument["timepoints"]
    problems = []
    for index, pair in enumerate(pairs):
        for side, timepoint in (("before", baseline), ("after", follow_up)):
            key = f"instrument.concern_pairs[{index}].{side}"
            item = by_id.get(pair[side])
            if item is None:
                problems.append(
                    _config_problem(
                        key, "known_item", f"'{pair[side]}' is not an item id", pair[side]
                    )
                )
            elif item["type"] != "binary" or item["timepoint"] != timepoint:
                problems.append(
                    _config_problem(
                        key,
                        "binary_item_at_timepoint",
                        f"'{pair[side]}' must be a binary item asked at '{timepoint}'",
                        pair[side],
                    )
                )
    return problems
