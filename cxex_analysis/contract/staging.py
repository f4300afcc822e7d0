"""Staging: each file read as text into DuckDB, its columns mapped to the contract, rows the
reader cannot parse kept with their line number and reason.

Row numbers: for CSV and Excel, ``row`` is the row as a spreadsheet shows it (the header is
row 1, the first data row is row 2; for CSV this is the line number). For Parquet, ``row`` is
the 1-based record number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cxex_analysis.contract.files import (
    MAX_LINE_BYTES,
    SCRATCH,
    SUPPORTED_SUFFIXES,
    import_ids,
    is_qualtrics_export,
    normalise_column_name,
    sniff_text_head,
)
from cxex_analysis.contract.tables import Column, Table
from cxex_analysis.errors import UnusableFileError

#: Longest raw value kept in the quarantine table (the rest is cut, marked with "…").
QUARANTINE_VALUE_CHARS = 200


_TRUE = ("true", "t", "yes", "y", "1")


_FALSE = ("false", "f", "no", "n", "0")


def sql_quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def scalar(con, sql: str, parameters: list | None = None):
    """The one value a query returns (None when it returns no row)."""
    row = (con.execute(sql) if parameters is None else con.execute(sql, parameters)).fetchone()
    return None if row is None else row[0]


@dataclass
class Staged:
    """A file staged for checking.

    ``relation`` is a temp view with ``_row`` (the row number users see) and, per contract
    column present, ``t_<name>`` (typed) — plus ``v_<name>`` (trimmed text) on the text
    path, where parsing is one of the checks. On the fast CSV path DuckDB parses numbers and
    timestamps while reading, and rows it cannot parse arrive as ``rejects``.
    """

    relation: str
    raw: str
    columns: list[str]  # contract names present, in file order
    ignored: list[str]
    rows_read: int
    format: str
    encoding: str | None
    qualtrics: bool
    text_path: bool
    rejects: list[tuple[int, str | None, str, str | None, int]]  # row, column, reason, value, issues
    stage: duckdb.DuckDBPyConnection  # the connection that holds ``raw``
    view_sql: str = ""  # the SELECT behind ``relation``, created when the checks begin


#: How each kind is read on the fast CSV path (None: read as text, converted in SQL).
_CSV_READ_TYPE = {"integer": "DOUBLE", "number": "DOUBLE", "timestamp": "TIMESTAMPTZ"}


_PARSE_REASON = {
    "integer": "not a number (expected {expected})",
    "number": "not a number (expected {expected})",
    "date": "not a date (expected an ISO 8601 date such as 2025-03-31)",
    "timestamp": "not a timestamp (expected ISO 8601 such as 2025-03-31T14:05:00)",
    "boolean": "not true/false (expected true/false, yes/no, y/n or 1/0)",
}


def parse_reason(column: Column) -> str:
    template = _PARSE_REASON.get(column.kind, "could not be read (expected {expected})")
    return template.format(expected=column.expected())


def _map_columns(path: Path, table: Table, originals: list[str],
                 renames: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Contract name -> original header, and the ignored headers; clashes are unusable."""
    normalised: dict[str, str] = {}
    ignored: list[str] = []
    for original in originals:
        target = renames.get(original.strip()) or normalise_column_name(original)
        if not target:
            ignored.append(original)
            continue
        if target in normalised:
            raise UnusableFileError(
                str(path), f"two columns both mean '{target}' ('{normalised[target]}' and "
                f"'{original}')", column=target, expected="each column once")
        normalised[target] = original
    kept = {}
    for target, original in normalised.items():
        if table.column(target) is None:
            ignored.append(original)
        else:
            kept[target] = original
    return kept, ignored


