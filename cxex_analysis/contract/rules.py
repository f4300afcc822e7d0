"""Every rule of the contract as SQL over a staged file: each row gets the first rule it
breaks (file, row, column, reason, value), repeated keys after the first are flagged, and
rows that break none are cast to their contract types.

Why SQL and not pandera: the contract has to be checked at more than a million rows a second
(``benchmarks/ingest.py``); pandera's pandas backend materialises every row in pandas and
collects failure cases per check, several times slower here, and the DuckDB staging is needed
anyway for the warehouse. The contract stays declarative in one place
(:mod:`cxex_analysis.contract.tables`).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from cxex_analysis.contract.roles import ROLE_WORDS
from cxex_analysis.contract.staging import (
    QUARANTINE_VALUE_CHARS,
    Staged,
    parse_reason,
    scalar,
    sql_literal,
    sql_quote,
)
from cxex_analysis.contract.tables import (
    ACCEPTED_UNITS,
    EARLIEST,
    ENGAGEMENT_ITEMS,
    KIND_SQL_TYPE,
    LATEST,
    ROLE_WORDS_LIST,
    Column,
    Table,
    label_key,
)
from cxex_analysis.errors import UnusableFileError

#: Characters no text field may hold (C0 controls but tab, line feed and carriage return;
#: DEL): PostgreSQL cannot store a NUL byte, and the others are no one's writing.
CONTROL_CHARACTERS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"

#: Bidirectional embedding, override and isolate characters: they would reorder what a report
#: shows ("‮txt.exe" reads "exe.txt"); kept visible as � instead.
BIDI_CONTROLS = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}]"

def _checks(column: Column, staged: Staged, as_of: str, ref_flag: str | None
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
        checks.append((f"v_{column.name} IS NOT NULL AND {t} IS NULL", parse_reason(column), shown))
    if column.kind in ("string", "text"):
        checks.append((f"{t} IS NOT NULL AND regexp_matches({t}, '{CONTROL_CHARACTERS}')",
                       "holds a control character such as a NUL byte (expected plain text)",
                       f"regexp_replace({shown}, '{CONTROL_CHARACTERS}', '�', 'g')"))
    if column.kind in ("date", "timestamp"):
        checks.append((f"{t} IS NOT NULL AND ({t} < DATE '{EARLIEST}' OR {t} > DATE '{LATEST}')",
                       f"out of range (expected a date from {EARLIEST[:4]} to {LATEST[:4]})",
                       shown))
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
        allowed = ", ".join(sql_literal(a) for a in column.allowed)
        checks.append((f"{t} IS NOT NULL AND {t} NOT IN ({allowed})",
                       f"not an allowed value (expected one of {', '.join(column.allowed)})",
                       shown))
    if column.not_future:
        checks.append((f"{t} > TIMESTAMP {sql_literal(as_of)}",
                       "in the future (expected a time before the data were checked)", shown))
    if column.first_of_month:
        checks.append((f"{t} IS NOT NULL AND day({t}) <> 1",
                       "not the first day of a month (expected e.g. 2025-03-01)", shown))
    if ref_flag is not None and column.references:
        ref_table = column.references[0]
        checks.append((f"{t} IS NOT NULL AND {ref_flag} IS NULL",
                       f"unknown {column.name} (not among the accepted rows of {ref_table})", shown))
    return checks


def _shown_value(column: Column, t: str) -> str:
    if column.kind == "integer":
        return (f"CASE WHEN isfinite({t}) AND {t} = floor({t}) THEN CAST(CAST({t} AS BIGINT) "
                f"AS VARCHAR) ELSE CAST({t} AS VARCHAR) END")
    return f"CAST({t} AS VARCHAR)"


def validate_staged(con: duckdb.DuckDBPyConnection, table: Table, staged: Staged,
                    file_label: str, as_of: str, available: set[str],
                    accepted_name) -> dict[str, int]:
    """Write the accepted rows (typed) and add bad rows to ``quarantine_stage``.

    Passes: (1) the number of the first rule each row breaks, kept for bad rows only (a
    narrow table); (2) uniqueness among rows that pass every other rule, the first kept;
    (3) the typed accepted rows written once, straight to their destination; (4) reasons,
    values and issue counts for the bad rows alone.
    """
    present = [table.known(name) for name in staged.columns]
    joins, checks = _row_checks(con, table, staged, present, as_of, available, accepted_name)
    fails = f"fail_{table.name}"
    con.execute(f"DROP TABLE IF EXISTS {fails}")
    con.execute(f"CREATE TEMP TABLE {fails} (_row BIGINT, _fail INTEGER, _value VARCHAR, "
                "_issues INTEGER)")
    _flag_rule_breaks(con, fails, staged, joins, checks)
    labels = [(col, reason) for col, _, reason, _ in checks]
    labels += _flag_duplicates(con, fails, staged, table, present, len(labels))
    _write_accepted(con, table, staged, {c.name for c in present}, fails, accepted_name)
    _write_reasons(con, table, staged, file_label, labels, fails)
    con.execute(f"DROP TABLE {fails}")
    con.execute(f"DROP VIEW {staged.relation}")
    staged.stage.execute(f"DROP TABLE {staged.raw}")
    staged.stage.close()
    return dict(con.execute(
        "SELECT CASE WHEN column_name IS NULL THEN reason ELSE column_name || ': ' || reason END, "
        "count(*) FROM quarantine_stage WHERE table_name = ? GROUP BY ALL ORDER BY 2 DESC, 1",
        [table.name]).fetchall())


def _row_checks(con, table: Table, staged: Staged, present: list[Column], as_of: str,
                available: set[str], accepted_name) -> tuple[list, list]:
    """The joins to referenced tables and every rule as (column, bad SQL, reason, value SQL)."""
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
            bad = _resolved(con, rule.bad_sql, table, present_names, available, accepted_name)
            shown = (_shown_value(table.known(rule.column), f"t_{rule.column}")
                     if rule.column in present_names else None)
            checks.append((rule.column, bad, rule.reason, shown))

    return joins, checks


def _resolved(con, sql: str, table: Table, present: set[str], available: set[str],
              accepted_name) -> str:
    """A row rule's SQL with the other tables it names and the absent columns filled in."""
    units = accepted_name("units") if "units" in available else \
        "(SELECT NULL AS unit_id, NULL AS region, NULL AS unit_type WHERE false)"
    sql = sql.replace(ACCEPTED_UNITS, units)
    if ROLE_WORDS_LIST in sql:
        sql = sql.replace(ROLE_WORDS_LIST, _role_words(con, available, accepted_name))
    if ENGAGEMENT_ITEMS in sql:
        items: list[str] = []
        if "employee_survey" in available:
            described = con.execute(
                f"SELECT * FROM {accepted_name('employee_survey')} LIMIT 0").description
            items = [d[0].lower() for d in described if d[0].lower().startswith("eng_")]
        sql = sql.replace(ENGAGEMENT_ITEMS, "(" + ", ".join(
            sql_literal(i) for i in items or [""]) + ")")
    for column in table.columns:
        if column.name not in present:
            sql = re.sub(rf"\bt_{column.name}\b",
                         f"CAST(NULL AS {KIND_SQL_TYPE[column.kind]})", sql)
    return sql


