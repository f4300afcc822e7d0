"""Bad input never gives a traceback or loses a row; runs are reproducible, safe to run at
the same time, and survive being killed; ingest is all-or-nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cxex_analysis.contract import validation
from cxex_analysis.errors import CxexError, UnusableFileError
from cxex_analysis.run import plan, runner
from cxex_analysis.simulation import demo_files, demo_parameters
from cxex_analysis.store import ingest, inventory, warehouse

from .conftest import ROOT, UNITS_CSV, write_folder

COLUMNS = ["response_id", "responded_at", "unit_id", "channel", "nps", "csat", "ces",
           "resolved_first_contact", "comment", "junk"]
VALUES = st.one_of(
    st.sampled_from(["", "C1", "U1", "U2", "U9", "store", "fax", "5", "11", "-1", "7.5", "seven",
                     "nan", "1e3", "2025-01-05T10:00:00Z", "2031-01-01", "31/12/2024", "yes",
                     "maybe", " padded ", '"quoted, comma"', "é", "<b>x</b>", "=1+1"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=12))


@st.composite
def malformed_csv(draw):
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=9))
    rows = draw(st.lists(st.lists(VALUES, min_size=0, max_size=len(header) + 2), max_size=15))
    quote = lambda v: '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v  # noqa: E731
    lines = [",".join(header)] + [",".join(quote(v) for v in row) for row in rows]
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=malformed_csv())
def test_random_malformed_files_never_traceback_or_lose_rows(tmp_path_factory, content):
    folder = write_folder(tmp_path_factory.mktemp("fuzz"), {"units.csv": UNITS_CSV,
                                                            "customer_survey.csv": content})
    con = duckdb.connect()
    report = validation.check_directory(con, folder, hash_files=False)
    table = report.tables["customer_survey"]
    if table.status == "unusable":
        assert "customer_survey.csv" in table.error
        return
    assert table.status == "ok"
    assert table.rows_read == table.rows_accepted + table.rows_quarantined
    quarantine = validation.quarantine_frame(con)
    assert len(quarantine) == table.rows_quarantined
    assert (quarantine["file"] == "customer_survey.csv").all()
    assert quarantine["row"].notna().all() and (quarantine["row"] >= 2).all()
    assert quarantine["reason"].str.len().gt(0).all()
    try:
        ingest.ingest(folder, tmp_path_factory.mktemp("w") / "w.duckdb")
    except UnusableFileError:
        pytest.fail("validate said usable but ingest said unusable")


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=malformed_csv())
def test_the_command_line_never_shows_a_traceback(tmp_path_factory, content):
    folder = write_folder(tmp_path_factory.mktemp("cli"), {"units.csv": UNITS_CSV,
                                                           "customer_survey.csv": content})
    for command in (["validate", "--data", folder, "--json"],
                    ["ingest", "--data", folder, "--warehouse", folder / "w.duckdb"]):
        out = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, command)],
                             capture_output=True, text=True)
        assert out.returncode in (0, 2), out.stderr
        assert "Traceback" not in out.stdout + out.stderr
        if out.returncode == 2:
            assert "customer_survey.csv" in out.stdout + out.stderr


def test_a_failure_during_ingest_leaves_the_warehouse_as_it_was(small_folder, tmp_path, monkeypatch):
    target = tmp_path / "w.duckdb"
    folder = small_folder()
    ingest.ingest(folder, target)
    (folder / "units.csv").write_text(UNITS_CSV + "U3,Three,East,branch\n")

    def broken(con, report):
        con.execute("DROP TABLE main.units")  # part-way through publishing …
        raise OSError("disk full")             # … the machine fails

    monkeypatch.setattr(ingest, "_publish", broken)
    with pytest.raises(OSError):
        ingest.ingest(folder, target)
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM units").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM customer_survey").fetchone()[0] == 3




def _run(out, *extra):
    return subprocess.Popen([sys.executable, "-m", "cxex_analysis.cli", "run", *map(str, extra),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


@pytest.mark.e2e
def test_same_inputs_and_seed_give_identical_results(demo_warehouse, tmp_path):
    notebooks = [ROOT / "notebooks" / "01_ex_cx_linkage.ipynb", ROOT / "notebooks" / "02_pilot_analysis.ipynb"]
    first = runner.run(demo_warehouse, tmp_path / "a", notebooks, {"n_boot": 199}, progress=None)
    second = runner.run(demo_warehouse, tmp_path / "b", notebooks, {"n_boot": 199}, progress=None)
    assert first.ok and second.ok
    a = (first.run_dir / "results.json").read_text()
    b = (second.run_dir / "results.json").read_text()
    assert len(json.loads(a)) > 50
    assert a == b


@pytest.mark.e2e
def test_two_runs_at_once_do_not_corrupt_each_other(demo_warehouse, tmp_path):
    out = tmp_path / "reports"
    runs = [_run(out, "--warehouse", demo_warehouse, "--only", "00") for _ in range(2)]
    results = [p.communicate(timeout=300) for p in runs]
    assert all(p.returncode == 0 for p in runs), results
    latest = (out / "latest").resolve()
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "ok" and (latest / "index.html").exists()
    complete = [d for d in out.iterdir() if d.is_dir() and not d.is_symlink() and not d.name.startswith(".")]
    assert len(complete) == 2


@pytest.mark.e2e
def test_a_killed_run_leaves_latest_intact_and_a_later_run_works(demo_warehouse, tmp_path):
    out = tmp_path / "reports"
    first = _run(out, "--warehouse", demo_warehouse, "--only", "00")
    assert first.wait(timeout=300) == 0
    latest = (out / "latest").resolve()
    victim = _run(out, "--warehouse", demo_warehouse, "--only", "00,01")
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".*.partial/00_data_audit.html")):
        time.sleep(0.2)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    assert (out / "latest").resolve() == latest
    assert (latest / "manifest.json").exists()
    stale = list(out.glob(".*.partial"))
    assert len(stale) == 1
    later = _run(out, "--warehouse", demo_warehouse, "--only", "00")
    said, _ = later.communicate(timeout=300)
    assert later.returncode == 0
    assert (out / "latest").resolve() != latest
    # the killed run's unfinished folder is gone, and the run said so
    assert not stale[0].exists() and not list(out.glob(".*.partial"))
    assert f"Removed 1 unfinished folder(s) of earlier runs that stopped part-way: {stale[0].name}" \
        in said
    # cxex clean --keep 1: the older run goes, latest still opens
    cleaned = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "clean", "--out", str(out),
                              "--keep", "1"], capture_output=True, text=True, timeout=120)
    assert cleaned.returncode == 0, cleaned.stderr
    assert not latest.exists() and f"removed {latest}" in cleaned.stdout
    assert (out / "latest" / "index.html").is_file()
    assert sorted(d.name for d in out.iterdir()) == sorted(["latest", (out / "latest").resolve().name])


def test_connect_is_deterministic(demo_warehouse):
    con = warehouse.connect(demo_warehouse)
    try:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
    finally:
        con.close()
    with pytest.raises(CxexError):
        warehouse.connect(demo_warehouse.parent / "missing.duckdb")


# ------------------------------------------------------------------------------------------
# every valid shape of a data set: the run plan never schedules a notebook that then fails
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_organisation(tmp_path_factory):
    """A small organisation (28 units, 5 quarters) whose pilots start late: the second
    pilot's last group starts after the data end, the first has three months of data."""

    folder = tmp_path_factory.mktemp("small_org")
    demo_files.generate(folder, demo_parameters.DemoParameters(
        seed=7, n_quarters=5, n_tiny_teams=1,
        units_by_type={"store": 10, "branch": 8, "call_centre": 6, "team": 4}))
    return folder


