"""The two kinds of page, assembled: the consortium's index.html and each hospital's
report.html. Inputs are the frames, tables and figures the report stage already has."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from revmentor.core.instrument import Instrument
from revmentor.core.moderators import Moderator
from revmentor.core.tables import matching_rows
from revmentor.report.assemble import Table, all_tables
from revmentor.report.figure_names import forest_stem
from revmentor.report.flow import AWAITING_DATA, flow_counts, flow_sentences
from revmentor.report.heterogeneity import heterogeneity_lines
from revmentor.report.page import site as site_page_parts
from revmentor.report.page.content import (
    headline_answers,
    outcome_sections,
    outcome_summary,
    primary_outcome,
    primary_rows,
)
from revmentor.report.page.html import (
    Cell,
    PageFigure,
    PageTable,
    embedded_figure,
    provenance,
    provenance_fields,
    render_page,
)
from revmentor.report.page.methods import REFERENCES, methods_paragraphs
from revmentor.report.page.views import page_table
from revmentor.report.reader_tables import ReaderLabels
from revmentor.report.settings import Settings, headline_outcomes
from revmentor.report.tables import POOLED_SCOPE

INDEX_TITLE = "Reverse mentoring across hospitals: did the original study replicate?"


@dataclass(frozen=True)
class PageInputs:
    """Everything a page reads besides the pooled frames."""

    settings: Settings
    instrument: Instrument
    moderators: Sequence[Moderator]
    config: Mapping[str, Any]
    figures: Mapping[str, Path]
    validation: Mapping[str, Mapping[str, Any]]
    config_used: str
    manifest: Mapping[str, Any]
    manifest_sha256: str
    #: Where the machine tables are, relative to the page being written.
    tables_href: str = "../tables"
    #: Registered sites whose data file has not arrived (site_id, name, format, file,
    #: reason): counted and listed, with no results of their own.
    awaiting: Sequence[Mapping[str, str]] = ()

    @property
    def registered(self) -> list[str]:
        """Every registered site: those that sent data, then those awaiting it."""
        return [*self.settings.names, *(site["site_id"] for site in self.awaiting)]


def _why_lines(table: Table) -> dict[tuple[str, str], str]:
    rows = table.frame.to_dict("records")
    return {
        (str(row["role"]), str(row["outcome"])): line
        for row, line in zip(rows, heterogeneity_lines(table.frame), strict=True)
    }


def _moderator_triples(moderators: Sequence[Moderator]) -> list[tuple[str, str, bool]]:
    return [(m.id, m.label, m.is_categorical) for m in moderators]


def consortium_page(frames: Mapping[str, pd.DataFrame], inputs: PageInputs) -> str:
    settings, instrument = inputs.settings, inputs.instrument
    labels = instrument.outcome_labels()
    readers = ReaderLabels.of(instrument, settings.names)
    tables = all_tables(frames, settings)
    level = float(settings.pooling["level"])
    answers = headline_answers(frames, settings, labels)
    primary = primary_outcome(settings)
    primary_forest: PageFigure | None = None
    if primary is not None and forest_stem(*primary) in inputs.figures:
        rows = primary_rows(frames["meta"], settings.pooling)
        row = matching_rows(rows, role=primary[0], outcome=primary[1])
        summary = outcome_summary(row.iloc[0].to_dict(), level) if len(row) else ""
        primary_forest = embedded_figure(
            "primary-forest",
            Path(inputs.figures[forest_stem(*primary)]).read_bytes(),
            f"Forest plot of the primary outcome, {primary[0]}s, "
            f"{labels.get(primary[1], primary[1])}: each site and the pooled change. {summary}",
            f"The primary outcome, {primary[0]}s, {labels.get(primary[1], primary[1])}. {summary}",
        )
    flow_figure = None
    if "flow" in inputs.figures:
        flow_figure = embedded_figure(
            "flow",
            Path(inputs.figures["flow"]).read_bytes(),
            "Flow diagram of sites and participants from registration to analysis.",
            "Sites and participants from registration to the pooled analysis, with every "
            "exclusion and its reason.",
        )
    href = inputs.tables_href
    context = {
        "page_title": INDEX_TITLE,
        "lead": (
            f"Replication across {len(inputs.registered)} registered hospitals of: "
            f"{' '.join(str(inputs.config['original_study']['citation']).split())} "
            "Written by the revmentor workflow from the audited results named at the foot "
            "of the page."
        ),
        "answers": answers,
        "matrix": page_table("replication_matrix", tables["replication_matrix"], readers, href),
        "primary_forest": primary_forest,
        "flow_lines": flow_sentences(
            flow_counts(
                inputs.registered,
                inputs.validation,
                frames["meta"],
                frames["summaries"],
                settings.roles,
                settings.outcomes,
            ),
            labels,
        ),
        "flow_figure": flow_figure,
        "participants": page_table(
            "participants", all_sites_rows(tables["participants"]), readers, href
        ),
        "replication": page_table("replication", tables["replication"], readers, href),
        "outcomes": outcome_sections(
            frames["meta"],
            settings,
            labels,
            _why_lines(tables["heterogeneity"]),
            _moderator_triples(inputs.moderators),
            inputs.figures,
        ),
        "items": page_table("items", all_sites_rows(tables["items"]), readers, href),
        "methods": methods_paragraphs(
            settings.pooling,
            inputs.config["report"],
            inputs.config["replication"],
            inputs.config.get("disclosure", {}),
            inputs.config.get("validation", {}),
            [m.label for m in inputs.moderators],
            len(instrument.domains),
            (instrument.scale_min, instrument.scale_max),
        ),
        "references": REFERENCES,
        "appendix": [
            page_table(name, table, readers, href, appendix=True)
            for name, table in appendix_tables(tables, settings).items()
        ]
        + [validation_overview(inputs.validation, settings, inputs.awaiting)],
        "config_used": inputs.config_used,
        "provenance": provenance(
            inputs.manifest, inputs.manifest_sha256, "results/audit/manifest.json"
        ),
    }
    return render_page("index.html.j2", context)


def all_sites_rows(table: Table) -> Table:
    """A table's rows for all sites together; each site's rows are in the appendix."""
    frame = table.frame[table.frame["scope"] == POOLED_SCOPE].reset_index(drop=True)
    return replace(table, frame=frame, title=f"{table.title}: all sites")


#: The appendix tables that hold a row per site (or per site × something).
PER_SITE_TABLES = ("sites", "participants", "items")


def appendix_tables(tables: Mapping[str, Table], settings: Settings) -> dict[str, Table]:
    """The appendix: every table whole, up to ``report.appendix_max_sites`` sites.

    Past that many sites, the tables with a row per site keep only the rows of all sites
    together, with a note saying where each site's rows are: a page listing them all
    would be 89,000 rows (26 MB) at 1,000 sites and ten times that at 10,000, too long to
    read, sort or even open in a browser. The full CSV linked under each table and each
    hospital's own page still hold every site's rows.
    """
    n_sites = len(settings.names)
    if n_sites <= settings.appendix_max_sites:
        return dict(tables)
    note = (
        f"Each hospital's own rows are not listed here: with {n_sites:,} hospitals, more "
        f"than report.appendix_max_sites ({settings.appendix_max_sites:,}), this page would "
        "be too long to read. They are in the full CSV below and on each hospital's own page."
    )
    shown = dict(tables)
    for name in PER_SITE_TABLES:
        table = shown[name]
        frame = table.frame
        if "scope" in frame.columns:
            kept = frame[frame["scope"] == POOLED_SCOPE].reset_index(drop=True)
            title = f"{table.title}: all sites"
        else:
            kept, title = frame.iloc[0:0], table.title
        shown[name] = replace(table, frame=kept, title=title, notes=(note, *table.notes))
    return shown


def validation_overview(
    validation: Mapping[str, Mapping[str, Any]],
    settings: Settings,
    awaiting: Sequence[Mapping[str, str]] = (),
) -> PageTable:
    rows = []
    for site_id, name in settings.names.items():
        report = validation.get(site_id)
        if report is None:
            rows.append((Cell(name), Cell("no report"), Cell(""), Cell(""), Cell(""), Cell("")))
            continue
        rows.append(
            (
                Cell(name),
                Cell(str(report["status"])),
                Cell(str(report.get("format", ""))),
                Cell(str(report.get("n_rows", "")), float(report.get("n_rows") or 0), True),
                Cell(str(report.get("n_errors", "")), float(report.get("n_errors") or 0), True),
                Cell(str(report.get("n_warnings", "")), float(report.get("n_warnings") or 0), True),
            )
        )
    for site in awaiting:
        rows.append(
            (
                Cell(site["name"]),
                Cell(AWAITING_DATA),
                Cell(site["format"]),
                Cell("", 0.0, True),
                Cell("", 0.0, True),
                Cell("", 0.0, True),
            )
        )
    return PageTable(
        id="validation-overview",
        title="Validation overview",
        columns=("Hospital", "Status", "Format", "Data rows", "Errors", "Warnings"),
        rows=tuple(rows),
        notes=("Each site's own report (results/validation/<site>.md) stays with the site.",),
        csv="../validation/overview.tsv",
    )


def domains(instrument: Instrument) -> dict[str, str]:
    return {d.id: d.label for d in instrument.domains}


@dataclass(frozen=True)
class SharedPageData:
    """What every hospital page reads from the pooled frames, indexed once for all pages."""

    results: site_page_parts.SiteResults
    likert: site_page_parts.LikertCounts
    items: site_page_parts.ItemsShown

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], inputs: PageInputs) -> SharedPageData:
        settings, instrument = inputs.settings, inputs.instrument
        return cls(
            results=site_page_parts.SiteResults(
                frames["meta"], frames["weights"], settings.pooling
            ),
            likert=site_page_parts.LikertCounts(
                frames["likert"],
                settings.roles,
                domains(instrument),
                range(instrument.scale_min, instrument.scale_max + 1),
            ),
            items=site_page_parts.ItemsShown(
                frames["site_items"], frames["pooled_items"], settings.min_cell
            ),
        )


def site_pages(
    site_ids: Sequence[str], frames: Mapping[str, pd.DataFrame], inputs: PageInputs
) -> Iterator[str]:
    """Every hospital's page, in the order given, from data indexed once for all."""
    shared = SharedPageData.from_frames(frames, inputs)
    for site_id in site_ids:
        yield render_site_page(site_id, inputs, shared)


