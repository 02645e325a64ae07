"""Site-level moderators: facts about each hospital that may explain why their effects differ.

A moderator is declared once in ``config.yaml`` (``moderators:``) and given a value per site
in a column of the site registry. ``numeric`` moderators hold a number; ``categorical``
ones hold one of their declared ``levels``, the first being the reference level of the
meta-regression. An empty registry cell means the value is unknown: that site leaves the
analyses of that moderator, and the outputs say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from revmentor.core.numbers import plain_number
from revmentor.core.problems import Problem, ProblemsError

NUMERIC = "numeric"
CATEGORICAL = "categorical"
TYPES = (NUMERIC, CATEGORICAL)
#: The site registry's own columns: a moderator column may not take one of these names.
REGISTRY_REQUIRED_COLUMNS = ("site_id", "name", "data", "format", "enrolled")
#: ``items``: a summary-only site's items file, relative to data_root; ``redcap_group``: the
#: REDCap data access group of a REDCap site's records (both optional).
REGISTRY_OPTIONAL_COLUMNS = ("items", "redcap_group")
REGISTRY_COLUMNS = (*REGISTRY_REQUIRED_COLUMNS, *REGISTRY_OPTIONAL_COLUMNS)
#: The header of a registry made afresh (an optional column is added when a site needs it).
NEW_REGISTRY_COLUMNS = (*REGISTRY_REQUIRED_COLUMNS, "items")
# An id becomes a registry column and a term name (``hospital_type:district``).
MODERATOR_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
UNKNOWN = "value unknown (empty cell in the site registry)"

#: A site's moderator value: a number, a level, or ``None`` where the registry cell is empty.
ModeratorValue = float | str | None


@dataclass(frozen=True)
class Moderator:
    id: str
    type: str
    label: str
    levels: tuple[str, ...] = ()

    @property
    def is_categorical(self) -> bool:
        return self.type == CATEGORICAL

    @property
    def reference(self) -> str | None:
        return self.levels[0] if self.is_categorical else None

    def value_problem(self, text: str) -> str | None:
        """Why a registry cell is not a value of this moderator, or ``None`` if it is."""
        if text == "":
            return None
        if self.is_categorical:
            if text in self.levels:
                return None
            return f"'{text}' is not a level of {self.id} (one of {', '.join(self.levels)})"
        if plain_number(text) is None:
            return f"'{text}' is not a number ({self.id} is numeric, e.g. 12 or 7.5)"
        return None

    def value(self, text: str) -> ModeratorValue:
        """The value a (valid) registry cell holds; ``None`` for an empty cell."""
        if text == "":
            return None
        return text if self.is_categorical else plain_number(text)


def moderators_from_config(entries: Sequence[Mapping[str, Any]] | None) -> tuple[Moderator, ...]:
    """The configured moderators, or a :class:`ProblemsError` naming each bad entry."""
    problems: list[Problem] = []
    moderators: list[Moderator] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries or ()):
        key = f"moderators[{index}]"
        moderator_id = str(entry.get("id", ""))
        kind = str(entry.get("type", ""))
        levels = tuple(str(level) for level in entry.get("levels") or ())

        def problem(check: str, message: str, value: object, key: str = key) -> None:
            problems.append(Problem(None, key, check, message, str(value)))

        if not MODERATOR_ID.fullmatch(moderator_id):
            problem(
                "moderator_id",
                f"{key}.id '{moderator_id}' must start with a lower-case letter and hold only "
                "lower-case letters, digits and _ (at most 40 characters): it becomes a column "
                "of the site registry",
                moderator_id,
            )
        elif moderator_id in REGISTRY_COLUMNS:
            problem(
                "moderator_id_free",
                f"{key}.id '{moderator_id}' is a column the site registry already has "
                f"({', '.join(REGISTRY_COLUMNS)}); choose another id",
                moderator_id,
            )
        elif moderator_id in seen:
            problem(
                "unique_moderator_id", f"{key}.id '{moderator_id}' is declared twice", moderator_id
            )
        seen.add(moderator_id)
        if kind not in TYPES:
            problem("moderator_type", f"{key}.type must be numeric or categorical", kind)
        elif kind == CATEGORICAL and (len(set(levels)) < 2 or len(set(levels)) != len(levels)):
            problem(
                "moderator_levels",
                f"{key}.levels must list two or more different levels, the reference first",
                ", ".join(levels),
            )
        elif kind == NUMERIC and levels:
            problem(
                "moderator_levels",
                f"{key}.levels is only for categorical moderators; {moderator_id} is numeric",
                ", ".join(levels),
            )
        moderators.append(
            Moderator(moderator_id, kind, str(entry.get("label") or moderator_id), levels)
        )
    if problems:
        raise ProblemsError("the moderators in the config have problems", problems)
    return tuple(moderators)


def site_values(
    moderators: Sequence[Moderator], cells: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, ModeratorValue]]:
    """``{moderator id: {site id: value}}`` from each site's registry cells (already valid)."""
    return {
        moderator.id: {
            site: moderator.value(row.get(moderator.id, "")) for site, row in cells.items()
        }
        for moderator in moderators
    }
