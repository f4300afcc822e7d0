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


def target(value: Path | str | None) -> Path | str:
    """A ``--warehouse`` value as given: a PostgreSQL URL stays text, anything else is a
    DuckDB file path (``None``: the default file)."""
    from . import postgres

    if postgres.is_url(value):
        return str(value)
    return Path(value) if value else default_path()


def describe(value: Path | str) -> str:
    """For messages: the file path, or the URL with its password hidden."""
    from . import postgres

    return postgres.redact(value) if postgres.is_url(value) else str(value)


def ingest(data_dir: Path | str, warehouse: Path | str | None = None,
           mapping_file: Path | str | None = None,
           as_of: dt.datetime | None = None) -> ValidationReport:
    """Validate ``data_dir`` and load it into the warehouse, replacing what was there.

    ``warehouse`` is a DuckDB file (default ``data/warehouse.duckdb``) or a PostgreSQL URL
    (see :mod:`cxex_analysis.postgres`).

    Raises
    ------
    UnusableFileError
        When a file cannot be used; the warehouse is then left unchanged.
    """
    from . import postgres

    if postgres.is_url(warehouse):
        return _ingest_postgres(data_dir, str(warehouse), mapping_file, as_of)
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


def _ingest_postgres(data_dir, url: str, mapping_file, as_of) -> ValidationReport:
    """Check the files in an in-memory DuckDB, then replace the tables in PostgreSQL."""
    from . import postgres

    postgres.Connection(url, read_only=True).close()  # unreachable server: say so before reading
    con = duckdb.connect()
    try:
        prepare(con)
        report = check_directory(con, data_dir, mapping_file, as_of, publish=True,
                                 transaction=True)
        report.raise_if_unusable()
        _publish(con, report, item_view=False)
        con.execute("COMMIT")
        kept = [t.name for t in TABLES if report.tables[t.name].status == "ok"]
        dropped = [t.name for t in TABLES if report.tables[t.name].status != "ok"]
        items = engagement_items(con) if "employee_survey" in kept else []
        postgres.publish(con, url, kept + ["quarantine", "ingest_files", "ingest_info"],
                         dropped, items)
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


def connect(warehouse: Path | str | None = None, read_only: bool = True):
    """Open the warehouse (read-only by default) with the session time zone set to UTC.

    A DuckDB file path gives a DuckDB connection; a PostgreSQL URL a
    :class:`cxex_analysis.postgres.Connection`, which answers the same calls.
    """
    from . import postgres

    if postgres.is_url(warehouse):
        return postgres.Connection(str(warehouse), read_only=read_only)
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


def location(con) -> str:
    """What :func:`connect` was given for this connection: the DuckDB file or the URL."""
    if getattr(con, "backend", "duckdb") == "postgres":
        return con.url
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                       ).fetchone()[0]


def identity(con) -> str:
    """Names the warehouse a connection reads, and its version (file time or load time)."""
    if getattr(con, "backend", "duckdb") == "postgres":
        return con.identity
    path = location(con)
    stamp = Path(path).stat().st_mtime if path and Path(path).exists() else 0
    return f"{path}:{stamp}"


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the warehouse holds table or view ``name``."""
    if getattr(con, "backend", "duckdb") == "postgres":
        return con.has_table(name)
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() AND table_name = ?", [name]).fetchone()[0])


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The columns of table ``name`` in the warehouse, in order (none if it is absent)."""
    if not has_table(con, name):
        return []
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() AND table_catalog = current_database() "
        "ORDER BY ordinal_position", [name]).fetchall()]


def engagement_items(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The engagement item columns (``eng_*``) of the employee survey."""
    return [c for c in table_columns(con, "employee_survey") if c.startswith("eng_")]


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """A whole warehouse table as a DataFrame (empty frame if the table is absent)."""
    if not has_table(con, name):
        return pd.DataFrame()
    return con.execute(f"SELECT * FROM {name}").df()


def ingest_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per table: file, format, rows read / accepted / quarantined."""
    return con.execute(
        "SELECT table AS table_name, status, file, format, encoding, rows_read, rows_accepted, "
        "rows_quarantined FROM ingest_files").df()


def _with_unit(con, table: str, columns: list[str] | None) -> pd.DataFrame:
    """Rows of ``table`` (all columns, or ``columns``) with their unit's region and type.

    Unit id, region and type come back as pandas categoricals, joined through a small
    integer per unit: millions of repeated short strings as Python objects would cost
    gigabytes and seconds to move and make every group-by slow.
    """
    units = con.execute("SELECT unit_id, region, unit_type FROM units ORDER BY unit_id").df()
    wanted = [c for c in (columns if columns is not None else
                          [r[0] for r in con.execute(
                              "SELECT column_name FROM information_schema.columns WHERE "
                              "table_name = ? AND table_schema = current_schema() AND "
                              "table_catalog = current_database() ORDER BY ordinal_position",
                              [table]).fetchall()])]
    fetched = [c for c in wanted if c != "unit_id"]
    chosen = "".join(f"t.{c}, " for c in fetched)
    frame = con.execute(
        f"SELECT {chosen}k.unit_index FROM {table} t JOIN (SELECT unit_id, "
        "CAST(row_number() OVER (ORDER BY unit_id) - 1 AS INTEGER) AS unit_index FROM units) k "
        "ON k.unit_id = t.unit_id ORDER BY t.source_row").df()
    index = frame.pop("unit_index").to_numpy()
    for column in ["unit_id", "region", "unit_type"]:
        codes, categories = pd.factorize(units[column], sort=True)
        values = pd.Categorical.from_codes(codes[index], categories=categories)
        if column == "unit_id":
            position = wanted.index("unit_id") if "unit_id" in wanted else None
            if position is not None:
                frame.insert(position, "unit_id", values)
        else:
            frame[column] = values
    return frame


def employee_responses(con, columns: list[str] | None = None) -> pd.DataFrame:
    """Employee survey rows (all columns, or ``columns``) with their unit's region and type."""
    return _with_unit(con, "employee_survey", columns)


def customer_responses(con, columns: list[str] | None = None) -> pd.DataFrame:
    """Customer survey rows (all columns, or ``columns``) with their unit's region and type."""
    return _with_unit(con, "customer_survey", columns)
