"""Tables in words: what a leader reads instead of ids and unrounded decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.reporting.show import table_html
from cxex_analysis.reporting.tables import readable
from cxex_analysis.vocabulary import format_number, format_p, method_label, term_label


def test_estimate_and_interval_share_one_cell_and_p_values_read_as_words():
    frame = pd.DataFrame([
        {"estimand": "ex_to_cx_lagged", "outcome": "nps", "term": "engagement_index",
         "estimate": 3.04, "ci_low": 1.96, "ci_high": 4.14, "p_value": 0.00002, "n": 640.0,
         "method": "split_half_iv_within_anderson_rubin_cr1_unit (n = unit-quarters)"},
        {"estimand": "cx_to_ex_lagged", "outcome": "engagement_index", "term": "nps",
         "estimate": 0.0004, "ci_low": -0.2, "ci_high": np.nan, "p_value": 0.0312, "n": 640.0,
         "method": "twfe_absorbing_ls_cluster_unit"},
    ])
    headers, rows = readable(frame, digits=3)
    assert headers == ["What", "Measure", "Term", "Estimate (95% CI)", "p", "n", "Method"]
    texts = [[text for text, _ in row] for row in rows]
    # a coefficient (NPS points per engagement point) keeps the table's three decimals
    assert texts[0][:6] == ["engagement → later customer score", "NPS", "engagement",
                            "3.040 (1.960 to 4.140)", "< 0.001", "640"]
    assert texts[1][3] == "4 × 10⁻⁴ (no interval)" and texts[1][4] == "0.031"
    assert "_" not in " ".join(texts[0] + texts[1])
    level = frame.assign(estimand="metric_level", term="level").head(1)
    assert readable(level, digits=3)[1][0][3][0] == "3.0 (2.0 to 4.1)"  # an NPS to 1 decimal
    markup = table_html(frame, caption="Lagged effects", digits=3)
    assert "0.000" not in markup and "ex_to_cx_lagged" not in markup
    assert 'class="cxex-scroll"' in markup  # a wide table scrolls in its own box


def test_numbers_never_print_as_zero_and_rates_read_per_1000():
    assert format_number(0.00042, 3) == "4.2 × 10⁻⁴" and format_number(0.004, 1) == "0.004"
    assert format_number(0.0, 3) == "0"
    assert format_number(1234567.891, 0) == "1,234,568"
    assert format_number(32000.0, None) == "32,000" and format_number(0.08, None) == "0.08"
    assert format_number(-0.00013, None) == "-1.3 × 10⁻⁴"
    assert format_p(0.0004) == "< 0.001" and format_p(0.05) == "0.050"
    frame = pd.DataFrame([{"outcome": "exit_rate", "estimate": -0.0031, "ci_low": -0.0052,
                           "ci_high": -0.0010, "n": 70}])
    _, rows = readable(frame, digits=3)
    assert rows[0][0][0] == "Employee exits per 1,000" and rows[0][1][0] == "-3.1 (-5.2 to -1.0)"
    money = pd.DataFrame([{"outcome": "EUR", "estimate": 371513.64, "ci_low": 257629.6,
                           "ci_high": 513324.58}])
    assert readable(money, digits=2)[1][0][1][0] == "371,514 (257,630 to 513,325)"


def test_method_and_term_ids_become_words():
    for method in ("ancova_ols_hc2_adjusting_repeat_contacts_per_1000_pre (n = units)",
                   "callaway_santanna_dr_pre_level_never_treated_pooled2_baseline_multiplier_"
                   "bootstrap_mammen_999_t22_hsu (n = units)", "nps_trinomial_wald"):
        assert "_" not in method_label(method)
    assert method_label("ancova_ols_hc2_adjusting_nps_pre (n = units)") == \
        "regression (HC2 errors) adjusting for NPS before (n = units)"
    assert term_label("e=-1") == "the period before the start"
    assert term_label("e=+2") == "2 periods after the start"
    assert term_label("eng_customer_focus") == "Customer focus"
    assert term_label("csat_pre") == "CSAT before the start"


def test_whole_numbers_at_three_decimals_drop_the_zeros():
    from cxex_analysis.vocabulary import format_number

    assert format_number(100.0, 3) == "100" and format_number(14.013, 3) == "14.013"
    assert format_number(2.0, 1) == "2.0"  # one decimal keeps the table's rounding


def test_intervals_are_named_at_the_level_they_were_computed():
    """`cxex run --param confidence=0.9` gives 90% intervals: the executive summary's sentences,
    its tables and the audit's alpha call them 90%, never 95% (issue 35)."""
    from cxex_analysis.narrative.audit_findings import findings
    from cxex_analysis.narrative.summary_findings import ex_cx_answer, where_to_act
    from cxex_analysis.reporting.summary import changes_html

    link = {"analysis": "linkage", "subject": "all", "confidence": 0.9, "p_value": 0.01, "n": 400}
    results = pd.DataFrame([
        {**link, "estimand": "ex_to_cx_lagged", "outcome": "nps", "term": "engagement_index",
         "estimate": 0.5, "ci_low": 0.2, "ci_high": 0.8},
        {**link, "estimand": "ex_lead_placebo", "outcome": "nps", "term": "engagement_index_lead",
         "estimate": 0.0, "ci_low": -0.2, "ci_high": 0.2},
        {"analysis": "group", "estimand": "metric_level", "subject": "region=North",
         "outcome": "nps", "term": "level", "estimate": 31.0, "ci_low": 27.0, "ci_high": 35.0,
         "confidence": 0.9, "n": 300},
        {"analysis": "changes", "estimand": "change", "subject": "all", "outcome": "nps",
         "term": "2025-01-01 to 2025-04-01", "estimate": 2.0, "ci_low": 0.5, "ci_high": 3.5,
         "p_value": 0.02, "confidence": 0.9, "n": 300}])
    said = " ".join(ex_cx_answer(results)) + " ".join(where_to_act(results).columns) \
        + changes_html(results)
    assert "90% CI" in said and "95%" not in said, said
    # the summary's groups table: its cells as every table's, through tables.py
    groups = where_to_act(results)
    assert groups.iloc[0].tolist() == ["region: North", "31.0 (27.0 to 35.0)"]
    from cxex_analysis.reporting.summary import GROUPS_CAPTION, table_html
    assert "<th scope=\"col\">NPS (90% CI)</th>" in table_html(groups, GROUPS_CAPTION, None)
    alpha = pd.DataFrame([{"subject": "all", "estimate": 0.86, "ci_low": 0.84, "ci_high": 0.88,
                           "confidence": 0.9}])
    empty = pd.DataFrame(columns=["status", "rows_read", "rows_accepted", "rows_quarantined",
                                  "adds_up", "table_name"])
    audit = " ".join(findings(empty, pd.DataFrame(), pd.DataFrame(
        columns=["source", "responses", "units", "first_period", "last_period"]), alpha))
    assert "alpha 0.86 (90% CI 0.84 to 0.88)" in audit, audit


