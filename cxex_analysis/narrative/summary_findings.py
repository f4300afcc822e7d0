"""The executive summary's answers in words (``index.html``): does EX drive CX here, did the
pilots work, what is it worth, where to act and did the actions work — each from the run's
recorded rows, with its interval (:mod:`cxex_analysis.reporting.summary` lays them out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.estimators.experiments import LOWER_IS_BETTER, decision
from cxex_analysis.narrative.action_findings import (
    LIMITS,
    effect_sentences,
    follow_sentence,
    overall_sentence,
)
from cxex_analysis.narrative.linkage_findings import (
    direction_reading,
    hidden_sentence,
    measured,
    why_not_measured,
)
from cxex_analysis.narrative.outcome_findings import pair_readings
from cxex_analysis.narrative.value_findings import (
    break_even_sentence,
    customer_findings,
    metric_sentences,
)
from cxex_analysis.panels.participation import LOW_PARTICIPATION
from cxex_analysis.vocabulary import LINK_WORDS, ci_label, group_label, interval_cell, level_of


def _ci(row, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    if not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])):
        return f"{row['estimate'] * scale:,.{digits}f}{unit} (no interval: too few units)"
    return (f"{row['estimate'] * scale:,.{digits}f}{unit} ({ci_label(row.get('confidence'))} "
            f"{row['ci_low'] * scale:,.{digits}f} to {row['ci_high'] * scale:,.{digits}f}{unit})")


def _first(results: pd.DataFrame, **where) -> pd.Series | None:
    rows = results
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.iloc[0] if len(rows) else None


def ex_cx_answer(results: pd.DataFrame) -> list[str]:
    h2 = _first(results, analysis="linkage", estimand="ex_to_cx_lagged", outcome="nps")
    h3 = _first(results, analysis="linkage", estimand="cx_to_ex_lagged", term="nps")
    h1 = _first(results, analysis="linkage", estimand="ex_cx_correlation", outcome="nps")
    out = []
    if h2 is not None and measured(h2):
        placebo = _first(results, analysis="linkage", estimand="ex_lead_placebo", outcome="nps")
        out.append(f"When a unit's engagement index rose by 5 points, its NPS one quarter later was "
                   f"{_ci(h2, 1, 5)} points higher (corrected for survey noise) — "
                   + direction_reading(h2, h3, placebo))
    elif h2 is not None:
        out.append("Whether a rise in engagement is followed by better NPS cannot be measured "
                   "here once survey noise is taken into account: " + why_not_measured(h2))
    hidden = hidden_sentence(h2, _first(results, analysis="linkage",
                                        estimand="ex_to_cx_lagged_uncorrected", outcome="nps"))
    if hidden:
        out.append(hidden)
    if h3 is not None and measured(h3):
        out.append(f"The reverse link: 10 more NPS points came before {_ci(h3, 1, 10)} more engagement "
                   "points.")
    elif h3 is not None:
        out.append("Whether better NPS is followed by higher engagement cannot be measured here: "
                   + why_not_measured(h3))
    if h1 is not None:
        out.append(f"Across units engagement and NPS correlate at r = {_ci(h1, 2)}.")
    # the organisation's own outcomes; customer scores too when the lagged tests did not run
    out += pair_readings(results, skip=("nps", "csat", "ces") if h2 is not None else ())
    if out:
        out.append("This is observational evidence (each unit compared with itself over time), "
                   "consistent with but not proof of cause; pilots are the stronger test.")
    return out


#: The columns of :func:`pilot_table`, in order.
PILOT_COLUMNS = ["pilot", "design", "outcome", "estimate", "ci_low", "ci_high", "confidence", "n",
                 "probability_beneficial", "recommendation"]


def pilot_table(results: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Each pilot's effect on its primary outcome and on the engagement index (customers and
    employees, one row each) with its interval; the primary row carries the chance the pilot
    helped and the recommendation (scale, extend or stop)."""
    rows = []
    att = results[(results["analysis"] == "pilot") & (results["estimand"] == "att")]
    for pilot_id, part in att.groupby("subject"):
        info = registry[registry["pilot_id"] == pilot_id] if not registry.empty else registry
        name = info["name"].iloc[0] if len(info) and "name" in info else ""
        design = info["design"].iloc[0] if len(info) and "design" in info else ""
        primary = info["primary_outcome"].iloc[0] if len(info) and "primary_outcome" in info else None
        main = part[part["outcome"] == primary] if primary in set(part["outcome"]) else part.head(1)
        shown = [main.iloc[0]]
        if main["outcome"].iloc[0] != "engagement_index":
            shown += [row for _, row in part[part["outcome"] == "engagement_index"].head(1).iterrows()]
        for i, row in enumerate(shown):
            verdict = decision(row, 0.0, row["outcome"] in LOWER_IS_BETTER) if i == 0 else None
            rows.append({"pilot": f"{pilot_id} {name}".strip(), "design": design,
                         **{c: row[c] for c in ("outcome", "estimate", "ci_low", "ci_high",
                                                "confidence", "n")},
                         "probability_beneficial": (verdict["probability_beneficial"]
                                                    if verdict else np.nan),
                         "recommendation": verdict["verdict"] if verdict else None})
    return pd.DataFrame(rows, columns=PILOT_COLUMNS)


