"""Data-audit frames for notebook 00: accounting, quarantine, coverage, reliability."""

from __future__ import annotations

import duckdb
import pandas as pd

from .config import MIN_GROUP_SIZE
from .metrics import cronbach_alpha, with_period
from .panels import coverage, ex_panel
from .results import tidy
from .warehouse import customer_responses, employee_responses, has_table


def accounting(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per table: status, file, format, rows read / accepted / quarantined, and the check."""
    frame = con.execute(
        "SELECT \"table\" AS table_name, status, file, format, rows_read, rows_accepted, "
        "rows_quarantined FROM ingest_files").df()
    frame["file"] = frame["file"].map(lambda f: "" if f is None else str(f).split("/")[-1])
    frame["adds_up"] = frame["rows_read"] == frame["rows_accepted"] + frame["rows_quarantined"]
    return frame


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows counted by table, column and reason."""
    return con.execute(
        "SELECT table_name, coalesce(column_name, '(whole row)') AS column_name, reason, "
        "count(*) AS rows, min(row) AS first_row FROM quarantine "
        "GROUP BY 1, 2, 3 ORDER BY rows DESC, table_name, reason").df()


def quarantine_sample(con: duckdb.DuckDBPyConnection, per_reason: int = 3) -> pd.DataFrame:
    """A few quarantined rows per reason (file, row, column, value) to find and fix them."""
    return con.execute(f"""
        SELECT table_name, file, row, column_name, reason, value FROM (
            SELECT *, row_number() OVER (PARTITION BY table_name, reason ORDER BY row) AS k
            FROM quarantine) AS q WHERE k <= {int(per_reason)}
        ORDER BY table_name, reason, row""").df()


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
    if has_table(con, "customer_survey"):
        parts.append(", coalesce(c.n, 0) AS customer_responses")
        joins.append(" LEFT JOIN (SELECT unit_id, count(*) AS n FROM customer_survey "
                     "GROUP BY unit_id) c ON c.unit_id = u.unit_id")
    if has_table(con, "employee_survey"):
        parts.append(", coalesce(e.n, 0) AS employee_responses")
        joins.append(" LEFT JOIN (SELECT unit_id, count(*) AS n FROM employee_survey "
                     "GROUP BY unit_id) e ON e.unit_id = u.unit_id")
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
        customers = with_period(customer_responses(con, ["responded_at", "nps", "csat", "ces"]),
                                "responded_at", "quarter")
    return employees, customers


def reliability(employees: pd.DataFrame | None, confidence: float = 0.95,
                min_group_size: int = MIN_GROUP_SIZE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cronbach's alpha of the engagement items: (all respondents, by unit type); no rows
    without an employee survey."""
    if employees is None or employees.empty:
        return tidy([]), tidy([])
    return (cronbach_alpha(employees, confidence=confidence, min_group_size=min_group_size),
            cronbach_alpha(employees, by="unit_type", confidence=confidence,
                           min_group_size=min_group_size))


def thinnest_source(coverage_frame: pd.DataFrame) -> str:
    """The coverage source to map unit by unit: customer responses when there are any."""
    sources = set(coverage_frame["source"])
    return "customer_responses" if "customer_responses" in sources else "employee_respondents"


def findings(accounting_frame: pd.DataFrame, by_reason: pd.DataFrame,
             coverage_frame: pd.DataFrame, alpha: pd.DataFrame) -> list[str]:
    """Plain-language sentences for the audit's summary box."""
    usable = accounting_frame[accounting_frame["status"] == "ok"]
    read = int(usable["rows_read"].sum())
    accepted = int(usable["rows_accepted"].sum())
    held = int(usable["rows_quarantined"].sum())
    out = [f"{len(usable)} data files were loaded: {read:,} rows read, {accepted:,} accepted and "
           f"{held:,} held back for a data problem"
           + (" (every count adds up)." if bool(usable["adds_up"].all()) else
              " — the counts do NOT add up, which is a bug: please report it.")]
    if held:
        top = by_reason.iloc[0]
        out.append(f"The most common problem was in {top['table_name']}.{top['column_name']}: "
                   f"{top['reason']} ({int(top['rows']):,} rows). Section 2 lists where to fix them.")
    missing = accounting_frame[accounting_frame["status"] == "missing"]["table_name"].tolist()
    if missing:
        out.append("Not provided: " + ", ".join(missing) + "; the analyses that need them say so.")
    for row in coverage_frame.itertuples():
        text = (f"{row.source.capitalize()}: {row.responses:,} from {row.units} units, "
                f"{pd.Timestamp(row.first_period):%b %Y} to {pd.Timestamp(row.last_period):%b %Y}")
        below = getattr(row, "unit_waves_below_threshold", 0)
        if below:
            text += (f"; {below} unit-waves had too few respondents to show and are hidden "
                     "to protect confidentiality")
        out.append(text + ".")
    overall = alpha[alpha["subject"] == "all"]
    if len(overall) and pd.notna(overall["estimate"].iloc[0]):
        a = overall.iloc[0]
        verdict = "a reliable scale" if a["ci_low"] >= 0.7 else "below the usual 0.7 reliability mark"
        out.append(f"The engagement items hang together: Cronbach's alpha {a['estimate']:.2f} "
                   f"(95% CI {a['ci_low']:.2f} to {a['ci_high']:.2f}), {verdict}.")
    return out