def _role_words(con, available: set[str], accepted_name) -> str:
    """The SQL list of role words: the built-in ones and the words of the accepted units'
    regions and unit types and of the accepted roles (split as the rule splits a role)."""
    names = []
    if "units" in available:
        names += [f"SELECT region AS x FROM {accepted_name('units')}",
                  f"SELECT unit_type FROM {accepted_name('units')}"]
    if "roles" in available:
        names.append(f"SELECT role FROM {accepted_name('roles')}")
    words = set(ROLE_WORDS)
    if names:
        words |= {word for (word,) in con.execute(
            "SELECT DISTINCT unnest(regexp_split_to_array(lower(x), '[^\\pL\\pM]+')) "
            f"FROM ({' UNION ALL '.join(names)}) WHERE x IS NOT NULL").fetchall() if word}
    return "[" + ", ".join(sql_literal(w) for w in sorted(words)) + "]"


def _flag_rule_breaks(con, fails: str, staged: Staged, joins: list, checks: list) -> None:
    """Pass 1: the first rule each bad row breaks, its value and its number of issues."""
    def checked(where: str = "") -> str:
        source = f"(SELECT * FROM {staged.relation} {where})" if where else staged.relation
        return (f"SELECT s.*{''.join(', ' + alias for alias, _ in joins)} "
                f"FROM {source} s {' '.join(sql for _, sql in joins)}")

    if checks:
        # the value and the issue count are worked out for the bad rows only
        code_case = "CASE " + " ".join(
            f"WHEN {bad} THEN {i}" for i, (_, bad, _, _) in enumerate(checks, start=1)) + " END"
        value_parts = [f"WHEN {i} THEN {v}" for i, (_, _, _, v) in enumerate(checks, start=1) if v]
        value_case = ("CASE _fail " + " ".join(value_parts) + " END") if value_parts else "NULL"
        issues = " + ".join(f"CAST(COALESCE({bad}, false) AS INTEGER)" for _, bad, _, _ in checks)
        con.execute(f"INSERT INTO {fails} SELECT _row, _fail, {value_case}, {issues} FROM "
                    f"(SELECT *, {code_case} AS _fail FROM ({checked()})) WHERE _fail IS NOT NULL")



