"""Which figures the report has, and the content of each (drawn by report.figures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from revmentor.core.moderators import Moderator, ModeratorValue
from revmentor.core.tables import matching_rows
from revmentor.pooling.analyses import influence_method, moderator_analysis
from revmentor.report.figure_names import (
    baujat_stem,
    bubble_stem,
    cumulative_stem,
    forest_stem,
    likert_stem,
    subgroup_stem,
)
from revmentor.report.figures import (
    ForestData,
    LikertData,
    cumulative_data,
    default_title,
    forest_data,
    likert_data,
)
from revmentor.report.figures.baujat import BaujatData, baujat_data
from revmentor.report.figures.likert import pooled_sites_note
from revmentor.report.figures.moderators import (
    BubbleData,
    SubgroupData,
    bubble_data,
    subgroup_data,
)
from revmentor.report.settings import Settings, headline_outcomes, ordered_sites, reference_changes

POOLED_LABEL = "All sites"


def _primary(frame: pd.DataFrame, pooling: Mapping) -> pd.DataFrame:
    return frame[(frame["measure"] == pooling["measure"]) & (frame["method"] == pooling["method"])]


def forest_figures(meta: pd.DataFrame, weights: pd.DataFrame, settings: Settings, level: float):
    references = reference_changes(settings)
    chosen = _primary(weights, settings.pooling)
    figures: dict[str, ForestData] = {}
    for row in meta[meta["primary"] == "yes"].to_dict("records"):
        role, outcome = row["role"], row["outcome"]
        rows = chosen[(chosen["role"] == role) & (chosen["outcome"] == outcome)]
        estimates = dict(zip(rows["site_id"], rows["yi"], strict=True))
        order = {site: i for i, site in enumerate(ordered_sites(settings, estimates))}
        rows = rows.iloc[rows["site_id"].map(order).argsort(kind="stable")]
        reference = references.get((role, outcome)) if row["measure"] == "MD" else None
        figures[forest_stem(role, outcome)] = forest_data(
            row, rows, settings.names, reference, settings.forest_max_sites, level=level
        )
    return figures


def cumulative_figures(cumulative: pd.DataFrame, settings: Settings, level: float):
    references = reference_changes(settings)
    chosen = cumulative[cumulative["measure"] == settings.pooling["measure"]]
    figures: dict[str, ForestData] = {}
    for role, outcome in headline_outcomes(settings):
        rows = chosen[(chosen["role"] == role) & (chosen["outcome"] == outcome)]
        reference = references.get((role, outcome)) if settings.pooling["measure"] == "MD" else None
        figures[cumulative_stem(role, outcome)] = cumulative_data(
            rows, settings.names, reference, settings.forest_max_sites, level=level
        )
    return figures


def likert_figures(
    counts: pd.DataFrame,
    settings: Settings,
    domain_labels: Mapping[str, str],
    levels: Sequence[int],
    timepoints: Sequence[str],
    summary_sites: Sequence[str] = (),
) -> dict[str, LikertData]:
    """Per role and domain: all sites pooled, then each site (up to likert_max_sites) in
    ``report.site_order``; and per role an overview of every domain, all sites pooled.

    Under each chart a note says which sites the "all sites" bars pool: only sites with
    participant-level answers have Likert counts; ``summary_sites`` (registry
    ``format: summary``) are named as having sent a summary only.
    """
    # site_order "estimate" has no single estimate here: a Likert chart is per domain and
    # this step reads only answer counts (no pooled results, so that a pooling setting
    # does not redraw it). ordered_sites then keeps registry order, the same in every chart.
    names = {site: settings.names[site] for site in ordered_sites(settings)}
    shown_sites = list(names)[: settings.likert_max_sites]
    label_order = [POOLED_LABEL, *(names[site] for site in shown_sites)]
    first_timepoint = timepoints[0] if timepoints else "pre"
    figures: dict[str, LikertData] = {}
    counts = counts[counts["outcome"].isin(list(domain_labels))]
    for role in settings.roles:
        of_role = counts[counts["role"] == role]
        pooled = of_role.groupby(["outcome", "timepoint", "level"], as_index=False, sort=False)[
            "count"
        ].sum()
        pooled["label"] = POOLED_LABEL
        per_site = of_role[of_role["site_id"].isin(shown_sites)].assign(
            label=lambda f: f["site_id"].map(names)
        )
        for domain, label in domain_labels.items():
            both = pd.concat([pooled, per_site], ignore_index=True)
            figures[likert_stem(role, domain)] = likert_data(
                both[both["outcome"] == domain],
                {domain: label},
                levels,
                timepoints=timepoints,
                title=f"{label}: {role}s, before and after (% of answers)",
                label_order=label_order,
                note=pooled_sites_note(
                    of_role[of_role["outcome"] == domain],
                    names,
                    summary_sites,
                    f"{role}s",
                    first_timepoint,
                ),
            )
        figures[likert_stem(role, "overview")] = likert_data(
            pooled,
            domain_labels,
            levels,
            timepoints=timepoints,
            title=f"All domains, all sites: {role}s, before and after (% of answers)",
            note=pooled_sites_note(of_role, names, summary_sites, f"{role}s", first_timepoint),
        )
    return figures


def moderator_figures(
    frames: Mapping[str, pd.DataFrame],
    settings: Settings,
    moderators: Sequence[Moderator],
    values: Mapping[str, Mapping[str, ModeratorValue]],
) -> dict[str, BubbleData | SubgroupData | BaujatData]:
    """Why the sites differ, per headline outcome of the primary measure and method.

    ``frames``: weights, moderators, subgroups and influence (results/pooled/*.csv);
    ``values``: {moderator id: {site id: value}}. Bubble lines and subgroups use the
    primary method and test as moderators.csv holds them; Baujat plots the primary method's
    z-test fit (REML when the primary is FE, whose fit has no τ²)."""
    pooling = settings.pooling
    measure, level = pooling["measure"], float(pooling["level"])
    method, test = moderator_analysis(pooling["method"], pooling["test"])
    diagnosed = influence_method(pooling["method"])
    figures: dict[str, BubbleData | SubgroupData | BaujatData] = {}
    for role, outcome in headline_outcomes(settings):
        keys = {"role": role, "outcome": outcome, "measure": measure}
        effects = matching_rows(frames["weights"], **keys, method=pooling["method"])
        order = {
            site: i
            for i, site in enumerate(
                ordered_sites(settings, dict(zip(effects["site_id"], effects["yi"], strict=True)))
            )
        }
        effects = effects.iloc[effects["site_id"].map(order).argsort(kind="stable")]
        title = default_title({"role": role, "outcome": outcome})
        for moderator in moderators:
            analysis = {**keys, "method": method, "test": test, "moderator": moderator.id}
            if moderator.is_categorical:
                figures[subgroup_stem(role, outcome, moderator.id)] = subgroup_data(
                    f"{title} \u2013 {moderator.label}",
                    moderator,
                    effects,
                    values[moderator.id],
                    matching_rows(frames["subgroups"], **analysis),
                    settings.names,
                    measure=measure,
                    method=method,
                    test=test,
                    max_site_rows=settings.forest_max_sites,
                    level=level,
                )
            else:
                figures[bubble_stem(role, outcome, moderator.id)] = bubble_data(
                    f"{title} \u2013 {moderator.label}",
                    moderator,
                    effects,
                    values[moderator.id],
                    matching_rows(frames["moderators"], **analysis),
                    measure=measure,
                    method=method,
                    test=test,
                    level=level,
                )
        figures[baujat_stem(role, outcome)] = baujat_data(
            f"{title} \u2013 which sites drive heterogeneity (Baujat plot)",
            matching_rows(frames["influence"], **keys, method=diagnosed),
            diagnosed,
            primary_method=pooling["method"],
        )
    return figures
