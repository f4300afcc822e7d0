"""Scores of a region, a unit type or a unit, beside the company's, for the group reports.

Company-level inputs that every group report shares (item importance for customers, company
scores) are computed once per warehouse and cached in the process, so a warm kernel
rendering hundreds of group reports pays for them once. Employee numbers pass through
:mod:`cxex_analysis.privacy` before they leave this module.
"""

from __future__ import annotations

import functools

import duckdb
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import InsufficientData, ParameterError, check_argument
from cxex_analysis.estimators.correlation import unit_means
from cxex_analysis.estimators.relative_weights import relative_weights
from cxex_analysis.panels.linkage_panels import build_panel
from cxex_analysis.panels.score_tables import (
    by_period,
    customer_score_rows,
    employee_score_rows,
    latest,
    recent,
)
from cxex_analysis.panels.unit_panels import respondent_scores_sql, share_sql
from cxex_analysis.privacy import hidden_in_hierarchy
from cxex_analysis.store.warehouse import connect, engagement_items, has_table, identity, location

GROUP_BY = ("region", "unit_type", "unit")


GROUP_COLUMN = {"region": "u.region", "unit_type": "u.unit_type", "unit": "u.unit_id"}


def list_groups(con: duckdb.DuckDBPyConnection, group_by: str) -> list[str]:
    """Every group of ``group_by`` in the warehouse, sorted."""
    check_argument("group_by", group_by, GROUP_BY)
    column = GROUP_COLUMN[group_by].split(".")[1]
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM units ORDER BY 1").fetchall()]


def unit_names(con, units: list[str] | None = None) -> dict[str, str]:
    """The readers' names of ``units``, or of every unit (their id where the units file gives
    no name)."""
    if units is None:
        return dict(con.execute("SELECT unit_id, coalesce(unit_name, unit_id) FROM units").fetchall())
    if not units:
        return {}
    marks = ", ".join("?" for _ in units)
    rows = con.execute(f"SELECT unit_id, coalesce(unit_name, unit_id) FROM units "
                       f"WHERE unit_id IN ({marks})", list(units)).fetchall()
    return dict(rows)


def regions_of(con, units: list[str]) -> list[str]:
    """The regions ``units`` lie in."""
    if not units:
        return []
    marks = ", ".join("?" for _ in units)
    return [r[0] for r in con.execute(f"SELECT DISTINCT region FROM units WHERE unit_id IN "
                                      f"({marks}) ORDER BY 1", list(units)).fetchall()]


def check_group(con, group_by: str, group: str) -> list[str]:
    check_argument("group_by", group_by, GROUP_BY)
    units = [r[0] for r in con.execute(
        f"SELECT unit_id FROM units u WHERE {GROUP_COLUMN[group_by]} = ? ORDER BY 1", [group]).fetchall()]
    if not units:
        known = ", ".join(list_groups(con, group_by)[:12])
        raise ParameterError(f"`group` {group!r} is not a {group_by} in the warehouse (e.g. {known}).")
    return units


@functools.lru_cache(maxsize=8)
def _company(key: str, path: str, min_group_size: int) -> dict:
    """Company-level item importance (cached per warehouse file and version).

    Importance is each item's share of the differences in NPS between units; without a
    customer survey, its share of the differences in eNPS (what goes with employees
    recommending the workplace); without either, none (issues are then ranked by gap alone).
    The items are the answers' or, for a platform's export, its ``eng_*`` unit scores.
    """
    con = connect(path)
    try:
        items = engagement_items(con) if has_table(con, "employee_survey") else sorted(
            m for m in employee_score_rows(con)[0]["measure"].unique() if m.startswith("eng_"))
        importance, basis = pd.Series(dtype=float), None
        if not items:
            return {"items": items, "importance": importance, "basis": basis}
        panel = build_panel(con, min_group_size)
        basis = next((o for o in ("nps", "enps") if o in panel and panel[o].notna().any()), None)
        if basis:
            means = unit_means(panel, items + [basis]).dropna()
            if len(means) > len(items) + 2:
                importance = _importance(means, items, basis)
        return {"items": items, "importance": importance,
                "basis": basis if len(importance) else None}
    finally:
        con.close()


def _importance(means: pd.DataFrame, items: list[str], basis: str) -> pd.Series:
    """Each item's share of the differences in ``basis`` between units; none when the
    answers do not vary (issues are then ranked by gap alone)."""
    try:
        weights = relative_weights(means, items, basis, n_boot=0)
    except InsufficientData:
        return pd.Series(dtype=float)
    return weights[weights["estimand"] == "relative_weight"].set_index("term")["rescaled"]


