"""The run plan: per notebook, run, run with sections left out, or skip — with the reason in
plain words and what to add (from :mod:`cxex_analysis.store.inventory`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cxex_analysis.store.inventory import BY_KEY, Inventory, left_out


@dataclass(frozen=True)
class NotebookPlan:
    """What the run does with one notebook: ``run`` (``left_out`` lists sections it cannot
    show) or ``skip`` with ``reason``."""

    notebook: str
    action: str
    reason: str = ""
    left_out: tuple[str, ...] = ()


#: The analyses each notebook shows; a notebook runs when at least one is available.
NOTEBOOK_ANALYSES = {
    "00": ("audit",),
    "01": ("ex_metrics", "cx_metrics", "linkage", "outcome_links", "mediation"),
    "02": ("pilots",),
    "03": ("rox_pilot", "rox_programme", "rox_metrics", "customer_value"),
    "04": ("groups",),
    "05": ("verbatims",),
    "06": ("actions",),
    "07": ("claims",),
}


def notebook_plan(name: str, inv: Inventory) -> NotebookPlan:
    """The plan for notebook ``name`` (its file stem or number prefix) on this data set."""
    keys = NOTEBOOK_ANALYSES.get(name[:2])
    if keys is None:  # a notebook the suite does not know: run it as it is
        return NotebookPlan(name, "run")
    analyses = [BY_KEY[k] for k in keys]
    if any(a.available(inv) for a in analyses):
        return NotebookPlan(name, "run", left_out=tuple(left_out(inv, list(keys))))
    if len(analyses) == 1:
        return NotebookPlan(name, "skip", f"not run — it {analyses[0].reason(inv)}.")
    return NotebookPlan(name, "skip", "not run — " + "; ".join(
        f"{a.purpose or a.label} it {a.reason(inv)}" for a in analyses) + ".")


def describe(plans: list[NotebookPlan], titles: Callable[[str], str] = lambda n: n) -> list[str]:
    """The plan as lines for the terminal or a log."""
    lines = []
    for p in plans:
        if p.action == "skip":
            lines.append(f"  skip {titles(p.notebook)}: {p.reason}")
        else:
            lines.append(f"  run  {titles(p.notebook)}"
                         + (f" (without: {'; '.join(s.split(': not run')[0] for s in p.left_out)})"
                            if p.left_out else ""))
    return lines
