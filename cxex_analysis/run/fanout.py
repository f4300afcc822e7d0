"""Fan-out: the runs of one notebook — once, once per pilot with units, or once per region,
unit type or unit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cxex_analysis.panels.group_scores import list_groups
from cxex_analysis.run.notebook_runs import NotebookRun
from cxex_analysis.run.parameters import notebook_parameters
from cxex_analysis.store.inventory import inventory
from cxex_analysis.store.warehouse import connect

#: Group reports made by default: one per region and one per unit type
#: (``--param group_by=unit`` makes one per unit).
GROUP_REPORTS = ("region", "unit_type")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", str(text)).strip("-") or "group"


def fan_out(path: Path, warehouse: Path, given: dict[str, Any],
            inv=None) -> list[tuple[str, dict[str, Any]]]:
    """The runs of one notebook: once, once per pilot (``pilot_id``) or once per group.

    A value given explicitly (``--param pilot_id=P2``) runs that one only. Pilots come from
    the inventory (those with units assigned); a notebook whose list is empty is not run.
    """
    declared = notebook_parameters(path)
    if {"group_by", "group"} <= set(declared) and "group" not in given:

        levels = [given["group_by"]] if "group_by" in given else list(GROUP_REPORTS)
        con = connect(warehouse)
        try:
            return [(f"{level}-{_slug(g)}", {"group_by": level, "group": g})
                    for level in levels for g in list_groups(con, level)]
        finally:
            con.close()
    if "pilot_id" in declared and "pilot_id" not in given:
        return [(str(p), {"pilot_id": p}) for p in (inv.pilots_with_units if inv else ())]
    return [("", {})]


def pilots_without_units(path: Path, inv, given: dict[str, Any]) -> list[NotebookRun]:
    """Skipped entries for registry pilots that no unit was assigned to."""
    if "pilot_id" not in notebook_parameters(path) or "pilot_id" in given:
        return []
    return [NotebookRun(f"{path.stem}-{p}", "skipped",
                        reason=f"not run — pilot {p} has no units in pilot_assignments")
            for p in inv.pilots if p not in inv.pilots_with_units]


def take_inventory(warehouse):
    """The warehouse's :class:`~cxex_analysis.plan.Inventory`."""
    con = connect(warehouse)
    try:
        return inventory(con)
    finally:
        con.close()
