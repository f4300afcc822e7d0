"""EX <-> CX linkage: pinned to a published panel result, planted effects recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from linearmodels import PanelOLS
from linearmodels.datasets import wage_panel

from cxex_analysis import vocabulary
from cxex_analysis.analyses import linkage
from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators import correlation, fixed_effects, mediation, power
from cxex_analysis.narrative import linkage_findings
from cxex_analysis.narrative.linkage_findings import direction_reading
from cxex_analysis.narrative.summary_findings import ex_cx_answer
from cxex_analysis.store import warehouse

# ---------------------------------------------------------------- the estimator, pinned

def test_twfe_reproduces_wooldridge_table_14_2():
    # Wooldridge, Introductory Econometrics, Table 14.2 (fixed effects, year dummies):
    # union .080 (.019), married .047 (.018); linearmodels' panel example prints
    # union 0.0800 (0.0193), married 0.0467 (0.0183): Wooldridge, Introductory Econometrics, Table 14.2
    fit = fixed_effects.twfe(wage_panel.load(), "lwage", ["expersq", "union", "married"], "nr", "year",
                       cov_type="unadjusted")
    assert fit["params"]["union"] == pytest.approx(0.0800, abs=5e-5)
    assert fit["se"]["union"] == pytest.approx(0.0193, abs=5e-5)
    assert fit["params"]["married"] == pytest.approx(0.0467, abs=5e-5)
    assert fit["se"]["married"] == pytest.approx(0.0183, abs=5e-5)
    assert fit["n"] == 4360 and fit["n_units"] == 545


def test_twfe_matches_panelols_exactly():
    data = wage_panel.load()
    ours = fixed_effects.twfe(data, "lwage", ["expersq", "union", "married"], "nr", "year",
                        cov_type="unadjusted")
    panel = data.set_index(["nr", "year"])
    theirs = PanelOLS(panel["lwage"], panel[["expersq", "union", "married"]], entity_effects=True,
                      time_effects=True).fit()
    assert ours["params"].to_numpy() == pytest.approx(theirs.params.to_numpy(), rel=1e-8)
    assert ours["se"].to_numpy() == pytest.approx(theirs.std_errors.to_numpy(), rel=1e-8)


def test_clustered_se_is_stata_xtreg_cr1():
    data = wage_panel.load()
    fit = fixed_effects.twfe(data, "lwage", ["expersq", "union", "married"], "nr", "year")
    # CR1 with G/(G-1) and (n-1)/(n-k), unit effects nested in clusters not counted;
    # computed here by hand from the within-transformed data
    cols = ["lwage", "expersq", "union", "married"]
    centred = fixed_effects.two_way_demean(data, cols, "nr", "year", iterations=200)
    X = centred[cols[1:]].to_numpy()
    y = centred["lwage"].to_numpy()
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    resid = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((3, 3))
    for _, idx in data.groupby("nr").indices.items():
        score = X[idx].T @ resid[idx]
        meat += np.outer(score, score)
    n, g, k = len(y), data["nr"].nunique(), 3 + 7 + 1
    cov = bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)
    assert fit["se"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-6)


def test_lagged_pairs_match_periods_and_respect_gaps():
    panel = pd.DataFrame({"unit_id": ["a"] * 4 + ["b"] * 3, "t": [1, 2, 3, 5, 1, 2, 3],
                          "engagement_index": [1, 2, 3, 5, 10, 20, 30],
                          "nps": [100, 200, 300, 500, 1000, 2000, 3000],
                          "pilot_active": [False, False, True, False, False, False, False]})
    pairs = fixed_effects.lagged_pairs(panel, "engagement_index", "nps", 1, exclude="pilot_active")
    got = sorted(zip(pairs["unit_id"], pairs["x"], pairs["y"]))
    # a: (1->200); (2->300) dropped, t=3 in a pilot; no t=4, so 3->? and 5->? have no pair
    assert got == [("a", 1, 200), ("b", 10, 2000), ("b", 20, 3000)]
    placebo = fixed_effects.lagged_pairs(panel, "engagement_index", "nps", -1)
    assert sorted(zip(placebo["unit_id"], placebo["x"], placebo["y"]))[0] == ("a", 2, 100)
    with pytest.raises(ParameterError):
        fixed_effects.lagged_pairs(panel, "engagement_index", "nps", 0)


# ---------------------------------------------------------------- recovering the demo's truth

@pytest.fixture(scope="module")
def found(demo_warehouse):
    con = warehouse.connect(demo_warehouse)
    try:
        return linkage.run(con, n_boot=1000)
    finally:
        con.close()


def _row(frame, estimand, outcome=None, term=None):
    rows = frame[frame["estimand"] == estimand]
    if outcome:
        rows = rows[rows["outcome"] == outcome]
    if term:
        rows = rows[rows["term"] == term]
    assert len(rows) == 1, (estimand, outcome, term)
    return rows.iloc[0]


@pytest.mark.parametrize("outcome", ["nps", "csat", "ces"])
def test_planted_ex_to_cx_effect_is_recovered(found, truth, outcome):
    """The demo's customers react to employees' real (latent) experience; the corrected link
    covers the truth in measured units, the uncorrected one is pulled toward zero. (Whether
    one organisation of 150 units shows it at p < 0.05 is a draw: its SE is about half the
    link, so about two organisations in three do — `benchmarks/calibration.py`.)"""
    row = _row(found.tidy(), "ex_to_cx_lagged", outcome)
    planted = truth["linkage"]["ex_to_cx_lagged"][outcome]
    assert row["ci_low"] <= planted <= row["ci_high"]
    plain = _row(found.tidy(), "ex_to_cx_lagged_uncorrected", outcome)
    assert plain["estimate"] < row["estimate"]


def test_a_reverse_link_the_noise_hides_is_said_to_be_unmeasurable(found, truth):
    """NPS moves little inside the demo's units compared with its sampling noise: the
    corrected reverse link has an unbounded interval, and the findings say it cannot be
    measured instead of printing a confident zero."""
    row = _row(found.tidy(), "cx_to_ex_lagged", "engagement_index", "nps")
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    plain = _row(found.tidy(), "cx_to_ex_lagged_uncorrected", "engagement_index", "nps")
    assert plain["ci_low"] <= truth["linkage"]["cx_to_ex_lagged"]["nps"] <= plain["ci_high"]
    assert any("reverse link) cannot be measured" in s for s in linkage_findings.findings(found.tidy()))


@pytest.mark.parametrize("outcome", ["revenue_per_customer", "churn_rate"])
def test_planted_mediation_is_recovered(found, truth, outcome):
    row = _row(found.tidy(), "mediation_indirect", outcome)
    planted = truth["linkage"]["mediation"][outcome]["indirect"]
    assert row["ci_low"] <= planted <= row["ci_high"]


def test_planted_drivers_are_recovered(found, truth):
    weights = found.weights[(found.weights["estimand"] == "relative_weight")
                               & (found.weights["outcome"] == "nps")]
    planted = truth["linkage"]["driver_weights"]
    top_two = set(weights.nsmallest(2, "rank")["term"].str[4:])
    assert top_two == {k for k, _ in sorted(planted.items(), key=lambda kv: -kv[1])[:2]}
    bottom = set(weights.nlargest(3, "rank")["term"].str[4:])
    assert {k for k, v in planted.items() if v == 0} <= bottom
    r2 = _row(found.weights, "relative_weight_r2", "nps")
    assert weights["estimate"].sum() == pytest.approx(r2["estimate"], rel=1e-10)


def test_between_unit_correlation_matches_truth(found, truth):
    row = _row(found.tidy(), "ex_cx_correlation", "nps")
    # truth uses every wave of the units with 5+ staff; the panel hides the odd wave in
    # which fewer than 5 of them answered, so the two differ slightly
    assert row["estimate"] == pytest.approx(
        truth["linkage"]["realised_between_unit_correlation"]["engagement_index_vs_nps"], abs=0.01)
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_every_required_id_is_present_with_interval_and_n(found):
    rows = found.tidy()
    assert len(rows[rows["estimand"] == "cx_to_ex_lagged"]) == 3
    for estimand in ("ex_to_cx_lagged", "ex_to_cx_lagged_uncorrected",
                     "cx_to_ex_lagged_uncorrected", "ex_lead_placebo",
                     "ex_lead_placebo_uncorrected", "within_unit_reliability",
                     "ex_cx_correlation", "ex_cx_correlation_disattenuated",
                     "mediation_indirect", "mediation_indirect_uncorrected",
                     "top_cx_engagement_odds_ratio", "relative_weight"):
        part = rows[rows["estimand"] == estimand]
        assert len(part), estimand
        assert part[["estimate", "ci_low", "ci_high", "n"]].notna().all().all(), estimand
        assert (part["method"] != "").all()
    assert set(rows.loc[rows["estimand"] == "ex_to_cx_lagged", "outcome"]) == {"nps", "csat", "ces"}


def test_holm_is_applied_to_the_family(found):
    holm = found.holm
    assert len(holm) >= 10
    assert (holm["estimate"] >= holm["p_value"] - 1e-15).all()
    from statsmodels.stats.multitest import multipletests
    assert holm["estimate"].to_numpy() == pytest.approx(
        multipletests(holm["p_value"], method="holm")[1])


def test_findings_are_plain_sentences_with_intervals(found):
    sentences = linkage_findings.findings(found.tidy())
    assert len(sentences) >= 6
    assert all("CI" in s or "cannot be measured" in s for s in sentences)
    assert any("Taking the unit scores as exact, as most tools do, gives" in s for s in sentences)


def test_how_much_survey_noise_hid_is_said_only_of_a_clear_link():
    """A corrected link whose interval excludes zero, above the uncorrected one: "understates
    the link by about 40%"; a corrected link that could be zero claims no share."""
    def row(estimate, low, high):
        return pd.Series({"estimate": estimate, "ci_low": low, "ci_high": high,
                          "confidence": 0.95})
    clear = linkage_findings.hidden_sentence(row(0.5, 0.2, 0.8), row(0.3, 0.1, 0.5))
    assert "understates the link by about 40%" in clear, clear
    unclear = linkage_findings.hidden_sentence(row(0.5, -0.1, 1.1), row(0.3, 0.1, 0.5))
    assert "understates" not in unclear and "instead" in unclear, unclear


