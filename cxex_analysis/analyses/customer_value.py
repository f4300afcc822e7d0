"""Customer value: what promoters, passives and detractors are worth, measured per customer
(issue 36; analysis ``customer_value``).

Unit-month averages are too coarse for money: the links they give are unbiased but often too
wide to value anything. CX teams measure money where it is, per customer, from survey answers
joined to the CRM (Bain's loyalty economics). From a customer survey with ``customer_key`` and
the CRM's ``customer_outcomes``:

* ``retention_by_nps_category``: 12-month Kaplan–Meier retention of customers by the category
  of their first answer, and promoters' minus detractors'
  (:func:`~cxex_analysis.estimators.retention.retention_by_category`);
* ``revenue_by_nps_category``: revenue a month over the 12 months after that answer, by
  category (t interval over customers);
* ``revenue_per_nps_point``: revenue a month per point of a customer's own NPS contribution
  (100 promoter, 0 passive, −100 detractor: a unit's NPS is their mean), **within customers**
  who answered more than once, so a customer's lasting spend level cannot pose as an effect,
  and the single answer's noise corrected by the satisfaction answer of the same response
  (:func:`~cxex_analysis.estimators.measurement.other_question_iv`). Where that cannot be
  estimated, customers are compared with each other instead and the method says it is the
  weaker, between-customer comparison (the more satisfied by nature may spend more anyway).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.api import OLS, add_constant

from cxex_analysis.errors import InsufficientData, check_confidence
from cxex_analysis.estimators.intervals import mean_interval
from cxex_analysis.estimators.measurement import other_question_iv
from cxex_analysis.estimators.retention import (
    CATEGORIES,
    MIN_CUSTOMERS,
    nps_category,
    retention_by_category,
    survival_curve,
)
from cxex_analysis.panels.customer_panels import (
    answers_with_money,
    customers_followed,
    has_customer_money,
)
from cxex_analysis.results import tidy

#: months customers are followed after their first answer
HORIZON = 12


def contribution(nps: pd.Series) -> pd.Series:
    """A 0–10 answer's share of NPS: 100 for a promoter, 0 passive, −100 detractor."""
    return 100 * ((nps >= 9).astype(float) - (nps <= 6).astype(float)).where(nps.notna())