def test_a_chosen_column_list_and_a_label_keep_the_intervals_level(monkeypatch):
    """A notebook shows some columns of a 90% frame under its own label ("Change ({ci})"):
    the header says 90%, not the 95% a frame without its ``confidence`` column would get."""
    from cxex_analysis.reporting import show

    frame = pd.DataFrame([{"outcome": "nps", "term": "Q1 to Q2", "estimate": 2.0, "ci_low": 0.5,
                           "ci_high": 3.5, "confidence": 0.9, "n": 300}])
    headers, _ = readable(frame, labels={"estimate": "Change ({ci})"})
    assert "Change (90% CI)" in headers
    shown = []
    monkeypatch.setattr(show, "_display_html", shown.append)
    show.table(frame, columns=["outcome", "estimate", "ci_low", "ci_high", "n"])
    assert "Estimate (90% CI)" in shown[0] and "95%" not in shown[0]


def test_the_summarys_pilots_and_claims_tables_are_every_tables_cells():
    """The executive summary's pilots table and claims ledger go through tables.py as every
    table does (issue 35): a pilot's effects on customers and employees rounded by measure
    under the rows' level, its recommendation in its colour, and each claim linked to the
    report that tested it."""
    from cxex_analysis.narrative.summary_findings import pilot_table
    from cxex_analysis.reporting.summary import claims_html, pilots_html

    att = {"analysis": "pilot", "estimand": "att", "subject": "P1", "term": "treated",
           "confidence": 0.9, "n": 40, "method": "did", "p_value": 0.01}
    results = pd.DataFrame([
        {**att, "outcome": "nps", "estimate": 6.04, "ci_low": 2.26, "ci_high": 9.81, "se": 2.3},
        {**att, "outcome": "engagement_index", "estimate": 3.46, "ci_low": 1.17,
         "ci_high": 5.75, "se": 1.4}])
    registry = pd.DataFrame([{"pilot_id": "P1", "name": "Knowledge base", "design": "randomized",
                              "primary_outcome": "nps"}])
    table = pilot_table(results, registry)
    assert table["outcome"].tolist() == ["nps", "engagement_index"]  # customers, then employees
    assert table["recommendation"].tolist()[0] == "scale" and table["recommendation"].isna()[1]
    page = pilots_html(table)
    assert '<th scope="col">Effect (90% CI)</th>' in page and "95%" not in page
    assert ">6.0 (2.3 to 9.8)<" in page and ">3.5 (1.2 to 5.8)<" in page  # NPS to 1 decimal
    assert 'class="scale">SCALE</td>' in page and pilots_html(pilot_table(
        results.iloc[:0], registry)) == ""
    claim = {"analysis": "claims", "estimand": "claim", "subject": "harter_engagement_cx_r",
             "outcome": "nps", "term": "r", "estimate": 0.34, "ci_low": 0.22, "ci_high": 0.47,
             "confidence": 0.9, "n": 150, "method": "pearson", "verdict": "supported",
             "evidence": "between-unit correlation"}
    reports = [{"name": "01_ex_cx_linkage", "html": "01_ex_cx_linkage.html",
                "title": "EX and CX linkage"}]
    ledger = claims_html(pd.DataFrame([claim]), reports)
    assert '<a href="01_ex_cx_linkage.html">EX and CX linkage</a>' in ledger
    assert "0.34 (90% CI 0.22 to 0.47)" in ledger and "95%" not in ledger
    assert 'aria-label="Claims ledger"' in ledger
