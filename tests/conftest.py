"""Shared fixtures: one demo organisation and its warehouse per test session."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cxex_analysis.results import read_json
from cxex_analysis.run.notebook_runs import NotebookRun, RunResult
from cxex_analysis.simulation import demo_files
from cxex_analysis.store import ingest, warehouse

ROOT = Path(__file__).resolve().parent.parent

# The project's own tests run strict: a cell that raises fails its notebook and the run, so
# that a bug is never hidden behind a "could not be computed" box (users' runs are guarded).
os.environ["CXEX_STRICT"] = "1"


def built_once(tmp_path_factory, name: str, build) -> Path:
    """A folder built by ``build(folder)`` once per test session.

    Under pytest-xdist the workers share it: the first to ask builds it while the others wait
    on a lock, then read it (the demo organisation, its warehouse and its full run cost minutes
    each, and every worker needs them). Without xdist it is an ordinary temporary folder.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        build(folder)
        return folder
    root = tmp_path_factory.getbasetemp().parent  # this session's folder, shared by the workers
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "demo", demo_files.generate)


@pytest.fixture(scope="session")
def truth(demo_dir) -> dict:
    return json.loads((demo_dir / "truth.json").read_text())


@pytest.fixture(scope="session")
def demo_warehouse(demo_dir, tmp_path_factory) -> Path:
    folder = built_once(tmp_path_factory, "wh", lambda f: ingest.ingest(demo_dir, f / "warehouse.duckdb"))
    return folder / "warehouse.duckdb"


@pytest.fixture()
def con(demo_warehouse):
    connection = warehouse.connect(demo_warehouse)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_cli_run(demo_warehouse, tmp_path_factory):
    """The whole suite run once on the demo warehouse as a user runs it, ``cxex run --pdf``
    (local executor): (out dir, RunResult read back from the manifest, the finished process)."""

    def run(out: Path) -> None:
        done = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse",
                               str(demo_warehouse), "--out", str(out), "--pdf"],
                              capture_output=True, text=True)
        (out / ".process.json").write_text(json.dumps(
            {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))

    out = built_once(tmp_path_factory, "reports", run)
    process = json.loads((out / ".process.json").read_text())
    done = subprocess.CompletedProcess(["cxex", "run"], process["returncode"], process["stdout"],
                                       process["stderr"])
    runs = sorted((d for d in out.iterdir() if (d / "manifest.json").exists() and not d.is_symlink()),
                  key=lambda d: d.stat().st_mtime)
    assert runs, done.stdout[-2000:] + done.stderr[-2000:]
    manifest = json.loads((runs[-1] / "manifest.json").read_text())
    result = RunResult(manifest["run_id"], runs[-1].resolve(),
                       [NotebookRun(**n) for n in manifest["notebooks"]])
    return out, result, done


@pytest.fixture(scope="session")
def demo_run(demo_cli_run):
    """The whole suite run once on the demo warehouse: (out dir, RunResult)."""
    return demo_cli_run[:2]


def same_results(left: Path, right: Path, tolerance: float = 1e-9) -> None:
    """Two results.json files hold the same records, estimates equal within ``tolerance``."""
    import numpy as np


    a, b = read_json(left), read_json(right)
    key = ["analysis", "estimand", "subject", "outcome", "term"]
    assert len(a) == len(b)
    merged = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key].head()
    for column in ("estimate", "ci_low", "ci_high", "se", "p_value", "n"):
        np.testing.assert_allclose(merged[f"{column}_a"].astype(float),
                                   merged[f"{column}_b"].astype(float),
                                   rtol=tolerance, atol=tolerance, err_msg=column)


UNITS_CSV = "unit_id,unit_name,region,unit_type\nU1,One,North,store\nU2,Two,South,call_centre\n"
CUSTOMER_HEADER = "response_id,responded_at,unit_id,channel,nps,csat,ces,comment\n"
GOOD_CUSTOMER_ROWS = [
    "C1,2025-01-05T10:00:00Z,U1,store,9,5,6,Great",
    "C2,2025-01-06T11:00:00Z,U2,phone,3,2,2,Slow",
    "C3,2025-02-07T12:00:00+01:00,U1,web,10,,,",
]


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a data folder: name -> text (UTF-8) or bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture()
def small_folder(tmp_path):
    """A valid minimal data folder (units + customer survey); tests add or break files."""

    def make(customer_rows=None, extra: dict | None = None, units: str = UNITS_CSV) -> Path:
        rows = GOOD_CUSTOMER_ROWS if customer_rows is None else customer_rows
        files = {"units.csv": units,
                 "customer_survey.csv": CUSTOMER_HEADER + "\n".join(rows) + "\n"}
        files.update(extra or {})
        return write_folder(tmp_path / "data", files)

    return make


# ------------------------------------------------------------------------------------------
# PostgreSQL: a throwaway server on loopback for the warehouse tests on the second back end
# ------------------------------------------------------------------------------------------

def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A URL of an empty database on a PostgreSQL server started for this test session.

    ``CXEX_TEST_POSTGRES_URL`` points the tests at an existing server instead. Without
    either, the PostgreSQL tests are skipped, unless ``CXEX_REQUIRE_POSTGRES=1`` (set by
    ``make test``, which installs Debian's postgresql first), when they fail.
    """
    import os
    import pwd
    import shutil
    import socket
    import subprocess

    if os.environ.get("CXEX_TEST_POSTGRES_URL"):
        yield os.environ["CXEX_TEST_POSTGRES_URL"]
        return
    bindir = _postgres_bin()
    if bindir is None:
        message = ("PostgreSQL server binaries not found under /usr/lib/postgresql "
                   "(`make postgres` installs Debian's postgresql)")
        if os.environ.get("CXEX_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="cxex-pg-"))
    data = folder / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        user = "postgres"
        pwd.getpwnam(user)
        shutil.chown(folder, user)
        prefix = ["runuser", "-u", user, "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = lambda *args: subprocess.run(prefix + list(args), check=True, capture_output=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-U", "cxex", "-A", "trust", "--no-sync",
        "-E", "UTF8", "--locale=C")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
              "-c synchronous_commit=off -c full_page_writes=off")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cxex", "cxex_test")
        yield f"postgresql://cxex@127.0.0.1:{port}/cxex_test"
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


#: the longest test files, started first so that two processes (`make test`: pytest -n 2
#: --dist loadfile) finish together instead of one waiting on the other at the end
LONGEST_FIRST = ("test_worlds.py", "test_calibration.py", "test_benchmarks.py",
                 "test_sequential.py", "test_robustness.py")

#: a test that uses one of these fixtures carries the marker without saying so: the tiers
#: (`make test`, `make test-fast`, `-m "not postgres"`) cannot miss it
MARKED_BY_FIXTURE = {"postgres_url": ("postgres",),
                     "demo_cli_run": ("e2e", "browser")}  # `cxex run --pdf` prints with Chromium


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, markers in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                for marker in markers:
                    item.add_marker(marker)

    def rank(item):
        name = Path(str(item.fspath)).name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each file is kept
