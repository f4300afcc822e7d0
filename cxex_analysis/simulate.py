"""A seeded demo organisation with planted, known effects.

:func:`generate` writes the data-contract files of a synthetic organisation (units, employee
and customer surveys, monthly unit outcomes, two pilots) plus ``truth.json`` listing every
planted effect, so that tests can check that the analyses recover them.

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
  the expected NPS is exactly ``c``; expected CSAT top-2-box (%) = ``csat_intercept +
  csat_per_nps * c``, expected CES = ``ces_intercept + ces_per_nps * c``.
* Money. Monthly churn and revenue per customer follow the latent ``c`` (``churn_per_nps``,
  ``revenue_per_customer_per_nps``), employee exits the latent ``L``: money follows what
  people live through, and the surveys only measure it, so a link estimated as if unit
  scores were exact is attenuated.
* Truths are reported in the units the estimators see: per measured engagement-index point
  (the latent effect divided by :func:`ex_measurement_slope`, computed exactly from the
  answer model, not assumed) and per NPS point.
* Pilots. P1 is randomized (call centres and branches, one start date), P2 a staggered
  rollout to stores by region with effects that grow with time since start. Their true
  effects (``att``) are computed with common random numbers: the same world is simulated
  with and without the pilots and the difference averaged over treated units after start.

Defaults are calibrated to published magnitudes: between-unit correlation of engagement
with customer outcomes about 0.3, with turnover about -0.3; EX -> CX with a one-quarter lag
and a weaker CX -> EX; the Sears chain's +5 employee points -> +1.3 customer points.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ParameterError

REGIONS = ("North", "South", "East", "West", "Central", "Coastal")
ITEMS = ("recognition", "tools", "manager", "voice", "growth", "purpose", "customer_focus")
CUSTOMER_THEMES = ("wait_times", "resolution", "staff_attitude", "tools_systems", "price")
EMPLOYEE_THEMES = ("tools_systems", "staffing", "recognition", "manager", "growth")


@dataclass
class DemoParameters:
    """Every planted effect and size of the demo organisation (all may be changed)."""

    seed: int = 20241
    start: str = "2024-01-01"
    n_quarters: int = 8
    units_by_type: dict[str, int] = field(default_factory=lambda: {
        "store": 70, "branch": 45, "call_centre": 25, "team": 10})
    #: teams this small fall below the confidentiality threshold (min_group_size 5)
    n_tiny_teams: int = 3
    staff_by_type: dict[str, int] = field(default_factory=lambda: {
        "store": 16, "branch": 12, "call_centre": 40, "team": 8})
    monthly_responses_by_type: dict[str, float] = field(default_factory=lambda: {
        "store": 25.0, "branch": 20.0, "call_centre": 60.0, "team": 5.0})
    employee_response_rate: float = 0.8
    # employee experience (engagement-index points)
    ex_mean: float = 66.0
    ex_between_sd: float = 7.0
    ex_shock_sd: float = 4.0
    ex_shock_rho: float = 0.5  # engagement shocks persist: a bad quarter lingers
    employee_sd: float = 9.0
    item_profile_sd: float = 6.0
    item_noise_sd: float = 0.55
    item_missing_share: float = 0.02
    # customer experience (NPS points)
    cx_mean: float = 25.0
    cx_between_sd: float = 18.0
    cx_month_noise_sd: float = 3.0
    cx_shock_sd: float = 6.0  # lingering local events (NPS points, stationary SD)
    cx_shock_rho: float = 0.8  # their month-to-month persistence
    csat_intercept: float = 64.0
    csat_per_nps: float = 0.55
    ces_intercept: float = 4.3
    ces_per_nps: float = 0.02
    # linkage (the planted truths)
    ex_to_cx: float = 0.6
    cx_to_ex: float = 0.04
    #: how much more (or less) favourably each item is rated everywhere (index points)
    item_levels: dict[str, float] = field(default_factory=lambda: {
        "recognition": -4.0, "tools": -7.0, "manager": 2.0, "voice": -2.0, "growth": -5.0,
        "purpose": 7.0, "customer_focus": 3.0})
    driver_weights: dict[str, float] = field(default_factory=lambda: {
        "tools": 0.9, "customer_focus": 0.7, "manager": 0.4, "recognition": 0.25,
        "voice": 0.1, "growth": 0.0, "purpose": 0.0})
    # money
    churn_base: float = 0.025
    churn_per_nps: float = -0.0002
    revenue_per_customer_base: float = 40.0
    revenue_per_customer_per_nps: float = 0.15
    exit_rate_base: float = 0.015
    exit_rate_per_ei: float = -0.00025
    # pilots
    p1_start: str = "2025-01-01"
    p1_ex_effect: float = 3.0
    p1_cx_effect: float = 4.0
    p1_repeat_contact_reduction: float = 0.12
    p2_starts: dict[str, str] = field(default_factory=lambda: {
        "North": "2024-07-01", "South": "2024-07-01", "East": "2024-10-01",
        "West": "2025-01-01", "Central": "2025-04-01"})
    p2_cx_effect_start: float = 1.0
    p2_cx_effect_per_month: float = 0.4
    p2_cx_effect_max: float = 6.0
    p2_ex_effect_start: float = 1.0
    p2_ex_effect_per_quarter: float = 0.75
    p2_ex_effect_max: float = 4.0
    comment_share_customer: float = 0.3
    comment_share_employee: float = 0.25
    #: write the planted bad rows (see ``truth.json`` ``planted_invalid_rows``)
    messy: bool = True

    def validate(self) -> None:
        if self.n_quarters < 3:
            raise ParameterError(f"`n_quarters` must be at least 3, but {self.n_quarters} was passed.")
        for name in ("employee_response_rate", "comment_share_customer", "comment_share_employee"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ParameterError(f"`{name}` must be between 0 and 1, but {value!r} was passed.")
        unknown = (set(self.driver_weights) | set(self.item_levels)) - set(ITEMS)
        if unknown:
            raise ParameterError(f"`driver_weights` or `item_levels` name unknown items {sorted(unknown)}; "
                                 f"allowed: {', '.join(ITEMS)}.")


# --------------------------------------------------------------------------------------
# comments
# --------------------------------------------------------------------------------------

# Each theme's comments share its word (wait, problem/resolved, staff, system, price; shift,
# recognition, manager, career), positive or negative, as people's comments about one topic do.
_CUSTOMER_TEXT = {
    "wait_times": (
        ["I waited far too long to be served", "The wait on hold was forty minutes, ridiculous",
         "Waiting time was terrible again", "Nobody answered for ages, the wait is too long"],
        ["Quick service, hardly any wait", "I was seen straight away with no wait",
         "Short waiting time, fast and efficient"]),
    "resolution": (
        ["My problem is still not resolved after three calls", "Nobody could resolve my problem",
         "I had to call back because the problem was not resolved",
         "Three weeks and my problem is still not resolved"],
        ["They resolved my problem first time", "Problem resolved in one call, brilliant",
         "Resolved my problem quickly and completely"]),
    "staff_attitude": (
        ["The staff were rude and unhelpful", "The staff member was dismissive and did not listen",
         "Unfriendly staff, felt like a nuisance"],
        ["Friendly and helpful staff", "The staff member was lovely and really listened",
         "Staff were polite, warm and knowledgeable"]),
    "tools_systems": (
        ["Their system was down so nothing could be done", "The agent said the system was too slow",
         "The system kept crashing and they could not look up my account",
         "They could not find my details, the system is a mess"],
        ["The system worked smoothly", "They found my account instantly on the system",
         "The online system made it easy"]),
    "price": (
        ["The price is too high for what you get", "Prices keep going up",
         "Hidden fees on top of the price"],
        ["Good price, good value", "Fair price", "Reasonable price and fees"]),
}
_EMPLOYEE_TEXT = {
    "tools_systems": (
        ["Our systems are slow and crash during calls", "The system makes it hard to help customers",
         "The knowledge base system is out of date, we cannot find answers"],
        ["The new system makes my job easier", "Systems work well and help me serve customers"]),
    "staffing": (
        ["We are always short on every shift", "Too few people on shift, customers wait for ages",
         "Shift staffing levels are unsustainable"],
        ["Shifts are well planned and we have enough people", "Shift cover has improved a lot"]),
    "recognition": (
        ["Nobody gives recognition when we go the extra mile", "No recognition for good work",
         "I never get recognition or a thank you"],
        ["My work gets recognition and is appreciated", "Great recognition from my team"]),
    "manager": (
        ["My manager does not support me", "My manager never listens to us",
         "Poor communication from my manager"],
        ["My manager is supportive and fair", "Great manager who listens"]),
    "growth": (
        ["There is no career path or training here", "No training or career development",
         "I cannot see a career here"],
        ["Good training and career development", "Plenty of training and chances to grow my career"]),
}
_ITEM_THEME = {"tools": "tools_systems", "recognition": "recognition", "manager": "manager",
               "growth": "growth", "voice": "manager", "purpose": "growth",
               "customer_focus": "staffing"}
_NON_ENGLISH = ["El servicio fue muy lento y nadie me ayudó",
                "Le personnel était très aimable, merci beaucoup",
                "Die Wartezeit war viel zu lang"]
_PII_SUFFIXES = [" Please email me at {name}@example.com", " Call me back on 07700 900{num:03d}",
                 " My card 4111 1111 1111 {num:04d} was charged twice",
                 " Reach me at +44 20 7946 0{num:03d}"]
_HTML_COMMENT = "<script>alert('hello')</script> <b>Great</b> service & quick"
_PHONE_NAMES = ["jane.doe", "j.smith", "sam_k", "alex.m"]


def _compose(rng: np.random.Generator, bank: dict, theme: str, positive: bool) -> str:
    negative_list, positive_list = bank[theme]
    options = positive_list if positive else negative_list
    return options[rng.integers(len(options))]


# --------------------------------------------------------------------------------------
# the world
# --------------------------------------------------------------------------------------

@dataclass
class _Draws:
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
    customers: pd.DataFrame  # per response, with uniforms
    exit_uniform: np.ndarray
    churn_noise: np.ndarray
    rpc_noise: np.ndarray


def _months(params: DemoParameters) -> pd.DatetimeIndex:
    return pd.date_range(params.start, periods=params.n_quarters * 3, freq="MS")


def _draw(params: DemoParameters) -> _Draws:
    rng = np.random.default_rng(params.seed)
    months = _months(params)
    n_months = len(months)
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
    local = np.random.default_rng([params.seed, 1]).normal(0, 1, (n_units, n_months))
    shock = local[:, 0] * params.cx_shock_sd
    innovation = params.cx_shock_sd * np.sqrt(1 - params.cx_shock_rho ** 2)
    for m in range(n_months):
        if m:
            shock = params.cx_shock_rho * shock + innovation * local[:, m]
        cx_noise[:, m] += shock

    # employees: a roster per unit with turnover; respondents per wave
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

    # customers: response counts per unit-month and uniforms for every answer
    rates = units["unit_type"].map(params.monthly_responses_by_type).to_numpy()
    counts = rng.poisson(np.repeat(rates[:, None], n_months, axis=1))
    u_idx = np.repeat(np.repeat(np.arange(n_units), n_months), counts.ravel())
    m_idx = np.repeat(np.tile(np.arange(n_months), n_units), counts.ravel())
    n_c = len(u_idx)
    common = rng.normal(size=n_c)

    def correlated_uniform() -> np.ndarray:
        from scipy.stats import norm
        return norm.cdf(0.75 * common + np.sqrt(1 - 0.75 ** 2) * rng.normal(size=n_c))

    customers = pd.DataFrame({
        "u": u_idx, "m": m_idx,
        "u_nps": correlated_uniform(), "u_csat": correlated_uniform(),
        "u_ces": correlated_uniform(), "u_rfc": correlated_uniform(),
        "u_within": rng.random(n_c), "u_within2": rng.random(n_c),
        "ask_nps": rng.random(n_c) < 0.9, "ask_csat": rng.random(n_c) < 0.75,
        "ask_ces": rng.random(n_c) < 0.45,
        "day_fraction": rng.random(n_c),
    })
    none_asked = ~(customers["ask_nps"] | customers["ask_csat"] | customers["ask_ces"])
    customers.loc[none_asked, "ask_nps"] = True
    exit_uniform = rng.random((n_units, n_months))
    churn_noise = rng.normal(0, 0.002, (n_units, n_months))
    rpc_noise = rng.normal(0, 1.0, (n_units, n_months))
    return _Draws(units, item_profile, ex_base, cx_indep, wave_effect, month_effect, ex_shock,
                  cx_noise, employees, item_noise, item_missing, enps_noise, customers,
                  exit_uniform, churn_noise, rpc_noise)


def _assignments(params: DemoParameters, units: pd.DataFrame) -> pd.DataFrame:
    """Pilot assignments: P1 randomized among call centres and branches, P2 staggered stores."""
    rng = np.random.default_rng(params.seed + 1)
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
class _World:
    latent_ex: np.ndarray  # units x quarters
    ei: np.ndarray  # observed engagement index, units x quarters
    c: np.ndarray  # expected NPS, units x months
    employee_items: np.ndarray
    enps: np.ndarray
    employee_level: np.ndarray
    customers: pd.DataFrame
    outcomes: pd.DataFrame


def _pilot_effects(params: DemoParameters, units: pd.DataFrame, assignments: pd.DataFrame,
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


def _simulate_world(params: DemoParameters, d: _Draws, ex_eff: np.ndarray, cx_eff: np.ndarray,
                    repeat_factor: np.ndarray) -> _World:
    units = d.units
    n_units = len(units)
    months = _months(params)
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
    for q in range(n_q):
        # customers in quarter q feel what employees really lived through last quarter (the
        # survey only measures it)
        prev_ei = latent_ex[:, q - 1] + profile_mean if q else baseline_ei
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
        raw = (1 + 4 * (lvl[:, None] + d.item_profile[emp_u[es]] + item_levels[None, :]) / 100
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
    outcomes = _outcomes(params, d, c, latent_ex, repeat_factor)
    return _World(latent_ex, ei, c, items, enps, level, customers, outcomes)


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
    from scipy.stats import binom
    ces = 1 + binom.ppf(draws["u_ces"].to_numpy(), 6, (ces_mean - 1) / 6)
    rfc = draws["u_rfc"].to_numpy() < np.clip(0.7 + 0.004 * (c - params.cx_mean), 0.05, 0.98)
    out = {
        "nps": np.where(draws["ask_nps"].to_numpy(), nps, np.nan),
        "csat": np.where(draws["ask_csat"].to_numpy(), csat, np.nan),
        "ces": np.where(draws["ask_ces"].to_numpy(), ces, np.nan),
        "rfc": rfc.astype(float),
    }
    return out


def _outcomes(params: DemoParameters, d: _Draws, c: np.ndarray, latent_ex: np.ndarray,
              repeat_factor: np.ndarray) -> pd.DataFrame:
    units = d.units
    months = _months(params)
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
    quarter_of_month = np.arange(n_months) // 3
    ex_month = latent_ex[:, quarter_of_month]
    exit_rate = np.clip(params.exit_rate_base + params.exit_rate_per_ei * (ex_month - params.ex_mean),
                        0.001, 0.3)
    from scipy.stats import binom
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


# --------------------------------------------------------------------------------------
# panels used for the truth (independent of cxex_analysis.panels on purpose)
# --------------------------------------------------------------------------------------

def _unit_period_panels(params: DemoParameters, d: _Draws, world: _World):
    months = _months(params)
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


def ex_measurement_slope(params: DemoParameters, d: _Draws, latent_ex: np.ndarray) -> float:
    """Measured engagement-index points per latent point, within units and quarters.

    Each answer is ``clip(round(1 + 4 (L + person + profile + item level) / 100 + noise))``;
    its expectation given a unit's latent ``L`` is exact (normal distribution functions of
    the rounding thresholds), and the slope of the expected index on ``L`` is projected
    within units and quarters, as :mod:`cxex_analysis.latent` does: rounding and the ends of
    the 1–5 scale make it a little below 1.
    """
    from .latent import expected_rounded

    levels = np.array([params.item_levels.get(item, 0.0) for item in ITEMS])
    sd = np.hypot(4 * params.employee_sd / 100, params.item_noise_sd)
    centre = 1 + 4 * (latent_ex[:, :, None] + d.item_profile[:, None, :] + levels) / 100
    expected = (expected_rounded(centre, sd, 1, 5).mean(axis=-1) - 1) / 4 * 100

    def within(values: np.ndarray) -> np.ndarray:
        v = values - values.mean(axis=1, keepdims=True)
        return v - v.mean(axis=0, keepdims=True)

    x, y = within(latent_ex), within(expected)
    return float((x * y).sum() / (x * x).sum())


def _pilot_truth(params: DemoParameters, d: _Draws, factual: _World, counterfactual: _World,
                 assignments: pd.DataFrame) -> dict:
    months = _months(params)
    index = {u: i for i, u in enumerate(d.units["unit_id"])}
    f_month, _, f_ex = _unit_period_panels(params, d, factual)
    c_month, _, c_ex = _unit_period_panels(params, d, counterfactual)
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


# --------------------------------------------------------------------------------------
# writing the files
# --------------------------------------------------------------------------------------

def _customer_frame(params: DemoParameters, d: _Draws, world: _World) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(params.seed + 2)
    months = _months(params)
    cust = world.customers
    units = d.units
    n = len(cust)
    month_start = months[cust["m"].to_numpy()]
    days = month_start.days_in_month.to_numpy()
    # between day 1 02:00 and the last day 21:00, so a time-zone offset never changes the month
    seconds = 2 * 3600 + cust["day_fraction"].to_numpy() * ((days - 1) * 86400 + 19 * 3600)
    stamps = month_start + pd.to_timedelta(np.floor(seconds), unit="s")
    text = stamps.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy().astype(object)
    offset_rows = rng.random(n) < 0.05
    shifted = (stamps[offset_rows] + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")
    text[offset_rows] = shifted.to_numpy()
    unit_type = units["unit_type"].to_numpy()[cust["u"].to_numpy()]
    channel_options = {"store": (["store", "web"], [0.8, 0.2]),
                       "branch": (["store", "phone", "web"], [0.6, 0.2, 0.2]),
                       "call_centre": (["phone", "chat"], [0.75, 0.25]),
                       "team": (["phone", "web", "other"], [0.5, 0.3, 0.2])}
    channel = np.empty(n, dtype=object)
    for kind, (options, probs) in channel_options.items():
        mask = unit_type == kind
        channel[mask] = rng.choice(options, size=mask.sum(), p=probs)
    rfc = np.where(np.isin(unit_type, ["call_centre", "branch"]),
                   np.where(cust["rfc"].to_numpy() > 0, "true", "false"), "")
    frame = pd.DataFrame({
        "response_id": [f"C{i:07d}" for i in range(1, n + 1)],
        "responded_at": text,
        "unit_id": units["unit_id"].to_numpy()[cust["u"].to_numpy()],
        "channel": channel,
        "nps": cust["nps"].astype("Int64"),
        "csat": cust["csat"].astype("Int64"),
        "ces": cust["ces"].astype("Int64"),
        "resolved_first_contact": rfc,
        "customer_key": [f"K{k:07d}" for k in rng.integers(0, n, n)],
    })
    # comments tied to the scores; units with a poor tools profile get more tools/resolution talk
    has_comment = rng.random(n) < params.comment_share_customer
    tools = d.item_profile[:, ITEMS.index("tools")][cust["u"].to_numpy()]
    comments = np.full(n, "", dtype=object)
    themes = np.full(n, "", dtype=object)
    base = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
    nps_values = cust["nps"].to_numpy()
    csat_values = cust["csat"].to_numpy()
    for i in np.flatnonzero(has_comment):
        weights = base.copy()
        if tools[i] < -3:
            weights[CUSTOMER_THEMES.index("tools_systems")] *= 3
            weights[CUSTOMER_THEMES.index("resolution")] *= 1.5
        theme = CUSTOMER_THEMES[rng.choice(len(CUSTOMER_THEMES), p=weights / weights.sum())]
        if not np.isnan(nps_values[i]):
            positive = nps_values[i] >= 9 or (nps_values[i] >= 7 and rng.random() < 0.5)
        elif not np.isnan(csat_values[i]):
            positive = csat_values[i] >= 4
        else:
            positive = rng.random() < 0.5
        comments[i] = _compose(rng, _CUSTOMER_TEXT, theme, positive)
        themes[i] = theme
    pii_rows = rng.choice(np.flatnonzero(has_comment), size=40, replace=False)
    for j, i in enumerate(pii_rows):
        template = _PII_SUFFIXES[j % len(_PII_SUFFIXES)]
        comments[i] += template.format(name=_PHONE_NAMES[j % len(_PHONE_NAMES)], num=j)
    foreign = rng.choice(np.setdiff1d(np.flatnonzero(has_comment), pii_rows), size=12, replace=False)
    for j, i in enumerate(foreign):
        comments[i] = _NON_ENGLISH[j % len(_NON_ENGLISH)]
        themes[i] = "non_english"
    html_row = int(np.setdiff1d(np.flatnonzero(has_comment), np.r_[pii_rows, foreign])[0])
    comments[html_row] = _HTML_COMMENT
    themes[html_row] = "staff_attitude"
    frame["comment"] = comments
    frame = frame[["response_id", "responded_at", "unit_id", "channel", "nps", "csat", "ces",
                   "resolved_first_contact", "comment", "customer_key"]]
    info = {
        "comment_themes": dict(zip(frame["response_id"][has_comment], themes[has_comment])),
        "pii_response_ids": frame["response_id"].to_numpy()[pii_rows].tolist(),
        "html_comment_response_id": frame["response_id"].iloc[html_row],
        "non_english_response_ids": frame["response_id"].to_numpy()[foreign].tolist(),
    }
    return frame, info


def _employee_frame(params: DemoParameters, d: _Draws, world: _World) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(params.seed + 3)
    months = _months(params)
    waves = [(months[3 * q + 2] + pd.offsets.MonthEnd(0)).date().isoformat()
             for q in range(params.n_quarters)]
    emp = d.employees
    n = len(emp)
    frame = pd.DataFrame({
        "response_id": [f"R{i:06d}" for i in range(1, n + 1)],
        "wave": [waves[q] for q in emp["q"]],
        "unit_id": d.units["unit_id"].to_numpy()[emp["u"].to_numpy()],
        "role": emp["role"].to_numpy(),
        "tenure_band": emp["tenure_band"].to_numpy(),
    })
    for k, item in enumerate(ITEMS):
        frame[f"eng_{item}"] = pd.array(world.employee_items[:, k], dtype="Float64").astype("Int64")
    frame["enps"] = world.enps.astype(int)
    has_comment = rng.random(n) < params.comment_share_employee
    comments = np.full(n, "", dtype=object)
    themes = np.full(n, "", dtype=object)
    respondent_ei = (np.nanmean(world.employee_items, axis=1) - 1) / 4 * 100
    unit_type = d.units["unit_type"].to_numpy()[emp["u"].to_numpy()]
    for i in np.flatnonzero(has_comment):
        answers = world.employee_items[i]
        if unit_type[i] == "call_centre" and respondent_ei[i] < 60 and rng.random() < 0.4:
            theme = "staffing"
        else:
            lowest = int(np.nanargmin(np.where(np.isnan(answers), 9, answers)))
            theme = _ITEM_THEME[ITEMS[lowest]]
        positive = respondent_ei[i] >= 72
        comments[i] = _compose(rng, _EMPLOYEE_TEXT, theme, positive)
        themes[i] = theme
    pii = rng.choice(np.flatnonzero(has_comment), size=10, replace=False)
    for j, i in enumerate(pii):
        comments[i] += f" Contact me at {_PHONE_NAMES[j % 4]}@example.com or 07700 900{j + 500:03d}"
    frame["comment"] = comments
    frame["employee_key"] = emp["employee_key"].to_numpy()
    info = {"comment_themes": dict(zip(frame["response_id"][has_comment], themes[has_comment])),
            "pii_response_ids": frame["response_id"].to_numpy()[pii].tolist()}
    return frame, info


def _insert_bad_rows(frame: pd.DataFrame, bad: list[dict], rng: np.random.Generator,
                     duplicate_of: int | None = None) -> pd.DataFrame:
    """Insert bad rows (dicts of overrides on a copy of a random row) at random places."""
    out = frame.copy()
    pieces = []
    for overrides in bad:
        row = out.iloc[int(rng.integers(len(out)))].copy()
        for key, value in overrides.items():
            row[key] = value
        pieces.append(row)
    extra = pd.DataFrame(pieces)
    positions = np.sort(rng.integers(10, len(out), len(extra)))
    parts, last = [], 0
    for pos, (_, row) in zip(positions, extra.iterrows()):
        parts.append(out.iloc[last:pos])
        parts.append(row.to_frame().T)
        last = pos
    parts.append(out.iloc[last:])
    result = pd.concat(parts, ignore_index=True)
    if duplicate_of is not None:
        dup = out.iloc[[duplicate_of]]
        result = pd.concat([result.iloc[: duplicate_of + 5], dup, result.iloc[duplicate_of + 5:]],
                           ignore_index=True)
    return result


def generate(out_dir: Path | str, params: DemoParameters | None = None) -> dict:
    """Write the demo organisation's contract files and ``truth.json`` into ``out_dir``.

    Returns the truth dictionary (also written to ``out_dir/truth.json``).

    Examples
    --------
    >>> truth = generate("data/demo")                      # doctest: +SKIP
    >>> truth["linkage"]["ex_to_cx_lagged"]["nps"]         # doctest: +SKIP
    0.6
    """
    params = params or DemoParameters()
    params.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draws = _draw(params)
    assignments = _assignments(params, draws.units)
    months = _months(params)
    ex_eff, cx_eff, repeat_factor = _pilot_effects(params, draws.units, assignments, months)
    factual = _simulate_world(params, draws, ex_eff, cx_eff, repeat_factor)
    counterfactual = _simulate_world(params, draws, np.zeros_like(ex_eff), np.zeros_like(cx_eff),
                                     np.ones_like(repeat_factor))
    pilot_truth = _pilot_truth(params, draws, factual, counterfactual, assignments)

    units = draws.units[["unit_id", "unit_name", "region", "unit_type", "opened_on"]]
    customers, customer_info = _customer_frame(params, draws, factual)
    employees, employee_info = _employee_frame(params, draws, factual)
    outcomes = factual.outcomes
    pilots = pd.DataFrame([
        {"pilot_id": "P1", "name": "Knowledge base for agents",
         "description": "A searchable knowledge base for call-centre and branch staff, "
                        "randomized to half of the eligible units.",
         "design": "randomized", "primary_outcome": "csat", "cost_per_unit": 8000,
         "currency": "EUR"},
        {"pilot_id": "P2", "name": "Leaders' frontline visits",
         "description": "Senior leaders spend a day a month on the shop floor; rolled out "
                        "region by region.",
         "design": "staggered", "primary_outcome": "nps", "cost_per_unit": 3000, "currency": "EUR"},
    ])

    invalid = {"customer_survey": 0, "employee_survey": 0, "unit_outcomes": 0}
    if params.messy:
        rng = np.random.default_rng(params.seed + 4)
        bad_customers = [
            {"response_id": "C9000001", "nps": 11},
            {"response_id": "C9000002", "csat": 0},
            {"response_id": "C9000003", "ces": "seven"},
            {"response_id": "C9000004", "responded_at": "2031-01-15T10:00:00Z"},
            {"response_id": "C9000005", "unit_id": "U999"},
            {"response_id": "C9000006", "responded_at": "31/13/2025"},
            {"response_id": "C9000007", "nps": pd.NA, "csat": pd.NA, "ces": pd.NA},
            {"response_id": "C9000008", "channel": "fax"},
            {"response_id": "C9000009", "nps": 7.5},
        ]
        customers = _insert_bad_rows(customers, bad_customers, rng, duplicate_of=100)
        invalid["customer_survey"] = len(bad_customers) + 1
        bad_employees = [
            {"response_id": "R9000001", "eng_tools": 6},
            {"response_id": "R9000002", "role": "contractor"},
            {"response_id": "R9000003", "enps": 12},
            {"response_id": "R9000004", "employee_key": "firstname.lastname@company.com"},
            {"response_id": "R9000005", "wave": "not a date"},
        ]
        employees = _insert_bad_rows(employees, bad_employees, rng, duplicate_of=50)
        invalid["employee_survey"] = len(bad_employees) + 1
        bad_outcomes = [
            {"period": "2024-05-15", "unit_id": "U001"},
            {"customers_lost": 999999, "period": "2023-12-01", "unit_id": "U002"},
        ]
        outcomes = _insert_bad_rows(outcomes, bad_outcomes, rng)
        invalid["unit_outcomes"] = len(bad_outcomes)

    units.to_csv(out / "units.csv", index=False)
    customers.to_csv(out / "customer_survey.csv", index=False)
    employees.to_csv(out / "employee_survey.csv", index=False)
    outcomes.to_csv(out / "unit_outcomes.csv", index=False)
    pilots.to_csv(out / "pilots.csv", index=False)
    assignments.to_csv(out / "pilot_assignments.csv", index=False)
    themes = pd.concat([
        pd.DataFrame({"source": "customer", "response_id": list(customer_info["comment_themes"]),
                      "theme": list(customer_info["comment_themes"].values())}),
        pd.DataFrame({"source": "employee", "response_id": list(employee_info["comment_themes"]),
                      "theme": list(employee_info["comment_themes"].values())}),
    ])
    themes.to_csv(out / "truth_comment_themes.csv", index=False)

    # realised between-unit correlations (what a perfect analysis would see)
    _, quarterly, ex = _unit_period_panels(params, draws, factual)
    unit_ex = ex.groupby("u")["engagement_index"].mean()
    unit_cx = quarterly.groupby("u")[["nps", "csat", "ces"]].mean()
    turnover = factual.outcomes.assign(u=np.repeat(np.arange(len(draws.units)), len(months)))
    exit_rate = (turnover.groupby("u")["employees_left"].sum()
                 / turnover.groupby("u")["employees"].sum())
    big = draws.units["staff"].to_numpy() >= 5
    # the planted links act on latent experience; in the units the estimators see (measured
    # index points; NPS points, whose expectation is exactly the latent c) they are
    slope = ex_measurement_slope(params, draws, factual.latent_ex)
    ex_to_cx = params.ex_to_cx / slope
    truth = {
        "seed": params.seed,
        "parameters": asdict(params),
        "counts": {"units": len(units), "regions": len(REGIONS),
                   "employee_responses": int(len(employees) - invalid["employee_survey"]),
                   "customer_responses": int(len(customers) - invalid["customer_survey"]),
                   "unit_outcome_rows": int(len(outcomes) - invalid["unit_outcomes"]),
                   "waves": params.n_quarters, "months": len(months)},
        "linkage": {
            "ex_to_cx_lagged": {"nps": ex_to_cx,
                                "csat": ex_to_cx * params.csat_per_nps,
                                "ces": ex_to_cx * params.ces_per_nps},
            "cx_to_ex_lagged": {"nps": params.cx_to_ex * slope},
            "ex_measurement_slope": slope,
            "lag": "one quarter: the engagement index of the wave closing at the end of "
                   "quarter t moves customer outcomes in quarter t+1; NPS in quarter t "
                   "moves the engagement index of the wave closing at the end of t+1",
            "units": {"ex": "engagement index points (0-100)", "nps": "NPS points",
                      "csat": "top-2-box percentage points", "ces": "CES points (1-7)"},
            "mediation": {
                "revenue_per_customer": {
                    "a_ex_to_nps": ex_to_cx,
                    "b_nps_to_outcome": params.revenue_per_customer_per_nps,
                    "indirect": ex_to_cx * params.revenue_per_customer_per_nps},
                "churn_rate": {
                    "a_ex_to_nps": ex_to_cx, "b_nps_to_outcome": params.churn_per_nps,
                    "indirect": ex_to_cx * params.churn_per_nps},
            },
            "driver_weights": params.driver_weights,
            "exit_rate_per_ei": params.exit_rate_per_ei / slope,
            "realised_between_unit_correlation": {
                "engagement_index_vs_nps": float(np.corrcoef(unit_ex[big], unit_cx["nps"][big])[0, 1]),
                "engagement_index_vs_csat": float(np.corrcoef(unit_ex[big], unit_cx["csat"][big])[0, 1]),
                "engagement_index_vs_exit_rate": float(np.corrcoef(unit_ex[big], exit_rate[big])[0, 1]),
            },
        },
        "pilots": pilot_truth,
        "planted_invalid_rows": invalid,
        "small_units": draws.units.loc[~big, "unit_id"].tolist(),
        "comments": {
            "customer_themes": list(CUSTOMER_THEMES), "employee_themes": list(EMPLOYEE_THEMES),
            "themes_file": "truth_comment_themes.csv",
            "customer_pii_response_ids": customer_info["pii_response_ids"],
            "employee_pii_response_ids": employee_info["pii_response_ids"],
            "html_comment_response_id": customer_info["html_comment_response_id"],
            "non_english_response_ids": customer_info["non_english_response_ids"],
        },
        "expected_ei_by_wave": {
            str(q): float(np.nanmean(factual.ei[big, q])) for q in range(params.n_quarters)},
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2, default=_json_default))
    return truth


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