# ---------------------------------------------------------------- other pieces

def test_mediation_point_estimate_matches_pingouin():
    # pingouin docs: mediation_analysis(x='X', m='M', y='Y', seed=42) -> indirect 0.3565
    data = pg.read_dataset("mediation")
    ours = mediation.mediation(data, "X", "M", "Y", unit=None, time=None, within=False, n_boot=500)
    indirect = ours[ours["estimand"] == "mediation_indirect"].iloc[0]
    assert indirect["estimate"] == pytest.approx(0.3565, abs=5e-4)
    theirs = pg.mediation_analysis(data=data, x="X", m="M", y="Y", seed=42)
    assert indirect["estimate"] == pytest.approx(theirs.set_index("path").loc["Indirect", "coef"], rel=1e-10)
    assert indirect["ci_low"] > 0


def test_odds_ratio_and_verdict():
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(40)]})
    rng = np.random.default_rng(1)
    units["engagement_index"] = rng.normal(60, 8, 40)
    units["nps"] = units["engagement_index"] * 2 + rng.normal(0, 1, 40)  # nearly perfect link
    panel = pd.concat([units.assign(t=0), units.assign(t=1)])
    row = correlation.top_cx_engagement_odds_ratio(panel).iloc[0]
    table = np.array(row["table"])
    assert table.sum() == 40 and table[0, 1] == 0  # no top-NPS unit has low engagement
    assert row["ci_high"] > 5 and row["verdict"] in ("consistent with the claim", "higher than claimed")


