"""Execute the notebooks with papermill and publish HTML reports for a run.

A run writes ``OUT/<run_id>/`` with the executed notebooks, one HTML report per notebook
(code hidden, charts embedded), ``results.json`` (tidy records collected from every
notebook, see :mod:`cxex_analysis.results`) and ``manifest.json`` (parameters, input file
hashes, package versions, git commit, per-notebook status and timing). ``OUT/latest`` is
switched to the new run only when every notebook succeeded; a failed run never replaces it.

Parameters are checked against the notebooks' parameters cells before any kernel starts:
papermill itself only warns about unknown names, which would silently produce a report
built on defaults.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import paths
from .errors import CxexError, ParameterError
from .results import MIME_TYPE, collect_notebook, write_json

KERNEL_NAME = "python3"
_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass
class NotebookRun:
    name: str
    status: str = "pending"  # ok | failed | skipped | pending
    seconds: float = 0.0
    error: str | None = None
    html: str | None = None
    reason: str | None = None  # why it was skipped, or the sections it left out


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every planned notebook succeeded (a skipped one is not a failure)."""
        return all(n.status in ("ok", "skipped") for n in self.notebooks)


def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The suite's notebooks, in run order (by their number prefix)."""
    folder = Path(folder) if folder else paths().notebooks
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters cell of a notebook: name -> {type, default, help}."""
    import papermill as pm

    found = pm.inspect_notebook(str(path))
    return {name: {"type": spec.get("inferred_type_name", "None"),
                   "default": spec.get("default"), "help": spec.get("help", "")}
            for name, spec in found.items()}


def coerce_parameter(name: str, value: Any, type_name: str, notebook: str) -> Any:
    """Convert a command-line text value to the parameter's declared type, or raise."""
    target = _TYPES.get(type_name.split("[")[0].strip().lower())
    if target is None:
        return value
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if target is bool:
                lowered = text.lower()
                if lowered in ("true", "1", "yes"):
                    return True
                if lowered in ("false", "0", "no"):
                    return False
                raise ValueError
            if target is int:
                return int(text)
            if target is float:
                return float(text)
            return text
        except ValueError:
            pass
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ParameterError(
        f"parameter `{name}` of {notebook} must be of type {type_name}, but {value!r} was passed.")


