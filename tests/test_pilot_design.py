"""Pilots designed with cxex (issue 39): sized from the history, balanced, registered, and
analysed as registered.

The power check designs a pilot on a planted organisation (latent experience with a lasting
level and a drift, customers answering in varying numbers) and runs it hundreds of times with
the planted effect at the design's minimum detectable effect and with none.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import pilots
from cxex_analysis.cli import main
from cxex_analysis.errors import UnusableFileError
from cxex_analysis.simulation.pilot_world import power_check
from cxex_analysis.store import ingest, warehouse


@pytest.mark.calibration
@pytest.mark.parametrize("looks, draws", [("final", 500), ("each", 400)])
def test_a_designed_pilot_finds_its_planted_effect_at_the_stated_power(looks, draws):
    """The design's stated power for an effect of 8 NPS points (with the units it chose) is
    met within 0.05 by the registered analysis over fresh assignments and fresh months;
    with no effect, one look rejects at alpha and the always-valid looks at most at alpha."""
    check = power_check(8.0, looks, draws=draws, seed=3)
    assert 0.7 <= check.stated <= 0.9, check
    assert abs(check.detected - check.stated) <= 0.05, check
    binomial = 2.5 * np.sqrt(0.05 * 0.95 / draws)
    if looks == "final":
        assert abs(check.false_positive - 0.05) <= binomial, check
    else:
        assert check.false_positive <= 0.05 + binomial, check


def _designed(tmp_path, demo_dir, demo_warehouse, *extra: str) -> tuple:
    """The demo's data folder with a pilot P9 designed on its history added as the files
    say (rows appended, design.json in a folder inside)."""
    out = tmp_path / "design"
    code = main(["design", "--warehouse", str(demo_warehouse), "--pilot-id", "P9",
                 "--name", "Coaching for managers", "--outcome", "nps", "--mde", "10",
                 "--start", "2025-07-01", "--out", str(out), *extra])
    assert code == 0
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    for name in ("pilots.csv", "pilot_assignments.csv"):
        both = pd.concat([pd.read_csv(data / name, dtype=str), pd.read_csv(out / name, dtype=str)])
        both.to_csv(data / name, index=False)
    (data / "designs").mkdir()
    shutil.copy(out / "design.json", data / "designs" / "design.json")
    return data, json.loads((out / "design.json").read_text())


def test_a_designed_pilot_validates_and_is_analysed_as_registered(tmp_path, demo_dir,
                                                                  demo_warehouse, capsys):
    data, registered = _designed(tmp_path, demo_dir, demo_warehouse)
    out = capsys.readouterr().out
    assert "pilot units with the other" in out and "SMD" in out
    # balanced on the pre-period outcome and engagement, within the registered rule
    assert all(abs(row["smd"]) < 0.1 for row in registered["balance"])
    assert registered["randomization"]["covariates"] == ["nps_pre", "engagement_index_pre"]
    assert registered["units"]["pilot"] + registered["units"]["comparison"] == 150
    assert registered["achieved_power"] >= 0.8
    assert main(["validate", "--data", str(data)]) == 0

    ingest.ingest(data, tmp_path / "w.duckdb")
    con = warehouse.connect(tmp_path / "w.duckdb")
    analysis = pilots.analyse(con, "P9", n_boot=99)
    con.close()
    assert analysis.primary == "nps" and analysis.deviations == ()
    row = analysis.effects[(analysis.effects["outcome"] == "nps")
                           & (analysis.effects["estimand"] == "att")].iloc[0]
    assert "assignments the registered balance rule accepts" in row["method"]
    assert 0 < row["randomization_p"] <= 1
    assert analysis.decision["registered"].startswith("Registered on")

    # the registry now names another primary outcome and one unit changed arm: deviations
    assignments = pd.read_csv(data / "pilot_assignments.csv", dtype=str)
    pilots_file = pd.read_csv(data / "pilots.csv", dtype=str)
    pilots_file.loc[pilots_file["pilot_id"] == "P9", "primary_outcome"] = "csat"
    pilots_file.to_csv(data / "pilots.csv", index=False)
    one = assignments.index[(assignments["pilot_id"] == "P9") & (assignments["arm"] == "control")][0]
    assignments.loc[one, ["arm", "start_date"]] = ["treatment", "2025-07-01"]
    assignments.to_csv(data / "pilot_assignments.csv", index=False)
    ingest.ingest(data, tmp_path / "w2.duckdb")
    con = warehouse.connect(tmp_path / "w2.duckdb")
    analysis = pilots.estimate(con, "P9", n_boot=99)
    con.close()
    assert analysis.primary == "nps"  # the registered one, not the registry's new one
    said = " ".join(analysis.deviations)
    assert "names CSAT as the primary outcome" in said or "csat" in said.lower()
    assert "1 unit in another arm than the one drawn" in said
    row = analysis.effects[(analysis.effects["outcome"] == "nps")
                           & (analysis.effects["estimand"] == "att")].iloc[0]
    assert "registered balance rule" in row["method"]  # same units, re-drawn by the rule


def test_a_staggered_design_draws_start_waves_that_validate(tmp_path, demo_dir, demo_warehouse):
    data, registered = _designed(tmp_path, demo_dir, demo_warehouse, "--design", "staggered",
                                 "--waves", "3")
    assert [w["start"] for w in registered["waves"]] == ["2025-07-01", "2025-09-01", "2025-11-01"]
    assert sum(w["units"] for w in registered["waves"]) == registered["units"]["pilot"]
    assert min(w["units"] for w in registered["waves"]) >= registered["units"]["pilot"] // 3 - 6
    assert main(["validate", "--data", str(data)]) == 0


def test_a_design_out_of_reach_is_refused_in_plain_words(tmp_path, demo_warehouse, capsys):
    code = main(["design", "--warehouse", str(demo_warehouse), "--pilot-id", "P9", "--name", "x",
                 "--outcome", "nps", "--mde", "2", "--start", "2026-04-01", "--exclude-pilots",
                 "--out", str(tmp_path / "o")])
    said = capsys.readouterr().err
    assert code == 2
    assert "no design reaches 80% power for 2 points of NPS" in said
    assert "the smallest effect it can detect at 80% power is" in said and "needs" in said
    assert not (tmp_path / "o").exists()


def test_design_never_replaces_a_file(tmp_path, demo_warehouse, capsys):
    (tmp_path / "pilots.csv").write_text("mine\n")
    code = main(["design", "--warehouse", str(demo_warehouse), "--pilot-id", "P9", "--name", "x",
                 "--outcome", "nps", "--mde", "10", "--start", "2026-04-01", "--out", str(tmp_path)])
    assert code == 2 and "never replaces a file" in capsys.readouterr().err
    assert (tmp_path / "pilots.csv").read_text() == "mine\n"
    assert not (tmp_path / "design.json").exists()


def test_a_registration_of_an_unknown_pilot_is_refused_naming_the_file(small_folder, tmp_path):
    folder = small_folder(extra={"design_Q1.json": json.dumps({"cxex_design": 1, "pilot_id": "Q1"})})
    with pytest.raises(UnusableFileError, match="design_Q1.json.*Q1"):
        ingest.ingest(folder, tmp_path / "w.duckdb")


@pytest.mark.e2e
def test_a_registered_pilots_report_shows_the_design_and_marks_the_decision(
        tmp_path, demo_dir, demo_warehouse):
    """Notebook 02 on a registered pilot: the design section (what it can detect, the power
    curve, the registered balance, the rule) and the decision marked registered."""
    data, _ = _designed(tmp_path, demo_dir, demo_warehouse)
    code = main(["run", "--data", str(data), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--out", str(tmp_path / "reports"), "--only", "02", "--param", "pilot_id=P9",
                 "--param", "n_boot=199"])
    assert code == 0
    page = next((tmp_path / "reports" / "latest").glob("02_pilot_analysis*.html")).read_text()
    assert "As designed and registered" in page and "pilot and" in page
    assert "detect an effect of 10 on NPS" in page
    assert "chance of detecting the registered effect against the number of pilot units" in page
    assert "Balance of the registered assignment" in page
    assert "re-drawn until every |SMD| &lt; 0.1" in page or "re-drawn until every |SMD| < 0.1" in page
    assert "(registered)" in page and "No deviation from the registration." in page
