"""Experience metrics from respondent frames, with intervals, by any grouping and over time,
in the tidy schema (the intervals are :mod:`cxex_analysis.estimators.intervals`).

Definitions (stated on every report by :func:`cxex_analysis.vocabulary.definitions_markdown`):

* **NPS** = % promoters (9–10) − % detractors (0–6), in points (−100 … 100). SE from the
  trinomial variance Var = [p + d − (p − d)²] / n, × 100². Interval: Wald with that SE, or
  for small samples (n < ``small_n``, default 100) the adjusted Wald of Rocks (2016, *The
  American Statistician*): add 3 to n and ¾ to the promoter and detractor counts.
* **CSAT** = % of 1–5 answers that are 4 or 5 (top-2-box), Wilson interval.
* **CES** = mean of 1–7 answers (t interval) and % 5–7 (``ces_top3``, Wilson interval).
* **eNPS**: NPS cut-offs applied to the employee recommend question (0–10).
* **Engagement index** (0–100) = mean of a respondent's ``eng_*`` items rescaled as
  (mean − 1) / 4 × 100, averaged over respondents (t interval).
* **% favourable** = share of item answers that are 4–5; its SE treats each respondent's
  answers as a cluster (ratio estimator, delta method).
* **Cronbach's alpha** of the engagement items: :func:`pingouin.cronbach_alpha` (validated
  by pingouin against the R ``psych`` package), Feldt interval.

Employee metrics (engagement index, % favourable, eNPS, alpha) honour ``min_group_size``
through :func:`cxex_analysis.privacy.suppress_small_groups`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import ParameterError, check_argument, check_confidence
from cxex_analysis.estimators.intervals import (
    NPS_INTERVALS,
    SMALL_N,
    cronbach_alpha_interval,
    mean_interval,
    nps_interval,
    proportion_interval,
    ratio_interval,
)
from cxex_analysis.privacy import suppress_small_groups
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import format_value, period_label


def _as_list(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _subject(keys: Sequence[str], values: Sequence) -> str:
    if not keys:
        return "all"
    return "; ".join(f"{k}={format_value(v)}" for k, v in zip(keys, values))


def _grouped(data: pd.DataFrame, by, over, compute: Callable[[pd.DataFrame], list[dict]],
             ) -> pd.DataFrame:
    """Apply ``compute`` to each group; return tidy rows with group columns kept."""
    keys = _as_list(by) + _as_list(over)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise ParameterError(f"grouping column(s) {missing} are not in the data; "
                             f"available: {sorted(data.columns)}.")
    rows = []
    if keys:
        for values, group in data.groupby(keys, sort=True, dropna=False, observed=True):
            values = values if isinstance(values, tuple) else (values,)
            for row in compute(group):
                rows.append({**row, **dict(zip(keys, values)), "subject": _subject(keys, values)})
    else:
        for row in compute(data):
            rows.append({**row, "subject": "all"})
    return tidy(rows, extra=keys)


def _employee(frame: pd.DataFrame, data: pd.DataFrame, by, over, min_group_size: int,
              count: Callable[[pd.DataFrame], int]) -> pd.DataFrame:
    """Suppress small groups, with complements checked within each ``over`` period."""
    overs = _as_list(over)
    if _as_list(by):
        if overs:
            parent_n = data.groupby(overs, dropna=False).apply(count)
        else:
            frame = frame.assign(_all="all")
            overs = ["_all"]
            parent_n = pd.Series({"all": count(data)})
        out = suppress_small_groups(frame, min_group_size, overs, parent_n)
        return out.drop(columns=["_all"], errors="ignore")
    return suppress_small_groups(frame, min_group_size)


def _base(outcome: str, confidence: float, estimand: str = "metric_level") -> dict:
    return {"analysis": "metrics", "estimand": estimand, "outcome": outcome, "term": "level",
            "confidence": confidence, "p_value": np.nan}


def nps(data: pd.DataFrame, column: str = "nps", by=None, over=None, confidence: float = 0.95,
        interval: str = "auto", small_n: int = SMALL_N) -> pd.DataFrame:
    """Net Promoter Score per group (see the module docstring for the interval).

    Returns the tidy schema, one row per group; ``n`` = answers.
    """
    confidence = check_confidence(confidence)
    check_argument("interval", interval, NPS_INTERVALS)

    def compute(group: pd.DataFrame) -> list[dict]:
        scores = group[column].dropna()
        r = nps_interval(float((scores >= 9).sum()), float((scores <= 6).sum()), float(len(scores)),
                         confidence, interval, small_n)
        return [{**_base(column, confidence), **r}]

    return _grouped(data, by, over, compute)


def csat(data: pd.DataFrame, column: str = "csat", by=None, over=None,
         confidence: float = 0.95) -> pd.DataFrame:
    """CSAT top-2-box (% of 1–5 answers that are 4 or 5) per group, Wilson interval."""
    confidence = check_confidence(confidence)

    def compute(group: pd.DataFrame) -> list[dict]:
        answers = group[column].dropna()
        r = proportion_interval(float((answers >= 4).sum()), float(len(answers)), confidence)
        return [{**_base("csat", confidence), **r}]

    return _grouped(data, by, over, compute)


def ces(data: pd.DataFrame, column: str = "ces", by=None, over=None,
        confidence: float = 0.95) -> pd.DataFrame:
    """CES mean (outcome ``ces``) and % of answers 5–7 (outcome ``ces_top3``) per group."""
    confidence = check_confidence(confidence)

    def compute(group: pd.DataFrame) -> list[dict]:
        answers = group[column].dropna().to_numpy(dtype=float)
        mean = mean_interval(answers, confidence)
        top = proportion_interval(float((answers >= 5).sum()), float(len(answers)), confidence)
        return [{**_base("ces", confidence), **mean}, {**_base("ces_top3", confidence), **top}]

    return _grouped(data, by, over, compute)


def item_columns(data: pd.DataFrame, items: Sequence[str] | None = None) -> list[str]:
    """The engagement item columns: ``items`` if given, else every ``eng_*`` column."""
    columns = list(items) if items is not None else [c for c in data.columns if c.startswith("eng_")]
    if len(columns) < 1:
        raise ParameterError("no engagement item columns (eng_*) were found in the data.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(f"item column(s) {missing} are not in the data.")
    return columns


def respondent_engagement(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.Series:
    """Each respondent's engagement index: (mean of answered items − 1) / 4 × 100."""
    values = data[item_columns(data, items)].astype(float)
    return (values.mean(axis=1, skipna=True) - 1) / 4 * 100


