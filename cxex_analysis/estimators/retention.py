"""How many customers stay: Kaplan–Meier retention, overall and by NPS category.

Customers are followed from the month they answered until they leave or the data end; one who
is still a customer when the data end is *censored* (it is known that they stayed that long,
not when they will leave). Retention at ``months`` is the Kaplan–Meier estimate of staying
that long (statsmodels' ``SurvfuncRight``), its standard error Greenwood's, and its interval
the log(−log) transform's (Kalbfleisch & Prentice), which stays inside 0–1. A share of
customers still active after 12 months would count a customer who answered last month as
lost or drop them; Kaplan–Meier uses every month each customer was seen.

Bain's loyalty economics compares promoters (9–10), passives (7–8) and detractors (0–6):
:func:`retention_by_category` gives each category's retention and the promoter − detractor
difference (a single planned contrast, so no multiplicity correction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from cxex_analysis.errors import InsufficientData, check_confidence
from cxex_analysis.results import tidy

#: NPS categories, in the order reports show them
CATEGORIES = ("promoter", "passive", "detractor")

#: Fewer customers than this in a category and its retention is not estimated.
MIN_CUSTOMERS = 20


def nps_category(answer) -> pd.Series:
    """Promoter (9–10), passive (7–8) or detractor (0–6) of each 0–10 answer (None: blank).

    Examples
    --------
    >>> nps_category([10, 8, 6, None]).tolist()
    ['promoter', 'passive', 'detractor', None]
    """
    answer = pd.Series(answer, dtype="float")
    found = pd.Series(np.select([answer >= 9, answer >= 7, answer >= 0], list(CATEGORIES), ""),
                      index=answer.index, dtype=object)
    return found.where(found != "", None)


def survival_at(durations, churned, at: float, confidence: float = 0.95) -> dict:
    """Kaplan–Meier probability of lasting beyond ``at`` (``durations``: time followed,
    ``churned``: 1 if it ended by leaving, 0 if still there when the data end).

    Examples
    --------
    Freireich et al.'s (1963) 6-MP arm, as R's ``survfit`` prints it (Kleinbaum & Klein,
    *Survival Analysis*, table 2.3): 0.448 at 23 weeks, Greenwood SE 0.135.

    >>> weeks = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> relapsed = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> fit = survival_at(weeks, relapsed, 23)
    >>> round(fit["estimate"], 3), round(fit["se"], 3), fit["n"]
    (0.448, 0.135, 21)
    """
    confidence = check_confidence(confidence)
    time = np.asarray(durations, float)
    event = np.asarray(churned, float)
    if len(time) == 0:
        raise InsufficientData("no customers to follow")
    curve = SurvfuncRight(time, event)
    before = curve.surv_times <= at
    if not before.any():  # no one left by then: all there, with no variance to speak of
        return {"estimate": 1.0, "se": 0.0, "ci_low": np.nan, "ci_high": np.nan,
                "n": int(len(time)), "at_risk": int((time >= at).sum())}
    last = int(np.flatnonzero(before)[-1])
    estimate, se = float(curve.surv_prob[last]), float(curve.surv_prob_se[last])
    low, high = _log_log_interval(estimate, se, confidence)
    return {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high, "n": int(len(time)),
            "at_risk": int((time >= at).sum())}


def survival_curve(durations, churned, months: int, confidence: float = 0.95) -> pd.DataFrame:
    """The Kaplan–Meier curve at whole months 0 … ``months``: ``month``, ``retention`` (the
    probability of lasting beyond it), ``ci_low``/``ci_high`` (log(−log), pointwise) and
    ``at_risk``.

    Examples
    --------
    >>> curve = survival_curve([1, 2, 2, 3, 5], [1, 1, 0, 1, 0], 4)
    >>> curve["retention"].round(3).tolist(), curve["at_risk"].tolist()
    ([1.0, 0.8, 0.6, 0.3, 0.3], [5, 5, 4, 2, 1])
    """
    confidence = check_confidence(confidence)
    time, event = np.asarray(durations, float), np.asarray(churned, float)
    if len(time) == 0:
        raise InsufficientData("no customers to follow")
    fit = SurvfuncRight(time, event)
    grid = np.arange(months + 1)
    last = np.searchsorted(fit.surv_times, grid, side="right") - 1
    retention = np.where(last >= 0, fit.surv_prob[np.maximum(last, 0)], 1.0)
    se = np.where(last >= 0, fit.surv_prob_se[np.maximum(last, 0)], 0.0)
    bounds = [_log_log_interval(float(r), float(e), confidence) for r, e in zip(retention, se)]
    return pd.DataFrame({"month": grid, "retention": retention,
                         "ci_low": [b[0] for b in bounds], "ci_high": [b[1] for b in bounds],
                         "at_risk": [(time >= m).sum() for m in grid]})


def _log_log_interval(estimate: float, se: float, confidence: float) -> tuple[float, float]:
    """The log(−log) interval of a survival probability (its ends inside 0–1)."""
    if not 0 < estimate < 1 or se <= 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(0.5 + confidence / 2)
    spread = z * se / (estimate * abs(np.log(estimate)))
    return (float(estimate ** np.exp(spread)), float(estimate ** np.exp(-spread)))


def retention_by_category(customers: pd.DataFrame, months: int = 12, confidence: float = 0.95,
                          category: str = "category", duration: str = "months_followed",
                          churned: str = "churned") -> pd.DataFrame:
    """Tidy rows (analysis ``customer_value``, estimand ``retention_by_nps_category``, term the
    category, ``subject`` ``all``): each category's Kaplan–Meier retention at ``months`` (a
    share, 0–1) and, term ``promoter - detractor``, their difference (normal interval from the
    two Greenwood SEs). ``customers`` has one row per customer.

    Examples
    --------
    Promoters who leave 1% a month and detractors who leave 3% a month, 400 of each followed
    for 6 to 24 months: 12-month retention 0.99¹² = 0.886 and 0.97¹² = 0.694 (difference
    0.192), each inside its interval.

    >>> rng = np.random.default_rng(0)
    >>> rate = np.repeat([0.01, 0.03], 400)
    >>> leaves, followed = rng.geometric(rate), rng.integers(6, 25, 800)
    >>> customers = pd.DataFrame({"category": np.repeat(["promoter", "detractor"], 400),
    ...                           "months_followed": np.minimum(leaves, followed),
    ...                           "churned": (leaves <= followed).astype(int)})
    >>> rows = retention_by_category(customers)
    >>> rows[["term", "estimate", "ci_low", "ci_high"]].round(2).values.tolist()
    [['promoter', 0.89, 0.85, 0.92], ['detractor', 0.66, 0.61, 0.71], ['promoter - detractor', 0.23, 0.17, 0.29]]
    """
    confidence = check_confidence(confidence)
    base = {"analysis": "customer_value", "estimand": "retention_by_nps_category",
            "subject": "all", "outcome": f"retention_{months}_months", "confidence": confidence,
            "method": f"kaplan_meier_{months}_months_greenwood_log_log (n = customers, "
                      f"followed from their answer)"}
    rows, fits = [], {}
    for name in CATEGORIES:
        part = customers[customers[category] == name]
        if len(part) < MIN_CUSTOMERS:
            continue
        fits[name] = survival_at(part[duration], part[churned], months, confidence)
        rows.append({**base, "term": name, **{k: fits[name][k] for k in
                                              ("estimate", "se", "ci_low", "ci_high", "n")}})
    if {"promoter", "detractor"} <= set(fits):
        a, b = fits["promoter"], fits["detractor"]
        difference, se = a["estimate"] - b["estimate"], float(np.hypot(a["se"], b["se"]))
        z = stats.norm.ppf(0.5 + confidence / 2)
        rows.append({**base, "term": "promoter - detractor", "estimate": difference, "se": se,
                     "ci_low": difference - z * se, "ci_high": difference + z * se,
                     "p_value": float(2 * stats.norm.sf(abs(difference) / se)) if se > 0 else np.nan,
                     "n": a["n"] + b["n"]})
    return tidy(rows)
