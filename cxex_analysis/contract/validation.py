"""Checking a data folder: read every contract file, apply every rule, account for every row.

:func:`check_directory` leaves the accepted rows and the quarantine in DuckDB tables;
:func:`validate` returns the :class:`ValidationReport` alone (``cxex validate``). A file that
cannot be used at all is reported with :class:`~cxex_analysis.errors.UnusableFileError`,
naming the file, the column and what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cxex_analysis.contract.files import (
    MAPPING_FILE_NAMES,
    SCRATCH,
    file_sha256,
    find_table_file,
    load_mapping,
    prepare,
)
from cxex_analysis.contract.rules import file_level_checks, validate_staged
from cxex_analysis.contract.staging import Staged, scalar, stage_file
from cxex_analysis.contract.tables import SCORE_TABLES, SURVEY_TABLES, TABLES
from cxex_analysis.errors import UnusableFileError
from cxex_analysis.progress import Progress

QUARANTINE_COLUMNS = ("table_name", "file", "row", "column_name", "reason", "value", "issues")


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


def check_directory(con: duckdb.DuckDBPyConnection, data_dir: Path | str,
                    mapping_file: Path | str | None = None,
                    as_of: dt.datetime | None = None,
                    hash_files: bool = True, publish: bool = False,
                    transaction: bool = False, on_begin=None,
                    progress: Callable[[str], None] | None = None) -> ValidationReport:
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
        column mapping; defaults to ``column_mapping.yaml`` (or ``qualtrics_mapping.yaml``)
        in ``data_dir``.
    as_of : datetime, optional
        Time against which "not in the future" is checked (UTC); defaults to now.
    progress : callable, optional
        Where the progress of reading (MB) and checking (rows) goes, e.g. ``print``: a bar on
        a terminal, else a line every tenth of the way or 30 s (:class:`~cxex_analysis.progress.Progress`).
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

    attached = scalar(con, "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?",
                           [SCRATCH])
    if not attached:
        prepare(con)
    con.execute("DROP TABLE IF EXISTS quarantine_stage")
    con.execute("CREATE TEMP TABLE quarantine_stage (table_name VARCHAR, file VARCHAR, row BIGINT, "
                "column_name VARCHAR, reason VARCHAR, value VARCHAR, issues INTEGER)")
    reports = {table.name: TableReport(table=table.name) for table in TABLES}
    # phase 1: read every file (outside any transaction: a broken file cannot abort one)
    with Progress("reading files", _megabytes(data_dir), "MB", progress) as reading:
        staged_tables = _read_files(con, data_dir, mapping, reports, reading)
    # phase 2: the checks, in the caller's transaction when ``transaction`` is set
    if transaction:
        con.execute("BEGIN TRANSACTION")
    if on_begin is not None:
        on_begin(con)
    rows = sum(staged.rows_read for staged, _ in staged_tables.values())
    with Progress("checking rows", rows, "rows", progress) as checking:
        _check_tables(con, staged_tables, reports, as_of.isoformat(sep=" "),
                      (lambda name: f"main.{name}") if publish else (lambda name: f"acc_{name}"),
                      publish, checking)
    if hash_files:
        # after DuckDB's work, not beside it: on two cores a hashing thread slows the
        # parallel CSV read by more than the hashing itself takes (measured)
        for name, (_, path) in staged_tables.items():
            reports[name].sha256 = file_sha256(path)
    surveys = [reports[name] for name in SURVEY_TABLES]
    scores = [reports[name] for name in SCORE_TABLES if name in reports]
    if all(r.status == "missing" for r in surveys + scores):
        for r in surveys:
            _mark_unusable(r, UnusableFileError(
                str(data_dir / (r.table + ".csv")), "missing: neither survey file was found",
                expected="employee_survey and/or customer_survey, or a platform's "
                         "employee_scores and/or customer_scores (.csv, .parquet or .xlsx)"))
    return ValidationReport(str(data_dir), reports)


def _megabytes(data_dir: Path) -> float:
    """The size of the contract files in ``data_dir`` (what reading them goes through)."""
    total = 0
    for table in TABLES:
        try:
            path = find_table_file(data_dir, table.name)
        except UnusableFileError:
            continue
        total += path.stat().st_size if path is not None else 0
    return total / 1e6


def _read_files(con, data_dir: Path, mapping, reports: dict[str, TableReport],
                reading: Progress) -> dict[str, tuple[Staged, Path]]:
    """Phase 1: find and read each contract file; a file that cannot be used, or whose
    required reference table is missing, is marked in its report and not staged."""
    staged_tables: dict[str, tuple[Staged, Path]] = {}
    present: set[str] = set()
    for table in TABLES:
        report = reports[table.name]
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
            staged = stage_file(con, path, table, mapping)
            file_level_checks(table, staged, path)
        except UnusableFileError as error:
            _mark_unusable(report, error)
            continue
        report.format, report.encoding, report.qualtrics = (
            staged.format, staged.encoding, staged.qualtrics)
        report.ignored_columns = staged.ignored
        report.rows_read = staged.rows_read
        reading.advance(path.stat().st_size / 1e6)
        staged_tables[table.name] = (staged, path)
        present.add(table.name)

    return staged_tables


def _check_tables(con, staged_tables: dict[str, tuple[Staged, Path]],
                  reports: dict[str, TableReport], as_of_text: str, accepted_name,
                  publish: bool, checking: Progress) -> None:
    """Phase 2: every rule of each staged table, in reference order; the accounting
    (rows read = accepted + quarantined) checked per table."""
    available: set[str] = set()
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
        report.by_reason = validate_staged(con, table, staged, path.name, as_of_text, available,
                                            accepted_name)
        report.rows_accepted = scalar(con,
            f"SELECT count(*) FROM {accepted_name(table.name)}")
        report.rows_quarantined = scalar(con,
            "SELECT count(*) FROM quarantine_stage WHERE table_name = ?", [table.name])
        if report.rows_read != report.rows_accepted + report.rows_quarantined:  # pragma: no cover
            raise RuntimeError(
                f"{path}: {report.rows_read} rows read but {report.rows_accepted} accepted + "
                f"{report.rows_quarantined} quarantined; this is a bug in cxex, please report it")
        report.status = "ok"
        available.add(table.name)
        checking.advance(report.rows_read)



def _mark_unusable(report: TableReport, error: UnusableFileError) -> None:
    report.status = "unusable"
    report.error = str(error)
    report._exception = error  # type: ignore[attr-defined]
    if report.file is None and error.file:
        report.file = error.file


def validate(data_dir: Path | str, mapping_file: Path | str | None = None,
             as_of: dt.datetime | None = None,
             progress: Callable[[str], None] | None = None) -> ValidationReport:
    """Check a data directory against the contract without writing anything.

    Returns a :class:`ValidationReport`; nothing raises for a bad file, which is reported
    with ``status='unusable'`` and its message in ``error``.
    """
    con = duckdb.connect()
    try:
        return check_directory(con, data_dir, mapping_file, as_of, hash_files=False,
                               progress=progress)
    finally:
        con.close()


def quarantine_frame(con: duckdb.DuckDBPyConnection):
    """The quarantine temp table as a DataFrame (file, row, column, reason, value)."""
    return con.execute("SELECT * FROM quarantine_stage ORDER BY table_name, row").df()
