"""Return on experience: a hand calculation, metamorphic properties, finance-file errors,
and the notebook's inputs read from recorded results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import linkage, pilots, rox
from cxex_analysis.analyses.customer_value import customer_value
from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators import value_model
from cxex_analysis.estimators.finance import DEFAULT_FINANCE, in_registry_currency, load_finance
from cxex_analysis.estimators.value_model import Quantity
from cxex_analysis.narrative import value_findings
from cxex_analysis.narrative.summary_findings import value_answers
from cxex_analysis.panels import linkage_panels, unit_economics
from cxex_analysis.simulation import demo_files
from cxex_analysis.simulation.demo_parameters import DemoParameters
from cxex_analysis.store import ingest, warehouse


def simple_inputs(**changes) -> value_model.Inputs:
    return rox.example_inputs(**changes)


def test_without_uncertainty_the_model_equals_a_hand_calculation():
    result = value_model.deterministic(simple_inputs().certain())
    units, customers, employees = 10, 10 * 1000.0, 10 * 20.0
    # per month (no ramp, no discounting), two months
    turnover = 0.002 * 3.0 * employees * 30000 * 0.2            # 720
    clv = 0.4 * 50.0 * 1.0 / (1.0 - 0.98)                       # 1000
    retention = 0.001 * 2.0 * customers * clv                  # 20000
    revenue = 0.5 * 2.0 * customers * 0.4                      # 4000
    cost_to_serve = 1.0 * customers / 1000 * 10.0               # 100
    benefit = 2 * (turnover + retention + revenue + cost_to_serve)
    cost = 1000.0 + 50.0 * units + 2 * 100.0 * units            # 3500
    assert result["value_turnover"] == pytest.approx(2 * turnover)
    assert result["value_retention"] == pytest.approx(2 * retention)
    assert result["value_total"] == pytest.approx(benefit)
    assert result["cost_total"] == pytest.approx(cost)
    assert result["npv"] == pytest.approx(benefit - cost)
    assert result["roi"] == pytest.approx((benefit - cost) / cost)
    assert result["payback_months"] == 1.0


def test_monte_carlo_with_no_uncertainty_collapses_to_the_hand_calculation():
    inputs = simple_inputs().certain()
    draws = value_model.monte_carlo(inputs, draws=1000)
    assert draws["npv"].std() == pytest.approx(0, abs=1e-6)
    summary = value_model.summarise(draws, inputs).set_index("estimand")
    assert summary.loc["npv", "estimate"] == pytest.approx(value_model.deterministic(inputs)["npv"])
    assert summary.loc["npv", "ci_low"] == pytest.approx(summary.loc["npv", "ci_high"])


def test_higher_cost_lowers_roi():
    cheap = value_model.deterministic(simple_inputs().certain())["roi"]
    dear_programme = {**simple_inputs().programme, "cost_per_unit_month": Quantity(300.0)}
    dear = value_model.deterministic(simple_inputs(programme=dear_programme).certain())["roi"]
    assert dear < cheap
    mc_cheap = value_model.monte_carlo(simple_inputs(), draws=2000, seed=1)["roi"].median()
    mc_dear = value_model.monte_carlo(simple_inputs(programme=dear_programme), draws=2000, seed=1)["roi"].median()
    assert mc_dear < mc_cheap


def test_all_effects_zero_gives_minus_100_percent():
    zero = {k: Quantity(0.0) for k in value_model.EFFECTS}
    result = value_model.deterministic(simple_inputs(effects=zero).certain())
    assert result["roi"] == pytest.approx(-1.0)
    assert result["value_total"] == 0 and result["payback_months"] == np.inf


@pytest.mark.parametrize("effect", value_model.EFFECTS)
def test_raising_a_beneficial_effect_never_lowers_the_gross_benefit(effect):
    inputs = simple_inputs().certain()
    direction = -1.0 if effect == "repeat_contacts_per_1000" else 1.0  # fewer repeat contacts is better
    before = value_model.deterministic(inputs)["value_total"]
    for step in (0.1, 1.0, 10.0):
        raised = {**inputs.effects, effect: Quantity(inputs.effects[effect].value + direction * step)}
        after = value_model.deterministic(simple_inputs(effects=raised).certain())["value_total"]
        assert after >= before


def test_break_even_is_where_npv_crosses_zero():
    inputs = simple_inputs().certain()
    nps_star = value_model.break_even(inputs, "nps")
    at = {**inputs.effects, "nps": Quantity(nps_star)}
    assert value_model.deterministic(simple_inputs(effects=at).certain())["npv"] == pytest.approx(0, abs=1e-6)


def test_summary_has_the_required_ids_with_intervals():
    inputs = simple_inputs()
    summary = value_model.summarise(value_model.monte_carlo(inputs, draws=5000), inputs)
    for estimand in ("roi", "npv", "payback_months", "value_total"):
        row = summary[summary["estimand"] == estimand].iloc[0]
        assert row["method"].startswith("monte_carlo_5000")
        assert row["n"] == 5000
    npv = summary[summary["estimand"] == "npv"].iloc[0]
    assert npv["ci_low"] < npv["estimate"] < npv["ci_high"]
    assert 0 <= summary.loc[summary["estimand"] == "probability_roi_positive", "estimate"].iloc[0] <= 1


def test_tornado_and_scenarios_are_ordered():
    inputs = simple_inputs()
    table = value_model.tornado(inputs)
    assert table["swing"].is_monotonic_decreasing
    scen = value_model.scenarios(inputs).set_index("scenario")["npv"]
    assert scen["conservative"] <= scen["expected"] <= scen["optimistic"]


def test_finance_file_errors_are_clear(tmp_path):
    defaults = load_finance()
    assert defaults["assumptions"]["replacement_cost_fraction"].value == pytest.approx(0.21)
    bad = tmp_path / "f.yaml"
    bad.write_text("currency: EUR\ngross_margin: {value: 1.5}\n")
    with pytest.raises(ParameterError, match="missing assumption"):
        load_finance(bad)
    text = (DEFAULT_FINANCE.read_text()
            .replace("gross_margin: {value: 0.35, low: 0.25, high: 0.45}",
                     "gross_margin: {value: 0.35, low: 0.4, high: 0.45}"))
    bad.write_text(text)
    with pytest.raises(ParameterError, match="low <= value <= high"):
        load_finance(bad)
    bad.write_text(DEFAULT_FINANCE.read_text().replace("horizon_months: 24", "horizon_months: soon"))
    with pytest.raises(ParameterError, match="horizon_months"):
        load_finance(bad)
    with pytest.raises(ParameterError, match="not found"):
        load_finance(tmp_path / "none.yaml")


def test_inputs_come_from_recorded_pilot_results(demo_warehouse):
    recorded = pd.DataFrame([{"analysis": "pilot", "estimand": "att", "subject": "P1",
                              "outcome": "nps", "term": "treatment", "estimate": 4.0, "se": 1.5,
                              "ci_low": 1, "ci_high": 7, "p_value": 0.01, "confidence": 0.95,
                              "n": 70, "method": "ancova"}])
    con = warehouse.connect(demo_warehouse)
    try:
        inputs = rox.build_inputs(con, recorded, "P1", load_finance())
        links = rox.estimate_links(con)
    finally:
        con.close()
    # valued shrunk toward zero (issue 36: a pilot that looked good overstates its effect),
    # the measured effect kept beside it
    assert inputs.measured_effects["nps"].value == 4.0 and inputs.measured_effects["nps"].se == 1.5
    assert 3.0 < inputs.effects["nps"].value < 4.0
    assert inputs.units == 70  # the pilot's unit types: call centres and branches
    # links estimated from the demo's months recover what was planted
    assert links["churn_per_nps"].bounds()[0] <= -0.0002 <= links["churn_per_nps"].bounds()[1]
    low, high = links["revenue_per_customer_per_nps"].bounds()
    assert low <= 0.15 <= high


def test_engagement_programme_uses_the_linkage_estimate(demo_warehouse):
    recorded = pd.DataFrame([{"analysis": "linkage", "estimand": "ex_to_cx_lagged", "subject": "all",
                              "outcome": "nps", "term": "engagement_index", "estimate": 0.6,
                              "se": 0.1, "ci_low": 0.4, "ci_high": 0.8, "p_value": 0.0,
                              "confidence": 0.95, "n": 600, "method": "twfe"}])
    con = warehouse.connect(demo_warehouse)
    try:
        inputs = rox.build_ex_programme_inputs(con, recorded, 5.0, load_finance())
    finally:
        con.close()
    assert inputs.effects["nps"].value == pytest.approx(3.0)
    assert inputs.effects["nps"].bounds() == pytest.approx((2.0, 4.0))  # 5 x the interval
    assert inputs.units == 150


# ---------------------------------------------------------------- links that cannot be valued

def _link_rows(**overrides) -> pd.DataFrame:
    """Corrected link rows as rox.link_estimates records them; ``overrides`` per term."""
    base = {"churn_per_nps": (-0.0002, -0.0003, -0.0001),
            "revenue_per_customer_per_nps": (0.15, 0.05, 0.40),
            "exit_rate_per_ei": (-0.0002, -0.0004, -0.00001)}
    base.update(overrides)
    rows = []
    for term, (estimate, low, high) in base.items():
        rows.append({"analysis": "rox", "estimand": "link", "subject": "all", "term": term,
                     "estimate": estimate, "ci_low": low, "ci_high": high, "n": 400,
                     "bounded": bool(np.isfinite(low)), "method": "split_half_iv_within",
                     "expected_sign": rox.LINK_SPECS[term][2]})
    return pd.DataFrame(rows)


def test_an_asymmetric_link_interval_is_carried_into_the_simulation():
    """The Anderson-Rubin interval of a weakly measured link is asymmetric; the money model
    draws it from a two-piece normal whose 2.5% and 97.5% points are the interval's ends."""
    q = Quantity.from_interval(0.15, 0.05, 0.40)
    draws = q.draw(np.random.default_rng(0), 400_000)
    assert np.percentile(draws, [2.5, 97.5]) == pytest.approx([0.05, 0.40], abs=0.003)
    assert q.bounds() == pytest.approx((0.05, 0.40))
    assert np.median(draws) < np.mean(draws)  # longer upper tail, as the interval