def _respondents(group: pd.DataFrame) -> int:
    return len(group)


def engagement_index(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                     confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Engagement index (0–100) per group; ``n`` = respondents; small groups suppressed."""
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)
    scored = data.assign(_ei=respondent_engagement(data, columns))

    def compute(group: pd.DataFrame) -> list[dict]:
        r = mean_interval(group["_ei"].to_numpy(), confidence)
        r["n"] = len(group)
        return [{**_base("engagement_index", confidence), **r}]

    frame = _grouped(scored, by, over, compute)
    return _employee(frame, scored, by, over, min_group_size, _respondents)


def pct_favourable(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                   confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                   each_item: bool = False) -> pd.DataFrame:
    """% favourable (item answers 4–5) per group; respondent-clustered SE; suppression.

    Over all ``items`` together (outcome ``pct_favourable``), or with ``each_item`` one row
    per item and group, its outcome the item (as this function given that item alone).
    """
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)
    values = data[columns].astype(float).to_numpy()
    favourable, answered = (values >= 4).astype(float), ~np.isnan(values)
    outcomes = list(columns)
    if not each_item:
        favourable = favourable.sum(axis=1, keepdims=True)
        answered = answered.sum(axis=1, keepdims=True)
        outcomes = ["pct_favourable"]
    scored = data.assign(_row=np.arange(len(data)))

    def compute(group: pd.DataFrame) -> list[dict]:
        rows = group["_row"].to_numpy()
        out = []
        for j, outcome in enumerate(outcomes):
            r = ratio_interval(favourable[rows, j], answered[rows, j], confidence)
            r["n"] = len(group)
            out.append({**_base(outcome, confidence), **r})
        return out

    frame = _grouped(scored, by, over, compute)
    return _employee(frame, scored, by, over, min_group_size, _respondents)


def enps(data: pd.DataFrame, column: str = "enps", by=None, over=None, confidence: float = 0.95,
         interval: str = "auto", min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Employee NPS per group (NPS cut-offs, trinomial SE); small groups suppressed."""
    frame = nps(data, column=column, by=by, over=over, confidence=confidence, interval=interval)
    frame["outcome"] = "enps"
    return _employee(frame, data, by, over, min_group_size,
                     lambda group: int(group[column].notna().sum()))


def cronbach_alpha(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                   confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Cronbach's alpha of the engagement items per group (estimand ``cronbach_alpha``)."""
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)

    def compute(group: pd.DataFrame) -> list[dict]:
        r = cronbach_alpha_interval(group[columns], confidence)
        r["n"] = len(group)
        return [{**_base("engagement_items", confidence, "cronbach_alpha"), "term": "alpha", **r}]

    frame = _grouped(data, by, over, compute)
    return _employee(frame, data, by, over, min_group_size, _respondents)


def summary(customers: pd.DataFrame | None = None, employees: pd.DataFrame | None = None,
            by=None, over_customer=None, over_employee=None, confidence: float = 0.95,
            min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """All metrics for the given grouping, stacked in the tidy schema."""
    frames = []
    if customers is not None and len(customers):
        frames += [nps(customers, by=by, over=over_customer, confidence=confidence),
                   csat(customers, by=by, over=over_customer, confidence=confidence),
                   ces(customers, by=by, over=over_customer, confidence=confidence)]
    if employees is not None and len(employees):
        kwargs = dict(by=by, over=over_employee, confidence=confidence, min_group_size=min_group_size)
        frames += [engagement_index(employees, **kwargs), pct_favourable(employees, **kwargs),
                   enps(employees, **kwargs)]
    if not frames:
        return tidy([])
    return pd.concat(frames, ignore_index=True)


def change_since_previous(frame: pd.DataFrame, period_column: str,
                          confidence: float = 0.95) -> pd.DataFrame:
    """Each outcome's change from its previous period to its latest, with an interval.

    ``frame`` holds tidy metric rows with a ``period_column`` (e.g. :func:`nps` with
    ``over="quarter"``). The two periods are independent samples, so the change's standard
    error is the root of the sum of their variances (normal interval, two-sided p-value).
    Estimand ``change_since_previous``; ``term`` names the two periods.
    """
    rows = []
    z = stats.norm.ppf((1 + confidence) / 2)
    for outcome, part in frame.dropna(subset=["estimate", "se"]).groupby("outcome", sort=False):
        part = part.sort_values(period_column)
        if len(part) < 2:
            continue
        before, latest = part.iloc[-2], part.iloc[-1]
        change = latest["estimate"] - before["estimate"]
        se = float(np.hypot(latest["se"], before["se"]))
        p_value = float(2 * stats.norm.sf(abs(change) / se)) if se > 0 else np.nan
        rows.append({"analysis": "metrics", "estimand": "change_since_previous",
                     "subject": latest.get("subject", "all"), "outcome": outcome,
                     "term": f"{period_label(before[period_column], period_column)} to "
                             f"{period_label(latest[period_column], period_column)}",
                     "estimate": change, "se": se, "ci_low": change - z * se,
                     "ci_high": change + z * se, "p_value": p_value, "confidence": confidence,
                     "n": latest["n"] + before["n"],
                     "method": "difference_of_independent_estimates_normal"})
    return tidy(rows)