def site_page_inputs(inputs: PageInputs) -> PageInputs:
    """What the hospital pages read of the inputs: of the audit manifest, only what the
    footer names (at 10,000 sites the whole manifest is 13 MB of JSON, held by every
    process that writes pages)."""
    return replace(inputs, manifest=provenance_fields(inputs.manifest))


def site_page(site_id: str, frames: Mapping[str, pd.DataFrame], inputs: PageInputs) -> str:
    """One hospital's page (:func:`site_pages` writes many)."""
    return next(site_pages([site_id], frames, inputs))


def render_site_page(site_id: str, inputs: PageInputs, shared: SharedPageData) -> str:
    """One hospital's page from the data :meth:`SharedPageData.from_frames` indexed."""
    settings, instrument = inputs.settings, inputs.instrument
    labels = instrument.outcome_labels()
    name = settings.names[site_id]
    report = inputs.validation.get(site_id, {"status": "no report", "participants": {}})
    axis = (
        "Change in scale points (post \u2212 pre)"
        if settings.pooling["measure"] == "MD"
        else ("Standardised mean change")
    )
    position = site_page_parts.position_figure(
        site_id, name, settings.roles, shared.results, settings.pooling, labels, axis
    )
    context = {
        "page_title": f"{name}: your results beside the consortium",
        "lead": (
            "This page holds only this hospital's aggregate results and the pooled results of "
            "all sites. It may be forwarded within the hospital."
        ),
        "summary_lines": site_page_parts.summary_lines(
            site_id,
            name,
            report,
            headline_outcomes(settings),
            shared.results,
            settings.pooling,
            labels,
        ),
        "position_figure": position,
        "results": site_page_parts.results_table(
            site_id,
            settings.roles,
            shared.results,
            settings.pooling,
            labels,
        ),
        "likert_figures": site_page_parts.likert_figures(
            site_id, name, shared.likert, settings.roles, domains(instrument), instrument.timepoints
        ),
        "no_likert": (
            "This hospital sent a summary only, so there are no answer counts to chart."
            if report.get("format") == "summary"
            else "No valid answers from this hospital to chart."
        ),
        "validation": site_page_parts.validation_table(report),
        "items": site_page_parts.site_items_table(
            site_id,
            shared.items,
            settings.roles,
            {item.id: item.label for item in instrument.items},
            settings.min_cell,
        ),
        "provenance": provenance(
            inputs.manifest, inputs.manifest_sha256, "results/audit/manifest.json"
        ),
    }
    return render_page("site.html.j2", context)
