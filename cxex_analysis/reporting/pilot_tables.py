"""What the tables of a pilot's report (notebook 02) show: each table's columns, digits and
caption, given to :func:`cxex_analysis.reporting.show.table` as ``**layout``. The notebook
computes; the layout of what it shows lives here."""

from __future__ import annotations

from cxex_analysis.reporting.show import Layout

BALANCE: Layout = {"caption": "Balance before the start (means by arm)", "digits": 2}

SRM: Layout = {"caption": "Units registered and analysed per arm (chi-square test)", "digits": 3}

DUAL: Layout = {"caption": "Effects of the pilot, customers and employees", "digits": 3,
                "empty": "No effect could be estimated for this pilot; the summary says why."}

EFFECTS: Layout = {
    "columns": ["estimand", "outcome", "estimate", "ci_low", "ci_high", "p_value", "n",
                "variance_reduction", "randomization_p", "method"],
    "digits": 3,
    "caption": "Estimates by outcome"}

NAIVE: Layout = {
    "columns": ["outcome", "estimate", "ci_low", "ci_high", "n", "method"],
    "digits": 3,
    "empty": None,
    "caption": "Naive two-way fixed effects (for comparison; biased when start dates differ and "
               "effects grow)"}

AGGREGATIONS: Layout = {
    "columns": ["estimand", "term", "estimate", "ci_low", "ci_high", "n_treated", "n_control"],
    "digits": 2,
    "caption": "The primary outcome's effect by start group, by calendar period and since the "
               "start (overall rows first)"}

SENSITIVITY: Layout = {
    "columns": ["term", "estimate", "ci_low", "ci_high", "bound_low", "bound_high"],
    "digits": 2,
    "empty": None,
    "caption": "Average effect after the start if trends may drift apart by up to M̄ times the "
               "pre-start changes (interval and bounds)"}

LOOKS: Layout = {
    "columns": ["term", "estimate", "ci_low", "ci_high", "fixed_low", "fixed_high", "decision"],
    "digits": 2,
    "empty": None,
    "caption": "The latest looks: always-valid interval, ordinary interval and the call"}

SUBGROUPS: Layout = {
    "columns": ["subject", "outcome", "estimate", "ci_low", "ci_high", "p_value", "p_value_holm",
                "n"],
    "digits": 3,
    "caption": "Subgroup effects on the primary outcome",
    "empty": "Subgroup effects are estimated for randomized pilots; this pilot's design does not "
             "support them."}

POWER: Layout = {"digits": 2, "caption": "Minimum detectable effect (80% power) and units needed"}

REGISTERED_BALANCE: Layout = {
    "columns": ["metric", "treated_mean", "control_mean", "smd", "n_treated", "n_control"],
    "caption": "Balance of the registered assignment (before the start, means by arm)",
    "digits": 3}
