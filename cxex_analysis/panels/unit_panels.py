"""Unit × period panels, built in SQL inside the warehouse (DuckDB or PostgreSQL).

* :func:`ex_panel` — per unit and survey wave: respondents, engagement index, % favourable,
  eNPS, mean of each engagement item; groups under ``min_group_size`` are blanked.
* :func:`cx_panel` — per unit and month or quarter: NPS with its trinomial SE, CSAT
  top-2-box, CES mean and % 5–7, right-first-time rate and response counts.
* :func:`outcomes_panel` — per unit and month or quarter: money and people outcomes with
  derived rates (churn, revenue per customer, exit rate, repeat contacts per 1,000).
* :func:`unit_panel` — the three joined per unit-quarter with unit attributes, the frame the
  linkage analyses start from.
* :func:`ex_halves`, :func:`cx_halves` — each score measured twice, from two halves of its
  respondents (the survey-noise correction's instruments): employees in halves that keep
  their people from wave to wave, customers at random.

Metric definitions are those of :mod:`cxex_analysis.panels.respondent_scores`.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import CxexError, check_argument
from cxex_analysis.panels.respondent_halves import HALF_SEED, respondent_halves
from cxex_analysis.panels.score_tables import scores_only
from cxex_analysis.panels.score_tables import unit_panel as score_panel
from cxex_analysis.privacy import blank_small
from cxex_analysis.store.warehouse import engagement_items, has_table, table_columns

FREQUENCIES = ("month", "quarter")


def _require(con: duckdb.DuckDBPyConnection, table: str, for_what: str) -> None:
    if not has_table(con, table):
        raise CxexError(f"The warehouse has no {table} table, which {for_what} needs. "
                        f"Add {table}.csv to the data folder and ingest again.")


def share_sql(condition: str) -> str:
    """SQL for the share of rows where ``condition`` holds (blanks left out), in DuckDB and
    PostgreSQL alike (PostgreSQL has no cast from boolean to double)."""
    return f"avg(CAST(CAST({condition} AS INTEGER) AS DOUBLE PRECISION))"


def respondent_scores_sql(items: list[str]) -> str:
    """SQL for each employee response's engagement index (0–100) and favourable counts."""
    answered = " + ".join(f"CAST({i} IS NOT NULL AS INTEGER)" for i in items)
    total = " + ".join(f"coalesce({i}, 0)" for i in items)
    favourable = " + ".join(f"CAST(coalesce({i} >= 4, false) AS INTEGER)" for i in items)
    return (f"({total}) AS item_sum, ({answered}) AS items_answered, "
            f"({favourable}) AS items_favourable, "
            f"CASE WHEN ({answered}) > 0 THEN (CAST({total} AS DOUBLE PRECISION) / ({answered}) - 1) "
            f"/ 4 * 100 END "
            f"AS engagement_index")


def ex_panel(con: duckdb.DuckDBPyConnection, min_group_size: int = MIN_GROUP_SIZE,
             include_items: bool = True) -> pd.DataFrame:
    """Employee experience per unit and wave.

    Columns: ``unit_id, wave, period`` (first day of the wave's quarter), ``respondents``,
    ``engagement_index``, ``pct_favourable``, ``enps``, ``enps_n``, ``eng_*`` item means and
    ``suppressed`` (True where ``respondents < min_group_size``; the metrics are then blank).

    Each score is a sample of the unit's staff, so it carries its sampling standard error:
    ``engagement_index_se`` (respondents' index SD / √n), ``pct_favourable_se`` (SD of each
    respondent's favourable share / √n, the respondent as the cluster) and ``enps_se``
    (trinomial, as for NPS). Models that link scores use them as measurement error.
    """
    _require(con, "employee_survey", "the employee-experience panel")
    items = engagement_items(con)
    item_means = "".join(f", avg({i}) AS {i}" for i in items) if include_items else ""
    frame = con.execute(f"""
        WITH r AS (
            SELECT unit_id, wave, enps, {', '.join(items)}, {respondent_scores_sql(items)}
            FROM employee_survey
        )
        SELECT unit_id, wave, CAST(date_trunc('quarter', wave) AS DATE) AS period,
               count(*) AS respondents,
               avg(engagement_index) AS engagement_index,
               stddev_samp(engagement_index) / sqrt(count(engagement_index))
                   AS engagement_index_se,
               100.0 * sum(items_favourable) / nullif(sum(items_answered), 0) AS pct_favourable,
               100.0 * stddev_samp(CAST(items_favourable AS DOUBLE PRECISION)
                                   / nullif(items_answered, 0))
                   / sqrt(count(nullif(items_answered, 0))) AS pct_favourable_se,
               count(enps) AS enps_n,
               100.0 * ({share_sql('enps >= 9')} - {share_sql('enps <= 6')}) AS enps,
               {_trinomial_se_sql('enps')} AS enps_se
               {item_means}
        FROM r GROUP BY unit_id, wave ORDER BY unit_id, wave
    """).df()
    metric_columns = ["engagement_index", "engagement_index_se", "pct_favourable",
                      "pct_favourable_se", "enps", "enps_n", "enps_se"] + (
        items if include_items else [])
    return blank_small(frame, "respondents", metric_columns, min_group_size)


