"""The words the reports use: metric names and definitions, item labels, period labels.

Every place that shows a metric, an engagement item or a period to a reader takes its words
from here, so a chart, a table and a sentence never call the same thing two names.
"""

from __future__ import annotations

import math

import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE


def format_value(value) -> str:
    """A group value as text: dates without a midnight time, everything else as ``str``."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def ci_label(confidence=None) -> str:
    """``"90% CI"``: an interval's name at its level (a row's ``confidence``; 95% when the
    level is not known), so that no label says 95% of an interval that is not."""
    try:
        level = float(confidence)
    except (TypeError, ValueError):
        level = math.nan
    return f"{level if math.isfinite(level) else 0.95:.0%} CI"


def level_of(results: pd.DataFrame | pd.Series) -> float:
    """The confidence level of a result row, or of a frame of them (the first known
    ``confidence``); 0.95 when none is known."""
    known = pd.Series(results.get("confidence"), dtype=float).dropna()
    return float(known.iloc[0]) if len(known) else 0.95


def period_label(value, freq: str = "quarter") -> str:
    """A period as a reader writes it: 'Q2 2025' for a quarter, 'Mar 2025' for a month or a
    survey wave, 'H2 2025' for a half-year, '2025' for a year, the date otherwise."""
    stamp = pd.Timestamp(value)
    if freq == "quarter":
        return f"Q{stamp.quarter} {stamp.year}"
    if freq == "year":
        return str(stamp.year)
    if freq == "half-year":
        return f"H{1 if stamp.month <= 6 else 2} {stamp.year}"
    if freq in ("month", "wave"):
        return stamp.strftime("%b %Y")
    return format_value(stamp)


#: Words for metric and outcome names in report sentences (issue-free fallback: the name with
#: spaces for underscores).
LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "customer effort (CES)", "enps": "eNPS",
          "engagement_index": "engagement", "pct_favourable": "% favourable",
          "repeat_contacts_per_1000": "repeat contacts per 1,000 customers",
          "exit_rate": "employee exit rate", "churn_rate": "customer churn rate",
          "revenue_per_customer": "revenue per customer", "roi": "return per unit of cost",
          "ces_top3": "% easy (CES 5–7)",
          "item_mean": "item score (1–5)", "all_actions": "any action",
          "in_progress": "in progress", "done_on_time": "% done on time",
          "months": "months", "participation": "participation (%)"}


def label(name: str) -> str:
    """A metric's name in words: ``"nps"`` -> ``"NPS"``."""
    return LABELS.get(name, name.replace("_", " "))


DEFINITIONS = {
    "NPS": "% promoters (9–10) − % detractors (0–6), in points from −100 to 100. Its standard "
           "error comes from the trinomial variance [p + d − (p − d)²] / n; for fewer than 100 "
           "answers the interval is the adjusted Wald (add 3 to n and ¾ to promoters and detractors).",
    "CSAT": "% of 1–5 satisfaction answers that are 4 or 5 (top-2-box), Wilson interval.",
    "CES": "mean of 1–7 customer-effort answers (higher = easier), t interval; also % of answers 5–7.",
    "eNPS": "the NPS cut-offs applied to employees' 0–10 answer to 'would you recommend working here'.",
    "Engagement index": "each respondent's mean of the eng_* items (1–5) rescaled to 0–100 as "
                        "(mean − 1) / 4 × 100, averaged over respondents.",
    "% favourable": "share of engagement item answers that are 4 or 5; its interval treats each "
                    "respondent's answers as a cluster.",
    "Cronbach's alpha": "internal consistency of the engagement items (0–1; 0.7 or more is usually "
                        "read as a reliable scale), Feldt interval.",
    "Confidentiality": "employee results are hidden for groups of fewer than {k} respondents, "
                       "and wherever a hidden group could be worked out by subtraction.",
}


