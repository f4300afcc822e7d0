"""The Dask executor: per-pilot and per-group reports as tasks on a Dask distributed
cluster, each worker keeping a warm kernel per notebook while the batch runs; a task whose
worker dies is run again elsewhere.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from distributed import Client, LocalCluster, as_completed

from cxex_analysis.errors import CxexError
from cxex_analysis.run.kernels import WARM_KERNELS, WarmKernel, close_warm_kernels
from cxex_analysis.run.notebook_runs import NotebookRun
from cxex_analysis.run.publish import export_html


def _dask_job(path: str, name: str, parameters: dict, notebook_text: str,
              strict: bool = True) -> dict:
    """A Dask task: run one job in this worker's warm kernel for the notebook.

    The notebook travels with the task (``notebook_text``) and the executed notebook and
    its HTML travel back in the result, so workers need no access to the run's folder;
    they need the warehouse (a PostgreSQL URL, or a DuckDB file on storage they share).
    """
    digest = hashlib.sha256(notebook_text.encode()).hexdigest()[:16]
    key = (digest, threading.get_ident())
    kernel = WARM_KERNELS.get(key)
    if kernel is None:
        folder = Path(tempfile.mkdtemp(prefix="cxex-dask-"))
        source = folder / Path(path).name
        source.write_text(notebook_text, encoding="utf-8")
        if not WARM_KERNELS:
            atexit.register(close_warm_kernels)
        kernel = WARM_KERNELS[key] = WarmKernel(str(source), str(folder), str(folder / "kernel.log"))
    outcome, notebook = kernel.run(name, parameters, strict)
    executed = Path(kernel.work) / f"{name}.ipynb"
    nbformat.write(notebook, str(executed))
    html = export_html(executed, Path(kernel.work) / f"{name}.html", notebook)
    outcome["notebook"] = executed.read_text(encoding="utf-8")
    outcome["html_text"] = html.read_text(encoding="utf-8")
    executed.unlink()
    html.unlink()
    return outcome


def _release_kernels() -> int:
    """On a worker: stop its warm kernels and remove their temporary folders (in a thread of
    its own, as the worker's event loop is running in this one); return how many."""
    kernels = list(WARM_KERNELS.values())
    WARM_KERNELS.clear()

    def release():
        for kernel in kernels:
            kernel.close()
            shutil.rmtree(kernel.work, ignore_errors=True)

    worker = threading.Thread(target=release)
    worker.start()
    worker.join()
    return len(kernels)


def dask_client(scheduler: str | None, workers: int = 2):
    """A client of the cluster at ``scheduler`` (``tcp://host:8786``), or of a local cluster
    of ``workers`` processes (one thread each) when ``scheduler`` is None."""
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as error:
            raise CxexError(f"cannot reach the Dask scheduler at {scheduler} ({error}). Start one "
                            "with `dask scheduler` and workers with `dask worker ADDRESS`.") from None
    cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster


def run_batch_dask(path: Path, jobs: list[tuple[str, dict]], work: Path, client,
                   finished: Callable[[str], None] | None = None,
                   strict: bool = True) -> list[NotebookRun]:
    """Run ``jobs`` of one notebook as tasks on a Dask cluster; write their outputs to ``work``.

    A task whose worker dies is re-run on another worker by the scheduler (up to Dask's
    ``distributed.scheduler.allowed-failures``, default 3); a task that raises is retried
    twice. A notebook that fails in a cell is not retried: it is reported like the local
    executor does, and the run stops after its batch. ``finished`` is called with each job's
    name as its task completes (for progress); ``strict`` as for the local executor.
    """
    text = Path(path).read_text(encoding="utf-8")
    futures = {client.submit(_dask_job, str(path), name, parameters, text, strict, retries=2,
                             pure=False,
                             key=f"cxex-{name}-{os.getpid()}-{time.time_ns()}"): name
               for name, parameters in jobs}
    try:
        runs = _collect(futures, work, finished)
    finally:  # whatever happened: no kernel left running, no folder left behind on the workers
        try:
            client.run(_release_kernels)
        except Exception:  # the cluster itself is gone: its workers' exit closes their kernels
            pass
    return [runs[name] for name, _ in jobs]


def _collect(futures: dict, work: Path, finished) -> dict[str, NotebookRun]:
    """Each task's outcome as it completes, its notebook and HTML written to ``work``."""
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
                                 f"{name}.html", sections_failed=outcome["sections_failed"])
        if finished is not None:
            finished(name)
    return runs