#: ``make fuzz``: fresh draws of the data's shape, as many as it asks for worlds
FUZZ = os.environ.get("CXEX_FUZZ", "") not in ("", "0")


@st.composite
def data_shape(draw):
    surveys = draw(st.sampled_from([("employee_survey",), ("customer_survey",),
                                    ("employee_survey", "customer_survey")]))
    outcomes = ("unit_outcomes",) if draw(st.booleans()) else ()
    pilots = draw(st.sampled_from([(), ("pilots",), ("pilots", "pilot_assignments")]))
    actions = ("action_plans",) if draw(st.booleans()) else ()
    dropped = draw(st.sets(st.sampled_from(["comment", "enps", "nps"]), max_size=2))
    return ("units",) + surveys + outcomes + pilots + actions, frozenset(dropped)


@pytest.mark.e2e
@pytest.mark.extended
@settings(max_examples=int(os.environ.get("CXEX_WORLDS", "10")), deadline=None,
          derandomize=not FUZZ, phases=[Phase.explicit, Phase.generate] if FUZZ else [Phase.explicit],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=data_shape())
@example(shape=(("units", "customer_survey", "unit_outcomes", "pilots", "pilot_assignments"),
                frozenset({"nps"})))
@example(shape=(("units", "employee_survey", "pilots", "action_plans"),
                frozenset({"enps", "comment"})))
def test_the_run_plan_never_schedules_a_notebook_that_fails(small_organisation, tmp_path_factory,
                                                            shape):
    """Which optional tables (and optional columns) a data set has; every notebook the plan
    schedules succeeds, and every other one is skipped with its reason. In `make test-all`
    (and CI) the two shapes below (one survey each, columns dropped); ``tests/test_worlds.py``
    draws the others; ``make fuzz`` draws this test's shapes too."""
    import pandas as pd


    tables, dropped = shape
    folder = tmp_path_factory.mktemp("shape")
    for table in tables:
        frame = pd.read_csv(small_organisation / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.drop(columns=[c for c in dropped if c in frame.columns]).to_csv(
            folder / f"{table}.csv", index=False)
    store = folder / "warehouse.duckdb"
    ingest.ingest(folder, store)
    result = runner.run(store, folder / "reports", parameters={
        "group_by": "region", "n_boot": 99, "draws": 500}, progress=None, workers=2)
    failed = [(n.name, n.error) for n in result.notebooks if n.status == "failed"]
    assert result.ok and not failed, (tables, sorted(dropped), failed)
    con = warehouse.connect(store)
    try:
        have = inventory.inventory(con)
    finally:
        con.close()
    for item in result.notebooks:
        if "-" in item.name:  # one of several reports of a notebook
            continue
        planned = plan.notebook_plan(item.name, have)
        assert item.status == ("skipped" if planned.action == "skip" else "ok"), item
        if item.status == "skipped":
            assert item.reason == planned.reason and "needs" in item.reason
    assert (folder / "reports" / "latest" / "index.html").exists()
