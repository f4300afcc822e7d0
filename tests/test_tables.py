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