def _text_typed_sql(column: Column, v: str) -> str:
    """Typed value from trimmed text (text path, and text-read kinds on the fast path)."""
    if column.kind in ("string", "text"):
        if column.allowed:
            allowed = ", ".join(sql_literal(a) for a in column.allowed)
            return f"CASE WHEN {v} IN ({allowed}) THEN {v} ELSE lower({v}) END"
        return v
    if column.kind == "integer" or column.kind == "number":
        return f"TRY_CAST({v} AS DOUBLE)"
    if column.kind == "date":
        return f"COALESCE(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    if column.kind == "timestamp":
        return f"make_timestamp(epoch_us(TRY_CAST({v} AS TIMESTAMPTZ)))"
    if column.kind == "boolean":
        true = ", ".join(sql_literal(x) for x in _TRUE)
        false = ", ".join(sql_literal(x) for x in _FALSE)
        return (f"CASE WHEN lower({v}) IN ({true}) THEN true "
                f"WHEN lower({v}) IN ({false}) THEN false END")
    raise ValueError(f"unknown column kind {column.kind!r}")  # pragma: no cover


def _blank_to_null(expr: str, column: Column) -> str:
    """Blank as NULL; other text trimmed of surrounding spaces (free text kept as written).

    Trimming allocates a new string, so it is done only where a value starts or ends with a
    space: on ten million rows this is several times cheaper than trimming every value.
    """
    padded = f"({expr} ^@ ' ' OR suffix({expr}, ' '))"
    if column.kind == "text":
        return f"CASE WHEN {expr} = '' OR ({padded} AND trim({expr}) = '') THEN NULL ELSE {expr} END"
    return f"CASE WHEN {expr} = '' THEN NULL WHEN {padded} THEN NULLIF(trim({expr}), '') ELSE {expr} END"


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, table: Table,
           mapping: dict[str, dict[str, Any]]) -> Staged:
    """Stage ``path`` for checking (see :class:`Staged`)."""
    suffix = path.suffix.lower()
    raw = f"{SCRATCH}.raw_{table.name}"
    view = f"stg_{table.name}"
    # files are read through a second connection, in its own (auto-committed) transactions:
    # a file DuckDB cannot read must not abort the ingest's transaction
    stage = con.cursor()
    stage.execute("SET TimeZone = 'UTC'")
    con.execute(f"DROP VIEW IF EXISTS {view}")
    stage.execute(f"DROP TABLE IF EXISTS {raw}")
    if path.stat().st_size == 0:
        raise UnusableFileError(str(path), "is empty (0 bytes)",
                                expected="a header row naming the columns, then data rows")
    if suffix == ".csv":
        head, encoding = sniff_text_head(path)
        if not head or not any(cell.strip() for cell in head[0]):
            raise UnusableFileError(str(path), "has no header row",
                                    expected="a header row naming the columns")
        seen: dict[str, str] = {}
        for original in head[0]:
            name = normalise_column_name(original)
            if name and name in seen and table.column(name) is not None:
                raise UnusableFileError(
                    str(path), f"two columns both mean '{name}' ('{seen[name]}' and '{original}')",
                    column=name, expected="each column once")
            seen.setdefault(name, original)
        if is_qualtrics_export(head):
            return _stage_text(con, stage, path, table, mapping, raw, view, head, encoding)
        return _stage_csv_fast(con, stage, path, table, raw, view, encoding,
                               mapping.get(table.name, {}))
    return _stage_text(con, stage, path, table, mapping, raw, view, None, None)


def _renames(originals: list[str], spec: dict[str, Any]) -> dict[str, str]:
    """The mapping's renames of a plain export's headers (by column name)."""
    columns = spec.get("columns", {})
    return {o.strip(): columns[o.strip()] for o in originals if o.strip() in columns}


