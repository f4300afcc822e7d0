"""The command line as a user meets it: accounting that adds up, no tracebacks, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import write_folder


def cxex(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_validate_json_accounting_adds_up_for_every_table(demo_dir, truth):
    out = cxex("validate", "--data", demo_dir, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    analyses = report.pop("analyses")  # what the data set supports (every analysis, here)
    assert report.pop("registrations") == []  # no pilot of the demo was designed with cxex
    assert analyses and all(a["available"] for a in analyses)
    assert set(report) == {"units", "pilots", "employee_survey", "customer_survey",
                           "unit_outcomes", "customer_outcomes", "employee_scores",
                           "customer_scores", "unit_metrics", "pilot_assignments", "roles",
                           "action_plans", "norms"}
    for table, entry in report.items():
        assert {"rows_read", "rows_accepted", "rows_quarantined", "by_reason"} <= set(entry)
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"], table
        assert sum(entry["by_reason"].values()) == entry["rows_quarantined"], table
    for table, planted in truth["planted_invalid_rows"].items():
        assert report[table]["rows_quarantined"] == planted


def test_validate_unusable_file_exits_2_without_traceback(tmp_path):
    folder = write_folder(tmp_path / "d", {"units.csv": "unit_id,unit_type\nU1,store\n",
                                           "customer_survey.csv": ""})
    out = cxex("validate", "--data", folder)
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert "units.csv" in out.stdout and "'region'" in out.stdout
    out = cxex("validate", "--data", folder, "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout)["units"]["status"] == "unusable"


def test_ingest_of_a_missing_folder_is_a_clear_error(tmp_path):
    out = cxex("ingest", "--data", tmp_path / "nope", "--warehouse", tmp_path / "w.duckdb")
    assert out.returncode == 2
    assert "is not a folder" in out.stderr and "Traceback" not in out.stderr


def test_ingest_twice_replaces_and_never_duplicates(demo_dir, tmp_path, truth):
    target = tmp_path / "w.duckdb"
    for _ in range(2):
        out = cxex("ingest", "--data", demo_dir, "--warehouse", target)
        assert out.returncode == 0, out.stderr
    import duckdb
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM customer_survey").fetchone()[0] == \
        truth["counts"]["customer_responses"]
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == \
        sum(truth["planted_invalid_rows"].values())


def test_pdf_without_chromium_is_a_clear_error_before_anything_runs(demo_warehouse, tmp_path):
    import os

    env = {**os.environ, "PATH": str(tmp_path / "no-browsers-here")}
    env.pop("CXEX_CHROMIUM", None)
    out = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse",
                           str(demo_warehouse), "--out", str(out), "--only", "00", "--pdf"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert "PDF reports need Chromium" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())  # nothing ran, nothing was written
    done = subprocess.run([sys.executable, "-m", "cxex_analysis.cli", "pdf", str(tmp_path)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "not a cxex run folder" in done.stderr
