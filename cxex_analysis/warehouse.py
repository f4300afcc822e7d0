"""The DuckDB warehouse: the only copy of the data the analyses read.

:func:`ingest` checks a data directory (:mod:`cxex_analysis.io`) and writes the accepted rows,
the quarantine and an ingest log into one DuckDB file, in one transaction: re-ingesting
replaces every table (never duplicates), and a failure part-way leaves the file as it was.

Tables: ``units``, ``employee_survey``, ``customer_survey``, ``unit_outcomes``, ``pilots``,
``pilot_assignments`` (as in the data contract, plus ``source_row``), ``quarantine``
(table_name, file, row, column_name, reason, value, issues), ``ingest_files`` (one row per
contract table with the accounting) and ``ingest_info``; view ``employee_item_responses``
(one row per response and engagement item).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from . import __version__
from .config import paths
from .contract import TABLES
from .errors import CxexError
from .io import ValidationReport, check_directory, prepare, quiet_progress


def default_path() -> Path:
    """``data/warehouse.duckdb`` in the project (``CXEX_WAREHOUSE`` overrides)."""
    return paths().warehouse


def ingest(data_dir: Path | str, warehouse: Path | str | None = None,
           mapping_file: Path | str | None = None,
           as_of: dt.datetime | None = None) -> ValidationReport:
    """Validate ``data_dir`` and load it into the warehouse, replacing what was there.

    Raises
    ------
    UnusableFileError
        When a file cannot be used; the warehouse is then left unchanged.
    """
    path = Path(warehouse) if warehouse else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        prepare(con)
        try:
            report = check_directory(
                con, data_dir, mapping_file, as_of, publish=True, transaction=True,
                on_begin=lambda c: c.execute("DROP VIEW IF EXISTS main.employee_item_responses"))
            report.raise_if_unusable()
            _publish(con, report)
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the failure came before the transaction began
            raise
    finally:
        con.close()
    return report


def _publish(con: duckdb.DuckDBPyConnection, report: ValidationReport) -> None:
    for table in TABLES:
        if report.tables[table.name].status != "ok":
            con.execute(f"DROP TABLE IF EXISTS main.{table.name}")
    con.execute("CREATE OR REPLACE TABLE main.quarantine AS "
                "SELECT * FROM quarantine_stage ORDER BY table_name, row")
    rows = [
        {key: value for key, value in r.as_dict().items() if key != "by_reason"}
        | {"by_reason": json.dumps(r.by_reason)}
        for r in report.tables.values()
    ]
    frame = pd.DataFrame(rows)
    con.register("__ingest_files", frame)
    con.execute("CREATE OR REPLACE TABLE main.ingest_files AS SELECT * FROM __ingest_files")
    con.unregister("__ingest_files")
    con.execute(
        "CREATE OR REPLACE TABLE main.ingest_info AS SELECT ? AS data_dir, "
        "CAST(? AS TIMESTAMP) AS ingested_at, ? AS cxex_version",
        [report.data_dir, dt.datetime.now(dt.UTC).replace(tzinfo=None), __version__])
    if report.tables["employee_survey"].status == "ok":
        con.execute(
            "CREATE OR REPLACE VIEW main.employee_item_responses AS "
            "SELECT response_id, unit_id, wave, role, item, score FROM ("
            "UNPIVOT (SELECT response_id, unit_id, wave, role, COLUMNS('^eng_') "
            "FROM main.employee_survey) ON COLUMNS('^eng_') INTO NAME item VALUE score)")


def connect(warehouse: Path | str | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (read-only by default) with the session time zone set to UTC."""
    path = Path(warehouse) if warehouse else default_path()
    if not path.exists():
        raise CxexError(
            f"{path}: warehouse not found. Expected a DuckDB file made by "
            f"`cxex ingest --data DIR --warehouse {path}` (or `make demo`).")
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    # one thread: sums and averages then add up in the same order every time, so the same
    # inputs give a bit-for-bit identical results.json (parallel aggregation does not)
    con.execute("SET threads = 1")
    quiet_progress(con)
    return con


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the warehouse holds table or view ``name``."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = ?", [name]).fetchone()[0])


def engagement_items(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The engagement item columns (``eng_*``) of the employee survey."""
    if not has_table(con, "employee_survey"):
        return []
    cols = [r[0] for r in con.execute("DESCRIBE main.employee_survey").fetchall()]
    return [c for c in cols if c.startswith("eng_")]


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """A whole warehouse table as a DataFrame (empty frame if the table is absent)."""
    if not has_table(con, name):
        return pd.DataFrame()
    return con.execute(f"SELECT * FROM main.{name}").df()


def ingest_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per table: file, format, rows read / accepted / quarantined."""
    return con.execute(
        "SELECT table AS table_name, status, file, format, encoding, rows_read, rows_accepted, "
        "rows_quarantined FROM main.ingest_files").df()


def employee_responses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Employee survey rows joined with their unit's region and type."""
    return con.execute(
        "SELECT e.*, u.region, u.unit_type FROM main.employee_survey e "
        "JOIN main.units u USING (unit_id)").df()


def customer_responses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Customer survey rows joined with their unit's region and type."""
    return con.execute(
        "SELECT c.*, u.region, u.unit_type FROM main.customer_survey c "
        "JOIN main.units u USING (unit_id)").df()