def _stage_csv_fast(con: duckdb.DuckDBPyConnection, stage: duckdb.DuckDBPyConnection,
                    path: Path, table: Table, raw: str, view: str, encoding: str,
                    spec: dict[str, Any] | None = None) -> Staged:
    """Plain CSV: DuckDB parses numbers and timestamps while reading, in parallel; the
    mapping's ``spec`` for the table renames headers and adds constant columns (a
    platform's export in its own words)."""
    spec = spec or {}
    last_error: Exception | None = None
    tried = [encoding] + [e for e in ("utf-8", "latin-1") if e != encoding]
    fallback = None  # an encoding that read the file with some undecodable lines
    while tried:
        attempt = tried.pop(0)
        options = (f"header=true, store_rejects=true, rejects_table='__rejects', "
                   f"rejects_scan='__reject_scans', max_line_size={MAX_LINE_BYTES}, "
                   f"encoding={sql_literal(attempt)}")
        stage.execute("DROP TABLE IF EXISTS __rejects")
        stage.execute("DROP TABLE IF EXISTS __reject_scans")
        try:
            originals = [r[0] for r in stage.execute(
                f"DESCRIBE SELECT * FROM read_csv({sql_literal(str(path))}, all_varchar=true, "
                f"sample_size=2048, {options})").fetchall()]
            columns, ignored = _map_columns(path, table, originals, _renames(originals, spec))
            types = {original: _CSV_READ_TYPE.get(table.known(name).kind, "VARCHAR")
                     for name, original in columns.items()}
            types.update({original: "VARCHAR" for original in originals
                          if original not in types})
            type_sql = "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in types.items()) + "}"
            # values are normalised once, while reading: later passes only read columns
            select = []
            for name, original in columns.items():
                column = table.known(name)
                quoted = sql_quote(original)
                if column.kind in ("integer", "number"):
                    select.append(f"{quoted} AS t_{name}")
                elif column.kind == "timestamp":
                    select.append(f"make_timestamp(epoch_us({quoted})) AS t_{name}")
                else:
                    v = _blank_to_null(quoted, column)
                    if column.kind in ("date", "boolean"):
                        select.append(f"{v} AS v_{name}")
                    select.append(f"{_text_typed_sql(column, v)} AS t_{name}")
            select += _constant_selects(table, _constants(table, columns, spec))
            stage.execute(f"CREATE TABLE {raw} AS SELECT {', '.join(select) or '1 AS _none'} "
                        f"FROM read_csv({sql_literal(str(path))}, {options}, types={type_sql})")
        except duckdb.Error as error:
            last_error = error
            continue
        bad_encoding = scalar(stage,
            "SELECT count(*) FROM __rejects WHERE error_type ILIKE '%unicode%' "
            "OR error_type ILIKE '%encoding%'")
        if bad_encoding and attempt != fallback and (tried or fallback is None):
            # some lines are not valid in this encoding: try the next one, and if none
            # reads the file cleanly, come back and quarantine just those lines
            stage.execute(f"DROP TABLE {raw}")
            if fallback is None:
                fallback = attempt
                tried.append(attempt)
            continue
        encoding = attempt
        break
    else:
        text = str(last_error or "")
        if "Maximum line size" in text:
            raise UnusableFileError(
                str(path), f"has a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB",
                expected="one row per line, each under that size (check for a missing closing "
                         "quote or an embedded file)") from None
        raise UnusableFileError(
            str(path), f"cannot be read as CSV ({_first_line(last_error or Exception('unknown'))})",
            expected="a comma-separated text file, UTF-8 or latin-1, with a header row") from None

    rejects = _csv_rejects(stage, table, columns)
    row_expr = _number_csv_lines(stage, raw, sorted({r[0] for r in rejects}))
    kept = [c for c in (r[0] for r in stage.execute(f"DESCRIBE {raw}").fetchall()) if c != "__line"]
    view_sql = f"SELECT CAST({row_expr} AS BIGINT) AS _row, {', '.join(kept)} FROM {raw}"
    rows_read = scalar(stage, f"SELECT count(*) FROM {raw}") + len(
        {r[0] for r in rejects})
    names = list(columns) + list(_constants(table, columns, spec))
    return Staged(view, raw, names, ignored, rows_read, "csv", encoding, False, False,
                   rejects, stage, view_sql)


