"""Every valid data set gets its reports: the run plan, `cxex validate`'s analyses, and
`cxex run` end to end on the shapes first users bring (issue 13)."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import pilots
from cxex_analysis.narrative import pilot_findings
from cxex_analysis.run import plan
from cxex_analysis.store import ingest, inventory, warehouse

#: the data sets first users bring, as tables of the demo organisation
SHAPES = {
    "both_surveys": ("units", "employee_survey", "customer_survey"),
    "cx_team": ("units", "customer_survey", "unit_outcomes"),
    "hr_team": ("units", "employee_survey"),
    "cx_team_crm": ("units", "customer_survey", "unit_outcomes", "customer_outcomes"),
}

#: per shape: notebooks skipped (with a word of the reason) and analyses validate calls usable
EXPECTED = {
    "both_surveys": {"skipped": {"02_pilot_analysis": "pilot registry",
                                 "03_return_on_experience": "unit outcomes",
                                 "06_action_review": "action log"},
                     "yes": ["EX → CX linkage", "Verbatims"],
                     "no": ["Mediation to money", "Pilot analysis"]},
    "cx_team": {"skipped": {"02_pilot_analysis": "pilot registry",
                            "03_return_on_experience": "employee survey",
                            "06_action_review": "action log"},
                "yes": ["Customer experience", "Group reports"],
                "no": ["Employee experience", "EX → CX linkage"]},
    "hr_team": {"skipped": {"02_pilot_analysis": "pilot registry",
                            "03_return_on_experience": "customer survey",
                            "06_action_review": "action log"},
                "yes": ["Employee experience", "Group reports"],
                "no": ["Customer experience", "EX → CX linkage", "Return on experience"]},
    # a CX team with the CRM: what customers are worth is shown, nothing is valued
    "cx_team_crm": {"skipped": {"02_pilot_analysis": "pilot registry",
                                "06_action_review": "action log"},
                    "yes": ["Customer value", "Customer experience"],
                    "no": ["Employee experience", "Return on experience: value of scaling"]},
}


def cxex(*args):
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True)


def shape_folder(demo_dir: Path, target: Path, tables) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for table in tables:
        shutil.copy(demo_dir / f"{table}.csv", target / f"{table}.csv")
    return target


@pytest.fixture(scope="module")
def shapes(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    return {name: shape_folder(demo_dir, root / name, tables) for name, tables in SHAPES.items()}


# ---------------------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------------------

def test_the_plan_runs_what_the_data_feed_and_says_why_it_skips_the_rest():
    full = inventory.Inventory(rows={t: 10 for t in inventory.TABLES}, customer_comments=3,
                          pilots=("P1",), pilots_with_units=("P1",), keyed_customer_answers=10)
    assert all(plan.notebook_plan(n, full).action == "run" for n in plan.NOTEBOOK_ANALYSES)
    assert all(not plan.notebook_plan(n, full).left_out for n in plan.NOTEBOOK_ANALYSES)

    hr = inventory.Inventory(rows={"units": 3, "employee_survey": 40})
    assert plan.notebook_plan("01_ex_cx_linkage", hr).action == "run"
    assert any("customer survey" in s for s in plan.notebook_plan("01", hr).left_out)
    skipped = plan.notebook_plan("03_return_on_experience", hr)
    assert skipped.action == "skip"
    assert "customer_survey.csv" in skipped.reason and "unit_outcomes.csv" in skipped.reason
    assert plan.notebook_plan("05", hr).reason.startswith("not run — it needs comments")

    # a registry whose pilots have no units is no pilot to analyse
    registry_only = inventory.Inventory(rows={"units": 3, "customer_survey": 9, "pilots": 1},
                                   pilots=("P9",))
    assert plan.notebook_plan("02", registry_only).action == "skip"
    assert "pilot_assignments.csv" in plan.notebook_plan("02", registry_only).reason

    # money without a pilot: the engagement programme is valued, the pilot part left out
    no_pilot = inventory.Inventory(rows={"units": 3, "employee_survey": 9, "customer_survey": 9,
                                    "unit_outcomes": 9})
    decided = plan.notebook_plan("03", no_pilot)
    assert decided.action == "run" and "scaling a pilot" in decided.left_out[0]
    # customers keyed but no CRM: what customers are worth needs it, said by its file
    assert any("customer_outcomes.csv" in s for s in decided.left_out)
    crm = inventory.Inventory(rows={"units": 3, "customer_survey": 9, "customer_outcomes": 9},
                              keyed_customer_answers=9)
    assert plan.notebook_plan("03", crm).action == "run"
    unkeyed = inventory.Inventory(rows={"units": 3, "customer_survey": 9, "customer_outcomes": 9})
    assert "customer_key" in plan.notebook_plan("03", unkeyed).reason


def test_the_inventory_counts_what_the_warehouse_holds(con, truth):
    have = inventory.inventory(con)
    assert have.rows["customer_survey"] == truth["counts"]["customer_responses"]
    assert have.rows["employee_survey"] == truth["counts"]["employee_responses"]
    assert have.ex and have.cx and have.outcomes and have.comments
    assert set(have.cx_scores) == {"nps", "csat", "ces"}
    assert have.pilots == have.pilots_with_units == ("P1", "P2")
    assert have.employee_comments == con.execute(
        "SELECT count(*) FROM employee_survey WHERE trim(comment) <> ''").fetchone()[0]


# ---------------------------------------------------------------------------------------
# cxex validate: what each shape supports
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_validate_prints_what_each_shape_supports(shapes, shape):
    out = cxex("validate", "--data", shapes[shape])
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "What this data set supports:" in lines
    for label in EXPECTED[shape]["yes"]:
        assert any(line.strip().startswith("yes") and label in line for line in lines), label
    for label in EXPECTED[shape]["no"]:
        row = next(line for line in lines if line.strip().startswith("no") and label in line)
        assert "needs" in row and ".csv" in row, row  # names the missing file
    analyses = json.loads(cxex("validate", "--data", shapes[shape], "--json").stdout)["analyses"]
    assert {a["analysis"] for a in analyses} == {a.label for a in inventory.ANALYSES}


# ---------------------------------------------------------------------------------------
# cxex run end to end: every shape publishes, skips say why, no traceback anywhere
# ---------------------------------------------------------------------------------------

def _published(out_dir: Path) -> tuple[dict, str]:
    latest = out_dir / "latest"
    assert (latest / "index.html").exists()
    manifest = json.loads((latest / "manifest.json").read_text())
    for page in latest.glob("*.html"):
        assert "Traceback" not in page.read_text(encoding="utf-8"), page.name
    return manifest, (latest / "index.html").read_text(encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.extended
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_cxex_run_publishes_reports_for_every_shape(shapes, shape, tmp_path):
    out = cxex("run", "--data", shapes[shape], "--warehouse", tmp_path / "w.duckdb",
               "--out", tmp_path / "reports", "--param", "n_boot=199", "--param", "draws=2000")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "Plan (from what the data hold):" in out.stdout
    manifest, index = _published(tmp_path / "reports")
    assert manifest["status"] == "ok"
    status = {n["name"]: n for n in manifest["notebooks"]}
    for name, word in EXPECTED[shape]["skipped"].items():
        assert status[name]["status"] == "skipped" and word in status[name]["reason"], status[name]
        # the executive summary lists what was skipped and why
        assert word in index and status[name]["reason"] in html.unescape(index)
    ran = [n for n in manifest["notebooks"] if n["status"] != "skipped"]
    assert ran and all(n["status"] == "ok" and n["html"] for n in ran)
    assert {"00_data_audit", "01_ex_cx_linkage", "05_verbatims"} <= {n["name"] for n in ran}
    assert any(n["name"].startswith("04_group_report-") for n in ran)


@pytest.mark.e2e
def test_cxex_run_on_the_full_demo_skips_nothing(demo_cli_run):
    reports, _, out = demo_cli_run  # the suite's one `cxex run` of the whole demo
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    manifest, index = _published(reports)
    assert manifest["status"] == "ok"
    assert all(n["status"] == "ok" for n in manifest["notebooks"])
    assert "not run" not in index


def _registry_folder(demo_dir: Path, target: Path, pilots: list[dict],
                     assignments: pd.DataFrame) -> Path:
    folder = shape_folder(demo_dir, target, ("units", "customer_survey", "employee_survey"))
    pd.DataFrame(pilots).to_csv(folder / "pilots.csv", index=False)
    assignments.to_csv(folder / "pilot_assignments.csv", index=False)
    return folder


def _pilot(pilot_id, design, name):
    return {"pilot_id": pilot_id, "name": name, "description": "", "design": design,
            "primary_outcome": "nps", "cost_per_unit": 1000, "currency": "EUR"}


def _analyse_rollout(demo_dir: Path, folder: Path, rollout: pd.DataFrame,
                     only_rollout_units: bool = False) -> dict:
    """Pilot P2's rollout alone in the registry, analysed on NPS; with
    ``only_rollout_units`` the organisation is just the rollout's units."""

    _registry_folder(demo_dir, folder, [_pilot("P2", "staggered", "Visits")], rollout)
    if only_rollout_units:
        for table in ("units", "customer_survey", "employee_survey"):
            frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
            frame[frame["unit_id"].isin(rollout["unit_id"])].to_csv(folder / f"{table}.csv",
                                                                     index=False)
    ingest.ingest(folder, folder.with_suffix(".duckdb"))
    con = warehouse.connect(folder.with_suffix(".duckdb"))
    try:
        return pilots.analyse(con, "P2", ["nps"], n_boot=99)
    finally:
        con.close()


