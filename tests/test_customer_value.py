"""Customer value from keyed answers joined to the CRM (issue 36, item 2): a planted
organisation written as files, ingested, and read back as retention and revenue by NPS
category and the customer-level revenue link."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.analyses.customer_value import customer_value
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
    assert "customer_level" in link["method"] and "within" in link["method"]
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