def check_parameters(notebooks: list[Path], parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per notebook, the given parameters it declares, converted to their declared types.

    Raises :class:`ParameterError` for a name no notebook declares, or a value of the wrong type.
    """
    declared = {nb.name: notebook_parameters(nb) for nb in notebooks}
    known = {name for spec in declared.values() for name in spec}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {unknown}; the notebooks accept: {', '.join(sorted(known))}.")
    per_notebook: dict[str, dict[str, Any]] = {}
    for name, spec in declared.items():
        per_notebook[name] = {
            key: coerce_parameter(key, value, spec[key]["type"], name)
            for key, value in parameters.items() if key in spec}
    return per_notebook


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
    from .warehouse import connect

    declared = notebook_parameters(path)
    if {"group_by", "group"} <= set(declared) and "group" not in given:
        from .groups import list_groups

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


def _pilots_without_units(path: Path, inv, given: dict[str, Any]) -> list[NotebookRun]:
    """Skipped entries for registry pilots that no unit was assigned to."""
    if "pilot_id" not in notebook_parameters(path) or "pilot_id" in given:
        return []
    return [NotebookRun(f"{path.stem}-{p}", "skipped",
                        reason=f"not run — pilot {p} has no units in pilot_assignments")
            for p in inv.pilots if p not in inv.pilots_with_units]


def take_inventory(warehouse):
    """The warehouse's :class:`~cxex_analysis.plan.Inventory`."""
    from .plan import inventory
    from .warehouse import connect

    con = connect(warehouse)
    try:
        return inventory(con)
    finally:
        con.close()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths().root, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    from importlib import metadata

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


def export_html(executed: Path, target: Path) -> Path:
    """Render an executed notebook to self-contained HTML without code or stderr."""
    import nbformat
    from nbconvert import HTMLExporter

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
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    body, _ = exporter.from_notebook_node(notebook)
    body = _REMOTE_LINK.sub("", _SCRIPT.sub("", body))
    body = _contents(body)
    target.write_text(body, encoding="utf-8")
    return target


def _failed_cell(executed: Path) -> str:
    import nbformat

    try:
        notebook = nbformat.read(str(executed), as_version=4)
    except Exception:  # the file may not exist if the kernel never started
        return "before the first cell"
    code_index = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"code cell {code_index} ({output.get('ename')}: {output.get('evalue')})"
    return "an unknown cell"


@contextlib.contextmanager
def _kernel_chatter_to(log_path: Path):
    """Send this process's stderr (which kernels inherit) to ``log_path`` for a while.

    Kernels print start-up warnings straight to the inherited file descriptor 2; they belong
    in the run's ``kernel.log``, not on the terminal of a scheduled job.
    """
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(log_path, "ab") as handle:
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


class WarmKernel:
    """One notebook executed for many parameter sets in one warm kernel.

    Each job's parameters are injected as papermill does (an ``injected-parameters`` cell);
    between jobs the kernel's namespace is reset, while imported modules and the package's
    caches stay warm. This is what makes hundreds of group reports affordable: a fresh
    kernel costs seconds, a reset milliseconds.
    """

    def __init__(self, path: str, work: str, log_path: str | None = None):
        from nbclient import NotebookClient
        from papermill.iorw import load_notebook_node

        self.path, self.work = path, work
        self.template = load_notebook_node(path)  # as papermill loads it (every cell has tags)
        self.client = NotebookClient(self._copy(self.template), kernel_name=KERNEL_NAME,
                                     timeout=1800, resources={"metadata": {"path": work}})
        chatter = _kernel_chatter_to(Path(log_path)) if log_path else contextlib.nullcontext()
        with chatter:  # as nbclient's setup_kernel(), kept open across jobs
            self.client.km = self.client.create_kernel_manager()
            self.client.start_new_kernel()
            self.client.start_new_kernel_client()

    @staticmethod
    def _copy(node):
        import copy

        return copy.deepcopy(node)

    def run(self, name: str, parameters: dict) -> tuple[dict, Any]:
        """Execute one job; return its outcome (name, status, error, seconds) and the notebook."""
        import nbformat
        from nbclient.exceptions import CellExecutionError
        from papermill.parameterize import parameterize_notebook

        started = time.perf_counter()
        notebook = parameterize_notebook(self._copy(self.template), parameters,
                                         kernel_name=KERNEL_NAME)
        self.client.nb = notebook
        status, error = "ok", None
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            try:
                self.client.execute_cell(cell, index)
            except CellExecutionError as failure:
                status = "failed"
                error = f"{name} failed in code cell {index + 1} ({failure.ename}: {failure.evalue})"
                break
        # what is left once the namespace is cleared (imported modules, the package's caches,
        # anything a library keeps) is frozen out of the garbage collector after every job:
        # %reset collects, and walking a warm kernel's hundreds of thousands of surviving
        # objects cost more than a small report, and more with every job
        reset = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "%reset -f\nimport gc\ngc.freeze()\ndel gc")])
        self.client.nb = reset
        self.client.execute_cell(reset.cells[0], 0)
        return ({"name": name, "status": status, "error": error,
                 "seconds": time.perf_counter() - started}, notebook)

    def close(self) -> None:
        try:
            self.client._cleanup_kernel()  # what nbclient's setup_kernel() does on exit
        except Exception:  # the kernel may already be gone
            pass


def _batch_worker(path: str, jobs: list[tuple[str, dict]], work: str, log_path: str) -> list[dict]:
    """Execute one notebook for many parameter sets in one warm kernel (a worker process)."""
    import nbformat

    outcomes = []
    kernel = WarmKernel(path, work, log_path)
    try:
        with _kernel_chatter_to(Path(log_path)):
            for name, parameters in jobs:
                outcome, notebook = kernel.run(name, parameters)
                executed = Path(work) / f"{name}.ipynb"
                nbformat.write(notebook, str(executed))
                outcome["html"] = export_html(executed, Path(work) / f"{name}.html").name
                outcomes.append(outcome)
    finally:
        kernel.close()
    return outcomes


