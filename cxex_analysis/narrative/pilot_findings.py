"""What a pilot's analysis found, in sentences (notebook 02): the effects with their
intervals, the decision and its rule, what each design can show, the sensitivity of a
staggered rollout's effect to parallel trends, and the monitoring call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.analyses.pilots_result import PilotAnalysis
from cxex_analysis.estimators.experiments import MIN_UNITS_FOR_ADJUSTMENT, smallest_randomization_p
from cxex_analysis.estimators.staggered import SMALL_SAMPLE_UNITS
from cxex_analysis.vocabulary import format_p, label

DESIGN_STATEMENTS = {
    "randomized": (
        "Units were assigned to the pilot at random, so apart from chance the pilot and "
        "control units differ only in the pilot: the difference in their results after the "
        "start is the pilot's effect. The estimate adjusts for each unit's own results before "
        "the start (ANCOVA, known in experimentation tools as CUPED), which removes chance "
        "imbalance and narrows the interval."),
    "staggered": (
        "Units started the pilot at different times and were not chosen at random. Each group "
        "of units that started together is compared with units that had not started — units "
        "without the pilot or, where every unit gets it in the end, the groups starting later — "
        "before and after its start (Callaway & Sant'Anna difference-in-differences), against a "
        "baseline averaged over the months before the start. This is causal evidence if, "
        "without the pilot, both would have moved in parallel: the event-study chart checks "
        "that before the start, and the sensitivity table shows how far the conclusion holds "
        "if they would not. The older two-way fixed-effects estimate is shown beside it: it "
        "compares late starters with early starters whose effect is still growing, and is "
        "biased when effects build up over time."),
    "observational": (
        "The pilot units were chosen, not randomized, and all started together. They are "
        "compared with similar units (matched on their results before the start and on unit "
        "type), before and after. This is weaker evidence: if the units were chosen for a "
        "reason that also changes their results, the estimate is biased."),
}


def design_statement(design: str) -> str:
    """What the pilot's design supports, in the report's words."""
    return DESIGN_STATEMENTS.get(design, DESIGN_STATEMENTS["observational"])


def _interval(row, digits: int = 1) -> str:
    return (f"{row['estimate']:+.{digits}f} ({row['confidence']:.0%} CI {row['ci_low']:+.{digits}f} "
            f"to {row['ci_high']:+.{digits}f})")


def _digits(outcome: str) -> int:
    return 2 if outcome in ("ces", "exit_rate") else 1


def findings(result: PilotAnalysis) -> list[str]:
    """Plain sentences for the summary box of one pilot."""
    pilot = result.pilot
    assignments_note = ""
    if "arm" in result.units:
        arms = result.units["arm"].value_counts()
        assignments_note = (f", {int(arms.get('treatment', 0))} pilot and "
                            f"{int(arms.get('control', 0))} comparison units")
    out = [f"{pilot['pilot_id']} — {pilot.get('name') or 'pilot'} ({result.design} design"
           f"{assignments_note})."]
    out += result.notes
    if "sensitivity" in result.not_estimated:
        out.append("No sensitivity analysis for parallel trends: "
                   f"{result.not_estimated['sensitivity'].rstrip('.')}.")
    for missing in result.outcomes_not_estimated:
        if missing["reason"] == "no data after the start yet":
            continue  # said once in the notes
        out.append(f"No estimate for {label(missing['outcome'])}: the data cannot "
                   f"support one ({missing['reason'].rstrip('.')}).")
    if not result.outcomes:
        out.append("None of the requested outcomes has data for this pilot's units, so no "
                   "effect can be estimated.")
    dual = result.dual
    if not dual.empty:
        for side in ("customers", "employees"):
            part = dual[dual["side"] == side]
            if part.empty:
                continue
            bits = []
            for row in part.itertuples():
                digits = _digits(row.outcome)
                interval = (f"CI {row.ci_low:+.{digits}f} to {row.ci_high:+.{digits}f}, "
                            if np.isfinite(row.ci_low) else "")
                bits.append(f"{label(row.outcome)} {row.estimate:+.{digits}f} "
                            f"({interval}{row.reading})")
            out.append(f"For {side}: " + "; ".join(bits) + ".")
    effects = result.effects
    if not effects.empty:
        methods = " ".join(effects["method"])
        if "_webb_" in methods:
            out.append(f"With fewer than {SMALL_SAMPLE_UNITS} units the intervals use small-sample "
                       "inference (a wild bootstrap with Webb weights and t critical values with "
                       "degrees of freedom from the smaller side), so they are wider than the "
                       "usual large-sample ones.")
        if result.design == "randomized" and "n_treated" in effects.columns:
            row = effects.iloc[0]
            if "ancova" not in methods:
                out.append(f"With fewer than {MIN_UNITS_FOR_ADJUSTMENT} units with results before "
                           "the start, the estimate is the plain difference between the arms, "
                           "not adjusted for the units' starting points.")
            floor = smallest_randomization_p(int(row["n_treated"] + row["n_control"]),
                                             int(row["n_treated"]))
            if floor > 1 - row["confidence"]:
                out.append(f"With {int(row['n_treated'])} pilot and {int(row['n_control'])} "
                           f"comparison units, no result could reach a randomization p-value "
                           f"below {floor:.2f}: a pilot this small cannot show an effect, "
                           "whatever its size.")
        if "no_inference" in methods:
            out.append("Where one side of a comparison has a single unit, the estimate is shown "
                       "without an interval or p-value: one unit cannot be told apart from chance.")
    if result.decision is not None:
        d = result.decision
        chance = (f"Chance that {label(d['outcome'])} (the primary outcome) improved: "
                  f"{d['probability_beneficial']:.0%}. " if np.isfinite(d["probability_beneficial"])
                  else "")
        out.append(f"{chance}Recommendation: {d['verdict'].upper()}. {d['rule']}")
    test = result.dual_test
    if test:
        out.append(f"Better for both customers ({label(test['customers'])}) and "
                   f"employees ({label(test['employees'])}): "
                   f"{'shown' if test['both_better'] else 'not shown'} (joint test, "
                   f"p {format_p(test['p_value'])}; each side's one-sided test must pass).")
    out += sensitivity_sentences(result.sensitivity)
    out += monitoring_sentences(result.sequential)
    p = result.power
    if p is not None and p["units_needed"] and p["target_effect"] is not None:
        out.append(f"This design could reliably detect (80% power) a change of {p['mde']:.2f} in "
                   f"the primary outcome; confirming an effect of {abs(p['target_effect']):.2f} "
                   f"would take about {p['units_needed']} units next time (it had {p['n_units']}).")
    return out


def sensitivity_sentences(rows: pd.DataFrame | None) -> list[str]:
    """What the parallel-trends sensitivity analysis allows the report to say."""
    if rows is None or rows.empty:
        return []
    one = rows[rows["term"] == "Mbar=1"]
    if one.empty:
        return []
    r = one.iloc[0]
    breakdown = r.get("breakdown", np.nan)
    tail = (f" The effect stays clear of zero as long as the trends after the start differ by "
            f"no more than {breakdown:g} × their largest change before it."
            if np.isfinite(breakdown) and breakdown > 0 else
            " Even a small departure from parallel trends would make it unclear."
            if np.isfinite(breakdown) else
            " It is not clear of zero even if the trends were exactly parallel.")
    return [f"If the pilot and comparison units could drift apart after the start as much as "
            f"they did from period to period before it, the average effect on "
            f"{label(r['outcome'])} would be somewhere from {r['ci_low']:+.1f} to "
            f"{r['ci_high']:+.1f}.{tail}"]


def monitoring_sentences(rows: pd.DataFrame | None) -> list[str]:
    """The latest look of the always-valid monitoring, in words."""
    if rows is None or rows.empty:
        return []
    last = rows.iloc[-1]
    return [f"Monitoring {label(last['outcome'])} at every look since the start "
            f"({len(rows)} looks; latest {last['term'].split('=')[1]}): the always-valid interval "
            f"is {last['ci_low']:+.1f} to {last['ci_high']:+.1f}, so the call is to "
            f"{last['decision']}. Unlike the ordinary interval, it stays valid however often "
            "the pilot is looked at."]


def sensitivity_note(result: PilotAnalysis) -> list[str]:
    """What the sensitivity analysis shows, or why there is none."""
    if not result.sensitivity.empty:
        return sensitivity_sentences(result.sensitivity)
    if result.design != "staggered":
        return ["No sensitivity analysis: it applies to staggered rollouts with periods before "
                "and after the start."]
    return ["No sensitivity analysis: the data hold too few periods before the start."]
