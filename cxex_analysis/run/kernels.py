"""The local executor: warm Jupyter kernels that run one notebook many times (per pilot or
group) without paying a kernel start each time, and its kernel log.
"""

from __future__ import annotations

import contextlib
import copy
import multiprocessing
import os
import queue as queue_module
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from cxex_analysis.run import sections
from cxex_analysis.run.notebook_runs import NotebookRun
from cxex_analysis.run.publish import export_html
from cxex_analysis.store.warehouse import KEEP_OPEN

KERNEL_NAME = "python3"

#: A warm kernel that holds more than this after a report is restarted before the next one
#: (issue 41: whatever a report or a library keeps between reports cannot grow without
#: bound); ``CXEX_KERNEL_MEMORY_GB`` sets it.
DEFAULT_KERNEL_MEMORY_GB = 2.5


def kernel_memory_ceiling() -> float:
    """The ceiling in bytes: ``CXEX_KERNEL_MEMORY_GB`` (a positive number), else
    :data:`DEFAULT_KERNEL_MEMORY_GB`."""
    given = os.environ.get("CXEX_KERNEL_MEMORY_GB", "")
    try:
        gigabytes = float(given) if given.strip() else DEFAULT_KERNEL_MEMORY_GB
    except ValueError:
        gigabytes = DEFAULT_KERNEL_MEMORY_GB
    return (gigabytes if gigabytes > 0 else DEFAULT_KERNEL_MEMORY_GB) * 1024 ** 3


class SocketFileKernelManager(AsyncKernelManager):
    """A kernel that talks over Unix sockets in a folder of its own.

    Over TCP, jupyter_client picks free ports and the kernel binds them a moment later; with
    many processes starting kernels, browsers and servers at once another process can take a
    port in between, the kernel dies ("Address already in use") and its client waits for it
    forever. Socket files in a fresh folder cannot collide.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = os.path.join(tempfile.mkdtemp(prefix="cxex-kernel-"), "kernel")

    def cleanup_ipc_files(self) -> None:
        super().cleanup_ipc_files()
        shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)


@contextlib.contextmanager
def kernel_chatter_to(log_path: Path):
    """Send this process's stderr (which kernels inherit) to ``log_path`` for a while.

    Kernels print start-up warnings straight to the inherited file descriptor 2; they belong
    in the run's ``kernel.log``, not on the terminal of a scheduled job.
    """
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

    def __init__(self, path: str, work: str, log_path: str | None = None, keep_open: bool = True):
        self.path, self.work, self.log_path = path, work, log_path
        self.template = load_notebook_node(path)  # as papermill loads it (every cell has tags)
        self.client = NotebookClient(self._copy(self.template), kernel_name=KERNEL_NAME,
                                     timeout=1800, resources={"metadata": {"path": work}},
                                     kernel_manager_class=SocketFileKernelManager)
        chatter = kernel_chatter_to(Path(log_path)) if log_path else contextlib.nullcontext()
        with chatter:  # as nbclient's setup_kernel(), kept open across jobs
            self.client.km = self.client.create_kernel_manager()
            # many reports from one warehouse: keep its file open between them
            env = {**os.environ, KEEP_OPEN: "1"} if keep_open else dict(os.environ)
            self.client.start_new_kernel(env=env)
            self.client.start_new_kernel_client()

    @staticmethod
    def _copy(node):
        return copy.deepcopy(node)

    def run(self, name: str, parameters: dict, strict: bool = True,
            path: str | None = None) -> tuple[dict, Any]:
        """Execute one job; return its outcome (name, status, error, seconds, the sections
        that could not be computed) and the notebook. ``strict``: the first error fails the
        job; else each failing section shows a box and the rest runs
        (:func:`cxex_analysis.run.sections.run_cells`). ``path``: another notebook than the
        kernel's own (the notebooks of a run that run once share a kernel)."""
        started = time.perf_counter()
        template = load_notebook_node(path) if path else self.template
        notebook = parameterize_notebook(self._copy(template), parameters,
                                         kernel_name=KERNEL_NAME)
        self.client.nb = notebook
        log = open(self.log_path, "a", encoding="utf-8") if self.log_path else None
        try:
            status, error, failures = sections.run_cells(self.client, notebook, name, strict, log)
        finally:
            if log is not None:
                log.close()
        # what is left once the namespace is cleared (imported modules, the package's caches,
        # anything a library keeps) is frozen out of the garbage collector after every job:
        # %reset collects, and walking a warm kernel's hundreds of thousands of surviving
        # objects cost more than a small report, and more with every job
        reset = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "%reset -f\nimport gc\ngc.freeze()\ndel gc")])
        self.client.nb = reset
        self.client.execute_cell(reset.cells[0], 0)
        return ({"name": name, "status": status, "error": error,
                 "seconds": time.perf_counter() - started,
                 "sections_failed": [f.as_dict() for f in failures]}, notebook)

    def memory(self) -> int:
        """The kernel process's resident memory in bytes (0 when it cannot be read)."""
        pid = getattr(getattr(self.client.km, "provisioner", None), "pid", None)
        try:
            return int(psutil.Process(pid).memory_info().rss) if pid else 0
        except psutil.Error:
            return 0

    def close(self) -> None:
        try:
            self.client._cleanup_kernel()  # what nbclient's setup_kernel() does on exit
        except Exception:  # the kernel may already be gone
            pass


