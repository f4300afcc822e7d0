"""Alerts (issue 40, item 2): a change larger than survey noise after a false-discovery
correction over every group and measure, in groups large enough to read, at least a minimum
size, reported once at the highest level where it holds. Planted organisations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.estimators.alerts import alerts
from cxex_analysis.simulation.alert_world import organisation


def test_a_drop_in_one_unit_alerts_at_the_unit_and_not_its_region():
    found = alerts(organisation(1, {"U23": 25}), ["engagement", "enps"], ["region", "unit_id"])
    assert found["subject"].tolist() == ["unit_id=U23"]
    row = found.iloc[0]
    assert row["outcome"] == "engagement" and row["ci_low"] < -25 < row["ci_high"]
    assert row["q_value"] < 0.05 and row["n"] == 15 and row["term"] == "2025-Q1 to 2025-Q2"


def test_a_drop_across_a_region_alerts_once_at_the_region():
    found = alerts(organisation(2, {"R4": 12}), ["engagement", "enps"], ["region", "unit_id"])
    assert found["subject"].tolist() == ["region=R4"]  # not repeated for its eight units
    assert found["estimate"].iloc[0] < -5


@pytest.mark.calibration
def test_no_change_gives_an_alert_in_few_organisations():
    """Under no change anywhere (96 group × measure changes a time), Benjamini–Hochberg keeps
    the chance of any alert at about 5%: over 200 organisations, at most 9% have one."""
    any_alert = [not alerts(organisation(seed), ["engagement", "enps"],
                            ["region", "unit_id"], min_change=0).empty for seed in range(200)]
    assert np.mean(any_alert) <= 0.09


def test_small_groups_and_small_changes_raise_no_alert():
    rows = organisation(3, {"U05": 30})
    rows = rows[~((rows["unit_id"] == "U05") & (rows.groupby(["unit_id", "wave"]).cumcount() >= 4))]
    assert "unit_id=U05" not in set(alerts(rows, ["engagement"], ["region", "unit_id"])["subject"])
    big = organisation(4, {"R1": 4}, respondents=400)  # clears the noise, but under 5 points
    assert alerts(big, ["engagement"], ["region", "unit_id"]).empty
    assert not alerts(big, ["engagement"], ["region", "unit_id"], min_change=3).empty


def test_units_and_regions_as_categoricals_as_the_warehouse_gives_them():
    rows = organisation(5, {"U12": 25})
    rows[["unit_id", "region"]] = rows[["unit_id", "region"]].astype("category")
    found = alerts(rows, ["engagement"], ["region", "unit_id"])
    assert found["subject"].tolist() == ["unit_id=U12"]


def survey_frames(seed: int = 3):
    """Employees (items 1-5, eNPS 0-10, two waves) and customers (NPS 0-10, CSAT 1-5, two
    quarters) of 24 units in two regions, as notebook 00 reads them; unit U3's employees
    answer every item a point lower in the second wave and unit U18's customers give NPS
    two points lower in the second quarter."""
    rng = np.random.default_rng(seed)
    units = [f"U{i}" for i in range(24)]
    n = 30
    employees = pd.DataFrame({"unit_id": np.repeat(units, 2 * n),
                              "wave": np.tile(np.repeat(pd.to_datetime(["2025-03-31", "2025-09-30"]), n),
                                              len(units))})
    second = employees["wave"] == pd.Timestamp("2025-09-30")
    for item in ("eng_voice", "eng_tools", "eng_growth"):
        answers = rng.integers(3, 6, len(employees)) - np.where(second & (employees["unit_id"] == "U3"), 1, 0)
        employees[item] = answers
    employees["enps"] = rng.integers(5, 11, len(employees))
    customers = pd.DataFrame({"unit_id": np.repeat(units, 2 * 200),
                              "quarter": np.tile(np.repeat(pd.to_datetime(["2025-04-01", "2025-07-01"]).date,
                                                           200), len(units))})
    later = customers["quarter"] == pd.Timestamp("2025-07-01").date()
    customers["nps"] = np.clip(rng.integers(4, 11, len(customers))
                               - np.where(later & (customers["unit_id"] == "U18"), 2, 0), 0, 10)
    customers["csat"] = rng.integers(2, 6, len(customers))
    for frame in (employees, customers):
        frame["region"] = np.where(frame["unit_id"].str[1:].astype(int) < 12, "North", "South")
        for column in ("unit_id", "region"):
            frame[column] = frame[column].astype("category")
    return employees, customers


def test_the_audit_alerts_on_employees_and_customers_corrected_together():
    from cxex_analysis.analyses import changes

    employees, customers = survey_frames()
    names = {f"U{i}": f"Store {i}" for i in range(24)}
    found = changes.alerts(employees, customers, names)
    by = {(r.subject, r.outcome) for r in found.itertuples()}
    assert ("unit_id=U3", "engagement_index") in by and ("unit_id=U18", "nps") in by
    assert {s for s, _ in by} == {"unit_id=U3", "unit_id=U18"}  # one unit moved, not its region
    nps = found[(found["subject"] == "unit_id=U18") & (found["outcome"] == "nps")].iloc[0]
    assert nps["group_name"] == "Store 18" and nps["term"] == "Q2 2025 to Q3 2025"
    assert nps["estimate"] < -20 and nps["n"] == 200 and nps["n_before"] == 200
    engagement = found[(found["subject"] == "unit_id=U3") & (found["outcome"] == "engagement_index")]
    assert engagement["term"].iloc[0] == "Mar 2025 to Sep 2025"
    # one correction over both surveys: 27 groups x (engagement, 3 items, eNPS, NPS, CSAT)
    assert "over_189_changes" in nps["method"]


def test_a_group_report_shows_its_own_its_units_and_the_alerts_above_it():
    from cxex_analysis.narrative import alert_findings

    rows = pd.DataFrame({"subject": ["company", "region=North", "region=South", "unit_id=U3",
                                     "unit_id=U8"], "estimate": [-6.0, -7.0, 8.0, -12.0, 9.0]})
    north = alert_findings.for_group(rows, "region", "North", ["U1", "U3"], ["North"])
    assert north["subject"].tolist() == ["company", "region=North", "unit_id=U3"]
    unit = alert_findings.for_group(rows, "unit", "U8", ["U8"], ["South"])
    assert unit["subject"].tolist() == ["company", "region=South", "unit_id=U8"]
    stores = alert_findings.for_group(rows, "unit_type", "store", ["U3", "U4"], ["North", "South"])
    assert stores["subject"].tolist() == ["company", "unit_id=U3"]  # unit types cut across regions
    assert alert_findings.for_group(None, "region", "North", ["U1"], ["North"]) is None


def test_the_summary_shows_the_recorded_alerts_with_their_rule(tmp_path):
    from cxex_analysis import results
    from cxex_analysis.analyses import changes
    from cxex_analysis.reporting import summary

    employees, customers = survey_frames()
    found = changes.alerts(employees, customers, {"U3": "Store 3", "U18": "Store 18"}, min_change=5)
    audit = results.tidy([{"analysis": "metrics", "estimand": "metric_level", "subject": "all",
                           "outcome": "nps", "estimate": 20.0}])
    path = results.write_json([audit, found], tmp_path / "results.json")
    page = summary.alerts_html(results.read_json(path), min_group_size=5)
    assert "Store 3" in page and "Store 18" in page and "Engagement" in page
    assert "at least 5 points" in page and "Alerts: changes since the last survey" in page
    assert summary.alerts_html(results.read_json(path).iloc[1:], 5) == ""  # the audit did not run
    quiet = results.write_json([audit], tmp_path / "quiet.json")
    assert "No group&#x27;s score moved" in summary.alerts_html(results.read_json(quiet), 5)


def test_a_unit_that_drags_its_region_down_is_still_named():
    """The region alerts on a drop one of its units caused: the unit's far larger drop is named
    too; a region whose units all fell alike is named alone."""
    rows = organisation(7, {"U11": 100, "R3": 10})
    found = alerts(rows, ["engagement"], ["region", "unit_id"])
    assert {"region=R1", "unit_id=U11", "region=R3"} == set(found["subject"])


def test_no_alert_gives_a_hidden_groups_change_away():
    """U0 (30 people) shares its region with U1, a team of 3: the region minus U0 would be U1,
    so U0's employee results are hidden, and its planted 50-point fall raises no employee
    alert of its own (the region's fall is the region's to show); its customers' fall does."""
    from cxex_analysis.analyses import changes

    employees, customers = survey_frames()
    small = employees["unit_id"].eq("U1") & (employees.groupby(["unit_id", "wave"], observed=True)
                                             .cumcount() >= 3)
    employees = employees[~small].copy()
    employees["region"] = np.where(employees["unit_id"].isin(["U0", "U1"]), "Tiny", "Rest")
    second = employees["wave"] == employees["wave"].max()
    for item in ("eng_voice", "eng_tools", "eng_growth"):
        employees.loc[second & (employees["unit_id"] == "U0"), item] = 1
    customers["region"] = np.where(customers["unit_id"].isin(["U0", "U1"]), "Tiny", "Rest")
    later = customers["quarter"] == customers["quarter"].max()
    customers.loc[later & (customers["unit_id"] == "U0"), "nps"] = 0
    for frame in (employees, customers):
        frame["region"] = frame["region"].astype("category")
    hidden = changes.hidden_in_either_wave(employees, 5)
    assert hidden["unit_id"] == {"U0", "U1"}
    found = changes.alerts(employees, customers, {})
    mine = found[found["subject"] == "unit_id=U0"]
    assert set(mine["outcome"]) == {"nps"}  # customers are not confidential
    assert "region=Tiny" in set(found["subject"])  # 33 people: the region's fall is shown


def test_a_long_list_of_alerts_is_shortened_with_the_largest_and_a_sentence():
    from cxex_analysis.narrative import alert_findings

    rows = pd.DataFrame({"subject": ["company"] + [f"unit_id=U{i}" for i in range(30)],
                         "group_name": ["The whole organisation"] + [f"Store {i}" for i in range(30)],
                         "outcome": "engagement_index", "term": "Q1 to Q2",
                         "estimate": [-6.0] + [float(-5 - i) for i in range(30)],
                         "ci_low": -50.0, "ci_high": -1.0, "q_value": 0.01, "n_before": 20,
                         "n": 20, "confidence": 0.95})
    shown = alert_findings.alert_table(rows, 5)
    assert shown["group_name"].tolist() == ["The whole organisation", "Store 29", "Store 28",
                                            "Store 27", "Store 26"]
    assert "the data audit lists all 31" in alert_findings.more_alerts(rows, 5)
    assert alert_findings.more_alerts(rows, 40) is None