def test_an_unbounded_or_wrong_signed_link_is_left_out_and_said_so():
    links, unusable, notes = rox.links_from(_link_rows(
        revenue_per_customer_per_nps=(0.3, np.nan, np.nan),      # unbounded: not informative
        churn_per_nps=(0.0004, 0.0001, 0.0008)))                 # more NPS, more churn
    assert unusable == ["churn_per_nps", "revenue_per_customer_per_nps"]
    assert links["churn_per_nps"].value == 0 and links["revenue_per_customer_per_nps"].value == 0
    assert links["exit_rate_per_ei"].value == pytest.approx(-0.0002)
    assert any("unexpected sign" in n and "not counted as a loss" in n for n in notes)
    assert any("cannot be estimated" in n and "partial" in n for n in notes)


def test_no_roi_is_printed_when_no_channel_can_be_valued():
    links, unusable, _ = rox.links_from(_link_rows(
        revenue_per_customer_per_nps=(0.3, np.nan, np.nan),
        churn_per_nps=(-0.001, np.nan, np.nan)))
    inputs = simple_inputs(links=links, unusable_links=unusable,
                           effects={"nps": Quantity(2.0, se=0.5)})
    summary = value_model.summarise(value_model.monte_carlo(inputs, draws=2000), inputs)
    assert set(summary["estimand"]) == {"not_valued"}
    sentences = value_findings.findings(summary, inputs)
    assert "cannot be told" in sentences[0] and "Return on investment" not in " ".join(sentences)
    # with the engagement channel valued there is still no return counting the other two as
    # worth nothing: what each must be worth for the programme to pay for itself (issue 36)
    inputs = simple_inputs(links=links, unusable_links=unusable)
    _, summary = rox.simulate(inputs, draws=2000, seed=0)
    assert not {"roi", "npv", "payback_months", "probability_roi_positive"} & set(summary["estimand"])
    assert set(summary.loc[summary["estimand"] == "value_driver", "term"]) == {"turnover", "cost_to_serve"}
    needed = summary[summary["estimand"] == "break_even"].set_index("term")
    assert set(needed.index) == {"churn_per_nps", "revenue_per_customer_per_nps"}
    for link, row in needed.iterrows():  # closed form: the net present value is zero there
        at = value_model.deterministic(replace(inputs, links={**inputs.links,
                                                              link: Quantity(row["estimate"])}))
        assert at["npv"] == pytest.approx(0.0, abs=1e-6)
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
    sentences = value_findings.findings(summary, inputs)
    assert sentences[0].startswith("Scaling ") and "pays for itself if one NPS point" in sentences[0]
    assert "Return on investment" not in " ".join(sentences)
    from cxex_analysis.narrative.summary_findings import value_answers
    said = value_answers(summary.assign(subject="P1"))
    assert said and all("pays for itself if" in s for s in said)


