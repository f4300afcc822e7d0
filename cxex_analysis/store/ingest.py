"""Loading a data folder into the warehouse, in one transaction.

:func:`ingest` checks the folder (:mod:`cxex_analysis.contract.validation`) and writes the
accepted rows, the quarantine and an ingest log: into the DuckDB file directly, or into
PostgreSQL with ``COPY``. Re-ingesting replaces every table (never duplicates), and a
failure part-way leaves the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from cxex_analysis import __version__
from cxex_analysis.contract.files import prepare
from cxex_analysis.contract.tables import TABLES
from cxex_analysis.contract.validation import ValidationReport, check_directory
from cxex_analysis.store import postgres, registrations
from cxex_analysis.store.warehouse import Warehouse, engagement_items


def ingest(data_dir: Path | str, warehouse: Warehouse | Path | str | None = None,
           mapping_file: Path | str | None = None,
           as_of: dt.datetime | None = None,
           progress: Callable[[str], None] | None = None) -> ValidationReport:
    """Validate ``data_dir`` and load it into the warehouse, replacing what was there.

    ``warehouse`` is a DuckDB file (default ``data/warehouse.duckdb``) or a PostgreSQL URL
    (see :mod:`cxex_analysis.store.postgres`). ``progress`` (e.g. ``print``) receives the progress
    of reading, checking and loading (:class:`~cxex_analysis.progress.Progress`).

    Raises
    ------
    UnusableFileError
        When a file cannot be used; the warehouse is then left unchanged.
    """
    where = Warehouse.parse(warehouse)
    if where.is_postgres:
        return _ingest_postgres(data_dir, where.location, mapping_file, as_of, progress)
    path = where.path
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        prepare(con)
        try:
            report = check_directory(
                con, data_dir, mapping_file, as_of, publish=True, transaction=True,
                on_begin=lambda c: c.execute("DROP VIEW IF EXISTS main.employee_item_responses"),
                progress=progress)
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


def _ingest_postgres(data_dir, url: str, mapping_file, as_of, progress) -> ValidationReport:
    """Check the files in an in-memory DuckDB, then replace the tables in PostgreSQL."""
    postgres.Connection(url, read_only=True).close()  # unreachable server: say so before reading
    con = duckdb.connect()
    try:
        prepare(con)
        report = check_directory(con, data_dir, mapping_file, as_of, publish=True,
                                 transaction=True, progress=progress)
        report.raise_if_unusable()
        _publish(con, report, item_view=False)
        con.execute("COMMIT")
        kept = [t.name for t in TABLES if report.tables[t.name].status == "ok"]
        dropped = [t.name for t in TABLES if report.tables[t.name].status != "ok"]
        items = engagement_items(con) if "employee_survey" in kept else []
        postgres.publish(con, url, kept + ["quarantine", "ingest_files", "ingest_info",
                                           registrations.TABLE],
                         dropped, items, progress)
    finally:
        con.close()
    return report


def _publish(con: duckdb.DuckDBPyConnection, report: ValidationReport,
             item_view: bool = True) -> None:
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
    pilots = ({r[0] for r in con.execute("SELECT pilot_id FROM main.pilots").fetchall()}
              if report.tables["pilots"].status == "ok" else set())
    registered = registrations.read_registrations(report.data_dir, pilots)  # design.json files
    con.register("__registrations", registered)
    con.execute(f"CREATE OR REPLACE TABLE main.{registrations.TABLE} AS "
                "SELECT CAST(pilot_id AS VARCHAR) AS pilot_id, CAST(file AS VARCHAR) AS file, "
                "CAST(document AS VARCHAR) AS document FROM __registrations")
    con.unregister("__registrations")
    con.execute(
        "CREATE OR REPLACE TABLE main.ingest_info AS SELECT ? AS data_dir, "
        "CAST(? AS TIMESTAMP) AS ingested_at, ? AS cxex_version",
        [report.data_dir, dt.datetime.now(dt.UTC).replace(tzinfo=None), __version__])
    if item_view and report.tables["employee_survey"].status == "ok":
        con.execute(
            "CREATE OR REPLACE VIEW main.employee_item_responses AS "
            "SELECT response_id, unit_id, wave, role, item, score FROM ("
            "UNPIVOT (SELECT response_id, unit_id, wave, role, COLUMNS('^eng_') "
            "FROM main.employee_survey) ON COLUMNS('^eng_') INTO NAME item VALUE score)")
