"""Money per unit from the warehouse: customers, employees, revenue per customer, churn, exits,
repeat contacts and cost to serve; and the currencies of the pilot registry.
"""

from __future__ import annotations

from cxex_analysis.errors import ParameterError
from cxex_analysis.store.warehouse import has_table, table_columns


def registry_currencies(con) -> list[str]:
    """The currencies the pilot registry gives its costs in (upper case, sorted; [] without a
    registry or a currency column)."""
    if not (has_table(con, "pilots") and "currency" in table_columns(con, "pilots")):
        return []
    return sorted({str(r[0]).strip().upper() for r in con.execute(
        "SELECT DISTINCT currency FROM pilots WHERE currency IS NOT NULL").fetchall()
        if str(r[0]).strip()})


def baseline(con, unit_ids: list[str] | None = None) -> dict[str, float]:
    """Average customers, employees, monthly revenue per customer and churn of ``unit_ids``."""
    if not has_table(con, "unit_outcomes"):
        raise ParameterError("the warehouse has no unit_outcomes: the money model needs customers, "
                             "revenue and headcount per unit and month.")
    where = ""
    params: list = []
    if unit_ids:
        where = "WHERE unit_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        params = [list(unit_ids)]
    row = con.execute(f"""
        SELECT avg(customers_active), avg(employees),
               sum(revenue) / nullif(sum(customers_active), 0),
               CAST(sum(customers_lost) AS DOUBLE PRECISION) / nullif(sum(customers_active), 0),
               count(DISTINCT unit_id),
               CAST(sum(employees_left) AS DOUBLE PRECISION) / nullif(sum(employees), 0),
               1000.0 * sum(repeat_contacts) / nullif(sum(customers_active), 0),
               avg(cost_to_serve)
        FROM unit_outcomes {where}""", params).fetchone()
    return {"customers_per_unit": float(row[0] or 0), "employees_per_unit": float(row[1] or 0),
            "revenue_per_customer": float(row[2] or 0), "churn_rate": float(row[3] or 0),
            "units": int(row[4] or 0), "exit_rate": float(row[5] or 0),
            "repeat_contacts_per_1000": float(row[6] or 0), "cost_to_serve_per_unit": float(row[7] or 0)}


def churn_by_unit(con):
    """Per unit: customers lost and customer-months active over every month of the data
    (``unit_id``, ``lost``, ``active``); None without unit outcomes."""
    if not has_table(con, "unit_outcomes"):
        return None
    return con.execute("""
        SELECT unit_id, CAST(sum(customers_lost) AS DOUBLE PRECISION) AS lost,
               CAST(sum(customers_active) AS DOUBLE PRECISION) AS active
        FROM unit_outcomes GROUP BY unit_id ORDER BY unit_id""").df()
