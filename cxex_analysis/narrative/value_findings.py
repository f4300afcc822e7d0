"""What the return-on-experience model found, in sentences (notebook 03)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.estimators.value_model import Inputs, channels_left_out, heskett_check
from cxex_analysis.vocabulary import LINK_WORDS, ci_label, level_of, term_label


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
    missing, _ = channels_left_out(inputs)
    if missing:  # no return counting a channel as worth nothing: what it must be worth instead
        out += [break_even_sentence(row, f"scaling {inputs.label}")
                for _, row in summary[summary["estimand"] == "break_even"].iterrows()] or [
            f"What scaling {inputs.label} is worth cannot be told from this data: the links from "
            f"its effects to money ({', '.join(LINK_WORDS[m] for m in missing)}) are not "
            "informative here, so no return on investment is given."]
        npv = roi = prob = pay = None
    if npv is not None:
        out.append(f"Scaling {inputs.label} to {inputs.units} units over {inputs.horizon_months} "
                   f"months: net present value {money(npv['estimate'])} ({level_of(npv):.0%} "
                   "of simulations between "
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
        out.append(f"Most of the value comes from {term_label(top['term'])} "
                   f"({money(top['estimate'])}); every link in the chain is listed with its source below.")
    if breakeven is not None and np.isfinite(breakeven) and "nps" in inputs.effects:
        measured = inputs.effects["nps"]
        low, high = measured.bounds()
        out.append(f"The programme pays back if its NPS effect is at least {breakeven:.2f} points; "
                   f"the pilot measured {measured.value:.1f} (interval {low:.1f} to {high:.1f}).")
    if roi is not None:
        if roi["ci_high"] < 90:
            out.append(f"Claims of CX returns 'above 9000%' are far weaker here: even the upper "
                       f"end of the simulated return is {roi['ci_high']:.0%}.")
        else:
            out.append(f"A return 'above 9000%' is within the simulated range here (upper end "
                       f"{roi['ci_high']:.0%}), but it is not the central estimate.")
    for note in inputs.notes:
        out.append(note)
    return out


#: a point of the score each link turns into money, and who a loss link keeps
BREAK_EVEN_WORDS = {"revenue_per_customer_per_nps": ("NPS point", None),
                    "churn_per_nps": ("NPS point", "customers"),
                    "exit_rate_per_ei": ("engagement-index point", "staff")}


def break_even_sentence(row: pd.Series, label: str) -> str:
    """What a link the data cannot value must be worth for ``label`` (a programme) to pay for
    itself, from its ``break_even`` row, with the interval over the other inputs."""
    point, who = BREAK_EVEN_WORDS[row["term"]]
    value, low, high = row["estimate"], row["ci_low"], row["ci_high"]
    span = f"{level_of(row):.0%} of simulations"
    if who is None:  # revenue a customer a month
        amount = lambda v: f"{row['outcome']} {v:,.3g}"  # noqa: E731
        need = (f"one {point} is worth at least {amount(value)} of revenue a customer a month "
                f"({span}: {amount(low)} to {amount(high)})")
    else:  # a loss: the link is the change in the share lost a month, negative if it keeps
        points = lambda v: f"{-100 * v:,.2g}"  # noqa: E731  (percentage points kept)
        need = (f"one {point} lowers the share of {who} lost a month by at least "
                f"{points(value)} percentage points ({span}: {points(high)} to {points(low)})"
                if value <= 0 else
                f"one {point} does not raise the share of {who} lost a month by more than "
                f"{100 * value:,.2g} percentage points, even without this channel")
    return (f"{label[:1].upper() + label[1:]} pays for itself if {need}. This data cannot tell "
            f"what {LINK_WORDS.get(row['term'], row['term'])} is worth, so no return on "
            "investment is given: it would count that channel as worth nothing.")


def heskett_sentence(inputs: Inputs) -> str:
    """Heskett et al.'s '+5% retention, +25–85% profit' claim against these units' churn."""
    check = heskett_check(inputs)
    return (f"Heskett et al. (1994) claim that 5 more points of customer retention raise profits by "
            f"25–85%. Here annual retention is {check['annual_retention']:.0%}; in steady state 5 "
            f"more points would raise the customer base, and with it profit, by about "
            f"{check['profit_change']:.0%} — assuming costs scale with customers.")


def programme_not_modelled(subject: str, notes: list[str]) -> str:
    """Why no separate engagement programme is valued."""
    if subject == "ex_programme":
        return "The valuation above is the engagement programme: this data set has no pilot to value."
    return "Not modelled: " + (" ".join(notes) or "ex_programme_points is 0.")


def customer_findings(rows: pd.DataFrame, currency: str = "") -> list[str]:
    """What promoters, passives and detractors are worth here, measured customer by customer
    (the ``customer_value`` rows), in sentences; none without them."""
    if rows is None or rows.empty:
        return []

    def get(estimand: str, term: str) -> pd.Series | None:
        found = rows[(rows["estimand"] == estimand) & (rows["term"] == term)]
        return found.iloc[0] if len(found) else None

    money = lambda v: f"{currency} {v:,.2f}".strip()  # noqa: E731
    out = []
    p, d = (get("retention_by_nps_category", name) for name in ("promoter", "detractor"))
    gap = get("retention_by_nps_category", "promoter - detractor")
    if p is not None and d is not None:
        out.append(f"{p['estimate']:.0%} of promoters are still customers 12 months after their "
                   f"answer ({p['ci_low']:.0%} to {p['ci_high']:.0%}, {int(p['n']):,} customers), "
                   f"against {d['estimate']:.0%} of detractors ({d['ci_low']:.0%} to "
                   f"{d['ci_high']:.0%}, {int(d['n']):,})"
                   + (f": {100 * gap['estimate']:.1f} points more kept ({100 * gap['ci_low']:.1f} "
                      f"to {100 * gap['ci_high']:.1f})." if gap is not None else "."))
    p, d = (get("revenue_by_nps_category", name) for name in ("promoter", "detractor"))
    if p is not None and d is not None:
        out.append(f"Promoters bring {money(p['estimate'])} a month ({money(p['ci_low'])} to "
                   f"{money(p['ci_high'])}), detractors {money(d['estimate'])} "
                   f"({money(d['ci_low'])} to {money(d['ci_high'])}). Part of that gap is who "
                   "they are, not what the service did for them; the next sentence separates it.")
    p, d = (get("lifetime_revenue_by_nps_category", name) for name in ("promoter", "detractor"))
    if p is not None and d is not None:
        out.append(f"Staying as long as their first year suggests, a promoter brings "
                   f"{money(p['estimate'])} of revenue over their time as a customer "
                   f"({money(p['ci_low'])} to {money(p['ci_high'])}), a detractor "
                   f"{money(d['estimate'])} ({money(d['ci_low'])} to {money(d['ci_high'])}); "
                   "undiscounted and before margin.")
    link = get("revenue_per_nps_point", "nps_contribution")
    if link is not None:
        between = str(link["method"]).startswith("between_customers")
        how = ("comparing customers with each other (weaker: the more satisfied by nature may "
               "spend more anyway)" if between else
               f"following {int(link['n']):,} customers who answered more than once over time, "
               "so a customer's lasting spend level cannot pose as an effect")
        out.append(f"A point of NPS is worth {money(link['estimate'])} of revenue a customer a "
                   f"month ({money(link['ci_low'])} to {money(link['ci_high'])}), measured {how}.")
    churn = get("churn_per_nps_point", "nps_contribution")
    if churn is not None:
        out.append(f"Each point of NPS goes with {-100 * churn['estimate']:.3f} percentage points "
                   f"fewer customers leaving a month ({-100 * churn['ci_high']:.3f} to "
                   f"{-100 * churn['ci_low']:.3f}; customers compared with each other, as a "
                   "customer leaves only once).")
    return out


def metric_sentences(rows: pd.DataFrame) -> list[str]:
    """What an engagement programme would change in each of the organisation's own metrics
    (:func:`cxex_analysis.analyses.metric_value.metric_changes`), the two models as a range,
    and in money where the metric is kept in a currency."""
    out = []
    changes = rows[rows["estimand"] == "metric_change"]
    for metric, part in changes.groupby("outcome", sort=False):
        by_model = {r["term"]: r for _, r in part.iterrows()}
        if not {"ex_to_outcome_fe", "ex_to_outcome_ldv"} <= set(by_model):
            continue
        fe, ldv = by_model["ex_to_outcome_fe"], by_model["ex_to_outcome_ldv"]
        points = str(fe["method"]).split("_points_times")[0]  # as metric_changes writes it
        unit = str(fe.get("outcome_unit") or "")
        name = metric.replace("_", " ") + (f" ({unit})" if unit and unit != "nan" else "")
        better = str(fe.get("better") or "higher")
        level = ci_label(fe.get("confidence"))
        ranges = [f"{r['estimate']:+.3g} ({level} {r['ci_low']:+.3g} to {r['ci_high']:+.3g}; "
                  f"{words})" for r, words in ((fe, "each unit against itself"),
                                                (ldv, "holding its previous value"))]
        sign = {np.sign(fe["estimate"]), np.sign(ldv["estimate"])}
        reading = ""
        if len(sign) == 1 and all(r["ci_low"] > 0 or r["ci_high"] < 0 for r in (fe, ldv)):
            good = (sign.pop() > 0) == (better != "lower")
            reading = f" — {'better' if good else 'worse'}, as {better} is better"
        out.append(f"Raising engagement by {points} points in every unit would change {name} "
                   f"a wave later by {ranges[0]} to {ranges[1]}{reading}, if the link is "
                   "causal.")
        value = rows[(rows["estimand"] == "metric_value") & (rows["outcome"] == metric)]
        if len(value) == 2:
            low, high = value["ci_low"].min(), value["ci_high"].max()
            out.append(f"Over the {int(value['n'].iloc[0])} units that report {name}, that is "
                       f"{value['estimate'].min():+,.0f} to {value['estimate'].max():+,.0f} "
                       f"{unit} ({level}s together {low:+,.0f} to {high:+,.0f}).")
    return out
