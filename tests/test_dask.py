"""The Dask executor: per-pilot and per-group reports as tasks on a Dask cluster.

A ``LocalCluster`` of 2 worker processes stands in for a real cluster; the runner reaches
it by its scheduler address, as ``cxex run --executor dask --scheduler ADDRESS`` does.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import nbformat
import pytest

from cxex_analysis.config import paths
from cxex_analysis.results import read_json
from cxex_analysis.run import runner

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local:
        with Client(local) as client:
            yield local, client


def _dask_folders() -> list[str]:
    """On a worker: the executor's temporary folders in its system temp directory."""
    import glob
    import tempfile

    return sorted(glob.glob(os.path.join(tempfile.gettempdir(), "cxex-dask-*")))


@pytest.mark.extended
def test_dask_executor_gives_the_same_results_json(demo_run, demo_warehouse, cluster, tmp_path):
    """The fanned-out notebooks (one report per pilot and per group) as Dask tasks give
    exactly the records the local run of the whole suite gave for them."""
    import numpy as np

    local, client = cluster
    _, expected = demo_run
    fanned = [paths().notebooks / name for name in ("02_pilot_analysis.ipynb",
                                                      "04_group_report.ipynb")]
    before = client.run(_dask_folders)
    result = runner.run(demo_warehouse, tmp_path, fanned, progress=None, executor="dask",
                        scheduler=local.scheduler_address)
    assert result.ok, [n.error for n in result.notebooks if n.error]
    # the workers' temporary folders (notebook, kernel log) went with the run
    assert client.run(_dask_folders) == before
    assert [n.name for n in result.notebooks] == [
        n.name for n in expected.notebooks if n.name.startswith(("02_", "04_"))]
    got = read_json(result.run_dir / "results.json")
    full = read_json(expected.run_dir / "results.json")
    key = ["analysis", "estimand", "subject", "outcome", "term"]
    merged = got.reset_index().merge(full, on=key, how="left", suffixes=("", "_full"))
    assert merged["estimate_full"].notna().any() and {"pilot", "group"} <= set(got["analysis"])
    equal = np.ones(len(merged), dtype=bool)
    for column in ("estimate", "ci_low", "ci_high", "se", "p_value", "n"):
        left, right = merged[column].astype(float), merged[f"{column}_full"].astype(float)
        equal &= ((left == right) | (left.isna() & right.isna())).to_numpy()
    found = merged.assign(equal=equal).groupby("index")["equal"].any()
    missing = got.loc[~found.reindex(got.index, fill_value=False).to_numpy()]
    assert missing.empty, missing[key].head()
    assert (tmp_path / "latest").resolve() == result.run_dir
    for item in result.notebooks:
        assert (result.run_dir / item.html).stat().st_size > 10_000
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["executor"] == f"dask ({local.scheduler_address})"


@pytest.mark.extended
def test_a_killed_workers_task_is_run_again(demo_run, demo_warehouse, cluster, tmp_path):
    local, client = cluster
    notebook = paths().notebooks / "04_group_report.ipynb"
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(result=runner.run(
        demo_warehouse, tmp_path, [notebook], progress=None, executor="dask",
        scheduler=local.scheduler_address)))
    thread.start()
    killed_key = None
    deadline = time.monotonic() + 120
    while killed_key is None and time.monotonic() < deadline:
        for address, keys in client.processing().items():
            ours = [k for k in keys if str(k).startswith("cxex-04_group_report")]
            if ours:
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)  # the nanny starts a new worker
                killed_key = ours[0]
                break
        time.sleep(0.05)
    thread.join(timeout=600)
    assert killed_key is not None, "no task was seen running"
    result = outcome["result"]
    assert result.ok, [n.error for n in result.notebooks if n.error]
    assert len(result.notebooks) == 10
    # the scheduler sent the killed task to a worker twice
    story = local.scheduler.story(killed_key)
    assert sum(1 for event in story if event[2] == "processing") >= 2
    # and its report is the same as the local executor's
    ran = read_json(result.run_dir / "results.json")
    full = read_json(demo_run[1].run_dir / "results.json")
    key = ["analysis", "estimand", "subject", "outcome", "term"]
    merged = ran.merge(full, on=key, how="left", suffixes=("", "_local"))
    assert merged["estimate_local"].notna().all()
    assert (merged["estimate"].fillna(-1e9) == merged["estimate_local"].fillna(-1e9)).all()


def _planted_failure(folder):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('warehouse = ""\ngroup_by = "region"\ngroup = "North"')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Planted failure"), parameters,
                      nbformat.v4.new_code_cell(
                          'if group == "South":\n    raise ValueError("planted failure in " + group)\n'
                          'print(group)')]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = folder / "90_planted_failure.ipynb"
    nbformat.write(notebook, str(path))
    return path


@pytest.mark.extended
def test_a_failed_report_fails_the_run_as_on_the_local_executor(demo_warehouse, cluster, tmp_path):
    local, _ = cluster
    planted = _planted_failure(tmp_path)
    after = paths().notebooks / "05_verbatims.ipynb"
    outcomes = {}
    for executor in ("local", "dask"):
        out = tmp_path / executor
        result = runner.run(demo_warehouse, out, [planted, after], progress=None, executor=executor,
                            scheduler=local.scheduler_address if executor == "dask" else None)
        manifest = json.loads((result.run_dir / "manifest.json").read_text())
        outcomes[executor] = ([(n.name, n.status, n.error) for n in result.notebooks],
                              manifest["status"], (out / "latest").exists())
    assert outcomes["dask"] == outcomes["local"]
    statuses, status, latest = outcomes["dask"]
    assert status == "failed" and not latest
    failed = [s for s in statuses if s[1] == "failed"]
    assert len(failed) == 1 and "planted failure in South" in failed[0][2]
    assert not any(name.startswith("05_") for name, *_ in statuses)  # the run stopped there


def test_cli_rejects_a_scheduler_without_the_dask_executor(demo_warehouse, tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse",
                          str(demo_warehouse), "--out", str(tmp_path), "--scheduler",
                          "tcp://127.0.0.1:1"], capture_output=True, text=True)
    assert out.returncode == 2 and "--executor dask" in (out.stdout + out.stderr)


def test_an_unreachable_scheduler_is_a_clear_error(demo_warehouse, tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse",
                          str(demo_warehouse), "--out", str(tmp_path), "--only", "04",
                          "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not list(tmp_path.iterdir())  # nothing was started, so nothing is left behind