def test_a_staggered_pilot_without_a_control_arm_is_compared_with_the_rest_of_the_organisation(
        demo_dir, tmp_path):
    """Every listed unit gets the pilot in the end: the units no pilot touched are the
    comparison (balance shown for them); with none, the not-yet-started units are."""

    demo = pd.read_csv(demo_dir / "pilot_assignments.csv")
    rollout = demo[(demo["pilot_id"] == "P2") & (demo["arm"] == "treatment")]
    result = _analyse_rollout(demo_dir, tmp_path / "data", rollout)
    outside = len(pd.read_csv(demo_dir / "units.csv")) - len(rollout)
    assert result.control_group == "never_treated"
    assert (result.units["comparison"] == "outside").sum() == outside
    said = " ".join(pilot_findings.findings(result))
    assert f"compared with the {outside} units of the organisation that no pilot changed" in said
    assert set(result.balance["metric"]) == {"nps_pre"}
    att = result.effects.iloc[0]
    assert att["n_control"] == outside and att["ci_low"] < att["estimate"] < att["ci_high"]
    # the organisation is all in the rollout: each start group against the units not started yet
    alone = _analyse_rollout(demo_dir, tmp_path / "only", rollout, only_rollout_units=True)
    assert alone.control_group == "not_yet_treated"
    assert "compared with the units that had not started yet" in " ".join(pilot_findings.findings(alone))
    assert np.isfinite(alone.effects.iloc[0]["se"])