def _trinomial_se_sql(column: str) -> str:
    """SQL for the sampling SE (points) of an NPS-type score: √([p + d − (p − d)²] / n) × 100."""
    p, d = share_sql(f"{column} >= 9"), share_sql(f"{column} <= 6")
    return (f"CASE WHEN count({column}) > 0 THEN 100.0 * sqrt(greatest({p} + {d} - "
            f"power({p} - {d}, 2), 0) / count({column})) END")


def period_sql(column: str, freq: str) -> str:
    check_argument("freq", freq, FREQUENCIES)
    return f"CAST(date_trunc('{freq}', {column}) AS DATE)"


def cx_panel(con: duckdb.DuckDBPyConnection, freq: str = "month") -> pd.DataFrame:
    """Customer experience per unit and month (or quarter).

    NPS = % promoters (9–10) − % detractors (0–6); ``nps_se`` from the trinomial variance
    [p + d − (p − d)²] / n, in points. CSAT = % of answers 4–5, ``csat_se`` = √(p(1 − p)/n)
    in points; CES = mean of 1–7 with ``ces_se`` = SD / √n, and ``ces_top3`` = % 5–7. The
    standard errors are the scores' sampling errors: models that link scores use them as
    measurement error.
    """
    _require(con, "customer_survey", "the customer-experience panel")
    period = period_sql("responded_at", freq)
    return con.execute(f"""
        WITH a AS (
            SELECT unit_id, {period} AS period,
                   count(*) AS responses,
                   count(nps) AS nps_n,
                   sum(CAST(nps >= 9 AS INTEGER)) AS promoters,
                   sum(CAST(nps <= 6 AS INTEGER)) AS detractors,
                   count(csat) AS csat_n,
                   100.0 * {share_sql('csat >= 4')} AS csat,
                   count(ces) AS ces_n,
                   avg(ces) AS ces,
                   stddev_samp(ces) / sqrt(count(ces)) AS ces_se,
                   100.0 * {share_sql('ces >= 5')} AS ces_top3,
                   count(resolved_first_contact) AS rfc_n,
                   100.0 * {share_sql('resolved_first_contact')} AS rfc_rate
            FROM customer_survey GROUP BY 1, 2
        )
        SELECT unit_id, period, responses, nps_n, promoters, detractors,
               CASE WHEN nps_n > 0 THEN 100.0 * (promoters - detractors) / nps_n END AS nps,
               CASE WHEN nps_n > 0 THEN 100.0 * sqrt(
                   CAST(promoters + detractors AS DOUBLE PRECISION) / nps_n
                   - power(CAST(promoters - detractors AS DOUBLE PRECISION) / nps_n, 2))
                   / sqrt(nps_n) END AS nps_se,
               csat_n, csat,
               CASE WHEN csat_n > 0 THEN sqrt(csat * (100.0 - csat) / csat_n) END AS csat_se,
               ces_n, ces, ces_se, ces_top3, rfc_n, rfc_rate
        FROM a ORDER BY unit_id, period
    """).df()


