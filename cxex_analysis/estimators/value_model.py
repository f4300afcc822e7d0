"""The return-on-experience model: inputs with their uncertainty, the value chain, and its
Monte Carlo.

:class:`Inputs` holds effects and links (each a :class:`Quantity` with its SE or interval)
and finance assumptions (triangular ranges); :func:`evaluate` runs the value chain
(turnover, retention, revenue per customer, cost to serve, costs; see
:mod:`cxex_analysis.analyses.rox`) on arrays of draws, :func:`monte_carlo` draws every
uncertain input at once (vectorised), :func:`summarise` gives medians with percentile
intervals, :func:`tornado`, :func:`scenarios` and :func:`break_even` the sensitivities,
:func:`heskett_check` the service-profit-chain sanity check.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cxex_analysis.errors import ParameterError, check_confidence
from cxex_analysis.results import tidy

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
    #: the effects as measured, before they were shrunk into ``effects`` (shown beside them)
    measured_effects: dict[str, Quantity] = field(default_factory=dict)

    def certain(self) -> "Inputs":
        """The same inputs with every uncertainty removed."""
        return replace(self,
                       effects={k: v.certain() for k, v in self.effects.items()},
                       links={k: v.certain() for k, v in self.links.items()},
                       assumptions={k: v.certain() for k, v in self.assumptions.items()},
                       programme={k: v.certain() for k, v in self.programme.items()})


def worked_example() -> Inputs:
    """A pilot small enough to value by hand, the Examples' starting point: NPS up 5 points
    (SE 1) at 10 units of 100 customers, each point worth 0.2 a customer-month in revenue
    (SE 0.05) at a 50% margin, 2% of customers lost a month, 24 months without discounting
    or ramp-up, a one-off cost of 5,000 and no other channel.

    Examples
    --------
    >>> inputs = worked_example()
    >>> inputs.units * inputs.customers_per_unit, [round(b, 2) for b in inputs.effects["nps"].bounds()]
    (1000, [3.04, 6.96])
    """
    zero = Quantity(0.0)
    return Inputs(
        effects={"nps": Quantity(5.0, se=1.0)},
        links={"revenue_per_customer_per_nps": Quantity(0.2, se=0.05), "churn_per_nps": zero,
               "exit_rate_per_ei": zero},
        assumptions={"gross_margin": Quantity(0.5), **dict.fromkeys(
            ["discount_rate_annual", "annual_salary", "replacement_cost_fraction",
             "cost_per_repeat_contact"], zero)},
        programme={"one_off_cost": Quantity(5000.0), "cost_per_unit_month": zero,
                   "ramp_months": zero},
        units=10, customers_per_unit=100, employees_per_unit=0, revenue_per_customer=50,
        churn_rate=0.02)


def quantity_from(spec: Any, name: str, path: str) -> Quantity:
    """An assumption of the finance file (``path``) as a :class:`Quantity`: a number is
    certain, ``{value, low, high}`` a range drawn from in the simulation; anything else is a
    :class:`~cxex_analysis.errors.ParameterError` naming the file and the key ``name``.

    Examples
    --------
    >>> margin = quantity_from({"value": 0.3, "low": 0.2, "high": 0.5}, "gross_margin", "finance.yaml")
    >>> margin.value, margin.low, margin.high, margin.source
    (0.3, 0.2, 0.5, 'assumption')
    >>> quantity_from(0.3, "gross_margin", "finance.yaml").low is None
    True
    """
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
    if low is not None and high is not None and not low <= value <= high:
        raise ParameterError(f"{path}: `{name}` must satisfy low <= value <= high, "
                             f"but {spec!r} was given.")
    return Quantity(value, low=low, high=high, source="assumption")


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
    """Money per driver, costs, NPV, ROI and payback for arrays of input draws.

    Examples
    --------
    :func:`worked_example`'s pilot at its central values and with twice its NPS effect: the
    revenue doubles (24,000 over 24 months), the one-off 5,000 stays:

    >>> import numpy as np
    >>> inputs = worked_example()
    >>> at = {**{f"effect_{e}": np.zeros(2) for e in EFFECTS}, "effect_nps": np.array([5.0, 10.0]),
    ...       **{f"link_{k}": np.full(2, q.value) for k, q in inputs.links.items()},
    ...       **{k: np.full(2, q.value) for k, q in {**inputs.assumptions, **inputs.programme}.items()}}
    >>> evaluate(inputs, at)["npv"]
    array([ 7000., 19000.])
    """
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
    """The model at the central values (no uncertainty).

    Examples
    --------
    :func:`worked_example`'s pilot: 0.2 × 5 points × 1,000 customers × 50% margin = 500 a
    month, 12,000 over 24 months, against a one-off 5,000; the cost is back in month 10:

    >>> inputs = worked_example()
    >>> {k: round(v, 2) for k, v in deterministic(inputs).items() if v}
    {'value_revenue_per_customer': 12000.0, 'value_total': 12000.0, 'cost_total': 5000.0,
     'npv': 7000.0, 'roi': 1.4, 'payback_months': 10.0}
    """
    result = evaluate(inputs, _arrays(inputs, None, 1))
    return {k: float(v[0]) for k, v in result.items()}


def monte_carlo(inputs: Inputs, draws: int = 10_000, seed: int = 42) -> pd.DataFrame:
    """``draws`` vectorized, seeded draws of every uncertain input; one row per draw.

    Examples
    --------
    :func:`worked_example`'s value is 12,000 × (link / 0.2) × (effect / 5), a product of two
    independent normal quantities: mean 12,000 and, in closed form, a coefficient of variation
    of √(0.25² + 0.2² + 0.25² × 0.2²) = 0.32:

    >>> draws = monte_carlo(worked_example(), draws=20_000, seed=1)
    >>> round(draws["value_total"].mean(), -2), round(draws["value_total"].std() / 12_000, 2)
    (12000.0, 0.32)
    """
    if draws < 100:
        raise ParameterError(f"`draws` must be at least 100, but {draws} was passed.")
    rng = np.random.default_rng(seed)
    values = _arrays(inputs, rng, draws)
    return pd.DataFrame(evaluate(inputs, values))


def summarise(draws: pd.DataFrame, inputs: Inputs, confidence: float = 0.95,
              subject: str = "all") -> pd.DataFrame:
    """Tidy ``roi``, ``npv``, ``payback_months``, ``value_total`` (median, percentile interval),
    one row per value driver (``value_driver``) and ``probability_roi_positive``; a
    ``not_valued`` row per link that could not be valued (:func:`links_from`). When a
    channel with an effect cannot be valued, only the ``not_valued`` rows and the value of
    the channels that can be valued are returned: a return, a net present value or a chance
    of a positive return would count that channel as worth nothing
    (:func:`link_break_even` says what it would have to be worth instead).

    Examples
    --------
    Without uncertainty every draw is :func:`deterministic`'s answer, and so is every
    interval:

    >>> inputs = worked_example().certain()
    >>> rows = summarise(monte_carlo(inputs, draws=100), inputs).set_index("estimand")
    >>> rows.loc["npv", ["estimate", "ci_low", "ci_high"]].tolist()
    [7000.0, 7000.0, 7000.0]
    >>> rows.loc["probability_roi_positive", "estimate"]
    1.0
    """
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
    if missing:  # a driver that cannot be valued would count as zero: no return, no NPV
        rows = [r for r in rows if r["estimand"] == "value_driver" and r["term"] in valued]
    for link in missing:
        rows.append({"analysis": "rox", "estimand": "not_valued", "subject": subject,
                     "outcome": inputs.currency, "term": link, "confidence": confidence,
                     "n": 0, "method": inputs.links[link].source or "not informative"})
    return tidy(rows)


#: what a point of each link is, in words, for the break-even sentence
LINK_UNITS = {"revenue_per_customer_per_nps": "revenue a customer a month per NPS point",
              "churn_per_nps": "change in the share of customers lost a month per NPS point",
              "exit_rate_per_ei": "change in the share of staff who leave a month per "
                                  "engagement-index point"}


def link_break_even(inputs: Inputs, link: str, draws: int = 10_000, seed: int = 42,
                    confidence: float = 0.95, subject: str = "all") -> pd.DataFrame:
    """What a point of ``link`` must be worth for the net present value to be zero: one tidy
    ``break_even`` row, the value at the inputs' central values with a percentile interval
    over the other inputs' uncertainty (``draws`` simulations; the net present value is
    linear in the link, so each draw's break-even is exact). For a link the data cannot
    value: what the programme needs it to be, rather than a return that counts it as zero.
    A link that lowers a loss (churn, exits) breaks even at a negative value.

    Examples
    --------
    :func:`worked_example` pays 5,000 back through revenue alone: 5 points × 1,000
    customers × 50% margin × 24 months × b = 5,000 at b = 5,000 / 60,000 = 0.0833 a
    customer-month per point; with the effect uncertain (SE 1 on 5) the interval is wide:

    >>> row = link_break_even(worked_example(), "revenue_per_customer_per_nps").iloc[0]
    >>> round(row["estimate"], 4), row["ci_low"] < 0.0833 < row["ci_high"], row["term"]
    (0.0833, True, 'revenue_per_customer_per_nps')
    """
    confidence = check_confidence(confidence)
    if link not in LINKS:
        raise ParameterError(f"`link` must be one of {sorted(LINKS)}, but {link!r} was given.")

    def needed(values: dict[str, np.ndarray], n: int) -> np.ndarray:
        npv = [evaluate(inputs, {**values, f"link_{link}": np.full(n, b)})["npv"] for b in (0.0, 1.0)]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(npv[1] != npv[0], -npv[0] / (npv[1] - npv[0]), np.nan)

    central = float(needed(_arrays(inputs, None, 1), 1)[0])
    simulated = needed(_arrays(inputs, np.random.default_rng(seed), draws), draws)
    finite = simulated[np.isfinite(simulated)]
    lo, hi = 50 * (1 - confidence), 50 * (1 + confidence)
    low, high = (np.percentile(finite, [lo, hi], method="inverted_cdf") if len(finite)
                 else (np.nan, np.nan))
    return tidy([{"analysis": "rox", "estimand": "break_even", "subject": subject,
                  "outcome": inputs.currency, "term": link,
                  "estimate": central if np.isfinite(central) else np.nan,
                  "se": float(np.std(finite, ddof=1)) if len(finite) > 1 else np.nan,
                  "ci_low": float(low), "ci_high": float(high), "p_value": np.nan,
                  "confidence": confidence, "n": draws,
                  "method": f"monte_carlo_{draws} (the link's value at which the net present "
                            "value is zero: central inputs, percentile interval over the others)"}])


def _uncertain(inputs: Inputs) -> list[tuple[str, str, Quantity]]:
    out = []
    for group in ("effects", "links", "assumptions", "programme"):
        for name, q in getattr(inputs, group).items():
            if q.se > 0 or (q.low is not None and q.high is not None and q.high > q.low):
                out.append((group, name, q))
    return out


def _with(inputs: Inputs, group: str, name: str, value: float) -> Inputs:
    certain = {k: v.certain() for k, v in getattr(inputs, group).items()}
    changed: dict[str, Any] = {group: {**certain, name: Quantity(value)}}
    return replace(inputs.certain(), **changed)


def tornado(inputs: Inputs, metric: str = "npv") -> pd.DataFrame:
    """NPV (or another metric) with each uncertain input at the ends of its range, others central.

    Examples
    --------
    With :func:`worked_example`'s inputs: the link at 0.2 ± 1.96 × 0.05 moves
    the 12,000 of value by 51% either way (NPV 12,000 × 0.51 − 5,000 = 1,120.11 at its low
    end), the effect at 5 ± 1.96 by 39%:

    >>> inputs = worked_example()
    >>> tornado(inputs)[["input", "low_value", "metric_at_low", "metric_at_high"]].round(2)
                              input  low_value  metric_at_low  metric_at_high
    0  revenue_per_customer_per_nps       0.10        1120.11        12879.89
    1                           nps       3.04        2296.09        11703.91
    """
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
    """Conservative (every input at its unfavourable end), expected, optimistic.

    Examples
    --------
    With :func:`worked_example`'s inputs: conservative is both ends at once,
    0.102 × 3.04 × 1,000 × 0.5 × 24 = 3,721 of value, and the 5,000 are never paid back:

    >>> inputs = worked_example()
    >>> scenarios(inputs)[["scenario", "value_total", "npv", "payback_months"]].round(2)
           scenario  value_total       npv  payback_months
    0  conservative      3721.07  -1278.93             inf
    1      expected     12000.00   7000.00            10.0
    2    optimistic     24888.68  19888.68             5.0
    """
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
    """The effect size at which NPV is zero, all else at central values (NPV is linear in it).

    Examples
    --------
    With :func:`worked_example`'s inputs the 5,000 are paid back by an NPS
    effect of 5,000 / (0.2 × 1,000 customers × 0.5 × 24 months) = 2.0833 points:

    >>> inputs = worked_example()
    >>> round(break_even(inputs), 4)
    2.0833
    """
    base = inputs.certain()
    current = base.effects.get(effect, Quantity(0.0)).value
    npv_0 = deterministic(_with(base, "effects", effect, current))["npv"]
    npv_1 = deterministic(_with(base, "effects", effect, current + 1.0))["npv"]
    slope = npv_1 - npv_0
    if slope == 0:
        return float("nan")
    return float(current - npv_0 / slope)


def heskett_check(inputs: Inputs, retention_points: float = 5.0) -> dict[str, float]:
    """Profit change from ``retention_points`` more annual retention, in steady state
    (:func:`heskett_profit_change` at the inputs' monthly churn).

    Examples
    --------
    With :func:`worked_example`'s inputs (2% of customers lost a month):

    >>> inputs = worked_example()
    >>> {k: round(v, 4) for k, v in heskett_check(inputs).items()}  # 0.98¹²; 21.5 / 16.5 − 1
    {'annual_retention': 0.7847, 'profit_change': 0.3025}
    """
    annual_retention = (1 - inputs.churn_rate) ** 12
    return {"annual_retention": annual_retention,
            "profit_change": float(heskett_profit_change(inputs.churn_rate, retention_points))}


def heskett_profit_change(monthly_churn, retention_points: float = 5.0):
    """Heskett et al. (1994) claim +5% retention raises profits 25–85%. With a steady inflow
    of new customers the customer base is inversely proportional to the churn rate, so profit
    (margin × customers) rises by churn_before / churn_after − 1 (infinite when the extra
    retention would leave no churn). Works on a number or an array of monthly churn rates.

    Examples
    --------
    >>> round(float(heskett_profit_change(0.02)), 4)  # annual churn 1 − 0.98¹² = 21.5%: 21.5 / 16.5 − 1
    0.3025
    """
    annual_churn = 1 - (1 - np.asarray(monthly_churn, dtype=float)) ** 12
    after = annual_churn - retention_points / 100
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(after > 0, annual_churn / after - 1, np.inf)


#: which link turns which effect into which channel of value
CHANNELS = {"retention": ("churn_per_nps", "nps"),
            "revenue_per_customer": ("revenue_per_customer_per_nps", "nps"),
            "turnover": ("exit_rate_per_ei", "engagement_index")}


def channels_left_out(inputs: Inputs) -> tuple[list[str], list[str]]:
    """(links that could not be valued although their effect is there, channels valued).

    Examples
    --------
    >>> from dataclasses import replace
    >>> inputs = worked_example()  # an NPS effect: valued through retention and revenue
    >>> channels_left_out(inputs)
    ([], ['retention', 'revenue_per_customer'])
    >>> channels_left_out(replace(inputs, unusable_links=["revenue_per_customer_per_nps"]))
    (['revenue_per_customer_per_nps'], ['retention'])
    """
    missing: list[str] = []
    valued: list[str] = []
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
