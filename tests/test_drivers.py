"""Johnson's relative weights against a hand computation and the OLS R²."""

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import sqrtm

from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators import relative_weights


def _data(seed=3, n=200):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    frame = pd.DataFrame({"a": base + rng.normal(size=n), "b": base + 0.5 * rng.normal(size=n),
                          "c": rng.normal(size=n)})
    frame["y"] = 0.5 * frame["a"] + 0.2 * frame["b"] + 0.3 * frame["c"] + rng.normal(size=n)
    return frame


def test_hand_computation_on_a_small_example():
    frame = _data()
    x = frame[["a", "b", "c"]].to_numpy()
    y = frame["y"].to_numpy()
    # Johnson (2000), step by step
    r = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    r_xx, r_xy = r[:3, :3], r[:3, 3]
    lam = np.real(sqrtm(r_xx))
    beta = np.linalg.inv(lam) @ r_xy
    by_hand = (lam ** 2) @ (beta ** 2)
    out = relative_weights.relative_weights(frame, ["a", "b", "c"], "y", n_boot=50)
    weights = out[out["estimand"] == "relative_weight"]["estimate"].to_numpy()
    assert weights == pytest.approx(by_hand, rel=1e-10)


def test_weights_sum_to_the_ols_r2():
    frame = _data(7)
    x = np.column_stack([np.ones(len(frame)), frame[["a", "b", "c"]].to_numpy()])
    fitted = x @ np.linalg.lstsq(x, frame["y"].to_numpy(), rcond=None)[0]
    r2 = np.corrcoef(fitted, frame["y"])[0, 1] ** 2
    out = relative_weights.relative_weights(frame, ["a", "b", "c"], "y", n_boot=50)
    assert out.loc[out["estimand"] == "relative_weight", "estimate"].sum() == pytest.approx(r2, rel=1e-10)
    assert out.loc[out["estimand"] == "relative_weight_r2", "estimate"].iloc[0] == pytest.approx(r2, rel=1e-10)


def test_uncorrelated_drivers_get_their_squared_correlation():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(500, 2))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))  # exactly uncorrelated columns
    frame = pd.DataFrame(q * 10, columns=["a", "b"])
    frame["y"] = frame["a"] * 0.7 + frame["b"] * 0.2 + rng.normal(size=500) * 0.05
    out = relative_weights.relative_weights(frame, ["a", "b"], "y", n_boot=20)
    weights = out[out["estimand"] == "relative_weight"].set_index("term")["estimate"]
    for column in ("a", "b"):
        assert weights[column] == pytest.approx(np.corrcoef(frame[column], frame["y"])[0, 1] ** 2, rel=1e-8)


def test_collinear_drivers_are_refused():
    frame = _data()
    frame["d"] = frame["a"] * 2
    with pytest.raises(ParameterError, match="collinear"):
        relative_weights.relative_weights(frame, ["a", "d"], "y", n_boot=10)


def test_importance_performance_quadrants():
    frame = _data()
    weights = relative_weights.relative_weights(frame, ["a", "b", "c"], "y", n_boot=20)
    table = relative_weights.importance_performance(weights, pd.Series({"a": 40.0, "b": 80.0, "c": 60.0}))
    assert table.set_index("term").loc["a", "quadrant"] == "focus"


# ------------------------------------------------------------------ a group's own drivers

def _two_regions(folder):
    """North (10 units, 20 respondents each) whose eNPS follows eng_tools, South (10 units)
    whose eNPS follows eng_manager, and a team of 12 in West; North answers tools and manager
    lower than the company, so both are gaps there."""
    import numpy as np

    from .conftest import write_folder

    rng = np.random.default_rng(11)
    units, rows = ["unit_id,unit_name,region,unit_type"], [
        "response_id,wave,unit_id,role,enps,eng_tools,eng_manager,eng_growth"]
    plan = [("North", f"N{i}", 20) for i in range(10)] + [("South", f"S{i}", 20) for i in range(10)]
    plan.append(("West", "W0", 12))
    for region, unit, size in plan:
        units.append(f"{unit},{unit} store,{region},store")
        for i in range(size):
            low = 1 if region == "North" else 0
            tools, manager, growth = (int(v) for v in np.clip(rng.integers(1, 6, 3) - [low, low, 0], 1, 5))
            driver = tools if region == "North" else manager
            enps = int(np.clip(round(2.2 * (driver - 3) + 6 + rng.normal(0, 1)), 0, 10))
            rows.append(f"{unit}-{i},2025-06-30,{unit},frontline,{enps},{tools},{manager},{growth}")
    return write_folder(folder, {"units.csv": "\n".join(units) + "\n",
                                 "employee_survey.csv": "\n".join(rows) + "\n"})


def test_a_group_with_enough_respondents_ranks_issues_by_its_own_drivers(tmp_path):
    from cxex_analysis.analyses import groups
    from cxex_analysis.store import ingest, warehouse

    target = tmp_path / "w.duckdb"
    ingest.ingest(_two_regions(tmp_path / "data"), target)
    con = warehouse.connect(target)
    north = groups.report_data(con, "region", "North")
    south = groups.report_data(con, "region", "South")
    for data, planted in ((north, "eng_tools"), (south, "eng_manager")):
        assert data.own_drivers and data.driver_respondents == 200
        weights = data.priorities.set_index("item")["importance for this group's eNPS (%)"]
        assert weights.idxmax() == planted and weights[planted] > 60
    assert north.issues["item"].iloc[0] == "eng_tools"  # the group's own driver comes first
    assert "among its 200 respondents" in groups.issues_basis(con, 5, north)
    assert groups.top_issues_by_group(con, "region")["North"][0][0] == "eng_tools"  # as reported
    west = groups.report_data(con, "region", "West")  # 12 respondents: the company's drivers
    assert not west.own_drivers and west.driver_respondents == 12
    assert "need at least 30 respondents" in groups.issues_basis(con, 5, west)
    fewer = groups.report_data(con, "region", "North", min_driver_respondents=500)
    assert not fewer.own_drivers
    con.close()