def company_context(con, min_group_size: int = MIN_GROUP_SIZE) -> dict:
    """Item importance for NPS across units (shared by every group report)."""
    return _company(identity(con), location(con), min_group_size)


def _ex_scores(con, items: list[str], by: str | None = None) -> pd.DataFrame:
    """Per wave (and group ``by``): respondents, engagement index, % favourable, eNPS and each
    item's % favourable."""
    item_fav = "".join(f", 100.0 * {share_sql(f'{i} >= 4')} AS {i}" for i in items)
    group = f"{by} AS grp, " if by else ""
    return con.execute(f"""
        WITH r AS (SELECT {group}e.*, {respondent_scores_sql(items)} FROM employee_survey e
                   JOIN units u USING (unit_id))
        SELECT {"grp, " if by else ""}wave, count(*) AS respondents,
               avg(engagement_index) AS engagement_index,
               100.0 * sum(items_favourable) / nullif(sum(items_answered), 0) AS pct_favourable,
               100.0 * ({share_sql("enps >= 9")} - {share_sql("enps <= 6")}) AS enps
               {item_fav}
        FROM r GROUP BY {"grp, " if by else ""}wave ORDER BY {"grp, " if by else ""}wave""").df()


def _cx_scores(con, by: str | None = None) -> pd.DataFrame:
    """Per quarter (and group ``by``): responses, NPS, CSAT and CES."""
    group = f"{by} AS grp, " if by else ""
    return con.execute(f"""
        SELECT {group}CAST(date_trunc('quarter', responded_at) AS DATE) AS quarter,
               count(*) AS responses,
               100.0 * ({share_sql("nps >= 9")} - {share_sql("nps <= 6")}) AS nps,
               100.0 * {share_sql("csat >= 4")} AS csat, avg(ces) AS ces
        FROM customer_survey c JOIN units u USING (unit_id)
        GROUP BY {"1, 2" if by else "1"} ORDER BY {"1, 2" if by else "1"}""").df()


def _split(frame: pd.DataFrame) -> dict:
    """The frame without its group column and each group's row positions.

    Positions (numpy arrays), not thousands of small frames: the warm kernel's garbage
    collector walks every cached object at each reset, and thousands of frames made that
    walk cost more than a report.
    """
    return {"frame": frame.drop(columns="grp"),
            "at": {key: rows for key, rows in frame.groupby("grp", sort=False).indices.items()}}


@functools.lru_cache(maxsize=8)
def _every_group(key: str, location: str, group_by: str) -> dict:
    """Every group's scores by period and latest-period rows, from one pass over the tables.

    A report for one group reads its part; hundreds of unit reports on one warm kernel then
    cost one scan of the surveys instead of one per report (cached per warehouse version).
    """
    con = connect(location)
    try:
        column = GROUP_COLUMN[group_by]
        items = engagement_items(con) if has_table(con, "employee_survey") else []
        out: dict = {"items": items}
        if items:
            out["ex"] = _split(_ex_scores(con, items, column))
            out["ex_company"] = _ex_scores(con, items)
            out["employees_latest"] = _split(con.execute(f"""
                SELECT {column} AS grp, e.* FROM employee_survey e JOIN units u USING (unit_id)
                WHERE e.wave = (SELECT max(wave) FROM employee_survey)
                ORDER BY e.source_row""").df())
            out["latest_counts"] = con.execute("""
                SELECT u.unit_id, u.region, u.unit_type, count(*) AS n FROM employee_survey e
                JOIN units u USING (unit_id)
                WHERE e.wave = (SELECT max(wave) FROM employee_survey) GROUP BY 1, 2, 3
                ORDER BY 1""").df()
        elif not has_table(con, "employee_survey") and has_table(con, "employee_scores"):
            out.update(_from_scores(con, employee_score_rows(con)[0], column, "ex"))
        if has_table(con, "customer_survey"):
            out["cx"] = _split(_cx_scores(con, column))
            out["cx_company"] = _cx_scores(con)
            out["customers_latest"] = _split(con.execute(f"""
                SELECT {column} AS grp, c.nps, c.csat, c.ces FROM customer_survey c
                JOIN units u USING (unit_id)
                WHERE date_trunc('quarter', c.responded_at) =
                      (SELECT max(date_trunc('quarter', responded_at)) FROM customer_survey)
                ORDER BY c.source_row""").df())
        elif not has_table(con, "customer_survey") and has_table(con, "customer_scores"):
            out.update(_from_scores(con, customer_score_rows(con)[0], column, "cx"))
        return out
    finally:
        con.close()


