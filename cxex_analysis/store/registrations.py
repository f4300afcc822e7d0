"""Pilots' pre-registrations (the ``design.json`` that ``cxex design`` writes) in the warehouse.

A data folder may hold registrations as ``design*.json`` files, in the folder itself or one
or two folders down (``designs/P9/design.json``). :func:`read_registrations` reads and checks
them (the file named in any error); ingest keeps them as the table ``pilot_registrations``
(``pilot_id``, ``file``, ``document``: the JSON text) so that notebook 02 finds a pilot's
registration wherever the warehouse is read (:func:`registration`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cxex_analysis.errors import UnusableFileError
from cxex_analysis.store.warehouse import has_table

TABLE = "pilot_registrations"

#: how deep below the data folder registrations are looked for
DEPTH = 2


def registration_files(data_dir: Path | str) -> list[Path]:
    """Every ``design*.json`` in the data folder and up to :data:`DEPTH` folders below it."""
    root = Path(data_dir)
    found = []
    for depth in range(DEPTH + 1):
        found += sorted(root.glob("/".join(["*"] * depth + ["design*.json"])))
    return found


def read_registrations(data_dir: Path | str, pilot_ids: set[str] | None = None) -> pd.DataFrame:
    """The registrations of a data folder, one row per pilot.

    Raises :class:`~cxex_analysis.errors.UnusableFileError` naming the file when one cannot
    be read, is not a cxex registration, names a pilot the registry does not hold
    (``pilot_ids``), or registers a pilot another file registers too.
    """
    rows = []
    seen: dict[str, Path] = {}
    root = Path(data_dir)
    for path in registration_files(root):
        name = str(path.relative_to(root))
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UnusableFileError(name, f"cannot be read as JSON ({error})",
                                    expected="the design.json cxex design wrote") from None
        if not isinstance(document, dict) or "cxex_design" not in document:
            raise UnusableFileError(name, "is not a pilot registration (no `cxex_design` key)",
                                    expected="the design.json cxex design wrote, or rename "
                                             "the file so that it does not start with 'design'")
        pilot_id = str(document.get("pilot_id", ""))
        if not pilot_id:
            raise UnusableFileError(name, "names no pilot", column="pilot_id")
        if pilot_ids is not None and pilot_id not in pilot_ids:
            raise UnusableFileError(name, f"registers pilot {pilot_id!r}, which pilots.csv does "
                                    "not list", column="pilot_id",
                                    expected="its row in pilots.csv (cxex design wrote it)")
        if pilot_id in seen:
            raise UnusableFileError(name, f"registers pilot {pilot_id!r}, as "
                                    f"{seen[pilot_id].relative_to(root)} does too",
                                    expected="one registration per pilot")
        seen[pilot_id] = path
        rows.append({"pilot_id": pilot_id, "file": name,
                     "document": json.dumps(document, ensure_ascii=False)})
    return pd.DataFrame(rows, columns=["pilot_id", "file", "document"])


def registration(con, pilot_id: str) -> dict | None:
    """A pilot's registration from the warehouse (None when it has none)."""
    if not has_table(con, TABLE):
        return None
    found = con.execute(f"SELECT document FROM {TABLE} WHERE pilot_id = ?", [pilot_id]).fetchall()
    return json.loads(found[0][0]) if found else None
