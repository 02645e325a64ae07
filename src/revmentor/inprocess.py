"""The whole analysis in one Python process, with no workflow around it.

It calls the same functions as the workflow's scripts, in the same order, and returns the
tables instead of writing files. Tests compare it with the workflow's outputs (golden
tables), and the benchmark uses it as the in-process floor that the workflow is measured
against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revmentor.core.config import SITES_SCHEMA, read_yaml
from revmentor.core.disclosure import DisclosurePolicy
from revmentor.core.instrument import Instrument
from revmentor.core.moderators import moderators_from_config, site_values
from revmentor.core.tables import stacked_frames
from revmentor.pooling.combined import combined_tests
from revmentor.pooling.consortium import cumulative, leave_one_out, meta_table, plan_from
from revmentor.pooling.descriptives import pooled_descriptives
from revmentor.pooling.heterogeneity import influence_table, moderator_tables
from revmentor.pooling.ipd import ipd_table
from revmentor.pooling.items import pooled_items
from revmentor.replication.settings import sesoi_by_outcome
from revmentor.replication.table import plan_from as replication_plan
from revmentor.replication.table import replication_tables
from revmentor.report.assemble import all_tables
from revmentor.report.settings import settings_from
from revmentor.stats.distributions import change_table
from revmentor.stats.pairs import site_pairs
from revmentor.steps import site_tables
from revmentor.validation.policy import EXCLUDE, invalid_site_message
from revmentor.validation.readers import ReadLimits
from revmentor.validation.registry import Site, read_registry
from revmentor.validation.site import validate


class InvalidSite(Exception):
    """Raised under the ``stop`` policy, as the workflow's validation gate does."""


@dataclass
class SiteResults:
    summaries: list[pd.DataFrame] = field(default_factory=list)
    items: list[pd.DataFrame] = field(default_factory=list)
    demographics: list[pd.DataFrame] = field(default_factory=list)
    changes: list[pd.DataFrame] = field(default_factory=list)
    likert: list[pd.DataFrame] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)


def _site_step(
    site: Site,
    instrument: Instrument,
    seed: int,
    results: SiteResults,
    limits: ReadLimits,
    disclosure: DisclosurePolicy,
) -> str | None:
    """Validate and summarise one site, as a shard job does; say why it is excluded, if so."""
    checked = validate(site.as_params(), instrument, limits, disclosure=disclosure)
    if not checked.report.is_valid:
        return invalid_site_message(checked.report, f"{site.site_id} report")
    pairs = None if checked.clean is None else site_pairs(checked.clean, instrument)
    tables = site_tables(
        site.site_id, instrument, seed, checked.clean, checked.summary, checked.items, pairs
    )
    if checked.clean is not None:
        results.changes.append(change_table(checked.clean, instrument, site.site_id, pairs))
        results.likert.append(tables["likert"])
    results.summaries.append(tables["summary"])
    results.items.append(tables["items"])
    if tables["demographics"] is not None:
        results.demographics.append(tables["demographics"])
    return None


def run_sites(sites: tuple[Site, ...], config: Mapping[str, Any]) -> SiteResults:
    instrument = Instrument.from_config(config["instrument"])
    results = SiteResults()
    limits = ReadLimits.from_config(config["validation"])
    disclosure = DisclosurePolicy.from_config(config.get("disclosure"))
    for site in sites:
        problem = _site_step(site, instrument, config["seed"], results, limits, disclosure)
        if problem is None:
            continue
        if config["validation"]["on_invalid_site"] != EXCLUDE:
            raise InvalidSite(problem)
        results.excluded[site.site_id] = "invalid data: see the site's validation report"
    return results


def run_consortium(
    config: Mapping[str, Any], root: Path, workflow_root: Path | None = None
) -> dict[str, pd.DataFrame]:
    """Every pooled table and report table of the consortium described by ``config``;
    ``root`` holds its registry and data, ``workflow_root`` the schemas (default: root)."""
    sites = read_registry(
        root / config["sites"],
        root / config["data_root"],
        allow_absolute=config["allow_absolute_data_paths"],
        row_schema=read_yaml((workflow_root or root) / SITES_SCHEMA),
        moderators=moderators_from_config(config.get("moderators")),
    )
    return analyse(sites, config)


def analyse(sites: tuple[Site, ...], config: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    instrument = Instrument.from_config(config["instrument"])
    results = run_sites(sites, config)
    enrolled = {site.site_id: site.enrolled.isoformat() for site in sites}
    plan = plan_from(
        instrument.roles, instrument.outcomes, enrolled, results.excluded, config["pooling"]
    )
    summaries = stacked_frames(results.summaries)
    meta, weights = meta_table(summaries, plan)
    frames = {
        "meta": meta,
        "weights": weights,
        "combined": combined_tests(
            summaries, plan.roles, plan.outcomes, plan.sites, results.excluded
        ),
        "likert": pd.concat(results.likert, ignore_index=True),
        "descriptives": pooled_descriptives(pd.concat(results.likert), instrument),
        "summaries": summaries,
        "site_items": stacked_frames(results.items),
        "demographics": pd.concat(results.demographics, ignore_index=True),
    }
    frames["pooled_items"] = pooled_items(
        frames["site_items"], plan.roles, plan.sites, results.excluded, plan.level
    )
    moderators = moderators_from_config(config.get("moderators"))
    values = site_values(moderators, {site.site_id: site.moderators for site in sites})
    frames["moderators"], frames["subgroups"] = moderator_tables(
        summaries, plan, moderators, values
    )
    frames["influence"] = influence_table(summaries, plan)
    frames["criteria"], frames["verdicts"] = replication_tables(
        meta,
        replication_plan(
            plan.roles,
            plan.outcomes,
            config["original_study"],
            config["pooling"],
            config["report"]["alpha"],
            sesoi_by_outcome(instrument, config.get("replication", {})),
        ),
    )
    settings = settings_from(
        {
            "roles": plan.roles,
            "outcomes": plan.outcomes,
            "names": {site.site_id: site.name for site in sites},
            "enrolled": enrolled,
            **{key: config[key] for key in ("original_study", "pooling", "report", "disclosure")},
        }
    )
    frames["leave_one_out"] = leave_one_out(summaries, plan)
    frames["cumulative"] = cumulative(summaries, plan)
    changes = pd.concat(results.changes, ignore_index=True)
    frames["ipd_model"] = ipd_table(changes, instrument, results.excluded, plan.level)
    tables = all_tables(frames, settings)
    return {**frames, **{f"table_{name}": table.frame for name, table in tables.items()}}