def test_one_currency_for_the_report(con, tmp_path):
    """Costs come from the registry, salaries from the finance assumptions: one currency. The
    packaged defaults are illustrative and follow the registry; a file of the organisation's
    own must agree with it, or nothing is valued and the reason is said (issue 32: a US
    registry without a finance file stopped notebook 03)."""
    assert unit_economics.registry_currencies(con) == ["EUR"]  # the demo registry
    defaults = load_finance()
    same, said = in_registry_currency(defaults, ["EUR"])
    assert same["assumptions"]["annual_salary"].value == 32000 and same["currency"] == "EUR"
    assert "illustrative defaults" in said and "per EUR" not in said
    dollars, said = in_registry_currency(defaults, ["USD"])
    salary = dollars["assumptions"]["annual_salary"]
    assert (salary.value, salary.low, salary.high) == (37000, 32000, 44000)  # × 1.16, 2 figures
    assert dollars["programme"]["one_off_cost"].value == 120000
    assert dollars["assumptions"]["gross_margin"] == defaults["assumptions"]["gross_margin"]
    assert dollars["programme"]["ramp_months"] == defaults["programme"]["ramp_months"]
    assert dollars["currency"] == "USD" and "about 1.16 USD per EUR" in said
    yen, _ = in_registry_currency(defaults, ["JPY"])
    assert yen["assumptions"]["annual_salary"].value == 5_600_000
    assert in_registry_currency(defaults, [])[0]["currency"] == "EUR"  # no currency column
    # two currencies, an unknown one without a file, a file that disagrees: nothing valued
    for currencies, words in ((["GBP", "USD"], "gives costs in GBP and USD"),
                              (["XTS"], "no rate for XTS")):
        nothing, why = in_registry_currency(defaults, currencies)
        assert nothing is None and words in why
    own = tmp_path / "our_finance.yaml"
    own.write_text(DEFAULT_FINANCE.read_text())
    nothing, why = in_registry_currency(load_finance(own), ["USD"])
    assert nothing is None
    assert "pilots.csv gives the pilots' costs in USD, but the finance file our_finance.yaml is in EUR" in why
    own.write_text(DEFAULT_FINANCE.read_text().replace("currency: EUR", "currency: usd"))
    kept, said = in_registry_currency(load_finance(own), ["USD"])
    assert kept["assumptions"]["annual_salary"].value == 32000 and said == ""  # used as it is


