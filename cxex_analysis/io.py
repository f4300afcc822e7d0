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
#: CSV lines longer than this are unreadable (a 100,000-character comment is fine).
MAX_LINE_BYTES = 64 * 1024 * 1024

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")

QUARANTINE_COLUMNS = ("table_name", "file", "row", "column_name", "reason", "value", "issues")


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
    relation: str  # temp table name with VARCHAR columns and _row
    columns: list[str]  # normalised names, in file order
    ignored: list[str]
    rows_read: int
    format: str
    encoding: str | None
    qualtrics: bool
    rejects: list[tuple[int, str]]  # (row, message) for CSV lines that could not be parsed


def _stage(con: duckdb.DuckDBPyConnection, path: Path, table: Table,
           mapping: dict[str, dict[str, Any]]) -> _Staged:
    """Copy ``path`` into a temp table of text columns named by the contract, plus ``_row``."""
    suffix = path.suffix.lower()
    name = f"raw_{table.name}"
    con.execute(f"DROP TABLE IF EXISTS {name}")
    if path.stat().st_size == 0:
        raise UnusableFileError(str(path), "is empty (0 bytes)",
                                expected="a header row naming the columns, then data rows")
    rejects: list[tuple[int, str]] = []
    qualtrics = False
    encoding: str | None = None
    renames: dict[str, str] = {}
    if suffix == ".csv":
        head, encoding = _sniff_text_head(path)
        if not head or not any(cell.strip() for cell in head[0]):
            raise UnusableFileError(str(path), "has no header row",
                                    expected="a header row naming the columns")
        qualtrics = is_qualtrics_export(head)
        if qualtrics:
            columns_map = mapping.get(table.name, {}).get("columns", {})
            import_ids = _import_ids(head)
            for header, import_id in zip(head[0], import_ids):
                target = columns_map.get(header) or columns_map.get(import_id)
                if target:
                    renames[header.strip()] = target
        encoding, csv_row_expr = _read_csv_into(con, path, name, encoding)
        rejects = _csv_rejects(con, name)
    elif suffix == ".parquet":
        try:
            con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT * FROM "
                f"read_parquet({_literal(str(path))}, file_row_number=true)")
        except duckdb.Error as error:
            raise UnusableFileError(str(path), f"cannot be read as Parquet ({_first_line(error)})",
                                    expected="a Parquet file") from None
    elif suffix == ".xlsx":
        import pandas as pd

        try:
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False,
                                  na_values=[""], engine="openpyxl")
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            raise UnusableFileError(str(path), f"cannot be read as Excel ({_first_line(error)})",
                                    expected="an .xlsx workbook whose first sheet has a header row") from None
        frame.columns = [str(c) for c in frame.columns]
        frame.insert(0, "__xl_row", range(2, len(frame) + 2))
        con.register("__excel_frame", frame)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM __excel_frame")
        con.unregister("__excel_frame")
    else:  # pragma: no cover - find_table_file filters suffixes
        raise UnusableFileError(str(path), "has an unsupported type",
                                expected=", ".join(SUPPORTED_SUFFIXES))

    file_columns = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
    row_source = {"file_row_number": "file_row_number + 1", "__xl_row": "__xl_row"}
    data_columns = [c for c in file_columns if c not in row_source and c != "__line"]
    if suffix == ".csv":
        row_expr = csv_row_expr
    else:
        row_expr = next(row_source[c] for c in file_columns if c in row_source)

    # map, normalise, check for clashes
    normalised: dict[str, str] = {}
    for original in data_columns:
        target = renames.get(original.strip()) or normalise_column_name(original)
        if not target:
            continue
        if target in normalised:
            raise UnusableFileError(
                str(path), f"two columns both mean '{target}' ('{normalised[target]}' and "
                f"'{original}')", column=target, expected="each column once")
        normalised[target] = original
    constants = mapping.get(table.name, {}).get("constants", {}) if qualtrics else {}

    keep, ignored, select = [], [], []
    for target, original in normalised.items():
        if table.column(target) is None:
            ignored.append(original)
            continue
        keep.append(target)
        select.append(f"CAST({_quote(original)} AS VARCHAR) AS {_quote(target)}")
    for target, value in constants.items():
        if target not in keep and table.column(target) is not None:
            keep.append(target)
            select.append(f"{_literal(str(value))} AS {_quote(target)}")
    where = f"WHERE {row_expr} > 3" if qualtrics else ""
    staged = f"stg_{table.name}"
    con.execute(f"DROP TABLE IF EXISTS {staged}")
    con.execute(
        f"CREATE TEMP TABLE {staged} AS SELECT CAST({row_expr} AS BIGINT) AS _row"
        + "".join(", " + s for s in select) + f" FROM {name} {where}")
    con.execute(f"DROP TABLE {name}")
    rows_read = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0] + len(rejects)
    if qualtrics:
        rejects = [(row, message) for row, message in rejects if row > 3]
        rows_read = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0] + len(rejects)
    fmt = {".csv": "qualtrics_csv" if qualtrics else "csv", ".parquet": "parquet",
           ".xlsx": "xlsx"}[suffix]
    return _Staged(staged, keep, ignored, rows_read, fmt, encoding, qualtrics, rejects)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _read_csv_into(con: duckdb.DuckDBPyConnection, path: Path, name: str,
                   encoding: str) -> tuple[str, str]:
    """Read a CSV as text columns into ``name``; return the encoding and a line-number SQL."""
    last_error: Exception | None = None
    tried = [encoding] + [e for e in ("utf-8", "latin-1") if e != encoding]
    for attempt in tried:
        con.execute("DROP TABLE IF EXISTS __rejects")
        con.execute("DROP TABLE IF EXISTS __reject_scans")
        try:
            con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT * FROM read_csv({_literal(str(path))}, "
                "all_varchar=true, header=true, store_rejects=true, "
                "rejects_table='__rejects', rejects_scan='__reject_scans', "
                f"max_line_size={MAX_LINE_BYTES}, encoding={_literal(attempt)})")
        except duckdb.Error as error:
            last_error = error
            continue
        bad_encoding = con.execute(
            "SELECT count(*) FROM __rejects WHERE error_type ILIKE '%unicode%' "
            "OR error_type ILIKE '%encoding%'").fetchone()[0]
        if bad_encoding and attempt != "latin-1":
            con.execute(f"DROP TABLE {name}")
            continue
        return attempt, _number_csv_lines(con, name)
    raise UnusableFileError(
        str(path), f"cannot be read as CSV ({_first_line(last_error or Exception('unknown'))})",
        expected="a comma-separated text file, UTF-8 or latin-1, with a header row") from None


