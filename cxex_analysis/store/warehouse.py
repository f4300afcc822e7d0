"""The warehouse the analyses read: a DuckDB file (default) or a PostgreSQL schema.

:func:`target` turns ``--warehouse`` into a path or a URL, :func:`connect` opens either with
the same calls (``execute``, ``fetchone``, ``fetchall``, ``df``), and the helpers here answer
the questions every layer above asks (which tables and columns exist, the responses with
their units).

Tables: ``units``, ``employee_survey``, ``customer_survey``, ``unit_outcomes``, ``pilots``,
``pilot_assignments`` (as in the data contract, plus ``source_row``), ``quarantine``
(table_name, file, row, column_name, reason, value, issues), ``ingest_files`` (one row per
contract table with the accounting) and ``ingest_info``; view ``employee_item_responses``
(one row per response and engagement item).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from cxex_analysis.config import paths
from cxex_analysis.contract.files import quiet_progress
from cxex_analysis.contract.staging import scalar
from cxex_analysis.errors import CxexError
from cxex_analysis.store import postgres


def default_path() -> Path:
    """``data/warehouse.duckdb`` in the project (``CXEX_WAREHOUSE`` overrides)."""
    return paths().warehouse


@dataclass(frozen=True)
class Warehouse:
    """Where the data live, worked out once from ``--warehouse``: a DuckDB file, or a
    PostgreSQL URL (``postgresql://…``). ``str()`` gives what the kernels are handed."""

    location: str
    is_postgres: bool

    @classmethod
    def parse(cls, value: Warehouse | Path | str | None) -> Warehouse:
        """A ``--warehouse`` value: a URL stays text, anything else is a DuckDB file path
        (None or "": the project's default file)."""
        if isinstance(value, Warehouse):
            return value
        if postgres.is_url(value):
            return cls(str(value), True)
        return cls(str(Path(value) if value else default_path()), False)

    @property
    def path(self) -> Path:
        """The DuckDB file (DuckDB warehouses only)."""
        return Path(self.location)

    def resolved(self) -> Warehouse:
        """For the kernels: an absolute DuckDB path, or a URL without its password (which
        travels through ``PGPASSWORD``, never into a notebook, a manifest or a log)."""
        if self.is_postgres:
            return Warehouse(postgres.export_password(self.location), True)
        return Warehouse(str(self.path.resolve()), False)

    def describe(self) -> str:
        """For messages: the file path, or the URL with any password hidden."""
        return postgres.redact(self.location) if self.is_postgres else self.location

    def __str__(self) -> str:
        return self.location


def target(value: Warehouse | Path | str | None) -> Warehouse:
    """The :class:`Warehouse` a ``--warehouse`` value names."""
    return Warehouse.parse(value)


def describe(value: Warehouse | Path | str) -> str:
    """For messages: the file path, or the URL with its password hidden."""
    return Warehouse.parse(value).describe()


#: Set to "1" in the environment of a process that makes many reports from one warehouse (a
#: warm kernel of the fan-out): its DuckDB file then stays open between reports, and each
#: :func:`connect` is a cursor of that one database, whose cache stays warm (half the time of
#: a group report's queries went into reopening the file and reading it cold).
KEEP_OPEN = "CXEX_KEEP_WAREHOUSE_OPEN"

#: file -> (its modification time when opened, the open read-only database)
_OPEN: dict[str, tuple[float, duckdb.DuckDBPyConnection]] = {}


def _kept_open(path: Path) -> duckdb.DuckDBPyConnection:
    """A cursor of this process's open read-only database of ``path`` (reopened when the file
    has changed since)."""
    stamp = path.stat().st_mtime
    key = str(path.resolve())
    kept = _OPEN.get(key)
    if kept is None or kept[0] != stamp:
        if kept is not None:
            kept[1].close()
        _OPEN[key] = (stamp, duckdb.connect(key, read_only=True))
    cursor = _OPEN[key][1].cursor()
    _CATALOGS[id(cursor)] = (cursor, {})
    while len(_CATALOGS) > 8:
        _CATALOGS.pop(next(iter(_CATALOGS)))
    return cursor


#: The newest cursors of kept-open files: id -> (the cursor, what is known of its catalog). A
#: read-only file's tables cannot change while it is open, so a report asks for them once
#: rather than at every step; holding the cursor keeps its id from being reused.
_CATALOGS: dict[int, tuple[duckdb.DuckDBPyConnection, dict]] = {}


def _remembered(con, what: str, ask):
    """``ask()`` once per kept-open cursor (see :data:`_CATALOGS`), every time otherwise."""
    known = _CATALOGS.get(id(con))
    if known is None or known[0] is not con:
        return ask()
    if what not in known[1]:
        known[1][what] = ask()
    return known[1][what]


def connect(warehouse: Warehouse | Path | str | None = None, read_only: bool = True):
    """Open the warehouse (read-only by default) with the session time zone set to UTC.

    A DuckDB file path gives a DuckDB connection; a PostgreSQL URL a
    :class:`cxex_analysis.store.postgres.Connection`, which answers the same calls.
    """
    where = Warehouse.parse(warehouse)
    if where.is_postgres:
        return postgres.Connection(where.location, read_only=read_only)
    path = where.path
    if not path.exists():
        raise CxexError(
            f"{path}: warehouse not found. Expected a DuckDB file made by "
            f"`cxex ingest --data DIR --warehouse {path}` (or `make demo`).")
    con = _kept_open(path) if read_only and os.environ.get(KEEP_OPEN) == "1" else duckdb.connect(
        str(path), read_only=read_only)
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
    return _remembered(con, "location", lambda: scalar(con,
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"))


def identity(con) -> str:
    """Names the warehouse a connection reads, and its version (file time or load time)."""
    if getattr(con, "backend", "duckdb") == "postgres":
        return con.identity
    path = location(con)
    stamp = Path(path).stat().st_mtime if path and Path(path).exists() else 0
    return f"{path}:{stamp}"


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the warehouse holds table or view ``name``."""
    if isinstance(con, postgres.Connection):
        return con.has_table(name)
    return name in _remembered(con, "tables", lambda: {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database()").fetchall()})


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The columns of table ``name`` in the warehouse, in order (none if it is absent)."""
    if not has_table(con, name):
        return []
    return list(_remembered(con, f"columns of {name}", lambda: [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() AND table_catalog = current_database() "
        "ORDER BY ordinal_position", [name]).fetchall()]))


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


def _with_unit(con, table: str, columns: Sequence[str] | None) -> pd.DataFrame:
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


def customer_responses(con, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Customer survey rows (all columns, or ``columns``) with their unit's region and type."""
    return _with_unit(con, "customer_survey", columns)