def test_minimum_detectable_effect():
    assert power.minimum_detectable_effect(1.0) == pytest.approx(1.959964 + 0.841621, abs=1e-5)
    assert 0.22 < power.minimum_detectable_correlation(150) < 0.24


def _simulated_panel(rng, n_units=150, n_periods=8, gamma=0.6):
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    x = rng.normal(66, 7, n_units)[unit] + rng.normal(0, 1, n_periods)[t] + rng.normal(0, 4, len(t))
    u = np.zeros(len(t))
    shocks = rng.normal(0, 1, len(t)) * rng.uniform(6, 14, n_units)[unit]  # unequal noise by unit
    for p in range(n_periods):  # serially correlated errors within a unit
        here = t == p
        u[here] = shocks[here] + (0.4 * u[t == p - 1] if p else 0)
    x_prev = np.where(t > 0, np.roll(x, 1), np.nan)
    y = rng.normal(25, 15, n_units)[unit] + rng.normal(0, 2, n_periods)[t] + gamma * x_prev + u
    return pd.DataFrame({"unit_id": unit, "t": t, "engagement_index": x, "nps": y})


@pytest.mark.calibration
def test_interval_coverage_of_ex_to_cx_lagged_is_nominal():
    rng = np.random.default_rng(2024)
    reps, covered = 250, 0
    for _ in range(reps):
        panel = _simulated_panel(rng)
        row = linkage.lagged_effects(panel, "ex_to_cx", ["nps"], exclude=None).iloc[0]
        covered += row["ci_low"] <= 0.6 <= row["ci_high"]
    assert 0.92 <= covered / reps <= 0.98, covered / reps


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pingouin", "ignore:The inplace keyword")
def test_repeated_measures_correlation_equals_pingouin_rm_corr():
    # pingouin's own example data (Bakdash & Marusich 2017, 'rm_corr': 3 visits of 47 subjects)
    data = pg.read_dataset("rm_corr")
    r, dof, p = correlation.repeated_measures_correlation(data, "pH", "PacO2", "Subject")
    reference = pg.rm_corr(data=data, x="pH", y="PacO2", subject="Subject")
    assert r == pytest.approx(float(reference["r"].iloc[0]), abs=1e-10)
    assert dof == int(reference["dof"].iloc[0])
    assert p == pytest.approx(float(reference["pval"].iloc[0]), rel=1e-8)
    assert r == pytest.approx(-0.507, abs=0.001)  # the value published in the rmcorr paper


