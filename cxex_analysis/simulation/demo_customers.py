"""The demo's customers followed in the CRM: who gave each keyed answer, and what each of them
spent and whether they stayed, month by month (issue 36).

The demo draws its answers per unit and month (:mod:`cxex_analysis.simulation.demo_world`):
each answer is the unit's latent experience ``c`` plus the respondent's own view of it, a
standard normal ``common`` shared by the answer's questions (recommend, satisfaction,
effort). Here that view is made a person's:

* Each unit has a pool of customers; each customer a **lasting satisfaction** ``t``
  (normal, variance ``customer_lasting_share``), and in each month a view ``x = t + e`` (``e``
  normal, variance ``1 - customer_lasting_share``), so ``x`` is standard normal as the answers
  assume. A keyed answer (``customer_keyed_share`` of them) is given by one of the unit's
  active customers, drawn with probability proportional to the density of the answer's
  ``common`` given that customer's ``t``: the answers stay exactly the demo's, and a customer's
  answers share their lasting satisfaction. (The draw is the posterior of "which customer
  answered" given the answer, exact as the pool grows.) The pool holds about one customer per
  ``customer_answers_each`` keyed answers of the unit; a customer who leaves is replaced the
  month after.
* **Money follows the customer's own experience**: in month ``m`` a customer spends their
  spend level plus ``revenue_per_customer_per_nps`` × the NPS contribution their view makes
  expected (``g(c, x)``: 100 × P(promoter) − 100 × P(detractor), whose mean over customers is
  the unit's ``c``, so the unit-level revenue link is the same number) plus noise; they leave
  with probability ``churn_base + churn_per_nps × (g − cx_mean)``. The spend level is
  **higher for the more satisfied by nature** (``customer_spend_confound`` per SD of ``t``, for
  reasons other than the service), so customers compared with each other overstate what
  satisfaction is worth, and a customer followed over time does not.
* The CRM (``customer_outcomes.csv``) holds every customer who gave a keyed answer, from their
  first answer's month to the month they leave (``active`` false) or the data end.

Truths, in the units the estimators see (revenue a customer-month, and the monthly leaving
rate, per point of a customer's NPS contribution: a unit's NPS is the mean of its answers'):
``revenue_per_nps_point`` within customers is ``revenue_per_customer_per_nps`` exactly (the
other question of the same answer instruments the answer's noise, whose expectation given the
customer's view is ``g``); ``between_customers`` is what a comparison of customers converges
to, computed from the answers' expectations; ``churn_per_nps_point`` is ``churn_per_nps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxex_analysis.simulation.demo_parameters import DemoParameters
from cxex_analysis.simulation.demo_world import SHARED_LOADING, World, month_starts

#: NPS categories of an answer (the first answer's, for retention)
CATEGORY_CUTS = ((9, "promoter"), (7, "passive"), (0, "detractor"))


@dataclass
class CustomerBook:
    """Who gave each answer (``keys``, aligned with the world's answers; None when not keyed),
    the CRM's customer-months (``crm``) and the truths."""

    keys: np.ndarray
    crm: pd.DataFrame
    truth: dict


def expected_contribution(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E[answer's NPS contribution | the unit's ``c``, the customer's view ``x``]: the demo's
    answer is a promoter when Φ(0.75 x + own noise) clears 1 − P(promoter | c), a detractor
    below P(detractor | c) (:func:`~cxex_analysis.simulation.demo_world._customer_answers`)."""
    cc = np.clip(c, -65, 65)
    promoter, detractor = (0.7 + cc / 100) / 2, (0.7 - cc / 100) / 2
    own = np.sqrt(1 - SHARED_LOADING ** 2)
    lean = SHARED_LOADING * np.asarray(x, float)
    return 100 * (norm.cdf((lean - norm.ppf(1 - promoter)) / own)
                  - norm.cdf((norm.ppf(detractor) - lean) / own))


def follow_customers(params: DemoParameters, world: World, unit_ids: np.ndarray) -> CustomerBook:
    """The demo's keyed customers and their CRM months, from the stream ``customers``."""
    rng = params.stream("customers")
    answers = world.customers
    keyed = rng.random(len(answers)) < params.customer_keyed_share
    keys = np.full(len(answers), -1)
    units, next_key = [], 0
    for u in range(world.c.shape[0]):
        mine = np.flatnonzero(keyed & (answers["u"].to_numpy() == u))
        who, months, spend = _unit_customers(params, rng, world.c[u], answers["m"].to_numpy()[mine],
                                             answers["common"].to_numpy()[mine])
        keys[mine] = who + next_key
        units.append(months.assign(i=months["i"] + next_key, unit=u,
                                   spend=spend[months["i"].to_numpy()]))
        next_key += len(spend)
    months = pd.concat(units, ignore_index=True)
    revenue = months["spend"] + params.revenue_per_customer_per_nps * months["g"] + months["noise"]
    periods = np.array(month_starts(params).strftime("%Y-%m-%d"))
    crm = pd.DataFrame({
        "customer_key": _keys(months["i"].to_numpy()),
        "unit_id": unit_ids[months["unit"].to_numpy()],
        "period": periods[months["m"].to_numpy()],
        "revenue": revenue.clip(lower=0).round(2),
        "active": ~months["leaves"]})
    written = _keys(np.maximum(keys, 0))
    written[keys < 0] = None  # answers without a key
    return CustomerBook(written, crm, _truth(params, months))


def _unit_customers(params: DemoParameters, rng: np.random.Generator, c: np.ndarray,
                    month_of: np.ndarray, common: np.ndarray):
    """One unit's customers, month by month (``c``: the unit's latent experience a month;
    ``month_of``/``common``: its keyed answers' months and views). Returns who gave each
    answer, the customer-months from each answering customer's first answer (``i``, ``m``,
    ``g``, ``noise``, ``leaves``, ``answered``) and every customer's spend level."""
    lasting = params.customer_lasting_share
    pool = max(2, int(round(len(month_of) / params.customer_answers_each)))
    trait = rng.normal(0, np.sqrt(lasting), pool)
    who = np.full(len(month_of), -1)
    active = np.arange(pool)
    parts: dict[str, list] = {k: [] for k in ("i", "m", "g", "leaves", "noise", "answered")}
    for m in range(len(c)):
        here = np.flatnonzero(month_of == m)
        # every active customer's view of the month: their answer's, else a fresh one
        x = trait[active] + rng.normal(0, np.sqrt(1 - lasting), len(active))
        answered = np.zeros(len(active), dtype=bool)
        if len(here):
            slots = _who_answered(rng, common[here], trait[active], lasting)
            who[here] = active[slots]
            x[slots], answered[slots] = common[here], True
        g = expected_contribution(np.full(len(active), c[m]), x)
        leave = rng.random(len(active)) < np.clip(
            params.churn_base + params.churn_per_nps * (g - params.cx_mean), 0.001, 0.2)
        for key, value in (("i", active), ("m", np.full(len(active), m)), ("g", g),
                           ("leaves", leave), ("answered", answered),
                           ("noise", rng.normal(0, params.customer_revenue_noise_sd, len(active)))):
            parts[key].append(value)
        newcomers = np.arange(len(trait), len(trait) + int(leave.sum()))  # replace who left
        trait = np.concatenate([trait, rng.normal(0, np.sqrt(lasting), len(newcomers))])
        active = np.concatenate([active[~leave], newcomers])
    spend_centre = (params.revenue_per_customer_base
                    - params.revenue_per_customer_per_nps * params.cx_mean)
    spend = (spend_centre + params.customer_spend_confound * trait / np.sqrt(lasting)
             + rng.normal(0, params.customer_spend_sd, len(trait)))
    months = pd.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
    first = np.full(len(trait), len(c))  # each customer's first answer's month
    np.minimum.at(first, who, month_of)
    return who, months[first[months["i"].to_numpy()] <= months["m"].to_numpy()], spend


def _keys(numbers: np.ndarray) -> np.ndarray:
    """Customer keys ``K0000001`` … for customer numbers."""
    return np.char.add("K", np.char.zfill(numbers.astype(str), 7)).astype(object)


def _who_answered(rng: np.random.Generator, common: np.ndarray, traits: np.ndarray,
                  lasting: float) -> np.ndarray:
    """For each answer, the slot of the active customer who gave it: drawn with probability
    proportional to the density of the answer's view given the customer's lasting
    satisfaction (Gumbel-max), no customer twice in a month while another is free (answers
    taken in a random order; one that finds its customer taken draws again from the rest)."""
    score = norm.logpdf(common[:, None], traits[None, :], np.sqrt(1 - lasting))
    score = score + rng.gumbel(size=score.shape)
    chosen = np.full(len(common), -1)
    taken = np.zeros(len(traits), dtype=bool)
    pending = rng.permutation(len(common))
    while len(pending):
        if taken.all():
            taken[:] = False
        best = np.argmax(np.where(taken[None, :], -np.inf, score[pending]), axis=1)
        _, first = np.unique(best, return_index=True)  # the earliest answer wins a customer
        chosen[pending[first]] = best[first]
        taken[best[first]] = True
        pending = np.delete(pending, first)
    return chosen


def _truth(params: DemoParameters, months: pd.DataFrame) -> dict:
    """The customer-level truths (see the module docstring); ``between_customers`` from the
    expectations of the answers given, customers' means."""
    given = months[months["answered"]]
    means = given.assign(y=given["spend"] + params.revenue_per_customer_per_nps * given["g"]
                         ).groupby("i")[["g", "y"]].mean()
    return {"revenue_per_nps_point": params.revenue_per_customer_per_nps,
            "between_customers": float(np.polyfit(means["g"], means["y"], 1)[0]),
            "churn_per_nps_point": params.churn_per_nps,
            "customers_followed": int(months["i"].nunique()),
            "crm_rows": int(len(months))}
