"""PostgreSQL as the warehouse: a shared database instead of the embedded DuckDB file.

``--warehouse postgresql://user@host:5432/db`` (any SQLAlchemy PostgreSQL URL; the driver is
psycopg 3) stores the same tables as the DuckDB warehouse, in schema ``cxex`` unless the
URL names another with ``?schema=NAME``. Ingest still checks the files with DuckDB (the
contract's SQL, the quarantine), in memory, then replaces the tables in PostgreSQL in one
transaction (binary ``COPY`` from Arrow record batches, through the ADBC PostgreSQL
driver), so a failed ingest leaves the database as it was and readers never see half a
load. The analyses then run their SQL in PostgreSQL: :class:`Connection` gives
the few calls they use (``execute(sql, params)``, ``fetchone``, ``fetchall``, ``df``) the
same meaning as DuckDB's.

Passwords: prefer ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads both). A password written in
the URL is moved into ``PGPASSWORD`` for the notebooks' kernels and never written to a
report, a manifest or a log.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import adbc_driver_postgresql.dbapi as adbc
import pandas as pd
from psycopg.types.numeric import FloatLoader
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from cxex_analysis.contract.staging import scalar
from cxex_analysis.errors import CxexError
from cxex_analysis.progress import Progress

SCHEMES = ("postgresql", "postgres")

#: Rows per Arrow record batch sent through COPY (bounded memory for any table size).
COPY_BATCH_ROWS = 500_000


DEFAULT_SCHEMA = "cxex"


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_url(target) -> bool:
    """True when ``target`` is a PostgreSQL URL rather than a DuckDB file path."""
    if target is None or isinstance(target, Path):
        return False
    text = str(target)
    return any(text.startswith(f"{scheme}://") or text.startswith(f"{scheme}+")
               for scheme in SCHEMES)


def _parse(url: str):
    """(SQLAlchemy URL with the psycopg driver and no ``schema`` query, schema name)."""
    bare, password = without_password(url)
    try:
        parsed = make_url(bare)
        parsed.port  # noqa: B018 -- a port that is not a number fails here, not at connect
    except (ArgumentError, ValueError) as error:
        raise CxexError(f"{redact(url)}: not a PostgreSQL URL ({scrub(str(error), url)}). Expected "
                        "postgresql://USER@HOST:PORT/DATABASE[?schema=NAME].") from None
    schema = parsed.query.get("schema", DEFAULT_SCHEMA)
    if isinstance(schema, tuple):
        schema = schema[-1]
    if not _IDENTIFIER.match(schema):
        raise CxexError(f"{redact(url)}: schema {schema!r} must be letters, digits and "
                        "underscores (starting with a letter).")
    parsed = parsed.difference_update_query(["schema"]).set(drivername="postgresql+psycopg")
    return (parsed if password is None else parsed.set(password=password)), schema


#: A password given as a query parameter (``?password=…``, libpq's spelling).
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)

MASK = "***"


def _parts(url: str) -> tuple[str, str | None, str | None, str]:
    """(``scheme://``, user, password, what follows the ``@``) of a URL as written.

    The user part ends at the URL's *last* ``@``, so an unencoded ``@`` in a password stays
    in the password (an ``@`` in a query value is read as part of the user part: it is then
    hidden, never shown). User and password are None when the URL has none.
    """
    text = str(url)
    head, sep, rest = text.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return (head + sep, None, None, rest) if sep else (text, None, None, "")
    user, colon, password = rest[:at].partition(":")
    return head + sep, user, password if colon else None, rest[at + 1:]


def _join(head: str, user: str | None, password: str | None, rest: str) -> str:
    if not user and password is None:
        return head + rest
    return head + (user or "") + ("" if password is None else ":" + password) + "@" + rest


def redact(url: str) -> str:
    """The URL with any password (``user:…@`` or ``?password=…``) replaced by ``***``: the one
    form of a warehouse URL that messages, manifests, logs and reports show."""
    head, user, password, rest = _parts(url)
    rest = _QUERY_PASSWORD.sub(lambda m: m.group(1) + MASK, rest)
    return _join(head, user, None if password is None else MASK, rest)


def without_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password decoded, or None): the password may be
    in the user part or a ``password`` query parameter (the last one given wins, as in libpq)."""
    head, user, password, rest = _parts(url)
    given = [] if password is None else [unquote(password)]
    given += [unquote(m.group(2)) for m in _QUERY_PASSWORD.finditer(rest)]
    rest = _QUERY_PASSWORD.sub("", rest)
    if "?" not in rest and "&" in rest:  # the password was the first parameter
        rest = rest.replace("&", "?", 1)
    return _join(head, user, None, rest), (given[-1] if given else None)


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's message) with the password of ``url`` hidden wherever it appears."""
    _, password = without_password(url)
    text = str(text).replace(str(url), redact(url))
    for secret in {secret for secret in (password, quote(password or "", safe="")) if secret}:
        text = text.replace(secret, MASK)
    return text


def _raw_connection(url: str):
    """A psycopg connection (autocommit off) and the schema, numerics loaded as floats."""
    parsed, schema = _parse(url)
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        raw = engine.raw_connection()
    except Exception as error:  # OperationalError and friends, with the server's reason
        reason = scrub(str(getattr(error, "orig", error)).strip().splitlines()[0], url)
        raise CxexError(f"{redact(url)}: cannot connect to PostgreSQL ({reason}).") from None
    connection: Any = raw.driver_connection  # psycopg's, once connected
    # NUMERIC (what PostgreSQL's avg() and 100.0 * x return) as float, as DuckDB gives DOUBLE
    connection.adapters.register_loader("numeric", FloatLoader)
    return raw, connection, schema


class Connection:
    """The DuckDB-like subset of a connection that cxex's analyses use, on PostgreSQL.

    ``?`` placeholders are translated to psycopg's; results are read into pandas with
    dates and timestamps as ``datetime64`` and NUMERIC as float, as DuckDB's ``.df()`` does.
    """

    backend = "postgres"

    def __init__(self, url: str, read_only: bool = True):
        self.url = str(url)
        self._raw, self._connection, self.schema = _raw_connection(self.url)
        self._cursor: Any = None  # the last statement's psycopg cursor
        with self._connection.cursor() as cursor:
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute(f'SET search_path = "{self.schema}"')
            if read_only:
                cursor.execute("SET default_transaction_read_only = on")
        self._connection.commit()
        self._connection.autocommit = True

    @property
    def identity(self) -> str:
        """Names this warehouse (and its version) for caches: URL without password + load time."""
        stamp = ""
        if self.has_table("ingest_info"):
            stamp = str(scalar(self, "SELECT max(ingested_at) FROM ingest_info"))
        return f"{redact(self.url)}#{self.schema}:{stamp}"

    def has_table(self, name: str) -> bool:
        return bool(scalar(self,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?", [self.schema, name]))

    def execute(self, sql: str, params=None) -> Connection:
        if self._cursor is not None:
            self._cursor.close()
        self._cursor = self._connection.cursor()
        if params is not None:
            sql = _placeholders(sql)
            params = [_python(v) for v in params]
        self._cursor.execute(sql, params)
        return self

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    def df(self) -> pd.DataFrame:
        names = [c.name for c in self._cursor.description]
        frame = pd.DataFrame.from_records(self._cursor.fetchall(), columns=names, coerce_float=True)
        for column in frame.columns:
            values = frame[column]
            if values.dtype != object:
                continue
            sample = values.dropna()
            if sample.empty:
                continue
            first = sample.iloc[0]
            if isinstance(first, (dt.date, dt.datetime)):
                frame[column] = pd.to_datetime(values)
        return frame

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _python(value):
    """numpy scalars as Python values, which psycopg adapts."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _placeholders(sql: str) -> str:
    """DuckDB's ``?`` to psycopg's ``%s`` (and a literal ``%`` to ``%%``), outside quotes."""
    out, quote = [], None
    for char in sql:
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


#: DuckDB type -> (PostgreSQL column type, DuckDB type the rows are cast to on the way), so
#: that the Arrow type of each column is the one PostgreSQL's binary COPY expects.
_TYPES = {
    "VARCHAR": ("TEXT", "VARCHAR"), "BIGINT": ("BIGINT", "BIGINT"),
    "INTEGER": ("INTEGER", "INTEGER"), "SMALLINT": ("SMALLINT", "SMALLINT"),
    "TINYINT": ("SMALLINT", "SMALLINT"), "UTINYINT": ("SMALLINT", "SMALLINT"),
    "USMALLINT": ("INTEGER", "INTEGER"), "UINTEGER": ("BIGINT", "BIGINT"),
    "DOUBLE": ("DOUBLE PRECISION", "DOUBLE"), "FLOAT": ("REAL", "FLOAT"),
    "BOOLEAN": ("BOOLEAN", "BOOLEAN"), "DATE": ("DATE", "DATE"),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP"),
    "TIMESTAMP WITH TIME ZONE": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
}


def _column_type(duckdb_type: str) -> tuple[str, str]:
    """(PostgreSQL type, DuckDB cast) of a column; decimals and huge integers as NUMERIC,
    anything else (lists, NULL-typed columns of empty tables) as text."""
    t = duckdb_type.upper()
    if t.startswith(("DECIMAL", "NUMERIC")):
        return t.replace("DECIMAL", "NUMERIC"), t
    if t in ("HUGEINT", "UBIGINT", "UHUGEINT"):
        return "NUMERIC", "DECIMAL(38, 0)"
    return _TYPES.get(t, ("TEXT", "VARCHAR"))


def _adbc_uri(url: str) -> str:
    """The libpq URI of ``url`` (no driver name, no ``schema`` query)."""
    parsed, _ = _parse(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def publish(staging, url: str, tables: list[str], drop: list[str], item_columns: list[str],
            progress: Callable[[str], None] | None = None) -> None:
    """Replace ``tables`` (from the DuckDB connection ``staging``) in PostgreSQL, drop ``drop``.

    One transaction: the old tables stay visible to readers until it commits, and any
    failure rolls everything back. Each table travels as Arrow record batches through
    PostgreSQL's binary ``COPY`` (the ADBC PostgreSQL driver), with no text round trip;
    ``progress`` (e.g. ``print``) receives the rows loaded.
    """
    _, schema = _parse(url)
    try:
        uri = _adbc_uri(url)
        connection = adbc.connect(uri)
    except adbc.Error as error:
        reason = scrub(scrub(str(error).strip().splitlines()[0], uri), url)
        raise CxexError(f"{redact(url)}: cannot connect to PostgreSQL ({reason}).") from None
    rows = sum(scalar(staging, f'SELECT count(*) FROM "{name}"') for name in tables)
    try:
        with connection.cursor() as cursor, \
                Progress("loading into PostgreSQL", rows, "rows", progress) as loading:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cursor.execute(f'SET search_path = "{schema}"')
            cursor.execute("DROP VIEW IF EXISTS employee_item_responses")
            for name in drop:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            for name in tables:
                loading.advance(_copy_table(staging, cursor, schema, name))
            if "employee_survey" in tables and item_columns:
                pairs = ", ".join(f"('{c}', {c})" for c in item_columns)
                cursor.execute(
                    "CREATE VIEW employee_item_responses AS SELECT e.response_id, e.unit_id, "
                    "e.wave, e.role, v.item, v.score FROM employee_survey e CROSS JOIN LATERAL "
                    f"(VALUES {pairs}) AS v(item, score) WHERE v.score IS NOT NULL")
        connection.commit()
        connection.adbc_connection.set_autocommit(True)
        with connection.cursor() as cursor:  # planner statistics for the panels' aggregations
            for name in tables:
                cursor.execute(f'ANALYZE "{schema}"."{name}"')
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _copy_table(staging, cursor, schema: str, name: str) -> int:
    """Create table ``name`` as in DuckDB and copy its rows (binary COPY); return their count."""
    described = staging.execute(f'DESCRIBE "{name}"').fetchall()
    types = [(column[0], *_column_type(column[1])) for column in described]
    cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
    cursor.execute(f'CREATE TABLE "{name}" ('
                   + ", ".join(f'"{c}" {pg_type}' for c, pg_type, _ in types) + ")")
    select = ", ".join(f'CAST("{c}" AS {cast}) AS "{c}"' for c, _, cast in types)
    batches = staging.sql(f'SELECT {select} FROM "{name}"').to_arrow_reader(COPY_BATCH_ROWS)
    return max(0, cursor.adbc_ingest(name, batches, mode="append", db_schema_name=schema))


def export_password(url: str) -> str:
    """Move a password written in ``url`` into ``PGPASSWORD``; return the URL without it."""
    bare, password = without_password(url)
    if password is not None:
        os.environ["PGPASSWORD"] = password
    return bare
