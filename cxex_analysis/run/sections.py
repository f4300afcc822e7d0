"""A notebook's sections, and the guard that keeps one failing section from taking its report
down.

A section is what follows a second-level heading (``## …``) up to the next one; the cells
before the first (parameters, imports, the data every section reads) are the preamble. A run
executes a notebook cell by cell (:func:`run_cells`). When a cell raises:

* **guarded** (the default of ``cxex run``): its section shows a box "This section could not
  be computed: <one line>" in place of the error, its remaining cells are not run, the
  traceback goes to the run's ``kernel.log``, and the rest of the notebook runs on. The
  failures are returned so that the manifest lists them (``sections_failed``), the executive
  summary names them and ``cxex run`` exits 4 ("published; some sections failed").
* **strict** (``cxex run --strict``, and the project's own tests): the notebook stops at the
  error, exactly as papermill does, and the run fails.

A section whose cell fails only because an earlier failure left a name undefined says which
section it needed, rather than Python's words. A cell tagged :data:`CLOSING` (the one that
fills in the summary at the top and records the results) runs even when its section failed:
what the other sections found is still summed up and published.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass

import nbformat
from nbclient.exceptions import CellExecutionError

from cxex_analysis.privacy import mask_pii

#: The section of the cells before the first heading (parameters, imports, shared data).
PREAMBLE = "the data this report reads"

#: The tag of a cell that runs even when an earlier cell of its section failed.
CLOSING = "closing"

#: A failure's one line is cut to this many characters in the box and the manifest.
MAX_REASON = 300

_HEADING = re.compile(r"^##\s+(?!#)(.+)$", flags=re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

BOX_STYLE = ("border:2px solid #b3261e;border-radius:6px;padding:0.6em 1.2em;margin:0.8em 0;"
             "background:#fcf1f0")


@dataclass(frozen=True)
class SectionFailure:
    """A section that could not be computed: its heading and the reason in one line."""

    section: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def section_titles(notebook) -> list[str]:
    """For each cell, the title of the section it belongs to (:data:`PREAMBLE` before the
    first second-level heading)."""
    titles, current = [], PREAMBLE
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.search("".join(cell.source))
            if found:
                current = found.group(1).strip()
        titles.append(current)
    return titles


def one_line(ename: str, evalue: str) -> str:
    """An error as one line a reader can take: no traceback, no colour codes, no e-mail
    address or phone number, at most :data:`MAX_REASON` characters."""
    first = _ANSI.sub("", str(evalue or "")).strip().splitlines()
    text = mask_pii(f"{ename}: {first[0]}" if first else str(ename)) or ""
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def box_output(reason: str):
    """The display output that replaces a failed cell's error."""
    markup = (f'<div class="cxex-failed" role="alert" style="{BOX_STYLE}"><strong>This section '
              f"could not be computed:</strong> {html.escape(reason)}</div>")
    return nbformat.v4.new_output("display_data", data={
        "text/html": markup, "text/plain": f"This section could not be computed: {reason}"})


def run_cells(client, notebook, name: str, strict: bool = True,
            log=None) -> tuple[str, str | None, list[SectionFailure]]:
    """Run every code cell of ``notebook`` with the nbclient ``client`` (kernel started).

    Returns (status, error, failures): strict, the first error fails the notebook
    (``"failed"`` and a one-line error); guarded, the notebook is ``"ok"`` and ``failures``
    lists the sections that could not be computed. ``log`` (a writable text file) receives
    each guarded failure's traceback.
    """
    titles = section_titles(notebook)
    failed: dict[str, str] = {}
    failures: list[SectionFailure] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        section = titles[index]
        closing = CLOSING in cell.get("metadata", {}).get("tags", [])
        if section in failed and not closing:  # the rest of a failed section: not run
            cell["outputs"] = []
            continue
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as failure:
            if strict:
                return "failed", f"{name} failed in code cell {index + 1} ({failure.ename}: " \
                                 f"{failure.evalue})", failures
            reason = _reason(failure, failed)
            failed[section] = reason
            failures.append(SectionFailure(section, reason))
            cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell["outputs"].append(box_output(reason))
            if log is not None:
                log.write(f"[{name}] section {section!r} could not be computed (code cell "
                          f"{index + 1}):\n{_ANSI.sub('', str(failure))}\n")
                log.flush()
    return "ok", None, failures


def _reason(failure: CellExecutionError, failed: dict[str, str]) -> str:
    """The box's one line; a name left undefined by an earlier failed section says which."""
    if failure.ename == "NameError" and failed:
        earlier = list(failed)
        return ("it needs what an earlier part of this report could not compute ("
                + ", ".join(f"“{s}”" for s in earlier) + ")")
    return one_line(failure.ename, failure.evalue)
