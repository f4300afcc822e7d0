"""Participation (issue 40, item 1): the share of a group's employees who answered, from a
headcount the data give (``unit_outcomes.employees`` at the survey month, else
``units.headcount``), hidden where the group's results are, said when low. Planted counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import groups, heatmap
from cxex_analysis.narrative import group_findings, summary_findings
from cxex_analysis.panels import participation
from cxex_analysis.store import ingest, warehouse

from .conftest import write_folder

#: unit -> (region, respondents in the wave, headcount in units.csv)
PLANTED = {"A1": ("A", 12, 99), "B1": ("B", 5, 25), "C1": ("C", 3, 4), "D1": ("D", 10, 40)}


def _folder(folder, headcounts: bool = True):
    """Four units in four regions, one survey wave (2025-06-30). A1's units.csv headcount is
    stale (99): unit_outcomes gives 20 for May and 30 for July, so the wave's headcount is
    May's 20. C1 (3 respondents) is too small; B1 would give C1 away (company minus A, B and
    D), so it is hidden too; D1 answered 10 of 40."""
    rng = np.random.default_rng(1)
    header = "unit_id,unit_name,region,unit_type" + (",headcount" if headcounts else "")
    units = [header] + [f"{u},{u} store,{r},store" + (f",{h}" if headcounts else "")
                        for u, (r, _, h) in PLANTED.items()]
    rows = ["response_id,wave,unit_id,role,enps,eng_tools,eng_manager,eng_growth"]
    for unit, (_, size, _) in PLANTED.items():
        for i in range(size):
            answers = ",".join(str(v) for v in rng.integers(1, 6, 3))
            rows.append(f"{unit}-{i},2025-06-30,{unit},frontline,{rng.integers(0, 11)},{answers}")
    files = {"units.csv": "\n".join(units) + "\n", "employee_survey.csv": "\n".join(rows) + "\n"}
    if headcounts:
        files["unit_outcomes.csv"] = ("unit_id,period,employees\nA1,2025-05-01,20\n"
                                      "A1,2025-07-01,30\n")
    return write_folder(folder, files)


@pytest.fixture()
def con(tmp_path):
    target = tmp_path / "w.duckdb"
    ingest.ingest(_folder(tmp_path / "data"), target)
    connection = warehouse.connect(target)
    yield connection
    connection.close()


def test_rates_come_from_the_headcount_at_the_wave_and_hide_with_the_scores(con):
    units = participation.participation(con, "unit", min_group_size=5).set_index("group")
    assert units.loc["A1", "headcount"] == 20 and units.loc["A1", "rate"] == pytest.approx(0.6)
    assert units.loc["D1", "rate"] == pytest.approx(0.25)
    assert units.loc["B1", "rate"] == pytest.approx(0.2)  # shown unless the rule hides it
    assert np.isnan(units.loc["C1", "rate"]) and np.isnan(units.loc["C1", "respondents"])
    hidden = participation.participation(con, "unit", {"B1", "C1"}, 5).set_index("group")
    assert hidden.loc[["B1", "C1"], ["rate", "respondents"]].isna().all().all()
    company = participation.participation(con, None, min_group_size=5).iloc[0]
    assert company["respondents"] == 30 and company["rate"] == pytest.approx(30 / 89)


def test_the_heatmap_has_a_participation_column_hidden_as_the_scores_are(con):
    cells = heatmap.group_scores(con, "region", min_group_size=5)
    grid, company, _ = heatmap.matrix(cells, "region")
    assert grid.columns[-1] == "participation"
    assert grid.loc["A", "participation"] == pytest.approx(60.0)
    assert grid.loc["D", "participation"] == pytest.approx(25.0)
    assert grid.loc[["B", "C"]].isna().all().all()  # hidden rows stay wholly empty
    assert company["participation"] == pytest.approx(100 * 30 / 89)


def test_a_group_report_says_a_low_rate_beside_its_results(con):
    low = groups.report_data(con, "unit", "D1", min_group_size=5, low_participation=0.5)
    card = low.scorecard.set_index("metric")
    assert card.loc["Participation (% who answered)", "this group"] == pytest.approx(25.0)
    said = group_findings.participation_sentences(low)
    assert said == ["Only 25% of this group's employees answered the latest survey (10 of 40): "
                    "below 50%, its employee results may not represent the whole group."]
    assert said[0] in group_findings.findings(low)
    fine = groups.report_data(con, "unit", "A1", min_group_size=5)
    assert group_findings.participation_sentences(fine) == [
        "60% of this group's employees answered the latest survey (12 of 20)."]
    hidden = groups.report_data(con, "unit", "B1", min_group_size=5)
    assert group_findings.participation_sentences(hidden) == []
    assert np.isnan(hidden.scorecard.set_index("metric").loc["Participation (% who answered)",
                                                              "this group"])


def test_the_summary_table_shows_participation_and_marks_a_low_rate(con):
    frames = [groups.group_metrics(con, "unit", u, min_group_size=5) for u in PLANTED]
    table = summary_findings.where_to_act(pd.concat(frames, ignore_index=True))
    shown = dict(zip(table["group"], table["% who answered"]))
    assert shown["unit: A1"] == "60%" and shown["unit: D1"] == "25% (low)"
    assert shown["unit: B1"] == shown["unit: C1"] == "hidden (too few answers)"


def test_without_any_headcount_participation_is_left_out(tmp_path):
    target = tmp_path / "w.duckdb"
    ingest.ingest(_folder(tmp_path / "data", headcounts=False), target)
    con = warehouse.connect(target)
    assert participation.participation(con, "region").empty
    cells = heatmap.group_scores(con, "region", min_group_size=5)
    assert "participation" not in set(cells["outcome"])
    report = groups.report_data(con, "unit", "A1", min_group_size=5)
    assert "Participation (% who answered)" not in set(report.scorecard["metric"])
    assert group_findings.participation_sentences(report) == []
    con.close()


def test_more_answers_than_the_headcount_shows_no_rate_and_says_why(tmp_path):
    folder = _folder(tmp_path / "data")
    (folder / "unit_outcomes.csv").write_text("unit_id,period,employees\nA1,2025-05-01,8\n")
    target = tmp_path / "w.duckdb"
    ingest.ingest(folder, target)
    con = warehouse.connect(target)
    units = participation.participation(con, "unit", min_group_size=5).set_index("group")
    assert units.loc["A1", "over"] and np.isnan(units.loc["A1", "rate"])
    report = groups.report_data(con, "unit", "A1", min_group_size=5)
    assert group_findings.participation_sentences(report) == [
        "Participation is not shown: more of this group's employees answered (12) than the "
        "headcount the data give (8); the headcount is likely out of date."]
    cells = heatmap.group_scores(con, "unit", min_group_size=5)
    assert "participation" not in set(cells["outcome"])  # an empty cell would read "hidden"
    con.close()