def revenue_by_category(customers: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Revenue a month over the customers' first :data:`HORIZON` months after their answer,
    by NPS category (mean over customers, t interval)."""
    rows = []
    for name in CATEGORIES:
        values = customers.loc[customers["category"] == name, "revenue_a_month"].dropna()
        if len(values) < MIN_CUSTOMERS:
            continue
        interval = mean_interval(values.to_numpy(dtype=float), confidence)
        rows.append({"analysis": "customer_value", "estimand": "revenue_by_nps_category",
                     "subject": "all", "outcome": "revenue_a_month", "term": name,
                     **{k: interval[k] for k in ("estimate", "se", "ci_low", "ci_high", "n")},
                     "confidence": confidence,
                     "method": f"mean_over_customers_t_interval_first_{HORIZON}_months "
                               "(n = customers)"})
    return tidy(rows)


def lifetime_revenue_by_category(rows: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Revenue over a customer's expected lifetime, by NPS category, from the category's
    ``retention_by_nps_category`` and ``revenue_by_nps_category`` rows: the first year's
    retention taken as a steady monthly one, r = S₁₂^(1/12), a customer stays 1 / (1 − r)
    months on average and brings revenue a month × that (undiscounted and before margin: the
    finance assumptions are notebook 03's). Normal interval by the delta method, the two
    estimates' errors taken as independent."""
    out = []
    z = stats.norm.ppf(0.5 + confidence / 2)
    for name in CATEGORIES:
        kept = rows[(rows["estimand"] == "retention_by_nps_category") & (rows["term"] == name)]
        spend = rows[(rows["estimand"] == "revenue_by_nps_category") & (rows["term"] == name)]
        if kept.empty or spend.empty or not 0 < kept["estimate"].iloc[0] < 1:
            continue
        s, s_se = float(kept["estimate"].iloc[0]), float(kept["se"].iloc[0])
        r, r_se = float(spend["estimate"].iloc[0]), float(spend["se"].iloc[0])
        monthly = s ** (1 / HORIZON)
        value = r / (1 - monthly)
        d_s = r * monthly / (HORIZON * s) / (1 - monthly) ** 2  # d value / d S12
        se = float(np.hypot(r_se / (1 - monthly), d_s * s_se))
        out.append({"analysis": "customer_value", "estimand": "lifetime_revenue_by_nps_category",
                    "subject": "all", "outcome": "revenue_a_lifetime", "term": name,
                    "estimate": value, "se": se, "ci_low": value - z * se,
                    "ci_high": value + z * se, "n": int(kept["n"].iloc[0]),
                    "confidence": confidence,
                    "method": f"revenue_a_month_over_1_minus_monthly_retention_from_{HORIZON}_"
                              "months_delta_method (undiscounted, before margin; n = customers)"})
    return tidy(out)


def revenue_per_nps_point(answers: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Revenue a month per point of a customer's NPS contribution: within customers, the
    answer's noise corrected by the same response's satisfaction answer; else between
    customers (each customer's mean revenue on their mean contribution, clustered by
    customer), graded as the weaker evidence."""
    frame = answers.assign(contribution=contribution(answers["nps"])).dropna(
        subset=["contribution", "revenue"])
    base = {"analysis": "customer_value", "estimand": "revenue_per_nps_point", "subject": "all",
            "outcome": "revenue_a_month", "term": "nps_contribution", "confidence": confidence}
    reason = "the answers carry no satisfaction question"
    if frame["csat"].notna().any():
        try:
            fit = other_question_iv(frame, "revenue", "contribution", "csat", "customer_key",
                                    "month", confidence)
            return tidy([{**base, **{k: fit[k] for k in ("estimate", "se", "ci_low", "ci_high",
                                                          "p_value")},
                          "n": fit["n_units"],
                          "method": f"{fit['method'].replace('cr1_unit', 'cr1_customer')} (n = customers who "
                                    f"answered more than once; {fit['n']} answers)"}])
        except InsufficientData as why:
            reason = str(why).rstrip(".")
    means = frame.groupby("customer_key")[["contribution", "revenue"]].mean()
    if len(means) < 2 * MIN_CUSTOMERS or means["contribution"].nunique() < 2:
        return tidy([])
    fit = OLS(means["revenue"], add_constant(means["contribution"])).fit(
        cov_type="HC1", use_t=True)
    low, high = fit.conf_int(alpha=1 - confidence).loc["contribution"]
    return tidy([{**base, "estimate": float(fit.params["contribution"]),
                  "se": float(fit.bse["contribution"]), "ci_low": float(low),
                  "ci_high": float(high), "n": len(means),
                  "p_value": float(fit.pvalues["contribution"]),
                  "method": "between_customers_ols_hc1 (weaker: customers compared with each "
                            f"other, not followed over time, because {reason}; n = customers)"}])


def churn_per_nps_point(answers: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The monthly leaving rate per point of a customer's NPS contribution, in the month of the
    answer (as the unit-level link reads a quarter's churn beside its NPS): customers compared
    with each other, since a customer leaves once and cannot be followed across it; the
    answer's noise corrected by the same response's satisfaction answer, month effects out,
    SE clustered by customer."""
    frame = answers.assign(contribution=contribution(answers["nps"])).dropna(
        subset=["contribution", "left", "csat"])
    if frame["left"].sum() < MIN_CUSTOMERS or frame["customer_key"].nunique() < 2 * MIN_CUSTOMERS:
        return tidy([])
    try:
        fit = other_question_iv(frame, "left", "contribution", "csat", "customer_key", "month",
                                confidence, within=False)
    except InsufficientData:
        return tidy([])
    return tidy([{"analysis": "customer_value", "estimand": "churn_per_nps_point",
                  "subject": "all", "outcome": "left_that_month", "term": "nps_contribution",
                  "confidence": confidence, "n": fit["n_units"],
                  **{k: fit[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value")},
                  "method": f"{fit['method'].replace('cr1_unit', 'cr1_customer')} (between customers: a customer "
                            f"leaves once; n = customers; {fit['n']} answers)"}])


def retention_curves(con, months: int = HORIZON, confidence: float = 0.95) -> pd.DataFrame:
    """Each NPS category's Kaplan–Meier retention curve from the first answer, month by month
    (:func:`~cxex_analysis.estimators.retention.survival_curve`; column ``category``); empty
    without keyed answers and customer outcomes."""
    if not has_customer_money(con):
        return pd.DataFrame()
    customers = customers_followed(con, months)
    customers = customers.assign(category=nps_category(customers["nps"]))
    curves = [survival_curve(part["months_followed"], part["churned"], months, confidence)
              .assign(category=name)
              for name, part in customers.groupby("category") if len(part) >= MIN_CUSTOMERS]
    return pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()


def customer_value(con, confidence: float = 0.95) -> pd.DataFrame:
    """Every ``customer_value`` row the warehouse supports (empty without keyed answers and
    customer outcomes)."""
    confidence = check_confidence(confidence)
    if not has_customer_money(con):
        return tidy([])
    customers = customers_followed(con, HORIZON)
    customers = customers.assign(category=nps_category(customers["nps"]))
    answers = answers_with_money(con)
    by_category = pd.concat([retention_by_category(customers, HORIZON, confidence),
                             revenue_by_category(customers, confidence)], ignore_index=True)
    frames = [by_category, lifetime_revenue_by_category(by_category, confidence),
              revenue_per_nps_point(answers, confidence), churn_per_nps_point(answers, confidence)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else tidy([])