def _number_csv_lines(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """SQL for the file line of each parsed row (DuckDB keeps rows in file order)."""
    rejected = [r[0] for r in con.execute(
        "SELECT DISTINCT line FROM __rejects ORDER BY line").fetchall()]
    # rowids are contiguous and in file order, but start at an offset inside a transaction
    base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {name}").fetchone()[0]
    if not rejected:
        return f"(rowid - {base} + 2)"
    con.execute(f"ALTER TABLE {name} ADD COLUMN __line BIGINT")
    # parsed rows fill the line numbers that were not rejected, in order
    import numpy as np
    import pandas as pd

    total = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    lines = np.setdiff1d(np.arange(2, total + len(rejected) + 2), np.asarray(rejected))[:total]
    mapping = pd.DataFrame({"__rid": np.arange(total), "__ln": lines})
    con.register("__line_map", mapping)
    con.execute(f"UPDATE {name} SET __line = m.__ln FROM __line_map m WHERE {name}.rowid - {base} = m.__rid")
    con.unregister("__line_map")
    return "__line"


def _csv_rejects(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[int, str]]:
    rows = con.execute(
        "SELECT line, first(error_type), first(error_message) FROM __rejects "
        "GROUP BY line ORDER BY line").fetchall()
    con.execute("DROP TABLE IF EXISTS __rejects")
    con.execute("DROP TABLE IF EXISTS __reject_scans")
    out = []
    for line, error_type, message in rows:
        kind = str(error_type).lower().replace("_", " ")
        out.append((int(line), f"row could not be parsed: {kind} ({message})"))
    return out


# --------------------------------------------------------------------------------------
# SQL for the rules
# --------------------------------------------------------------------------------------

def _typed_sql(column: Column, v: str) -> str:
    if column.kind in ("string", "text"):
        return f"lower({v})" if column.allowed else v
    if column.kind == "integer":
        return f"TRY_CAST(TRY_CAST({v} AS DOUBLE) AS BIGINT)"
    if column.kind == "number":
        return f"TRY_CAST({v} AS DOUBLE)"
    if column.kind == "date":
        return f"COALESCE(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    if column.kind == "timestamp":
        return f"CAST(TRY_CAST({v} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if column.kind == "boolean":
        true = ", ".join(_literal(x) for x in _TRUE)
        false = ", ".join(_literal(x) for x in _FALSE)
        return f"CASE WHEN lower({v}) IN ({true}) THEN true WHEN lower({v}) IN ({false}) THEN false END"
    raise ValueError(f"unknown column kind {column.kind!r}")  # pragma: no cover


def _checks(column: Column, as_of: str) -> list[tuple[str, str]]:
    """(SQL true when bad, reason) for one column, in the order they are reported."""
    v = f"v_{column.name}"
    checks: list[tuple[str, str]] = []
    if not column.nullable:
        checks.append((f"{v} IS NULL", "blank (a value is required)"))
    if column.kind in ("integer", "number"):
        number = f"TRY_CAST({v} AS DOUBLE)"
        checks.append((f"{v} IS NOT NULL AND ({number} IS NULL OR NOT isfinite({number}))",
                       f"not a number (expected {column.expected()})"))
        if column.kind == "integer":
            checks.append((f"{v} IS NOT NULL AND {number} <> floor({number})",
                           f"not a whole number (expected {column.expected()})"))
        low = column.minimum if column.minimum is not None else None
        high = column.maximum if column.maximum is not None else None
        if low is not None or high is not None:
            parts = []
            if low is not None:
                parts.append(f"{number} < {low}")
            if high is not None:
                parts.append(f"{number} > {high}")
            checks.append((f"{v} IS NOT NULL AND ({' OR '.join(parts)})",
                           f"out of range (expected {column.expected()})"))
    elif column.kind in ("date", "timestamp", "boolean"):
        checks.append((f"{v} IS NOT NULL AND t_{column.name} IS NULL",
                       {"date": "not a date (expected an ISO 8601 date such as 2025-03-31)",
                        "timestamp": "not a timestamp (expected ISO 8601 such as 2025-03-31T14:05:00)",
                        "boolean": "not true/false (expected true/false, yes/no, y/n or 1/0)",
                        }[column.kind]))
    if column.allowed:
        allowed = ", ".join(_literal(a) for a in column.allowed)
        checks.append((f"{v} IS NOT NULL AND lower({v}) NOT IN ({allowed})",
                       f"not an allowed value (expected one of {', '.join(column.allowed)})"))
    if column.not_future:
        checks.append((f"t_{column.name} > TIMESTAMP {_literal(as_of)}",
                       "in the future (expected a time before the data were checked)"))
    if column.first_of_month:
        checks.append((f"t_{column.name} IS NOT NULL AND day(t_{column.name}) <> 1",
                       "not the first day of a month (expected e.g. 2025-03-01)"))
    if column.references:
        ref_table, ref_column = column.references
        checks.append((
            f"{v} IS NOT NULL AND {v} NOT IN (SELECT {ref_column} FROM acc_{ref_table})",
            f"unknown {column.name} (not among the accepted rows of {ref_table})"))
    return checks


def _validate_staged(con: duckdb.DuckDBPyConnection, table: Table, staged: _Staged,
                     file_label: str, as_of: str, available: set[str]) -> dict[str, int]:
    """Create ``acc_<table>`` (typed, accepted rows) and add bad rows to ``quarantine``."""
    present = [table.column(name) for name in staged.columns]
    present = [c for c in present if c is not None]
    present_names = {c.name for c in present}

    value_sql = []
    for column in present:
        if column.kind == "text":
            value_sql.append(f"CASE WHEN trim({_quote(column.name)}) = '' THEN NULL "
                             f"ELSE {_quote(column.name)} END AS v_{column.name}")
        else:
            value_sql.append(f"NULLIF(trim({_quote(column.name)}), '') AS v_{column.name}")
    typed_sql = [f"{_typed_sql(c, 'v_' + c.name)} AS t_{c.name}" for c in present]

    checks: list[tuple[str, str, str]] = []  # (column, bad_sql, reason)
    for column in present:
        if column.references and column.references[0] not in available:
            continue
        for bad, reason in _checks(column, as_of):
            checks.append((column.name, bad, reason))
    if table.any_value_of:
        cols = [c for c in table.any_value_of if c in present_names]
        if cols:
            bad = " AND ".join(f"v_{c} IS NULL" for c in cols)
            checks.append((cols[0], bad,
                           f"none of {', '.join(table.any_value_of)} has a value (expected at least one)"))
    for rule in table.row_rules:
        if all(name in present_names for name in rule.needs):
            checks.append((rule.column, rule.bad_sql, rule.reason))

    if checks:
        column_case = "CASE " + " ".join(
            f"WHEN {bad} THEN {_literal(col)}" for col, bad, _ in checks) + " END"
        reason_case = "CASE " + " ".join(
            f"WHEN {bad} THEN {_literal(reason)}" for _, bad, reason in checks) + " END"
        value_case = "CASE " + " ".join(
            f"WHEN {bad} THEN v_{col}" if col in present_names else f"WHEN {bad} THEN NULL"
            for col, bad, _ in checks) + " END"
        issues = " + ".join(f"CAST(COALESCE({bad}, false) AS INTEGER)" for _, bad, _ in checks)
    else:
        column_case = reason_case = value_case = "CAST(NULL AS VARCHAR)"
        issues = "0"

    checked = f"chk_{table.name}"
    con.execute(f"DROP TABLE IF EXISTS {checked}")
    con.execute(f"""
        CREATE TEMP TABLE {checked} AS
        WITH v AS (SELECT _row, {', '.join(value_sql) if value_sql else '1 AS _none'} FROM {staged.relation}),
             t AS (SELECT *{''.join(', ' + s for s in typed_sql)} FROM v)
        SELECT *, {column_case} AS _column, {reason_case} AS _reason,
               {value_case} AS _value
        FROM t
    """)

    # uniqueness among rows that pass every other rule (the first one is kept)
    unique_keys: list[tuple[str, ...]] = [(c.name,) for c in present if c.unique]
    if table.unique_together and all(n in present_names for n in table.unique_together):
        unique_keys.append(tuple(table.unique_together))
    for key in unique_keys:
        key_sql = ", ".join(f"t_{k}" for k in key)
        label = " + ".join(key)
        dup_count = con.execute(
            f"SELECT count(*) FROM (SELECT {key_sql} FROM {checked} WHERE _reason IS NULL "
            f"GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        if dup_count:
            value = " || ' / ' || ".join(f"CAST(t_{k} AS VARCHAR)" for k in key)
            con.execute(f"""
                UPDATE {checked} SET _column = {_literal(key[0])},
                    _reason = {_literal('duplicate ' + label + ' (an earlier row has the same value; the first is kept)')},
                    _value = {value}
                WHERE _row IN (
                    SELECT _row FROM (
                        SELECT _row, row_number() OVER (PARTITION BY {key_sql} ORDER BY _row) AS k
                        FROM {checked} WHERE _reason IS NULL
                    ) WHERE k > 1)
            """)

    # accepted rows, typed; every contract column exists (absent ones are NULL)
    out_columns = [c.name for c in table.columns]
    out_columns += sorted(c.name for c in present
                          if c.name not in out_columns)  # eng_* items
    select = ["_row AS source_row"]
    for name in out_columns:
        column = table.column(name)
        sql_type = KIND_SQL_TYPE[column.kind]
        if name in present_names:
            select.append(f"CAST(t_{name} AS {sql_type}) AS {_quote(name)}")
        else:
            select.append(f"CAST(NULL AS {sql_type}) AS {_quote(name)}")
    con.execute(f"DROP TABLE IF EXISTS acc_{table.name}")
    con.execute(f"CREATE TEMP TABLE acc_{table.name} AS SELECT {', '.join(select)} "
                f"FROM {checked} WHERE _reason IS NULL ORDER BY _row")

    n_cut = QUARANTINE_VALUE_CHARS
    con.execute(f"""
        INSERT INTO quarantine_stage
        SELECT {_literal(table.name)}, {_literal(file_label)}, _row, _column, _reason,
               CASE WHEN length(_value) > {n_cut} THEN left(_value, {n_cut}) || '…' ELSE _value END,
               GREATEST(1, {issues})
        FROM {checked} WHERE _reason IS NOT NULL
    """)
    for row, message in staged.rejects:
        con.execute("INSERT INTO quarantine_stage VALUES (?, ?, ?, NULL, ?, NULL, 1)",
                    [table.name, file_label, row, message])
    con.execute(f"DROP TABLE {checked}")
    con.execute(f"DROP TABLE {staged.relation}")
    counts = dict(con.execute(
        "SELECT CASE WHEN column_name IS NULL THEN reason ELSE column_name || ': ' || reason END, "
        "count(*) FROM quarantine_stage WHERE table_name = ? GROUP BY ALL ORDER BY 2 DESC, 1",
        [table.name]).fetchall())
    return counts


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
                    hash_files: bool = True) -> ValidationReport:
    """Check every contract file in ``data_dir``; leave results in ``con``'s temp tables.

    After the call, ``acc_<table>`` holds the accepted, typed rows of each usable table and
    ``quarantine`` every bad row. Nothing is written to the database's permanent tables.

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
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
    as_of_text = as_of.isoformat(sep=" ")

    con.execute("SET TimeZone = 'UTC'")
    con.execute("DROP TABLE IF EXISTS quarantine_stage")
    con.execute("CREATE TEMP TABLE quarantine_stage (table_name VARCHAR, file VARCHAR, row BIGINT, "
                "column_name VARCHAR, reason VARCHAR, value VARCHAR, issues INTEGER)")
    reports: dict[str, TableReport] = {}
    available: set[str] = set()
    for table in TABLES:
        report = TableReport(table=table.name)
        reports[table.name] = report
        con.execute(f"DROP TABLE IF EXISTS acc_{table.name}")
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
                        if c.references and c.required and c.references[0] not in available]
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
        report.by_reason = _validate_staged(con, table, staged, path.name, as_of_text, available)
        report.rows_accepted = con.execute(f"SELECT count(*) FROM acc_{table.name}").fetchone()[0]
        report.rows_quarantined = con.execute(
            "SELECT count(*) FROM quarantine_stage WHERE table_name = ?", [table.name]).fetchone()[0]
        if report.rows_read != report.rows_accepted + report.rows_quarantined:  # pragma: no cover
            raise RuntimeError(
                f"{path}: {report.rows_read} rows read but {report.rows_accepted} accepted + "
                f"{report.rows_quarantined} quarantined; this is a bug in cxex, please report it")
        if hash_files:
            report.sha256 = file_sha256(path)
        report.status = "ok"
        available.add(table.name)

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
