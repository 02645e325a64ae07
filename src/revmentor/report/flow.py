"""Who took part: sites and participants from registration to the pooled analysis, with
every exclusion counted under its reason (the CONSORT-style flow of the report).

Sites: registered → data received (the rest are awaiting data) → valid (the rest failed
validation) → included in each role × outcome's pooled analysis (the rest were left out,
for the reason ``results/pooled/meta_analysis.csv`` gives).

Participants, per role: in the data received → at valid sites → paired on the outcome (the
rest counted under the reasons the site summaries give) → in the pooled analysis (the rest
belong to sites left out of it).

Everything here is counted from files the workflow already writes, and is aggregate: site
ids, check names and fixed reason texts, never a participant id or a cell a participant
wrote. A summary-only site sends counts, not participant rows: its participants are the
pairs and exclusions its summary accounts for.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from revmentor.core.instrument import TOTAL
from revmentor.core.summary_format import SUMMARY_COLUMNS, read_summary
from revmentor.core.tables import stacked_frames

VALID = "valid"
#: Statuses of a registered site whose data has not arrived (another step may write them).
AWAITING_STATUSES = frozenset({"awaiting data", "awaiting_data"})
AWAITING_DATA = "awaiting data"
SUMMARY_FORMAT = "summary"
#: Participants a site's summary does not account for under any reason: shown, never dropped.
UNACCOUNTED = "not accounted for in the site's summary"


@dataclass(frozen=True)
class Exclusion:
    """One reason and how many were excluded for it; ``sites`` names the sites concerned."""

    reason: str
    count: int
    sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutcomeFlow:
    """One role × outcome's pooled analysis: the sites in it and those left out, and why."""

    role: str
    outcome: str
    k: int
    n_participants: int
    excluded: tuple[Exclusion, ...]

    @property
    def n_excluded_sites(self) -> int:
        return sum(exclusion.count for exclusion in self.excluded)


@dataclass(frozen=True)
class ParticipantFlow:
    """One role's participants on one outcome, stage by stage."""

    role: str
    outcome: str
    received: int
    #: Participants at sites that failed validation (none can enter an analysis).
    at_invalid_sites: int
    valid: int
    #: Of ``valid``, those at summary-only sites (counts sent, no participant rows).
    at_summary_sites: int
    not_paired: tuple[Exclusion, ...]
    paired: int
    #: Pairs at valid sites whose analysis of this outcome left them out, by the reason.
    at_sites_left_out: tuple[Exclusion, ...]
    included: int


@dataclass(frozen=True)
class Flow:
    registered: int
    awaiting: tuple[Exclusion, ...]
    received: int
    failed: tuple[Exclusion, ...]
    valid: int
    #: Valid sites that sent a summary rather than participant rows.
    summary_sites: int
    #: Every role × outcome of the primary analysis, in instrument order.
    outcomes: tuple[OutcomeFlow, ...]
    #: The outcome the participant flow follows for each role (the total score).
    participants: tuple[ParticipantFlow, ...]

    @property
    def n_awaiting(self) -> int:
        return self.registered - self.received

    @property
    def n_failed(self) -> int:
        return self.received - self.valid

    def outcome(self, role: str, outcome: str) -> OutcomeFlow:
        found = find_outcome(self.outcomes, role, outcome)
        if found is None:
            raise KeyError(f"no pooled analysis of {role} {outcome} in the flow")
        return found


def find_outcome(outcomes: Iterable[OutcomeFlow], role: str, outcome: str) -> OutcomeFlow | None:
    return next((f for f in outcomes if (f.role, f.outcome) == (role, outcome)), None)


# --------------------------------------------------------------------------- reasons


def _grouped(site_reasons: Iterable[tuple[str, str]]) -> tuple[Exclusion, ...]:
    """Sites grouped by reason, commonest reason first (then by reason, for stable output)."""
    sites: dict[str, list[str]] = {}
    for site, reason in site_reasons:
        sites.setdefault(reason, []).append(site)
    return tuple(
        Exclusion(reason, len(members), tuple(members))
        for reason, members in sorted(sites.items(), key=lambda item: (-len(item[1]), item[0]))
    )


