"""Coverage: responses per unit and period, units without data, and the response frames the
data audit (notebook 00) summarises.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.panels.periods import with_period
from cxex_analysis.panels.unit_panels import ex_panel, period_sql
from cxex_analysis.store.warehouse import customer_responses, employee_responses, has_table


def coverage(con: duckdb.DuckDBPyConnection, freq: str = "month") -> pd.DataFrame:
    """Customer responses and employee respondents per unit and period (for the audit); from a
    platform's unit scores where the data set has them instead of answers (the most
    respondents of any of the unit-period's measures)."""
    parts = []
    for table, source in (("customer_scores", "customer_responses"),
                          ("employee_scores", "employee_respondents")):
        answers = "customer_survey" if table == "customer_scores" else "employee_survey"
        if has_table(con, table) and not has_table(con, answers):
            parts.append(con.execute(
                f"SELECT unit_id, period, '{source}' AS source, sum(n) AS responses FROM ("
                f"SELECT unit_id, {period_sql('period', freq)} AS period, period AS wave, "
                f"max(n) AS n FROM {table} GROUP BY 1, 2, 3) s GROUP BY 1, 2").df())
    if has_table(con, "customer_survey"):
        parts.append(con.execute(
            f"SELECT unit_id, {period_sql('responded_at', freq)} AS period, "
            "'customer_responses' AS source, count(*) AS responses "
            "FROM customer_survey GROUP BY 1, 2").df())
    if has_table(con, "employee_survey"):
        parts.append(con.execute(
            f"SELECT unit_id, {period_sql('wave', freq)} AS period, "
            "'employee_respondents' AS source, count(*) AS responses "
            "FROM employee_survey GROUP BY 1, 2").df())
    if not parts:
        return pd.DataFrame(columns=["unit_id", "period", "source", "responses"])
    return pd.concat(parts, ignore_index=True)


def coverage_summary(con: duckdb.DuckDBPyConnection,
                     min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """One row per source: units, periods, responses, and unit-waves below the threshold."""
    cov = coverage(con, "month")
    rows = []
    for source, group in cov.groupby("source"):
        rows.append({"source": source.replace("_", " "), "units": group["unit_id"].nunique(),
                     "first_period": group["period"].min(), "last_period": group["period"].max(),
                     "responses": int(group["responses"].sum()),
                     "median_per_unit_period": float(group["responses"].median())})
    frame = pd.DataFrame(rows)
    if has_table(con, "employee_survey"):
        ex = ex_panel(con, min_group_size, include_items=False)
        frame["unit_waves_below_threshold"] = [
            int(ex["suppressed"].sum()) if s == "employee respondents" else 0
            for s in frame["source"]]
    return frame


def units_without_data(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Units with no customer responses or no employee responses at all."""
    parts, joins = ["SELECT u.unit_id, u.region, u.unit_type"], []
    for alias, survey, scores, column in (("c", "customer_survey", "customer_scores",
                                           "customer_responses"),
                                          ("e", "employee_survey", "employee_scores",
                                           "employee_responses")):
        if has_table(con, survey):
            counted = f"SELECT unit_id, count(*) AS n FROM {survey} GROUP BY unit_id"
        elif has_table(con, scores):
            counted = (f"SELECT unit_id, sum(n) AS n FROM (SELECT unit_id, period, max(n) AS n "
                       f"FROM {scores} GROUP BY 1, 2) s GROUP BY unit_id")
        else:
            continue
        parts.append(f", coalesce({alias}.n, 0) AS {column}")
        joins.append(f" LEFT JOIN ({counted}) {alias} ON {alias}.unit_id = u.unit_id")
    frame = con.execute("".join(parts) + " FROM units u" + "".join(joins)
                        + " ORDER BY u.unit_id").df()
    counts = [c for c in ("customer_responses", "employee_responses") if c in frame.columns]
    if not counts:
        return frame
    return frame[(frame[counts] == 0).any(axis=1)].reset_index(drop=True)


def responses(con) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(employee responses, customer responses with their quarter); None for a survey the
    data set does not have."""
    employees = employee_responses(con) if has_table(con, "employee_survey") else None
    customers = None
    if has_table(con, "customer_survey"):
        customers = with_period(customer_responses(con, ["unit_id", "responded_at", "nps", "csat", "ces"]),
                                "responded_at", "quarter")
    return employees, customers