def run_batch(path: Path, jobs: list[tuple[str, dict]], work: Path, workers: int = 1) -> list[NotebookRun]:
    """Run ``jobs`` (name, parameters) of one notebook on ``workers`` warm kernels."""
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(workers, len(jobs)))
    chunks = [jobs[i::workers] for i in range(workers)]
    log = str(work / "kernel.log")
    if workers == 1:
        results = [_batch_worker(str(path), chunks[0], str(work), log)]
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(_batch_worker, str(path), chunk, str(work), log) for chunk in chunks]
            results = [f.result() for f in futures]
    order = {name: i for i, (name, _) in enumerate(jobs)}
    runs = [NotebookRun(r["name"], r["status"], r["seconds"], r["error"], r["html"])
            for chunk in results for r in chunk]
    return sorted(runs, key=lambda r: order[r.name])


# ----------------------------------------------------------------------------------------
# the Dask executor: per-pilot and per-group jobs as tasks on a Dask distributed cluster
# ----------------------------------------------------------------------------------------

#: per worker process and thread: notebook path -> its warm kernel
_WARM: dict[tuple[str, int], WarmKernel] = {}


def _close_warm_kernels() -> None:
    while _WARM:
        _WARM.popitem()[1].close()


def _dask_job(path: str, name: str, parameters: dict, notebook_text: str) -> dict:
    """A Dask task: run one job in this worker's warm kernel for the notebook.

    The notebook travels with the task (``notebook_text``) and the executed notebook and
    its HTML travel back in the result, so workers need no access to the run's folder;
    they need the warehouse (a PostgreSQL URL, or a DuckDB file on storage they share).
    """
    import atexit
    import hashlib
    import tempfile
    import threading

    import nbformat

    digest = hashlib.sha256(notebook_text.encode()).hexdigest()[:16]
    key = (digest, threading.get_ident())
    kernel = _WARM.get(key)
    if kernel is None:
        folder = Path(tempfile.mkdtemp(prefix="cxex-dask-"))
        source = folder / Path(path).name
        source.write_text(notebook_text, encoding="utf-8")
        if not _WARM:
            atexit.register(_close_warm_kernels)
        kernel = _WARM[key] = WarmKernel(str(source), str(folder), str(folder / "kernel.log"))
    outcome, notebook = kernel.run(name, parameters)
    executed = Path(kernel.work) / f"{name}.ipynb"
    nbformat.write(notebook, str(executed))
    html = export_html(executed, Path(kernel.work) / f"{name}.html")
    outcome["notebook"] = executed.read_text(encoding="utf-8")
    outcome["html_text"] = html.read_text(encoding="utf-8")
    executed.unlink()
    html.unlink()
    return outcome