def test_the_summary_says_how_much_survey_noise_hides_of_the_money_links():
    rows = pd.concat([_link_rows().assign(bounded=True),
                      _link_rows(revenue_per_customer_per_nps=(0.03, 0.02, 0.04),
                                 churn_per_nps=(-0.00005, -0.00007, -0.00003)).assign(
                          estimand="link_uncorrected")], ignore_index=True)
    note = rox.noise_note(rows)
    assert "revenue per customer per NPS point by about 80%" in note
    assert "customers lost per NPS point by about 75%" in note


def test_an_organisation_whose_money_links_cannot_be_measured_gets_break_even_rows(tmp_path):
    """Issue 36: a demo organisation with three customer answers a unit-month and no CRM —
    the unit-level revenue and leaving links are unbounded — values the pilot and the
    engagement programme with a break-even for each link, no return and no chance of a
    positive return, and the executive summary says what a point must be worth."""
    params = replace(DemoParameters(seed=11), comment_share_customer=0.05,
                     comment_share_employee=0.05, monthly_responses_by_type={
                         "store": 3.0, "branch": 3.0, "call_centre": 6.0, "team": 2.0})
    demo_files.generate(tmp_path / "data", params)
    (tmp_path / "data" / "customer_outcomes.csv").unlink()
    ingest.ingest(tmp_path / "data", tmp_path / "w.duckdb")
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        recorded = pd.concat(  # what notebooks 01 and 02 record
            [linkage.corrected_effects(linkage_panels.build_panel(con), "ex_to_cx", ["nps"])]
            + [pilots.analyse(con, p, ["nps", "engagement_index", "repeat_contacts_per_1000"],
                              n_boot=99).tidy() for p in ("P1", "P2")])
        valued = rox.what_to_value(con, recorded, "", load_finance(None), 5.0,
                                   customers=customer_value(con))
    finally:
        con.close()
    links = valued.links[valued.links["estimand"] == "link"].set_index("term")
    assert not links.loc[["churn_per_nps", "revenue_per_customer_per_nps"], "bounded"].any()
    summaries = [rox.simulate(inputs, draws=2000, seed=0, subject=subject)[1]
                 for inputs, subject in ((valued.main, valued.subject),
                                         (valued.programme, "ex_programme"))]
    for summary in summaries:
        assert set(summary.loc[summary["estimand"] == "break_even", "term"]) == {
            "churn_per_nps", "revenue_per_customer_per_nps"}
        assert not {"roi", "npv", "probability_roi_positive"} & set(summary["estimand"])
    said = value_answers(pd.concat(summaries))
    assert len(said) == 4 and all(" pays for itself if one NPS point " in s for s in said)
    assert said[0].startswith("Scaling P1") and said[2].startswith("An engagement programme")
