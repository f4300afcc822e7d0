"""Customers followed over time: each keyed answer with the customer's month of money, and each
customer from their first answer until they leave or the data end (issue 36).

SQL on the warehouse (DuckDB or PostgreSQL), one query each; the answers are joined to the
CRM's customer-months (``customer_outcomes``) by ``customer_key`` and the answer's month.
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.store.warehouse import has_table, table_columns


def has_customer_money(con) -> bool:
    """Both a customer survey with keys and the CRM's customer-months are in the warehouse."""
    return (has_table(con, "customer_outcomes") and has_table(con, "customer_survey")
            and "customer_key" in table_columns(con, "customer_survey"))


def answers_with_money(con) -> pd.DataFrame:
    """One row per keyed answer with an NPS: ``customer_key``, ``month`` (first day),
    ``nps``, ``csat`` (NaN when not asked), the customer's ``revenue`` that month and ``left``
    (1 when they left that month — ``active`` false or a ``churned_on`` date in it — else 0;
    both NaN without a CRM row for the month)."""
    csat = "s.csat" if "csat" in table_columns(con, "customer_survey") else "NULL"
    columns = table_columns(con, "customer_outcomes")
    revenue = "o.revenue" if "revenue" in columns else "CAST(NULL AS DOUBLE PRECISION)"
    leaving = (["NOT o.active"] if "active" in columns else []) + (
        ["o.churned_on < CAST(date_trunc('month', s.responded_at) AS DATE) + INTERVAL '1 month'"]
        if "churned_on" in columns else [])
    left = (f"CASE WHEN o.customer_key IS NULL THEN NULL WHEN {' OR '.join(leaving)} THEN 1.0 "
            "ELSE 0.0 END" if leaving else "CAST(NULL AS DOUBLE PRECISION)")
    return con.execute(f"""
        SELECT s.customer_key, CAST(date_trunc('month', s.responded_at) AS DATE) AS month,
               CAST(s.nps AS DOUBLE PRECISION) AS nps, CAST({csat} AS DOUBLE PRECISION) AS csat,
               CAST({revenue} AS DOUBLE PRECISION) AS revenue,
               CAST({left} AS DOUBLE PRECISION) AS "left"
        FROM customer_survey s
        LEFT JOIN customer_outcomes o ON o.customer_key = s.customer_key
             AND o.period = CAST(date_trunc('month', s.responded_at) AS DATE)
        WHERE s.customer_key IS NOT NULL AND s.nps IS NOT NULL
        ORDER BY s.customer_key, s.responded_at""").df()


def customers_followed(con, months: int = 12) -> pd.DataFrame:
    """One row per customer with a keyed NPS answer and CRM months from it on: the first
    answer's ``nps`` and ``month``, ``months_followed`` (whole months from the answer's month
    to the month they left, or to their last CRM month), ``churned`` (1: they left — an
    ``active`` false or a ``churned_on`` date — 0: still a customer when the data end) and
    ``revenue_a_month`` over the first ``months`` months followed (NaN without revenue)."""
    columns = table_columns(con, "customer_outcomes")
    left = []
    if "active" in columns:
        left.append("CASE WHEN NOT o.active THEN o.period END")
    if "churned_on" in columns:
        left.append("CAST(date_trunc('month', o.churned_on) AS DATE)")
    left_sql = f"min(LEAST({', '.join(left)}))" if len(left) > 1 else (
        f"min({left[0]})" if left else "CAST(NULL AS DATE)")
    revenue = "o.revenue" if "revenue" in columns else "CAST(NULL AS DOUBLE PRECISION)"
    return con.execute(f"""
        WITH first AS (
            SELECT customer_key, nps, month FROM (
                SELECT customer_key, CAST(nps AS DOUBLE PRECISION) AS nps,
                       CAST(date_trunc('month', responded_at) AS DATE) AS month,
                       row_number() OVER (PARTITION BY customer_key ORDER BY responded_at,
                                          response_id) AS k
                FROM customer_survey WHERE customer_key IS NOT NULL AND nps IS NOT NULL) a
            WHERE k = 1),
        followed AS (
            SELECT f.customer_key, f.nps, f.month, max(o.period) AS last_month,
                   {left_sql} AS left_month,
                   avg(CASE WHEN o.period < f.month + INTERVAL '{int(months)} months'
                            THEN {revenue} END) AS revenue_a_month
            FROM first f JOIN customer_outcomes o
                 ON o.customer_key = f.customer_key AND o.period >= f.month
            GROUP BY f.customer_key, f.nps, f.month)
        SELECT customer_key, nps, month, revenue_a_month,
               CASE WHEN left_month IS NOT NULL THEN 1 ELSE 0 END AS churned,
               (EXTRACT(YEAR FROM COALESCE(left_month, last_month)) - EXTRACT(YEAR FROM month)) * 12
               + EXTRACT(MONTH FROM COALESCE(left_month, last_month)) - EXTRACT(MONTH FROM month)
               + CASE WHEN left_month IS NOT NULL THEN 0 ELSE 1 END AS months_followed
        FROM followed ORDER BY customer_key""").df()
