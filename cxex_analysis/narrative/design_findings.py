"""A pilot's design in words: what ``cxex design`` prints, and what notebook 02 says about the
registration and what it can and cannot detect."""

from __future__ import annotations

import numpy as np

from cxex_analysis.vocabulary import label


def _span(periods: int, frequency: str) -> str:
    unit = "month" if frequency == "month" else "survey wave"
    return f"{periods} {unit}{'s' if periods != 1 else ''}"


def design_lines(made) -> list[str]:
    """What ``cxex design`` prints: the sizing, the split, the assignment and its balance."""
    s, v, p = made.sizing, made.variance, made.pilot
    treated = int((made.assignments["arm"] == "treatment").sum())
    control = int((made.assignments["arm"] == "control").sum())
    noise = ("" if np.isnan(v.survey_noise) else
             f"; the scores' own survey noise is {v.survey_noise:.0%} of it")
    lines = [
        f"Pilot {p['pilot_id']} “{p['name']}”: {p['design']}, primary outcome "
        f"{label(p['primary_outcome'])}, {_span(made.periods, made.frequency)} from "
        f"{made.settings['start']}.",
        f"History: {v.units:,} units over {v.starts} windows; a unit's variance after the "
        f"pre-period adjustment is {v.covariance[-1, -1]:,.1f} (the pre-period removes "
        f"{v.adjustment:.0%}{noise}).",
        f"Needed: {treated:,} pilot units with the other {control:,} as comparison reach "
        f"{s.achieved:.0%} power for an effect of {s.effect:g} at alpha {s.alpha:g} ("
        + ("one look at the end" if s.looks == "final" else "a look every period, always-valid")
        + (f"; an even split would need {s.even_units:,} units in all)." if s.even_units else ")."),
        f"With every eligible unit split evenly ({s.eligible:,}), the smallest effect detectable "
        f"at {s.power:.0%} power is {s.mde_available:.2f}.",
        f"Assignment: {made.assignment.rule}.",
        "Balance: " + "; ".join(f"{r['metric']} SMD {r['smd']:+.3f}"
                                 for _, r in made.assignment.balance.iterrows()) + ".",
    ]
    for wave in made.settings.get("waves") or []:
        lines.append(f"Wave {wave['wave']}: {wave['units']} units start on {wave['start']}.")
    lines += list(made.notes)
    return lines


def can_detect(registration: dict) -> str:
    """What the registered pilot can and cannot detect, in plain words."""
    r = registration
    outcome = label(r["primary_outcome"])
    return (f"As registered on {r['registered_at'][:10]}, {r['units']['pilot']:,} pilot and "
            f"{r['units']['comparison']:,} comparison units detect an effect of {r['mde']:g} on "
            f"{outcome} {r['achieved_power']:.0%} of the time (alpha {r['alpha']:g}, sized on "
            f"{r['variance']['history_units']:,} units' history). A smaller effect is likely to "
            "be missed: a result of \"no clear change\" does not rule out an effect below "
            f"{r['mde']:g}.")


def not_registered() -> str:
    """The design section's note for a pilot designed outside cxex."""
    return ("This pilot was not registered before it started (cxex design sizes a pilot, draws "
            "its units and fixes its primary outcome and looks in advance). The primary outcome "
            "and looks below are those of the pilot registry and of this report's settings.")
