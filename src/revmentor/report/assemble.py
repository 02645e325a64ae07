"""Everything the report stage writes, from the pooled and per-site files already loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from revmentor.report import tables
from revmentor.report.heterogeneity import heterogeneity_lines, heterogeneity_table
from revmentor.report.settings import Settings, headline_outcomes, ordered_sites

P_COLUMNS = ("p", "original_p", "stratified_wilcoxon_p", "wilcoxon_p", "paired_p")


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    title: str
    notes: tuple[str, ...] = ()
    decimals: Mapping[str, int] = field(default_factory=dict)
    # Per column, one text per row: shown on hover in the HTML table.
    hover: Mapping[str, Sequence[str]] = field(default_factory=dict)


PRIMARY_TEST_NAMES = {
    "z": "z test",
    "hksj": "Knapp-Hartung",
    "adhoc": "Knapp-Hartung, ad hoc (never narrower than the z test)",
}


def primary_text(pooling: Mapping[str, Any]) -> str:
    test = PRIMARY_TEST_NAMES[pooling["test"]]
    return f"Primary analysis: {pooling['measure']}, {pooling['method']}, {test}."


CRITERIA_NOTE = (
    "Criteria (docs/codebook.md): \u2713 met, \u2717 not met, \u2013 cannot be assessed (the "
    "reason says why), each with its number: significance, the pooled p (met when below alpha "
    "in the original's direction); prediction_interval, the original's distance from the "
    "pooled estimate in SDs of a new study of the original's precision, sqrt(tau2 + se^2 + "
    "se_o^2) (met when within t(k - 2)); sceptical_p, Held's golden one-sided sceptical p (met "
    "at or below alpha/2); p_orig, the probability of an original as extreme under the "
    "replication distribution (met at or above alpha); small_telescopes, the upper 90% limit "
    "of the pooled standardised change in the original's direction (not met below d33, the "
    "effect the original had 33% power to detect); equivalence, the TOST p against +/- the "
    "smallest effect size of interest (for an outcome the original found null, met when "
    "below alpha; otherwise not met when below alpha)."
)


def verdict_note(alpha: float) -> str:
    return (
        f"Verdicts at alpha = {alpha}: replicated, not replicated, contradicted (the original "
        "found no significant change, the consortium a significant one beyond the smallest "
        "effect of interest), inconclusive, or not assessed (the original reported nothing "
        "on the outcome, or no site could be pooled); verdict_reason names the criteria that "
        "decided it. The rule is in docs/codebook.md."
    )


def replication(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    frame = tables.replication_table(
        frames["meta"],
        frames["weights"],
        frames["combined"],
        frames["descriptives"],
        frames["criteria"],
        frames["verdicts"],
        settings.original_study,
    )
    notes = (
        primary_text(settings.pooling),
        "Original: Raju et al., BMJ Open 2022 (medians; Wilcoxon p as SPSS prints it); "
        "original_change is its estimate in scale points (median after minus median before "
        "unless an estimate is given). Pooled medians: all paired participants of "
        "participant-level sites. pi_low and pi_high: the 95% prediction interval for a new "
        "site's true change.",
        CRITERIA_NOTE,
        verdict_note(settings.alpha),
        *heterogeneity_lines(why_sites_differ(frames, settings)),
    )
    return Table(frame, "Replication: the original study beside the pooled result", notes)


def why_sites_differ(frames: Mapping[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    return heterogeneity_table(
        frames["meta"],
        frames["moderators"],
        frames["influence"],
        headline_outcomes(settings),
        settings.pooling,
    )


def heterogeneity(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    notes = (
        primary_text(settings.pooling),
        "k, tau2 and i2: the primary analysis without moderators. moderators_explain: for "
        "each moderator alone, metafor's pseudo-R² (the share of tau² the meta-regression "
        "removes, 100 * (tau2 without - tau2 with) / tau2 without, at least 0) and the "
        "omnibus test that the moderator has no effect (F with Knapp-Hartung, QM with z); k "
        "counts the sites with a known value. influential_sites: metafor's rule (DFFITS, "
        "Cook's distance, hat value or DFBETAS past its cut-off) on the z-test fit. "
        "Every model is in results/pooled/moderators.csv, subgroups.csv and influence.csv.",
    )
    return Table(
        why_sites_differ(frames, settings),
        "Why do sites differ? Moderators and influential sites, per headline outcome",
        notes,
    )


def replication_matrix(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    frame, hover = tables.matrix_table(
        frames["criteria"], frames["verdicts"], settings.roles, settings.outcomes
    )
    notes = (primary_text(settings.pooling), CRITERIA_NOTE, verdict_note(settings.alpha))
    return Table(frame, "Did it replicate? The criteria side by side", notes, hover=hover)


def sites(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    frame = tables.sites_table(
        frames["summaries"],
        frames["meta"],
        frames["weights"],
        {site: settings.names[site] for site in ordered_sites(settings)},
        settings.roles,
        settings.outcomes,
    )
    notes = (
        primary_text(settings.pooling) + " Weights are those of the primary analysis.",
        "mean_diff: mean change, with its paired-t 95% CI (paired_t_ci_low, "
        "paired_t_ci_high: t with n - 1 degrees of freedom); wilcoxon_p: Wilcoxon "
        "signed-rank as SPSS prints it; smcc: standardised mean change.",
        pooled_site_ci_note(settings.pooling),
    )
    return Table(frame, "Per-site results", notes)


MEASURE_COLUMNS = {"MD": "mean_diff", "SMCC": "smcc"}


def pooled_site_ci_note(pooling: Mapping[str, Any]) -> str:
    """Why a site's CI in the forest plot is not its paired-t CI."""
    measure = str(pooling.get("measure", "MD"))
    column = MEASURE_COLUMNS.get(measure, measure)
    return (
        "Where the pooled analysis uses the normal approximation (\u221avi), a site's CI "
        "differs from its paired-t CI: pooled_ci_low and pooled_ci_high are the site's "
        f"estimate ({measure}, as {column}) \u00b1 z \u00d7 \u221avi, the interval the "
        "pooled analysis and the forest plot use for the site. The paired-t CI of the mean "
        "change uses t with n - 1 degrees of freedom (wider than z, most so for small sites)."
    )