def _batch_worker(path: str, jobs: list[tuple[str, dict]], work: str, log_path: str,
                  finished=None, strict: bool = True,
                  kernel: WarmKernel | None = None) -> list[dict]:
    """Execute one notebook for many parameter sets in one warm kernel (a worker process);
    ``finished`` (a queue, or a callable) is told each job's name as it is done. ``kernel``:
    one already running (the run's own, left running), else one started and shut down here."""
    tell = getattr(finished, "put", finished)
    outcomes = []
    own = kernel is None
    kernel = kernel or WarmKernel(path, work, log_path)
    ceiling = kernel_memory_ceiling()
    try:
        with kernel_chatter_to(Path(log_path)):
            for i, (name, parameters) in enumerate(jobs):
                outcome, notebook = kernel.run(name, parameters, strict,
                                               path=None if own else path)
                executed = Path(work) / f"{name}.ipynb"
                nbformat.write(notebook, str(executed))
                outcome["html"] = export_html(executed, Path(work) / f"{name}.html", notebook).name
                outcomes.append(outcome)
                if tell is not None:
                    tell(name)
                if own and i + 1 < len(jobs) and kernel.memory() > ceiling:
                    _note(log_path, f"{name}: the kernel holds more than "
                                    f"{ceiling / 1024 ** 3:.1f} GB after it; restarted")
                    kernel.close()
                    kernel = WarmKernel(path, work, log_path)
    finally:
        if own:
            kernel.close()
    return outcomes


def _note(log_path: str, line: str) -> None:
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"[cxex] {line}\n")


def run_batch(path: Path, jobs: list[tuple[str, dict]], work: Path, workers: int = 1,
              finished: Callable[[str], None] | None = None,
              strict: bool = True, kernel: WarmKernel | None = None) -> list[NotebookRun]:
    """Run ``jobs`` (name, parameters) of one notebook on ``workers`` warm kernels;
    ``finished`` is called with each job's name as it is done (for progress); ``strict``:
    a failing cell fails its report (else its section shows a box and the report goes on).
    ``kernel``: with one worker, the run's own warm kernel runs the jobs (left running)."""
    workers = max(1, min(workers, len(jobs)))
    chunks = [jobs[i::workers] for i in range(workers)]
    log = str(work / "kernel.log")
    if workers == 1:
        results = [_batch_worker(str(path), chunks[0], str(work), log, finished, strict, kernel)]
    else:
        context = multiprocessing.get_context("spawn")
        # a queue through a manager process only when someone is told of each job
        manager = context.Manager() if finished is not None else None
        with manager or contextlib.nullcontext(), \
                ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = manager.Queue() if manager is not None else None
            futures = [pool.submit(_batch_worker, str(path), chunk, str(work), log, done, strict)
                       for chunk in chunks]
            while done is not None and finished is not None and not all(f.done() for f in futures):
                _relay(done, finished)
            results = [f.result() for f in futures]
            if done is not None and finished is not None:
                _relay(done, finished, wait=0.0)
    order = {name: i for i, (name, _) in enumerate(jobs)}
    runs = [NotebookRun(r["name"], r["status"], r["seconds"], r["error"], r["html"],
                        sections_failed=r["sections_failed"])
            for chunk in results for r in chunk]
    return sorted(runs, key=lambda r: order[r.name])


def _relay(queue, finished: Callable[[str], None], wait: float = 0.5) -> None:
    """Pass on the names of the jobs done so far (waiting up to ``wait`` s for the first)."""
    try:
        finished(queue.get(timeout=wait) if wait else queue.get_nowait())
        while True:
            finished(queue.get_nowait())
    except queue_module.Empty:
        return


#: per worker process and thread: notebook path -> its warm kernel
WARM_KERNELS: dict[tuple[str, int], WarmKernel] = {}


def close_warm_kernels() -> None:
    while WARM_KERNELS:
        WARM_KERNELS.popitem()[1].close()
