"""Every estimator a notebook calls copes with any valid input: too few units, one period, no
variation, a blank column. Each test here is a bug the generated organisations found
(tests/test_worlds.py), fixed in the estimator and pinned on the smallest frame that showed it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import linkage, pilots
from cxex_analysis.errors import InsufficientData, ParameterError
from cxex_analysis.estimators import experiments, fixed_effects
from cxex_analysis.reporting import pilot_charts


def test_too_little_data_is_its_own_error_and_still_a_parameter_error():
    assert issubclass(InsufficientData, ParameterError)
    with pytest.raises(InsufficientData, match="too few observations"):
        fixed_effects.twfe(pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 3.0, 2.0, 5.0],
                                         "u": [1, 2, 1, 2], "t": [1, 1, 2, 2]}), "y", "x", "u", "t")


def test_lagged_links_with_no_consecutive_periods_are_not_estimated_and_say_why():
    """Three units with one quarter each (a three-month export): no lagged pair."""
    panel = pd.DataFrame({"unit_id": ["a", "b", "c"], "t": [1, 1, 1],
                          "engagement_index": [60.0, 70.0, 65.0], "csat": [80.0, 75.0, 90.0]})
    for direction in ("ex_to_cx", "cx_to_ex", "placebo"):
        row = linkage.lagged_effects(panel, direction, ["csat"], exclude=None).iloc[0]
        assert np.isnan(row["estimate"]) and row["method"].startswith("not estimated: the data hold 0 unit(s)")


def test_an_observational_pilot_with_no_data_before_its_start_is_not_estimated():
    rows = [{"unit_id": u, "period": p, "y": 1.0 + i, "treated": u < 3, "unit_type": "x"}
            for i, u in enumerate(range(6)) for p in ("2025-05-01", "2025-06-01")]
    with pytest.raises(InsufficientData, match="no period before the start and after it"):
        experiments.matched_did(pd.DataFrame(rows), "y", "unit_id", "period", "treated",
                                "2025-01-01", exact=("unit_type",))


def test_the_dual_impact_chart_draws_only_effects_with_an_interval():
    """A pilot of one unit: estimates without intervals are in the table, not the chart."""
    table = pilots.dual_table(pd.DataFrame([
        {"outcome": "nps", "estimate": 3.0, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
         "n": 1}, {"outcome": "engagement_index", "estimate": 1.0, "ci_low": -1.0, "ci_high": 3.0,
                   "p_value": 0.3, "n": 1}]))
    assert set(table["reading"]) == {"no interval: too few units", "no clear change"}
    figure = pilot_charts.dual_impact(table)
    assert len(figure.axes) == 1  # employees only
    assert pilot_charts.dual_impact(table[table["outcome"] == "nps"]) is None


def test_units_that_share_a_name_keep_one_heatmap_row_each():
    """Two "High Street" stores: rows by position, each named with its id (the lowest 25 of
    500 units of twelve names had become thousands of rows)."""
    from cxex_analysis.analyses import heatmap

    units = [f"U{i:03d}" for i in range(60)]
    rows = [{"analysis": "heatmap", "estimand": "metric_level", "subject": f"unit={u}",
             "outcome": "engagement_index", "estimate": float(i), "se": 1.0}
            for i, u in enumerate(units)]
    rows.append({"analysis": "heatmap", "estimand": "metric_level", "subject": "all",
                 "outcome": "engagement_index", "estimate": 30.0, "se": 0.1})
    names = {u: ("High Street" if i % 2 else f"Store {i}") for i, u in enumerate(units)}
    grid, company, se = heatmap.matrix(pd.DataFrame(rows), "unit", names, lowest=5)
    assert list(grid.index) == ["Store 0", "High Street (U001)", "Store 2", "High Street (U003)",
                                "Store 4"]
    assert list(grid["engagement_index"]) == [0.0, 1.0, 2.0, 3.0, 4.0] and len(se) == 5


def test_key_drivers_of_two_units_and_a_mediation_of_none_say_they_need_more():
    """Two units (or an annual survey of three months) cannot rank nine items, nor mediate."""
    from cxex_analysis.estimators import mediation, relative_weights

    two = pd.DataFrame({"eng_a": [3.0, 4.0], "eng_b": [2.0, 4.5], "nps": [10.0, 30.0]})
    with pytest.raises(InsufficientData, match="more rows"):
        relative_weights.relative_weights(two, ["eng_a", "eng_b"], "nps", n_boot=9)
    empty = pd.DataFrame({"unit_id": [], "t": [], "x": [], "m": [], "y": []})
    with pytest.raises(InsufficientData, match="too few observations"):
        mediation.mediation(empty, "x", "m", "y")


def test_units_seen_in_fewer_than_three_waves_have_no_trajectory_and_say_so():
    from cxex_analysis.estimators import correlation

    panel = pd.DataFrame({"unit_id": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "unit_type": "x",
                          "region": "r", "engagement_index": [60.0, 62, 70, 71],
                          "nps": [10.0, 12, 20, 19]})
    with pytest.raises(InsufficientData, match="three or more waves"):
        correlation.unit_trajectories(panel, "nps")
    few = pd.DataFrame({"ex_change": [1.0, -1.0], "cx_change": [2.0, 1.0],
                        "movement": ["both improved", "EX down, CX up"]})
    with pytest.raises(InsufficientData, match="too few"):
        correlation.dual_movement(few)


def test_the_cross_lagged_chart_needs_one_measured_link():
    from cxex_analysis.reporting import linkage_charts

    rows = pd.DataFrame({"estimand": ["ex_to_cx_lagged", "ex_lead_placebo"], "outcome": "nps",
                         "term": "engagement_index", "estimate": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan})
    assert linkage_charts.cross_lagged(rows) is None


def test_no_money_chart_when_no_channel_could_be_valued():
    """Every money link unmeasurable: the summary holds only 'not valued' rows."""
    from cxex_analysis.reporting import value_charts

    summary = pd.DataFrame({"estimand": ["not_valued"], "term": ["churn_per_nps"], "estimate": [np.nan]})
    assert value_charts.value_waterfall(summary, "GBP") is None
    assert value_charts.roi_distribution(pd.DataFrame({"roi": [-1.0, -1.0]}), summary) is None


def test_one_period_has_no_change_within_units():
    frame = pd.DataFrame({"y": np.arange(8.0), "x": np.arange(8.0) % 3, "u": np.arange(8) % 4,
                          "t": 1})
    with pytest.raises(InsufficientData, match="at least two of each"):
        fixed_effects.twfe(frame, "y", "x", "u", "t")


def test_key_driver_bars_draw_an_interval_that_misses_its_estimate():
    """A bootstrap percentile interval of a share near zero can lie wholly above it."""
    from cxex_analysis.reporting import linkage_charts

    weights = pd.DataFrame({"estimand": ["relative_weight", "relative_weight", "relative_weight_r2"],
                            "term": ["eng_a", "eng_b", "all"], "outcome": "csat",
                            "estimate": [0.001, 0.2, 0.201], "ci_low": [0.004, 0.1, 0.1],
                            "ci_high": [0.05, 0.3, 0.3], "naive_r": [0.1, 0.4, np.nan]})
    assert linkage_charts.relative_weights_bar(weights) is not None


def test_answers_that_never_vary_are_not_estimated_and_say_why():
    """A kiosk with one button, a team that ticks 'agree' everywhere."""
    from cxex_analysis.estimators import mediation

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"u": np.repeat(np.arange(12), 4), "t": np.tile(np.arange(4), 12),
                          "x": 4.0, "y": rng.normal(0, 1, 48)})
    with pytest.raises(InsufficientData, match="does not change within units"):
        fixed_effects.twfe(frame, "y", "x", "u", "t")
    halves = frame.rename(columns={"u": "unit_id"}).assign(
        m=10.0, x_a=4.0, x_b=4.0, m_a=10.0, m_b=10.0)
    with pytest.raises(InsufficientData, match="do not vary enough"):
        mediation.mediation_corrected(halves, "x", "m", "y", time="t", n_boot=50)
    rows = [{"unit_id": u, "period": p, "y": 5.0, "treated": u < 4, "unit_type": "x"}
            for u in range(8) for p in ("2025-01-01", "2025-06-01")]
    with pytest.raises(InsufficientData, match="no variation"):
        experiments.matched_did(pd.DataFrame(rows), "y", "unit_id", "period", "treated",
                                "2025-03-01", exact=("unit_type",))


def test_key_drivers_of_answers_that_never_vary_say_so():
    from cxex_analysis.estimators import relative_weights

    units = pd.DataFrame({"eng_a": 4.0, "eng_b": np.arange(20.0) % 5, "nps": np.arange(20.0)})
    with pytest.raises(InsufficientData, match="does not vary across units"):
        relative_weights.relative_weights(units, ["eng_a", "eng_b"], "nps", n_boot=9)


def test_noise_corrected_links_of_flat_scores_are_not_estimated_and_say_why():
    """A CI world (600 units, every answer alike): the split-half instruments were all zero
    after the fixed effects and numpy stopped notebook 01 with 'Singular matrix'."""
    from cxex_analysis.estimators import measurement

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"u": np.repeat(np.arange(30), 4), "t": np.tile(np.arange(4), 30),
                          "y": rng.normal(0, 1, 120), "x_a": 4.0, "x_b": 4.0})
    for design in ("within", "first_difference"):
        with pytest.raises(InsufficientData, match="do not change within units"):
            measurement.split_half_iv(frame, "y", "x_a", "x_b", "u", "t", design=design)
    panel = frame.rename(columns={"u": "unit_id", "x_a": "engagement_index_a",
                                  "x_b": "engagement_index_b", "y": "nps"}).assign(
        engagement_index=4.0, nps_a=frame["y"], nps_b=frame["y"])
    row = linkage.corrected_effects(panel, "placebo", ["nps"]).iloc[0]
    assert np.isnan(row["estimate"]) and "do not change within units" in row["method"]


def test_issues_of_flat_answers_are_ranked_by_gap_alone():
    from cxex_analysis.panels import group_scores

    means = pd.DataFrame({"eng_a": 4.0, "eng_b": 3.0, "nps": np.arange(20.0)})
    assert group_scores._importance(means, ["eng_a", "eng_b"], "nps").empty


def test_a_region_whose_units_have_no_employee_answers_in_the_latest_wave_gets_its_heatmap(con):
    """A freshly drawn organisation (make fuzz: five units, two employees each, monthly
    waves) stopped its region report here: the region's units had no employee answers in the
    last wave. Its heatmap has no employee cells for them, and the company's all the same."""
    from cxex_analysis.analyses import heatmap

    rows = heatmap.group_scores(con, "unit", only=["no such unit"])
    company = rows[rows["subject"] == "all"]
    assert len(company) and company["estimate"].notna().any()
    assert set(rows["subject"]) == {"all"}
