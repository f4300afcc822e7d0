"""Action plans and the panels their effects are read from.

* :func:`action_plans` — the accepted action plans (ids, group, focus, dates, status).
* :func:`covered_units` — one row per action and unit it covers (a region's or unit type's
  action covers every unit of the group).
* :func:`plans_and_cover` — both, read once per warehouse version (every report asks).
* :func:`focus_panel` — per unit and period, the score an action focus is measured by: the
  unit-wave mean of an engagement item (1–5) or the engagement index from the employee
  survey (unit-waves under ``min_group_size`` answers blank), or a customer score by quarter;
  with its periods (``t``, first and last day) for timing actions against surveys.
"""

from __future__ import annotations

import functools

import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.contract.staging import scalar
from cxex_analysis.contract.tables import CUSTOMER_FOCUSES
from cxex_analysis.panels.periods import period_index
from cxex_analysis.panels.unit_panels import cx_panel, ex_panel
from cxex_analysis.store.warehouse import (
    connect,
    engagement_items,
    has_table,
    identity,
    location,
    read_table,
)

#: How a group names its units.
GROUP_COLUMN = {"unit": "unit_id", "region": "region", "unit_type": "unit_type"}


def _key(labels: pd.Series) -> pd.Series:
    """An organisation's label as it is matched: lower case, spaces collapsed (the
    contract's :func:`~cxex_analysis.contract.tables.label_key`)."""
    return labels.astype(str).str.replace(r"\s+", " ", regex=True).str.lower()


def action_plans(con) -> pd.DataFrame:
    """The accepted action plans (an empty frame when the data hold none); ``focus`` and
    ``status`` in lower case, dates as timestamps; a region's or unit type's ``group``
    spelt as the units file spells it ("clinic" in a plan, "Clinic" in units)."""
    if not has_table(con, "action_plans"):
        return pd.DataFrame(columns=["action_id", "group_by", "group", "focus", "action",
                                     "owner_role", "created_on", "due_on", "status",
                                     "completed_on"])
    plans = read_table(con, "action_plans").drop(columns=["source_row"], errors="ignore")
    plans["focus"] = plans["focus"].str.strip().str.lower()
    units = read_table(con, "units")
    for group_by in ("region", "unit_type"):
        spelling = dict(zip(_key(units[group_by]), units[group_by]))
        rows = plans["group_by"] == group_by
        plans.loc[rows, "group"] = _key(plans.loc[rows, "group"]).map(spelling).fillna(
            plans.loc[rows, "group"])
    for column in ("created_on", "due_on", "completed_on"):
        plans[column] = pd.to_datetime(plans[column])
    return plans.sort_values(["created_on", "action_id"]).reset_index(drop=True)


def covered_units(con, plans: pd.DataFrame) -> pd.DataFrame:
    """One row per action and unit it covers: the plan's columns plus ``unit_id``,
    ``unit_name``, ``region`` and ``unit_type`` of the unit."""
    units = read_table(con, "units")[["unit_id", "unit_name", "region", "unit_type"]]
    parts = []
    for group_by, column in GROUP_COLUMN.items():
        chosen = plans[plans["group_by"] == group_by]
        if chosen.empty:
            continue
        keys = units[column] if group_by == "unit" else _key(units[column])
        left = chosen["group"] if group_by == "unit" else _key(chosen["group"])
        parts.append(chosen.assign(_key=left.to_numpy()).merge(
            units.assign(_key=keys.to_numpy()), on="_key").drop(columns="_key"))
    if not parts:
        return plans.assign(unit_id=pd.Series(dtype=object), unit_name=pd.Series(dtype=object),
                            region=pd.Series(dtype=object), unit_type=pd.Series(dtype=object))
    return pd.concat(parts, ignore_index=True)