def _half_sql(partition: str, seed: int) -> str:
    """SQL: 0 or 1, a random half of each ``partition``'s respondents (exactly balanced:
    respondents ordered by a seeded hash of their response id, then alternated). Portable
    to DuckDB and PostgreSQL (md5 and window functions)."""
    return (f"CAST(row_number() OVER (PARTITION BY {partition} "
            f"ORDER BY md5(response_id || '{int(seed)}')) % 2 AS INTEGER)")


def ex_halves(con: duckdb.DuckDBPyConnection, min_group_size: int = MIN_GROUP_SIZE,
              seed: int = HALF_SEED, use_keys: bool = True) -> pd.DataFrame:
    """The engagement index and eNPS of each unit-wave measured twice: from two halves of its
    respondents that keep their people from wave to wave (``engagement_index_a`` / ``_b``,
    ``enps_a`` / ``_b``; :func:`cxex_analysis.panels.respondent_halves.respondent_halves`:
    people by ``employee_key``, anonymous answers by role or tenure band).

    Two independent measurements of the same score: what the noise-corrected links use
    (:mod:`cxex_analysis.estimators.measurement`). Blank where the whole unit-wave is under
    ``min_group_size`` or the unit cannot be split; never shown in a report.
    ``use_keys=False`` halves the answers as if the export had no ``employee_key`` (to
    compare the two).
    """
    _require(con, "employee_survey", "the split-half employee panel")
    items = engagement_items(con)
    columns = table_columns(con, "employee_survey")
    stable = [c for c in ("employee_key", "role", "tenure_band") if c in columns
              and (use_keys or c != "employee_key")]
    responses = con.execute(f"""
        SELECT unit_id, wave, enps, {", ".join(stable) + "," if stable else ""}
               {respondent_scores_sql(items)}
        FROM employee_survey
    """).df()
    responses["half"] = respondent_halves(responses, seed)
    responses["promoter"] = (responses["enps"] >= 9).astype(float).where(responses["enps"].notna())
    responses["detractor"] = (responses["enps"] <= 6).astype(float).where(responses["enps"].notna())
    keys = ["unit_id", "wave"]
    frame = responses.groupby(keys).size().rename("respondents").reset_index()
    for half, name in ((0, "a"), (1, "b")):
        part = responses[responses["half"] == half].groupby(keys).agg(
            engagement_index=("engagement_index", "mean"), promoter=("promoter", "mean"),
            detractor=("detractor", "mean"))
        part[f"enps_{name}"] = 100.0 * (part.pop("promoter") - part.pop("detractor"))
        frame = frame.merge(part.rename(columns={"engagement_index": f"engagement_index_{name}"}),
                            on=keys, how="left")
    frame["wave"] = pd.to_datetime(frame["wave"])
    frame.insert(2, "period", frame["wave"].dt.to_period("Q").dt.start_time)
    frame = frame.sort_values(keys, ignore_index=True)
    halves = ["engagement_index_a", "engagement_index_b", "enps_a", "enps_b"]
    frame = frame[keys + ["period", "respondents"] + halves]
    return blank_small(frame, "respondents", halves, min_group_size).drop(
        columns=["respondents", "suppressed"])


def cx_halves(con: duckdb.DuckDBPyConnection, freq: str = "month",
              seed: int = HALF_SEED) -> pd.DataFrame:
    """NPS, CSAT and CES of each unit-period measured twice, from two random halves of its
    customers (``nps_a`` / ``nps_b``, ``csat_a`` …, ``ces_a`` …). See :func:`ex_halves`."""
    _require(con, "customer_survey", "the split-half customer panel")
    period = period_sql("responded_at", freq)

    def by_half(h: int) -> str:
        pick = f"CASE WHEN half = {h} THEN"
        name = "ab"[h]
        return (f"100.0 * (avg({pick} CAST(nps >= 9 AS INTEGER) END) "
                f"- avg({pick} CAST(nps <= 6 AS INTEGER) END)) AS nps_{name}, "
                f"100.0 * avg({pick} CAST(csat >= 4 AS INTEGER) END) AS csat_{name}, "
                f"avg({pick} ces END) AS ces_{name}")

    return con.execute(f"""
        WITH r AS (
            SELECT unit_id, {period} AS period, nps, csat, ces,
                   {_half_sql(f'unit_id, {period}', seed)} AS half
            FROM customer_survey
        )
        SELECT unit_id, period, {by_half(0)}, {by_half(1)}
        FROM r GROUP BY unit_id, period ORDER BY unit_id, period
    """).df()


