"""Fan-out: the runs of one notebook — once, once per pilot with units, or once per region,
unit type or unit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from cxex_analysis.panels.group_scores import list_groups
from cxex_analysis.run.notebook_runs import NotebookRun
from cxex_analysis.run.parameters import notebook_parameters
from cxex_analysis.store.inventory import inventory
from cxex_analysis.store.warehouse import Warehouse, connect

#: Group reports made by default: one per region and one per unit type
#: (``--param group_by=unit`` makes one per unit).
GROUP_REPORTS = ("region", "unit_type")


def _slug(text: str) -> str:
    """Letters and digits of ``text`` (accents dropped), the rest as single dashes."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9A-Za-z]+", "-", plain).strip("-")


def file_names(groups: list[str]) -> list[str]:
    """A distinct, readable file-name part for each group.

    A group's letters and digits ("North & East" -> "North-East"); when that is empty (a name
    in another script) or shared, ignoring case, with another group's ("A/1", "A-1", "A.1"),
    the part ends with 8 hex digits of the name's SHA-1, so no two groups share a report file
    on any file system.
    """
    def digest(group: str) -> str:
        return hashlib.sha1(str(group).encode("utf-8")).hexdigest()[:8]

    slugs = [_slug(g) for g in groups]
    shared = Counter(s.lower() for s in slugs)
    names = [s if s and shared[s.lower()] == 1 else "-".join(p for p in (s, digest(g)) if p)
             for g, s in zip(groups, slugs)]
    seen: Counter = Counter()
    for i, name in enumerate(names):  # a name that still repeats (the same label twice)
        seen[name.lower()] += 1
        if seen[name.lower()] > 1:
            names[i] = f"{name}-{seen[name.lower()]}"
    return names


def fan_out(path: Path, warehouse: Warehouse | Path, given: dict[str, Any],
            inv=None) -> list[tuple[str, dict[str, Any], str | None]]:
    """The runs of one notebook: once, once per pilot (``pilot_id``) or once per group, each
    as (file-name suffix, parameters, title for readers or None).

    A value given explicitly (``--param pilot_id=P2``) runs that one only. Pilots come from
    the inventory (those with units assigned); a notebook whose list is empty is not run.
    Groups are named as the organisation writes them; their files by :func:`file_names`.
    """
    declared = notebook_parameters(path)
    if {"group_by", "group"} <= set(declared) and "group" not in given:

        levels = [given["group_by"]] if "group_by" in given else list(GROUP_REPORTS)
        con = connect(warehouse)
        try:
            listed = {level: list_groups(con, level) for level in levels}
        finally:
            con.close()
        return [(f"{level}-{name}", {"group_by": level, "group": g},
                 None if level == "unit" else f"Group report: {level.replace('_', ' ')} {g}")
                for level in levels for g, name in zip(listed[level], file_names(listed[level]))]
    if "pilot_id" in declared and "pilot_id" not in given:
        pilots = list(inv.pilots_with_units if inv else ())
        return [(name, {"pilot_id": p}, None if name == str(p) else f"Pilot analysis {p}")
                for p, name in zip(pilots, file_names(pilots))]
    return [("", {}, None)]


def pilots_without_units(path: Path, inv, given: dict[str, Any]) -> list[NotebookRun]:
    """Skipped entries for registry pilots that no unit was assigned to."""
    if "pilot_id" not in notebook_parameters(path) or "pilot_id" in given:
        return []
    return [NotebookRun(f"{path.stem}-{p}", "skipped",
                        reason=f"not run — pilot {p} has no units in pilot_assignments")
            for p in inv.pilots if p not in inv.pilots_with_units]


def take_inventory(warehouse):
    """The warehouse's :class:`~cxex_analysis.store.inventory.Inventory`."""
    con = connect(warehouse)
    try:
        return inventory(con)
    finally:
        con.close()
