"""The notebooks run end to end through the runner (papermill) and publish clean HTML."""

from __future__ import annotations

import json
import re

import pytest

from cxex_analysis import results
from cxex_analysis.errors import ParameterError
from cxex_analysis.run import parameters, runner

from .conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture()
def run(demo_run):
    return demo_run


def test_every_notebook_succeeds_and_latest_points_at_the_run(run):
    out, result = run
    assert result.ok, [n.error for n in result.notebooks]
    names = [n.name for n in result.notebooks]
    assert "01_ex_cx_linkage" in names
    assert {"02_pilot_analysis-P1", "02_pilot_analysis-P2"} <= set(names)  # one run per pilot
    assert (out / "latest").resolve() == result.run_dir.resolve()
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["inputs"]


def test_results_json_has_exactly_the_schema_keys(run):
    _, result = run
    records = json.loads((result.run_dir / "results.json").read_text())
    assert records
    assert all(list(r) == list(results.SCHEMA) for r in records)
    audit = [r for r in records if r["analysis"] == "metrics" and r["subject"] == "all"
             and r["outcome"] == "nps" and r["estimand"] == "metric_level"]
    assert audit and audit[0]["ci_low"] < audit[0]["estimate"] < audit[0]["ci_high"]
    ids = {(r["analysis"], r["estimand"]) for r in records}
    for required in [("linkage", "ex_to_cx_lagged"), ("linkage", "cx_to_ex_lagged"),
                     ("linkage", "ex_cx_correlation"), ("linkage", "mediation_indirect"),
                     ("linkage", "top_cx_engagement_odds_ratio"), ("drivers", "relative_weight"),
                     ("pilot", "att"), ("pilot", "att_event_time"), ("rox", "roi"), ("rox", "npv"),
                     ("rox", "payback_months"), ("rox", "value_total"),
                     # survey noise (issue 14): corrected links, the uncorrected ones beside
                     ("linkage", "ex_to_cx_lagged_uncorrected"),
                     ("linkage", "cx_to_ex_lagged_uncorrected"),
                     ("linkage", "within_unit_reliability"),
                     ("linkage", "ex_cx_correlation_disattenuated"),
                     ("linkage", "mediation_indirect_uncorrected"),
                     ("rox", "link"), ("rox", "link_uncorrected")]:
        assert required in ids, required
    links = {r["term"] for r in records if (r["analysis"], r["estimand"]) == ("rox", "link")}
    assert links == {"churn_per_nps", "revenue_per_customer_per_nps", "exit_rate_per_ei"}
    # every id the run wrote is documented for the people who read results.json
    documented = (ROOT / "docs" / "estimands.md").read_text()
    undocumented = sorted(e for a, e in ids if f"`{e}`" not in documented)
    assert not undocumented, undocumented
    # notebook 03 modelled a pilot whose effects notebook 02 recorded in the same run
    rox_subjects = {r["subject"] for r in records if r["analysis"] == "rox"}
    pilot_subjects = {r["subject"] for r in records if r["analysis"] == "pilot"}
    assert rox_subjects - {"ex_programme", "all"} and \
        rox_subjects - {"ex_programme", "all"} <= pilot_subjects
    # and an engagement programme valued through notebook 01's EX -> CX estimate
    assert "ex_programme" in rox_subjects


def test_html_has_no_code_warnings_or_remote_scripts(run):
    _, result = run
    for item in result.notebooks:
        html = (result.run_dir / item.html).read_text()
        assert "Traceback" not in html and "Warning" not in html
        assert "from cxex_analysis import" not in html  # code is hidden
        assert not re.search(r"<script[^>]+src=\"https?://", html)
        assert re.search(r'<img [^>]*alt="[^"]{20,}"', html)


def test_unknown_or_mistyped_parameter_is_rejected_before_any_kernel(demo_warehouse, tmp_path):
    with pytest.raises(ParameterError, match="unknown parameter"):
        runner.run(demo_warehouse, tmp_path, parameters={"confidnce": 0.9}, progress=None)
    with pytest.raises(ParameterError, match="must be of type float"):
        runner.run(demo_warehouse, tmp_path, parameters={"confidence": "high"}, progress=None)
    assert not any(tmp_path.iterdir())


def test_notebooks_list(run):
    assert [p.name for p in parameters.list_notebooks(ROOT / "notebooks")][0] == "00_data_audit.ipynb"


def test_no_employee_or_customer_key_reaches_any_report(run, demo_warehouse):
    import duckdb

    _, result = run
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    keys = {r[0] for r in con.execute("SELECT DISTINCT employee_key FROM employee_survey "
                                      "WHERE employee_key IS NOT NULL LIMIT 2000").fetchall()}
    keys |= {r[0] for r in con.execute("SELECT DISTINCT customer_key FROM customer_survey "
                                       "WHERE customer_key IS NOT NULL LIMIT 2000").fetchall()}
    con.close()
    pattern = re.compile(r"\b[EK]\d{6,7}\b")
    for page in result.run_dir.glob("*.html"):
        text = page.read_text()
        found = set(pattern.findall(text)) & keys
        assert not found, (page.name, sorted(found)[:3])
    # the formula-safe spreadsheet copy of the results is there too
    assert (result.run_dir / "results.csv").exists()
