"""What happens to an invalid site: stop the run, or exclude the site and say so everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from revmentor.core.logs import StepFailure
from revmentor.core.tables import read_exact_csv
from revmentor.validation.registry import AWAITING_DATA
from revmentor.validation.report import ValidationReport

STOP = "stop"
EXCLUDE = "exclude"
OVERVIEW_COLUMNS = (
    "site_id",
    "name",
    "format",
    "status",
    "included",
    "n_rows",
    "n_errors",
    "n_warnings",
    "reason",
    "report",
)


class InvalidSiteError(StepFailure):
    """Raised under the ``stop`` policy; its message is written for the person running it."""


def invalid_site_message(report: ValidationReport, report_path: str, limit: int = 5) -> str:
    lines = [
        f"Site '{report.site_id}' ({report.file}) is invalid: {len(report.errors)} error(s). "
        f"Full report: {report_path}",
        *(f"  - {line}" for line in report.first_errors(limit)),
    ]
    if len(report.errors) > limit:
        lines.append(f"  ... and {len(report.errors) - limit} more in the report")
    return "\n".join(lines)


def exclusion_reason(report: ValidationReport) -> str:
    return f"invalid data: {len(report.errors)} validation error(s), see the site's report"


def overview(reports: Sequence[ValidationReport], report_paths: Sequence[str]) -> pd.DataFrame:
    """One row per site: its status, and whether the pooled analyses include it."""
    rows = []
    for report, path in zip(reports, report_paths, strict=True):
        rows.append(
            {
                "site_id": report.site_id,
                "name": report.name,
                "format": report.format,
                "status": report.status,
                "included": "yes" if report.is_valid else "no",
                "n_rows": report.n_rows,
                "n_errors": len(report.errors),
                "n_warnings": len(report.warnings),
                "reason": "" if report.is_valid else exclusion_reason(report),
                "report": path,
            }
        )
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))


def awaiting_rows(awaiting: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """The overview rows of sites whose data file has not arrived (no report yet): not
    included, with the path the file is expected at as the reason."""
    rows = [
        {
            "site_id": site["site_id"],
            "name": site["name"],
            "format": site["format"],
            "status": AWAITING_DATA,
            "included": "no",
            "n_rows": 0,
            "n_errors": 0,
            "n_warnings": 0,
            "reason": site["reason"],
            "report": "",
        }
        for site in awaiting
    ]
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))


def with_awaiting(
    table: pd.DataFrame, awaiting: Sequence[Mapping[str, str]], registered: Sequence[str]
) -> pd.DataFrame:
    """The overview of every registered site, in registry order: the validated sites'
    rows and a row for each site awaiting data."""
    if not awaiting:
        return table
    combined = pd.concat([table, awaiting_rows(awaiting)], ignore_index=True)
    order = {site: index for index, site in enumerate(registered)}
    combined = combined.iloc[combined["site_id"].map(order).argsort(kind="stable")]
    return combined.reset_index(drop=True)


def _received(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] != AWAITING_DATA]


def stop_if_invalid(table: pd.DataFrame, policy: str, read_report) -> None:
    """Under ``stop``, fail naming each invalid site, its report and its first errors.
    ``read_report`` loads a site's report from the path in the table. A site awaiting
    data has no report and is not invalid."""
    received = _received(table)
    invalid = received[received["status"] != "valid"]
    if invalid.empty or policy != STOP:
        return
    messages = [
        invalid_site_message(read_report(json_path(row.report)), row.report)
        for row in invalid.itertuples(index=False)
    ]
    raise InvalidSiteError(
        f"{len(invalid)} site(s) failed validation and on_invalid_site is 'stop'. Fix the "
        "data (or set validation.on_invalid_site: exclude to run without them).\n"
        + "\n".join(messages)
    )


def policy_check(table: pd.DataFrame, policy: str, read_report) -> str:
    """The step between validation and the statistics: it runs once every site's report and
    the overview are written. Under ``stop`` an invalid site fails it (and so the run);
    otherwise its text records what the analyses go on with."""
    stop_if_invalid(table, policy, read_report)
    received = _received(table)
    waiting = table[table["status"] == AWAITING_DATA]
    valid = received[received["status"] == "valid"]
    excluded = received[received["included"] != "yes"]
    lines = [
        f"Policy for invalid sites (validation.on_invalid_site): {policy}.",
        f"Sites valid: {len(valid)} of {len(received)}"
        + (" that sent data." if len(waiting) else "."),
    ]
    if excluded.empty:
        lines.append("Every site goes on to the analyses.")
    else:
        lines.append("Excluded from every analysis:")
        lines += [f"  {row.site_id}: {row.reason}" for row in excluded.itertuples(index=False)]
    if not waiting.empty:
        lines.append("Awaiting data (registered, no file yet; they join once it arrives):")
        lines += [f"  {row.site_id}: {row.reason}" for row in waiting.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def current_sites_only(table: pd.DataFrame, site_ids: Sequence[str]) -> pd.DataFrame:
    """The overview rows of the registry's sites, in registry order; a site missing from the
    shards' tables is a workflow fault, never a silent gap."""
    order = {site: index for index, site in enumerate(site_ids)}
    written = set(table["site_id"])
    missing = [site for site in site_ids if site not in written]
    if missing:
        raise StepFailure(
            f"no validation result for site(s) {', '.join(missing)}: run the workflow again"
        )
    current = table[table["site_id"].isin(order)]
    current = current.iloc[current["site_id"].map(order).argsort(kind="stable")]
    return current.reset_index(drop=True)


def json_path(report_markdown: str) -> str:
    return report_markdown[: -len(".md")] + ".json"


def markdown_path(report_json: str) -> str:
    return report_json[: -len(".json")] + ".md"


def overview_markdown(table: pd.DataFrame, policy: str) -> str:
    included = int((table["included"] == "yes").sum())
    lines = [
        "# Validation overview",
        "",
        f"Policy for invalid sites: **{policy}**. Sites included in the analyses: "
        f"{included} of {len(table)}.",
        "",
        "| site | status | included | rows | errors | warnings | reason | report |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.site_id} | {row.status} | {row.included} | {row.n_rows} | {row.n_errors} "
            f"| {row.n_warnings} | {row.reason} | {row.report} |"
        )
    return "\n".join(lines) + "\n"


def usable_site(report: ValidationReport, report_path: str, policy: str) -> bool:
    """Whether a site enters the analyses; under ``stop`` an invalid site fails the step."""
    if report.is_valid:
        return True
    if policy == STOP:
        raise InvalidSiteError(invalid_site_message(report, report_path))
    return False


def read_overview(path: str) -> pd.DataFrame:
    return read_exact_csv(path, sep="\t")


def excluded_sites(overview_table: pd.DataFrame) -> dict[str, str]:
    """Sites out of every pooled analysis, with the reason, from the validation overview.
    A site awaiting data has sent nothing to leave out: the flow counts it instead."""
    received = _received(overview_table)
    out = received[received["included"] != "yes"]
    return dict(zip(out["site_id"], out["reason"], strict=True))
