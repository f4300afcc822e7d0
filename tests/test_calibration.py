"""Calibration over a grid of latent worlds (issue 14.7; rosters and annual surveys, issue 34):
truths planted the way the world makes them — latent experience measured by surveys (fresh
people each wave, or the same staff every wave exported anonymously or with a key, surveyed
quarterly or once a year), money following the latent experience,
EX and CX feeding each other, a small staggered pilot without a control arm (estimated against
the never-treated units and, as an all-treated rollout, against its own later starters) —
recovered by the corrected estimators without bias and with honest intervals, and missed by
the uncorrected ones: the lagged links both ways, the placebo, the money mediation's paths,
the money links (revenue, customers lost, staff who leave), the claims ledger's comparison of
CSAT, CES and NPS on money, and the engagement index's within-unit reliability."""

from __future__ import annotations

import numpy as np
import pytest

from cxex_analysis.simulation import calibration

#: organisations per setting of calibration.TEST_GRID in `make test-all` (six settings: 600 in
#: all, so that the Monte Carlo error of a pooled bias is about 0.04 SE, well inside the 0.1 SE
#: tolerance); `make test` runs the first SMOKE_REPS of them
REPS = 100
SMOKE_REPS = 20


#: the pilot's ATT on NPS (pooled two-quarter baseline, never-treated controls) is not a
#: survey-noise correction and its pooled bias wanders with the draw: +0.11 SE on this grid's
#: 600 organisations, -0.09 SE on the benchmark's 390 (Monte Carlo error 0.04-0.05 SE);
#: held to 3 Monte Carlo errors rather than 2.5
BIAS_BOUND = {"pilot_att_nps": 0.15}

#: a share explained is a squared covariance over a noisy variance: its small-sample bias is
#: upward by about 2% of the share (+0.09 to +0.13 SE pooled over this grid's 700
#: organisations, Monte Carlo error 0.04 SE); held to issue 34's bar of 0.2 SE
BIAS_BOUND.update({f"metric_share_explained_{m}": 0.2 for m in ("csat", "ces", "nps")})

ESTIMANDS = {"ex_to_cx_lagged", "cx_to_ex_lagged (truth zero)", "cx_to_ex_lagged (truth non-zero)",
             "within_unit_reliability", "ex_cx_correlation_disattenuated", "ex_lead_placebo",
             "mediation_a", "mediation_b", "mediation_indirect", "revenue_per_customer_per_nps",
             "churn_per_nps", "exit_rate_per_ei", "metric_share_explained_csat",
             "metric_share_explained_ces", "metric_share_explained_nps",
             "metric_share_difference_csat-nps", "pilot_att_nps", "pilot_att_nps_all_treated"}


@pytest.fixture(scope="module")
def organisations(request):
    """The grid's organisations, seeds 1000 onwards: REPS per setting when the full grid's
    tests run (`make test-all`), else only the SMOKE_REPS the smoke test reads."""
    full = any(item.get_closest_marker("extended") and item.module is request.module
               for item in request.session.items)
    reps = REPS if full else SMOKE_REPS
    return calibration.run(calibration.TEST_GRID, reps=reps, first_seed=1000, workers=2)


@pytest.fixture(scope="module")
def pooled(organisations):
    return calibration.pooled(organisations)


@pytest.mark.calibration
def test_a_small_grid_finds_no_bias_beyond_its_own_monte_carlo_error(organisations):
    """Every run (`make test`): the first 20 organisations of each setting (120 in all). Each
    corrected estimate's pooled bias within 4 of its Monte Carlo errors and its coverage within
    4 binomial errors of 95%; the uncorrected links far off. It catches what the full grid
    is for at a fifth of the cost: the over-correction on anonymous rosters was +1.7 SE."""
    smoke = organisations[organisations["seed"] < 1000 + SMOKE_REPS]
    table = calibration.pooled(smoke).set_index("estimand")
    assert set(table.index) == ESTIMANDS
    for estimand, row in table.iterrows():
        monte_carlo = max(row["sd_over_se"], 1.0) / np.sqrt(row["reps"])
        if estimand == "within_unit_reliability":
            assert abs(row["mean_estimate"] - row["truth"]) <= 0.05, row.to_dict()
        else:
            assert abs(row["bias_se"]) <= 4 * monte_carlo, (estimand, row.to_dict())
        assert row["coverage"] >= 0.95 - 4 * np.sqrt(0.95 * 0.05 / row["reps"]), (estimand, row.to_dict())
    for estimand in ("ex_to_cx_lagged", "mediation_a", "revenue_per_customer_per_nps",
                     "churn_per_nps"):  # pulled toward zero (fewer customers lost: negative)
        row = table.loc[estimand]
        assert row["bias_se_uncorrected"] * np.sign(row["truth"]) < -2, estimand


@pytest.mark.calibration
@pytest.mark.extended
def test_corrected_estimators_are_unbiased_with_honest_intervals(pooled):
    table = pooled.set_index("estimand")
    assert set(table.index) == ESTIMANDS
    for estimand, row in table.iterrows():
        assert row["reps"] >= 200, estimand
        if estimand == "within_unit_reliability":  # a share: held to 0.03 of it (issue 34)
            assert abs(row["mean_estimate"] - row["truth"]) <= 0.03, row.to_dict()
        else:
            assert abs(row["bias_se"]) <= BIAS_BOUND.get(estimand, 0.1), (estimand, row.to_dict())
        assert 0.92 <= row["coverage"] <= 0.98, (estimand, row.to_dict())


@pytest.mark.calibration
@pytest.mark.extended
def test_uncorrected_links_miss_the_truth(pooled):
    """Taking unit scores as exact: the lagged EX -> CX link and the money link are pulled
    far toward zero and their intervals almost never cover the truth."""
    table = pooled.set_index("estimand")
    for estimand in ("ex_to_cx_lagged", "cx_to_ex_lagged (truth non-zero)",
                     "mediation_a", "mediation_b", "mediation_indirect",
                     "revenue_per_customer_per_nps", "churn_per_nps",
                     "metric_share_explained_csat", "metric_share_explained_ces",
                     "metric_share_explained_nps"):
        row = table.loc[estimand]  # pulled toward zero, whatever the link's sign
        assert row["bias_se_uncorrected"] * np.sign(row["truth"]) < -2, estimand
        assert table.loc[estimand, "coverage_uncorrected"] < 0.5, estimand
    # the reliability the scores' own sampling variances imply counts the people who answer
    # again as noise: far below the truth on rosters (a point, no interval)
    assert table.loc["within_unit_reliability", "bias_se_uncorrected"] < -2


def test_every_setting_of_the_benchmark_grid_is_a_world():
    """The benchmark's grid (units, quarters, answers, feedback, export[, quarters between
    employee surveys]) reads as the worlds it names."""
    for setting in calibration.GRID + calibration.TEST_GRID:
        world = calibration.world_for(setting, 0)
        assert world.units == setting[0] and world.waves == setting[1], setting
        assert (world.people, world.export if world.people == "roster" else "fresh") == (
            "fresh" if setting[4] == "fresh" else "roster", setting[4]), setting
        assert world.ex_every == (setting[5] if len(setting) > 5 else 1), setting
        assert calibration.label(setting).count(" EX") == (world.ex_every > 1)