def test_leave_one_unit_out_refits_the_most_influential_units_exactly():
    rng = np.random.default_rng(3)
    units, periods = 60, 6
    frame = pd.DataFrame({"unit_id": np.repeat(np.arange(units), periods),
                          "y_time": np.tile(np.arange(periods), units)})
    frame["x"] = rng.normal(size=len(frame)) + np.repeat(rng.normal(size=units), periods)
    frame["y"] = 0.5 * frame["x"] + rng.normal(size=len(frame))
    # one unit with a strong contrary relationship: it must top the list
    odd = frame["unit_id"] == 17
    frame.loc[odd, "x"] = np.linspace(-4, 4, periods)
    frame.loc[odd, "y"] = -3 * frame.loc[odd, "x"]
    every = fixed_effects.leave_one_unit_out(frame, "y", "x", max_refits=units)
    assert (every["method"] == "refit").all() and len(every) == units
    few = fixed_effects.leave_one_unit_out(frame, "y", "x", max_refits=10)
    assert few["unit_id"].iloc[0] == every["unit_id"].iloc[0] == 17
    # the ten refitted are exact, and they are the ten that matter most
    refitted = few[few["method"] == "refit"].set_index("unit_id")["change"]
    exact = every.set_index("unit_id")["change"]
    assert len(refitted) == 10
    np.testing.assert_allclose(refitted, exact.loc[refitted.index], rtol=1e-9)
    assert set(refitted.index) == set(every["unit_id"].head(10))
    # the deletion formula is close for the rest (period effects held fixed)
    rest = few[few["method"] == "deletion_formula"].set_index("unit_id")["change"]
    np.testing.assert_allclose(rest, exact.loc[rest.index], atol=0.01)


