"""The record of a run and of each notebook in it (status, time, error, report, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NotebookRun:
    name: str
    status: str = "pending"  # ok | failed | skipped | pending
    seconds: float = 0.0
    error: str | None = None
    html: str | None = None
    reason: str | None = None  # why it was skipped, or the sections it left out
    #: sections that could not be computed (guarded run): {"section", "reason"} each
    sections_failed: list[dict] = field(default_factory=list)
    #: what a reader calls it ("Group report: unit type Call Centre (UK)"); None: from the name
    title: str | None = None


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def sections_failed(self) -> list[tuple[str, dict]]:
        """(report name, failure) of every section that could not be computed."""
        return [(n.name, f) for n in self.notebooks for f in n.sections_failed]

    @property
    def ok(self) -> bool:
        """True when every planned notebook succeeded (a skipped one is not a failure)."""
        return all(n.status in ("ok", "skipped") for n in self.notebooks)