def _summed(counts: Counter[str]) -> tuple[Exclusion, ...]:
    return tuple(
        Exclusion(reason, count)
        for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if count
    )


def failure_reason(report: Mapping[str, Any]) -> str:
    """Why a site failed validation, as one fixed text: the check most of its errors broke
    (check ids are the workflow's own names, as in the site's report, never a cell value)."""
    checks = Counter(str(error.get("check", "")) for error in report.get("errors", ()))
    checks.pop("", None)
    if not checks:
        return "failed validation"
    check = min(checks, key=lambda name: (-checks[name], name))
    return f"failed check {check}"


def parse_counted_reasons(text: object) -> Counter[str]:
    """A summary's ``excluded_reasons`` ("no post questionnaire: 2; ...") as counts."""
    counts: Counter[str] = Counter()
    if not isinstance(text, str):
        return counts
    for part in text.split("; "):
        reason, _, number = part.rpartition(": ")
        if reason and number.strip().isdigit():
            counts[reason] += int(number)
    return counts


def parse_site_reasons(text: object) -> dict[str, str]:
    """A pooled row's ``excluded_sites`` ("site: reason; ...") as site → reason."""
    reasons: dict[str, str] = {}
    if not isinstance(text, str):
        return reasons
    for part in text.split("; "):
        site, separator, reason = part.partition(": ")
        if separator:
            reasons[site] = reason
    return reasons


# --------------------------------------------------------------------------- counting


