"""EX → an outcome, in words: the two bracketing models read together (notebook 01 and the
executive summary).

The sentence never claims more than the pair supports: a link both models find, on the same
side of zero, is said as a range between them ("the truth lies between them under their
assumptions", Angrist & Pischke 2009 §5.4); when they disagree the sentence says so; when
neither interval leaves zero it says no link could be told from survey noise. Whether lower
or higher is better changes the words ("better", "worse"), never the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.vocabulary import ci_label, label

#: engagement points a sentence speaks of (the estimates are per point)
STEP = 10

MODEL_WORDS = {"ex_to_outcome_fe": "comparing each unit with itself over time",
               "ex_to_outcome_ldv": "holding its previous value fixed"}

WAVE_WORDS = {"year": "the year before", "half-year": "the half-year before",
              "quarter": "the quarter before", "month": "the month before"}


def outcome_name(row: pd.Series) -> str:
    """The outcome in words with its unit: 'readmission rate (%)'."""
    unit = str(row.get("outcome_unit") or "")
    return label(str(row["outcome"])) + (f" ({unit})" if unit and unit != "nan" else "")


def _side(row: pd.Series | None) -> int:
    if row is None or not np.isfinite(row["estimate"]):
        return 0
    return 1 if row["ci_low"] > 0 else -1 if row["ci_high"] < 0 else 0


def _change(row: pd.Series) -> str:
    """The change for STEP points: '0.56 lower (95% CI 0.45 to 0.67; …)' when the interval is
    on one side of zero, else signed: '−5.8 (95% CI −26 to +14; …)'."""
    estimate, low, high = (row[c] * STEP for c in ("estimate", "ci_low", "ci_high"))
    places = _places(abs(estimate))
    level, model = ci_label(row.get("confidence")), MODEL_WORDS[row["estimand"]]
    if _side(row) == 0:
        return (f"{estimate:+.{places}f} ({level} {low:+.{places}f} to {high:+.{places}f}; "
                f"{model})")
    word = "higher" if estimate >= 0 else "lower"
    if estimate < 0:
        low, high = -high, -low
    return f"{abs(estimate):.{places}f} {word} ({level} {low:.{places}f} to {high:.{places}f}; {model})"


def _places(value: float) -> int:
    """Decimal places that show two significant digits of ``value`` (0.67, 5.2, 12)."""
    if not np.isfinite(value) or value == 0:
        return 2
    return int(max(0, 1 - np.floor(np.log10(value))))


def _meaning(sign: int, better: str) -> str:
    good = (sign > 0) == (better != "lower")
    return (f"{'better' if good else 'worse'}, as {'lower' if better == 'lower' else 'higher'} "
            "is better")


def pair_reading(results: pd.DataFrame, outcome: str) -> str:
    """One paragraph on how ``outcome`` follows the previous wave's engagement, from the
    ``ex_to_outcome_fe`` and ``ex_to_outcome_ldv`` rows of ``results`` ('' without them)."""
    rows = results[(results["outcome"] == outcome)
                   & results["estimand"].isin(list(MODEL_WORDS))]
    if rows.empty:
        return ""
    lag1 = {e: r for e, r in ((row["estimand"], row) for _, row in rows[rows["term"] == "lag1"]
                              .iterrows())}
    first = rows.iloc[0]
    name, better = outcome_name(first), str(first.get("better") or "higher")
    before = WAVE_WORDS.get(str(first.get("wave_length")), "the wave before")
    fe, ldv = lag1.get("ex_to_outcome_fe"), lag1.get("ex_to_outcome_ldv")
    if fe is None or ldv is None:
        return ""
    missing = [r for r in (fe, ldv) if not np.isfinite(r["estimate"])]
    if missing:
        why = str(missing[0]["method"]).removeprefix("not estimated: ")
        return (f"How {name} follows engagement cannot be measured here: {why}.")
    lead = (f"Where a unit's engagement was {STEP} points higher {before}, its {name} came out "
            f"{_change(fe)} to {_change(ldv)}")
    sides = {_side(fe), _side(ldv)}
    if sides == {1} or sides == {-1}:
        sign = sides.pop()
        holm = [r.get("p_holm") for r in (fe, ldv)]
        many = "" if all(pd.isna(p) or p < 0.05 for p in holm) else (
            " After correcting for testing every outcome (Holm) it is not statistically clear.")
        return (f"{lead} — {_meaning(sign, better)}. The two models fail in opposite "
                "directions, so under their assumptions the effect lies between them "
                "(Angrist & Pischke); neither rules out a change inside a unit that moved "
                f"both.{many}")
    if sides == {0}:
        return (f"{lead}. Neither model tells a link from survey noise and chance here "
                f"({'lower' if better == 'lower' else 'higher'} is better).")
    return (f"{lead}. The two models disagree, so the data do not settle whether {name} "
            "follows engagement here: it depends on whether lasting differences between units "
            "or the carry-over of last period's value matter more "
            f"({'lower' if better == 'lower' else 'higher'} is better).")


def pair_readings(results: pd.DataFrame, skip=()) -> list[str]:
    """:func:`pair_reading` for every outcome with the pair (but those in ``skip``), in the
    results' order."""
    pairs = results[results["estimand"].isin(list(MODEL_WORDS)) & ~results["outcome"].isin(skip)]
    return [s for s in (pair_reading(results, o) for o in dict.fromkeys(pairs["outcome"])) if s]