def dask_client(scheduler: str | None, workers: int = 2):
    """A client of the cluster at ``scheduler`` (``tcp://host:8786``), or of a local cluster
    of ``workers`` processes (one thread each) when ``scheduler`` is None."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency of cxex
        raise CxexError("the Dask executor needs the `distributed` package "
                        "(pip install 'dask[distributed]').") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as error:
            raise CxexError(f"cannot reach the Dask scheduler at {scheduler} ({error}). Start one "
                            "with `dask scheduler` and workers with `dask worker ADDRESS`.") from None
    cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster


def run_batch_dask(path: Path, jobs: list[tuple[str, dict]], work: Path, client) -> list[NotebookRun]:
    """Run ``jobs`` of one notebook as tasks on a Dask cluster; write their outputs to ``work``.

    A task whose worker dies is re-run on another worker by the scheduler (up to Dask's
    ``distributed.scheduler.allowed-failures``, default 3); a task that raises is retried
    twice. A notebook that fails in a cell is not retried: it is reported like the local
    executor does, and the run stops after its batch.
    """
    from distributed import as_completed

    text = Path(path).read_text(encoding="utf-8")
    futures = {client.submit(_dask_job, str(path), name, parameters, text, retries=2, pure=False,
                             key=f"cxex-{name}-{os.getpid()}-{time.time_ns()}"): name
               for name, parameters in jobs}
    runs: dict[str, NotebookRun] = {}
    for future in as_completed(futures):
        name = futures[future]
        try:
            outcome = future.result()
        except Exception as error:  # KilledWorker after repeated deaths, or the task itself
            runs[name] = NotebookRun(name, "failed", 0.0,
                                     f"{name} could not run on the cluster: {type(error).__name__}: {error}")
            continue
        (work / f"{name}.ipynb").write_text(outcome["notebook"], encoding="utf-8")
        (work / f"{name}.html").write_text(outcome["html_text"], encoding="utf-8")
        runs[name] = NotebookRun(name, outcome["status"], outcome["seconds"], outcome["error"],
                                 f"{name}.html")
    return [runs[name] for name, _ in jobs]


def run(warehouse: Path | str, out_dir: Path | str, notebooks: list[Path] | None = None,
        parameters: dict[str, Any] | None = None, run_id: str | None = None,
        progress: Callable[[str], None] | None = print, workers: int = 1,
        executor: str = "local", scheduler: str | None = None) -> RunResult:
    """Execute ``notebooks`` against ``warehouse`` and publish the run under ``out_dir``.

    ``executor="local"`` runs per-pilot and per-group reports on ``workers`` warm kernels of
    this machine; ``executor="dask"`` runs them as tasks on the Dask cluster at ``scheduler``
    (or on a local Dask cluster of ``workers`` processes). Notebooks that run once run here.

    Returns a :class:`RunResult`; ``out_dir/latest`` points at the run only if it succeeded.
    """
    from .errors import check_argument

    check_argument("executor", executor, ("local", "dask"))
    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    say = progress or (lambda message: None)
    notebooks = list(notebooks) if notebooks is not None else list_notebooks()
    if not notebooks:
        raise CxexError(f"no notebooks found in {paths().notebooks}")
    from . import postgres

    if postgres.is_url(warehouse):
        # a password in the URL goes to the kernels through PGPASSWORD, never into a notebook,
        # a manifest or a log
        warehouse = postgres.export_password(str(warehouse))
    else:
        warehouse = Path(warehouse).resolve()
    given = dict(parameters or {})
    given.setdefault("warehouse", str(warehouse))
    per_notebook = check_parameters(notebooks, given)
    from .plan import describe, notebook_plan
    from .summary import report_title

    inv = take_inventory(warehouse)
    if "pilot_id" in given and str(given["pilot_id"]) not in inv.pilots:
        raise ParameterError(f"`pilot_id` {given['pilot_id']!r} is not in the pilot registry "
                             f"(pilots: {', '.join(inv.pilots) or 'none'}).")
    plans = {path.name: notebook_plan(path.stem, inv) for path in notebooks}
    say("Plan (from what the data hold):")
    for line in describe(list(plans.values()), report_title):
        say(line)

    # reach the cluster before anything is written: an unreachable scheduler fails fast
    dask = dask_client(scheduler, workers) if executor == "dask" else None
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    work = out_dir / f".{run_id}.partial"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    result = RunResult(run_id, out_dir / run_id)
    frames = []
    try:
        for path in notebooks:
            planned = plans[path.name]
            if planned.action == "skip":
                result.notebooks.append(NotebookRun(path.stem, "skipped", reason=planned.reason))
                continue
            result.notebooks.extend(_pilots_without_units(path, inv, per_notebook[path.name]))
            jobs = [(path.stem + (f"-{suffix}" if suffix else ""), {**per_notebook[path.name], **extra})
                    for suffix, extra in fan_out(path, warehouse, per_notebook[path.name], inv)]
            if not jobs:
                say(f"  skipped {path.stem}: nothing to run it for")
                continue
            left_out = "; ".join(planned.left_out) or None
            if len(jobs) > 1:
                started = time.perf_counter()
                where = ("the Dask cluster" if executor == "dask" else
                         f"{min(workers, len(jobs))} warm kernel(s)")
                say(f"  running {path.stem} x {len(jobs)} on {where} …")
                if dask is not None:
                    batch = run_batch_dask(path, jobs, work, dask[0])
                else:
                    batch = run_batch(path, jobs, work, workers)
                for item in batch:
                    item.reason = left_out
                result.notebooks.extend(batch)
                for item in batch:
                    executed = work / f"{item.name}.ipynb"
                    if executed.exists():
                        frames.append(collect_notebook(executed))
                write_json(frames, work / "results.json")
                failed = [b for b in batch if b.status != "ok"]
                say(f"  {'done' if not failed else 'FAILED'}: {path.stem} x {len(jobs)} "
                    f"({time.perf_counter() - started:.1f} s)"
                    + (f" — {failed[0].error}" if failed else ""))
                if failed:
                    break
                continue
            name, job_parameters = jobs[0]
            item = NotebookRun(name, reason=left_out)
            result.notebooks.append(item)
            executed = work / f"{name}.ipynb"
            started = time.perf_counter()
            say(f"  running {name} …")
            try:
                with _kernel_chatter_to(work / "kernel.log"):
                    pm.execute_notebook(str(path), str(executed), parameters=job_parameters,
                                        kernel_name=KERNEL_NAME, progress_bar=False,
                                        log_output=False, cwd=str(work))
                item.status = "ok"
            except pm.PapermillExecutionError:
                item.status = "failed"
                item.error = f"{name} failed in {_failed_cell(executed)}"
            except Exception as error:  # kernel death, missing kernel, unreadable notebook
                item.status = "failed"
                item.error = f"{name} could not run: {type(error).__name__}: {error}"
            item.seconds = time.perf_counter() - started
            if executed.exists():
                html_path = export_html(executed, work / f"{name}.html")
                item.html = html_path.name
                frames.append(collect_notebook(executed))
                # later notebooks (return on experience) read what earlier ones recorded
                write_json(frames, work / "results.json")
            say(f"  {'done' if item.status == 'ok' else 'FAILED'}: {name} "
                f"({item.seconds:.1f} s)" + (f" — {item.error}" if item.error else ""))
            if item.status != "ok":
                break
    finally:
        if dask is not None:
            dask[0].close()
            if dask[1] is not None:
                dask[1].close()

    write_json(frames if frames else [], work / "results.json")
    from .export import to_csv
    from .results import read_json

    to_csv(read_json(work / "results.json"), work / "results.csv")  # for spreadsheets, formula-safe
    _write_index(work, result, warehouse)
    manifest = {
        "run_id": run_id,
        "started_notebooks": [n.name for n in result.notebooks],
        "status": "ok" if result.ok else "failed",
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in given.items()},
        "warehouse": postgres.redact(str(warehouse)),
        "executor": executor if executor == "local" else f"dask ({scheduler or 'local cluster'})",
        "inputs": _input_hashes(warehouse),
        "versions": _versions(),
        "git_commit": _git_commit(),
        "cxex_version": __version__,
        "notebooks": [n.__dict__ for n in result.notebooks],
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    if result.run_dir.exists():
        shutil.rmtree(result.run_dir)
    work.rename(result.run_dir)
    if result.ok:
        _point_latest(out_dir, run_id)
    return result


def _input_hashes(warehouse: Path) -> list[dict]:
    from .warehouse import connect, has_table

    try:
        con = connect(warehouse)
    except CxexError:
        return []
    try:
        if not has_table(con, "ingest_files"):
            return []
        return con.execute(
            "SELECT \"table\" AS table_name, file, sha256, rows_read, rows_accepted, "
            "rows_quarantined FROM ingest_files WHERE status = 'ok'").df().to_dict("records")
    finally:
        con.close()


def _write_index(work: Path, result: RunResult, warehouse: Path) -> None:
    """The executive summary, generated from the run's results.json."""
    from .summary import build_index, report_title
    from .warehouse import connect, has_table, read_table

    reports = [{"name": n.name, "html": n.html, "title": report_title(n.name),
                "status": n.status, "reason": n.reason}
               for n in result.notebooks if n.html or n.status == "skipped"]
    registry = None
    try:
        con = connect(warehouse)
        try:
            registry = read_table(con, "pilots") if has_table(con, "pilots") else None
        finally:
            con.close()
    except CxexError:
        registry = None
    build_index(work, reports, registry, run_id=result.run_id)


def _point_latest(out_dir: Path, run_id: str) -> None:
    """Switch ``out_dir/latest`` to ``run_id`` atomically (a symlink replaced by rename)."""
    tmp = out_dir / f".latest.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_id, target_is_directory=True)
    os.replace(tmp, out_dir / "latest")