def _constant_selects(table: Table, constants: dict[str, Any]) -> list[str]:
    """The fast path's select items of the mapping's constant columns (typed as read)."""
    select = []
    for name, value in constants.items():
        column, v = table.known(name), sql_literal(str(value))
        if column.kind in ("date", "boolean"):
            select.append(f"{v} AS v_{name}")
        select.append(f"{_text_typed_sql(column, v)} AS t_{name}")
    return select


def _constants(table: Table, columns: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """The mapping's constant columns the file does not have."""
    return {name: value for name, value in spec.get("constants", {}).items()
            if name not in columns and table.column(name) is not None}


def _stage_text(con: duckdb.DuckDBPyConnection, stage: duckdb.DuckDBPyConnection,
                path: Path, table: Table,
                mapping: dict[str, dict[str, Any]], raw: str, view: str,
                head: list[list[str]] | None, encoding: str | None) -> Staged:
    """Qualtrics CSV, Excel and Parquet: every value as text, parsed by the checks."""
    suffix = path.suffix.lower()
    qualtrics = head is not None
    renames: dict[str, str] = {}
    rejects: list = []
    if head is not None:
        columns_map = mapping.get(table.name, {}).get("columns", {})
        for header, import_id in zip(head[0], import_ids(head)):
            target = columns_map.get(header) or columns_map.get(import_id)
            if target:
                renames[header.strip()] = target
        try:
            stage.execute(
                f"CREATE TABLE {raw} AS SELECT * FROM read_csv({sql_literal(str(path))}, "
                f"all_varchar=true, header=true, max_line_size={MAX_LINE_BYTES}, "
                f"encoding={sql_literal(encoding or 'utf-8')})")
        except duckdb.Error as error:
            raise UnusableFileError(str(path), f"cannot be read as CSV ({_first_line(error)})",
                                    expected="a Qualtrics CSV export") from None
        base = scalar(stage, f"SELECT coalesce(min(rowid), 0) FROM {raw}")
        row_expr, where = f"(rowid - {base} + 2)", f"WHERE (rowid - {base} + 2) > 3"
        fmt = "qualtrics_csv"
    elif suffix == ".parquet":
        try:
            stage.execute(f"CREATE TABLE {raw} AS SELECT * FROM "
                        f"read_parquet({sql_literal(str(path))}, file_row_number=true)")
        except duckdb.Error as error:
            raise UnusableFileError(str(path), f"cannot be read as Parquet ({_first_line(error)})",
                                    expected="a Parquet file") from None
        row_expr, where, fmt = "(file_row_number + 1)", "", "parquet"
    elif suffix == ".xlsx":

        try:
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False,
                                  na_values=[""], engine="openpyxl")
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            raise UnusableFileError(
                str(path), f"cannot be read as Excel ({_first_line(error)})",
                expected="an .xlsx workbook whose first sheet has a header row") from None
        frame.columns = [str(c) for c in frame.columns]
        frame.insert(0, "__xl_row", range(2, len(frame) + 2))
        stage.register("__excel_frame", frame)
        stage.execute(f"CREATE TABLE {raw} AS SELECT * FROM __excel_frame")
        stage.unregister("__excel_frame")
        row_expr, where, fmt = "__xl_row", "", "xlsx"
    else:  # pragma: no cover - find_table_file filters suffixes
        raise UnusableFileError(str(path), "has an unsupported type",
                                expected=", ".join(SUPPORTED_SUFFIXES))

    originals = [r[0] for r in stage.execute(f"DESCRIBE {raw}").fetchall()
                 if r[0] not in ("file_row_number", "__xl_row")]
    spec = mapping.get(table.name, {})
    columns, ignored = _map_columns(path, table, originals,
                                    renames if qualtrics else _renames(originals, spec))
    constants = spec.get("constants", {})
    select = [f"CAST({row_expr} AS BIGINT) AS _row"]
    names = list(columns)
    for name, original in columns.items():
        column = table.known(name)
        v = _blank_to_null(f"CAST({sql_quote(original)} AS VARCHAR)", column)
        select.append(f"{v} AS v_{name}")
    for name, value in constants.items():
        if name not in columns and table.column(name) is not None:
            names.append(name)
            select.append(f"{sql_literal(str(value))} AS v_{name}")
    typed = ", ".join(f"{_text_typed_sql(table.known(n), 'v_' + n)} AS t_{n}" for n in names)
    view_sql = (f"SELECT *{', ' + typed if typed else ''} FROM "
                f"(SELECT {', '.join(select)} FROM {raw} {where})")
    rows_read = scalar(stage, f"SELECT count(*) FROM ({view_sql})")
    return Staged(view, raw, names, ignored, rows_read, fmt, encoding, qualtrics, True, rejects,
                   stage, view_sql)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _number_csv_lines(con: duckdb.DuckDBPyConnection, name: str, rejected: list[int]) -> str:
    """SQL for the file line of each parsed row (DuckDB keeps rows in file order).

    Without rejected lines the line is the rowid plus 2 (the header is line 1; rowids are
    contiguous but start at an offset inside a transaction). With rejected lines, parsed
    rows fill the remaining line numbers in order.
    """
    base = scalar(con, f"SELECT coalesce(min(rowid), 0) FROM {name}")
    if not rejected:
        return f"(rowid - {base} + 2)"
    if len(rejected) <= 256:
        # parsed row r (0-based) sits on line r + 2 + (rejected lines before it); it has j
        # of them once r >= R_j - 1 - j (R_j the j-th rejected line, 1-based j): a sum of
        # comparisons, computed while reading instead of an UPDATE of every row
        steps = " + ".join(f"CAST(rowid - {base} >= {line - 1 - j} AS BIGINT)"
                           for j, line in enumerate(sorted(rejected), start=1))
        return f"(rowid - {base} + 2 + {steps})"

    total = scalar(con, f"SELECT count(*) FROM {name}")
    lines = np.setdiff1d(np.arange(2, total + len(rejected) + 2), np.asarray(rejected))[:total]
    mapping = pd.DataFrame({"__rid": np.arange(total), "__ln": lines})
    con.execute(f"ALTER TABLE {name} ADD COLUMN __line BIGINT")
    con.register("__line_map", mapping)
    con.execute(f"UPDATE {name} SET __line = m.__ln FROM __line_map m "
                f"WHERE {name}.rowid - {base} = m.__rid")
    con.unregister("__line_map")
    return "__line"


