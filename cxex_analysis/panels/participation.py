"""Participation: how many of a group's employees answered each survey wave.

Survey platforms open every result with its response rate, because a score from a third of a
team may not represent the team. The headcount of a unit at a wave is its ``employees`` in
``unit_outcomes`` for the latest month up to the wave, else the ``headcount`` column of
``units``; a group's rate is its respondents over the headcount of all its units, shown only
when every unit that answered has a headcount. The confidentiality rule applies as to the
group's scores: a rate is shown only where the group's employee results are.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import check_argument
from cxex_analysis.store.warehouse import connect, has_table, identity, location, table_columns

#: a rate below this is said next to the group's results (its scores may not represent it)
LOW_PARTICIPATION = 0.5

#: how a participation cell was worked out (a count of the whole group: no sampling interval)
PARTICIPATION_METHOD = "respondents / headcount (a count of the whole group, not a sample)"

GROUPS = {"region": "u.region", "unit_type": "u.unit_type", "unit": "u.unit_id"}


def unit_participation(con) -> pd.DataFrame:
    """Per unit and survey wave: ``respondents`` (0 where none answered) and ``headcount``
    (missing where neither source gives one), with the unit's region and type."""
    return _units(identity(con), location(con)).copy()


@functools.lru_cache(maxsize=4)
def _units(key: str, where: str) -> pd.DataFrame:
    con = connect(where)
    try:
        if not has_table(con, "employee_survey"):
            return pd.DataFrame(columns=["unit_id", "region", "unit_type", "wave", "respondents",
                                         "headcount"])
        months = ("(SELECT o.employees FROM unit_outcomes o WHERE o.unit_id = u.unit_id AND "
                  "o.period <= w.wave AND o.employees IS NOT NULL ORDER BY o.period DESC LIMIT 1)"
                  if has_table(con, "unit_outcomes") else "NULL")
        listed = "u.headcount" if "headcount" in table_columns(con, "units") else "NULL"
        return con.execute(f"""
            WITH waves AS (SELECT DISTINCT wave FROM employee_survey),
                 answered AS (SELECT unit_id, wave, count(*) AS respondents FROM employee_survey
                              GROUP BY 1, 2)
            SELECT u.unit_id, u.region, u.unit_type, w.wave,
                   coalesce(a.respondents, 0) AS respondents,
                   CAST(coalesce({months}, {listed}) AS DOUBLE PRECISION) AS headcount
            FROM units u CROSS JOIN waves w
            LEFT JOIN answered a ON a.unit_id = u.unit_id AND a.wave = w.wave
            ORDER BY u.unit_id, w.wave""").df()
    finally:
        con.close()


def rates(units: pd.DataFrame, group_by: str | None, hidden: set | frozenset = frozenset(),
          min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Per group (``group`` None for the company) and wave: respondents, headcount and
    ``rate`` (0-1; missing where a unit that answered has no headcount, where more answered
    than the headcount (``over``: the headcount is out of date), or where the group's
    employee results are hidden: under ``min_group_size`` respondents, or in ``hidden`` at
    the latest wave).

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": ["A", "B", "C"], "region": ["N", "N", "S"],
    ...                       "wave": ["2025-06-30"] * 3, "respondents": [18, 9, 3],
    ...                       "headcount": [20.0, 30.0, 4.0]})
    >>> rates(units, "region")[["group", "respondents", "headcount", "rate"]]  # S: 3 hidden
      group  respondents  headcount  rate
    0     N         27.0       50.0  0.54
    1     S          NaN        4.0   NaN
    """
    column = {"unit": "unit_id"}.get(group_by or "", group_by)
    keys = [units[column] if column else pd.Series("", index=units.index), units["wave"]]
    known = units["headcount"].notna() | (units["respondents"] == 0)
    grouped = pd.DataFrame({"respondents": units["respondents"], "headcount": units["headcount"],
                            "unknown": ~known}).groupby(keys, observed=True)
    out = grouped.agg(respondents=("respondents", "sum"), headcount=("headcount", "sum"),
                      unknown=("unknown", "any")).reset_index()
    out.columns = ["group", "wave", "respondents", "headcount", "unknown"]
    out["group"] = out["group"] if column else None
    latest = out["wave"] == out["wave"].max()
    shown = (out["respondents"] >= min_group_size) & ~(latest & out["group"].isin(hidden))
    usable = shown & ~out["unknown"] & (out["headcount"] > 0)
    # more answers than people: the headcount is out of date, and no rate is shown
    out["over"] = usable & (out["respondents"] > out["headcount"])
    usable &= ~out["over"]
    out["rate"] = np.where(usable, out["respondents"] / out["headcount"].where(usable, 1), np.nan)
    out.loc[~shown, "respondents"] = np.nan
    return out.drop(columns="unknown")


def participation(con, group_by: str | None, hidden: set | frozenset = frozenset(),
                  min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """:func:`rates` of every group of ``group_by`` (None: the company) in the warehouse; no
    rows when the data hold no headcount at all (participation is then not part of them)."""
    if group_by is not None:
        check_argument("group_by", group_by, tuple(GROUPS))
    # hundreds of group reports on one warm kernel ask the same: worked out once
    return _rates(identity(con), location(con), group_by, frozenset(hidden), min_group_size).copy()


@functools.lru_cache(maxsize=8)
def _rates(key: str, where: str, group_by: str | None, hidden: frozenset,
           min_group_size: int) -> pd.DataFrame:
    units = _units(key, where)
    if units["headcount"].isna().all():
        return rates(units.iloc[:0], group_by, hidden, min_group_size)
    return rates(units, group_by, hidden, min_group_size)