def held_back(table: dict) -> tuple[str, str]:
    """A table that lost more than 5% of its rows to the quarantine, in words: the headline
    and the rest of the sentence (``table`` as
    :func:`cxex_analysis.store.accounting.heavy_quarantine` gives it)."""
    return (f"{table['share']:.0%} of the rows of {table['table']} ({table['rows_quarantined']:,} "
            f"of {table['rows_read']:,} in {table['file']}) were held back",
            f", {table['reason_rows']:,} of them for this reason: {table['reason']}. Every report "
            "below leaves them out; the data audit lists them with their rows.")


def failed_sections(count: int) -> tuple[str, str]:
    """Sections that could not be computed, in words: the headline and the rest."""
    return (f"{count} section(s) could not be computed",
            "; each says so in its report and the rest was published:")


def value_answers(results: pd.DataFrame) -> list[str]:
    out = []
    rox = results[results["analysis"] == "rox"]
    for subject, part in rox.groupby("subject", sort=False):
        npv = _first(part, estimand="npv")
        roi = _first(part, estimand="roi")
        prob = _first(part, estimand="probability_roi_positive")
        if npv is None or roi is None:
            left_out = part[part["estimand"] == "not_valued"]
            label = "an engagement programme" if subject == "ex_programme" else f"scaling {subject}"
            needed = part[part["estimand"] == "break_even"]
            if len(needed):  # what the links the data cannot value must be worth
                out += [break_even_sentence(row, label) for _, row in needed.iterrows()]
            elif len(left_out):
                words = ", ".join(LINK_WORDS.get(t, t) for t in left_out["term"])
                out.append(f"What {label} is worth cannot be told from this data: the links from "
                           f"its effects to money ({words}) are not informative here, so no "
                           "return on investment is given.")
            continue
        label = "an engagement programme" if subject == "ex_programme" else f"scaling {subject}"
        left_out = part[part["estimand"] == "not_valued"]
        prefix = ""
        if len(left_out):
            words = ", ".join(LINK_WORDS.get(t, t) for t in left_out["term"])
            prefix = f"Counting only what can be valued ({words}: not informative here): "
        out.append(f"{prefix}Value of {label} ({npv['term']}): net present value {npv['outcome']} "
                   f"{npv['estimate'] / 1e6:,.2f}m ({level_of(npv):.0%} of simulations "
                   f"{npv['ci_low'] / 1e6:,.2f}m to "
                   f"{npv['ci_high'] / 1e6:,.2f}m); return {roi['estimate']:.0%} "
                   f"({roi['ci_low']:.0%} to {roi['ci_high']:.0%})"
                   + (f"; chance of a positive return {prob['estimate']:.0%}." if prob is not None else "."))
    out += metric_sentences(rox)  # an engagement programme in the organisation's own metrics
    # what customers are worth, measured customer by customer: the retention gap first
    return out + customer_findings(results[results["analysis"] == "customer_value"])[:1]


def where_to_act(results: pd.DataFrame) -> pd.DataFrame:
    """Groups ordered by engagement, or by NPS without an employee survey (lowest first), each
    value with its interval; hidden stays hidden. ``attrs["order"]`` names the ordering."""
    groups = results[(results["analysis"] == "group") & (results["estimand"] == "metric_level")]
    if groups.empty:
        return pd.DataFrame()
    rows = []
    for subject, part in groups.groupby("subject"):
        row = {"group": group_label(subject)}
        for outcome in ("engagement_index", "nps", "csat"):
            match = part[part["outcome"] == outcome]
            if match.empty:
                continue
            m = match.iloc[0]
            row[outcome] = ("hidden (too few answers)" if pd.isna(m["estimate"]) else
                            interval_cell(m["estimate"], m["ci_low"], m["ci_high"], 1))
            row[f"_{outcome}"] = m["estimate"]
        taking = part[part["outcome"] == "participation"]
        if len(taking):
            rate = taking["estimate"].iloc[0]
            row["participation"] = ("hidden (too few answers)" if pd.isna(taking["n"].iloc[0]) else
                                    "not known (headcount missing or out of date)" if pd.isna(rate) else
                                    f"{rate:.0f}%" + (" (low)" if rate < 100 * LOW_PARTICIPATION else ""))
        rows.append(row)
    table = pd.DataFrame(rows)
    order = next((o for o in ("engagement_index", "nps", "csat") if f"_{o}" in table), None)
    if order:
        table = table.sort_values(f"_{order}", na_position="last")
    level = ci_label(level_of(groups))
    table = table.drop(columns=[c for c in table.columns if c.startswith("_")]).rename(
        columns={"engagement_index": f"engagement index ({level})", "nps": f"NPS ({level})",
                 "csat": f"CSAT ({level})", "participation": "% who answered"})
    table.attrs["order"] = {"engagement_index": "engagement", "nps": "NPS",
                            "csat": "CSAT"}.get(order or "", "")
    return table


def action_answers(results: pd.DataFrame) -> list[str]:
    """Follow-through and the effects of completed actions (notebook 06's recorded rows)."""
    if "analysis" not in results:
        return []
    rows = results[results["analysis"] == "actions"]
    follow = rows[rows["estimand"] == "action_follow_through"]
    effects = rows[rows["estimand"] == "action_effect"]
    if follow.empty and effects.empty:
        return []
    confidence = level_of(rows)
    sentences = [follow_sentence(follow)] + effect_sentences(effects, confidence) + [
        overall_sentence(effects, confidence)]
    return [s for s in sentences if s] + [LIMITS]
