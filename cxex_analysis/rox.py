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
NPS already includes what runs through engagement, so the two are not added). Every estimated
effect is drawn from a normal distribution with its SE (a two-piece normal for a link with an
asymmetric interval) and every assumption from a triangular
distribution over its stated range, in one vectorized Monte Carlo (:func:`monte_carlo`); the
summaries are medians with percentile intervals (:func:`summarise`). A link that cannot be
bounded, or that comes out with the unexpected sign, is left out of the value and said so
(:func:`links_from`); all amounts are in one currency (:func:`report_currency`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import ParameterError, check_confidence
from .results import tidy

DEFAULT_FINANCE = Path(__file__).with_name("finance_defaults.yaml")
ASSUMPTIONS = ("discount_rate_annual", "gross_margin", "annual_salary",
               "replacement_cost_fraction", "cost_per_repeat_contact")
PROGRAMME = ("one_off_cost", "cost_per_unit_month", "ramp_months")
DRIVERS = ("turnover", "retention", "revenue_per_customer", "cost_to_serve")
EFFECTS = ("nps", "engagement_index", "repeat_contacts_per_1000")
LINKS = ("churn_per_nps", "revenue_per_customer_per_nps", "exit_rate_per_ei")


@dataclass(frozen=True)
class Quantity:
    """A number with its uncertainty: an estimate and SE, or a value with a range."""

    value: float
    se: float = 0.0
    low: float | None = None
    high: float | None = None
    source: str = ""
    #: an estimate with an asymmetric interval: the spread below and above ``value``
    se_below: float | None = None
    se_above: float | None = None

    @classmethod
    def from_interval(cls, value: float, ci_low: float, ci_high: float,
                      source: str = "", z: float = 1.959964) -> "Quantity":
        """An estimate whose 95% interval is ``ci_low``–``ci_high`` (not necessarily
        symmetric, as an Anderson–Rubin interval): drawn from a two-piece normal."""
        below, above = max(value - ci_low, 0.0) / z, max(ci_high - value, 0.0) / z
        return cls(value, se=(below + above) / 2, se_below=below, se_above=above, source=source)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.low is not None and self.high is not None and self.high > self.low:
            return rng.triangular(self.low, min(max(self.value, self.low), self.high), self.high, n)
        if self.se_below is not None and self.se_above is not None and self.se > 0:
            # two-piece normal: half the draws on each side of the estimate, each side a
            # half-normal with its own spread, so the median is the estimate and the 2.5%
            # and 97.5% points are the interval's ends
            above = rng.random(n) < 0.5
            size = np.abs(rng.normal(0, 1, n))
            return self.value + np.where(above, size * self.se_above, -size * self.se_below)
        if self.se > 0:
            return rng.normal(self.value, self.se, n)
        return np.full(n, float(self.value))

    def bounds(self, z: float = 1.959964) -> tuple[float, float]:
        if self.low is not None and self.high is not None:
            return float(self.low), float(self.high)
        if self.se_below is not None and self.se_above is not None:
            return self.value - z * self.se_below, self.value + z * self.se_above
        return self.value - z * self.se, self.value + z * self.se

    def certain(self) -> "Quantity":
        return replace(self, se=0.0, low=None, high=None, se_below=None, se_above=None)


@dataclass
class Inputs:
    """Everything the model needs; see the module docstring."""

    effects: dict[str, Quantity]
    links: dict[str, Quantity]
    assumptions: dict[str, Quantity]
    programme: dict[str, Quantity]
    units: int
    customers_per_unit: float
    employees_per_unit: float
    revenue_per_customer: float
    churn_rate: float
    registry_cost_per_unit: float = 0.0
    exit_rate: float = 0.0
    repeat_contacts_per_1000: float = 0.0
    cost_to_serve_per_unit: float = 0.0
    horizon_months: int = 24
    currency: str = "EUR"
    label: str = ""
    notes: list[str] = field(default_factory=list)
    #: links that could not be valued (not informative, or the wrong sign): left at zero
    unusable_links: list[str] = field(default_factory=list)

    def certain(self) -> "Inputs":
        """The same inputs with every uncertainty removed."""
        return replace(self,
                       effects={k: v.certain() for k, v in self.effects.items()},
                       links={k: v.certain() for k, v in self.links.items()},
                       assumptions={k: v.certain() for k, v in self.assumptions.items()},
                       programme={k: v.certain() for k, v in self.programme.items()})


# --------------------------------------------------------------------------------------
# finance assumptions
# --------------------------------------------------------------------------------------

def _quantity(spec: Any, name: str, path: str) -> Quantity:
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Quantity(float(spec), source="assumption")
    if not isinstance(spec, dict) or "value" not in spec:
        raise ParameterError(f"{path}: `{name}` must be a number or {{value: …, low: …, high: …}}, "
                             f"but {spec!r} was given.")
    try:
        value = float(spec["value"])
        low = float(spec["low"]) if "low" in spec else None
        high = float(spec["high"]) if "high" in spec else None
    except (TypeError, ValueError):
        raise ParameterError(f"{path}: `{name}` must hold numbers, but {spec!r} was given.") from None
    if (low is None) != (high is None):
        raise ParameterError(f"{path}: `{name}` needs both `low` and `high`, or neither.")
    if low is not None and not low <= value <= high:
        raise ParameterError(f"{path}: `{name}` must satisfy low <= value <= high, "
                             f"but {spec!r} was given.")
    return Quantity(value, low=low, high=high, source="assumption")


def load_finance(path: Path | str | None = None) -> dict:
    """Read and check a finance-assumptions YAML file (default: the packaged one)."""
    path = Path(path) if path else DEFAULT_FINANCE
    label = str(path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"{label}: finance assumptions file not found.") from None
    except yaml.YAMLError as error:
        raise ParameterError(f"{label}: not valid YAML ({error}).") from None
    if not isinstance(content, dict):
        raise ParameterError(f"{label}: expected a mapping of assumptions, got {type(content).__name__}.")
    missing = [k for k in ASSUMPTIONS if k not in content]
    if missing:
        raise ParameterError(f"{label}: missing assumption(s) {missing}; see {DEFAULT_FINANCE.name}.")
    assumptions = {k: _quantity(content[k], k, label) for k in ASSUMPTIONS}
    for name, low, high in (("gross_margin", 0, 1), ("replacement_cost_fraction", 0, 5),
                            ("discount_rate_annual", 0, 1)):
        q = assumptions[name]
        if not low <= q.value <= high or (q.low is not None and (q.low < low or q.high > high)):
            raise ParameterError(f"{label}: `{name}` must lie between {low} and {high}, "
                                 f"but {q.value} (range {q.low} to {q.high}) was given.")
    programme_spec = content.get("programme") or {}
    if not isinstance(programme_spec, dict):
        raise ParameterError(f"{label}: `programme` must be a mapping of {list(PROGRAMME)}.")
    programme = {k: _quantity(programme_spec.get(k, 0.0), k, label) for k in PROGRAMME}
    if programme["ramp_months"].value < 0:
        raise ParameterError(f"{label}: `ramp_months` must be 0 or more.")
    horizon = content.get("horizon_months", 24)
    if not isinstance(horizon, int) or not 1 <= horizon <= 120:
        raise ParameterError(f"{label}: `horizon_months` must be a whole number from 1 to 120, "
                             f"but {horizon!r} was given.")
    return {"currency": str(content.get("currency", "")), "horizon_months": horizon,
            "assumptions": assumptions, "programme": programme, "label": label}


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------

def _arrays(inputs: Inputs, rng: np.random.Generator | None, n: int) -> dict[str, np.ndarray]:
    values = {}
    groups = (("effect_", inputs.effects), ("link_", inputs.links),
              ("", inputs.assumptions), ("", inputs.programme))
    for prefix, group in groups:
        for name, quantity in group.items():
            values[prefix + name] = (quantity.draw(rng, n) if rng is not None
                                     else np.full(n, float(quantity.value)))
    for name in EFFECTS:
        values.setdefault("effect_" + name, np.zeros(n))
    return values


def evaluate(inputs: Inputs, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Money per driver, costs, NPV, ROI and payback for arrays of input draws."""
    horizon = inputs.horizon_months
    months = np.arange(1, horizon + 1)
    ramp = np.maximum(values["ramp_months"], 1e-9)[:, None]
    ramp_factor = np.minimum(1.0, months[None, :] / ramp)
    ramp_factor = np.where(values["ramp_months"][:, None] <= 0, 1.0, ramp_factor)
    monthly_rate = (1 + values["discount_rate_annual"]) ** (1 / 12) - 1
    discount = (1 + monthly_rate)[:, None] ** (-months[None, :])
    units = inputs.units
    customers = inputs.customers_per_unit * units
    employees = inputs.employees_per_unit * units
    d_nps = values["effect_nps"][:, None] * ramp_factor
    d_ei = values["effect_engagement_index"][:, None] * ramp_factor
    d_repeat = values["effect_repeat_contacts_per_1000"][:, None] * ramp_factor
    margin = values["gross_margin"][:, None]
    retention = 1 - inputs.churn_rate
    clv = margin * inputs.revenue_per_customer * (1 + monthly_rate[:, None]) / (
        1 + monthly_rate[:, None] - retention)
    money = {
        "turnover": -values["link_exit_rate_per_ei"][:, None] * d_ei * employees
        * values["annual_salary"][:, None] * values["replacement_cost_fraction"][:, None],
        "retention": -values["link_churn_per_nps"][:, None] * d_nps * customers * clv,
        "revenue_per_customer": values["link_revenue_per_customer_per_nps"][:, None] * d_nps
        * customers * margin,
        "cost_to_serve": -d_repeat * customers / 1000 * values["cost_per_repeat_contact"][:, None],
    }
    benefit_monthly = sum(money.values())
    running = values["cost_per_unit_month"][:, None] * units * np.ones_like(discount)
    upfront = values["one_off_cost"] + inputs.registry_cost_per_unit * units
    pv = {k: (v * discount).sum(axis=1) for k, v in money.items()}
    pv_benefit = sum(pv.values())
    pv_cost = upfront + (running * discount).sum(axis=1)
    npv = pv_benefit - pv_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(pv_cost > 0, npv / pv_cost, np.nan)
    cumulative = np.cumsum((benefit_monthly - running) * discount, axis=1) - upfront[:, None]
    reached = cumulative >= 0
    payback = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1.0, np.inf)
    return {**{f"value_{k}": v for k, v in pv.items()}, "value_total": pv_benefit,
            "cost_total": pv_cost, "npv": npv, "roi": roi, "payback_months": payback}


def deterministic(inputs: Inputs) -> dict[str, float]:
    """The model at the central values (no uncertainty)."""
    result = evaluate(inputs, _arrays(inputs, None, 1))
    return {k: float(v[0]) for k, v in result.items()}


def monte_carlo(inputs: Inputs, draws: int = 10_000, seed: int = 42) -> pd.DataFrame:
    """``draws`` vectorized, seeded draws of every uncertain input; one row per draw."""
    if draws < 100:
        raise ParameterError(f"`draws` must be at least 100, but {draws} was passed.")
    rng = np.random.default_rng(seed)
    values = _arrays(inputs, rng, draws)
    return pd.DataFrame(evaluate(inputs, values))


def summarise(draws: pd.DataFrame, inputs: Inputs, confidence: float = 0.95,
              subject: str = "all") -> pd.DataFrame:
    """Tidy ``roi``, ``npv``, ``payback_months``, ``value_total`` (median, percentile interval),
    one row per value driver (``value_driver``) and ``probability_roi_positive``; a
    ``not_valued`` row per link that could not be valued (:func:`links_from`). When no
    channel with an effect can be valued, only the ``not_valued`` rows are returned: no
    return on investment is given rather than a confident-looking one."""
    confidence = check_confidence(confidence)
    lo, hi = 50 * (1 - confidence), 50 * (1 + confidence)
    method = f"monte_carlo_{len(draws)}"
    rows = []
    for estimand, column, outcome in (("roi", "roi", "roi"), ("npv", "npv", inputs.currency),
                                      ("payback_months", "payback_months", "months"),
                                      ("value_total", "value_total", inputs.currency)):
        values = draws[column].to_numpy()
        finite = values[np.isfinite(values)] if estimand == "payback_months" else values
        share_finite = len(finite) / len(values)
        estimate = float(np.median(values)) if estimand != "payback_months" else (
            float(np.percentile(values, 50)) if share_finite >= 0.5 else np.inf)
        # no interpolation: payback can be infinite (never within the horizon)
        low, high = np.percentile(values, [lo, hi], method="inverted_cdf")
        rows.append({"analysis": "rox", "estimand": estimand, "subject": subject,
                     "outcome": outcome, "term": inputs.label or "programme",
                     "estimate": estimate if np.isfinite(estimate) else np.nan,
                     "se": float(np.std(finite, ddof=1)) if len(finite) > 1 else np.nan,
                     "ci_low": float(low) if np.isfinite(low) else np.nan,
                     "ci_high": float(high) if np.isfinite(high) else np.nan,
                     "p_value": np.nan, "confidence": confidence, "n": len(values),
                     "method": method + (" (median, percentile interval; NaN = no payback within "
                                         f"{inputs.horizon_months} months)"
                                         if estimand == "payback_months" else
                                         " (median, percentile interval)")})
    for driver in DRIVERS:
        values = draws[f"value_{driver}"].to_numpy()
        low, high = np.percentile(values, [lo, hi])
        rows.append({"analysis": "rox", "estimand": "value_driver", "subject": subject,
                     "outcome": inputs.currency, "term": driver, "estimate": float(np.median(values)),
                     "se": float(np.std(values, ddof=1)), "ci_low": float(low), "ci_high": float(high),
                     "p_value": np.nan, "confidence": confidence, "n": len(values),
                     "method": method + " (median, percentile interval)"})
    positive = float((draws["roi"] > 0).mean())
    rows.append({"analysis": "rox", "estimand": "probability_roi_positive", "subject": subject,
                 "outcome": "roi", "term": inputs.label or "programme", "estimate": positive,
                 "se": float(np.sqrt(positive * (1 - positive) / len(draws))),
                 "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                 "confidence": confidence, "n": len(draws), "method": method + " (share of draws)"})
    missing, valued = channels_left_out(inputs)
    if missing and not valued:  # nothing can be valued: no ROI to print, only why not
        rows = []
    for link in missing:
        rows.append({"analysis": "rox", "estimand": "not_valued", "subject": subject,
                     "outcome": inputs.currency, "term": link, "confidence": confidence,
                     "n": 0, "method": inputs.links[link].source or "not informative"})
    return tidy(rows)


# --------------------------------------------------------------------------------------
# sensitivity, scenarios, break-even
# --------------------------------------------------------------------------------------

def _uncertain(inputs: Inputs) -> list[tuple[str, str, Quantity]]:
    out = []
    for group in ("effects", "links", "assumptions", "programme"):
        for name, q in getattr(inputs, group).items():
            if q.se > 0 or (q.low is not None and q.high is not None and q.high > q.low):
                out.append((group, name, q))
    return out


def _with(inputs: Inputs, group: str, name: str, value: float) -> Inputs:
    updated = dict(getattr(inputs, group))
    updated[name] = Quantity(value)
    return replace(inputs.certain(), **{group: {**{k: v.certain() for k, v in
                                                   getattr(inputs, group).items()}, **updated}})


def tornado(inputs: Inputs, metric: str = "npv") -> pd.DataFrame:
    """NPV (or another metric) with each uncertain input at the ends of its range, others central."""
    base = deterministic(inputs.certain())[metric]
    rows = []
    for group, name, q in _uncertain(inputs):
        low, high = q.bounds()
        at_low = deterministic(_with(inputs, group, name, low))[metric]
        at_high = deterministic(_with(inputs, group, name, high))[metric]
        rows.append({"input": name, "group": group, "low_value": low, "high_value": high,
                     "metric_at_low": at_low, "metric_at_high": at_high,
                     "swing": abs(at_high - at_low), "base": base})
    return pd.DataFrame(rows).sort_values("swing", ascending=False).reset_index(drop=True)


def scenarios(inputs: Inputs) -> pd.DataFrame:
    """Conservative (every input at its unfavourable end), expected, optimistic."""
    table = tornado(inputs)
    result = []
    for label, pick in (("conservative", min), ("expected", None), ("optimistic", max)):
        chosen = inputs.certain()
        if pick is not None:
            for row in table.itertuples():
                value = row.low_value if pick(row.metric_at_low, row.metric_at_high) == row.metric_at_low \
                    else row.high_value
                chosen = _with(chosen, row.group, row.input, value)
        values = deterministic(chosen)
        result.append({"scenario": label, "value_total": values["value_total"],
                       "cost_total": values["cost_total"], "npv": values["npv"],
                       "roi": values["roi"], "payback_months": values["payback_months"]})
    return pd.DataFrame(result)


def break_even(inputs: Inputs, effect: str = "nps") -> float:
    """The effect size at which NPV is zero, all else at central values (NPV is linear in it)."""
    base = inputs.certain()
    current = base.effects.get(effect, Quantity(0.0)).value
    npv_0 = deterministic(_with(base, "effects", effect, current))["npv"]
    npv_1 = deterministic(_with(base, "effects", effect, current + 1.0))["npv"]
    slope = npv_1 - npv_0
    if slope == 0:
        return float("nan")
    return float(current - npv_0 / slope)


# --------------------------------------------------------------------------------------
# inputs from the warehouse and the recorded results
# --------------------------------------------------------------------------------------

#: each link: (outcome, score, the sign a healthy business expects)
LINK_SPECS = {"churn_per_nps": ("churn_rate", "nps", -1),
              "revenue_per_customer_per_nps": ("revenue_per_customer", "nps", +1),
              "exit_rate_per_ei": ("exit_rate", "engagement_index", -1)}
LINK_WORDS = {"churn_per_nps": "customers lost per NPS point",
              "revenue_per_customer_per_nps": "revenue per customer per NPS point",
              "exit_rate_per_ei": "employee exits per engagement point"}


def link_estimates(con, min_group_size: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """The links from experience to money, estimated on this organisation's own quarters.

    Churn and revenue per customer (a month) per NPS point, and employee exits (a month)
    per engagement-index point of the wave before, within units and quarters, pilot
    quarters left out. ``estimand="link"`` rows are corrected for survey noise (split-half
    instruments, :func:`cxex_analysis.measurement.split_half_iv`: money follows what people
    live through, which a unit's score measures with the noise of a few dozen answers, so
    the plain regression is pulled toward zero); ``link_uncorrected`` rows take the scores
    as exact. Extra columns: ``bounded`` (the corrected interval is finite),
    ``expected_sign`` and ``first_stage_f``. A link the data cannot support gets a row with
    no estimate whose ``method`` says why.
    """
    from .linkage import build_money_panel, build_panel, twfe
    from .measurement import split_half_iv

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
        plain = twfe(usable, y, x, "unit_id", "t", confidence=confidence)
        rows.append({**base, "estimand": "link_uncorrected", "estimate": plain["params"][x],
                     "se": plain["se"][x], "ci_low": plain["ci_low"][x],
                     "ci_high": plain["ci_high"][x], "p_value": plain["p_value"][x],
                     "n": plain["n"], "bounded": True,
                     "method": plain["method"] + " (n = unit-quarters)"})
        try:
            fit = split_half_iv(usable, y, f"{x}_a", f"{x}_b", "unit_id", "t",
                                confidence=confidence)
        except ParameterError as reason:
            rows.append({**base, "estimand": "link", "estimate": np.nan, "n": 0, "bounded": False,
                         "method": f"not estimated: {str(reason).rstrip('.')}"})
            continue
        rows.append({**base, "estimand": "link", **{k: fit[k] for k in (
            "estimate", "se", "ci_low", "ci_high", "p_value", "n", "bounded", "first_stage_f")},
            "method": fit["method"] + " (n = unit-quarters)"})
    return tidy(rows, extra=["bounded", "expected_sign", "first_stage_f"])


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
        source = (f"estimated within units and quarters, corrected for survey noise, "
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


def noise_note(rows: pd.DataFrame) -> str:
    """How much the money links would shrink if unit scores were taken as exact."""
    if rows is None or rows.empty:
        return ""
    parts = []
    for name in ("revenue_per_customer_per_nps", "churn_per_nps"):
        both = rows[rows["term"] == name].set_index("estimand")
        if not {"link", "link_uncorrected"} <= set(both.index):
            continue
        corrected, plain = both.loc["link"], both.loc["link_uncorrected"]
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


def report_currency(con, finance: dict, finance_label: str = "the finance assumptions") -> str:
    """The one currency of the whole report: the pilot registry's, or the finance file's.

    Costs come from the registry, salaries and margins from the finance file: amounts in two
    currencies cannot be added. The registry's pilots must agree with each other, and with
    a finance file that names a currency; otherwise a clear error says which files differ.
    """
    from .warehouse import has_table, table_columns

    registry = []
    if has_table(con, "pilots") and "currency" in table_columns(con, "pilots"):
        registry = sorted({str(r[0]).strip().upper() for r in con.execute(
            "SELECT DISTINCT currency FROM pilots WHERE currency IS NOT NULL").fetchall()
            if str(r[0]).strip()})
    own = str(finance.get("currency") or "").strip().upper()
    if len(registry) > 1:
        raise ParameterError(f"pilots.csv, column currency: the pilots' costs are in {registry}; "
                             "one report needs one currency (convert the costs first).")
    if registry and own and registry[0] != own:
        raise ParameterError(
            f"pilots.csv gives the pilots' costs in {registry[0]}, but {finance_label} are in "
            f"{own}: give a finance file in {registry[0]} (parameter `finance`, key currency) "
            "so that every amount in the report is in one currency.")
    return registry[0] if registry else own


def baseline(con, unit_ids: list[str] | None = None) -> dict[str, float]:
    """Average customers, employees, monthly revenue per customer and churn of ``unit_ids``."""
    from .warehouse import has_table

    if not has_table(con, "unit_outcomes"):
        raise ParameterError("the warehouse has no unit_outcomes: the money model needs customers, "
                             "revenue and headcount per unit and month.")
    where = ""
    params: list = []
    if unit_ids:
        where = "WHERE unit_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        params = [list(unit_ids)]
    row = con.execute(f"""
        SELECT avg(customers_active), avg(employees),
               sum(revenue) / nullif(sum(customers_active), 0),
               CAST(sum(customers_lost) AS DOUBLE PRECISION) / nullif(sum(customers_active), 0),
               count(DISTINCT unit_id),
               CAST(sum(employees_left) AS DOUBLE PRECISION) / nullif(sum(employees), 0),
               1000.0 * sum(repeat_contacts) / nullif(sum(customers_active), 0),
               avg(cost_to_serve)
        FROM unit_outcomes {where}""", params).fetchone()
    return {"customers_per_unit": float(row[0] or 0), "employees_per_unit": float(row[1] or 0),
            "revenue_per_customer": float(row[2] or 0), "churn_rate": float(row[3] or 0),
            "units": int(row[4] or 0), "exit_rate": float(row[5] or 0),
            "repeat_contacts_per_1000": float(row[6] or 0), "cost_to_serve_per_unit": float(row[7] or 0)}


def pilot_effects(results: pd.DataFrame, pilot_id: str) -> dict[str, Quantity]:
    """A pilot's recorded ``att`` effects on NPS, engagement and repeat contacts."""
    rows = results[(results["analysis"] == "pilot") & (results["estimand"] == "att")
                   & (results["subject"] == pilot_id)]
    effects = {}
    for outcome in EFFECTS:
        match = rows[rows["outcome"] == outcome]
        # an effect without a standard error (one unit on a side) cannot be valued: taken as
        # exact it would hide all of its uncertainty
        if len(match) and np.isfinite(match.iloc[0]["se"]):
            r = match.iloc[0]
            effects[outcome] = Quantity(float(r["estimate"]), float(r["se"]),
                                        source=f"notebook 02: {r['method']}")
    return effects


def read_results(path: str | Path | None) -> pd.DataFrame:
    """The run's results so far: ``path`` if it exists, else ``reports/latest/results.json``."""
    from .config import paths
    from .results import read_json

    candidates = [Path(path)] if path else []
    candidates.append(paths().reports / "latest" / "results.json")
    for candidate in candidates:
        if candidate.exists():
            return read_json(candidate)
    return tidy([])


def build_inputs(con, results: pd.DataFrame, pilot_id: str, finance: dict,
                 scale_units: list[str] | None = None, min_group_size: int = 5,
                 link_rows: pd.DataFrame | None = None) -> Inputs:
    """Inputs for scaling pilot ``pilot_id`` to ``scale_units`` (default: every unit of the
    pilot's unit types); ``link_rows`` from :func:`link_estimates` (estimated if None)."""
    pilots = con.execute("SELECT * FROM pilots WHERE pilot_id = ?", [pilot_id]).df()
    if pilots.empty:
        raise ParameterError(f"pilot {pilot_id!r} is not in the pilot registry.")
    pilot = pilots.iloc[0]
    effects = pilot_effects(results, pilot_id)
    notes = []
    if not effects:
        notes.append(f"No recorded effects for {pilot_id}: run notebook 02 first (or pass results_path).")
    if scale_units is None:
        scale_units = [r[0] for r in con.execute(
            "SELECT unit_id FROM units WHERE unit_type IN (SELECT DISTINCT u.unit_type FROM "
            "pilot_assignments a JOIN units u USING (unit_id) WHERE a.pilot_id = ?)",
            [pilot_id]).fetchall()]
    base = baseline(con, scale_units)
    cost = pilot.get("cost_per_unit")
    links, unusable, link_notes = links_from(
        link_rows if link_rows is not None else link_estimates(con, min_group_size))
    return Inputs(
        effects=effects, links=links, unusable_links=unusable,
        assumptions=finance["assumptions"], programme=finance["programme"],
        units=len(scale_units), customers_per_unit=base["customers_per_unit"],
        employees_per_unit=base["employees_per_unit"],
        revenue_per_customer=base["revenue_per_customer"], churn_rate=base["churn_rate"],
        exit_rate=base["exit_rate"], repeat_contacts_per_1000=base["repeat_contacts_per_1000"],
        cost_to_serve_per_unit=base["cost_to_serve_per_unit"],
        registry_cost_per_unit=float(cost) if cost is not None and pd.notna(cost) else 0.0,
        horizon_months=finance["horizon_months"],
        currency=report_currency(con, finance, finance.get("label", "the finance assumptions")),
        label=f"{pilot_id}: {pilot.get('name') or ''}".strip(": "), notes=notes + link_notes)


def inputs_table(inputs: Inputs) -> pd.DataFrame:
    """Every input with its central value, uncertainty and where it comes from."""
    rows = []
    for group in ("effects", "links", "assumptions", "programme"):
        for name, q in getattr(inputs, group).items():
            low, high = q.bounds() if (q.se > 0 or q.low is not None) else (q.value, q.value)
            rows.append({"input": name, "kind": group, "value": q.value, "low": low, "high": high,
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


def heskett_check(inputs: Inputs, retention_points: float = 5.0) -> dict[str, float]:
    """Profit change from ``retention_points`` more annual retention, in steady state.

    Heskett et al. (1994) claim +5% retention raises profits 25–85%. With a steady inflow of
    new customers the customer base is inversely proportional to the churn rate, so profit
    (margin × customers) rises by churn_before / churn_after − 1.
    """
    annual_retention = (1 - inputs.churn_rate) ** 12
    annual_churn = 1 - annual_retention
    after = annual_churn - retention_points / 100
    if after <= 0:
        return {"annual_retention": annual_retention, "profit_change": float("inf")}
    return {"annual_retention": annual_retention, "profit_change": annual_churn / after - 1}


#: which link turns which effect into which channel of value
CHANNELS = {"retention": ("churn_per_nps", "nps"),
            "revenue_per_customer": ("revenue_per_customer_per_nps", "nps"),
            "turnover": ("exit_rate_per_ei", "engagement_index")}


def channels_left_out(inputs: Inputs) -> tuple[list[str], list[str]]:
    """(links that could not be valued although their effect is there, channels valued)."""
    missing, valued = [], []
    for channel, (link, effect) in CHANNELS.items():
        present = effect in inputs.effects and inputs.effects[effect].value != 0
        if not present:
            continue
        (missing if link in inputs.unusable_links else valued).append(
            link if link in inputs.unusable_links else channel)
    repeat = inputs.effects.get("repeat_contacts_per_1000")
    if repeat is not None and repeat.value != 0:
        valued.append("cost_to_serve")
    return missing, valued


def findings(summary: pd.DataFrame, inputs: Inputs, breakeven: float | None = None) -> list[str]:
    """Plain sentences for the summary box."""
    def get(estimand, term=None):
        rows = summary[summary["estimand"] == estimand]
        if term is not None:
            rows = rows[rows["term"] == term]
        return rows.iloc[0] if len(rows) else None

    cur = inputs.currency
    money = lambda v: f"{cur} {v / 1e6:,.2f}m" if abs(v) >= 1e6 else f"{cur} {v:,.0f}"  # noqa: E731
    out = []
    npv, roi, prob, pay = get("npv"), get("roi"), get("probability_roi_positive"), get("payback_months")
    missing, valued = channels_left_out(inputs)
    if missing and not valued:
        out.append(f"What scaling {inputs.label} is worth cannot be told from this data: the "
                   f"links from its effects to money ({', '.join(LINK_WORDS[m] for m in missing)}) "
                   "are not informative here, so no return on investment is given.")
        npv = roi = prob = pay = None
    prefix = ("Counting only the channels that can be valued here "
              f"({', '.join(c.replace('_', ' ') for c in valued)}): " if missing else "")
    if npv is not None:
        out.append(f"{prefix}Scaling {inputs.label} to {inputs.units} units over {inputs.horizon_months} "
                   f"months: net present value {money(npv['estimate'])} (95% of simulations between "
                   f"{money(npv['ci_low'])} and {money(npv['ci_high'])}).")
    if roi is not None and prob is not None:
        out.append(f"Return on investment {roi['estimate']:.0%} (interval {roi['ci_low']:.0%} to "
                   f"{roi['ci_high']:.0%}); chance the return is positive: {prob['estimate']:.0%}.")
    if pay is not None:
        text = (f"about {pay['estimate']:.0f} months" if pd.notna(pay["estimate"])
                else f"not within {inputs.horizon_months} months in most simulations")
        out.append(f"Payback: {text}.")
    drivers = summary[summary["estimand"] == "value_driver"].sort_values("estimate", ascending=False)
    if len(drivers):
        top = drivers.iloc[0]
        out.append(f"Most of the value comes from {top['term'].replace('_', ' ')} "
                   f"({money(top['estimate'])}); every link in the chain is listed with its source below.")
    if breakeven is not None and np.isfinite(breakeven) and "nps" in inputs.effects:
        measured = inputs.effects["nps"]
        low, high = measured.bounds()
        out.append(f"The programme pays back if its NPS effect is at least {breakeven:.2f} points; "
                   f"the pilot measured {measured.value:.1f} (interval {low:.1f} to {high:.1f}).")
    if roi is not None:
        if roi["ci_high"] < 90:
            out.append(f"Claims of CX returns 'above 9000%' are not supported here: even the upper "
                       f"end of the simulated return is {roi['ci_high']:.0%}.")
        else:
            out.append(f"A return 'above 9000%' is within the simulated range here (upper end "
                       f"{roi['ci_high']:.0%}), but it is not the central estimate.")
    for note in inputs.notes:
        out.append(note)
    return out


def what_to_value(con, results: pd.DataFrame, scale_pilot: str, finance: dict,
                  ex_programme_points: float, min_group_size: int = 5) -> dict:
    """Which programme notebook 03 values on this data set, and the inputs for it.

    A pilot (``scale_pilot``, else the first with recorded effects) when the data hold a
    registry with units, the customer survey and unit outcomes; else, or beside it, an
    engagement programme valued through notebook 01's EX -> CX estimate (both surveys and
    unit outcomes). Returns ``main`` (the inputs valued first), ``subject`` (the pilot id or
    ``ex_programme``), ``programme`` (the engagement programme's inputs beside a pilot, or
    None), ``notes`` (sentences on what could not be valued and why) and ``links`` (the
    money links, corrected and uncorrected, as tidy rows to record).
    """
    from .plan import BY_KEY, inventory, left_out

    have = inventory(con)
    pilot_ok = BY_KEY["rox_pilot"].available(have)
    programme_ok = BY_KEY["rox_programme"].available(have) and ex_programme_points > 0
    notes = left_out(have, ["rox_pilot", "rox_programme"])
    if not (pilot_ok or programme_ok):
        raise ParameterError("nothing to value: " + " ".join(notes)
                             + (" (ex_programme_points is 0)" if ex_programme_points <= 0 else ""))
    rows = link_estimates(con, min_group_size)
    notes = notes + [n for n in [noise_note(rows)] if n]
    programme = (build_ex_programme_inputs(con, results, ex_programme_points, finance,
                                           min_group_size, rows) if programme_ok else None)
    if not pilot_ok:
        return {"main": programme, "subject": "ex_programme", "programme": None, "notes": notes,
                "links": rows}
    pilot_id = scale_pilot or first_pilot_with_effects(results, con)
    return {"main": build_inputs(con, results, pilot_id, finance, min_group_size=min_group_size,
                                 link_rows=rows),
            "subject": pilot_id, "programme": programme, "notes": notes, "links": rows}


def first_pilot_with_effects(results: pd.DataFrame, con) -> str:
    """The first pilot (by id) with recorded ``att`` rows; else the first in the registry."""
    recorded = results[(results["analysis"] == "pilot") & (results["estimand"] == "att")]
    if len(recorded):
        return sorted(recorded["subject"].unique())[0]
    from .warehouse import has_table

    pilots = (con.execute("SELECT pilot_id FROM pilots ORDER BY 1").fetchall()
              if has_table(con, "pilots") else [])
    if not pilots:
        raise ParameterError("no pilot to model: the registry is empty and no pilot effects were recorded.")
    return pilots[0][0]


def heskett_sentence(inputs: Inputs) -> str:
    """Heskett et al.'s '+5% retention, +25–85% profit' claim against these units' churn."""
    check = heskett_check(inputs)
    return (f"Heskett et al. (1994) claim that 5 more points of customer retention raise profits by "
            f"25–85%. Here annual retention is {check['annual_retention']:.0%}; in steady state 5 "
            f"more points would raise the customer base, and with it profit, by about "
            f"{check['profit_change']:.0%} — assuming costs scale with customers.")


def example_inputs(**changes) -> Inputs:
    """Small, round inputs (10 units, 2 months) for examples, tests and benchmarks."""
    base = dict(
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
        programme=finance["programme"], units=base["units"],
        customers_per_unit=base["customers_per_unit"], employees_per_unit=base["employees_per_unit"],
        revenue_per_customer=base["revenue_per_customer"], churn_rate=base["churn_rate"],
        exit_rate=base["exit_rate"], repeat_contacts_per_1000=base["repeat_contacts_per_1000"],
        cost_to_serve_per_unit=base["cost_to_serve_per_unit"],
        horizon_months=finance["horizon_months"],
        currency=report_currency(con, finance, finance.get("label", "the finance assumptions")),
        label=f"engagement programme (+{points:g} points)", notes=notes + link_notes)