def definitions_markdown(min_group_size: int = MIN_GROUP_SIZE) -> str:
    """The metric definitions as a Markdown list, for every report's footnote."""
    return "\n".join(f"- **{name}**: {text.format(k=min_group_size)}"
                     for name, text in DEFINITIONS.items())


def item_label(item: str) -> str:
    """``eng_customer_focus`` -> ``Customer focus``."""
    text = item.removeprefix("eng_")
    return text.replace("_", " ").capitalize()


def measure_label(measure: str) -> str:
    """An engagement item or a score in words: ``eng_tools`` -> 'Tools', ``nps`` -> 'NPS'."""
    return item_label(measure) if measure.startswith("eng_") else label(measure)


#: Words that tie a comment to an engagement item (for the comments shown beside an issue).
EX_MEASURE = "engagement_index"


LINK_WORDS = {"churn_per_nps": "customers lost per NPS point",
              "revenue_per_customer_per_nps": "revenue per customer per NPS point",
              "exit_rate_per_ei": "employee exits per engagement point"}


def metrics_markdown(min_group_size: int = 5) -> str:
    """``docs/metrics.md``: the definitions every report states, as one page."""
    return ("# Metric definitions\n\n"
            "Every report ends with these definitions (`cxex_analysis.vocabulary`, from which "
            "this page is generated; a test keeps them in step). The thresholds shown are the "
            "defaults; a run's own are stated on its reports.\n\n"
            + definitions_markdown(min_group_size) + "\n")


# ----------------------------------------------------------------------------------------------
# Words for what the tidy results call by id: estimands, methods, terms, groups and columns.
# results.json keeps the ids; every table and chart a reader sees goes through these.

ESTIMAND_LABELS = {
    "action_effect": "effect of completing the action",
    "action_follow_through": "actions by status",
    "att": "effect of the pilot", "att_unadjusted": "effect of the pilot, unadjusted",
    "att_calendar": "effect by calendar period", "att_dynamic": "effect by time since start",
    "att_event_time": "effect by time since start", "att_group": "effect by start date",
    "att_sensitivity": "effect if trends drift apart", "att_sequential": "always-valid effect",
    "att_subgroup": "effect by subgroup", "att_twfe_naive": "effect, naive two-way fixed effects",
    "change_since_previous": "change since the previous period",
    "cronbach_alpha": "Cronbach's alpha",
    "ex_to_cx_lagged": "engagement → later customer score",
    "ex_to_outcome_fe": "engagement → outcome, each unit against itself over time",
    "ex_to_outcome_ldv": "engagement → outcome, holding the outcome's previous value fixed",
    "metric_change": "change in your own metric from the programme",
    "metric_value": "the programme's change in money, over the units",
    "cx_to_ex_lagged": "customer score → later engagement",
    "ex_lead_placebo": "placebo: later engagement → earlier customer score",
    "ex_cx_correlation": "correlation across units",
    "ex_cx_correlation_disattenuated": "correlation across units, corrected for survey noise",
    "ex_cx_partial_correlation": "correlation holding unit type and size fixed",
    "ex_cx_rm_correlation": "correlation within units over time",
    "ex_cx_change_correlation": "correlation of changes",
    "dual_movement_share": "share of units where both moved together",
    "top_cx_engagement_odds_ratio": "odds of top customer scores with top engagement",
    "holm_adjusted_p_value": "p adjusted for many tests (Holm)",
    "link": "link to money", "link_uncorrected": "link to money, scores taken as exact",
    "link_unit_level": "link to money, unit by unit (not used: measured per customer instead)",
    "retention_by_nps_category": "still customers 12 months after their answer",
    "revenue_by_nps_category": "revenue a month after their answer",
    "lifetime_revenue_by_nps_category": "revenue over their time as a customer",
    "revenue_per_nps_point": "revenue a customer a month per NPS point",
    "churn_per_nps_point": "customers leaving a month per NPS point",
    "mediation_a": "engagement → customer score", "mediation_b": "customer score → money",
    "mediation_direct": "direct effect on money", "mediation_indirect": "effect on money through customers",
    "metric_level": "score", "npv": "net present value", "roi": "return on investment",
    "payback_months": "months to pay back", "probability_roi_positive": "chance of a positive return",
    "break_even": "what a point of the link must be worth to pay back",
    "not_valued": "a link that cannot be valued here",
    "relative_weight": "share of what is explained", "relative_weight_r2": "share explained by all drivers (R²)",
    "share_negative": "% of comments negative", "theme_share": "share of comments mentioning the theme",
    "theme_share_detractors_minus_promoters": "theme share: detractors minus promoters",
    "theme_employee_customer_correlation": "employee vs customer theme shares (correlation)",
    "value_driver": "value by driver", "value_total": "total value",
    "within_unit_reliability": "reliability of a unit's score",
}


