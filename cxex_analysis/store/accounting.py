"""What the load did: rows read, accepted and held back per table, and the quarantine by
reason with examples (notebook 00).
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from cxex_analysis.privacy import masked_value
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
    """A few quarantined rows per reason (file, row, column, rule, value) to find and fix
    them; the value masked (:func:`~cxex_analysis.privacy.masked_value`), never as written: a
    held-back value may be an e-mail address or a person's name."""
    sample = con.execute(f"""
        SELECT table_name, file, row, column_name, reason, value FROM (
            SELECT *, row_number() OVER (PARTITION BY table_name, reason ORDER BY row) AS k
            FROM quarantine) AS q WHERE k <= {int(per_reason)}
        ORDER BY table_name, reason, row""").df()
    return sample.assign(value=sample["value"].map(masked_value))


def loaded_files(con) -> pd.DataFrame:
    """The files of the last load that were used: table, file, SHA-256 and the accounting
    (empty when the warehouse was not made by an ingest)."""
    if not has_table(con, "ingest_files"):
        return pd.DataFrame()
    return con.execute(
        "SELECT \"table\" AS table_name, file, sha256, rows_read, rows_accepted, "
        "rows_quarantined FROM ingest_files WHERE status = 'ok'").df()


#: A table that loses more than this share of its rows to the quarantine is named at the top
#: of the executive summary: the reports below it rest on what is left.
HEAVY_QUARANTINE = 0.05


def heavy_quarantine(con, threshold: float = HEAVY_QUARANTINE) -> list[dict]:
    """Tables of the last load that held back more than ``threshold`` of their rows: table,
    file, rows read and held back, the share, and the reason most rows were held back for."""
    if not has_table(con, "ingest_files"):
        return []
    rows = con.execute(
        "SELECT \"table\", file, rows_read, rows_quarantined, by_reason FROM ingest_files "
        "WHERE status = 'ok' AND rows_read > 0").fetchall()
    heavy = []
    for table, file, read, held, by_reason in rows:
        if held / read <= threshold:
            continue
        reasons = json.loads(by_reason) if isinstance(by_reason, str) else dict(by_reason or {})
        reason = max(reasons, key=lambda r: reasons[r]) if reasons else "not recorded"
        heavy.append({"table": table, "file": str(file or "").split("/")[-1], "rows_read": int(read),
                      "rows_quarantined": int(held), "share": held / read, "reason": reason,
                      "reason_rows": int(reasons.get(reason, 0))})
    return sorted(heavy, key=lambda t: -t["share"])