def _flag_duplicates(con, fails: str, staged: Staged, table: Table, present: list[Column],
                     first_code: int) -> list[tuple[str, str]]:
    """Pass 2: repeated keys among rows that pass every other rule (the first is kept);
    returns the (column, reason) labels of the codes it used."""
    present_names = {c.name for c in present}
    unique_keys: list[tuple[str, ...]] = [(c.name,) for c in present if c.unique]
    if table.unique_together and all(n in present_names for n in table.unique_together):
        unique_keys.append(tuple(table.unique_together))
    labels: list[tuple[str, str]] = []
    for key in unique_keys:
        code = first_code + len(labels) + 1
        labels.append((key[0], "duplicate " + " + ".join(key)
                       + " (an earlier row has the same value; the first is kept)"))
        # columns that are unique together repeat when they match blank for blank (a norm
        # of a measure given twice without an item); a unique column's blanks never repeat
        together = len(key) > 1
        columns = ", ".join(f"t_{k}" for k in key)
        key_sql = (", ".join(f"coalesce(CAST(t_{k} AS VARCHAR), '')" for k in key) if together
                   else columns)
        key_text = " || ' / ' || ".join(f"coalesce(CAST(t_{k} AS VARCHAR), '')" for k in key)
        clean = (f"SELECT _row, {columns} FROM {staged.relation} "
                 f"WHERE _row NOT IN (SELECT _row FROM {fails})")
        # cheap test first: no repeated key among all rows means none among the clean ones
        repeated = scalar(con,
            f"SELECT count(*) - count(DISTINCT ({key_sql})) FROM {staged.relation} "
            + ("" if together else f"WHERE {' AND '.join(f't_{k} IS NOT NULL' for k in key)}"))
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

    return labels


def _write_accepted(con, table: Table, staged: Staged, present_names: set[str], fails: str,
                    accepted_name) -> None:
    """Pass 3: the accepted rows, typed, written once; every contract column exists (absent
    ones NULL)."""
    out_columns = [c.name for c in table.columns]
    out_columns += sorted(n for n in present_names if n not in out_columns)  # eng_*
    select = ["_row AS source_row"]
    for name in out_columns:
        column = table.known(name)
        sql_type = KIND_SQL_TYPE[column.kind]
        source = f"t_{name}" if name in present_names else "NULL"
        if column.kind in ("string", "text") and name in present_names:  # shown, not obeyed
            source = f"regexp_replace({source}, '{BIDI_CONTROLS}', '�', 'g')"
        if column.label and name in present_names:  # one spelling per label: the first written
            source = (f"first_value({source}) OVER (PARTITION BY {label_key(source)} "
                      "ORDER BY _row)")
        select.append(f"CAST({source} AS {sql_type}) AS {sql_quote(name)}")
    target = accepted_name(table.name)
    con.execute(f"DROP TABLE IF EXISTS {target}")
    temp = "TEMP " if target.startswith("acc_") else ""
    con.execute(f"CREATE {temp}TABLE {target} AS SELECT {', '.join(select)} "
                f"FROM {staged.relation} WHERE _row NOT IN (SELECT _row FROM {fails})")



def _write_reasons(con, table: Table, staged: Staged, file_label: str,
                   labels: list[tuple[str, str]], fails: str) -> None:
    """Pass 4: reasons and values of the bad rows, and the rows the reader rejected."""
    if labels:
        column_case = "CASE _fail " + " ".join(
            f"WHEN {i} THEN {sql_literal(c)}" for i, (c, _) in enumerate(labels, start=1)) + " END"
        reason_case = "CASE _fail " + " ".join(
            f"WHEN {i} THEN {sql_literal(r)}" for i, (_, r) in enumerate(labels, start=1)) + " END"
        n_cut = QUARANTINE_VALUE_CHARS
        con.execute(f"""
            INSERT INTO quarantine_stage
            SELECT {sql_literal(table.name)}, {sql_literal(file_label)}, _row, {column_case},
                   {reason_case},
                   CASE WHEN length(_value) > {n_cut} THEN left(_value, {n_cut}) || '…'
                        ELSE _value END,
                   GREATEST(1, _issues)
            FROM {fails} ORDER BY _row
        """)
    for row, column_name, reason, value, issues in staged.rejects:
        con.execute("INSERT INTO quarantine_stage VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [table.name, file_label, row, column_name, reason, value, issues])


def file_level_checks(table: Table, staged: Staged, path: Path) -> None:
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