def estimand_label(estimand: str) -> str:
    """``"ex_to_cx_lagged"`` -> ``"engagement → later customer score"``; an ``_uncorrected``
    variant says so."""
    if estimand in ESTIMAND_LABELS:
        return ESTIMAND_LABELS[estimand]
    base = estimand.removesuffix("_uncorrected")
    if base != estimand:
        return f"{estimand_label(base)}, scores taken as exact"
    return estimand.replace("_", " ")


#: Fragments of method ids, in words, replaced in this order (the longest first).
METHOD_WORDS = [
    ("callaway_santanna", "Callaway–Sant'Anna"), ("dr_pre_level", "doubly robust, adjusting for the level before"),
    ("unconditional", "unadjusted"), ("never_treated", "never-started units as comparison"),
    ("difference_in_means_ols_hc2", "difference in means (HC2 errors)"),
    ("multiplier_bootstrap_mammen", "multiplier bootstrap"), ("difference_in_means", "difference in means"),
    ("ancova_ols_hc2_adjusting", "regression (HC2 errors) adjusting for"),
    ("ols_hc2", "regression, HC2 errors"), ("twfe_absorbing_ls", "two-way fixed effects"),
    ("cluster_unit", "errors clustered by unit"), ("cr1_customer", "errors clustered by customer"),
    ("customer_level:", "measured customer by customer:"),
    ("other_question_iv_within_unit", "within customers over time, the other question of the "
                                      "answer as instrument (a single answer's noise corrected)"),
    ("other_question_iv_between_unit", "customers compared, the other question of the answer as "
                                       "instrument (a single answer's noise corrected)"),
    ("respondent_weighted_mean_of_unit_scores_stratified_sampling_variance_normal",
     "mean of the units' scores weighted by respondents, each unit's sampling error, normal "
     "interval"),
    ("cr1_unit", "errors clustered by unit"),
    ("fixed_effects_unit_and_wave_corrected_least_squares",
     "fixed effects (unit and wave), corrected for survey noise:"),
    ("lagged_dependent_variable_wave_effects_corrected_least_squares",
     "the outcome's previous value and wave effects, corrected for survey noise:"),
    ("wave_noise_correlation", "a unit's survey noise correlates between waves"),
    ("_halves_decay", " (measured from halves that keep their people), fading"),
    ("_assumed_decay", " (assumed), fading"), ("_set_decay", " (as set), fading"),
    ("_per_wave_weighted_by_respondents", " a wave; weighted by respondents,"),
    ("_points_times_the_link_a_wave_later_of_", " engagement points × the link a wave later, "),
    ("metric_change_times_", "the change × "), ("_units_reporting_it", " units reporting it"),
    ("split_half_iv", "split-half instrument (survey noise corrected)"),
    ("anderson_rubin", "Anderson–Rubin interval"), ("first_difference", "changes"),
    ("nps_trinomial_adjusted_wald", "adjusted Wald (trinomial)"), ("nps_trinomial_wald", "Wald (trinomial)"),
    ("proportion_wilson", "Wilson interval"), ("mean_t", "t interval"),
    ("ratio_cluster_respondent", "clustered by respondent"), ("cronbach_alpha_feldt_pairwise", "Feldt interval"),
    ("monte_carlo", "Monte Carlo draws:"),
    ("normal_mixture_confidence_sequence", "confidence sequence (normal mixture)"),
    ("johnson_relative_weights", "Johnson's relative weights"), ("bootstrap", "bootstrap"),
    ("pearson_between_unit_means_fisher_z", "Pearson between unit means (Fisher z)"),
    ("pearson_unit_slopes_fisher_z", "Pearson of unit slopes (Fisher z)"),
    ("spearman_disattenuation", "Spearman's correction for noise"), ("pooled", "pooled baseline of "),
    ("repeated_measures_correlation", "repeated-measures correlation"),
    ("conditional_mle_odds_ratio_fisher_exact", "odds ratio, Fisher exact test"),
    ("difference_of_proportions_newcombe", "difference of proportions (Newcombe)"),
    ("difference_of_independent_estimates_normal", "difference of independent estimates"),
    ("holm_family_of", "Holm, family of"),
    ("relative_magnitudes_identified_set", "relative magnitudes (HonestDiD-style)"),
    ("vader_service_lexicon_wilson", "VADER with a service lexicon, Wilson interval"),
    ("share_wilson_interval", "share, Wilson interval"),
]


