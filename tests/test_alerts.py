"""Alerts (issue 40, item 2): a change larger than survey noise after a false-discovery
correction over every group and measure, in groups large enough to read, at least a minimum
size, reported once at the highest level where it holds. Planted organisations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.estimators.alerts import alerts


def organisation(seed: int, drop: dict | None = None, respondents: int = 15) -> pd.DataFrame:
    """Six regions of eight units, ``respondents`` a unit and wave, two waves, engagement and
    eNPS-like scores with no change except the planted ``drop`` {unit or region: points}."""
    rng = np.random.default_rng(seed)
    units = [f"U{r}{u}" for r in range(6) for u in range(8)]
    rows = pd.DataFrame({"unit_id": np.repeat(units, 2 * respondents),
                         "wave": np.tile(np.repeat(["2025-Q1", "2025-Q2"], respondents), len(units))})
    rows["region"] = "R" + rows["unit_id"].str[1]
    rows["engagement"] = rng.normal(70, 15, len(rows))
    rows["enps"] = rng.choice([-100.0, 0.0, 100.0], len(rows), p=[0.25, 0.4, 0.35])
    for where, points in (drop or {}).items():
        column = "region" if where.startswith("R") else "unit_id"
        rows.loc[(rows[column] == where) & (rows["wave"] == "2025-Q2"), "engagement"] -= points
    return rows


def test_a_drop_in_one_unit_alerts_at_the_unit_and_not_its_region():
    found = alerts(organisation(1, {"U23": 25}), ["engagement", "enps"], ["region", "unit_id"])
    assert found["subject"].tolist() == ["unit_id=U23"]
    row = found.iloc[0]
    assert row["outcome"] == "engagement" and row["ci_low"] < -25 < row["ci_high"]
    assert row["q_value"] < 0.05 and row["n"] == 15 and row["term"] == "2025-Q1->2025-Q2"


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
