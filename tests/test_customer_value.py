"""Customer value from keyed answers joined to the CRM (issue 36, item 2): a planted
organisation written as files, ingested, and read back as retention and revenue by NPS
category and the customer-level revenue link."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import rox
from cxex_analysis.analyses.customer_value import (
    customer_value,
    lifetime_revenue_by_category,
    retention_curves,
    revenue_per_nps_point,
)
from cxex_analysis.panels.customer_panels import answers_with_money
from cxex_analysis.results import tidy
from cxex_analysis.simulation import customer_world
from cxex_analysis.store import ingest, warehouse


def _rows(tmp_path, drop_csat: bool = False, seed: int = 3, target=None):
    world = customer_world.generate(customer_world.CustomerWorld(units=20, seed=seed))
    folder = customer_world.write_files(world, tmp_path / "data")
    if drop_csat:
        survey = folder / "customer_survey.csv"
        pd.read_csv(survey).drop(columns="csat").to_csv(survey, index=False)
    target = target or tmp_path / "w.duckdb"
    ingest.ingest(folder, target)
    con = warehouse.connect(target)
    try:
        return customer_value(con), world["truth"]
    finally:
        con.close()


def test_keyed_answers_and_the_crm_give_retention_revenue_and_the_customer_link(tmp_path):
    rows, truth = _rows(tmp_path)
    retention = rows[rows["estimand"] == "retention_by_nps_category"].set_index("term")
    assert list(retention.index) == ["promoter", "passive", "detractor", "promoter - detractor"]
    assert retention.loc["promoter", "estimate"] > retention.loc["detractor", "estimate"]
    assert retention.loc["promoter - detractor", "ci_low"] > 0  # planted: the satisfied stay
    assert (retention["ci_low"] < retention["estimate"]).all()
    revenue = rows[rows["estimand"] == "revenue_by_nps_category"].set_index("term")
    assert revenue.loc["promoter", "estimate"] > revenue.loc["detractor", "estimate"]
    link = rows[rows["estimand"] == "revenue_per_nps_point"].iloc[0]
    assert link["method"].startswith("other_question_iv_within") and "cr1_customer" in link["method"]
    assert link["ci_low"] <= truth["revenue_per_nps_point"] <= link["ci_high"]
    assert np.isfinite(link["ci_high"]) and link["ci_high"] < truth["between_customers"]


def test_without_a_second_question_customers_are_compared_and_it_says_so(tmp_path):
    rows, truth = _rows(tmp_path, drop_csat=True)
    link = rows[rows["estimand"] == "revenue_per_nps_point"].iloc[0]
    assert link["method"].startswith("between_customers") and "weaker" in link["method"]
    assert "satisfaction question" in link["method"]


def test_a_survey_without_the_crm_gives_no_rows(small_folder, tmp_path):
    ingest.ingest(small_folder(), tmp_path / "w.duckdb")
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        assert customer_value(con).empty
    finally:
        con.close()


def test_postgres_gives_the_same_rows(tmp_path, postgres_url):
    here, _ = _rows(tmp_path / "duckdb")
    there, _ = _rows(tmp_path / "postgres", target=f"{postgres_url}?schema=customer_value")
    columns = ["estimand", "term", "estimate", "ci_low", "ci_high", "n"]
    pd.testing.assert_frame_equal(here[columns], there[columns], rtol=1e-9)


def test_the_demo_follows_its_customers_and_values_money_with_them(con, truth):
    """The demo's keyed customers (simulation/demo_customers.py): the link within customers
    covers the planted one with a finite interval, customers compared with each other
    overstate it (the more satisfied by nature spend more), leaving follows the answer as
    planted, and the money links notebook 03 values pilots with use it."""
    planted = truth["customer_value"]
    rows = customer_value(con).set_index(["estimand", "term"])
    link = rows.loc[("revenue_per_nps_point", "nps_contribution")]
    assert link["ci_low"] <= planted["revenue_per_nps_point"] <= link["ci_high"]
    assert link["ci_high"] - link["ci_low"] < 0.5 * planted["revenue_per_nps_point"]
    # what a comparison of customers converges to is far from it, and outside the interval
    assert planted["between_customers"] > max(1.2 * planted["revenue_per_nps_point"],
                                              link["ci_high"])
    compared = revenue_per_nps_point(answers_with_money(con).assign(csat=np.nan)).iloc[0]
    assert compared["method"].startswith("between_customers") and "weaker" in compared["method"]
    churn = rows.loc[("churn_per_nps_point", "nps_contribution")]
    assert churn["ci_low"] <= planted["churn_per_nps_point"] <= churn["ci_high"] < 0
    kept = rows.loc[("retention_by_nps_category", "promoter - detractor")]
    assert kept["ci_low"] > 0
    curves = retention_curves(con)
    assert set(curves["category"]) == {"promoter", "passive", "detractor"}
    assert (curves.groupby("category")["retention"].diff().dropna() <= 0).all()
    twelve = curves[curves["month"] == 12].set_index("category")["retention"]
    assert twelve["promoter"] == pytest.approx(rows.loc[("retention_by_nps_category", "promoter"),
                                                        "estimate"])
    links = rox.with_customer_links(rox.link_estimates(con), customer_value(con))
    valued = rox.links_from(links)[0]["revenue_per_customer_per_nps"]
    assert valued.value == pytest.approx(link["estimate"])
    assert valued.source.startswith("customers followed over time")
    # the leaving link stays the unit-level one where that one can be valued
    churn_link = links[(links["estimand"] == "link") & (links["term"] == "churn_per_nps")]
    assert churn_link["method"].iloc[0].startswith("split_half_iv")
    assert (links["estimand"] == "link_unit_level").sum() == 1


def test_lifetime_revenue_is_a_year_of_retention_made_steady_with_a_delta_method_interval():
    """By hand: 81% kept over 12 months is 0.9^(1/6) a month, a customer stays 1 / (1 − that)
    months and brings 10 a month over them; the delta-method SE matches simulated errors."""
    rows = tidy([{"analysis": "customer_value", "estimand": "retention_by_nps_category",
                  "term": "promoter", "estimate": 0.81, "se": 0.02, "n": 500},
                 {"analysis": "customer_value", "estimand": "revenue_by_nps_category",
                  "term": "promoter", "estimate": 10.0, "se": 0.5, "n": 500}])
    found = lifetime_revenue_by_category(rows).iloc[0]
    monthly = 0.9 ** (1 / 6)
    assert found["estimate"] == pytest.approx(10 / (1 - monthly))
    rng = np.random.default_rng(0)
    kept, spend = rng.normal(0.81, 0.02, 200_000), rng.normal(10, 0.5, 200_000)
    assert found["se"] == pytest.approx(np.std(spend / (1 - kept ** (1 / 12))), rel=0.05)
    assert found["ci_low"] < found["estimate"] < found["ci_high"] and found["n"] == 500
