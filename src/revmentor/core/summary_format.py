"""The per-site summary format: what the site-statistics step writes, and what a site that
may not share participant-level data sends instead (``format: summary`` in the registry).

It holds aggregates only: no participant ids and no individual scores.
"""

from __future__ import annotations

KEY_COLUMNS = ("site_id", "role", "outcome")

#: The least a summary row needs to enter the pooled meta-analysis of mean change.
POOLING_MINIMUM = (*KEY_COLUMNS, "n_pairs", "mean_diff", "sd_diff")

SUMMARY_COLUMNS = (
    *KEY_COLUMNS,
    "n_pairs",
    "n_excluded",
    "excluded_reasons",
    "median_pre",
    "q1_pre",
    "q3_pre",
    "median_post",
    "q1_post",
    "q3_post",
    "mean_pre",
    "sd_pre",
    "mean_post",
    "sd_post",
    "mean_diff",
    "sd_diff",
    "r_prepost",
    "n_nonzero",
    "n_positive",
    "n_negative",
    "w_plus",
    "w_minus",
    "wilcoxon_z",
    "wilcoxon_p",
    "wilcoxon_p_exact",
    "wilcoxon_exact_method",
    "sign_test_p",
    "t_stat",
    "t_df",
    "t_p",
    "t_ci_low",
    "t_ci_high",
    "hl_estimate",
    "hl_ci_low",
    "hl_ci_high",
    "hl_ci_method",
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
