"""The methods paragraph, written from the config: every estimator, test and rule the run
used, each with its reference, so that a consortium can paste it into a paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

METHODS = {
    "FE": "an inverse-variance common-effect model",
    "DL": "the DerSimonian\u2013Laird estimator of \u03c4\u00b2 (DerSimonian & Laird 1986)",
    "REML": "restricted maximum likelihood for \u03c4\u00b2 (Viechtbauer 2005)",
    "PM": "the Paule\u2013Mandel estimator of \u03c4\u00b2 (Paule & Mandel 1982)",
}
TESTS = {
    "z": "a z test",
    "hksj": (
        "the Knapp\u2013Hartung test, t with k \u2212 1 degrees of freedom (Knapp & Hartung 2003)"
    ),
    "adhoc": (
        "the Knapp\u2013Hartung test with its scale factor held at 1 or above, so never "
        "narrower than the z test (Knapp & Hartung 2003; Jackson et al. 2017)"
    ),
}
MEASURES = {
    "MD": "the mean change in scale points (post \u2212 pre)",
    "SMCC": (
        "the standardised mean change with the change-score SD, bias-corrected "
        "(Becker 1988; metafor\u2019s SMCC)"
    ),
}
OTHER_METHODS = "Every other combination of measure (MD, SMCC), estimator (FE, DL, REML, PM)"
REFERENCES = (
    "Becker BJ. Synthesizing standardized mean-change measures. Br J Math Stat Psychol 1988.",
    "Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case "
    "of the binomial. Biometrika 1934.",
    "DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials 1986.",
    "Held L, Micheloud C, Pawel S. The assessment of replication success based on relative "
    "effect size. Ann Appl Stat 2022.",
    "Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med 2002.",
    "Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects "
    "meta-analysis. J R Stat Soc A 2009.",
    "Jackson D, Law M, R\u00fccker G, Schwarzer G. The Hartung-Knapp modification for "
    "random-effects meta-analysis: a useful refinement but are there any residual concerns? "
    "Stat Med 2017.",
    "Knapp G, Hartung J. Improved tests for a random effects meta-regression with a single "
    "covariate. Stat Med 2003.",
    "Lakens D. Equivalence tests. Soc Psychol Personal Sci 2017.",
    "Mathur MB, VanderWeele TJ. New statistical metrics for multisite replication projects. "
    "J R Stat Soc A 2020.",
    "Patil P, Peng RD, Leek JT. What should researchers expect when they replicate studies? "
    "Perspect Psychol Sci 2016.",
    "Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand 1982.",
    "Raju SA et al. Does reverse mentoring work in the NHS: a feasibility study of clinicians "
    "in practice. BMJ Open 2022.",
    "Simonsohn U. Small telescopes: detectability and the evaluation of replication results. "
    "Psychol Sci 2015.",
    "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
    "random-effects model. J Educ Behav Stat 2005.",
    "Viechtbauer W. Confidence intervals for the amount of heterogeneity in meta-analysis. "
    "Stat Med 2007.",
    "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010.",
    "Viechtbauer W, Cheung MWL. Outlier and influence diagnostics for meta-analysis. "
    "Res Synth Methods 2010.",
    "Wilson EB. Probable inference, the law of succession, and statistical inference. "
    "J Am Stat Assoc 1927.",
)


def _percent(level: float) -> str:
    return f"{float(level) * 100:g}%"


def _listed(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def methods_paragraphs(
    pooling: Mapping[str, Any],
    report: Mapping[str, Any],
    replication: Mapping[str, Any],
    disclosure: Mapping[str, Any],
    validation: Mapping[str, Any],
    moderator_labels: Sequence[str],
    n_domains: int,
    scale: tuple[int, int],
) -> list[str]:
    """The methods, one paragraph per stage, from the values the run used."""
    level = _percent(pooling["level"])
    alpha = float(report["alpha"])
    sesoi = float(replication["sesoi_per_domain"])
    on_invalid = validation.get("on_invalid_site", "stop")
    invalid = (
        "a site that failed validation stopped the run"
        if on_invalid == "stop"
        else "a site that failed validation was excluded, with the reason recorded"
    )
    paragraphs = [
        (
            f"Participants rated their confidence in {n_domains} domains on a {scale[0]}\u2013"
            f"{scale[1]} Likert scale before and after reverse mentoring; the total is the sum "
            f"of the domains ({n_domains * scale[0]}\u2013{n_domains * scale[1]}). Each "
            "site\u2019s file was validated against the instrument before analysis (pandera "
            f"schemas; {invalid}). Only complete pre/post pairs enter paired analyses; every "
            "exclusion is counted with its reason."
        ),
        (
            "Within each site and role, changes were tested with the Wilcoxon signed-rank test "
            "as SPSS reports it (zero differences dropped, mid-ranks, tie-corrected normal "
            "approximation without continuity correction, as in the original study) and by its "
            "exact distribution, with the paired t-test and its CI, the sign test and the "
            "Hodges\u2013Lehmann estimate of the median change. Shares of participants "
            "answering yes are given with Wilson score intervals (Wilson 1927) per site."
        ),
        (
            f"Sites were pooled by a two-stage meta-analysis of {MEASURES[pooling['measure']]}, "
            f"with {METHODS[pooling['method']]} and {TESTS[pooling['test']]}; {level} "
            "confidence intervals. Each site enters with its estimate and sampling variance vi "
            "(its CI in the forest plots is the estimate \u00b1 z\u00b7\u221avi, the normal "
            "approximation the pooling uses). Heterogeneity is reported as \u03c4\u00b2 with "
            "its Q-profile CI (Viechtbauer 2007) and I\u00b2 (Higgins & Thompson 2002), and "
            f"a {level} prediction interval for a new site, estimate \u00b1 t(k \u2212 2)"
            "\u00b7\u221a(\u03c4\u00b2 + se\u00b2) (Higgins, Thompson & Spiegelhalter 2009). "
            f"{OTHER_METHODS} and test (z, Knapp\u2013Hartung, ad hoc) is reported as a "
            "sensitivity analysis, with leave-one-out and cumulative (by enrolment date) "
            "analyses, a stratified Wilcoxon test over sites and a one-stage linear mixed "
            "model with a random intercept per site. All estimators were checked against "
            "R\u2019s metafor (Viechtbauer 2010)."
        ),
    ]
    if moderator_labels:
        paragraphs.append(
            "Why sites differ was examined by mixed-effects meta-regression on "
            f"{_listed(list(moderator_labels))} (same estimator and test; the omnibus QM test "
            "and the share of \u03c4\u00b2 explained, pseudo-R\u00b2), by subgroup analyses "
            "with a test of differences between subgroups, and by influence diagnostics "
            "(studentised residuals, DFFITS, Cook\u2019s distance, COVRATIO; Viechtbauer & "
            "Cheung 2010) with Baujat plots."
        )
    paragraphs += [
        (
            "Pooled shares of the binary items are the observed share (count / n over the "
            "pooled participants) with its exact Clopper\u2013Pearson interval (Clopper & "
            "Pearson 1934); the random-effects model-based share across sites (REML on the "
            "logit scale) is given in its own column."
        ),
        (
            "Replication of the original study (Raju et al. 2022) was judged on six "
            "criteria: significance of the pooled change at \u03b1 = "
            f"{alpha:g} in the original\u2019s direction; whether the original lies in the "
            "prediction interval for a study of its precision (Patil, Peng & Leek 2016); "
            "the golden sceptical p-value at \u03b1/2, one-sided (Held, Micheloud & Pawel "
            "2022); P_orig, the probability of an original as extreme under the replication "
            "distribution (Mathur & VanderWeele 2020); small telescopes, whether the upper "
            "90% limit of the pooled standardised change rules out the effect the original "
            "had 33% power to detect (Simonsohn 2015); and equivalence to no change by two "
            f"one-sided tests against \u00b1{sesoi:g} scale points per domain (Lakens 2017). "
            "A pre-specified rule turns the criteria into one verdict per outcome: "
            "replicated, not replicated, contradicted, inconclusive or not assessed "
            "(docs/codebook.md)."
        ),
    ]
    min_cell = int(disclosure.get("min_cell", 0))
    if min_cell > 0:
        paragraphs.append(
            f"Counts of participants from 1 to {min_cell - 1} are suppressed in shared "
            f"tables (shown as <{min_cell}), with secondary suppression where a suppressed "
            "count could be recovered from the others."
        )
    return paragraphs
