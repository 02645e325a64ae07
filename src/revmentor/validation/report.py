"""A site's validation report: JSON for machines, Markdown for the site's data manager."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from revmentor.core.problems import Problem, sort_key

VALID = "valid"
INVALID = "invalid"


@dataclass(frozen=True)
class ValidationReport:
    site_id: str
    name: str
    format: str
    file: str
    sha256: str
    n_rows: int
    participants: dict[str, int]
    errors: tuple[Problem, ...] = field(default=())
    warnings: tuple[Problem, ...] = field(default=())
    sheet: str | None = None
    #: A summary site's optional items file, and the SHA-256 of the bytes read from it.
    items_file: str | None = None
    items_sha256: str | None = None

    @property
    def status(self) -> str:
        return INVALID if self.errors else VALID

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "name": self.name,
            "status": self.status,
            "format": self.format,
            "file": self.file,
            "sheet": self.sheet,
            "sha256": self.sha256,
            **(
                {"items_file": self.items_file, "items_sha256": self.items_sha256}
                if self.items_file
                else {}
            ),
            "n_rows": self.n_rows,
            "participants": dict(self.participants),
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "errors": [p.to_dict() for p in sorted(self.errors, key=sort_key)],
            "warnings": [p.to_dict() for p in sorted(self.warnings, key=sort_key)],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        return cls(
            site_id=data["site_id"],
            name=data["name"],
            format=data["format"],
            file=data["file"],
            sha256=data["sha256"],
            n_rows=data["n_rows"],
            participants=data["participants"],
            errors=tuple(Problem(**p) for p in data["errors"]),
            warnings=tuple(Problem(**p) for p in data["warnings"]),
            sheet=data.get("sheet"),
            items_file=data.get("items_file"),
            items_sha256=data.get("items_sha256"),
        )

    @classmethod
    def from_json(cls, text: str) -> ValidationReport:
        return cls.from_dict(json.loads(text))

    def first_errors(self, limit: int = 5) -> list[str]:
        """The first errors as logs and the console show them: no participant id or free
        text, which this report's own files quote and the logs never do."""
        return [p.log_line() for p in sorted(self.errors, key=sort_key)[:limit]]

    def to_markdown(self) -> str:
        participants = ", ".join(f"{role}: {n}" for role, n in self.participants.items())
        lines = [
            f"# Validation report: {self.site_id}",
            "",
            f"- **Site:** {_cell(self.name)} (`{self.site_id}`)",
            f"- **Status:** {self.status.upper()}",
            f"- **File:** `{self.file}`" + (f", sheet `{self.sheet}`" if self.sheet else ""),
            f"- **SHA-256:** `{self.sha256}`",
            *(
                [f"- **Items file:** `{self.items_file}`, SHA-256 `{self.items_sha256}`"]
                if self.items_file
                else []
            ),
            f"- **Format:** {self.format}",
            f"- **Data rows:** {self.n_rows}",
            f"- **Participants:** {participants or 'none recognised'}",
            f"- **Errors:** {len(self.errors)}; **warnings:** {len(self.warnings)}",
            "",
            "Rows are numbered as in a spreadsheet: the header is row 1.",
            "",
        ]
        lines += _problem_table("Errors (must be fixed)", self.errors)
        lines += _problem_table("Warnings (please check)", self.warnings)
        return "\n".join(lines).rstrip() + "\n"


def _cell(text: object) -> str:
    """Markdown-safe table cell text."""
    if text is None:
        return ""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _problem_table(title: str, problems: tuple[Problem, ...]) -> list[str]:
    lines = [f"## {title}", ""]
    if not problems:
        return [*lines, "None.", ""]
    with_sheet = any(p.sheet for p in problems)
    header = ["sheet"] if with_sheet else []
    header += ["row", "column", "value", "check", "message"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for p in sorted(problems, key=sort_key):
        cells = [p.sheet] if with_sheet else []
        cells += ["" if p.row is None else p.row, p.column, p.value, f"`{p.check}`", p.message]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return [*lines, ""]
