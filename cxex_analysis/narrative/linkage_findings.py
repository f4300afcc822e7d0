"""What the EX → CX tests found, in sentences (notebook 01 and the executive summary).

:data:`DESIGN_STATEMENT` says what this observational design can and cannot show; a
direction is read as "EX comes before CX" only when the placebo is not as large and the
reverse link is measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.analyses.linkage import noise_share
from cxex_analysis.vocabulary import EX_MEASURE, item_label, label

DESIGN_STATEMENT = (
    "These results come from observational data: nobody was assigned a better employee "
    "experience at random. Comparing each unit with itself over time (fixed effects) rules out "
    "stable differences between units, such as location or size, and anything that hit every "
    "unit in the same quarter; putting the employee survey before the customer survey orders "
    "cause before effect. What this design cannot rule out is something that changes inside a "
    "unit and moves both at once — a new manager, a refurbishment, a local competitor. Read a "
    "positive lagged effect as evidence consistent with 'better EX leads to better CX here', "
    "not as proof; a randomized pilot (notebook 02) is the stronger test.")


def _ci(row, digits: int = 2, scale: float = 1.0) -> str:
    return (f"{row['estimate'] * scale:.{digits}f} ({row['confidence']:.0%} CI "
            f"{row['ci_low'] * scale:.{digits}f} to {row['ci_high'] * scale:.{digits}f})")


def _holm_word(holm_rows: pd.DataFrame, estimand: str, outcome: str, term: str | None = None) -> str:
    if holm_rows is None or holm_rows.empty:
        return ""
    match = holm_rows[(holm_rows["subject"] == estimand) & (holm_rows["outcome"] == outcome)]
    if term is not None:
        match = match[match["term"] == term]
    if match.empty:
        return ""
    adjusted = match["estimate"].iloc[0]
    return (" It holds after correcting for testing many hypotheses (Holm)."
            if adjusted < 0.05 else
            " After correcting for testing many hypotheses (Holm) it is not statistically clear.")


def _clear(row) -> int:
    """+1 / −1 when the interval lies wholly above / below zero, else 0."""
    if row is None or pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return 0
    return 1 if row["ci_low"] > 0 else -1 if row["ci_high"] < 0 else 0


def direction_reading(h2, h3, placebo) -> str:
    """What the lagged tests say about direction, never more than the design supports.

    A clear H2 reads as 'better EX, then better CX' only when the placebo (future EX on
    present CX) is not significant; a significant placebo means the association may run the
    other way or come from a cause both share, and a clear reverse link (H3) means both ways.
    """
    if _clear(h2) == 0:
        return "not distinguishable from no link."
    if _clear(placebo) != 0:
        return ("a link, but not evidence of direction: the placebo test (next quarter's "
                "engagement against this quarter's customer score) is significant too, so the "
                "association may run the other way or come from something both share.")
    if _clear(h2) < 0:
        return "a clear link, in the unexpected direction (more engagement, then lower scores)."
    if _clear(h3) > 0:
        return ("a clear link that runs both ways: better EX came before better CX, and better "
                "CX before better EX.")
    return "a clear link, in the direction 'better EX, then better CX'."


def measured(row) -> bool:
    """An estimate with a bounded interval (the data could pin it down)."""
    return pd.notna(row["estimate"]) and pd.notna(row["ci_low"]) and pd.notna(row["ci_high"])


def why_not_measured(row) -> str:
    method = str(row["method"])
    if method.startswith("not estimated: "):
        return method.removeprefix("not estimated: ") + "."
    return ("the scores move too little inside units between quarters compared with the "
            "sampling noise of their few answers, so every value of the link fits the data "
            "(its interval is unbounded). More answers per unit and quarter would settle it.")


def hidden_sentence(corrected, uncorrected, step: float = 5.0) -> str:
    """'Survey noise hid about 40% of the link', when both estimates point the same way."""
    if corrected is None or uncorrected is None or not measured(corrected):
        return ""
    share = noise_share(corrected, uncorrected)
    plain = _ci(uncorrected, 1, step)
    if _clear(corrected) > 0 and 0 < share < 1:
        return (f"Taking the unit scores as exact, as most tools do, gives {plain} NPS points per "
                f"{step:g} engagement points: the uncorrected estimate understates the link by "
                f"about {share:.0%}, because part of every quarter's score is survey noise.")
    return f"Taking the unit scores as exact, as most tools do, gives {plain} points instead."


def noise_sentence(reliability: pd.DataFrame) -> str:
    """How much of the engagement index's and NPS's movement inside a unit is real change."""
    rows = reliability.set_index("outcome") if len(reliability) else pd.DataFrame()
    if EX_MEASURE not in rows.index or "nps" not in rows.index:
        return ""

    def share(name: str) -> str:
        r = rows.loc[name]
        return (f"{max(r['estimate'], 0):.0%} ({r['confidence']:.0%} CI {max(r['ci_low'], 0):.0%} "
                f"to {max(r['ci_high'], 0):.0%})")

    return (f"Survey noise: within units, about {share(EX_MEASURE)} of the quarter-to-quarter "
            f"movement of the engagement index and {share('nps')} of NPS's is real change; the "
            "rest is the sampling noise of a few dozen answers. The links between scores here "
            "are corrected for it: two random halves of each unit's respondents serve as two "
            "independent measurements of the same score.")


def findings(results: pd.DataFrame, ex_step: float = 5.0) -> list[str]:
    """One plain sentence per hypothesis, with its interval, from the recorded rows."""
    out = []
    holm_rows = results[results["estimand"] == "holm_adjusted_p_value"]

    def first(estimand, outcome=None, term=None):
        rows = results[results["estimand"] == estimand]
        if outcome is not None:
            rows = rows[rows["outcome"] == outcome]
        if term is not None:
            rows = rows[rows["term"] == term]
        return None if rows.empty else rows.iloc[0]

    h2 = first("ex_to_cx_lagged", "nps")
    h3 = first("cx_to_ex_lagged", term="nps")
    if h2 is not None and measured(h2):
        out.append(
            f"When a unit's engagement index rose by {ex_step:g} points, its NPS the next quarter was "
            f"{_ci(h2, 1, ex_step)} points higher, comparing each unit with itself and "
            "correcting for survey noise: "
            + direction_reading(h2, h3, first("ex_lead_placebo", "nps"))
            + _holm_word(holm_rows, "ex_to_cx_lagged", "nps"))
    elif h2 is not None:
        out.append("Whether a rise in engagement is followed by better NPS cannot be measured "
                   "here once survey noise is taken into account: " + why_not_measured(h2))
    hidden = hidden_sentence(h2, first("ex_to_cx_lagged_uncorrected", "nps"), ex_step)
    if hidden:
        out.append(hidden)
    noise = noise_sentence(results[results["estimand"] == "within_unit_reliability"])
    if noise:
        out.append(noise)
    if h3 is not None and measured(h3):
        out.append(
            f"The reverse link: 10 more NPS points came before an engagement index "
            f"{_ci(h3, 1, 10)} points higher the next quarter (corrected for survey noise)."
            + _holm_word(holm_rows, "cx_to_ex_lagged", EX_MEASURE, "nps"))
    elif h3 is not None:
        out.append("Whether better NPS is followed by higher engagement (the reverse link) "
                   "cannot be measured here: " + why_not_measured(h3))
    h1 = first("ex_cx_correlation", "nps")
    if h1 is not None:
        text = (f"Across units, engagement and NPS go together: r = {_ci(h1)} over "
                f"{int(h1['n'])} units")
        h1c = first("ex_cx_correlation_disattenuated", "nps")
        if h1c is not None:
            text += (f"; corrected for the sampling noise of unit averages, as the published "
                     f"benchmark is (about 0.33, Harter et al.), r = {_ci(h1c)}")
        out.append(text + ".")
    h4 = first("mediation_indirect")
    if h4 is not None:
        out.append(f"Through NPS, {ex_step:g} more engagement points are worth "
                   f"{_ci(h4, 3, ex_step)} in {label(h4['outcome'])} a month "
                   "(in the revenue's currency; within units).")
    h5 = first("top_cx_engagement_odds_ratio")
    if h5 is not None:
        verdict = h5.get("verdict", "")
        out.append(f"Units in the top quarter for NPS were {_ci(h5, 1)} times as likely to have "
                   f"above-median engagement; the published '5 times' claim is {verdict} here.")
    h6 = results[(results["estimand"] == "relative_weight") & (results["outcome"] == "nps")]
    if not h6.empty and "rescaled" in h6:
        top = h6.sort_values("estimate", ascending=False).head(2)
        r2 = results[(results["estimand"] == "relative_weight_r2") & (results["outcome"] == "nps")]
        total = r2["estimate"].iloc[0] if len(r2) else np.nan
        parts = [f"{item_label(r.term).lower()} ({r.rescaled:.0f}% of what the items explain, "
                 f"{r.confidence:.0%} CI {100 * r.ci_low / total:.0f}% to {100 * r.ci_high / total:.0f}%)"
                 for r in top.itertuples()]
        out.append("The parts of the employee experience that matter most for NPS: "
                   + " and ".join(parts) + ".")
    dual = first("dual_movement_share")
    if dual is not None:
        out.append(f"EX and CX moved in the same direction in {dual['estimate']:.0f}% of units "
                   f"({dual['confidence']:.0%} CI {dual['ci_low']:.0f}% to {dual['ci_high']:.0f}%) "
                   "over the survey waves.")
    return out