def method_label(method: str) -> str:
    """A method id in words (the ``(n = …)`` note kept): no underscore remains."""
    if not isinstance(method, str):
        return method
    text = method
    for fragment, words in METHOD_WORDS:
        text = text.replace(fragment, words)
    for metric in sorted(LABELS, key=len, reverse=True):
        text = text.replace(f"{metric}_pre", f"{LABELS[metric]} before")
    return " ".join(text.replace("_", " ").split())


#: The rows of what a customer is worth, in words.
CUSTOMER_TERMS = {"nps_contribution": "per point of a customer's NPS answer",
                  "promoter - detractor": "promoters minus detractors"}

#: The terms of EX → an outcome, in words.
OUTCOME_TERMS = {"lag0": "engagement of the same wave", "lag1": "engagement of the wave before",
                 "previous_outcome": "the outcome's value the wave before",
                 "ex_to_outcome_fe": "each unit against itself",
                 "ex_to_outcome_ldv": "holding the previous value fixed"}

#: The rows of an action review, in words.
ACTION_TERMS = {"completed": "after the action was completed",
                "pre_trend": "before the plan (should be 0)",
                "dropped": "plans that were dropped (should be 0)"}

#: The kinds of comment that need a response, in words.
TEXT_TERMS = {"needs_response": "any of these (needs a response)",
              "request": "asks for something", "question": "asks a question",
              "fault": "names a specific fault"}


def term_label(term) -> str:
    """A term or contrast in words: items and metrics by name, ``e=+2`` as '2 periods after the
    start', ``g=2025-01`` as 'started 2025-01', ``Mbar=1`` as 'M̄ = 1'."""
    if not isinstance(term, str):
        return term
    if term.startswith("eng_"):
        return item_label(term)
    if " -> " in term:
        return " → ".join(term_label(part) for part in term.split(" -> "))
    if term.endswith("_pre"):
        return f"{term_label(term.removesuffix('_pre'))} before the start"
    if term in LINK_WORDS:
        return LINK_WORDS[term]
    for named in (ACTION_TERMS, CUSTOMER_TERMS, OUTCOME_TERMS, TEXT_TERMS):
        if term in named:
            return named[term]
    if term.startswith("placebo="):
        return f"placebo: {measure_label(term.split('=', 1)[1])} (should not move)"
    key, _, value = term.partition("=")
    if value:
        if key == "e":
            steps = int(value)
            return ("the period before the start" if steps == -1 else f"{-steps} periods before the start"
                    if steps < 0 else "the start period" if steps == 0 else f"{steps} periods after the start")
        words = {"g": "started", "t": "period", "look": "look at", "Mbar": "M̄ ="}.get(key, key)
        return f"{words} {value}"
    return label(term) if "_" in term or term in LABELS else term


