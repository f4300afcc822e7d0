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
