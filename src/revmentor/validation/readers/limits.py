"""Size limits on a site's file, checked before (or while) it is parsed.

A file over a limit is refused with one whole-file error that names the limit and the
config key that raises it, so that a huge or hostile file (a "zip bomb") cannot exhaust a
job's memory. The defaults here are those of ``workflow/schemas/config.schema.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from revmentor.core.problems import Problem, ProblemsError
from revmentor.validation.readers.cells import column_letter

MEGABYTE = 1024 * 1024
CONFIG_FILE = "config/config.yaml"


@dataclass(frozen=True)
class ReadLimits:
    """The largest file the readers accept (keys of ``validation:`` in the config)."""

    max_file_mb: float = 50
    max_uncompressed_mb: float = 100
    max_rows: int = 100_000
    max_columns: int = 200

    @classmethod
    def from_config(cls, validation: Mapping[str, Any]) -> ReadLimits:
        """The limits among the ``validation:`` settings (other keys are ignored)."""
        return cls(
            **{item.name: validation[item.name] for item in fields(cls) if item.name in validation}
        )

    def as_params(self) -> dict[str, float]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MEGABYTE)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * MEGABYTE)


#: The limits when the config sets none (the schema's defaults).
DEFAULT_LIMITS = ReadLimits()


def over_limit(
    shown_as: str,
    check: str,
    what: str,
    key: str,
    sheet: str | None = None,
    *,
    row: int | None = None,
    value: str | None = None,
) -> ProblemsError:
    """The refusal of a file over a size limit; ``what`` says what was found."""
    message = (
        f"{what}; the file was not read further. The limit is validation.{key} in "
        f"{CONFIG_FILE}: check that the file holds only this site's data, or raise the limit"
    )
    return ProblemsError(
        f"{shown_as}: the file is over a size limit",
        [Problem(row, None, check, message, value, sheet)],
    )


def megabytes(size: int) -> str:
    return f"{size / MEGABYTE:,.1f} MB"


def rows_over_limit(
    shown_as: str, row: int, limits: ReadLimits, sheet: str | None
) -> ProblemsError:
    return over_limit(
        shown_as,
        "row_limit",
        f"row {row:,} holds data, but at most {limits.max_rows:,} data rows are read "
        f"(rows 2 to {limits.max_rows + 1:,})",
        "max_rows",
        sheet,
    )


def columns_over_limit(
    shown_as: str, row: int, columns: int, limits: ReadLimits, sheet: str | None
) -> ProblemsError:
    return over_limit(
        shown_as,
        "column_limit",
        f"row {row:,} has a value in column {column_letter(columns - 1)} (column "
        f"{columns:,}), but at most {limits.max_columns:,} columns are read",
        "max_columns",
        sheet,
        row=row,
    )