def group_label(subject: str) -> str:
    """``"unit_type=call_centre"`` -> ``"unit type: call centre"``."""
    if not isinstance(subject, str):
        return subject
    key, _, value = subject.partition("=")
    if value:
        return f"{key.replace('_', ' ')}: {value.replace('_', ' ')}"
    return subject.replace("_", " ")


#: Column headers in words (others: underscores become spaces, first letter capital).
COLUMN_LABELS = {
    "n": "n", "n_units": "Units", "p_value": "p", "p_value_holm": "p (Holm)", "raw_p": "p",
    "randomization_p": "Randomization p", "effect_size": "Effect size", "estimand": "What",
    "outcome": "Measure", "term": "Term", "subject": "Group", "method": "Method",
    "variance_reduction": "Variance reduction", "rescaled": "Share of R² (%)", "naive_r": "Simple r",
    "bounds": "Bounds", "rows_read": "Rows read", "rows_accepted": "Rows accepted",
    "rows_quarantined": "Rows held back", "table_name": "Table", "first_row": "First row",
    "not_english": "Not English", "share_negative": "% negative", "chi2": "Chi-square",
    "agreement": "Words alone vs writers' scores (macro-F1)", "actionable": "Needs a response",
    "lexicon_agreement": "Lexicon alone (macro-F1)", "learnt_from": "Learnt from (comments)",
    "share_tagged": "% in a codebook theme", "closest_codebook_theme": "Closest codebook theme",
    "stability": "Stability (bootstrap)", "label": "Tone",
    "probability_beneficial": "Chance it helped",
    "smd": "Standardized difference", "n_treated": "Pilot units", "n_control": "Comparison units",
    "treated_mean": "Pilot mean", "control_mean": "Comparison mean",
}


def column_label(column: str) -> str:
    """A table column's header in words."""
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    text = label(str(column)) if column in LABELS else str(column).replace("_", " ")
    return text[:1].upper() + text[1:]


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(value: float, digits: int | None = 1) -> str:
    """A number to ``digits`` decimals with thousands separators (``None``: three significant
    figures, for tables that mix 0.08 and 32,000, and for a value that would round to zero);
    below 0.001 a value is written '4.2 × 10⁻⁴' (never '0.000'); an exact zero is '0'."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    if abs(value) < 0.001:
        exponent = math.floor(math.log10(abs(value)))
        return f"{value / 10 ** exponent:.2g} × 10{str(exponent).translate(SUPERSCRIPT)}"
    if digits is None or abs(value) < 0.5 * 10 ** -digits:  # significant figures
        decimals = max(0, 2 - math.floor(math.log10(abs(value))))
        text = f"{value:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = f"{value:,.{digits}f}"
    if digits >= 3 and text.endswith("0" * digits):  # '100.000' reads as 100
        text = text[:-digits - 1]
    return text


def format_p(p: float) -> str:
    """A p-value as a reader expects it: '< 0.001' below 0.001, else three decimals."""
    if p is None or p != p:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def interval_cell(estimate: float, low: float, high: float, digits: int | None = 1) -> str:
    """'3.0 (2.0 to 4.1)': an estimate and its interval in one cell."""
    if estimate is None or estimate != estimate:
        return "–"
    if low is None or high is None or low != low or high != high:
        return f"{format_number(estimate, digits)} (no interval)"
    return (f"{format_number(estimate, digits)} ({format_number(low, digits)} to "
            f"{format_number(high, digits)})")


def shortened(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, cut at a space where one is near and ending in
    "…" when it was longer (a pasted page in a comment, an action or a table cell)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit - 100, limit)
    return text[:cut if cut > 0 else limit].rstrip() + "…"