def participants(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    frame = tables.participants_table(
        frames["demographics"], ordered_sites(settings), settings.roles, settings.min_cell
    )
    rule = (
        f"Counts from 1 to {settings.min_cell - 1} are shown as <{settings.min_cell}; * marks a "
        "second count hidden so that a total cannot reveal a small one."
        if settings.min_cell
        else "Small-cell suppression is off (disclosure.min_cell = 0)."
    )
    notes = (rule, "Summary-only sites send no participant-level data and are not listed.")
    return Table(frame, "Participants (Table 1)", notes)


def items_suppression_note(min_cell: int) -> str:
    """The items table's small-cell rule, worded as Table 1's."""
    if not min_cell:
        return "Small-cell suppression is off (disclosure.min_cell = 0)."
    return (
        f"Counts (n, count, before_only, after_only) from 1 to {min_cell - 1} are shown as "
        f"<{min_cell}; * marks a second count hidden so that n cannot reveal a small one (a "
        "binary item's yes and no, a categorical item's levels). Where a count is hidden, so "
        "are its percent, CI and model-based share and, at a site, a concern pair's McNemar "
        "p (the all-sites Mantel-Haenszel p stays: it does not give the counts back). "
        f"{tables.WITHHELD_AT_SITE}: the site withheld the count before sending it. "
        "suppressed = yes marks the row."
    )


def items(frames: Mapping[str, pd.DataFrame], settings: Settings) -> Table:
    frame = tables.items_table(
        frames["site_items"], frames["pooled_items"], ordered_sites(settings), settings.min_cell
    )
    notes = (
        "percent is always the observed share, count / n. Per site: Wilson 95% CI; exact "
        "McNemar p for each concern anticipated before and experienced after. All sites: "
        "every participant of the contributing sites, with the exact (Clopper-Pearson) CI; "
        "ci_method names the interval of each row.",
        f"model_share_percent, model_share_ci_low, model_share_ci_high (all sites only): the "
        f"{tables.MODEL_SHARE_LABEL}, REML, 0.5 added to a site's zero cells. It lets sites "
        "differ, so it need not equal count / n.",
        "Concern pairs, all sites: Mantel-Haenszel for matched pairs, exact conditional p.",
        items_suppression_note(settings.min_cell),
    )
    return Table(frame, "Concerns, benefit and relationship effects", notes)


def all_tables(frames: Mapping[str, pd.DataFrame], settings: Settings) -> dict[str, Table]:
    return {
        "replication": replication(frames, settings),
        "replication_matrix": replication_matrix(frames, settings),
        "heterogeneity": heterogeneity(frames, settings),
        "sites": sites(frames, settings),
        "participants": participants(frames, settings),
        "items": items(frames, settings),
    }
