"""Callaway & Sant'Anna: pinned to R `did` on its own example data, mpdta.

mpdta (county teen employment, 500 counties × 2003–2007, minimum-wage rises in 2004, 2006 and
2007) ships with R's `did` package and, offline, inside `moderndid` (`load_mpdta`). The
reference numbers are R `did`'s published output for
`att_gt(yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
xformla = ~1, data = mpdta)` and its `aggte()` aggregations (did package vignette
"Introduction to DiD with Multiple Time Periods", Callaway & Sant'Anna); `moderndid` reproduces
them and serves as the reference for the analytic standard errors and the doubly robust
estimator with covariates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators import staggered, trend_sensitivity

moderndid = pytest.importorskip("moderndid")

#: R did: ATT(g, t) on mpdta, unconditional, never-treated controls, varying base period
R_ATT_GT = {(2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373,
            (2004, 2007): -0.1008, (2006, 2004): 0.0065, (2006, 2005): -0.0028,
            (2006, 2006): -0.0046, (2006, 2007): -0.0412, (2007, 2004): 0.0305,
            (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261}
#: R did: aggte() on the same
R_AGGTE = {
    ("att", "treatment"): -0.0400,
    ("att_group", "overall"): -0.0310, ("att_group", "g=2004"): -0.0797,
    ("att_group", "g=2006"): -0.0229, ("att_group", "g=2007"): -0.0261,
    ("att_calendar", "overall"): -0.0417, ("att_calendar", "t=2004"): -0.0105,
    ("att_calendar", "t=2005"): -0.0704, ("att_calendar", "t=2006"): -0.0488,
    ("att_calendar", "t=2007"): -0.0371,
    ("att_dynamic", "overall"): -0.0772, ("att_event_time", "e=-3"): 0.0305,
    ("att_event_time", "e=-2"): -0.0006, ("att_event_time", "e=-1"): -0.0245,
    ("att_event_time", "e=0"): -0.0199, ("att_event_time", "e=+1"): -0.0510,
    ("att_event_time", "e=+2"): -0.1373, ("att_event_time", "e=+3"): -0.1008,
}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return moderndid.load_mpdta().to_pandas()


def _gt(data, **options):
    return staggered.group_time(data, "lemp", "countyreal", "year", "first.treat", **options)


def test_group_time_effects_reproduce_r_did_on_mpdta(mpdta):
    cells = _gt(mpdta, baseline="varying").cells.set_index(["cohort", "time"])["att"]
    assert set(cells.index) == set(R_ATT_GT)
    for key, value in R_ATT_GT.items():
        assert cells[key] == pytest.approx(value, abs=5e-5), key


def test_every_aggregation_reproduces_r_did_and_its_standard_errors(mpdta):
    gt = _gt(mpdta, baseline="varying")
    found = {(a.estimand, a.term): a for kind in staggered.AGGREGATIONS
             for a in staggered.aggregate(gt, kind)}
    assert set(found) == set(R_AGGTE)
    for key, value in R_AGGTE.items():
        assert found[key].estimate == pytest.approx(value, abs=5e-5), key
    # analytic SEs (influence functions with the weights' own influence) = moderndid's
    reference = moderndid.att_gt(data=moderndid.load_mpdta(), yname="lemp", tname="year",
                                 idname="countyreal", gname="first.treat", boot=False)
    for kind, estimand in (("simple", "att"), ("group", "att_group"),
                           ("calendar", "att_calendar"), ("dynamic", "att_dynamic")):
        with warnings.catch_warnings():  # moderndid notes its simultaneous-band bootstrap
            warnings.simplefilter("ignore", UserWarning)
            agg = moderndid.aggte(reference, type=kind, boot=False)
        term = "treatment" if kind == "simple" else "overall"
        se = staggered.analytic_se(found[(estimand, term)].influence)[0]
        assert se == pytest.approx(agg.overall_se, rel=1e-3), kind
    # the multiplier bootstrap (R did's default inference) agrees with the analytic SE
    rows = staggered.inference_rows(gt, list(found.values()), "lemp", 0.95, 999, 1, "all")
    simple = rows[rows["estimand"] == "att"].iloc[0]
    assert simple["se"] == pytest.approx(0.0120, rel=0.1)
    events = rows[rows["estimand"] == "att_event_time"]
    assert ((events["band_high"] - events["band_low"])
            > (events["ci_high"] - events["ci_low"])).all()  # the band covers all at once


def test_doubly_robust_covariates_match_moderndid(mpdta):
    covariates = mpdta.groupby("countyreal")[["lpop"]].first()
    gt = _gt(mpdta, baseline="varying", covariates=covariates)
    reference = moderndid.att_gt(data=moderndid.load_mpdta(), yname="lemp", tname="year",
                                 idname="countyreal", gname="first.treat", xformla="~lpop",
                                 est_method="dr", boot=False)
    np.testing.assert_allclose(gt.cells["att"], reference.att_gt, atol=1e-6)
    np.testing.assert_allclose(staggered.analytic_se(gt.influence), reference.se_gt, rtol=1e-3)
    simple = staggered.aggregate(gt, "simple")[0]
    assert simple.estimate == pytest.approx(-0.0418, abs=5e-5)  # R did, xformla = ~lpop


def test_a_pooled_baseline_is_the_mean_of_the_periods_before_the_start():
    # one cohort starting at 4, one never-treated unit; periods 1..5
    data = pd.DataFrame({"u": [1] * 5 + [2] * 5, "t": list(range(1, 6)) * 2,
                         "g": [4] * 5 + [0] * 5,
                         "y": [1.0, 2, 3, 10, 11, 0, 0, 0, 1, 1]})
    gt = staggered.group_time(data, "y", "u", "t", "g", baseline="pooled", baseline_periods=2)
    cells = gt.cells.set_index("time")["att"]
    # t = 4: (10 − mean(2, 3)) − (1 − mean(0, 0)) = 7.5 − 1
    assert cells[4] == pytest.approx(6.5)
    assert cells[5] == pytest.approx((11 - 2.5) - 1)
    assert cells[1] == pytest.approx((1 - 2.5) - 0)  # before the start: against the same base


def _null_rollout(rng, units: int, periods: int = 12):
    cohorts = np.repeat([0, 6, 8], [units // 2, units // 4, units - units // 2 - units // 4])
    level = rng.normal(0, 5, units)
    rows = [{"u": i, "t": t, "g": cohorts[i], "y": level[i] + rng.normal(0, 3)}
            for i in range(units) for t in range(1, periods + 1)]
    return pd.DataFrame(rows)


@pytest.mark.calibration
def test_few_units_get_intervals_that_keep_their_coverage():
    """12 units, no effect: the small-sample intervals (Webb weights, t with Hsu's df) cover
    zero at least at their nominal rate; large-sample ones would not."""
    rng = np.random.default_rng(3)
    covered, plain = [], []
    for _ in range(300):
        data = _null_rollout(rng, 12)
        row = staggered.staggered_did(data, "y", "u", "t", "g", n_boot=399,
                                      seed=int(rng.integers(1 << 30)),
                                      aggregations=("simple",)).iloc[0]
        covered.append(row["ci_low"] <= 0 <= row["ci_high"])
        plain.append(abs(row["estimate"]) <= 1.96 * row["se"])
        assert "_webb_" in row["method"] and "_hsu" in row["method"]
    assert np.mean(covered) >= 0.93
    assert np.mean(covered) > np.mean(plain)


def test_one_unit_on_a_side_gets_no_interval():
    data = pd.DataFrame({"u": [1] * 4 + [2] * 4 + [3] * 4, "t": list(range(1, 5)) * 3,
                         "g": [3] * 4 + [0] * 8, "y": np.arange(12.0)})
    row = staggered.staggered_did(data, "y", "u", "t", "g", n_boot=99).iloc[0]
    assert np.isfinite(row["estimate"]) and np.isnan(row["se"]) and np.isnan(row["p_value"])
    assert "no_inference" in row["method"]


def test_sensitivity_bounds_widen_with_the_allowed_violation(mpdta):
    gt = _gt(mpdta, baseline="universal")
    rows = trend_sensitivity.sensitivity(gt, "lemp", mbar=(0, 0.5, 1)).set_index("term")
    times, beta = trend_sensitivity.event_study_vector(gt)
    pre = np.append(beta[times < 0], 0.0)
    largest = np.abs(np.diff(pre)).max()
    post = times >= 0
    half = 0.5 * largest * np.mean(times[post] + 1)  # relative magnitudes, by hand
    assert rows.loc["Mbar=0.5", "bound_low"] == pytest.approx(beta[post].mean() - half, abs=1e-6)
    assert rows.loc["Mbar=0.5", "bound_high"] == pytest.approx(beta[post].mean() + half, abs=1e-6)
    # the identified set is HonestDiD's (moderndid's port of it, linear programmes)
    honest = pytest.importorskip("moderndid.didhonest")
    for m in (0.5, 1):
        found = honest.compute_identified_set_rm(m_bar=m, true_beta=beta,
                                                 l_vec=np.full(post.sum(), 1 / post.sum()),
                                                 num_pre_periods=int((~post).sum()),
                                                 num_post_periods=int(post.sum()))
        assert rows.loc[f"Mbar={m:g}", "bound_low"] == pytest.approx(found.id_lb, abs=1e-6)
        assert rows.loc[f"Mbar={m:g}", "bound_high"] == pytest.approx(found.id_ub, abs=1e-6)
    assert rows.loc["Mbar=0", "estimate"] == pytest.approx(-0.0772, abs=5e-4)  # R did, dynamic
    widths = rows["ci_high"] - rows["ci_low"]
    assert widths.is_monotonic_increasing
    assert rows.loc["Mbar=0", "ci_high"] < 0 < rows.loc["Mbar=1", "ci_high"]


def test_bad_arguments_are_named():
    data = pd.DataFrame({"u": [1, 1], "t": [1, 2], "g": [2, 2], "y": [1.0, 2.0]})
    with pytest.raises(ParameterError, match="baseline"):
        staggered.group_time(data, "y", "u", "t", "g", baseline="first")
    with pytest.raises(ParameterError, match="never-treated"):
        staggered.group_time(data, "y", "u", "t", "g")