def _count(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def flow_counts(
    registered: Sequence[str],
    validation: Mapping[str, Mapping[str, Any]],
    meta: pd.DataFrame,
    summaries: pd.DataFrame,
    roles: Sequence[str],
    outcomes: Sequence[str],
    participant_outcome: str = TOTAL,
) -> Flow:
    """The flow from what the workflow wrote.

    ``registered`` are the registry's site ids; ``validation`` each site's validation
    report (the JSON, as a mapping) by site id; ``meta`` the pooled meta-analysis rows
    (its ``primary`` rows are used); ``summaries`` every site's summary rows together.
    A registered site with no report, or one whose status says it is awaiting data, has
    not sent data yet.
    """
    received = [
        site
        for site in registered
        if site in validation and str(validation[site].get("status")) not in AWAITING_STATUSES
    ]
    valid = [site for site in received if validation[site].get("status") == VALID]
    failed = [site for site in received if site not in set(valid)]
    summary_sites = {site for site in valid if validation[site].get("format") == SUMMARY_FORMAT}
    primary = meta[meta["primary"] == "yes"]
    outcome_flows = tuple(
        _outcome_flow(primary, role, outcome, set(valid))
        for role in roles
        for outcome in outcomes
        if ((primary["role"] == role) & (primary["outcome"] == outcome)).any()
    )
    participant_flows = tuple(
        _participant_flow(
            role,
            participant_outcome,
            received,
            valid,
            summary_sites,
            validation,
            summaries,
            find_outcome(outcome_flows, role, participant_outcome),
        )
        for role in roles
    )
    return Flow(
        registered=len(registered),
        awaiting=_grouped((site, AWAITING_DATA) for site in registered if site not in received),
        received=len(received),
        failed=_grouped((site, failure_reason(validation[site])) for site in failed),
        valid=len(valid),
        summary_sites=len(summary_sites),
        outcomes=outcome_flows,
        participants=participant_flows,
    )


def _outcome_flow(primary: pd.DataFrame, role: str, outcome: str, valid: set[str]) -> OutcomeFlow:
    row = primary[(primary["role"] == role) & (primary["outcome"] == outcome)].iloc[0]
    # A site that failed validation is already counted at that stage; here only valid
    # sites that this analysis could not use.
    left_out = [
        (site, reason)
        for site, reason in parse_site_reasons(row.get("excluded_sites")).items()
        if site in valid
    ]
    return OutcomeFlow(
        role=role,
        outcome=outcome,
        k=_count(row["k"]),
        n_participants=_count(row["n_participants"]),
        excluded=_grouped(left_out),
    )


def _participant_flow(
    role: str,
    outcome: str,
    received: Sequence[str],
    valid: Sequence[str],
    summary_sites: set[str],
    validation: Mapping[str, Mapping[str, Any]],
    summaries: pd.DataFrame,
    pooled: OutcomeFlow | None,
) -> ParticipantFlow:
    def participants(site: str) -> int:
        return _count(validation[site].get("participants", {}).get(role))

    rows = summaries[(summaries["role"] == role) & (summaries["outcome"] == outcome)]
    rows = rows.drop_duplicates("site_id").set_index("site_id")
    not_paired: Counter[str] = Counter()
    pairs: dict[str, int] = {}
    for site in valid:
        has_row = site in rows.index
        pairs[site] = _count(rows.at[site, "n_pairs"]) if has_row else 0
        reasons = parse_counted_reasons(rows.at[site, "excluded_reasons"] if has_row else None)
        not_paired += reasons
        unaccounted = participants(site) - pairs[site] - sum(reasons.values())
        if unaccounted > 0:
            not_paired[UNACCOUNTED] += unaccounted
    left_out: Counter[str] = Counter()
    sites_left_out: dict[str, list[str]] = {}
    for exclusion in pooled.excluded if pooled else ():
        for site in exclusion.sites:
            if pairs.get(site, 0):
                left_out[exclusion.reason] += pairs[site]
                sites_left_out.setdefault(exclusion.reason, []).append(site)
    paired = sum(pairs.values())
    at_sites_left_out = tuple(
        Exclusion(exclusion.reason, exclusion.count, tuple(sites_left_out[exclusion.reason]))
        for exclusion in _summed(left_out)
    )
    return ParticipantFlow(
        role=role,
        outcome=outcome,
        received=sum(participants(site) for site in received),
        at_invalid_sites=sum(participants(site) for site in received if site not in set(valid)),
        valid=sum(participants(site) for site in valid),
        at_summary_sites=sum(participants(site) for site in valid if site in summary_sites),
        not_paired=_summed(not_paired),
        paired=paired,
        at_sites_left_out=at_sites_left_out,
        included=paired - sum(left_out.values()),
    )


# --------------------------------------------------------------------------- from files


def read_validation_reports(paths: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """Each site's validation report (``results/validation/<site>.json``) by site id."""
    reports = {}
    for path in paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        reports[str(report["site_id"])] = report
    return reports


def flow_from_files(
    registered: Sequence[str],
    validation_reports: Iterable[str | Path],
    meta_analysis: str | Path,
    summaries: Iterable[str | Path],
    roles: Sequence[str],
    outcomes: Sequence[str],
    participant_outcome: str = TOTAL,
) -> Flow:
    """:func:`flow_counts` from the files: the validation JSONs, ``meta_analysis.csv`` and
    the per-site (or per-shard) ``summary.csv`` files."""
    meta = pd.read_csv(meta_analysis, keep_default_na=False, na_values=[""])
    frames = [read_summary(path) for path in summaries]
    return flow_counts(
        registered,
        read_validation_reports(validation_reports),
        meta,
        stacked_frames(frames) if frames else pd.DataFrame(columns=list(SUMMARY_COLUMNS)),
        roles,
        outcomes,
        participant_outcome,
    )


# --------------------------------------------------------------------------- table

FLOW_COLUMNS = ("unit", "role", "outcome", "stage", "reason", "count", "sites")


def flow_table(flow: Flow) -> pd.DataFrame:
    """The flow as rows (``results/tables/flow.csv``): each stage's count with an empty
    reason; an exclusion stage's count is then broken down by reason, one row each, with
    the sites concerned. Site stages before pooling have no role."""
    rows: list[tuple[str, str, str, str, str, int, str]] = []

    def stage(unit: str, role: str, outcome: str, name: str, count: int) -> None:
        rows.append((unit, role, outcome, name, "", count, ""))

    def excluded(
        unit: str, role: str, outcome: str, name: str, exclusions: Sequence[Exclusion]
    ) -> None:
        stage(unit, role, outcome, name, sum(exclusion.count for exclusion in exclusions))
        for exclusion in exclusions:
            sites = "; ".join(exclusion.sites)
            rows.append((unit, role, outcome, name, exclusion.reason, exclusion.count, sites))

    stage("sites", "", "", "registered", flow.registered)
    excluded("sites", "", "", "not received", flow.awaiting)
    stage("sites", "", "", "received", flow.received)
    excluded("sites", "", "", "failed validation", flow.failed)
    stage("sites", "", "", "valid", flow.valid)
    stage("sites", "", "", "valid, summary only", flow.summary_sites)
    for outcome in flow.outcomes:
        excluded(
            "sites", outcome.role, outcome.outcome, "left out of pooled analysis", outcome.excluded
        )
        stage("sites", outcome.role, outcome.outcome, "pooled", outcome.k)
    for people in flow.participants:
        role, name = people.role, people.outcome
        stage("participants", role, "", "received", people.received)
        stage("participants", role, "", "at sites that failed validation", people.at_invalid_sites)
        stage("participants", role, "", "at valid sites", people.valid)
        stage("participants", role, "", "at valid summary-only sites", people.at_summary_sites)
        excluded("participants", role, name, "not paired", people.not_paired)
        stage("participants", role, name, "paired", people.paired)
        excluded(
            "participants",
            role,
            name,
            "at sites left out of pooled analysis",
            people.at_sites_left_out,
        )
        stage("participants", role, name, "pooled", people.included)
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


# --------------------------------------------------------------------------- words


def _counted(count: int, one: str) -> str:
    return f"{count:,} {one if count == 1 else one + 's'}"


def _reasons(exclusions: Sequence[Exclusion], limit: int = 4) -> str:
    """Reasons with their counts, the commonest ``limit`` named and the rest summed."""
    named = [f"{exclusion.reason}: {exclusion.count:,}" for exclusion in exclusions[:limit]]
    rest = exclusions[limit:]
    if rest:
        count = sum(exclusion.count for exclusion in rest)
        named.append(f"{_counted(len(rest), 'other reason')}: {count:,}")
    return "; ".join(named)


def flow_sentences(flow: Flow, outcome_labels: Mapping[str, str]) -> list[str]:
    """The flow in words, for a page beside the diagram: one sentence for the hospitals,
    then one per role, each exclusion with its reasons."""
    sites = (
        f"{_counted(flow.registered, 'hospital')} registered; {flow.received:,} sent data"
        + (f" ({flow.n_awaiting:,} awaiting data)" if flow.n_awaiting else "")
        + f"; {flow.valid:,} passed validation"
        + (f" ({flow.n_failed:,} failed: {_reasons(flow.failed)})" if flow.n_failed else "")
        + (f", {flow.summary_sites:,} of them sent a summary only" if flow.summary_sites else "")
        + "."
    )
    lines = [sites]
    for people in flow.participants:
        label = outcome_labels.get(people.outcome, people.outcome).lower()
        not_paired = sum(exclusion.count for exclusion in people.not_paired)
        left_out = sum(exclusion.count for exclusion in people.at_sites_left_out)
        pooled = find_outcome(flow.outcomes, people.role, people.outcome)
        parts = [
            f"{people.valid:,} at valid hospitals"
            + (
                f" ({people.at_summary_sites:,} counted from summaries)"
                if people.at_summary_sites
                else ""
            )
        ]
        if not_paired:
            parts.append(f"{not_paired:,} not paired ({_reasons(people.not_paired)})")
        parts.append(f"{people.paired:,} with a pre and post {label}")
        if left_out:
            parts.append(
                f"{left_out:,} at hospitals left out of the pooled analysis "
                f"({_reasons(people.at_sites_left_out)})"
            )
        parts.append(
            f"{people.included:,} in the pooled analysis from "
            f"{_counted(pooled.k if pooled else 0, 'hospital')}"
        )
        lines.append(f"{people.role[:1].upper()}{people.role[1:]}s: " + "; ".join(parts) + ".")
    return lines