def _csv_rejects(con: duckdb.DuckDBPyConnection, table: Table,
                 columns: dict[str, str]) -> list[tuple[int, str | None, str, str | None, int]]:
    """Rows DuckDB could not parse, as quarantine entries (first problem per line)."""
    by_original = {original: name for name, original in columns.items()}
    rows = con.execute(
        "SELECT line, column_name, error_type, error_message, csv_line FROM __rejects "
        "ORDER BY line, column_idx").fetchall()
    con.execute("DROP TABLE IF EXISTS __rejects")
    con.execute("DROP TABLE IF EXISTS __reject_scans")
    entries: dict[int, list] = {}
    for line, column_name, error_type, message, csv_line in rows:
        line = int(line)
        name = by_original.get(column_name)
        if str(error_type).upper() == "CAST" and name is not None:
            reason = parse_reason(table.known(name))
            value = _value_from_message(message)
        else:
            kind = str(error_type).lower().replace("_", " ")
            reason = f"row could not be parsed: {kind} ({_first_line(Exception(message))})"
            name, value = None, (csv_line or "")[:QUARANTINE_VALUE_CHARS]
        if line in entries:
            entries[line][4] += 1
        else:
            entries[line] = [line, name, reason, value, 1]
    return [tuple(e) for e in entries.values()]


def _value_from_message(message: str) -> str | None:
    match = re.search(r'Could not convert string "(.*?)" to', str(message), flags=re.DOTALL)
    if match:
        return match.group(1)[:QUARANTINE_VALUE_CHARS]
    match = re.search(r"'(.*?)'", str(message), flags=re.DOTALL)
    return match.group(1)[:QUARANTINE_VALUE_CHARS] if match else None
