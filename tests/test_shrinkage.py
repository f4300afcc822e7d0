"""Pilot effects shrunk before they are valued (issue 36, item 4): the normal hierarchical
model pinned to posteriordb's reference posterior of Rubin's eight schools, and, over planted
pilots, a valued effect whose error is smaller than the measured one's where it matters — the
pilots that looked good."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses import rox
from cxex_analysis.estimators.shrinkage import shrink
from cxex_analysis.simulation import pilot_portfolio

#: posteriordb, reference_posteriors/summary_statistics/mean/mean/
#: eight_schools-eight_schools_noncentered.json (mu ~ N(0, 5), tau ~ half-Cauchy(0, 5)):
#: posterior means of theta[1..8], mu and tau, and their Monte Carlo standard errors
EIGHT_SCHOOLS = {
    "mean": [6.15050229334425, 4.9395811407422, 3.90590609001582, 4.79601675138494,
             3.6144363246799, 4.0511475789675, 6.31716975886893, 4.88399694353288,
             4.41051833695493, 3.60205952364059],
    "mcse": [0.0557375282295219, 0.0462293788624847, 0.0542313705632124, 0.0474935816762281,
             0.0461450610244603, 0.0485195392528031, 0.0498766794075794, 0.0542511606560972,
             0.0330374705950917, 0.0318615135640706],
}


def test_eight_schools_match_the_reference_posterior():
    fit = shrink([28, 8, -3, 7, -1, 1, 18, 12], [15, 10, 16, 11, 9, 11, 10, 18],
                 tau_scale=5, mu_scale=5)
    found = [*fit["shrunk"], fit.attrs["mu"], fit.attrs["tau"]]
    for name, value, reference, error in zip(
            [*(f"theta[{k}]" for k in range(1, 9)), "mu", "tau"], found,
            EIGHT_SCHOOLS["mean"], EIGHT_SCHOOLS["mcse"]):
        assert abs(value - reference) <= 3 * error, (name, value, reference)
    # each school's interval holds its posterior mean; school A's 28 is far outside its own
    assert (fit["ci_low"] < fit["shrunk"]).all() and (fit["shrunk"] < fit["ci_high"]).all()
    assert fit.loc[0, "ci_high"] < 28


def test_a_precise_effect_stays_and_a_noisy_one_moves_toward_zero():
    fit = shrink([6.0, 6.0], [0.2, 6.0], tau_scale=10)
    precise, noisy = fit.iloc[0], fit.iloc[1]
    assert precise["kept"] > 0.98 and noisy["kept"] < 0.8
    assert precise["ci_low"] > 5 and noisy["ci_low"] < 0 < noisy["ci_high"]


@pytest.mark.parametrize("estimates, ses, scale", [([1.0], [0.0], 5), ([1.0, np.nan], [1, 1], 5),
                                                   ([1.0], [1.0, 2.0], 5), ([1.0], [1.0], 0)])
def test_unusable_input_is_refused(estimates, ses, scale):
    with pytest.raises(ValueError):
        shrink(estimates, ses, tau_scale=scale)


def test_pilots_that_looked_good_are_valued_nearer_their_truth():
    """300 organisations' planted pilots: those that cleared 1.96 SE (the ones a leadership
    team scales) overstate their effect by over 3 NPS points as measured, by less than a third
    of that once shrunk, and the shrunk intervals cover where the measured ones do not."""
    found = pilot_portfolio.summary(pilot_portfolio.run(300, seed=1)).set_index(
        ["pilots", "effect"])
    scaled = "pilots that looked good (scaled)"
    measured, shrunk = found.loc[(scaled, "measured")], found.loc[(scaled, "shrunk")]
    assert measured["n"] >= 80
    assert measured["mean_error"] > 3 and abs(shrunk["mean_error"]) < measured["mean_error"] / 3
    assert shrunk["rmse"] < measured["rmse"]
    assert measured["coverage"] < 0.88 <= 0.92 <= shrunk["coverage"]
    assert found.loc[("every pilot", "shrunk"), "rmse"] < found.loc[("every pilot", "measured"), "rmse"]


def _att(pilot: str, outcome: str, estimate: float, se: float) -> dict:
    return {"analysis": "pilot", "estimand": "att", "subject": pilot, "outcome": outcome,
            "term": "treatment", "estimate": estimate, "se": se, "method": "ancova_ols_hc2 (n = units)"}


def test_notebook_03_values_a_pilot_shrunk_with_the_measured_effect_beside_it():
    results = pd.DataFrame([_att("P1", "nps", 6.6, 2.1), _att("P2", "nps", 2.0, 2.1),
                            _att("P1", "engagement_index", 3.0, 1.0),
                            _att("P1", "repeat_contacts_per_1000", -2.0, 0.5)])
    valued, measured = rox.pilot_effects(results, "P1", rox.large_effects(10.0))
    assert measured["nps"].value == 6.6 and measured["nps"].se == 2.1
    # shrunk with P2's effect, a large effect on NPS being 10 points: 6.6 is valued at 5.4
    assert valued["nps"].value == pytest.approx(
        shrink([6.6, 2.0], [2.1, 2.1], tau_scale=10)["shrunk"].iloc[0]) == pytest.approx(5.4, abs=0.05)
    assert "pulled toward zero" in valued["nps"].source and "1 other pilot" in valued["nps"].source
    # repeat contacts' large effect is a fifth of the units' rate: 2 a 1,000 here
    assert -2.0 < valued["repeat_contacts_per_1000"].value < -1.0
    inputs = rox.example_inputs(effects=valued, measured_effects=measured)
    kinds = rox.inputs_table(inputs).groupby("kind")["input"].apply(set)
    assert kinds["effects as measured"] == {"nps", "engagement_index", "repeat_contacts_per_1000"}
