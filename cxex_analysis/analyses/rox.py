"""Return on experience: effects turned into money, with honest uncertainty.

The value chain, per unit and month over a horizon, for a programme scaled to ``units``:

* **Turnover**: EX effect (engagement points) × exits per engagement point (estimated from the
  organisation's own quarters: monthly exit rate on the last wave's engagement, unit and
  quarter fixed effects, corrected for survey noise; :func:`link_estimates`) × employees →
  avoided leavers × annual salary × replacement-cost fraction.
* **Retention**: CX effect (NPS points) × churn per NPS point (estimated the same way) ×
  customers → customers kept × customer lifetime value (margin × revenue per customer ×
  (1 + d) / (1 + d − retention), monthly).
* **Revenue per customer**: CX effect × revenue per customer per NPS point × customers × margin.
* **Cost to serve**: effect on repeat contacts per 1,000 customers × customers × cost per contact.
* **Costs**: one-off programme cost, the registry's cost per unit (one-off), and a monthly
  running cost per unit. Effects ramp up linearly over ``ramp_months``.

The pilot effects come from notebook 02's recorded ``att`` rows (a pilot's total effect on
NPS already includes what runs through engagement, so the two are not added), shrunk toward
zero before they are valued (:func:`pilot_effects`: a pilot picked because it looked good
overstates its effect), the measured effect beside them in the inputs. Every estimated
effect is drawn from a normal distribution with its SE (a two-piece normal for a link with an
asymmetric interval) and every assumption from a triangular
distribution over its stated range, in one vectorized Monte Carlo; the summaries are medians with
percentile intervals. A link that cannot be
bounded, or that comes out with the unexpected sign, is left out of the value and said so
(:func:`links_from`); all amounts are in one currency, the pilot registry's
(:func:`in_registry_currency`). The model itself is
:mod:`cxex_analysis.estimators.value_model`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxex_analysis.analyses.rox_result import Valuation
from cxex_analysis.errors import InsufficientData, ParameterError, check_confidence
from cxex_analysis.estimators.finance import in_registry_currency
from cxex_analysis.estimators.fixed_effects import twfe
from cxex_analysis.estimators.measurement import IVEstimate, split_half_iv
from cxex_analysis.estimators.outcome_links import WaveNoise, corrected_within, yearly_decay
from cxex_analysis.estimators.shrinkage import shrink
from cxex_analysis.estimators.value_model import (
    EFFECTS,
    LINKS,
    Inputs,
    Quantity,
    channels_left_out,
    link_break_even,
    monte_carlo,
    summarise,
)
from cxex_analysis.panels.linkage_panels import build_money_panel, build_panel
from cxex_analysis.panels.pilot_panels import pilot_registry, units_like_pilot
from cxex_analysis.panels.respondent_halves import NO_STABLE_HALVES, not_halved
from cxex_analysis.panels.score_tables import NO_HALVES
from cxex_analysis.panels.unit_economics import baseline, registry_currencies
from cxex_analysis.results import run_results, tidy
from cxex_analysis.store.inventory import BY_KEY, inventory, left_out
from cxex_analysis.vocabulary import EX_MEASURE, LINK_WORDS, method_label

#: each link: (outcome, score, the sign a healthy business expects)
LINK_SPECS = {"churn_per_nps": ("churn_rate", "nps", -1),
              "revenue_per_customer_per_nps": ("revenue_per_customer", "nps", +1),
              "exit_rate_per_ei": ("exit_rate", "engagement_index", -1)}


def link_estimates(con, min_group_size: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """The links from experience to money, estimated on this organisation's own quarters.

    Churn and revenue per customer (a month) per NPS point, and employee exits (a month)
    per engagement-index point of the wave before, within units and quarters, pilot
    quarters left out. ``estimand="link"`` rows are corrected for survey noise (split-half
    instruments, :func:`cxex_analysis.estimators.measurement.split_half_iv`: money follows what people
    live through, which a unit's score measures with the noise of a few dozen answers, so
    the plain regression is pulled toward zero); ``link_uncorrected`` rows take the scores
    as exact. Extra columns: ``bounded`` (the corrected interval is finite),
    ``expected_sign`` and ``first_stage_f``. A link the data cannot support gets a row with
    no estimate whose ``method`` says why.
    """
    confidence = check_confidence(confidence)
    money = build_money_panel(build_panel(con, min_group_size))
    money = money[~money["pilot_active"]]
    rows = []
    for name, (y, x, sign) in LINK_SPECS.items():
        base = {"analysis": "rox", "subject": "all", "outcome": y, "term": name,
                "confidence": confidence, "expected_sign": sign}
        usable = money.dropna(subset=[c for c in (y, x) if c in money.columns]) \
            if y in money.columns and x in money.columns else money.iloc[:0]
        if len(usable) < 20 or usable["unit_id"].nunique() < 10:
            reason = f"not estimated: too few unit-quarters with {y.replace('_', ' ')} and {x}"
            rows += [{**base, "estimand": e, "estimate": np.nan, "n": len(usable),
                      "method": reason, "bounded": False} for e in ("link", "link_uncorrected")]
            continue
        try:
            plain = twfe(usable, y, x, "unit_id", "t", confidence=confidence)
        except InsufficientData as reason:
            rows += [{**base, "estimand": e, "estimate": np.nan, "n": len(usable),
                      "method": f"not estimated: {str(reason).rstrip('.')}", "bounded": False}
                     for e in ("link", "link_uncorrected")]
            continue
        rows.append({**base, "estimand": "link_uncorrected", "estimate": plain["params"][x],
                     "se": plain["se"][x], "ci_low": plain["ci_low"][x],
                     "ci_high": plain["ci_high"][x], "p_value": plain["p_value"][x],
                     "n": plain["n"], "bounded": True,
                     "method": plain["method"] + " (n = unit-quarters)"})
        try:
            if {f"{x}_a", f"{x}_b"} & set(usable.columns):
                fit = split_half_iv(usable, y, f"{x}_a", f"{x}_b", "unit_id", "t",
                                    confidence=confidence)
            else:  # a platform's scores: no halves, but each score's sampling variance
                fit = _from_sampling_variance(usable, y, x, confidence)
        except InsufficientData as reason:
            why = NO_STABLE_HALVES if x in (EX_MEASURE, "enps") and not_halved(usable, x) else \
                str(reason).rstrip(".")
            rows.append({**base, "estimand": "link", "estimate": np.nan, "n": 0, "bounded": False,
                         "method": f"not estimated: {why}"})
            continue
        rows.append({**base, "estimand": "link", **{k: fit[k] for k in (
            "estimate", "se", "ci_low", "ci_high", "p_value", "n", "bounded", "first_stage_f")},
            "method": fit["method"] + " (n = unit-quarters)"})
    return tidy(rows, extra=["bounded", "expected_sign", "first_stage_f"])


def _from_sampling_variance(usable: pd.DataFrame, y: str, x: str,
                            confidence: float) -> IVEstimate:
    """A money link from a platform's scores: within units and quarters, the score's noise
    taken out with its own sampling variance (customers: new people each quarter; staff: the
    same people answer again, :class:`~cxex_analysis.estimators.outcome_links.WaveNoise`)."""
    if f"{x}_se" not in usable.columns:
        raise InsufficientData(NO_HALVES)
    noise = WaveNoise(0.0, 1.0, "set") if x == "nps" else WaveNoise(decay=yearly_decay("quarter"))
    fit = corrected_within(usable.assign(variance=usable[f"{x}_se"] ** 2), y, x, "variance",
                           "unit_id", "t", noise, confidence)
    return IVEstimate(estimate=fit.estimate[0], se=fit.se[0], ci_low=fit.ci_low[0],
                      ci_high=fit.ci_high[0], p_value=fit.p_value[0], n=fit.n, bounded=True,
                      first_stage_f=np.nan, method=fit.method)


def links_from(rows: pd.DataFrame) -> tuple[dict[str, Quantity], list[str], list[str]]:
    """The corrected links as model inputs, what cannot be valued, and why.

    Returns ``(links, unusable, notes)``. A link enters the model as a normal quantity
    matching its (Anderson–Rubin, often asymmetric) interval. A link whose
    interval is unbounded, or that was not estimated, is **not informative**: it enters at
    zero and is listed in ``unusable``. A link estimated with the wrong sign beyond its
    interval (more NPS, fewer sales) is reported as such and also left out, rather than
    silently turned into negative value.
    """
    links, unusable, notes = {}, [], []
    corrected = rows[rows["estimand"] == "link"].set_index("term") if len(rows) else rows
    for name in LINKS:
        words = LINK_WORDS[name]
        if name not in corrected.index:
            links[name] = Quantity(0.0, source="not estimated")
            unusable.append(name)
            continue
        r = corrected.loc[name]
        if not bool(r["bounded"]) or not np.isfinite(r["estimate"]):
            reason = (str(r["method"]).removeprefix("not estimated: ")
                      if str(r["method"]).startswith("not estimated") else
                      "the scores move too little inside units, compared with their survey "
                      "noise, to pin it down (its interval is unbounded)")
            links[name] = Quantity(0.0, source=f"not informative: {reason}")
            unusable.append(name)
            notes.append(f"The {words} cannot be estimated from this data: {reason}. The value "
                         "that runs through it is left out, so the money answer is partial.")
            continue
        source = (f"customers followed over time, a single answer's noise corrected, "
                  f"n = {int(r['n'])} customers" if str(r["method"]).startswith(CUSTOMER_LEVEL)
                  else f"estimated within units and quarters, corrected for survey noise, "
                       f"n = {int(r['n'])} unit-quarters")
        if (r["ci_high"] < 0 if r["expected_sign"] > 0 else r["ci_low"] > 0):
            links[name] = Quantity(0.0, source="wrong sign: " + source)
            unusable.append(name)
            notes.append(f"Here the {words} came out with the unexpected sign "
                         f"({r['estimate']:.4g}, interval {r['ci_low']:.4g} to {r['ci_high']:.4g}): "
                         "better experience went with worse results on this measure. It is "
                         "reported, not counted as a loss; look for what else moved in these "
                         "units before acting on it.")
            continue
        links[name] = Quantity.from_interval(float(r["estimate"]), float(r["ci_low"]),
                                             float(r["ci_high"]), source=source)
    return links, unusable, notes


#: the method of a money link measured customer by customer starts with this
CUSTOMER_LEVEL = "customer_level: "


#: customer_value's links, each: (the money link it can stand for, only where the unit-level
#: one cannot be valued)
CUSTOMER_LINKS = {"revenue_per_nps_point": ("revenue_per_customer_per_nps", False),
                  "churn_per_nps_point": ("churn_per_nps", True)}


def with_customer_links(rows: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """The money links with those measured **customer by customer** in their place, from
    ``customers`` (the ``customer_value`` rows of
    :func:`cxex_analysis.analyses.customer_value.customer_value`): CRM money per customer
    answer is far finer than unit-months, so its interval is finite where the unit-level one
    often is not. The revenue link followed within customers over time replaces the unit-level
    one (kept beside it as ``link_unit_level``); a between-customer revenue comparison is never
    used (the more satisfied by nature may spend more anyway). The leaving link can only
    compare customers (a customer leaves once), so it stands in only where the unit-level one
    cannot be valued."""
    if customers is None or customers.empty:
        return rows
    for estimand, (name, fallback) in CUSTOMER_LINKS.items():
        found = customers[(customers["estimand"] == estimand)
                          & ~customers["method"].str.startswith("between_customers")]
        if found.empty or not np.isfinite(found.iloc[0][["ci_low", "ci_high"]].astype(float)).all():
            continue
        mine = (rows["estimand"] == "link") & (rows["term"] == name)
        if fallback and rows.loc[mine, "bounded"].astype(bool).all() and mine.any() \
                and np.isfinite(rows.loc[mine, "estimate"].astype(float)).all():
            continue
        r = found.iloc[0]
        customer = {"analysis": "rox", "estimand": "link", "subject": "all",
                    "outcome": LINK_SPECS[name][0], "term": name, "bounded": True,
                    "expected_sign": LINK_SPECS[name][2], "confidence": r["confidence"],
                    **{k: r[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "n")},
                    "method": CUSTOMER_LEVEL + str(r["method"])}
        rows = pd.concat([rows[~mine], rows[mine].assign(estimand="link_unit_level"),
                          tidy([customer], extra=["bounded", "expected_sign"])],
                         ignore_index=True)
    return rows


def noise_note(rows: pd.DataFrame) -> str:
    """How much the money links would shrink if unit scores were taken as exact."""
    if rows is None or rows.empty:
        return ""
    parts = []
    for name in ("revenue_per_customer_per_nps", "churn_per_nps"):
        both = rows[rows["term"] == name].set_index("estimand")
        if not {"link", "link_uncorrected"} <= set(both.index):
            continue
        corrected = both.loc["link_unit_level" if "link_unit_level" in both.index else "link"]
        plain = both.loc["link_uncorrected"]
        if not (bool(corrected["bounded"]) and np.isfinite(corrected["estimate"])
                and corrected["estimate"] != 0):
            continue
        share = 1 - plain["estimate"] / corrected["estimate"]
        if 0 < share < 1:
            parts.append(f"the {LINK_WORDS[name]} by about {share:.0%}")
    if not parts:
        return ""
    return ("Taking the unit scores as exact, as most tools do, would understate "
            + " and ".join(parts) + ": a quarter's NPS is partly survey noise, while money "
            "follows what customers actually lived through.")


def estimate_links(con, min_group_size: int = 5) -> dict[str, Quantity]:
    """The corrected links as model inputs (see :func:`link_estimates`, :func:`links_from`)."""
    return links_from(link_estimates(con, min_group_size))[0]


#: a large pilot effect on each outcome, the scale of the prior on how much pilots' true
#: effects differ (:func:`~cxex_analysis.estimators.shrinkage.shrink`): 10 NPS points, 5
#: engagement-index points, and for repeat contacts a fifth of the units' current rate
LARGE_EFFECT = {"nps": 10.0, "engagement_index": 5.0}
LARGE_SHARE_OF_BASELINE = 0.2


def large_effects(repeat_contacts_per_1000: float) -> dict[str, float]:
    """:data:`LARGE_EFFECT` with repeat contacts' from the units' current rate."""
    rate = LARGE_SHARE_OF_BASELINE * repeat_contacts_per_1000
    return {**LARGE_EFFECT, **({"repeat_contacts_per_1000": rate} if rate > 0 else {})}


def pilot_effects(results: pd.DataFrame, pilot_id: str, large: dict[str, float] | None = None
                  ) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    """A pilot's recorded ``att`` effects on NPS, engagement and repeat contacts, as valued and
    as measured: each outcome's effects of every pilot with one are shrunk together toward
    zero (:func:`~cxex_analysis.estimators.shrinkage.shrink`, the prior's scale from
    ``large``, default :func:`large_effects` without repeat contacts), so a pilot that looked
    good by chance is not valued at its luck; an outcome without a scale is valued as
    measured."""
    large = LARGE_EFFECT if large is None else large
    rows = results[(results["analysis"] == "pilot") & (results["estimand"] == "att")
                   & results["outcome"].isin(EFFECTS)]
    # an effect without a standard error (one unit on a side) cannot be valued: taken as
    # exact it would hide all of its uncertainty
    rows = rows[np.isfinite(rows["se"].astype(float)) & (rows["se"].astype(float) > 0)]
    valued, measured = {}, {}
    for outcome in EFFECTS:
        pilots = rows[rows["outcome"] == outcome].drop_duplicates("subject")
        match = pilots[pilots["subject"] == pilot_id]
        if match.empty:
            continue
        r = match.iloc[0]
        method = method_label(r["method"])
        measured[outcome] = Quantity(float(r["estimate"]), float(r["se"]),
                                     source=f"notebook 02: {method}")
        if outcome not in large:
            valued[outcome] = measured[outcome]
            continue
        fit = shrink(pilots["estimate"].astype(float), pilots["se"].astype(float),
                     tau_scale=large[outcome])
        mine = fit.iloc[int(np.flatnonzero(pilots["subject"].to_numpy() == pilot_id)[0])]
        others = len(pilots) - 1
        valued[outcome] = Quantity.from_interval(
            float(mine["shrunk"]), float(mine["ci_low"]), float(mine["ci_high"]),
            source=f"notebook 02: {method}; pulled toward zero for its noise (measured "
                   f"{r['estimate']:+.3g}, SE {r['se']:.2g}; a large effect taken as "
                   f"{large[outcome]:.3g}" + (f"; with {others} other pilot"
                                              f"{'s' if others > 1 else ''}" if others else "")
                   + ")")
    return valued, measured


#: the run's results so far (:func:`cxex_analysis.results.run_results`)
read_results = run_results


def build_inputs(con, results: pd.DataFrame, pilot_id: str, finance: dict,
                 scale_units: list[str] | None = None, min_group_size: int = 5,
                 link_rows: pd.DataFrame | None = None) -> Inputs:
    """Inputs for scaling pilot ``pilot_id`` to ``scale_units`` (default: every unit of the
    pilot's unit types); ``link_rows`` from :func:`link_estimates` (estimated if None)."""
    registry = pilot_registry(con)
    pilots = registry[registry["pilot_id"] == pilot_id] if not registry.empty else registry
    if pilots.empty:
        raise ParameterError(f"pilot {pilot_id!r} is not in the pilot registry.")
    pilot = pilots.iloc[0]
    if scale_units is None:
        scale_units = units_like_pilot(con, pilot_id)
    base = baseline(con, scale_units)
    effects, measured = pilot_effects(results, pilot_id,
                                      large_effects(base["repeat_contacts_per_1000"]))
    notes = []
    if not effects:
        notes.append(f"No recorded effects for {pilot_id}: run notebook 02 first (or pass results_path).")
    cost = pilot.get("cost_per_unit")
    links, unusable, link_notes = links_from(
        link_rows if link_rows is not None else link_estimates(con, min_group_size))
    return Inputs(
        effects=effects, measured_effects=measured, links=links, unusable_links=unusable,
        assumptions=finance["assumptions"], programme=finance["programme"],
        units=len(scale_units), customers_per_unit=base["customers_per_unit"],
        employees_per_unit=base["employees_per_unit"],
        revenue_per_customer=base["revenue_per_customer"], churn_rate=base["churn_rate"],
        exit_rate=base["exit_rate"], repeat_contacts_per_1000=base["repeat_contacts_per_1000"],
        cost_to_serve_per_unit=base["cost_to_serve_per_unit"],
        registry_cost_per_unit=float(cost) if cost is not None and pd.notna(cost) else 0.0,
        horizon_months=finance["horizon_months"], currency=finance["currency"],
        label=f"{pilot_id}: {pilot.get('name') or ''}".strip(": "), notes=notes + link_notes)


def inputs_table(inputs: Inputs) -> pd.DataFrame:
    """Every input with its central value, uncertainty and where it comes from."""
    rows = []
    for group in ("effects", "measured_effects", "links", "assumptions", "programme"):
        for name, q in getattr(inputs, group).items():
            low, high = q.bounds() if (q.se > 0 or q.low is not None) else (q.value, q.value)
            kind = "effects as measured" if group == "measured_effects" else group
            rows.append({"input": name, "kind": kind, "value": q.value, "low": low, "high": high,
                         "source": q.source or ("estimate" if q.se else "assumption")})
    for name in ("units", "customers_per_unit", "employees_per_unit", "revenue_per_customer",
                 "churn_rate", "registry_cost_per_unit"):
        value = float(getattr(inputs, name))
        rows.append({"input": name, "kind": "baseline", "value": value, "low": value,
                     "high": value, "source": "warehouse" if name != "registry_cost_per_unit"
                     else "pilot registry"})
    return pd.DataFrame(rows)


def hidden_costs(inputs: Inputs) -> pd.DataFrame:
    """The iceberg: monthly costs of experience gaps for the scaled units today.

    Visible: the recorded cost to serve. Below the waterline: rework (repeat contacts ×
    their handling cost), staff turnover (leavers × salary × replacement fraction) and
    customers lost (churn × lifetime value) — costs no budget line shows as such.
    """
    a = {k: v.value for k, v in inputs.assumptions.items()}
    units = inputs.units
    customers = inputs.customers_per_unit * units
    employees = inputs.employees_per_unit * units
    monthly_rate = (1 + a["discount_rate_annual"]) ** (1 / 12) - 1
    clv = a["gross_margin"] * inputs.revenue_per_customer * (1 + monthly_rate) / (
        monthly_rate + inputs.churn_rate)
    return pd.DataFrame([
        {"cost": "Cost to serve (recorded)", "visible": True,
         "monthly": inputs.cost_to_serve_per_unit * units},
        {"cost": "Rework: repeat contacts", "visible": False,
         "monthly": inputs.repeat_contacts_per_1000 * customers / 1000 * a["cost_per_repeat_contact"]},
        {"cost": "Staff turnover: replacing leavers", "visible": False,
         "monthly": inputs.exit_rate * employees * a["annual_salary"] * a["replacement_cost_fraction"]},
        {"cost": "Customers lost: lifetime value", "visible": False,
         "monthly": inputs.churn_rate * customers * clv},
    ])


def what_to_value(con, results: pd.DataFrame, scale_pilot: str, finance: dict,
                  ex_programme_points: float, min_group_size: int = 5,
                  confidence: float = 0.95, customers: pd.DataFrame | None = None) -> Valuation:
    """Which programme notebook 03 values on this data set, and the inputs for it.

    A pilot (``scale_pilot``, else the first with recorded effects) when the data hold a
    registry with units, the customer survey and unit outcomes; else, or beside it, an
    engagement programme valued through notebook 01's EX -> CX estimate (both surveys and
    unit outcomes). The revenue link is the one measured customer by customer where
    ``customers`` (the ``customer_value`` rows) hold it (:func:`with_customer_links`).
    Returns a :class:`Valuation`.
    """
    have = inventory(con)
    pilot_ok = BY_KEY["rox_pilot"].available(have)
    programme_ok = BY_KEY["rox_programme"].available(have) and ex_programme_points > 0
    notes = left_out(have, ["rox_pilot", "rox_programme"])
    customers = customers if customers is not None else pd.DataFrame()
    if not (pilot_ok or programme_ok):
        if len(customers) or BY_KEY["rox_metrics"].available(have):
            # what customers are worth, or the programme in the organisation's own metrics,
            # is shown; no programme to value in money
            return Valuation(None, "not_valued", None, notes, tidy([]), customers)
        raise ParameterError("nothing to value: " + " ".join(notes)
                             + (" (ex_programme_points is 0)" if ex_programme_points <= 0 else ""))
    rows = with_customer_links(link_estimates(con, min_group_size, confidence), customers)
    notes = notes + [n for n in [noise_note(rows)] if n]
    converted, said = in_registry_currency(finance, registry_currencies(con))
    if converted is None:  # amounts in two currencies: the links are shown, nothing is valued
        return Valuation(None, scale_pilot or "not_valued", None, [said] + notes, rows, customers)
    finance = converted
    notes = notes + [said] if said else notes
    programme = (build_ex_programme_inputs(con, results, ex_programme_points, finance,
                                           min_group_size, rows) if programme_ok else None)
    if not pilot_ok:
        return Valuation(programme, "ex_programme", None, notes, rows, customers)
    pilot_id = scale_pilot or first_pilot_with_effects(results, con)
    return Valuation(build_inputs(con, results, pilot_id, finance, min_group_size=min_group_size,
                                  link_rows=rows), pilot_id, programme, notes, rows, customers)


def simulate(inputs: Inputs, draws: int = 10_000, seed: int = 42, confidence: float = 0.95,
             subject: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """What ``inputs`` are worth: the Monte Carlo draws
    (:func:`~cxex_analysis.estimators.value_model.monte_carlo`) and their summary rows
    (:func:`~cxex_analysis.estimators.value_model.summarise`, ``subject`` the programme),
    with a ``break_even`` row for each link the data cannot value
    (:func:`~cxex_analysis.estimators.value_model.link_break_even`): what a point of it must
    be worth for the programme to pay for itself, where no return is given."""
    simulated = monte_carlo(inputs, draws=draws, seed=seed)
    rows = [summarise(simulated, inputs, confidence, subject=subject)]
    missing, _ = channels_left_out(inputs)
    rows += [link_break_even(inputs, link, draws, seed, confidence, subject) for link in missing]
    return simulated, pd.concat(rows, ignore_index=True)


def first_pilot_with_effects(results: pd.DataFrame, con) -> str:
    """The first pilot (by id) with recorded ``att`` rows; else the first in the registry."""
    recorded = results[(results["analysis"] == "pilot") & (results["estimand"] == "att")]
    if len(recorded):
        return sorted(recorded["subject"].unique())[0]

    registry = pilot_registry(con)
    if registry.empty:
        raise ParameterError("no pilot to model: the registry is empty and no pilot effects were recorded.")
    return sorted(registry["pilot_id"])[0]


def example_inputs(**changes: Any) -> Inputs:
    """Small, round inputs (10 units, 2 months) for examples, tests and benchmarks."""
    base: dict[str, Any] = dict(
        effects={"nps": Quantity(2.0, se=1.0), "engagement_index": Quantity(3.0, se=1.0),
                 "repeat_contacts_per_1000": Quantity(-1.0, se=0.5)},
        links={"churn_per_nps": Quantity(-0.001, se=0.0002),
               "revenue_per_customer_per_nps": Quantity(0.5, se=0.1),
               "exit_rate_per_ei": Quantity(-0.002, se=0.001)},
        assumptions={"discount_rate_annual": Quantity(0.0, low=0.0, high=0.1),
                     "gross_margin": Quantity(0.4, low=0.3, high=0.5),
                     "annual_salary": Quantity(30000, low=25000, high=35000),
                     "replacement_cost_fraction": Quantity(0.2, low=0.1, high=0.5),
                     "cost_per_repeat_contact": Quantity(10.0, low=5, high=15)},
        programme={"one_off_cost": Quantity(1000.0, low=500, high=2000),
                   "cost_per_unit_month": Quantity(100.0, low=50, high=150),
                   "ramp_months": Quantity(0.0)},
        units=10, customers_per_unit=1000.0, employees_per_unit=20.0,
        revenue_per_customer=50.0, churn_rate=0.02, registry_cost_per_unit=50.0,
        horizon_months=2, currency="EUR", label="test")
    base.update(changes)
    return Inputs(**base)


def linkage_effect(results: pd.DataFrame, outcome: str = "nps") -> Quantity | None:
    """Notebook 01's ``ex_to_cx_lagged`` effect on ``outcome`` (per engagement point)."""
    rows = results[(results["analysis"] == "linkage") & (results["estimand"] == "ex_to_cx_lagged")
                   & (results["outcome"] == outcome)]
    if rows.empty:
        return None
    r = rows.iloc[0]
    if not (np.isfinite(r["estimate"]) and np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])):
        return None  # survey noise leaves the link unbounded here: nothing to value
    return Quantity.from_interval(float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]),
                                  source=f"notebook 01: {r['method']}")


