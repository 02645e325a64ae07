"""The per-site summary format: what the site-statistics step writes, and what a site that
may not share participant-level data sends instead (``format: summary`` in the registry).

It holds aggregates only: no participant ids and no individual scores.
"""

from __future__ import annotations

KEY_COLUMNS = ("site_id", "role", "outcome")

#: The least a summary row needs to enter the pooled meta-analysis of mean change.
POOLING_MINIMUM = (*KEY_COLUMNS, "n_pairs", "mean_diff", "sd_diff")

#: The median and quartiles of the pre and post scores.
SCORE_QUANTILES = ("median_pre", "q1_pre", "q3_pre", "median_post", "q1_post", "q3_post")
#: The signs of the differences, the signed-rank statistics and the tests made from them.
SIGNED_RANK = (
    "n_nonzero",
    "n_positive",
    "n_negative",
    "w_plus",
    "w_minus",
    "wilcoxon_z",
    "wilcoxon_var",
    "wilcoxon_p",
    "wilcoxon_p_exact",
    "wilcoxon_exact_method",
    "sign_test_p",
)
#: The Hodges-Lehmann estimate of the change and its interval.
HODGES_LEHMANN = ("hl_estimate", "hl_ci_low", "hl_ci_high", "hl_ci_method")

SUMMARY_COLUMNS = (
    *KEY_COLUMNS,
    "n_pairs",
    "n_excluded",
    "excluded_reasons",
    *SCORE_QUANTILES,
    "mean_pre",
    "sd_pre",
    "mean_post",
    "sd_post",
    "mean_diff",
    "sd_diff",
    "r_prepost",
    *SIGNED_RANK,
    "t_stat",
    "t_df",
    "t_p",
    "t_ci_low",
    "t_ci_high",
    *HODGES_LEHMANN,
    "rank_biserial",
    "r_effect",
    "cohens_dz",
    "smcc",
    "smcc_var",
    "p_holm",
    "p_bh",
    "note",
)

#: Columns holding text rather than numbers.
TEXT_COLUMNS = (*KEY_COLUMNS, "excluded_reasons", "wilcoxon_exact_method", "hl_ci_method", "note")

#: Columns holding whole numbers.
COUNT_COLUMNS = ("n_pairs", "n_excluded", "n_nonzero", "n_positive", "n_negative")

#: The per-site items file: the study's main outcome (concerns and benefits).
ITEMS_COLUMNS = (
    "site_id",
    "role",
    "kind",
    "item",
    "level",
    "timepoint",
    "n_answered",
    "count",
    "proportion",
    "ci_low",
    "ci_high",
    "n_pairs",
    "both_yes",
    "before_only",
    "after_only",
    "both_no",
    "mcnemar_p",
    "note",
)
ITEMS_TEXT_COLUMNS = ("site_id", "role", "kind", "item", "level", "timepoint", "note")
ITEMS_COUNT_COLUMNS = (
    "n_answered",
    "count",
    "n_pairs",
    "both_yes",
    "before_only",
    "after_only",
    "both_no",
)
ITEM_KINDS = ("binary", "categorical", "concern_pair")

# The only text a summary may carry besides its keys: the workflow's own phrases. A
# summary sent by a site is checked against them, so no free text reaches the results.
NOTE_NO_PAIRS = "no complete pre/post pairs"
NOTE_ONE_PAIR = "fewer than 2 pairs: no SD, test or interval"
NOTE_TWO_PAIRS = "fewer than 3 pairs: no standardised mean change"
NOTE_ALL_ZERO = "all differences are zero: no rank test, t-test or effect size"
NOTE_ZERO_SD = "the differences have zero SD: no t-test, dz or standardised mean change"
NOTE_CONSTANT = "pre or post scores do not vary: no pre-post correlation"
# Written by the workflow, never by a site's own statistics step: it marks the values a
# reader did not receive from the site.
NOTE_SMCC_DERIVED = (
    "smcc and smcc_var derived from mean_diff, sd_diff and n_pairs (metafor escalc SMCC)"
)
SUMMARY_NOTES = (
    NOTE_NO_PAIRS,
    NOTE_ONE_PAIR,
    NOTE_TWO_PAIRS,
    NOTE_ALL_ZERO,
    NOTE_ZERO_SD,
    NOTE_CONSTANT,
    NOTE_SMCC_DERIVED,
)
NOTE_SEPARATOR = "; "

EXACT_ENUMERATION = "exact: all 2^n sign patterns over the observed mid-ranks (zeros dropped)"
MONTE_CARLO_DRAWS = 100_000
MONTE_CARLO = f"Monte Carlo: {MONTE_CARLO_DRAWS} seeded sign permutations (zeros dropped)"
EXACT_METHODS = (EXACT_ENUMERATION, MONTE_CARLO)
HL_EXACT = "Walsh-average order statistics, exact signed-rank critical value"
HL_NORMAL = "Walsh-average order statistics, normal-approximation critical value"
HL_METHODS = (HL_EXACT, HL_NORMAL)

ITEM_NO_ANSWERS = "no answers"
ITEM_NOT_COLLECTED = "not in this site's data"
ITEM_NO_PAIRS = "no participant answered both"
ITEM_NO_DISCORDANT = "no discordant pairs: McNemar's test is undefined"
ITEM_NOTES = (ITEM_NO_ANSWERS, ITEM_NOT_COLLECTED, ITEM_NO_PAIRS, ITEM_NO_DISCORDANT)


def exclusion_reasons(baseline: str, follow_up: str) -> tuple[str, ...]:
    """Every reason a participant can be left out of a paired outcome."""
    return (
        f"no {follow_up} questionnaire",
        f"no {baseline} questionnaire",
        "missing the score at one or both timepoints",
        "missing a domain score at one or both timepoints",
    )


def read_summary(path):
    """A per-site summary file, with its column types restored."""
    from revmentor.core.tables import read_typed_csv

    return read_typed_csv(path, SUMMARY_COLUMNS, TEXT_COLUMNS, (*COUNT_COLUMNS, "t_df"))


def read_items(path):
    """A per-site items file, with its column types restored."""
    from revmentor.core.tables import read_typed_csv

    return read_typed_csv(path, ITEMS_COLUMNS, ITEMS_TEXT_COLUMNS, ITEMS_COUNT_COLUMNS)


#: Per-site Likert distributions: how many paired participants gave each score.
LIKERT_COLUMNS = ("site_id", "role", "outcome", "timepoint", "level", "count")
LIKERT_TEXT_COLUMNS = ("site_id", "role", "outcome", "timepoint")
LIKERT_COUNT_COLUMNS = ("level", "count")

#: Per-site demographics: participants per level ("not recorded" when missing).
DEMOGRAPHIC_COLUMNS = ("site_id", "role", "variable", "level", "count")
DEMOGRAPHIC_TEXT_COLUMNS = ("site_id", "role", "variable", "level")
NOT_RECORDED = "not recorded"
