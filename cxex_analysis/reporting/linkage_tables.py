"""What the tables of the EX -> CX report (notebook 01) show: each table's columns, digits and
caption, given to :func:`cxex_analysis.reporting.show.table` as ``**layout``. The notebook
computes; the layout of what it shows lives here."""

from __future__ import annotations

from cxex_analysis.reporting.show import Layout

CORRELATIONS: Layout = {
    "columns": ["estimand", "outcome", "estimate", "ci_low", "ci_high", "p_value", "n", "mde"],
    "digits": 3,
    "caption": "Correlation of the engagement index with each customer outcome"}

EFFECTS: Layout = {
    "columns": ["estimand", "outcome", "term", "estimate", "ci_low", "ci_high", "p_value",
                "effect_size", "n", "n_units"],
    "digits": 3,
    "caption": "Lagged effects, corrected for survey noise (split-half instruments, "
               "Anderson-Rubin intervals) and uncorrected (two-way fixed effects), SE "
               "clustered by unit"}

RELIABILITY: Layout = {
    "columns": ["outcome", "estimate", "ci_low", "ci_high", "from_sampling_variance", "n"],
    "labels": {"from_sampling_variance": "implied by sampling variance"},
    "digits": 2,
    "caption": "Within-unit reliability: the share of each score's quarter-to-quarter movement "
               "that is real change, not sampling noise, from two random halves of each "
               "unit's respondents; beside it, what the scores' sampling variances imply "
               "(about equal when each period's answers are independent, lower when the same "
               "people answer every wave)"}

MEDIATION: Layout = {
    "columns": ["estimand", "outcome", "term", "estimate", "ci_low", "ci_high", "p_value", "n"],
    "digits": 5,
    "caption": "Mediation: engagement -> NPS -> financial outcome a month (per engagement "
               "point), corrected for survey noise and uncorrected"}

ODDS_RATIO: Layout = {
    "columns": ["outcome", "estimate", "ci_low", "ci_high", "p_value", "n", "verdict"],
    "digits": 2,
    "caption": "Odds ratio: top-quartile NPS units having above-median engagement"}

WEIGHTS: Layout = {
    "columns": ["outcome", "term", "estimate", "ci_low", "ci_high", "rescaled", "rank",
                "naive_r"],
    "digits": 3,
    "caption": "Relative weights (share of R²) with naive correlations"}

DUAL: Layout = {
    "columns": ["estimand", "estimate", "ci_low", "ci_high", "p_value", "n"],
    "digits": 2,
    "caption": "Units whose EX and CX moved the same way"}

ALPHA: Layout = {
    "columns": ["subject", "estimate", "ci_low", "ci_high", "n"],
    "digits": 3,
    "caption": "Cronbach's alpha of the engagement items, all respondents"}

ENPS_DRIVERS: Layout = {
    "columns": ["term", "estimate", "ci_low", "ci_high", "rescaled", "rank", "naive_r"],
    "digits": 3,
    "caption": "What goes with eNPS across units: relative weights (share of R²)",
    "empty": "eNPS was not asked, or too few units answered it, or the answers do not vary "
             "enough, to rank its drivers."}

CX_CHANGES: Layout = {
    "columns": ["outcome", "term", "estimate", "ci_low", "ci_high", "p_value", "n"],
    "digits": 2,
    "caption": "Change since the previous quarter (an interval that excludes 0 is more than "
               "survey noise)",
    "empty": "Fewer than two quarters of customer answers."}

THEMES_BY_NPS: Layout = {
    "columns": ["term", "estimate", "ci_low", "ci_high", "p_value_holm", "n"],
    "digits": 2,
    "caption": "Themes: share among detractors minus share among promoters (percentage points)",
    "empty": "No customer comments with an NPS answer."}

THEMES_BOTH_WAYS: Layout = {
    "columns": ["term", "estimate", "ci_low", "ci_high", "p_value", "n"],
    "digits": 2,
    "caption": "Across units: employee vs customer share of comments on each theme "
               "(correlation)",
    "empty": "Not enough units with comments from both."}

HOLM: Layout = {
    "columns": ["test", "outcome", "term", "p_value", "p_value_holm", "significant"],
    "labels": {"test": "Test"},
    "caption": "p-values before and after the Holm correction"}

MDE: Layout = {"digits": 3, "caption": "Minimum detectable effects (80% power)"}

OUTCOME_PAIR: Layout = {
    "columns": ["outcome", "estimand", "term", "estimate", "ci_low", "ci_high", "p_value",
                "uncorrected", "n", "n_units"],
    "labels": {"uncorrected": "scores taken as exact"},
    "digits": 4,
    "caption": "Engagement and each outcome, two ways: each unit against itself over time "
               "(fixed effects) and holding the outcome's previous value fixed; per engagement "
               "point, corrected for survey noise, errors clustered by unit"}
