"""Publishing a run: executed notebooks to self-contained HTML (no code, no scripts, no
remote links), the index, input hashes and versions for the manifest, and the atomic switch
of ``latest``.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from cxex_analysis.config import MIN_GROUP_SIZE, paths
from cxex_analysis.errors import CxexError, ParameterError
from cxex_analysis.reporting.pdf import PrintedReport, write_pdfs
from cxex_analysis.reporting.show import PAGE_CSS
from cxex_analysis.reporting.summary import build_index, report_title
from cxex_analysis.results import MIME_TYPE, tidy
from cxex_analysis.run.notebook_runs import RunResult
from cxex_analysis.run.run_folders import is_run
from cxex_analysis.store.accounting import heavy_quarantine, loaded_files
from cxex_analysis.store.warehouse import Warehouse, connect, has_table, read_table


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths().root, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    names = ["cxex-analysis", "pandas", "numpy", "scipy", "duckdb", "pingouin", "linearmodels",
             "statsmodels", "seaborn", "matplotlib", "papermill", "nbconvert"]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# reports need no JavaScript: every script goes (nbconvert's templates load MathJax, require.js
# and mermaid from CDNs), and so does any stylesheet from the network, so a report opens offline
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", flags=re.IGNORECASE | re.DOTALL)


_REMOTE_LINK = re.compile(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", flags=re.IGNORECASE)


_HEADING = re.compile(r"<h2 id=\"([^\"]+)\"[^>]*>(.*?)</h2>", flags=re.IGNORECASE | re.DOTALL)


_TAG = re.compile(r"<[^>]+>")


def _contents(body: str) -> str:
    """A table of contents from the report's second-level headings, after its title."""
    entries = []
    for anchor, title in _HEADING.findall(body):
        text = _TAG.sub("", title).replace("¶", "").strip()
        if text:
            entries.append(f'<li><a href="#{anchor}">{text}</a></li>')
    if not entries:
        return body
    nav = ('<nav class="cxex-toc" aria-label="Contents" style="margin:0.5em 0 1em 0;'
           "font-family:'DejaVu Sans',Arial,sans-serif;font-size:0.95em\">"
           "<strong>Contents</strong><ul>" + "".join(entries) + "</ul></nav>")
    end_of_title = body.find("</h1>")
    if end_of_title < 0:
        return body
    # between the title's cell and the next cell, as a block of its own (inside a cell the
    # notebook's grid layout would squeeze it into a column)
    next_cell = body.find('<div class="jp-Cell', end_of_title)
    if next_cell < 0:
        return body
    nav = f'<div style="padding:0 1em 0 4.5em">{nav}</div>'
    return body[:next_cell] + nav + body[next_cell:]


@functools.cache
def _exporter() -> HTMLExporter:
    """One exporter a process: its templates are loaded on the first report, not on each
    (a third of the export time of a group report)."""
    return HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, embed_images=True)


def export_html(executed: Path, target: Path, notebook=None) -> Path:
    """Render an executed notebook to self-contained HTML without code or stderr; given the
    ``notebook`` the file holds (which is then changed), it is not read again."""
    if notebook is None:
        notebook = nbformat.read(str(executed), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            if MIME_TYPE in output.get("data", {}):
                continue
            kept.append(output)
        cell["outputs"] = kept
    body, _ = _exporter().from_notebook_node(notebook)
    body = _REMOTE_LINK.sub("", _SCRIPT.sub("", body))
    body = _contents(body).replace("</head>", f"<style>{PAGE_CSS}</style></head>", 1)
    target.write_text(body, encoding="utf-8")
    return target


def input_hashes(warehouse) -> list[dict]:
    """For the manifest: each loaded file with its hash and accounting ([] without a warehouse)."""
    try:
        con = connect(warehouse)
    except CxexError:
        return []
    try:
        return loaded_files(con).to_dict("records")
    finally:
        con.close()


def write_index(work: Path, result: RunResult, warehouse: Warehouse | Path) -> None:
    """The executive summary, generated from the run's results.json."""
    reports = [{"name": n.name, "html": n.html, "title": n.title or report_title(n.name),
                "status": n.status, "reason": n.reason, "sections_failed": n.sections_failed}
               for n in result.notebooks if n.html or n.status == "skipped"]
    registry, heavy = None, []
    try:
        con = connect(warehouse)
        try:
            registry = read_table(con, "pilots") if has_table(con, "pilots") else None
            heavy = heavy_quarantine(con)
        finally:
            con.close()
    except CxexError:
        registry = None
    build_index(work, reports, registry, run_id=result.run_id, heavy_quarantine=heavy)


def report_pages(run_dir: Path) -> list[Path]:
    """The HTML reports of a run folder, the executive summary first."""
    return sorted(run_dir.glob("*.html"), key=lambda p: (p.name != "index.html", p.name))


def print_run(run_dir: Path, force: bool = False, progress=None) -> list[PrintedReport]:
    """PDFs beside the HTML reports of a finished cxex run (``reports/latest`` or a run
    folder): only the reports its manifest lists, each a file of the folder itself; the
    manifest gives the footer's run id and confidentiality threshold. Existing PDFs are
    replaced only with ``force``."""
    folder = run_dir.resolve()
    if not is_run(folder):
        raise ParameterError(
            f"{run_dir}: not a cxex run folder (cxex pdf prints only the reports of a run cxex "
            "made, which holds its .cxex-run marker and manifest.json); give reports/latest or "
            "reports/<run_id>.")
    info = json.loads((folder / "manifest.json").read_text())
    listed = ["index.html"] + [n["html"] for n in info.get("notebooks", [])
                               if isinstance(n, dict) and isinstance(n.get("html"), str)]
    pages = [folder / name for name in dict.fromkeys(listed)
             if (folder / name).parent == folder and (folder / name).is_file()
             and not (folder / name).is_symlink()]
    if not pages:
        raise ParameterError(f"{run_dir}: the run has no HTML report to print.")
    there = [p.with_suffix(".pdf").name for p in pages if p.with_suffix(".pdf").exists()
             or p.with_suffix(".pdf").is_symlink()]
    if there and not force:
        raise ParameterError(f"{run_dir}: {len(there)} PDF(s) are already there ({there[0]}"
                             f"{', …' if len(there) > 1 else ''}); --force replaces them.")
    threshold = int(info.get("parameters", {}).get("min_group_size", MIN_GROUP_SIZE))
    return write_pdfs(pages, info["run_id"], threshold, progress)


def point_latest(out_dir: Path, run_id: str) -> None:
    """Switch ``out_dir/latest`` to ``run_id`` atomically (a symlink replaced by rename)."""
    tmp = out_dir / f".latest.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_id, target_is_directory=True)
    os.replace(tmp, out_dir / "latest")


def collect_notebook(path: Path | str) -> pd.DataFrame:
    """The result rows an executed notebook recorded (:func:`cxex_analysis.results.record`),
    in order."""
    notebook = nbformat.read(str(path), as_version=4)
    records: list[dict] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME_TYPE in data:
                payload = data[MIME_TYPE]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                records.extend(payload)
    return tidy(records) if records else tidy([])