def build_ex_programme_inputs(con, results: pd.DataFrame, points: float, finance: dict,
                              min_group_size: int = 5,
                              link_rows: pd.DataFrame | None = None) -> Inputs:
    """Inputs for an engagement programme that raises the engagement index by ``points``
    in every unit, its customer effect taken from notebook 01's lagged EX -> CX estimate
    (observational: read it as 'if the association is causal')."""
    link = linkage_effect(results)
    notes = []
    if link is None:
        link = Quantity(0.0, source="no measurable ex_to_cx_lagged recorded")
        notes.append("No measurable EX -> CX effect was recorded (notebook 01 did not run, or "
                     "survey noise left the link unbounded): the customer side of the "
                     "engagement programme is left at zero.")
    if link.se_below is not None:
        low, high = link.bounds()
        nps = Quantity.from_interval(link.value * points, low * points, high * points,
                                     source=f"{points:g} engagement points x {link.source}")
    else:
        nps = Quantity(link.value * points, abs(link.se * points),
                       source=f"{points:g} engagement points x {link.source}")
    base = baseline(con)
    links, unusable, link_notes = links_from(
        link_rows if link_rows is not None else link_estimates(con, min_group_size))
    return Inputs(
        effects={"nps": nps, "engagement_index": Quantity(points, source="programme target (assumption)"),
                 "repeat_contacts_per_1000": Quantity(0.0, source="not modelled")},
        links=links, unusable_links=unusable, assumptions=finance["assumptions"],
        programme=finance["programme"], units=int(base["units"]),
        customers_per_unit=base["customers_per_unit"], employees_per_unit=base["employees_per_unit"],
        revenue_per_customer=base["revenue_per_customer"], churn_rate=base["churn_rate"],
        exit_rate=base["exit_rate"], repeat_contacts_per_1000=base["repeat_contacts_per_1000"],
        cost_to_serve_per_unit=base["cost_to_serve_per_unit"],
        horizon_months=finance["horizon_months"], currency=finance["currency"],
        label=f"engagement programme (+{points:g} points)", notes=notes + link_notes)