def _report_text(html_path: Path) -> str:
    import html as html_module
    import re

    text = re.sub(r"<[^>]+>", " ", html_path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", html_module.unescape(text))


@pytest.mark.e2e
@pytest.mark.extended
def test_a_registry_of_awkward_pilots_runs_and_each_report_says_what_it_could_estimate(
        demo_dir, tmp_path):
    """An all-treated staggered rollout, a 2-vs-2 randomized pilot and a pilot that has not
    started yet: `cxex run` exits 0 and every pilot gets a report in plain words."""
    demo = pd.read_csv(demo_dir / "pilot_assignments.csv")
    rollout = demo[(demo["pilot_id"] == "P2") & (demo["arm"] == "treatment")].assign(pilot_id="ROLL")
    p1 = demo[demo["pilot_id"] == "P1"]
    tiny = pd.concat([p1[p1["arm"] == "treatment"].head(2), p1[p1["arm"] == "control"].head(2)])
    tiny = tiny.assign(pilot_id="TINY")
    late = p1[p1["arm"] == "treatment"].tail(6).assign(pilot_id="LATE", start_date="2027-03-01")
    pilots = [_pilot("ROLL", "staggered", "Frontline visits, everywhere in the end"),
              _pilot("TINY", "randomized", "Four-unit trial"),
              _pilot("LATE", "staggered", "Next year's rollout")]
    folder = _registry_folder(demo_dir, tmp_path / "data", pilots,
                              pd.concat([rollout, tiny, late], ignore_index=True))
    out = cxex("run", "--data", folder, "--warehouse", tmp_path / "w.duckdb", "--out",
               tmp_path / "reports", "--only", "02", "--param", "n_boot=199")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    manifest, _ = _published(tmp_path / "reports")
    pages = {n["name"]: n for n in manifest["notebooks"]}
    assert {"02_pilot_analysis-ROLL", "02_pilot_analysis-TINY", "02_pilot_analysis-LATE"} <= set(pages)
    assert all(pages[name]["status"] == "ok" for name in pages if name.startswith("02")), pages
    latest = tmp_path / "reports" / "latest"
    roll = _report_text(latest / Path(pages["02_pilot_analysis-ROLL"]["html"]).name)
    assert "units of the organisation that no pilot changed" in roll
    assert "Recommendation:" in roll and "always-valid interval" in roll
    tiny_text = _report_text(latest / Path(pages["02_pilot_analysis-TINY"]["html"]).name)
    assert "no result could reach a randomization p-value below 0.33" in tiny_text
    late_text = _report_text(latest / Path(pages["02_pilot_analysis-LATE"]["html"]).name)
    assert "nothing after the start can be compared yet" in late_text
    assert "No decision" in late_text