def _from_scores(con, rows: pd.DataFrame, column: str, survey: str) -> dict:
    """A platform's unit scores as the group reports read answers: each group's and the
    company's respondents and scores per period (``ex`` / ``cx``, periods in ``wave`` /
    ``quarter``), the latest period's unit scores by group (``ex_scores_latest`` /
    ``cx_scores_latest``; of the latest two in ``*_scores_recent``) and, for employees,
    the latest respondents per unit (the confidentiality rules' counts)."""
    if rows.empty:
        return {}
    units = con.execute(f"SELECT u.unit_id, u.region, u.unit_type, {column} AS grp "
                        "FROM units u").df()
    rows = rows.merge(units, on="unit_id")
    period = "wave" if survey == "ex" else "quarter"
    out = {survey: _split(by_period(rows, "grp").rename(columns={"period": period})),
           f"{survey}_company": by_period(rows).rename(columns={"period": period}),
           f"{survey}_scores_latest": _split(latest(rows)),
           f"{survey}_scores_recent": _split(recent(rows))}
    if survey == "ex":
        out["items"] = sorted(m for m in rows["measure"].unique() if m.startswith("eng_"))
        out["latest_counts"] = (latest(rows).groupby(["unit_id", "region", "unit_type"])["n"]
                                .max().reset_index())
    return out


def group_context(con, group_by: str) -> dict:
    return _every_group(identity(con), location(con), group_by)


def group_part(parts: dict, group: str) -> pd.DataFrame:
    rows = parts["at"].get(group)
    frame = parts["frame"]
    return frame.iloc[0:0] if rows is None else frame.iloc[rows].reset_index(drop=True)


def hidden_by_subtraction(con, group_by: str, min_group_size: int = MIN_GROUP_SIZE) -> set:
    """Groups of ``group_by`` whose employee results stay hidden in the latest wave.

    Regions and unit types are siblings under the company (shown in every report); units
    are siblings under their region and under their unit type (both have reports). A group
    is hidden when it is small or when it could be worked out by subtraction
    (:func:`cxex_analysis.privacy.hidden_groups`).
    """
    return set(_hidden(identity(con), location(con), group_by, min_group_size))


@functools.lru_cache(maxsize=16)
def _hidden(key: str, location: str, group_by: str, min_group_size: int) -> frozenset:
    return frozenset(hidden_in_hierarchy(_every_group(key, location, group_by).get("latest_counts"),
                                    group_by, min_group_size))


def hidden_by_wave(con, group_by: str, min_group_size: int = MIN_GROUP_SIZE) -> dict:
    """{wave: groups of ``group_by`` whose employee results are hidden in that wave} — the
    rule of :func:`hidden_by_subtraction` applied to every wave, so a trend, a previous
    period or a change never shows a wave in which the group could be worked out."""
    return _hidden_waves(identity(con), location(con), group_by, min_group_size)


@functools.lru_cache(maxsize=16)
def _hidden_waves(key: str, where: str, group_by: str, min_group_size: int) -> dict:
    con = connect(where)
    try:
        if not has_table(con, "employee_survey"):
            return {}
        counts = con.execute("""
            SELECT e.wave, u.unit_id, u.region, u.unit_type, count(*) AS n
            FROM employee_survey e JOIN units u USING (unit_id) GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2""").df()
    finally:
        con.close()
    return {wave: frozenset(hidden_in_hierarchy(part.drop(columns="wave"), group_by, min_group_size))
            for wave, part in counts.groupby("wave")}


def recent_responses(con, group_by: str, group: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The group's answers in the company's latest two survey waves (employees) and latest two
    quarters (customers, with a ``quarter`` column); None for a survey the data set lacks."""
    check_argument("group_by", group_by, GROUP_BY)
    where = f"{GROUP_COLUMN[group_by]} = ?"
    employees = customers = None
    if has_table(con, "employee_survey"):
        items = "".join(f", e.{i}" for i in engagement_items(con))
        employees = con.execute(f"""
            SELECT e.wave, e.enps{items} FROM employee_survey e JOIN units u USING (unit_id)
            WHERE {where} AND e.wave IN (SELECT DISTINCT wave FROM employee_survey
                                         ORDER BY wave DESC LIMIT 2)
            ORDER BY e.source_row""", [group]).df()
    if has_table(con, "customer_survey"):
        customers = con.execute(f"""
            SELECT CAST(date_trunc('quarter', c.responded_at) AS DATE) AS quarter, c.nps, c.csat
            FROM customer_survey c JOIN units u USING (unit_id)
            WHERE {where} AND date_trunc('quarter', c.responded_at) IN (
                SELECT DISTINCT date_trunc('quarter', responded_at) FROM customer_survey
                ORDER BY 1 DESC LIMIT 2)
            ORDER BY c.source_row""", [group]).df()
    return employees, customers
