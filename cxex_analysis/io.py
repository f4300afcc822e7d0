"""Read contract files, check every rule of the data contract, quarantine bad rows.

Files may be CSV (UTF-8 with or without BOM, or latin-1), Parquet or Excel (first sheet),
or a Qualtrics-style CSV export (header row, question-text row, import-id row) whose columns
are mapped through a YAML file. Column names are normalised (case, spaces, punctuation).

The checks run as SQL inside DuckDB, generated from :mod:`cxex_analysis.contract`: every
file is staged as text, each row gets the first rule it breaks (file, row, column, reason,
value), rows that break none are cast to their contract types. Rows read = rows accepted +
rows quarantined, always. A file that cannot be used at all raises
:class:`~cxex_analysis.errors.UnusableFileError` naming the file, the column and what was
expected.

Why SQL and not pandera: the contract has to be checked at more than a million rows a second
(``benchmarks/ingest.py``); pandera's pandas backend materialises every row in pandas and
collects failure cases per check, several times slower here, and the DuckDB staging is needed
anyway for the warehouse. The contract stays declarative in one place
(:mod:`cxex_analysis.contract`), which is what pandera would have given us.

Row numbers: for CSV and Excel, ``row`` is the row as a spreadsheet shows it (the header is
row 1, the first data row is row 2; for CSV this is the line number). For Parquet, ``row`` is
the 1-based record number.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from .contract import KIND_SQL_TYPE, SURVEY_TABLES, TABLES, Column, Table
from .errors import UnusableFileError

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".xlsx")
MAPPING_FILE_NAMES = ("qualtrics_mapping.yaml", "qualtrics_mapping.yml")
#: Longest raw value kept in the quarantine table (the rest is cut, marked with "…").
QUARANTINE_VALUE_CHARS = 200
#: A CSV line longer than this is quarantined as unparseable (a 100,000-character comment is
#: fine). DuckDB sizes its read buffers from it: 64 MB made reading several times slower.
MAX_LINE_BYTES = 2 * 1024 * 1024

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")

QUARANTINE_COLUMNS = ("table_name", "file", "row", "column_name", "reason", "value", "issues")


def quiet_progress(con: duckdb.DuckDBPyConnection) -> None:
    """Keep DuckDB's progress bar off terminals and logs.

    Inside Jupyter DuckDB refuses to change the setting without ipywidgets; it shows no bar
    there in that case anyway.
    """
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass


SCRATCH = "cxex_scratch"


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Session settings and the in-memory scratch database files are staged in.

    Call before a transaction begins (ATTACH cannot run inside one).
    """
    con.execute("SET TimeZone = 'UTC'")
    quiet_progress(con)
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCRATCH}")


def normalise_column_name(name: str) -> str:
    """Lower case, surrounding spaces removed, other punctuation and spaces as ``_``.

    >>> normalise_column_name("  Unit ID ")
    'unit_id'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@dataclass
class TableReport:
    """What happened to one table's file."""

    table: str
    file: str | None = None
    status: str = "missing"  # ok | missing | unusable | not_checked
    format: str | None = None
    encoding: str | None = None
    qualtrics: bool = False
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    error: str | None = None
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationReport:
    """Per-table reports for one data directory."""

    data_dir: str
    tables: dict[str, TableReport]

    @property
    def usable(self) -> bool:
        return not any(report.status == "unusable" for report in self.tables.values())

    @property
    def errors(self) -> list[str]:
        return [report.error for report in self.tables.values()
                if report.status == "unusable" and report.error]

    def raise_if_unusable(self) -> None:
        for report in self.tables.values():
            if report.status == "unusable":
                raise report._exception  # type: ignore[attr-defined]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: report.as_dict() for name, report in self.tables.items()}


# --------------------------------------------------------------------------------------
# finding and staging files
# --------------------------------------------------------------------------------------

