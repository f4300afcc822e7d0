"""Balanced assignment of pilot units (issue 39, started): re-randomization by a stated rule,
pinned to Morgan & Rubin (2012), and the randomization test restricted to the assignments
the rule accepts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxex_analysis.estimators.assignment import (
    _smds_of_draws,
    rerandomized,
    restricted_randomization_p,
    stratified_draw,
)


def test_rerandomization_shrinks_the_covariates_difference_as_morgan_and_rubin_derive():
    """One covariate, 100 units, half to the pilot, accepted when |SMD| < 0.1: the rule is
    Mahalanobis acceptance M < a with a = 0.1² × n / 4 = 0.25, and Morgan & Rubin's
    Theorem 3.1 gives the variance of the covariate's difference in means as a share of
    complete randomization's, v_a = P(χ²₃ ≤ a) / P(χ²₁ ≤ a)."""
    rng = np.random.default_rng(0)
    n = 100
    x = rng.normal(size=(n, 1))
    strata = np.zeros(n, dtype=object)
    diffs, accepted = [], []
    for _ in range(20_000):
        draw = stratified_draw(strata, 0.5, rng)
        diffs.append(x[draw, 0].mean() - x[~draw, 0].mean())
        accepted.append(_smds_of_draws(x, draw[None, :])[0, 0] < 0.1)
    diffs, accepted = np.array(diffs), np.array(accepted)
    a = 0.1 ** 2 * n / 4
    v_a = stats.chi2.cdf(a, 3) / stats.chi2.cdf(a, 1)
    assert abs(diffs[accepted].var() / diffs.var() - v_a) < 0.02, (diffs[accepted].var() / diffs.var(), v_a)
    assert abs(accepted.mean() - stats.chi2.cdf(a, 1)) < 0.03  # the share of draws accepted


def test_an_assignment_is_balanced_within_its_strata_and_says_its_rule():
    rng = np.random.default_rng(2)
    units = pd.DataFrame({"region": np.repeat(["North", "South", "East"], [40, 30, 20]),
                          "unit_type": np.tile(["store", "branch"], 45),
                          "nps_pre": rng.normal(30, 12, 90), "engagement_pre": rng.normal(70, 8, 90)})
    done = rerandomized(units, ["nps_pre", "engagement_pre"], ["region", "unit_type"], seed=5)
    assert (done.balance["smd"].abs() < 0.1).all() and done.balance["balanced"].all()
    per_stratum = units.assign(t=done.treated).groupby(["region", "unit_type"])["t"].agg(["sum", "size"])
    assert (abs(per_stratum["sum"] - per_stratum["size"] / 2) <= 0.5).all()
    assert "re-drawn until every |SMD| < 0.1" in done.rule and done.draws >= 1
    with pytest.raises(ValueError, match="no assignment of these 4 units"):
        rerandomized(units.head(4), ["nps_pre"], max_smd=0.001, max_draws=50)


@pytest.mark.calibration
def test_the_randomization_test_draws_only_acceptable_assignments_and_holds_its_size():
    """No effect, an outcome that follows the balanced covariate (R² ≈ 0.8): the test that
    draws only assignments the rule accepts rejects about 5% of the time at 5%; the test that
    ignores the rule is conservative (Morgan & Rubin 2012, section 4)."""
    rng = np.random.default_rng(7)
    n, reps = 40, 200
    restricted = unrestricted = 0
    for rep in range(reps):
        x = rng.normal(size=(n, 1))
        y = 2 * x[:, 0] + rng.normal(size=n)
        units = pd.DataFrame({"x": x[:, 0]})
        treated = rerandomized(units, ["x"], max_smd=0.1, seed=rep).treated.to_numpy()
        p, used = restricted_randomization_p(y, treated, x, max_smd=0.1, draws=400, seed=rep)
        restricted += p <= 0.05
        p_all, _ = restricted_randomization_p(y, treated, x, max_smd=np.inf, draws=400, seed=rep)
        unrestricted += p_all <= 0.05
        assert used == 400
    assert 0.02 <= restricted / reps <= 0.09
    assert unrestricted / reps < 0.02
