"""One record type for every error and warning the workflow reports to people."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from revmentor.core.privacy import withhold_value

MAX_VALUE_CHARS = 60


@dataclass(frozen=True, order=True)
class Problem:
    """A single failing cell, row, column or setting.

    ``row`` is the row number a person sees in a spreadsheet (header = row 1); ``None``
    when the problem concerns the whole file. ``sheet`` is set for XLSX input only.
    """

    row: int | None
    column: str | None
    check: str
    message: str
    value: str | None = None
    sheet: str | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> str:
        """Location in words, as a data manager would look it up."""
        parts = []
        if self.file is not None:
            parts.append(f"file {self.file}")
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts) if parts else "whole file"

    def log_line(self) -> str:
        """The problem as logs and the console show it: where, what and which check, but
        no participant id or free text; only the site's own report quotes those."""
        message = withhold_value(self.message, self.column, self.value)
        return f"{self.where()}: {message} [{self.check}]"


def shown_value(value: object) -> str | None:
    """A cell value as it is quoted in reports: text, trimmed to a readable length."""
    if value is None:
        return None
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def sort_key(problem: Problem) -> tuple:
    """Reports list problems by sheet, row and column so that reruns give the same order."""
    return (
        problem.sheet or "",
        -1 if problem.row is None else problem.row,
        problem.column or "",
        problem.check,
        problem.value or "",
        problem.message,
    )


class ProblemsError(Exception):
    """Raised when input cannot be used; carries every problem found, not just the first."""

    def __init__(self, summary: str, problems: list[Problem]):
        self.summary = summary
        self.problems = sorted(problems, key=sort_key)
        super().__init__(self.describe())

    def describe(self, limit: int = 20) -> str:
        lines = [self.summary]
        for problem in self.problems[:limit]:
            lines.append(f"  - {problem.where()}: {problem.message} [{problem.check}]")
        return "\n".join(lines + self._more(limit))

    def log_text(self, limit: int = 20) -> str:
        """As :meth:`describe`, for a workflow step's log: no participant id or free text."""
        summary = self.summary
        for problem in self.problems:
            summary = withhold_value(summary, problem.column, problem.value)
        lines = [summary, *(f"  - {p.log_line()}" for p in self.problems[:limit])]
        return "\n".join(lines + self._more(limit))

    def _more(self, limit: int) -> list[str]:
        extra = len(self.problems) - limit
        return [f"  ... and {extra} more"] if extra > 0 else []