def find_table_file(data_dir: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``data_dir`` (``units.csv``, ``Units.xlsx`` …), or None."""
    matches = sorted(
        path for path in Path(data_dir).iterdir()
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES
        and normalise_column_name(path.stem) == table
    )
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        raise UnusableFileError(
            str(Path(data_dir) / table), f"more than one file holds this table ({names})",
            expected="exactly one of " + ", ".join(table + s for s in SUPPORTED_SUFFIXES))
    return matches[0] if matches else None


def load_mapping(path: Path | None) -> dict[str, dict[str, Any]]:
    """Read a Qualtrics column mapping (YAML), checking its shape.

    The file maps, per table, export column names (or import ids such as ``QID12``) to
    contract columns, and may give constant values::

        customer_survey:
          columns:
            ResponseId: response_id
            RecordedDate: responded_at
            QID7: nps
          constants:
            channel: web
    """
    if path is None:
        return {}
    path = Path(path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise UnusableFileError(str(path), f"cannot be read as YAML ({error})",
                                expected="a mapping of table -> columns/constants") from None
    if not isinstance(content, dict):
        raise UnusableFileError(str(path), "is not a mapping",
                                expected="table names as keys, e.g. 'customer_survey:'")
    mapping: dict[str, dict[str, Any]] = {}
    for table, spec in content.items():
        if table not in {t.name for t in TABLES}:
            raise UnusableFileError(str(path), f"names an unknown table '{table}'",
                                    expected="one of " + ", ".join(t.name for t in TABLES))
        spec = spec or {}
        if not isinstance(spec, dict) or not set(spec) <= {"columns", "constants"}:
            raise UnusableFileError(str(path), f"section '{table}' is malformed",
                                    expected="keys 'columns' and/or 'constants'")
        mapping[table] = {
            "columns": {str(k): normalise_column_name(v)
                        for k, v in (spec.get("columns") or {}).items()},
            "constants": {normalise_column_name(k): v
                          for k, v in (spec.get("constants") or {}).items()},
        }
    return mapping


def _sniff_text_head(path: Path, lines: int = 3) -> tuple[list[list[str]], str]:
    """First rows of a CSV parsed with the csv module, and the encoding that worked."""
    raw = path.open("rb").read(256 * 1024)
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # the cut at 256 KiB may split a multi-byte character: only the head matters
        rows = []
        reader = csv.reader(text.splitlines()[: lines + 20])
        try:
            for row in reader:
                rows.append(row)
                if len(rows) >= lines:
                    break
        except csv.Error:
            pass
        return rows, ("utf-8" if encoding == "utf-8-sig" else encoding)
    return [], "latin-1"  # pragma: no cover - latin-1 decodes any bytes


def is_qualtrics_export(head: list[list[str]]) -> bool:
    """A Qualtrics CSV export has import ids (``{"ImportId":"QID1"}``) in its third row."""
    if len(head) < 3 or not head[2]:
        return False
    marked = sum('"importid"' in cell.replace(" ", "").lower() for cell in head[2])
    return marked >= max(1, len(head[2]) // 2)


def _import_ids(head: list[list[str]]) -> list[str]:
    ids = []
    for cell in head[2]:
        match = re.search(r'"ImportId"\s*:\s*"([^"]+)"', cell, flags=re.IGNORECASE)
        ids.append(match.group(1) if match else "")
    return ids


@dataclass
class _Staged:
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
    stage: duckdb.DuckDBPyConnection | None = None  # the connection that holds ``raw``
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


def _parse_reason(column: Column) -> str:
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
            allowed = ", ".join(_literal(a) for a in column.allowed)
            return f"CASE WHEN {v} IN ({allowed}) THEN {v} ELSE lower({v}) END"
        return v
    if column.kind == "integer" or column.kind == "number":
        return f"TRY_CAST({v} AS DOUBLE)"
    if column.kind == "date":
        return f"COALESCE(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    if column.kind == "timestamp":
        return f"make_timestamp(epoch_us(TRY_CAST({v} AS TIMESTAMPTZ)))"
    if column.kind == "boolean":
        true = ", ".join(_literal(x) for x in _TRUE)
        false = ", ".join(_literal(x) for x in _FALSE)
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


def _stage(con: duckdb.DuckDBPyConnection, path: Path, table: Table,
           mapping: dict[str, dict[str, Any]]) -> _Staged:
    """Stage ``path`` for checking (see :class:`_Staged`)."""
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
        head, encoding = _sniff_text_head(path)
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
        return _stage_csv_fast(con, stage, path, table, raw, view, encoding)
    return _stage_text(con, stage, path, table, mapping, raw, view, None, None)


def _stage_csv_fast(con: duckdb.DuckDBPyConnection, stage: duckdb.DuckDBPyConnection,
                    path: Path, table: Table, raw: str, view: str, encoding: str) -> _Staged:
    """Plain CSV: DuckDB parses numbers and timestamps while reading, in parallel."""
    last_error: Exception | None = None
    tried = [encoding] + [e for e in ("utf-8", "latin-1") if e != encoding]
    fallback = None  # an encoding that read the file with some undecodable lines
    while tried:
        attempt = tried.pop(0)
        options = (f"header=true, store_rejects=true, rejects_table='__rejects', "
                   f"rejects_scan='__reject_scans', max_line_size={MAX_LINE_BYTES}, "
                   f"encoding={_literal(attempt)}")
        stage.execute("DROP TABLE IF EXISTS __rejects")
        stage.execute("DROP TABLE IF EXISTS __reject_scans")
        try:
            originals = [r[0] for r in stage.execute(
                f"DESCRIBE SELECT * FROM read_csv({_literal(str(path))}, all_varchar=true, "
                f"sample_size=2048, {options})").fetchall()]
            columns, ignored = _map_columns(path, table, originals, {})
            types = {original: _CSV_READ_TYPE.get(table.column(name).kind, "VARCHAR")
                     for name, original in columns.items()}
            types.update({original: "VARCHAR" for original in originals
                          if original not in types})
            type_sql = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in types.items()) + "}"
            # values are normalised once, while reading: later passes only read columns
            select = []
            for name, original in columns.items():
                column = table.column(name)
                quoted = _quote(original)
                if column.kind in ("integer", "number"):
                    select.append(f"{quoted} AS t_{name}")
                elif column.kind == "timestamp":
                    select.append(f"make_timestamp(epoch_us({quoted})) AS t_{name}")
                else:
                    v = _blank_to_null(quoted, column)
                    if column.kind in ("date", "boolean"):
                        select.append(f"{v} AS v_{name}")
                    select.append(f"{_text_typed_sql(column, v)} AS t_{name}")
            stage.execute(f"CREATE TABLE {raw} AS SELECT {', '.join(select) or '1 AS _none'} "
                        f"FROM read_csv({_literal(str(path))}, {options}, types={type_sql})")
        except duckdb.Error as error:
            last_error = error
            continue
        bad_encoding = stage.execute(
            "SELECT count(*) FROM __rejects WHERE error_type ILIKE '%unicode%' "
            "OR error_type ILIKE '%encoding%'").fetchone()[0]
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
    rows_read = stage.execute(f"SELECT count(*) FROM {raw}").fetchone()[0] + len(
        {r[0] for r in rejects})
    return _Staged(view, raw, list(columns), ignored, rows_read, "csv", encoding, False, False,
                   rejects, stage, view_sql)


def _stage_text(con: duckdb.DuckDBPyConnection, stage: duckdb.DuckDBPyConnection,
                path: Path, table: Table,
                mapping: dict[str, dict[str, Any]], raw: str, view: str,
                head: list[list[str]] | None, encoding: str | None) -> _Staged:
    """Qualtrics CSV, Excel and Parquet: every value as text, parsed by the checks."""
    suffix = path.suffix.lower()
    qualtrics = head is not None
    renames: dict[str, str] = {}
    rejects: list = []
    if qualtrics:
        columns_map = mapping.get(table.name, {}).get("columns", {})
        for header, import_id in zip(head[0], _import_ids(head)):
            target = columns_map.get(header) or columns_map.get(import_id)
            if target:
                renames[header.strip()] = target
        try:
            stage.execute(
                f"CREATE TABLE {raw} AS SELECT * FROM read_csv({_literal(str(path))}, "
                f"all_varchar=true, header=true, max_line_size={MAX_LINE_BYTES}, "
                f"encoding={_literal(encoding)})")
        except duckdb.Error as error:
            raise UnusableFileError(str(path), f"cannot be read as CSV ({_first_line(error)})",
                                    expected="a Qualtrics CSV export") from None
        base = stage.execute(f"SELECT coalesce(min(rowid), 0) FROM {raw}").fetchone()[0]
        row_expr, where = f"(rowid - {base} + 2)", f"WHERE (rowid - {base} + 2) > 3"
        fmt = "qualtrics_csv"
    elif suffix == ".parquet":
        try:
            stage.execute(f"CREATE TABLE {raw} AS SELECT * FROM "
                        f"read_parquet({_literal(str(path))}, file_row_number=true)")
        except duckdb.Error as error:
            raise UnusableFileError(str(path), f"cannot be read as Parquet ({_first_line(error)})",
                                    expected="a Parquet file") from None
        row_expr, where, fmt = "(file_row_number + 1)", "", "parquet"
    elif suffix == ".xlsx":
        import pandas as pd

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
    columns, ignored = _map_columns(path, table, originals, renames)
    constants = mapping.get(table.name, {}).get("constants", {}) if qualtrics else {}
    select = [f"CAST({row_expr} AS BIGINT) AS _row"]
    names = list(columns)
    for name, original in columns.items():
        column = table.column(name)
        v = _blank_to_null(f"CAST({_quote(original)} AS VARCHAR)", column)
        select.append(f"{v} AS v_{name}")
    for name, value in constants.items():
        if name not in columns and table.column(name) is not None:
            names.append(name)
            select.append(f"{_literal(str(value))} AS v_{name}")
    typed = ", ".join(f"{_text_typed_sql(table.column(n), 'v_' + n)} AS t_{n}" for n in names)
    view_sql = (f"SELECT *{', ' + typed if typed else ''} FROM "
                f"(SELECT {', '.join(select)} FROM {raw} {where})")
    rows_read = stage.execute(f"SELECT count(*) FROM ({view_sql})").fetchone()[0]
    return _Staged(view, raw, names, ignored, rows_read, fmt, encoding, qualtrics, True, rejects,
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
    base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {name}").fetchone()[0]
    if not rejected:
        return f"(rowid - {base} + 2)"
    if len(rejected) <= 256:
        # parsed row r (0-based) sits on line r + 2 + (rejected lines before it); it has j
        # of them once r >= R_j - 1 - j (R_j the j-th rejected line, 1-based j): a sum of
        # comparisons, computed while reading instead of an UPDATE of every row
        steps = " + ".join(f"CAST(rowid - {base} >= {line - 1 - j} AS BIGINT)"
                           for j, line in enumerate(sorted(rejected), start=1))
        return f"(rowid - {base} + 2 + {steps})"
    import numpy as np
    import pandas as pd

    total = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
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
            reason = _parse_reason(table.column(name))
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


# --------------------------------------------------------------------------------------
# SQL for the rules (on typed values t_<name>; v_<name> is the text where it exists)
# --------------------------------------------------------------------------------------

def _checks(column: Column, staged: _Staged, as_of: str, ref_flag: str | None
            ) -> list[tuple[str, str, str | None]]:
    """(SQL true when bad, reason, SQL of the value to show) for one column, in order."""
    t = f"t_{column.name}"
    parsed_from_text = staged.text_path or column.kind in ("date", "boolean")
    shown = f"v_{column.name}" if parsed_from_text else _shown_value(column, t)
    checks: list[tuple[str, str, str | None]] = []
    if not column.nullable:
        blank = f"v_{column.name} IS NULL" if parsed_from_text else f"{t} IS NULL"
        checks.append((blank, "blank (a value is required)", None))
    if parsed_from_text and column.kind not in ("string", "text"):
        checks.append((f"v_{column.name} IS NOT NULL AND {t} IS NULL", _parse_reason(column), shown))
    if column.kind in ("integer", "number"):
        checks.append((f"{t} IS NOT NULL AND NOT isfinite({t})",
                       f"not a number (expected {column.expected()})", shown))
        if column.kind == "integer":
            checks.append((f"{t} IS NOT NULL AND {t} <> floor({t})",
                           f"not a whole number (expected {column.expected()})", shown))
        parts = []
        if column.minimum is not None:
            parts.append(f"{t} < {column.minimum}")
        if column.maximum is not None:
            parts.append(f"{t} > {column.maximum}")
        if parts:
            checks.append((f"{t} IS NOT NULL AND ({' OR '.join(parts)})",
                           f"out of range (expected {column.expected()})", shown))
    if column.allowed:
        allowed = ", ".join(_literal(a) for a in column.allowed)
        checks.append((f"{t} IS NOT NULL AND {t} NOT IN ({allowed})",
                       f"not an allowed value (expected one of {', '.join(column.allowed)})",
                       shown))
    if column.not_future:
        checks.append((f"{t} > TIMESTAMP {_literal(as_of)}",
                       "in the future (expected a time before the data were checked)", shown))
    if column.first_of_month:
        checks.append((f"{t} IS NOT NULL AND day({t}) <> 1",
                       "not the first day of a month (expected e.g. 2025-03-01)", shown))
    if ref_flag is not None:
        ref_table = column.references[0]
        checks.append((f"{t} IS NOT NULL AND {ref_flag} IS NULL",
                       f"unknown {column.name} (not among the accepted rows of {ref_table})", shown))
    return checks


def _shown_value(column: Column, t: str) -> str:
    if column.kind == "integer":
        return (f"CASE WHEN isfinite({t}) AND {t} = floor({t}) THEN CAST(CAST({t} AS BIGINT) "
                f"AS VARCHAR) ELSE CAST({t} AS VARCHAR) END")
    return f"CAST({t} AS VARCHAR)"


def _validate_staged(con: duckdb.DuckDBPyConnection, table: Table, staged: _Staged,
                     file_label: str, as_of: str, available: set[str],
                     accepted_name) -> dict[str, int]:
    """Write the accepted rows (typed) and add bad rows to ``quarantine_stage``.

    Passes: (1) the number of the first rule each row breaks, kept for bad rows only (a
    narrow table); (2) uniqueness among rows that pass every other rule, the first kept;
    (3) the typed accepted rows written once, straight to their destination; (4) reasons,
    values and issue counts for the bad rows alone.
    """
    present = [table.column(name) for name in staged.columns]
    present_names = {c.name for c in present}

    joins, checks = [], []  # checks: (column, bad_sql, reason, value_sql)
    for column in present:
        ref_flag = None
        if column.references and column.references[0] in available:
            ref_table, ref_column = column.references
            alias = f"__ref_{column.name}"
            joins.append((alias, f"LEFT JOIN (SELECT DISTINCT {ref_column} AS {alias} FROM "
                                 f"{accepted_name(ref_table)}) {alias}_t "
                                 f"ON s.t_{column.name} = {alias}_t.{alias}"))
            ref_flag = alias
        for bad, reason, value in _checks(column, staged, as_of, ref_flag):
            checks.append((column.name, bad, reason, value))
    if table.any_value_of:
        cols = [c for c in table.any_value_of if c in present_names]
        if cols:
            bad = " AND ".join(f"t_{c} IS NULL" for c in cols)
            checks.append((cols[0], bad, f"none of {', '.join(table.any_value_of)} has a value "
                                         "(expected at least one)", None))
    for rule in table.row_rules:
        if all(name in present_names for name in rule.needs):
            checks.append((rule.column, rule.bad_sql, rule.reason,
                           _shown_value(table.column(rule.column), f"t_{rule.column}")))

    def checked(where: str = "") -> str:
        source = f"(SELECT * FROM {staged.relation} {where})" if where else staged.relation
        return (f"SELECT s.*{''.join(', ' + alias for alias, _ in joins)} "
                f"FROM {source} s {' '.join(sql for _, sql in joins)}")

    fails = f"fail_{table.name}"
    con.execute(f"DROP TABLE IF EXISTS {fails}")
    con.execute(f"CREATE TEMP TABLE {fails} (_row BIGINT, _fail INTEGER, _value VARCHAR, "
                "_issues INTEGER)")
    if checks:
        # the value and the issue count are worked out for the bad rows only
        code_case = "CASE " + " ".join(
            f"WHEN {bad} THEN {i}" for i, (_, bad, _, _) in enumerate(checks, start=1)) + " END"
        value_parts = [f"WHEN {i} THEN {v}" for i, (_, _, _, v) in enumerate(checks, start=1) if v]
        value_case = ("CASE _fail " + " ".join(value_parts) + " END") if value_parts else "NULL"
        issues = " + ".join(f"CAST(COALESCE({bad}, false) AS INTEGER)" for _, bad, _, _ in checks)
        con.execute(f"INSERT INTO {fails} SELECT _row, _fail, {value_case}, {issues} FROM "
                    f"(SELECT *, {code_case} AS _fail FROM ({checked()})) WHERE _fail IS NOT NULL")

    unique_keys: list[tuple[str, ...]] = [(c.name,) for c in present if c.unique]
    if table.unique_together and all(n in present_names for n in table.unique_together):
        unique_keys.append(tuple(table.unique_together))
    labels = [(col, reason) for col, _, reason, _ in checks]
    for key in unique_keys:
        code = len(labels) + 1
        labels.append((key[0], "duplicate " + " + ".join(key)
                       + " (an earlier row has the same value; the first is kept)"))
        key_sql = ", ".join(f"t_{k}" for k in key)
        key_text = " || ' / ' || ".join(f"CAST(t_{k} AS VARCHAR)" for k in key)
        clean = (f"SELECT _row, {key_sql} FROM {staged.relation} "
                 f"WHERE _row NOT IN (SELECT _row FROM {fails})")
        # cheap test first: no repeated key among all rows means none among the clean ones
        repeated = con.execute(
            f"SELECT count(*) - count(DISTINCT ({key_sql})) FROM {staged.relation} "
            f"WHERE {' AND '.join(f't_{k} IS NOT NULL' for k in key)}").fetchone()[0]
        if not repeated:
            continue
        con.execute(f"""
            INSERT INTO {fails}
            SELECT _row, {code}, _value, 1 FROM (
                SELECT _row, {key_text} AS _value,
                       row_number() OVER (PARTITION BY {key_sql} ORDER BY _row) AS k
                FROM ({clean}) c
                WHERE ({key_sql}) IN (SELECT ({key_sql}) FROM ({clean}) d
                                      GROUP BY ALL HAVING count(*) > 1)
            ) WHERE k > 1
        """)

    # accepted rows, typed, written once; every contract column exists (absent ones NULL)
    out_columns = [c.name for c in table.columns]
    out_columns += sorted(n for n in present_names if n not in out_columns)  # eng_*
    select = ["_row AS source_row"]
    for name in out_columns:
        sql_type = KIND_SQL_TYPE[table.column(name).kind]
        source = f"t_{name}" if name in present_names else "NULL"
        select.append(f"CAST({source} AS {sql_type}) AS {_quote(name)}")
    target = accepted_name(table.name)
    con.execute(f"DROP TABLE IF EXISTS {target}")
    temp = "TEMP " if target.startswith("acc_") else ""
    con.execute(f"CREATE {temp}TABLE {target} AS SELECT {', '.join(select)} "
                f"FROM {staged.relation} WHERE _row NOT IN (SELECT _row FROM {fails})")

    # reasons for the bad rows
    if labels:
        column_case = "CASE _fail " + " ".join(
            f"WHEN {i} THEN {_literal(c)}" for i, (c, _) in enumerate(labels, start=1)) + " END"
        reason_case = "CASE _fail " + " ".join(
            f"WHEN {i} THEN {_literal(r)}" for i, (_, r) in enumerate(labels, start=1)) + " END"
        n_cut = QUARANTINE_VALUE_CHARS
        con.execute(f"""
            INSERT INTO quarantine_stage
            SELECT {_literal(table.name)}, {_literal(file_label)}, _row, {column_case},
                   {reason_case},
                   CASE WHEN length(_value) > {n_cut} THEN left(_value, {n_cut}) || '…'
                        ELSE _value END,
                   GREATEST(1, _issues)
            FROM {fails} ORDER BY _row
        """)
    for row, column_name, reason, value, issues in staged.rejects:
        con.execute("INSERT INTO quarantine_stage VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [table.name, file_label, row, column_name, reason, value, issues])
    con.execute(f"DROP TABLE {fails}")
    con.execute(f"DROP VIEW {staged.relation}")
    staged.stage.execute(f"DROP TABLE {staged.raw}")
    staged.stage.close()
    return dict(con.execute(
        "SELECT CASE WHEN column_name IS NULL THEN reason ELSE column_name || ': ' || reason END, "
        "count(*) FROM quarantine_stage WHERE table_name = ? GROUP BY ALL ORDER BY 2 DESC, 1",
        [table.name]).fetchall())


def _file_level_checks(table: Table, staged: _Staged, path: Path) -> None:
    present = set(staged.columns)
    for column in table.columns:
        if column.required and column.name not in present:
            hint = ""
            if staged.qualtrics:
                hint = " (this is a Qualtrics export: map its columns in qualtrics_mapping.yaml)"
            raise UnusableFileError(
                str(path), f"required column '{column.name}' is missing{hint}",
                column=column.name, expected=column.expected())
    for prefix, minimum in table.min_prefix_columns.items():
        found = [c for c in present if c.startswith(prefix)]
        if len(found) < minimum:
            raise UnusableFileError(
                str(path), f"has {len(found)} '{prefix}*' item column(s)", column=f"{prefix}*",
                expected=f"at least {minimum} engagement item columns named {prefix}<item>, "
                         "whole numbers from 1 to 5")
    if table.any_column_of and not present & set(table.any_column_of):
        raise UnusableFileError(
            str(path), "has none of the columns " + ", ".join(table.any_column_of),
            column=table.any_column_of[0], expected="at least one of them")
    if table.needs_rows and staged.rows_read == 0:
        raise UnusableFileError(str(path), "has a header but no data rows",
                                expected="at least one data row")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(8 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def check_directory(con: duckdb.DuckDBPyConnection, data_dir: Path | str,
                    mapping_file: Path | str | None = None,
                    as_of: dt.datetime | None = None,
                    hash_files: bool = True, publish: bool = False,
                    transaction: bool = False, on_begin=None) -> ValidationReport:
    """Check every contract file in ``data_dir``; leave results in ``con``'s temp tables.

    After the call, ``acc_<table>`` (a temp table) holds the accepted, typed rows of each
    usable table and ``quarantine_stage`` every bad row. With ``publish=True`` the accepted
    rows go straight to ``main.<table>`` instead; with ``transaction=True`` a transaction is
    begun after every file has been read and before anything is written (the caller commits
    or rolls back).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection in which the temp tables are created.
    data_dir : path
        Folder with ``units.csv`` (or .parquet/.xlsx) and the other contract files.
    mapping_file : path, optional
        Qualtrics column mapping; defaults to ``qualtrics_mapping.yaml`` in ``data_dir``.
    as_of : datetime, optional
        Time against which "not in the future" is checked (UTC); defaults to now.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UnusableFileError(str(data_dir), "is not a folder",
                                expected="a folder holding units.csv and the survey files")
    if mapping_file is None:
        mapping_file = next((data_dir / n for n in MAPPING_FILE_NAMES if (data_dir / n).exists()),
                            None)
    mapping = load_mapping(Path(mapping_file) if mapping_file else None)
    as_of = as_of or dt.datetime.now(dt.UTC)
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    as_of_text = as_of.isoformat(sep=" ")

    attached = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?",
                           [SCRATCH]).fetchone()[0]
    if not attached:
        prepare(con)
    con.execute("DROP TABLE IF EXISTS quarantine_stage")
    con.execute("CREATE TEMP TABLE quarantine_stage (table_name VARCHAR, file VARCHAR, row BIGINT, "
                "column_name VARCHAR, reason VARCHAR, value VARCHAR, issues INTEGER)")
    reports: dict[str, TableReport] = {}
    available: set[str] = set()

    def accepted_name(name: str) -> str:
        return f"main.{name}" if publish else f"acc_{name}"

    # phase 1: read every file (outside any transaction: a broken file cannot abort one)
    staged_tables: dict[str, tuple[_Staged, Path]] = {}
    present: set[str] = set()
    for table in TABLES:
        report = TableReport(table=table.name)
        reports[table.name] = report
        try:
            path = find_table_file(data_dir, table.name)
        except UnusableFileError as error:
            _mark_unusable(report, error)
            continue
        if path is None:
            if table.required:
                _mark_unusable(report, UnusableFileError(
                    str(data_dir / (table.name + ".csv")), "required file is missing",
                    expected=f"{table.name}.csv, {table.name}.parquet or {table.name}.xlsx "
                             f"in {data_dir}"))
            continue
        report.file = str(path)
        missing_refs = [c.references[0] for c in table.columns
                        if c.references and c.required and c.references[0] not in present]
        if missing_refs:
            needed = missing_refs[0]
            if reports.get(needed) and reports[needed].status == "unusable":
                report.status = "not_checked"
                report.error = f"not checked: {needed} is unusable"
            else:
                _mark_unusable(report, UnusableFileError(
                    str(path), f"refers to {needed}, which is missing",
                    column=next(c.name for c in table.columns
                                if c.references and c.references[0] == needed),
                    expected=f"a {needed} file in {data_dir}"))
            continue
        try:
            staged = _stage(con, path, table, mapping)
            _file_level_checks(table, staged, path)
        except UnusableFileError as error:
            _mark_unusable(report, error)
            continue
        report.format, report.encoding, report.qualtrics = (
            staged.format, staged.encoding, staged.qualtrics)
        report.ignored_columns = staged.ignored
        report.rows_read = staged.rows_read
        staged_tables[table.name] = (staged, path)
        present.add(table.name)

    # phase 2: the checks, in the caller's transaction when ``transaction`` is set
    if transaction:
        con.execute("BEGIN TRANSACTION")
    if on_begin is not None:
        on_begin(con)
    for table in TABLES:
        if table.name not in staged_tables:
            continue
        report = reports[table.name]
        if not publish:
            con.execute(f"DROP TABLE IF EXISTS acc_{table.name}")
        refs = [c.references[0] for c in table.columns if c.references and c.required]
        if any(r not in available for r in refs):
            needed = next(r for r in refs if r not in available)
            report.status = "not_checked"
            report.error = f"not checked: {needed} is unusable"
            staged_tables[table.name][0].stage.execute(f"DROP TABLE {staged_tables[table.name][0].raw}")
            continue
        staged, path = staged_tables[table.name]
        con.execute(f"DROP VIEW IF EXISTS {staged.relation}")
        con.execute(f"CREATE TEMP VIEW {staged.relation} AS {staged.view_sql}")
        report.by_reason = _validate_staged(con, table, staged, path.name, as_of_text, available,
                                            accepted_name)
        report.rows_accepted = con.execute(
            f"SELECT count(*) FROM {accepted_name(table.name)}").fetchone()[0]
        report.rows_quarantined = con.execute(
            "SELECT count(*) FROM quarantine_stage WHERE table_name = ?", [table.name]).fetchone()[0]
        if report.rows_read != report.rows_accepted + report.rows_quarantined:  # pragma: no cover
            raise RuntimeError(
                f"{path}: {report.rows_read} rows read but {report.rows_accepted} accepted + "
                f"{report.rows_quarantined} quarantined; this is a bug in cxex, please report it")
        report.status = "ok"
        available.add(table.name)

    if hash_files:
        # after DuckDB's work, not beside it: on two cores a hashing thread slows the
        # parallel CSV read by more than the hashing itself takes (measured)
        for name, (_, path) in staged_tables.items():
            reports[name].sha256 = file_sha256(path)
    surveys = [reports[name] for name in SURVEY_TABLES]
    if all(r.status == "missing" for r in surveys):
        for r in surveys:
            _mark_unusable(r, UnusableFileError(
                str(data_dir / (r.table + ".csv")), "missing: neither survey file was found",
                expected="employee_survey and/or customer_survey (.csv, .parquet or .xlsx)"))
    return ValidationReport(str(data_dir), reports)


def _mark_unusable(report: TableReport, error: UnusableFileError) -> None:
    report.status = "unusable"
    report.error = str(error)
    report._exception = error  # type: ignore[attr-defined]
    if report.file is None and error.file:
        report.file = error.file


def validate(data_dir: Path | str, mapping_file: Path | str | None = None,
             as_of: dt.datetime | None = None) -> ValidationReport:
    """Check a data directory against the contract without writing anything.

    Returns a :class:`ValidationReport`; nothing raises for a bad file, which is reported
    with ``status='unusable'`` and its message in ``error``.
    """
    con = duckdb.connect()
    try:
        return check_directory(con, data_dir, mapping_file, as_of, hash_files=False)
    finally:
        con.close()


def quarantine_frame(con: duckdb.DuckDBPyConnection):
    """The quarantine temp table as a DataFrame (file, row, column, reason, value)."""
    return con.execute("SELECT * FROM quarantine_stage ORDER BY table_name, row").df()