def test_unit_trajectories_are_per_unit_least_squares_slopes():
    rng = np.random.default_rng(8)
    panel = pd.DataFrame({"unit_id": np.repeat([f"U{i}" for i in range(40)], 8),
                          "t": np.tile(np.arange(8), 40)})
    panel["unit_type"], panel["region"] = "store", "North"
    panel[vocabulary.EX_MEASURE] = rng.normal(60, 5, len(panel))
    panel["nps"] = rng.normal(20, 10, len(panel))
    panel.loc[rng.random(len(panel)) < 0.3, vocabulary.EX_MEASURE] = np.nan
    panel.loc[rng.random(len(panel)) < 0.3, "nps"] = np.nan
    got = correlation.unit_trajectories(panel, "nps").set_index("unit_id")
    expected = {}
    for unit, group in panel.dropna(subset=[vocabulary.EX_MEASURE]).groupby("unit_id"):
        cx = group.dropna(subset=["nps"])
        if len(group) >= 3 and len(cx) >= 3:
            expected[unit] = (np.polyfit(group["t"], group[vocabulary.EX_MEASURE], 1)[0],
                              np.polyfit(cx["t"], cx["nps"], 1)[0])
    assert sorted(got.index) == sorted(expected) and 0 < len(expected) < 40
    for unit, (ex_slope, cx_slope) in expected.items():
        assert got.loc[unit, "ex_change"] == pytest.approx(ex_slope, abs=1e-10)
        assert got.loc[unit, "cx_change"] == pytest.approx(cx_slope, abs=1e-10)


def test_direction_is_never_claimed_when_the_placebo_is_significant():
    """A clear H2 reads as 'better EX, then better CX' only with a null placebo (issue 14.6)."""

    row = lambda low, high: {"ci_low": low, "ci_high": high}  # noqa: E731
    clear, null = row(0.2, 0.9), row(-0.1, 0.3)
    assert direction_reading(clear, null, null).endswith("'better EX, then better CX'.")
    said = direction_reading(clear, null, row(0.05, 0.4))
    assert "not evidence of direction" in said and "better EX, then" not in said
    assert "both ways" in direction_reading(clear, row(0.01, 0.1), null)
    assert direction_reading(null, clear, clear) == "not distinguishable from no link."
    results = pd.DataFrame([
        {"analysis": "linkage", "estimand": "ex_to_cx_lagged", "outcome": "nps",
         "term": "engagement_index", "estimate": 0.5, "ci_low": 0.2, "ci_high": 0.8},
        {"analysis": "linkage", "estimand": "ex_lead_placebo", "outcome": "nps",
         "term": "engagement_index_lead", "estimate": 0.3, "ci_low": 0.05, "ci_high": 0.55}])
    summary = " ".join(ex_cx_answer(results))
    assert "not evidence of direction" in summary and "then better CX" not in summary


def test_too_little_data_is_a_row_and_a_bug_is_an_error():
    """A link the data cannot support is a 'not estimated' row with the reason; a mistake in
    the call (a column the panel does not have) is raised, not turned into such a row
    (issue 35: `ParameterError` was caught for both)."""
    from cxex_analysis.simulation import latent

    panel = latent.generate(latent.LatentWorld(units=40, waves=8, seed=1))["quarterly"]
    panel = panel.assign(pilot_active=False)
    row = linkage.corrected_effects(panel.iloc[:40], "ex_to_cx", ["nps"]).iloc[0]  # 5 units
    assert np.isnan(row["estimate"]) and row["method"].startswith("not estimated: "), row
    assert "ten units" in row["method"]
    lagged = linkage.corrected_effects(panel, "ex_to_cx", ["nps"], lag=2).iloc[0]
    assert lagged["method"] == ("not estimated: the noise-corrected lagged links are estimated "
                                "for a lag of one period")
    with pytest.raises(ParameterError, match="not in the data"):
        linkage.corrected_effects(panel.drop(columns="nps_b"), "ex_to_cx", ["nps"])

