"""Periods: calendar months and quarters as consecutive integers, period columns on response
frames, which unit-periods a pilot was running in, and survey waves of any length (their
usual length in words, the calendar period each wave belongs to).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.errors import check_argument


def period_index(periods: pd.Series, freq: str = "quarter") -> pd.Series:
    """Consecutive integer index of month or quarter start dates (gaps stay gaps)."""
    check_argument("freq", freq, ("month", "quarter"))
    dates = pd.to_datetime(periods)
    months = dates.dt.year * 12 + dates.dt.month - 1
    return (months // 3) if freq == "quarter" else months


def pilot_exposure(assignments: pd.DataFrame, panel: pd.DataFrame, freq: str = "quarter") -> pd.Series:
    """True for unit-periods in which the unit had started a pilot (treated arm)."""
    exposed = pd.Series(False, index=panel.index)
    if assignments is None or assignments.empty:
        return exposed
    treated = assignments[(assignments["arm"] == "treatment") & assignments["start_date"].notna()]
    if treated.empty:
        return exposed
    first = treated.groupby("unit_id")["start_date"].min()
    start = pd.to_datetime(panel["unit_id"].map(first))
    period_end = pd.to_datetime(panel["period"]) + (
        pd.offsets.QuarterEnd(0) if freq == "quarter" else pd.offsets.MonthEnd(0))
    return (start.notna() & (start <= period_end)).fillna(False).astype(bool)


def with_period(data: pd.DataFrame, column: str, freq: str = "quarter",
                name: str | None = None) -> pd.DataFrame:
    """Add a period column (first day of the month or quarter of ``column``)."""
    check_argument("freq", freq, ("month", "quarter", "year"))
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    out = data.copy()
    # factorised once: the first days are made per distinct period, not per row (10 million
    # responses have 8 quarters), and grouping on the categorical is fast
    codes, periods = pd.factorize(pd.to_datetime(out[column]).dt.to_period(code), sort=True)
    out[name or freq] = pd.Categorical.from_codes(
        codes, categories=[period.start_time.date() for period in periods], ordered=True)
    return out


def wave_length(periods: pd.Series) -> str:
    """The waves' usual length in words, from the median gap between consecutive waves."""
    dates = pd.Series(pd.to_datetime(periods).unique()).sort_values()
    if len(dates) < 2:
        return "wave"
    days = dates.diff().dt.days.median()
    for limit, name in ((45, "month"), (135, "quarter"), (270, "half-year"), (500, "year")):
        if days < limit:
            return name
    return "wave"


def period_starts(dates: pd.Series, length: str) -> pd.Series:
    """The first day of the calendar period of ``length`` ('month', 'quarter', 'half-year',
    'year') that holds each date; the date itself for waves of no usual length. A survey
    fielded in October belongs to its year, as a platform's annual export says."""
    dates = pd.to_datetime(dates)
    if length == "half-year":
        return pd.to_datetime(dict(year=dates.dt.year, month=np.where(dates.dt.month > 6, 7, 1),
                                   day=1))
    code = {"month": "M", "quarter": "Q", "year": "Y"}.get(length)
    return dates.dt.to_period(code).dt.start_time if code else dates


LENGTHS = {"month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3),
           "half-year": pd.DateOffset(months=6), "year": pd.DateOffset(years=1)}
