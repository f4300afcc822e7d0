"""Execute the notebooks with papermill and publish HTML reports for a run.

A run writes ``OUT/<run_id>/`` with the executed notebooks, one HTML report per notebook
(code hidden, charts embedded), ``results.json`` (tidy records collected from every
notebook, see :mod:`cxex_analysis.results`) and ``manifest.json`` (parameters, input file
hashes, package versions, git commit, per-notebook status, timing and the sections that
could not be computed). ``OUT/latest`` is switched to the new run only when every notebook
ran; a failed run never replaces it.

A run is guarded by default: a section that raises shows a box in its report and the rest
runs (:mod:`cxex_analysis.run.sections`); ``strict`` stops at the first error instead, as
the project's own tests do (``CXEX_STRICT=1`` makes strict the default).

Parameters are checked against the notebooks' parameters cells before any kernel starts:
papermill itself only warns about unknown names, which would silently produce a report
built on defaults.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from cxex_analysis import __version__
from cxex_analysis.config import MIN_GROUP_SIZE, paths
from cxex_analysis.errors import CxexError, ParameterError, check_argument
from cxex_analysis.estimators import codebook
from cxex_analysis.privacy import without_home
from cxex_analysis.progress import Progress
from cxex_analysis.reporting.export import to_csv
from cxex_analysis.reporting.pdf import chromium_path, write_pdfs
from cxex_analysis.reporting.summary import report_title
from cxex_analysis.results import read_json, write_json
from cxex_analysis.run import run_folders
from cxex_analysis.run.dask_executor import dask_client, run_batch_dask
from cxex_analysis.run.fanout import fan_out, pilots_without_units, take_inventory
from cxex_analysis.run.kernels import WarmKernel, kernel_chatter_to, run_batch
from cxex_analysis.run.notebook_runs import NotebookRun, RunResult
from cxex_analysis.run.parameters import check_parameters, list_notebooks, notebook_parameters
from cxex_analysis.run.plan import describe, notebook_plan
from cxex_analysis.run.publish import (
    collect_notebook,
    export_html,
    git_commit,
    input_hashes,
    package_versions,
    point_latest,
    report_pages,
    write_index,
)
from cxex_analysis.store import disk_cache
from cxex_analysis.store.warehouse import Warehouse

#: Reports of one notebook from which a run starts ``workers`` kernels of their own: fewer run
#: in turn on the run's kernel, because a kernel start and the package's imports (a few
#: seconds each) cost more than running a few reports side by side saves (the demo's two
#: pilot and ten group reports: 8.5 s and 11.3 s on two fresh kernels, about 1 and 5 s on the
#: run's warm one).
FAN_OUT_FROM = 24


def run(warehouse: Warehouse | Path | str, out_dir: Path | str, notebooks: list[Path] | None = None,
        parameters: dict[str, Any] | None = None, run_id: str | None = None,
        progress: Callable[[str], None] | None = print, workers: int = 1,
        executor: str = "local", scheduler: str | None = None, pdf: bool = False,
        strict: bool | None = None) -> RunResult:
    """Execute ``notebooks`` against ``warehouse`` and publish the run under ``out_dir``.

    ``executor="local"`` runs per-pilot and per-group reports on ``workers`` warm kernels of
    this machine (on the run's own kernel when there are fewer than :data:`FAN_OUT_FROM`);
    ``executor="dask"`` runs them as tasks on the Dask cluster at ``scheduler`` (or on a
    local Dask cluster of ``workers`` processes). Notebooks that run once take turns on the
    run's own kernel.
    ``pdf`` also prints every report to PDF beside its HTML (Chromium is checked first).
    ``strict`` stops a notebook at its first error (default: :func:`strict_default`); else a
    failing section shows a box, is listed in ``sections_failed`` and the rest runs.

    Returns a :class:`RunResult`; ``out_dir/latest`` points at the run only if every planned
    notebook ran (some of its sections may have failed: ``RunResult.sections_failed``).
    """
    strict = strict_default() if strict is None else strict
    check_argument("executor", executor, ("local", "dask"))
    if pdf:
        chromium_path()  # no Chromium: a clear error before anything runs
    logging.getLogger("papermill").setLevel(logging.WARNING)
    say = progress or (lambda message: None)
    warehouse = Warehouse.parse(warehouse).resolved()
    notebooks, given, per_notebook, inv, plans = _plan(warehouse, notebooks, parameters, say)

    # reach the cluster before anything is written: an unreachable scheduler fails fast
    dask = dask_client(scheduler, workers) if executor == "dask" else None
    out_dir = Path(out_dir).resolve()
    _cache_outside(out_dir, say)
    run_folders.prepare_out(out_dir)
    run_id = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    if stale := run_folders.remove_stale_partials(out_dir):
        say(f"Removed {len(stale)} unfinished folder(s) of earlier runs that stopped part-way: "
            + ", ".join(stale))
    work = run_folders.start(out_dir, run_id)
    result = RunResult(run_id, out_dir / run_id)
    frames: list = []
    solo: WarmKernel | None = None  # the run's own kernel: the notebooks that run once take turns
    try:
        for path in notebooks:
            planned = plans[path.name]
            if planned.action == "skip":
                result.notebooks.append(NotebookRun(path.stem, "skipped", reason=planned.reason))
                continue
            result.notebooks.extend(pilots_without_units(path, inv, per_notebook[path.name]))
            if "results_path" in notebook_parameters(path) and "results_path" not in given:
                # later notebooks read what earlier ones recorded, wherever their kernel runs
                per_notebook[path.name]["results_path"] = str(work / "results.json")
            fanned = fan_out(path, warehouse, per_notebook[path.name], inv)
            jobs = [(path.stem + (f"-{suffix}" if suffix else ""), {**per_notebook[path.name], **extra})
                    for suffix, extra, _ in fanned]
            titles = {name: title for (name, _), (_, _, title) in zip(jobs, fanned)}
            if not jobs:
                say(f"  skipped {path.stem}: nothing to run it for")
                continue
            if len(jobs) > 1:
                # a few reports, or one worker: the run's own kernel serves them
                one_here = dask is None and (workers <= 1 or len(jobs) < FAN_OUT_FROM)
                where = ("the Dask cluster" if dask is not None else "the run's kernel"
                         if one_here else f"{min(workers, len(jobs))} warm kernel(s)")
                if solo is not None and not one_here:  # its memory back for the fan-out's
                    solo.close()
                    solo = None
                if one_here and solo is None:
                    solo = WarmKernel(str(path), str(work), str(work / "kernel.log"))
                batch = _run_many(path, jobs, work, 1 if one_here else workers, dask, where,
                                  progress, strict, solo if one_here else None)
            else:
                solo, item = _run_once(solo, path, *jobs[0], work, say, strict)
                batch = [item]
            for item in batch:
                item.reason = "; ".join(planned.left_out) or None
                item.title = titles.get(item.name)
                executed = work / f"{item.name}.ipynb"
                if executed.exists():
                    frames.append(collect_notebook(executed))
            # later notebooks (return on experience) read what earlier ones recorded
            write_json(frames, work / "results.json")
            result.notebooks.extend(batch)
            if any(item.status != "ok" for item in batch):
                break
    finally:
        if solo is not None:
            solo.close()
        _close(dask)
    _publish(work, result, frames, given, warehouse,
             executor if executor == "local" else f"dask ({scheduler or 'local cluster'})",
             say if pdf else None, strict)
    if result.ok:
        point_latest(out_dir, run_id)
    return result


def _cache_outside(out_dir: Path, say: Callable[[str], None]) -> None:
    """The comment cache's folder: never inside the reports folder, which is published (the
    cache holds every comment with its response and unit ids); made absolute for the kernels,
    which run inside the run folder; a folder someone else owns or can write to is not used,
    which is said."""
    folder = paths().cache
    if out_dir == folder.resolve() or out_dir in folder.resolve().parents:
        raise ParameterError(
            f"CXEX_CACHE_DIR {folder} is inside the reports folder {out_dir}: the cache holds "
            "every comment with its response and unit ids and would be published. Choose a "
            "folder outside it (by default ~/.cache/cxex).")
    if problem := disk_cache.private_problem(folder):
        say(f"The comment cache {folder} is not used ({problem}): comments are read again by "
            "every kernel. Give CXEX_CACHE_DIR a folder of your own (mode 0700).")
    if os.environ.get("CXEX_CACHE_DIR", "").strip():
        os.environ["CXEX_CACHE_DIR"] = str(folder)


def _plan(warehouse: Warehouse, notebooks: list[Path] | None, parameters: dict[str, Any] | None,
          say: Callable[[str], None]):
    """The notebooks, the parameters given and those of each notebook (checked), the
    warehouse's inventory and each notebook's plan, printed."""
    notebooks = list(notebooks) if notebooks is not None else list_notebooks()
    if not notebooks:
        raise CxexError(f"no notebooks found in {paths().notebooks}")
    given = dict(parameters or {})
    given.setdefault("warehouse", str(warehouse))
    if given.get("codebook"):  # a file: from where the command was typed, checked now
        given["codebook"] = str(codebook.resolve(given["codebook"]))
    per_notebook = check_parameters(notebooks, given)
    inv = take_inventory(warehouse)
    if "pilot_id" in given and str(given["pilot_id"]) not in inv.pilots:
        raise ParameterError(f"`pilot_id` {given['pilot_id']!r} is not in the pilot registry "
                             f"(pilots: {', '.join(inv.pilots) or 'none'}).")
    plans = {path.name: notebook_plan(path.stem, inv) for path in notebooks}
    for line in ["Plan (from what the data hold):", *describe(list(plans.values()), report_title)]:
        say(line)
    return notebooks, given, per_notebook, inv, plans


def _close(dask) -> None:
    """Close the Dask client, and the local cluster when this run started one."""
    if dask is not None:
        dask[0].close()
        if dask[1] is not None:
            dask[1].close()


def strict_default() -> bool:
    """Strict unless told otherwise: ``CXEX_STRICT=1`` (set by the project's tests) makes
    every run stop at its first error."""
    return os.environ.get("CXEX_STRICT", "") not in ("", "0")


def _run_many(path: Path, jobs: list[tuple[str, dict]], work: Path, workers: int, dask,
              where: str, progress: Callable[[str], None] | None,
              strict: bool, kernel: WarmKernel | None = None) -> list[NotebookRun]:
    """One notebook once per pilot or group, on warm kernels (``kernel``, the run's own, with
    one worker) or the Dask cluster, with its progress (a bar on a terminal, a line every
    tenth or 30 s in a log)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    say(f"  running {path.stem} x {len(jobs)} on {where} …")
    with Progress(path.stem, len(jobs), "reports", progress, summary=False) as counter:
        finished = lambda name: counter.advance()  # noqa: E731
        if dask is not None:
            batch = run_batch_dask(path, jobs, work, dask[0], finished, strict)
        else:
            batch = run_batch(path, jobs, work, workers, finished, strict, kernel)
    failed = [b for b in batch if b.status != "ok"]
    say(f"  {'done' if not failed else 'FAILED'}: {path.stem} x {len(jobs)} "
        f"({time.perf_counter() - started:.1f} s)" + (f" — {failed[0].error}" if failed else "")
        + _sections_said(batch))
    return batch


def _sections_said(runs: list[NotebookRun]) -> str:
    """' — 2 section(s) could not be computed (…)' for the terminal or log, or ''."""
    failures = [(n.name, f) for n in runs for f in n.sections_failed]
    if not failures:
        return ""
    name, first = failures[0]
    return (f" — {len(failures)} section(s) could not be computed (first: {name}, "
            f"“{first['section']}”: {first['reason']}; tracebacks in kernel.log)")


def _run_once(kernel: WarmKernel | None, path: Path, name: str, parameters: dict, work: Path,
              say: Callable[[str], None],
              strict: bool) -> tuple[WarmKernel | None, NotebookRun]:
    """One notebook on ``kernel`` (started when None: the notebooks of a run that run once
    take turns on one kernel, its namespace reset between them, rather than paying a kernel
    start and the package's imports each), exported to HTML. Returns the kernel for the next
    notebook (None when it could not be used: the next one starts afresh) and the run."""
    item = NotebookRun(name)
    executed = work / f"{name}.ipynb"
    started = time.perf_counter()
    say(f"  running {name} …")
    log = work / "kernel.log"
    try:
        if kernel is None:
            kernel = WarmKernel(str(path), str(work), str(log))
        with kernel_chatter_to(log):
            outcome, notebook = kernel.run(name, parameters, strict, path=str(path))
        item.status, item.error = outcome["status"], outcome["error"]
        item.sections_failed = outcome["sections_failed"]
        nbformat.write(notebook, str(executed))
    except Exception as error:  # kernel death, missing kernel, unreadable notebook
        item.status = "failed"
        item.error = f"{name} could not run: {type(error).__name__}: {error}"
        if kernel is not None:  # not reused: the next notebook starts afresh
            kernel.close()
            kernel = None
    item.seconds = time.perf_counter() - started
    if executed.exists():
        item.html = export_html(executed, work / f"{name}.html").name
    say(f"  {'done' if item.status == 'ok' else 'FAILED'}: {name} "
        f"({item.seconds:.1f} s)" + (f" — {item.error}" if item.error else "")
        + _sections_said([item]))
    return kernel, item


def _publish(work: Path, result: RunResult, frames: list, given: dict[str, Any],
             warehouse: Warehouse, executor: str, pdf_progress: Callable[[str], None] | None,
             strict: bool) -> None:
    """results.json and .csv, the index, the PDFs when asked (``pdf_progress`` given), the
    manifest; then the run folder takes its name."""
    write_json(frames if frames else [], work / "results.json")
    to_csv(read_json(work / "results.json"), work / "results.csv")  # for spreadsheets, formula-safe
    write_index(work, result, warehouse)
    printed = []
    if pdf_progress is not None:
        printed = write_pdfs(report_pages(work), result.run_id,
                             int(given.get("min_group_size", MIN_GROUP_SIZE)), pdf_progress)
    manifest = {
        "run_id": result.run_id,
        "started_notebooks": [n.name for n in result.notebooks],
        "status": ("failed" if not result.ok else "ok_with_failed_sections"
                   if result.sections_failed else "ok"),
        "strict": strict,
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in given.items()},
        "warehouse": warehouse.describe(),
        "executor": executor,
        "inputs": input_hashes(warehouse),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "cxex_version": __version__,
        "notebooks": [n.__dict__ for n in result.notebooks],
        "pdf_seconds": {p.pdf.name: round(p.seconds, 2) for p in printed},
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (work / "manifest.json").write_text(without_home(json.dumps(manifest, indent=2, default=str)))
    run_folders.finish(work, result.run_dir)
