"""Finding and opening contract files: file names and formats, Qualtrics exports and their
column mapping, the DuckDB scratch space the files are staged in, file hashes.

Files may be CSV (UTF-8 with or without BOM, or latin-1), Parquet or Excel (first sheet),
or a Qualtrics-style CSV export (header row, question-text row, import-id row) whose columns
are mapped through a YAML file. Column names are normalised (case, spaces, punctuation).
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb
import yaml

from cxex_analysis.contract.tables import TABLES
from cxex_analysis.errors import UnusableFileError

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".xlsx")


MAPPING_FILE_NAMES = ("column_mapping.yaml", "column_mapping.yml", "qualtrics_mapping.yaml",
                      "qualtrics_mapping.yml")


#: A CSV line longer than this is quarantined as unparseable (a 100,000-character comment is
#: fine). DuckDB sizes its read buffers from it: 64 MB made reading several times slower.
MAX_LINE_BYTES = 2 * 1024 * 1024


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
    """Read a column mapping (YAML), checking its shape.

    The file maps, per table, an export's column names (or, in a Qualtrics export, import
    ids such as ``QID12``) to contract columns, and may give constant values (a platform's
    export of one measure per file, a survey of one channel)::

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


def sniff_text_head(path: Path, lines: int = 3) -> tuple[list[list[str]], str]:
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


def import_ids(head: list[list[str]]) -> list[str]:
    ids = []
    for cell in head[2]:
        match = re.search(r'"ImportId"\s*:\s*"([^"]+)"', cell, flags=re.IGNORECASE)
        ids.append(match.group(1) if match else "")
    return ids


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(8 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