def plans_and_cover(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`action_plans` and their :func:`covered_units`, read once per warehouse file and
    version (each of a run's group reports asks for them); copies, which a caller may change."""
    plans, cover = _plans_and_cover(identity(con), location(con))
    return plans.copy(), cover.copy()


@functools.lru_cache(maxsize=4)
def _plans_and_cover(key: str, path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = connect(path)
    try:
        plans = action_plans(con)
        return plans, covered_units(con, plans)
    finally:
        con.close()


def focus_panel(con, focus: str, min_group_size: int = MIN_GROUP_SIZE,
                cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(panel, periods)`` for one focus, or None when the data hold no such score.

    ``panel``: ``unit_id, t, value, respondents`` (respondents: employee answers behind an
    employee score, NaN for customer scores). ``periods``: ``t, first, last`` — a survey
    wave is one day (first = last = the wave date), a customer quarter its first and last
    day. ``focus`` is an ``eng_*`` item, ``engagement_index`` or a customer score.
    ``cache`` keeps the employee and customer panels between calls.
    """
    cache = cache if cache is not None else {}
    if focus in CUSTOMER_FOCUSES:
        if not has_table(con, "customer_survey"):
            return None
        if "cx" not in cache:
            cache["cx"] = cx_panel(con, "quarter")
        frame = cache["cx"]
        if focus not in frame or frame[focus].isna().all():
            return None
        panel = pd.DataFrame({"unit_id": frame["unit_id"],
                              "t": period_index(frame["period"], "quarter"),
                              "value": frame[focus], "respondents": float("nan")})
        starts = pd.to_datetime(frame["period"].drop_duplicates().sort_values())
        periods = pd.DataFrame({"t": period_index(starts, "quarter").to_numpy(),
                                "first": starts.to_numpy(),
                                "last": (starts + pd.offsets.QuarterEnd(0)).to_numpy()})
        return panel.dropna(subset=["value"]), periods
    if not has_table(con, "employee_survey"):
        return None
    if "ex" not in cache:
        cache["ex"] = ex_panel(con, min_group_size)
    frame = cache["ex"]
    if focus not in frame or frame[focus].isna().all():
        return None
    panel = pd.DataFrame({"unit_id": frame["unit_id"], "t": _wave_index(frame["wave"]),
                          "value": frame[focus], "respondents": frame["respondents"]})
    waves = pd.to_datetime(frame["wave"].drop_duplicates().sort_values())
    periods = pd.DataFrame({"t": _wave_index(waves).to_numpy(), "first": waves.to_numpy(),
                            "last": waves.to_numpy()})
    return panel.dropna(subset=["value"]), periods


def _wave_index(waves: pd.Series) -> pd.Series:
    """Survey waves as consecutive integers (the n-th wave of the data is n)."""
    dates = pd.to_datetime(waves)
    order = {w: i + 1 for i, w in enumerate(sorted(dates.dropna().unique()))}
    return dates.map(order).astype(int)


def item_columns(con) -> list[str]:
    """The employee survey's engagement item columns (empty without the survey)."""
    return list(engagement_items(con)) if has_table(con, "employee_survey") else []


def focus_answers(con, units: list[str], focus: str, since) -> pd.DataFrame | None:
    """The answers behind one focus in ``units``: the last survey wave (or quarter, for a
    customer score) on or before ``since`` and the latest one; columns ``period`` and
    ``value``. None when the data hold no such answers."""
    if not units:
        return None
    marks = ", ".join("?" for _ in units)
    since = pd.Timestamp(since).date()
    if focus in CUSTOMER_FOCUSES:
        if not has_table(con, "customer_survey"):
            return None
        quarter = "CAST(date_trunc('quarter', responded_at) AS DATE)"
        return con.execute(f"""
            WITH q AS (SELECT DISTINCT {quarter} AS period FROM customer_survey),
                 chosen AS (SELECT max(period) AS period FROM q
                            WHERE period + INTERVAL '3 months' <= CAST(? AS DATE)
                            UNION SELECT max(period) FROM q)
            SELECT {quarter} AS period, {focus} AS value FROM customer_survey
            WHERE unit_id IN ({marks}) AND {focus} IS NOT NULL
              AND {quarter} IN (SELECT period FROM chosen)
            ORDER BY source_row""", [since, *units]).df()
    if not has_table(con, "employee_survey") or focus not in engagement_items(con):
        return None
    return con.execute(f"""
        WITH w AS (SELECT DISTINCT wave FROM employee_survey),
             chosen AS (SELECT max(wave) AS wave FROM w WHERE wave <= CAST(? AS DATE)
                        UNION SELECT max(wave) FROM w)
        SELECT wave AS period, {focus} AS value FROM employee_survey
        WHERE unit_id IN ({marks}) AND {focus} IS NOT NULL
          AND wave IN (SELECT wave FROM chosen)
        ORDER BY source_row""", [since, *units]).df()


def latest_wave(con):
    """The latest employee survey wave (None without the survey)."""
    if not has_table(con, "employee_survey"):
        return None
    return scalar(con, "SELECT max(wave) FROM employee_survey")


def units_in_pilots(con) -> dict[str, pd.Timestamp]:
    """Units that started a pilot, with their first start date (empty without a registry):
    a pilot's own effect would be mixed up with an action's."""
    if not has_table(con, "pilot_assignments"):
        return {}
    rows = con.execute("SELECT unit_id, min(start_date) FROM pilot_assignments "
                       "WHERE arm = 'treatment' AND start_date IS NOT NULL GROUP BY 1").fetchall()
    return {unit: pd.Timestamp(start) for unit, start in rows}
