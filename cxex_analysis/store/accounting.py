"""What the load did: rows read, accepted and held back per table, and the quarantine by
reason with examples (notebook 00).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cxex_analysis.store.warehouse import has_table


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


def loaded_files(con) -> pd.DataFrame:
    """The files of the last load that were used: table, file, SHA-256 and the accounting
    (empty when the warehouse was not made by an ingest)."""
    if not has_table(con, "ingest_files"):
        return pd.DataFrame()
    return con.execute(
        "SELECT \"table\" AS table_name, file, sha256, rows_read, rows_accepted, "
        "rows_quarantined FROM ingest_files WHERE status = 'ok'").df()
