"""Norms (issue 40, item 5): an optional file of external percentiles the organisation brings;
scores are placed against it where present, and nothing is said without it."""

from __future__ import annotations

import pytest

from cxex_analysis import results
from cxex_analysis.analyses import groups, heatmap
from cxex_analysis.contract.validation import validate
from cxex_analysis.narrative import norm_findings
from cxex_analysis.panels import norms
from cxex_analysis.reporting import summary
from cxex_analysis.store import ingest, warehouse

from .conftest import write_folder

NORMS = ("measure,item,p25,p50,p75,p90,source,year\n"
         "engagement_index,,40,50,60,70,Vendor norms,2025\n"
         "enps,,-30,-10,10,30,Vendor norms,2025\n"
         "pct_favourable,eng_tools,20,30,40,50,Vendor norms,2025\n")


def _folder(folder, with_norms: bool):
    """Two stores of 10 employees; every employee answers 4 on each item (engagement 75) and
    9 for eNPS (eNPS +100): above the norms' 90th percentile on both."""
    units = "unit_id,unit_name,region,unit_type\nA1,Alpha,North,store\nB1,Beta,South,store\n"
    rows = ["response_id,wave,unit_id,role,enps,eng_tools,eng_manager,eng_growth"]
    rows += [f"{u}-{i},2025-06-30,{u},frontline,9,4,4,4" for u in ("A1", "B1") for i in range(10)]
    files = {"units.csv": units, "employee_survey.csv": "\n".join(rows) + "\n"}
    if with_norms:
        files["norms.csv"] = NORMS
    return write_folder(folder, files)


@pytest.mark.parametrize("value, words", [
    (75, "in the top 10% (90th percentile 70.0)"),
    (70, "in the top 10% (90th percentile 70.0)"),
    (65, "between the 75th (60.0) and 90th percentile (70.0)"),
    (50, "between the median (50.0) and the 75th percentile (60.0)"),
    (45, "between the 25th percentile (40.0) and the median (50.0)"),
    (39.9, "below the 25th percentile (40.0)")])
def test_a_score_is_placed_among_the_percentiles(value, words):
    norm = {"p25": 40.0, "p50": 50.0, "p75": 60.0, "p90": 70.0}
    assert norm_findings.against(value, norm) == words


def test_a_norms_file_is_checked_like_any_table(tmp_path):
    folder = _folder(tmp_path / "data", True)
    (folder / "norms.csv").write_text(NORMS + "nps,,50,40,60,70,Bad order,2025\n"
                                      "engagement_index,eng_voice,1,2,3,4,Item on a measure,2025\n"
                                      "enps,,-30,-10,10,30,Repeated,2025\nloyalty,,1,2,3,4,X,2025\n")
    report = validate(folder).tables["norms"]
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (7, 3, 4)
    reasons = " ".join(report.by_reason)
    assert "percentiles out of order" in reasons and "an item's norm is its % favourable" in reasons
    assert "duplicate measure + item" in reasons and "not an allowed value" in reasons


def test_scores_are_placed_against_the_norms_where_present(tmp_path):
    target = tmp_path / "w.duckdb"
    ingest.ingest(_folder(tmp_path / "data", True), target)
    con = warehouse.connect(target)
    found = norms.norms(con)
    assert set(found["key"]) == {"engagement_index", "enps", "eng_tools"}
    cells = heatmap.group_scores(con, "region", min_group_size=5)
    table = norm_findings.benchmark_table(cells[cells["subject"] == "all"], found).set_index("measure")
    assert table.loc["Engagement", "organisation"] == pytest.approx(75.0)
    assert table.loc["Engagement", "where it falls"] == "in the top 10% (90th percentile 70.0)"
    assert table.loc["Tools (% favourable)", "organisation"] == pytest.approx(100.0)
    data = groups.report_data(con, "region", "North", min_group_size=5)
    card = norm_findings.with_norms(data.scorecard, found, groups.scorecard_keys(data.scorecard),
                                    "this group").set_index("metric")
    assert card.loc["eNPS", "benchmark median"] == -10
    assert card.loc["eNPS", "against the benchmark"] == "in the top 10% (90th percentile 30.0)"
    assert card.loc["% favourable", "against the benchmark"] == ""  # no norm for it
    # the executive summary reads the norms the audit recorded
    recorded = results.read_json(results.write_json([cells, norms.norm_records(found)],
                                                    tmp_path / "results.json"))
    said = summary.benchmark_sentences(recorded)
    assert said[0] == "Engagement 75.0 is in the top 10% (90th percentile 70.0)."
    assert "Vendor norms 2025" in said[-1] and len(said) == 4
    con.close()


def test_without_a_norms_file_nothing_is_said(tmp_path):
    target = tmp_path / "w.duckdb"
    ingest.ingest(_folder(tmp_path / "data", False), target)
    con = warehouse.connect(target)
    assert norms.norms(con) is None
    data = groups.report_data(con, "region", "North", min_group_size=5)
    card = norm_findings.with_norms(data.scorecard, None, groups.scorecard_keys(data.scorecard),
                                    "this group")
    assert list(card.columns) == list(data.scorecard.columns)
    assert norm_findings.norm_note(None) is None
    assert summary.benchmark_sentences(results.tidy([])) == []
    con.close()
