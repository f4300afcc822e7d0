"""Kaplan–Meier retention by NPS category (issue 36, item 2), pinned to the published 6-MP
arm of Freireich et al. (1963) and to planted monthly churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.estimators.retention import nps_category, retention_by_category, survival_at

#: Freireich et al. (1963), 6-MP arm: weeks in remission, 1 = relapsed, 0 = censored
WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
RELAPSED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]

#: R survfit(Surv(weeks, relapsed) ~ 1) (Kleinbaum & Klein, Survival Analysis, table 2.3):
#: week -> (survival, Greenwood standard error)
PUBLISHED = {6: (0.857, 0.0764), 7: (0.807, 0.0869), 10: (0.753, 0.0963), 13: (0.690, 0.1068),
             16: (0.627, 0.1141), 22: (0.538, 0.1282), 23: (0.448, 0.1346)}


@pytest.mark.parametrize("week", PUBLISHED)
def test_kaplan_meier_matches_the_published_6mp_table(week):
    fit = survival_at(WEEKS, RELAPSED, week)
    assert fit["estimate"] == pytest.approx(PUBLISHED[week][0], abs=5e-4)
    assert fit["se"] == pytest.approx(PUBLISHED[week][1], abs=5e-4)
    assert 0 < fit["ci_low"] < fit["estimate"] < fit["ci_high"] < 1


def test_retention_before_anyone_left_is_whole():
    fit = survival_at(WEEKS, RELAPSED, 5)
    assert fit["estimate"] == 1.0 and fit["at_risk"] == 21


def test_categories_follow_the_nps_cut_offs():
    assert nps_category([0, 6, 7, 8, 9, 10, None]).tolist() == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter", None]


def test_planted_monthly_churn_is_covered():
    """200 organisations of 300 promoters (1% a month) and 300 detractors (3%) followed for
    3–24 months (many censored early): each 12-month retention and their difference inside
    its 95% interval 92–98% of the time."""
    truth = {"promoter": 0.99 ** 12, "detractor": 0.97 ** 12}
    truth["promoter - detractor"] = truth["promoter"] - truth["detractor"]
    covered = {term: 0 for term in truth}
    rng = np.random.default_rng(7)
    for _ in range(200):
        leaves = rng.geometric(np.repeat([0.01, 0.03], 300))
        followed = rng.integers(3, 25, 600)
        rows = retention_by_category(pd.DataFrame({
            "category": np.repeat(["promoter", "detractor"], 300),
            "months_followed": np.minimum(leaves, followed),
            "churned": (leaves <= followed).astype(int)})).set_index("term")
        for term, value in truth.items():
            covered[term] += rows.loc[term, "ci_low"] <= value <= rows.loc[term, "ci_high"]
    for term, hits in covered.items():
        assert 0.92 <= hits / 200 <= 0.985, (term, hits)


def test_a_category_with_too_few_customers_is_left_out():
    rows = retention_by_category(pd.DataFrame({"category": ["promoter"] * 5 + ["detractor"] * 30,
                                               "months_followed": 12, "churned": 0}))
    assert rows["term"].tolist() == ["detractor"]
