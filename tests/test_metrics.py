"""Metric statistics pinned to their closed forms and to pingouin, and recovered from truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators import intervals
from cxex_analysis.estimators.intervals import nps_variance
from cxex_analysis.panels import periods, respondent_scores, unit_panels
from cxex_analysis.panels.respondent_scores import respondent_engagement
from cxex_analysis.store import warehouse
from cxex_analysis.store.warehouse import customer_responses, employee_responses


def test_nps_se_is_the_trinomial_formula():
    # trinomial variance: Var(NPS) = [p + d - (p - d)^2] / n, x 100^2
    r = intervals.nps_interval(promoters=50, detractors=20, n=100, interval="wald")
    assert r["estimate"] == pytest.approx(30.0)
    assert r["se"] == pytest.approx(100 * math.sqrt((0.5 + 0.2 - 0.3 ** 2) / 100), rel=1e-12)
    assert r["se"] == pytest.approx(7.8102496759, rel=1e-9)
    z = stats.norm.ppf(0.975)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((30 - z * r["se"], 30 + z * r["se"]))
    assert r["method"] == "nps_trinomial_wald"


def test_nps_adjusted_wald_for_small_n():
    # Rocks (2016): add 3 to n and 3/4 to promoters and detractors
    r = intervals.nps_interval(promoters=5, detractors=2, n=10)
    assert r["method"] == "nps_trinomial_adjusted_wald"
    p, d, n = 5.75 / 13, 2.75 / 13, 13
    half = stats.norm.ppf(0.975) * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert r["estimate"] == pytest.approx(30.0)  # the estimate itself is not adjusted
    assert r["ci_low"] == pytest.approx(100 * (p - d) - half)
    assert r["ci_high"] == pytest.approx(100 * (p - d) + half)


def test_nps_interval_never_leaves_its_scale():
    r = intervals.nps_interval(promoters=4, detractors=0, n=4)
    assert -100 <= r["ci_low"] and r["ci_high"] <= 100


def test_wilson_interval_matches_the_closed_form():
    r = intervals.proportion_interval(successes=8, n=10)
    z = stats.norm.ppf(0.975)
    p, n = 0.8, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((100 * (centre - half), 100 * (centre + half)))


def test_metric_functions_on_a_hand_example():
    data = pd.DataFrame({"nps": [10, 9, 8, 3, None, 0], "csat": [5, 4, 4, 1, 2, None],
                         "ces": [7, 6, 5, 4, 1, None], "g": list("aaabbb")})
    out = respondent_scores.nps(data).iloc[0]
    assert out["estimate"] == pytest.approx(100 * (2 - 2) / 5) and out["n"] == 5
    assert respondent_scores.csat(data).iloc[0]["estimate"] == pytest.approx(60.0)
    ces = respondent_scores.ces(data).set_index("outcome")
    assert ces.loc["ces", "estimate"] == pytest.approx(4.6)
    assert ces.loc["ces_top3", "estimate"] == pytest.approx(60.0)
    by = respondent_scores.nps(data, by="g").set_index("g")
    assert by.loc["a", "estimate"] == pytest.approx(100 * 2 / 3)
    assert by.loc["a", "subject"] == "g=a"


def test_tidy_schema_columns_come_first():
    data = pd.DataFrame({"nps": [10, 9, 0], "g": ["a", "a", "b"]})
    frame = respondent_scores.nps(data, by="g")
    assert list(frame.columns[:13]) == ["analysis", "estimand", "subject", "outcome", "term",
                                        "estimate", "se", "ci_low", "ci_high", "p_value",
                                        "confidence", "n", "method"]
    assert (frame["confidence"] == 0.95).all()


def test_engagement_index_and_pct_favourable_by_hand():
    data = pd.DataFrame({"eng_a": [5, 3, 1, 4, 4], "eng_b": [5, None, 1, 4, 2],
                         "eng_c": [5, 3, 1, 4, 3]})
    ei = respondent_scores.engagement_index(data, min_group_size=5).iloc[0]
    per_person = [(5 - 1) / 4 * 100, (3 - 1) / 4 * 100, 0.0, 75.0, (3 - 1) / 4 * 100]
    assert ei["estimate"] == pytest.approx(np.mean(per_person))
    assert ei["se"] == pytest.approx(np.std(per_person, ddof=1) / math.sqrt(5))
    fav = respondent_scores.pct_favourable(data, min_group_size=5).iloc[0]
    assert fav["estimate"] == pytest.approx(100 * 7 / 14)  # answers of 4-5 out of 14 answered


def test_cronbach_alpha_matches_pingouin_and_the_formula(con):
    employees = warehouse.employee_responses(con)
    items = [c for c in employees.columns if c.startswith("eng_")]
    ours = respondent_scores.cronbach_alpha(employees).iloc[0]
    alpha, ci = pg.cronbach_alpha(data=employees[items].astype(float), ci=0.95)
    assert ours["estimate"] == pytest.approx(alpha, rel=1e-12)
    assert (ours["ci_low"], ours["ci_high"]) == pytest.approx(tuple(ci))
    complete = employees[items].dropna().astype(float)
    k = len(items)
    by_hand = k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))
    listwise = respondent_scores.cronbach_alpha(complete).iloc[0]["estimate"]
    assert listwise == pytest.approx(by_hand, rel=1e-10)
    assert 0.7 < ours["estimate"] < 0.95


def test_employee_metrics_hide_small_groups():
    data = pd.DataFrame({"team": ["big"] * 6 + ["small"] * 3,
                         "eng_a": [4] * 9, "eng_b": [5] * 9, "eng_c": [3] * 9, "enps": [9] * 9})
    for function in (respondent_scores.engagement_index, respondent_scores.pct_favourable, respondent_scores.enps,
                     respondent_scores.cronbach_alpha):
        frame = function(data, by="team").set_index("team")
        assert frame.loc["small", "suppressed"]
        assert frame.loc["small", ["estimate", "se", "ci_low", "ci_high", "n"]].isna().all()
        assert "fewer than 5" in frame.loc["small", "method"]


def test_complement_of_a_hidden_group_is_hidden_too():
    # A has 12, B has 6, C has 3 (hidden): showing A and B and the total would reveal C
    data = pd.DataFrame({"team": ["A"] * 12 + ["B"] * 6 + ["C"] * 3,
                         "eng_a": [4] * 21, "eng_b": [5] * 21, "eng_c": [3] * 21})
    frame = respondent_scores.engagement_index(data, by="team").set_index("team")
    assert frame.loc["C", "suppressed"] and frame.loc["B", "suppressed"]
    assert not frame.loc["A", "suppressed"]
    assert "subtraction" in frame.loc["B", "method"]


def test_bad_parameters_raise_clear_errors():
    data = pd.DataFrame({"nps": [10]})
    with pytest.raises(ParameterError, match="`interval` must be one of"):
        respondent_scores.nps(data, interval="exact")
    with pytest.raises(ParameterError, match="`confidence`"):
        respondent_scores.nps(data, confidence=95)
    with pytest.raises(ParameterError, match="not in the data"):
        respondent_scores.nps(data, by="region")
    with pytest.raises(ParameterError, match="min_group_size"):
        respondent_scores.engagement_index(pd.DataFrame({"eng_a": [1]}), min_group_size=0)


# ------------------------------------------------------------------ recovery from truth

def test_planted_invalid_rows_are_exactly_the_quarantine(con, truth):
    counts = dict(con.execute("SELECT table_name, count(*) FROM quarantine GROUP BY 1").fetchall())
    for table, planted in truth["planted_invalid_rows"].items():
        assert counts.get(table, 0) == planted
    assert con.execute("SELECT count(*) FROM customer_survey").fetchone()[0] == \
        truth["counts"]["customer_responses"]
    assert con.execute("SELECT count(*) FROM employee_survey").fetchone()[0] == \
        truth["counts"]["employee_responses"]


def test_ex_panel_recovers_the_planted_engagement_by_wave(con, truth):
    panel = unit_panels.ex_panel(con, min_group_size=1)
    big = panel[~panel["unit_id"].isin(truth["small_units"])]
    by_wave = big.groupby("wave")["engagement_index"].mean().to_numpy()
    assert by_wave == pytest.approx([truth["expected_ei_by_wave"][str(q)] for q in range(8)],
                                    rel=1e-12)


def test_small_teams_are_suppressed_in_the_panel(con, truth):
    panel = unit_panels.ex_panel(con)
    suppressed_units = set(panel.loc[panel["suppressed"], "unit_id"])
    assert set(truth["small_units"]) <= suppressed_units
    assert panel.loc[panel["suppressed"], "engagement_index"].isna().all()


def test_panels_recover_the_planted_between_unit_correlations(con, truth):
    cx = unit_panels.cx_panel(con, "quarter")
    ex = unit_panels.ex_panel(con, min_group_size=1)
    big = ~ex["unit_id"].isin(truth["small_units"])
    unit_ex = ex[big].groupby("unit_id")["engagement_index"].mean()
    unit_cx = cx.groupby("unit_id")[["nps", "csat"]].mean().loc[unit_ex.index]
    realised = truth["linkage"]["realised_between_unit_correlation"]
    assert np.corrcoef(unit_ex, unit_cx["nps"])[0, 1] == pytest.approx(
        realised["engagement_index_vs_nps"], abs=1e-9)
    assert np.corrcoef(unit_ex, unit_cx["csat"])[0, 1] == pytest.approx(
        realised["engagement_index_vs_csat"], abs=1e-9)
    out = unit_panels.outcomes_panel(con, "month")
    exits = out.groupby("unit_id")[["employees_left", "employees"]].sum()
    exit_rate = (exits["employees_left"] / exits["employees"]).loc[unit_ex.index]
    assert np.corrcoef(unit_ex, exit_rate)[0, 1] == pytest.approx(
        realised["engagement_index_vs_exit_rate"], abs=1e-9)


def test_cx_panel_nps_se_is_trinomial(con):
    cx = unit_panels.cx_panel(con, "month").dropna(subset=["nps"]).iloc[:50]
    p = cx["promoters"] / cx["nps_n"]
    d = cx["detractors"] / cx["nps_n"]
    expected = 100 * np.sqrt((p + d - (p - d) ** 2) / cx["nps_n"])
    assert cx["nps_se"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)


def test_quarterly_metric_by_region_agrees_with_the_panel(con):
    customers = periods.with_period(warehouse.customer_responses(con), "responded_at", "quarter")
    by = respondent_scores.nps(customers, by="region", over="quarter")
    panel = unit_panels.cx_panel(con, "quarter").merge(
        con.execute("SELECT unit_id, region FROM units").df(), on="unit_id")
    totals = panel.groupby(["region", "period"])[["promoters", "detractors", "nps_n"]].sum()
    first = by.iloc[0]
    row = totals.loc[(first["region"], pd.Timestamp(first["quarter"]))]
    assert first["estimate"] == pytest.approx(100 * (row["promoters"] - row["detractors"]) / row["nps_n"])


def test_panel_scores_carry_their_sampling_errors(con):
    """Every unit-period score carries its sampling SE (closed forms; issue 14.1)."""

    ex = unit_panels.ex_panel(con).dropna(subset=["engagement_index"])
    row = ex.sort_values("respondents").iloc[len(ex) // 2]
    people = employee_responses(con)
    people = people[(people["unit_id"] == row["unit_id"]) & (people["wave"] == row["wave"])]
    index = respondent_engagement(people)
    assert row["engagement_index_se"] == pytest.approx(index.std(ddof=1) / np.sqrt(len(index)), rel=1e-9)
    answers = people["enps"].dropna()
    p, d = (answers >= 9).mean(), (answers <= 6).mean()
    assert row["enps_se"] == pytest.approx(100 * np.sqrt(nps_variance(p, d, len(answers))), rel=1e-9)
    assert ex.loc[ex["suppressed"], "engagement_index_se"].isna().all()

    cx = unit_panels.cx_panel(con, "month")
    row = cx[cx["csat_n"] > 10].iloc[7]
    answers = customer_responses(con, ["unit_id", "responded_at", "csat", "ces"])
    month = answers[(answers["unit_id"] == row["unit_id"])
                    & (answers["responded_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time
                       == pd.Timestamp(row["period"]))]
    share = (month["csat"].dropna() >= 4).mean()
    assert row["csat_se"] == pytest.approx(100 * np.sqrt(share * (1 - share) / month["csat"].count()), rel=1e-9)
    assert row["ces_se"] == pytest.approx(month["ces"].std(ddof=1) / np.sqrt(month["ces"].count()), rel=1e-9)


def test_random_halves_split_each_unit_periods_respondents_in_two(con):
    """The two halves are a seeded partition: each employee of a unit keeps one half in every
    wave (the unit's people ordered by md5(employee_key || seed), alternated); recomputed
    here by hand for one unit-wave, and the same person is in the same half in every wave."""
    import hashlib


    halves = unit_panels.ex_halves(con).dropna(subset=["engagement_index_a"])
    row = halves.iloc[len(halves) // 3]
    everyone = employee_responses(con)
    staff = everyone.loc[everyone["unit_id"] == row["unit_id"], "employee_key"].dropna().unique()
    order = sorted(staff, key=lambda k: hashlib.md5(f"{k}{unit_panels.HALF_SEED}".encode()).hexdigest())
    # row_number starts at 1: odd positions (1, 3, …) are half 1 (b), even ones half 0 (a)
    half_a = set(order[1::2])
    wave = everyone[(everyone["unit_id"] == row["unit_id"]) & (everyone["wave"] == row["wave"])]
    index = respondent_engagement(wave).to_numpy()
    in_a = wave["employee_key"].isin(half_a).to_numpy()
    assert row["engagement_index_a"] == pytest.approx(index[in_a].mean(), rel=1e-9)
    assert row["engagement_index_b"] == pytest.approx(index[~in_a].mean(), rel=1e-9)
    assert 0 < in_a.sum() < len(in_a)


def test_changes_are_marked_after_benjamini_hochberg_as_in_the_1995_paper():
    # Benjamini & Hochberg (1995), section 4: 15 p-values; the step-up procedure at q = 0.05
    # rejects the four smallest (Bonferroni would reject three)
    from cxex_analysis.analyses.changes import marked

    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    table = pd.DataFrame({"p_value": p, "estimate": [-1.0] * 15})
    out = marked(table, confidence=0.95)
    assert (out["mark"] == "▼ worse").sum() == 4 and (out["mark"].iloc[:4] == "▼ worse").all()


def test_a_planted_drop_in_one_item_is_the_change_marked():
    from cxex_analysis.analyses.changes import since_last_survey

    rng = np.random.default_rng(11)
    rows = []
    for wave, tools in (("2025-03-31", 0.75), ("2025-09-30", 0.50)):  # a 25-point drop in tools
        for _ in range(600):
            answer = {item: (5 if rng.random() < 0.7 else 2) for item in ("eng_manager", "eng_growth")}
            answer["eng_tools"] = 5 if rng.random() < tools else 2
            rows.append({"wave": pd.Timestamp(wave), **answer, "enps": np.nan})
    changes = since_last_survey(pd.DataFrame(rows), None).set_index("outcome")
    assert changes.loc["eng_tools", "mark"] == "▼ worse"
    assert changes.loc["eng_tools", "ci_low"] < -25 < changes.loc["eng_tools", "ci_high"]
    assert (changes.drop(index=["eng_tools", "engagement_index", "pct_favourable"])["mark"] == "").all()
