"""Customers who answer more than once, and the money they bring: a world with planted truths
for the customer-level links (issue 36).

Each of a unit's customers has a lasting satisfaction (``lasting_sd``, on the 0–10 answer
scale) and a state that moves month to month (AR(1), ``state_sd``, ``state_ar``); the unit's
own experience moves everyone's a little (``unit_sd``). What a customer spends a month is
their lasting spend level plus ``revenue_per_point`` per point of their satisfaction of the
month; the spend level is **higher for the more satisfied by nature** (``spend_confound``
per point of lasting satisfaction, for reasons other than the service: income, need), so a
comparison between customers overstates what satisfaction is worth, and one within a
customer over time does not. A customer leaves in a month with a probability that falls with
their satisfaction. Some customers answer the survey in a month (``answer_rate``): a 0–10
recommend answer and a 1–5 satisfaction answer, each their satisfaction of the month plus
noise of its own (``answer_sd``), rounded and clipped.

The truths, in the units the estimators see: revenue a month per point of an answer's NPS
contribution (100 for a promoter, 0 passive, −100 detractor), the slope of revenue's
expectation on the expected contribution given the satisfaction (exact normal CDFs), within
customers (``revenue_per_nps_point``) and between them (``between_customers``, what the
confounded comparison converges to).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.simulation.latent import expected_rounded


@dataclass(frozen=True)
class CustomerWorld:
    """Settings of one organisation of customers (defaults: 40 units of 300 customers, two
    years)."""

    units: int = 40
    customers: int = 300  # per unit
    months: int = 24
    seed: int = 0
    mean: float = 7.8  # mean satisfaction on the 0-10 scale
    lasting_sd: float = 1.2
    state_sd: float = 1.0
    state_ar: float = 0.7
    unit_sd: float = 0.3
    answer_sd: float = 1.2  # a single answer's own noise (each question its own)
    answer_rate: float = 0.08  # share of active customers answering in a month
    spend_base: float = 50.0
    spend_sd: float = 15.0
    spend_confound: float = 6.0  # spend level per point of lasting satisfaction (not caused)
    revenue_per_point: float = 3.0  # revenue a month per point of satisfaction (caused)
    revenue_noise_sd: float = 10.0
    churn_base: float = 0.02  # a month, at the mean satisfaction
    churn_per_point: float = 0.008  # fewer leaving a month per point of satisfaction


def expected_contribution(satisfaction: np.ndarray, world: CustomerWorld) -> np.ndarray:
    """E[100 (promoter − detractor) | satisfaction]: an answer is the satisfaction plus normal
    noise, rounded (promoter: 9–10, detractor: 0–6)."""
    s = np.asarray(satisfaction, float)
    return 100 * (stats.norm.cdf((s - 8.5) / world.answer_sd)
                  - stats.norm.cdf((6.5 - s) / world.answer_sd))


def generate(world: CustomerWorld = CustomerWorld()) -> dict:
    """One organisation: ``answers`` (one row per answer: customer_key, unit_id, month,
    nps 0–10, csat 1–5), ``months`` (one row per customer and month while a customer:
    customer_key, unit_id, month, revenue, churned in that month) and ``truth``."""
    rng = np.random.default_rng(world.seed)
    n, m = world.units * world.customers, world.months
    unit = np.repeat(np.arange(world.units), world.customers)
    lasting = rng.normal(0, world.lasting_sd, n)
    unit_level = rng.normal(0, world.unit_sd, (world.units, m))
    state = np.empty((n, m))
    state[:, 0] = rng.normal(0, world.state_sd, n)
    shock_sd = world.state_sd * np.sqrt(1 - world.state_ar ** 2)
    for t in range(1, m):
        state[:, t] = world.state_ar * state[:, t - 1] + rng.normal(0, shock_sd, n)
    satisfaction = world.mean + lasting[:, None] + unit_level[unit] + state
    spend = world.spend_base + world.spend_confound * lasting + rng.normal(0, world.spend_sd, n)
    revenue = (spend[:, None] + world.revenue_per_point * (satisfaction - world.mean)
               + rng.normal(0, world.revenue_noise_sd, (n, m)))
    leave_p = np.clip(world.churn_base - world.churn_per_point * (satisfaction - world.mean),
                      0.001, 0.5)
    leaves = rng.random((n, m)) < leave_p
    first_leave = np.where(leaves.any(axis=1), leaves.argmax(axis=1), m)  # month they leave
    active = np.arange(m)[None, :] <= first_leave[:, None]  # a customer in the month they leave
    answering = active & (rng.random((n, m)) < world.answer_rate)
    who, when = np.nonzero(answering)
    s = satisfaction[who, when]
    nps = np.clip(np.rint(s + rng.normal(0, world.answer_sd, len(s))), 0, 10)
    csat = np.clip(np.rint(1 + 0.4 * (s + rng.normal(0, world.answer_sd, len(s)))), 1, 5)
    keys = np.array([f"K{i:07d}" for i in range(n)])
    units = np.array([f"U{u:03d}" for u in range(world.units)])
    answers = pd.DataFrame({"customer_key": keys[who], "unit_id": units[unit[who]], "month": when,
                            "nps": nps, "csat": csat})
    ci, mi = np.nonzero(active)
    months = pd.DataFrame({"customer_key": keys[ci], "unit_id": units[unit[ci]], "month": mi,
                           "revenue": revenue[ci, mi], "churned": mi == first_leave[ci]})
    return {"answers": answers, "months": months,
            "truth": truth(world, satisfaction, spend, answering)}


def expected_csat(satisfaction: np.ndarray, world: CustomerWorld) -> np.ndarray:
    """E[satisfaction answer (1–5) | satisfaction]: rounded and clipped, as it is drawn."""
    return expected_rounded(1 + 0.4 * np.asarray(satisfaction, float), 0.4 * world.answer_sd, 1, 5)


def truth(world: CustomerWorld, satisfaction: np.ndarray, spend: np.ndarray,
          answering: np.ndarray) -> dict:
    """Revenue a month per point of NPS contribution over the answers given, from the answers'
    expectations (no answer noise): within customers who answered more than once, instrumented
    by the satisfaction answer's expectation as the estimator is (``revenue_per_nps_point``:
    per NPS point along the satisfaction both questions measure; the answers' scales bend
    differently, so a plain slope would weigh the satisfaction range a little differently), and
    between customers (their means: what a comparison of customers converges to)."""
    who, when = np.nonzero(answering)
    s = satisfaction[who, when]
    frame = pd.DataFrame({"c": who, "x": expected_contribution(s, world),
                          "z": expected_csat(s, world),
                          "y": spend[who] + world.revenue_per_point * (s - world.mean)})
    within = frame[frame["c"].map(frame["c"].value_counts()) > 1]
    centred = within[["x", "z", "y"]] - within.groupby("c")[["x", "z", "y"]].transform("mean")
    means = frame.groupby("c")[["x", "y"]].mean()
    return {"revenue_per_nps_point": float((centred["y"] * centred["z"]).sum()
                                           / (centred["x"] * centred["z"]).sum()),
            "between_customers": float(np.polyfit(means["x"], means["y"], 1)[0])}


def write_files(world: dict, folder: Path, start: str = "2024-01-01") -> Path:
    """The organisation as a data folder: ``units.csv``, ``customer_survey.csv`` (keyed answers
    in their month, recommend and satisfaction) and ``customer_outcomes.csv`` (the CRM: a row
    per customer and month while a customer, ``active`` false in the month they leave)."""
    folder.mkdir(parents=True, exist_ok=True)
    months = pd.date_range(start, periods=int(world["months"]["month"].max()) + 1, freq="MS")
    answers, crm = world["answers"], world["months"]
    units = sorted(set(crm["unit_id"]))
    pd.DataFrame({"unit_id": units, "region": "North", "unit_type": "branch"}).to_csv(
        folder / "units.csv", index=False)
    day = (np.arange(len(answers)) % 27) + 1
    pd.DataFrame({
        "response_id": [f"A{i:07d}" for i in range(len(answers))],
        "responded_at": [(months[m] + pd.Timedelta(days=int(d) - 1, hours=12)).isoformat()
                         for m, d in zip(answers["month"], day)],
        "unit_id": answers["unit_id"], "channel": "store",
        "nps": answers["nps"].astype(int), "csat": answers["csat"].astype(int),
        "customer_key": answers["customer_key"]}).to_csv(folder / "customer_survey.csv",
                                                         index=False)
    pd.DataFrame({"customer_key": crm["customer_key"], "unit_id": crm["unit_id"],
                  "period": months[crm["month"]].strftime("%Y-%m-%d"),
                  "revenue": crm["revenue"].clip(lower=0).round(2),
                  "active": ~crm["churned"]}).to_csv(folder / "customer_outcomes.csv", index=False)
    return folder
