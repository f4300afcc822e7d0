"""The demo organisation's world: every random draw, the latent experience, the surveys that
measure it, money, and the planted pilot effects (written to files by
:mod:`cxex_analysis.simulation.demo_files`).

The world, per unit ``u``, quarter ``q`` and month ``m``:

* Employee experience. A unit's latent engagement ``L[u,q]`` (engagement-index points, 0–100)
  = unit base + wave effect + shock (AR(1) with ``ex_shock_rho``) + ``cx_to_ex`` × the
  customer experience its customers really lived through last quarter (latent ``c``, not
  the NPS a few of them gave) + pilot effects. Each employee answers seven ``eng_*`` items
  (1–5) around ``L`` plus their own level and the unit's persistent item profile: the
  engagement index is a *measurement* of ``L``.
* Customer experience. ``c[u,m]`` (NPS points) = unit base (its item profile weighted by
  ``driver_weights``, plus an independent part) + month effect + ``ex_to_cx`` × last
  quarter's latent engagement + lingering local events (AR(1), ``cx_shock_sd``,
  ``cx_shock_rho``) + month noise + pilot effects. Customers' answers are drawn so that
  the expected NPS is ``c`` held within ±65; expected CSAT top-2-box (%) =
  ``csat_intercept + csat_per_nps * c`` held within 2–98, expected CES = ``ces_intercept +
  ces_per_nps * c`` held within 1.05–6.95.
* Money. Monthly churn and revenue per customer follow the latent ``c`` (``churn_per_nps``,
  ``revenue_per_customer_per_nps``), employee exits the latent ``L``: money follows what
  people live through, and the surveys only measure it, so a link estimated as if unit
  scores were exact is attenuated.
* Truths are reported in the units the estimators see: per measured engagement-index point
  (the latent effect divided by the measurement slope, computed exactly from the answer
  model, not assumed) and per measured NPS, CSAT or CES point (units beyond a scale's end move
  ``c`` and not their score): :mod:`cxex_analysis.simulation.demo_measurement`.
* Action plans (:mod:`cxex_analysis.simulation.demo_actions`). A completed action raises the
  experience of its focus item alone (``item_boost``), from the first wave after completion;
  the engagement index moves by the item's share, and so does what employees live through:
  customers feel it the quarter after and exits follow it, as they follow ``L`` (a measured
  engagement point is worth the same to customers whatever moved it, so the planted links
  stay the truth in the units the estimators see). Dropped and unfinished actions change
  nothing.
* Pilots. P1 is randomized (call centres and branches, one start date), P2 a staggered
  rollout to stores by region with effects that grow with time since start. Their true
  effects (``att``) are computed with common random numbers: the same world is simulated
  with and without the pilots and the difference averaged over treated units after start.

Defaults are calibrated to published magnitudes: between-unit correlation of engagement
with customer outcomes about 0.3, with turnover about -0.3; EX -> CX with a one-quarter lag
and a weaker CX -> EX; the Sears chain's +5 employee points -> +1.3 customer points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

from cxex_analysis.simulation.demo_parameters import ITEMS, REGIONS, DemoParameters

#: each answer's questions load this much on the respondent's own view of the unit's
#: experience (``common``, standard normal; the rest is each question's own noise)
SHARED_LOADING = 0.75


@dataclass
class Draws:
    """All random numbers, drawn once, so two worlds can share them (common random numbers)."""

    units: pd.DataFrame
    item_profile: np.ndarray  # units x items
    ex_base: np.ndarray
    cx_indep: np.ndarray
    wave_effect: np.ndarray
    month_effect: np.ndarray
    ex_shock: np.ndarray  # units x quarters
    cx_noise: np.ndarray  # units x months
    employees: pd.DataFrame  # per employee-wave respondent
    item_noise: np.ndarray  # respondents x items
    item_missing: np.ndarray
    enps_noise: np.ndarray
    customers: pd.DataFrame  # per response: the respondent's view (common) and uniforms
    exit_uniform: np.ndarray
    churn_noise: np.ndarray
    rpc_noise: np.ndarray


def month_starts(params: DemoParameters) -> pd.DatetimeIndex:
    return pd.date_range(params.start, periods=params.n_quarters * 3, freq="MS")


def draw_organisation(params: DemoParameters) -> Draws:
    """Every random number of the demo organisation, in one fixed order from ``params.seed``."""
    rng = np.random.default_rng(params.seed)
    months = month_starts(params)
    n_months = len(months)
    units = _draw_units(params, rng)
    staff = units["staff"].to_numpy()
    n_units = len(units)
    region_ex = {r: e for r, e in zip(REGIONS, rng.normal(0, 2.0, len(REGIONS)))}
    region_cx = {r: e for r, e in zip(REGIONS, rng.normal(0, 3.0, len(REGIONS)))}
    item_profile = rng.normal(0, params.item_profile_sd, (n_units, len(ITEMS)))
    ex_base = (params.ex_mean + rng.normal(0, params.ex_between_sd, n_units)
               + units["region"].map(region_ex).to_numpy())
    cx_indep = rng.normal(0, params.cx_between_sd, n_units) + units["region"].map(region_cx).to_numpy()
    wave_effect = np.cumsum(rng.normal(0.3, 1.0, params.n_quarters))
    month_effect = rng.normal(0, 1.5, n_months) + 1.5 * np.sin(np.arange(n_months) / 12 * 2 * np.pi)
    shocks = rng.normal(0, params.ex_shock_sd, (n_units, params.n_quarters))
    ex_shock = np.zeros_like(shocks)
    for q in range(params.n_quarters):
        prev = ex_shock[:, q - 1] if q else 0
        ex_shock[:, q] = params.ex_shock_rho * prev + shocks[:, q]
    cx_noise = rng.normal(0, params.cx_month_noise_sd, (n_units, n_months))
    # local events that linger (a competitor opens, a road closes): persistent AR(1) shocks
    # to what a unit's customers live through, from a stream of their own
    local = params.stream("local_events").normal(0, 1, (n_units, n_months))
    shock = local[:, 0] * params.cx_shock_sd
    innovation = params.cx_shock_sd * np.sqrt(1 - params.cx_shock_rho ** 2)
    for m in range(n_months):
        if m:
            shock = params.cx_shock_rho * shock + innovation * local[:, m]
        cx_noise[:, m] += shock

    employees, item_noise, item_missing, enps_noise = _draw_employees(params, rng, staff)
    customers = _draw_customers(params, rng, units, n_months)
    exit_uniform = rng.random((n_units, n_months))
    churn_noise = rng.normal(0, 0.002, (n_units, n_months))
    rpc_noise = rng.normal(0, 1.0, (n_units, n_months))
    return Draws(units, item_profile, ex_base, cx_indep, wave_effect, month_effect, ex_shock,
                 cx_noise, employees, item_noise, item_missing, enps_noise, customers,
                 exit_uniform, churn_noise, rpc_noise)


def _draw_units(params: DemoParameters, rng: np.random.Generator) -> pd.DataFrame:
    """Units with their type, region, name, opening date and staff."""
    # units
    rows = []
    counter = 0
    for unit_type, count in params.units_by_type.items():
        for i in range(count):
            counter += 1
            region = REGIONS[(counter * 7 + i) % len(REGIONS)]
            rows.append({"unit_id": f"U{counter:03d}", "unit_type": unit_type, "region": region})
    units = pd.DataFrame(rows)
    units["unit_name"] = [f"{r.region} {r.unit_type.replace('_', ' ')} {r.unit_id[1:]}"
                          for r in units.itertuples()]
    units["opened_on"] = [
        (pd.Timestamp("2005-01-01") + pd.Timedelta(days=int(d))).date().isoformat()
        for d in rng.integers(0, 6500, len(units))]
    staff = units["unit_type"].map(params.staff_by_type).to_numpy().copy()
    tiny = units.index[units["unit_type"] == "team"][: params.n_tiny_teams]
    staff[tiny] = 3
    staff = np.maximum(2, staff + rng.integers(-2, 3, len(units)) * (staff > 5))
    units["staff"] = staff
    return units


def _draw_employees(params: DemoParameters, rng: np.random.Generator, staff: np.ndarray):
    """A roster per unit with turnover, the respondents of each wave, and their answer noise."""
    n_units = len(staff)
    emp_rows = []
    employee_counter = 0
    person_level: dict[str, float] = {}
    tenure_bands = np.array(["<1y", "1-3y", "3-5y", "5y+"])
    for u in range(n_units):
        roster = []
        for j in range(int(staff[u])):
            employee_counter += 1
            key = f"E{employee_counter:06d}"
            person_level[key] = rng.normal(0, params.employee_sd)
            roster.append([key, "manager" if j == 0 else
                           ("back_office" if rng.random() < 0.15 else "frontline"),
                           tenure_bands[rng.integers(4)]])
        for q in range(params.n_quarters):
            if q:
                for slot in range(len(roster)):
                    if rng.random() < 0.07:
                        employee_counter += 1
                        key = f"E{employee_counter:06d}"
                        person_level[key] = rng.normal(0, params.employee_sd)
                        roster[slot] = [key, roster[slot][1], "<1y"]
            responds = rng.random(len(roster)) < params.employee_response_rate
            if staff[u] <= 3:
                responds[:] = True
            for (key, role, tenure), r in zip(roster, responds):
                if r:
                    emp_rows.append((u, q, key, role, tenure))
    employees = pd.DataFrame(emp_rows, columns=["u", "q", "employee_key", "role", "tenure_band"])
    employees["person_level"] = employees["employee_key"].map(person_level)
    n_resp = len(employees)
    item_noise = rng.normal(0, params.item_noise_sd, (n_resp, len(ITEMS)))
    item_missing = rng.random((n_resp, len(ITEMS))) < params.item_missing_share
    enps_noise = rng.normal(0, 1.4, n_resp)

    return employees, item_noise, item_missing, enps_noise


def _draw_customers(params: DemoParameters, rng: np.random.Generator, units: pd.DataFrame,
                    n_months: int) -> pd.DataFrame:
    """Response counts per unit and month, and uniforms for every answer."""
    n_units = len(units)
    rates = units["unit_type"].map(params.monthly_responses_by_type).to_numpy()
    counts = rng.poisson(np.repeat(rates[:, None], n_months, axis=1))
    u_idx = np.repeat(np.repeat(np.arange(n_units), n_months), counts.ravel())
    m_idx = np.repeat(np.tile(np.arange(n_months), n_units), counts.ravel())
    n_c = len(u_idx)
    common = rng.normal(size=n_c)

    def correlated_uniform(loading: float = SHARED_LOADING) -> np.ndarray:
        return norm.cdf(loading * common + np.sqrt(1 - loading ** 2) * rng.normal(size=n_c))

    customers = pd.DataFrame({
        "u": u_idx, "m": m_idx, "common": common,
        "u_nps": correlated_uniform(), "u_csat": correlated_uniform(),
        "u_ces": correlated_uniform(), "u_rfc": correlated_uniform(0.3),
        "u_within": rng.random(n_c), "u_within2": rng.random(n_c),
        "ask_nps": rng.random(n_c) < 0.9, "ask_csat": rng.random(n_c) < 0.75,
        "ask_ces": rng.random(n_c) < 0.45,
        "day_fraction": rng.random(n_c),
    })
    none_asked = ~(customers["ask_nps"] | customers["ask_csat"] | customers["ask_ces"])
    customers.loc[none_asked, "ask_nps"] = True
    return customers


def draw_assignments(params: DemoParameters, units: pd.DataFrame) -> pd.DataFrame:
    """Pilot assignments: P1 randomized among call centres and branches, P2 staggered stores."""
    rng = params.stream("assignments")
    eligible = units[units["unit_type"].isin(["call_centre", "branch"])]["unit_id"].to_numpy()
    treated = set(rng.permutation(eligible)[: len(eligible) // 2])
    rows = [{"pilot_id": "P1", "unit_id": u, "arm": "treatment" if u in treated else "control",
             "start_date": params.p1_start if u in treated else None} for u in eligible]
    stores = units[units["unit_type"] == "store"]
    for unit in stores.itertuples():
        start = params.p2_starts.get(unit.region)
        rows.append({"pilot_id": "P2", "unit_id": unit.unit_id,
                     "arm": "treatment" if start else "control", "start_date": start})
    return pd.DataFrame(rows)


@dataclass
class World:
    latent_ex: np.ndarray  # units x quarters
    ei: np.ndarray  # observed engagement index, units x quarters
    c: np.ndarray  # expected NPS, units x months
    employee_items: np.ndarray
    enps: np.ndarray
    employee_level: np.ndarray
    customers: pd.DataFrame
    outcomes: pd.DataFrame


def draw_pilot_effects(params: DemoParameters, units: pd.DataFrame, assignments: pd.DataFrame,
                   months: pd.DatetimeIndex):
    """Arrays of pilot effects on latent EX (per quarter) and on c (per month), and repeat-contact factors."""
    n_units, n_months = len(units), len(months)
    n_q = params.n_quarters
    ex_eff = np.zeros((n_units, n_q))
    cx_eff = np.zeros((n_units, n_months))
    repeat_factor = np.ones((n_units, n_months))
    index = {u: i for i, u in enumerate(units["unit_id"])}
    for row in assignments[assignments["arm"] == "treatment"].itertuples():
        u = index[row.unit_id]
        start = pd.Timestamp(row.start_date)
        month_pos = np.searchsorted(months, start)
        start_q = month_pos // 3
        if row.pilot_id == "P1":
            cx_eff[u, month_pos:] += params.p1_cx_effect
            ex_eff[u, start_q:] += params.p1_ex_effect
            repeat_factor[u, month_pos:] *= 1 - params.p1_repeat_contact_reduction
        else:
            e = np.arange(n_months - month_pos)
            cx_eff[u, month_pos:] += np.minimum(
                params.p2_cx_effect_start + params.p2_cx_effect_per_month * e, params.p2_cx_effect_max)
            k = np.arange(n_q - start_q)
            ex_eff[u, start_q:] += np.minimum(
                params.p2_ex_effect_start + params.p2_ex_effect_per_quarter * k, params.p2_ex_effect_max)
    return ex_eff, cx_eff, repeat_factor


def simulate_world(params: DemoParameters, d: Draws, ex_eff: np.ndarray, cx_eff: np.ndarray,
                    repeat_factor: np.ndarray, item_boost: np.ndarray | None = None) -> World:
    """One world from the shared draws; ``item_boost`` (units × quarters × items, index
    points) is what completed action plans did to the experience of their focus items."""
    units = d.units
    n_units = len(units)
    months = month_starts(params)
    n_months = len(months)
    n_q = params.n_quarters
    weights = np.array([params.driver_weights.get(item, 0.0) for item in ITEMS])
    item_levels = np.array([params.item_levels.get(item, 0.0) for item in ITEMS])
    cx_base = params.cx_mean + d.cx_indep + d.item_profile @ weights
    profile_mean = d.item_profile.mean(axis=1)

    latent_ex = np.zeros((n_units, n_q))
    ei = np.full((n_units, n_q), np.nan)
    c = np.zeros((n_units, n_months))
    n_emp = len(d.employees)
    items = np.full((n_emp, len(ITEMS)), np.nan)
    enps = np.zeros(n_emp)
    level = np.zeros(n_emp)
    cust = d.customers
    cust_cols = {k: np.full(len(cust), np.nan) for k in ("nps", "csat", "ces", "rfc")}
    emp_u = d.employees["u"].to_numpy()
    emp_q = d.employees["q"].to_numpy()
    cust_u = cust["u"].to_numpy()
    cust_m = cust["m"].to_numpy()
    baseline_ei = d.ex_base + profile_mean
    # what completed actions changed in the experience (index points: the focus item's share)
    acted = item_boost.mean(axis=2) if item_boost is not None else np.zeros((n_units, n_q))
    for q in range(n_q):
        # customers in quarter q feel what employees really lived through last quarter (the
        # survey only measures it), including what completed actions changed for them
        prev_ei = latent_ex[:, q - 1] + profile_mean + acted[:, q - 1] if q else baseline_ei
        for m in range(3 * q, 3 * q + 3):
            c[:, m] = (cx_base + d.month_effect[m] + params.ex_to_cx * (prev_ei - params.ex_mean)
                       + d.cx_noise[:, m] + cx_eff[:, m])
        sel = (cust_m >= 3 * q) & (cust_m < 3 * q + 3)
        cq = c[cust_u[sel], cust_m[sel]]
        answers = _customer_answers(params, cq, cust.loc[sel])
        for k, v in answers.items():
            cust_cols[k][sel] = v
        # employees at the end of quarter q react to what customers really lived through
        # last quarter (its expected NPS, not the few answers given)
        prev_cx = c[:, 3 * q - 3:3 * q].mean(axis=1) if q else np.full(n_units, params.cx_mean)
        latent_ex[:, q] = (d.ex_base + d.wave_effect[q] + d.ex_shock[:, q]
                           + params.cx_to_ex * (prev_cx - params.cx_mean) + ex_eff[:, q])
        es = emp_q == q
        lvl = latent_ex[emp_u[es], q] + d.employees["person_level"].to_numpy()[es]
        level[es] = lvl
        boost = item_boost[emp_u[es], q] if item_boost is not None else 0.0
        raw = (1 + 4 * (lvl[:, None] + d.item_profile[emp_u[es]] + item_levels[None, :]
                        + boost) / 100
               + d.item_noise[es])
        answered = np.clip(np.rint(raw), 1, 5)
        answered[d.item_missing[es]] = np.nan
        items[es] = answered
        enps[es] = np.clip(np.rint(lvl / 10 + 0.3 + d.enps_noise[es]), 0, 10)
        respondent_ei = (np.nanmean(answered, axis=1) - 1) / 4 * 100
        ei_q = pd.Series(respondent_ei).groupby(emp_u[es]).mean()
        ei[ei_q.index.to_numpy(), q] = ei_q.to_numpy()

    customers = cust.copy()
    for k, v in cust_cols.items():
        customers[k] = v
    outcomes = _outcomes(params, d, c, latent_ex + acted, repeat_factor)  # exits: as lived
    return World(latent_ex, ei, c, items, enps, level, customers, outcomes)


def _customer_answers(params: DemoParameters, c: np.ndarray, draws: pd.DataFrame) -> dict:
    """Answers whose expectations are exactly linear in ``c`` (see the module docstring)."""
    cc = np.clip(c, -65, 65)
    promoter = (0.7 + cc / 100) / 2
    detractor = (0.7 - cc / 100) / 2
    u = draws["u_nps"].to_numpy()
    w = draws["u_within"].to_numpy()
    # detractor scores 0-6 (mostly 5-6), passives 7-8, promoters 9-10
    detractor_scores = np.array([0, 1, 2, 3, 4, 5, 6])
    detractor_cdf = np.cumsum([0.04, 0.03, 0.05, 0.08, 0.12, 0.28, 0.40])
    nps = np.where(u < detractor, detractor_scores[np.searchsorted(detractor_cdf, w * 0.99999)],
                   np.where(u < 1 - promoter, np.where(w < 0.45, 7, 8), np.where(w < 0.45, 9, 10)))
    top2 = np.clip(params.csat_intercept + params.csat_per_nps * c, 2, 98) / 100
    u2 = draws["u_csat"].to_numpy()
    w2 = draws["u_within2"].to_numpy()
    csat = np.where(u2 > 1 - top2, np.where(w2 < 0.5, 4, 5),
                    np.select([w2 < 0.2, w2 < 0.5], [1, 2], 3))
    ces_mean = np.clip(params.ces_intercept + params.ces_per_nps * c, 1.05, 6.95)
    ces = 1 + binom.ppf(draws["u_ces"].to_numpy(), 6, (ces_mean - 1) / 6)
    rfc = draws["u_rfc"].to_numpy() > 1 - np.clip(  # resolved: the good end, as NPS and CSAT
        0.7 + 0.004 * (c - params.cx_mean), 0.05, 0.98)
    out = {
        "nps": np.where(draws["ask_nps"].to_numpy(), nps, np.nan),
        "csat": np.where(draws["ask_csat"].to_numpy(), csat, np.nan),
        "ces": np.where(draws["ask_ces"].to_numpy(), ces, np.nan),
        "rfc": rfc.astype(float),
    }
    return out


def _outcomes(params: DemoParameters, d: Draws, c: np.ndarray, latent_ex: np.ndarray,
              repeat_factor: np.ndarray) -> pd.DataFrame:
    units = d.units
    months = month_starts(params)
    n_units, n_months = c.shape
    base_customers = units["unit_type"].map(
        {"store": 4000, "branch": 6000, "call_centre": 20000, "team": 600}).to_numpy()
    growth = 1 + 0.004 * np.arange(n_months)
    active = np.rint(base_customers[:, None] * growth[None, :]).astype(int)
    # money follows what customers really lived through (their expected NPS), not the NPS
    # that the few who answered happened to give
    realised = np.array(c, dtype=float)
    churn = np.clip(params.churn_base + params.churn_per_nps * (realised - params.cx_mean)
                    + d.churn_noise, 0.002, 0.2)
    lost = np.rint(active * churn).astype(int)
    rpc = (params.revenue_per_customer_base
           + params.revenue_per_customer_per_nps * (realised - params.cx_mean) + d.rpc_noise)
    revenue = np.round(active * rpc, 2)
    staff = units["staff"].to_numpy()
    ex_month = latent_ex[:, np.arange(n_months) // 3]  # each month, its quarter's experience
    exit_rate = np.clip(params.exit_rate_base + params.exit_rate_per_ei * (ex_month - params.ex_mean),
                        0.001, 0.3)
    employees_left = binom.ppf(d.exit_uniform, staff[:, None], exit_rate).astype(int)
    rfc = np.clip(0.7 + 0.004 * (c - params.cx_mean), 0.05, 0.98)
    contacts = active * 0.05
    repeat = np.rint(contacts * (1 - rfc) * repeat_factor).astype(int)
    complaints = np.rint(active * 0.002 * np.clip(1 - (c - params.cx_mean) / 100, 0.2, 3)).astype(int)
    cost_to_serve = np.round(contacts * 6.5 + repeat * 9.0, 2)
    frame = pd.DataFrame({
        "unit_id": np.repeat(units["unit_id"].to_numpy(), n_months),
        "period": np.tile(months.strftime("%Y-%m-%d"), n_units),
        "revenue": revenue.ravel(), "customers_active": active.ravel(),
        "customers_lost": lost.ravel(), "employees": np.repeat(staff, n_months),
        "employees_left": employees_left.ravel(), "cost_to_serve": cost_to_serve.ravel(),
        "complaints": complaints.ravel(), "repeat_contacts": repeat.ravel(),
    })
    return frame


def unit_period_panels(params: DemoParameters, d: Draws, world: World):
    months = month_starts(params)
    cust = world.customers
    frame = pd.DataFrame({"u": cust["u"], "m": cust["m"], "nps": cust["nps"],
                          "csat": cust["csat"], "ces": cust["ces"]})
    frame["promoter"] = np.where(frame["nps"].isna(), np.nan, (frame["nps"] >= 9).astype(float))
    frame["detractor"] = np.where(frame["nps"].isna(), np.nan, (frame["nps"] <= 6).astype(float))
    frame["nps_score"] = (frame["promoter"] - frame["detractor"]) * 100
    frame["csat_top2"] = np.where(frame["csat"].isna(), np.nan, (frame["csat"] >= 4) * 100.0)
    monthly = frame.groupby(["u", "m"]).agg(nps=("nps_score", "mean"), csat=("csat_top2", "mean"),
                                            ces=("ces", "mean")).reset_index()
    monthly["period"] = months[monthly["m"]]
    frame["q"] = frame["m"] // 3
    quarterly = frame.groupby(["u", "q"]).agg(nps=("nps_score", "mean"), csat=("csat_top2", "mean"),
                                              ces=("ces", "mean")).reset_index()
    emp = pd.DataFrame({"u": d.employees["u"], "q": d.employees["q"],
                        "ei": (np.nanmean(world.employee_items, axis=1) - 1) / 4 * 100,
                        "enps": world.enps})
    emp["enps_score"] = ((emp["enps"] >= 9).astype(float) - (emp["enps"] <= 6).astype(float)) * 100
    ex = emp.groupby(["u", "q"]).agg(engagement_index=("ei", "mean"),
                                      enps=("enps_score", "mean")).reset_index()
    return monthly, quarterly, ex


def planted_pilot_truth(params: DemoParameters, d: Draws, factual: World, counterfactual: World,
                 assignments: pd.DataFrame) -> dict:
    months = month_starts(params)
    index = {u: i for i, u in enumerate(d.units["unit_id"])}
    f_month, _, f_ex = unit_period_panels(params, d, factual)
    c_month, _, c_ex = unit_period_panels(params, d, counterfactual)
    month_diff = f_month.merge(c_month, on=["u", "m", "period"], suffixes=("", "_cf"))
    ex_diff = f_ex.merge(c_ex, on=["u", "q"], suffixes=("", "_cf"))
    # money outcomes: monthly, repeat contacts per 1,000 customers and exits
    f_out, c_out = factual.outcomes.copy(), counterfactual.outcomes.copy()
    for frame in (f_out, c_out):
        frame["u"] = frame["unit_id"].map(index)
        frame["m"] = np.tile(np.arange(len(months)), len(d.units))
        frame["repeat_contacts_per_1000"] = frame["repeat_contacts"] / frame["customers_active"] * 1000
    out_diff = f_out.merge(c_out, on=["u", "m"], suffixes=("", "_cf"))
    truth: dict = {}
    for pilot_id, group in assignments[assignments["arm"] == "treatment"].groupby("pilot_id"):
        starts = {index[r.unit_id]: int(np.searchsorted(months, pd.Timestamp(r.start_date)))
                  for r in group.itertuples()}
        md = month_diff[month_diff["u"].isin(starts)].copy()
        md["e"] = md["m"] - md["u"].map(starts)
        md = md[md["e"] >= 0]
        xd = ex_diff[ex_diff["u"].isin(starts)].copy()
        xd["e"] = xd["q"] - xd["u"].map({u: s // 3 for u, s in starts.items()})
        xd = xd[xd["e"] >= 0]
        od = out_diff[out_diff["u"].isin(starts)].copy()
        od["e"] = od["m"] - od["u"].map(starts)
        od = od[od["e"] >= 0]
        att = {}
        by_event = {}
        for outcome in ("nps", "csat", "ces"):
            diff = md[outcome] - md[outcome + "_cf"]
            att[outcome] = float(diff.mean())
            by_event[outcome] = {int(k): float(v) for k, v in diff.groupby(md["e"]).mean().items()}
        for outcome in ("engagement_index", "enps"):
            diff = xd[outcome] - xd[outcome + "_cf"]
            att[outcome] = float(diff.mean())
            by_event[outcome] = {int(k): float(v) for k, v in diff.groupby(xd["e"]).mean().items()}
        for outcome in ("repeat_contacts_per_1000", "employees_left"):
            diff = od[outcome] - od[outcome + "_cf"]
            att[outcome] = float(diff.mean())
        truth[pilot_id] = {
            "att": att,
            "att_event_time": by_event,
            "event_time_unit": {"nps": "month", "csat": "month", "ces": "month",
                                "engagement_index": "quarter", "enps": "quarter"},
            "n_treated_units": len(starts),
            "note": "sample ATT over treated units and all periods from their start "
                    "(simple aggregation, each treated unit-period weighted equally), "
                    "computed with common random numbers (world with minus world without pilots)",
        }
    return truth