def outcomes_panel(con: duckdb.DuckDBPyConnection, freq: str = "month") -> pd.DataFrame:
    """Unit outcomes per month (as given) or quarter (counts summed), with derived rates.

    ``churn_rate`` = customers_lost / customers_active; ``revenue_per_customer`` = revenue /
    customers_active; ``exit_rate`` = employees_left / employees; ``repeat_contacts_per_1000``
    = repeat_contacts / customers_active × 1000. For quarters, stocks (customers_active,
    employees) are averaged over the months and flows summed, so rates are per quarter.
    """
    _require(con, "unit_outcomes", "the outcomes panel")
    period = period_sql("period", freq)
    return con.execute(f"""
        WITH a AS (
            SELECT unit_id, {period} AS period, count(*) AS months,
                   sum(revenue) AS revenue, avg(customers_active) AS customers_active,
                   sum(customers_lost) AS customers_lost, avg(employees) AS employees,
                   sum(employees_left) AS employees_left, sum(cost_to_serve) AS cost_to_serve,
                   sum(complaints) AS complaints, sum(repeat_contacts) AS repeat_contacts
            FROM unit_outcomes GROUP BY 1, 2
        )
        SELECT *,
               customers_lost / nullif(customers_active, 0) AS churn_rate,
               revenue / nullif(customers_active, 0) AS revenue_per_customer,
               employees_left / nullif(employees, 0) AS exit_rate,
               1000.0 * repeat_contacts / nullif(customers_active, 0) AS repeat_contacts_per_1000,
               cost_to_serve / nullif(customers_active, 0) AS cost_to_serve_per_customer
        FROM a ORDER BY unit_id, period
    """).df()


def unit_panel(con: duckdb.DuckDBPyConnection, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Per unit and quarter: EX (wave closing in that quarter), CX and outcomes, unit attributes.

    Unit-quarters without a shown EX value (no wave, or fewer than ``min_group_size``
    respondents) keep their CX and outcomes with blank EX columns.
    """
    units = con.execute("SELECT unit_id, region, unit_type FROM units").df()
    frames = []
    employee_scores, customer_scores = scores_only(con)
    if has_table(con, "customer_survey"):
        frames.append(cx_panel(con, "quarter"))
    elif customer_scores is not None:  # a platform's unit scores, not answers
        frames.append(score_panel(customer_scores, "quarter"))
    if has_table(con, "employee_survey"):
        ex = ex_panel(con, min_group_size, include_items=True).drop(columns=["wave"])
        frames.append(ex)
    elif employee_scores is not None:
        ex = score_panel(employee_scores, "quarter").rename(columns={"responses": "respondents"})
        for column in ("engagement_index", "engagement_index_se"):  # an export of eNPS only
            if column not in ex.columns:
                ex[column] = np.nan
        ex = ex.drop(columns=[c for c in ex.columns if c.endswith("_n") and c != "enps_n"
                              or c.startswith("eng_") and c.endswith("_se")])
        frames.append(blank_small(ex, "respondents", [c for c in ex.columns if c not in (
            "unit_id", "period", "respondents")], min_group_size))
    if has_table(con, "unit_outcomes"):
        out = outcomes_panel(con, "quarter").rename(columns={"months": "outcome_months"})
        frames.append(out)
    if not frames:
        raise CxexError("The warehouse holds no survey or outcome table to build a panel from.")
    panel = frames[0]
    for frame in frames[1:]:
        panel = panel.merge(frame, on=["unit_id", "period"], how="outer")
    panel = panel.merge(units, on="unit_id", how="left")
    return panel.sort_values(["unit_id", "period"]).reset_index(drop=True)
