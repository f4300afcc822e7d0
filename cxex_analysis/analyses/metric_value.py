"""An engagement programme in the organisation's own metrics (notebook 03, section 7).

What raising engagement by ``points`` in every unit would change in each of the
organisation's own metrics (``unit_metrics``: a readmission rate, sales per square foot), from
notebook 01's bracketing pair (:mod:`cxex_analysis.analyses.outcome_links`): the ``lag1``
term of each model — the outcome a wave after engagement rose — times ``points``. The two
models bracket the change (Angrist & Pischke); both are shown, never one number. A metric
kept in money (its ``unit`` a currency: ``EUR``, ``USD a month``, ``£``) and not a ratio
(its name has no "per", "rate", "ratio", "average", "mean" or "index": sales per m² summed over
units is no amount) is also summed over the units that report it: what the programme would
be worth in it a period, in that currency. Like the engagement programme of
the value chain, this reads an observational link as if it were causal, and says so.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cxex_analysis.errors import ParameterError
from cxex_analysis.panels.outcome_panels import units_reporting
from cxex_analysis.results import tidy

#: the pair's models, as notebook 01 records them
MODELS = ("ex_to_outcome_fe", "ex_to_outcome_ldv")

#: a metric's unit that names a currency: an ISO 4217 code or a currency sign first
_CURRENCY = re.compile(r"^\s*(?:[A-Z]{3}(?![A-Za-z])|[€$£¥₹₩])")


#: words of a metric's name that make it a ratio, which summed over units is no amount
_RATIO = re.compile(r"(?:^|[\s_])(?:per|rate|ratio|average|avg|mean|index)(?:$|[\s_])", re.I)


def is_amount(metric: str, unit: str | None) -> bool:
    """A metric kept in money that adds up over units ('sales', EUR) — not a ratio
    ('sales per m2', 'revenue per customer').

    >>> is_amount("sales", "EUR a month"), is_amount("sales_per_m2", "EUR"), is_amount("sales", "%")
    (True, False, False)
    """
    return is_money(unit) and not _RATIO.search(str(metric))


def is_money(unit: str | None) -> bool:
    """True when a metric's ``unit`` names a currency ('EUR', 'USD a month', '£').

    >>> is_money("EUR a month"), is_money("%"), is_money("per 1,000 patients")
    (True, False, False)
    """
    return bool(unit) and bool(_CURRENCY.match(str(unit)))


def metric_changes(con, results: pd.DataFrame, points: float,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Tidy rows (analysis ``rox``, subject ``ex_programme``): ``metric_change`` per own
    metric and model (``term`` the model's id), the metric's change a wave after engagement
    rose by ``points`` in every unit; for a metric in money also ``metric_value``, that change
    summed over the units reporting the metric in its latest period. Extra columns
    ``better`` and ``outcome_unit``. No rows without the pair's recorded rows or
    ``unit_metrics``."""
    if not np.isfinite(points) or points < 0:
        raise ParameterError("`ex_programme_points` must be 0 (no programme) or more, but "
                             f"{points!r} was passed.")
    reporting = units_reporting(con)
    if results.empty or not reporting or points == 0:
        return tidy([])
    pair = results[results["estimand"].isin(MODELS) & (results["term"] == "lag1")
                   & results["outcome"].isin(list(reporting))]
    rows = []
    for row in pair.itertuples(index=False):
        unit = str(getattr(row, "outcome_unit", "") or "")
        base = {"analysis": "rox", "subject": "ex_programme", "outcome": row.outcome,
                "term": row.estimand, "confidence": row.confidence, "p_value": row.p_value,
                "better": getattr(row, "better", "higher"), "outcome_unit": unit}
        change = {k: points * getattr(row, k) for k in ("estimate", "se", "ci_low", "ci_high")}
        rows.append({**base, "estimand": "metric_change", **change, "n": row.n,
                     "method": f"{points:g}_points_times_the_link_a_wave_later_of_{row.estimand}"})
        if is_amount(str(row.outcome), unit):
            count = int(reporting[row.outcome])
            rows.append({**base, "estimand": "metric_value", "n": count,
                         **{k: count * v for k, v in change.items()},
                         "method": f"metric_change_times_{count}_units_reporting_it"})
    return tidy(rows, extra=["better", "outcome_unit"])
