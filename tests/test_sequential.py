"""Monthly looks at a running pilot: the always-valid interval keeps its error rate, the
ordinary interval read at every look does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import pilots
from cxex_analysis.estimators import sequential


def test_the_normal_mixture_boundary_by_hand():
    # V = 1, tau² = 1, alpha = 0.05: sqrt(1 · 2 / 1 · (2 log 20 + log 2))
    assert sequential.half_width(np.array([1.0]), 1.0, 0.05)[0] == pytest.approx(
        np.sqrt(2 * (2 * np.log(20) + np.log(2))))
    looks = sequential.confidence_sequence([3.0, 2.0, 2.5], [2.0, 1.0, 0.5])
    # running intersection: never wider than an earlier look, and wider than the fixed interval
    assert (np.diff(looks["ci_high"]) <= 0).all() and (np.diff(looks["ci_low"]) >= 0).all()
    assert (looks["ci_high"] - looks["ci_low"] <= looks["fixed_high"] - looks["fixed_low"] + 10).all()
    assert ((looks["ci_high"] - looks["ci_low"]).iloc[0]
            > (looks["fixed_high"] - looks["fixed_low"]).iloc[0])
    assert looks["tau"].iloc[0] == 2.0
    assert sequential.decisions([1.0, -3.0, -1.0], [2.0, -1.0, 1.0]) == [
        "stop for benefit", "stop for futility", "continue"]
    assert sequential.decisions([1.0], [2.0], lower_is_better=True) == ["stop for futility"]


def _null_pilot(rng, design: str, units: int = 40, pre: int = 12, post: int = 12) -> pd.DataFrame:
    """Monthly unit scores with no pilot effect: unit levels, shared months, sampling noise as
    large as a 30-answer NPS (about 17 points)."""
    months = pre + post
    level = rng.normal(20, 10, units)
    month = rng.normal(0, 3, months)
    if design == "randomized":
        arm = np.where(rng.permutation(units) < units // 2, "treatment", "control")
        cohort = np.where(arm == "treatment", pre + 1, 0)
    else:
        cohort = rng.choice([0, pre + 1, pre + 4, pre + 7], size=units)
        arm = np.where(cohort > 0, "treatment", "control")
    t = np.tile(np.arange(1, months + 1), units)
    unit = np.repeat(np.arange(units), months)
    y = level[unit] + month[t - 1] + rng.normal(0, 17, units * months)
    return pd.DataFrame({"unit_id": unit, "t": t, "period": pd.Timestamp("2024-01-01")
                         + pd.to_timedelta(t * 31, unit="D"), "cohort": cohort[unit],
                         "arm": arm[unit], "unit_type": "store", "nps": y})


def _false_positive_rates(design: str, reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    always, fixed = [], []
    for _ in range(reps):
        rows = pilots.monitor(design, _null_pilot(rng, design), "nps", "never_treated",
                                   0.95, 0.0, False, "null")
        always.append((rows["decision"] != "continue").any())
        fixed.append(((rows["fixed_low"] > 0) | (rows["fixed_high"] < 0)).any())
    return float(np.mean(always)), float(np.mean(fixed))


@pytest.mark.calibration
@pytest.mark.extended
@pytest.mark.parametrize("design,reps", [("randomized", 200), ("staggered", 120)])
def test_monthly_looks_keep_the_error_rate_only_with_the_confidence_sequence(design, reps):
    always, fixed = _false_positive_rates(design, reps, seed=7)
    assert always <= 0.05, always
    assert fixed > 0.08, fixed  # 12 looks at an ordinary 95% interval
