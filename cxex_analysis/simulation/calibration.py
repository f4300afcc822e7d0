"""Calibration: do the estimators find truths planted the way the world makes them?

Each replication draws an organisation from :mod:`cxex_analysis.simulation.latent` (latent experience,
measured by surveys; money following the latent experience; EX and CX feeding each other;
a small staggered pilot without a control arm of its own), runs the estimators the reports
use, and compares each estimate with the truth in the units the estimator sees:

* ``ex_to_cx_lagged`` and ``cx_to_ex_lagged`` (H2, H3): :func:`~cxex_analysis.estimators.measurement.cross_lagged`,
  pilot quarters left out as notebook 01 does; uncorrected: the two-way fixed-effects
  regression of the full scores;
* ``within_unit_reliability`` of the engagement index (notebook 01's split-half
  reliability; truth: the share of the score's within-unit variance that is the unit's
  expected score moving); uncorrected: the reliability its sampling variances imply;
* ``ex_lead_placebo`` (this quarter's NPS on next quarter's engagement, first differences,
  split-half instruments) and the corrected money mediation ``mediation_a`` (the quarter's
  NPS on the engagement of the wave before), ``mediation_b`` (revenue per customer on the
  NPS, given that engagement) and ``mediation_indirect`` (a × b), as notebook 01 estimates
  them: projections, not planted slopes, so each truth is the same estimator on the scores
  without sampling noise (their expectations given the latent experience), averaged over
  the setting's organisations; uncorrected: the same with the scores taken as exact;
* ``revenue_per_customer_per_nps``: :func:`~cxex_analysis.estimators.measurement.split_half_iv` within units and
  quarters (revenue a month averaged over the quarter, the quarter's NPS, pilot quarters
  left out, as notebook 03); uncorrected: the same regression on the full NPS;
* ``ex_cx_correlation_disattenuated``: H1 across units, corrected for the noise of unit means
  (:func:`~cxex_analysis.estimators.correlation.disattenuated_correlation`; the number the
  claims ledger holds against Harter et al.'s 0.33); truth: the correlation of the units'
  mean scores without sampling noise, averaged over the setting's organisations;
  uncorrected: the plain correlation of the unit means (Fisher interval);
* ``churn_per_nps`` and ``exit_rate_per_ei``: notebook 03's other money links, the share of
  customers lost a month on the quarter's NPS and the share of staff who left a month on the
  engagement of the wave before (:func:`~cxex_analysis.analyses.rox.link_estimates`' split
  halves, pilot quarters left out); the losses are binomial draws at rates that follow the
  latent experience, so each truth is a projection, the same regression on the scores
  without sampling noise, averaged over the setting's organisations; uncorrected: the
  regression on the full scores;
* ``metric_share_explained_csat``, ``_ces``, ``_nps`` and ``metric_share_difference_csat-nps``:
  the claims ledger's "most actionable metric" (:func:`~cxex_analysis.estimators.metric_strength.metric_strength`
  on revenue per customer, within units and quarters, pilot quarters left out): the % of
  revenue's within-unit variance each metric's true score accounts for, and CSAT's minus
  NPS's. Every customer answers all three (a CSAT and an effort answer whose deviation from
  the unit correlates 0.7 with the NPS one); each truth is a projection (the same estimator
  on the scores without sampling noise, averaged over the setting's organisations);
  uncorrected: the same with each half the full score (a squared correlation);
* ``pilot_att_nps``: :func:`~cxex_analysis.estimators.staggered.staggered_did` (Callaway & Sant'Anna, never-treated
  units as controls, baseline pooled over the two quarters before each start) on the
  measured NPS; a pilot's effect needs no noise correction (noise in an outcome only widens
  the interval), so its "uncorrected" twin is the single-quarter baseline, R ``did``'s
  default;
* ``pilot_att_nps_all_treated``: the same pilot's units alone, every one of them treated in
  the end (a rollout with no control arm): each start group compared with the groups not
  yet started; its truth covers the periods before the last group starts.

:func:`run` returns one row per replication and estimand (estimate, SE, interval, truth);
:func:`table` summarises them per setting: mean bias in SEs and 95% interval coverage of the
corrected and the uncorrected estimate. ``benchmarks/calibration.py`` prints the table and
``tests/test_calibration.py`` holds the corrected estimators to |bias| <= 0.1 SE and coverage
in [0.92, 0.98].
"""

from __future__ import annotations

import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from cxex_analysis.analyses import linkage
from cxex_analysis.errors import InsufficientData
from cxex_analysis.estimators.correlation import disattenuated_correlation
from cxex_analysis.estimators.fixed_effects import blank_scores, lagged_pairs, twfe
from cxex_analysis.estimators.intervals import correlation_interval
from cxex_analysis.estimators.measurement import cross_lagged, split_half_iv
from cxex_analysis.estimators.mediation import mediation, mediation_corrected
from cxex_analysis.estimators.metric_strength import metric_strength
from cxex_analysis.estimators.staggered import staggered_did
from cxex_analysis.panels.linkage_panels import build_money_panel
from cxex_analysis.simulation import latent

#: who answers the employee survey, and what the export carries: "fresh" people each wave
#: (the textbook case), or the same staff wave after wave (rosters with lasting traits,
#: non-response and turnover; :func:`cxex_analysis.simulation.latent.roster_answers`)
#: exported "anonymous" (role and tenure band only) or "keyed" (a key that follows a person)
EXPORTS = ("fresh", "anonymous", "keyed")

#: (units, quarters, respondents per unit-period, EX's reaction to last quarter's CX, export[,
#: quarters between employee surveys: 1 quarterly (default), 2 half-yearly, 4 annual])
GRID = tuple((*size[:4], export, *size[4:]) for export in ("anonymous", "keyed") for size in
             ((150, 8, 30, 0.0), (300, 8, 30, 4.0), (1000, 8, 30, 0.0), (300, 12, 30, 0.0),
              (150, 16, 30, 0.0, 4), (300, 16, 30, 4.0, 4), (1000, 16, 30, 0.0, 4),
              (300, 12, 30, 4.0, 2))) + (
    (600, 8, 30, 0.0, "fresh"), (600, 8, 30, 4.0, "fresh"), (300, 6, 100, 0.0, "fresh"),
    (2000, 6, 10, 4.0, "fresh"), (100, 8, 30, 0.0, "fresh"))


#: the corners for the test suite: 100-2,000 units, 6-12 waves, 10-100 answers, fresh people
#: and rosters exported both ways; where EX reacts to CX, organisations large enough for the
#: reverse link's halves to be reasonably strong instruments (with 200 units of 30 answers
#: its small-sample bias is ~0.12 SE)
TEST_GRID = ((200, 8, 30, 0.0, "anonymous"), (600, 8, 30, 4.0, "anonymous"),
             (300, 12, 30, 4.0, "keyed", 2), (150, 6, 100, 0.0, "fresh"),
             (2000, 6, 10, 4.0, "fresh"), (100, 8, 30, 0.0, "keyed"),
             (300, 16, 30, 4.0, "anonymous", 4))


ESTIMANDS = ("ex_to_cx_lagged", "cx_to_ex_lagged", "within_unit_reliability",
             "ex_cx_correlation_disattenuated", "ex_lead_placebo",
             "mediation_a", "mediation_b", "mediation_indirect", "revenue_per_customer_per_nps",
             "churn_per_nps", "exit_rate_per_ei", "metric_share_explained_csat",
             "metric_share_explained_ces", "metric_share_explained_nps",
             "metric_share_difference_csat-nps", "pilot_att_nps", "pilot_att_nps_all_treated")


#: quarters between employee surveys, in words
CADENCE = {1: "quarterly", 2: "half-yearly", 4: "annual"}


def _every(setting: tuple) -> int:
    """Quarters between employee surveys of a setting (its optional sixth element; 1)."""
    return setting[5] if len(setting) > 5 else 1


def world_for(setting: tuple, seed: int) -> latent.LatentWorld:
    units, waves, respondents, feedback, export = setting[:5]
    people = {"people": "fresh"} if export == "fresh" else {"people": "roster", "export": export}
    return latent.LatentWorld(units=units, waves=waves, employees=respondents,
                              customers=respondents, cx_to_ex=feedback, pilot_share=0.3,
                              seed=seed, ex_every=_every(setting), **people)


def label(setting: tuple) -> str:
    """``300 units x 8 quarters x 30, feedback, anonymous roster`` (``, annual EX`` when the
    employee survey is not quarterly)."""
    units, waves, respondents, feedback, export = setting[:5]
    who = "fresh people" if export == "fresh" else f"{export} roster"
    cadence = f", {CADENCE[_every(setting)]} EX" if _every(setting) != 1 else ""
    return (f"{units} units x {waves} quarters x {respondents}{', feedback' if feedback else ''}, "
            f"{who}{cadence}")


def estimates(world: dict, with_oracle: bool = False) -> list[dict]:
    """Every estimand of one organisation: corrected and uncorrected, with the truth (and,
    ``with_oracle``, the lagged links' SE with the regressors measured without noise)."""
    quarterly, truth = world["quarterly"], world["truth"]
    scores = [f"{c}{h}" for c in ("engagement_index", "nps") for h in ("", "_a", "_b")]
    linkage_data = blank_scores(quarterly, scores, "pilot_active")  # as notebook 01
    rows = []

    def add(estimand, fit, target, uncorrected=None):
        rows.append({"estimand": estimand, "estimate": fit["estimate"], "se": fit["se"],
                     "ci_low": fit["ci_low"], "ci_high": fit["ci_high"], "truth": target,
                     **({f"{k}_uncorrected": v for k, v in uncorrected.items()}
                        if uncorrected else {})})

    def plain(data, y, x, time="t"):
        fit = twfe(data, y, x, "unit_id", time)
        return {"estimate": fit["params"][x], "se": fit["se"][x], "ci_low": fit["ci_low"][x],
                "ci_high": fit["ci_high"][x]}

    for estimand, y, x in (("ex_to_cx_lagged", "nps", "engagement_index"),
                           ("cx_to_ex_lagged", "engagement_index", "nps")):
        try:
            fit = cross_lagged(linkage_data, y, x, "unit_id", "t")
        except InsufficientData:  # not identified here (CX -> EX with annual EX): no row
            continue
        pairs = lagged_pairs(quarterly, x, y, 1, exclude="pilot_active")
        add(estimand, fit, truth[estimand], plain(pairs, "y", "x", "y_time"))
        if with_oracle:
            rows[-1]["se_oracle"] = oracle(world, y, x)
    rows.append(_reliability(linkage_data, world))
    rows.append(_between_units(world))
    rows += _descriptive_links(world, linkage_data)
    money = quarterly[~quarterly["pilot_active"]]  # as notebook 03: quarters, no pilot
    fit = split_half_iv(money, "revenue_per_customer", "nps_a", "nps_b", "unit_id", "t")
    add("revenue_per_customer_per_nps", fit, truth["revenue_per_customer_per_nps_quarterly"],
        plain(money, "revenue_per_customer", "nps"))
    rows += _loss_links(world, linkage_data)
    rows += _metric_links(world, linkage_data)
    def simple_att(data, control_group, baseline):
        att = staggered_did(data, "nps", "unit_id", "t", "cohort", control_group, n_boot=199,
                            seed=0, baseline=baseline, baseline_periods=2,
                            aggregations=("simple",))
        return att.iloc[0][["estimate", "se", "ci_low", "ci_high"]].to_dict()

    add("pilot_att_nps", simple_att(quarterly, "never_treated", "pooled"),
        truth["pilot_att_nps"], simple_att(quarterly, "never_treated", "varying"))
    rollout = quarterly[quarterly["cohort"] > 0]
    add("pilot_att_nps_all_treated", simple_att(rollout, "not_yet_treated", "pooled"),
        truth["pilot_att_nps_all_treated"], simple_att(rollout, "not_yet_treated", "varying"))
    return rows


def _reliability(linkage_data: pd.DataFrame, world: dict) -> dict:
    """The engagement index's within-unit reliability as notebook 01 reports it, beside the
    truth: the share of the within-unit variance of the unit-wave score (the rows with both
    halves, unit and period means removed) that is the unit's expected score moving (the
    squared correlation of the two within units) — in
    one organisation a ratio whose numerator and denominator share its realised noise, so
    the truth is its mean over the setting's organisations (``oracle_estimate``, as for the
    projections); the uncorrected twin is the reliability the scores' own sampling
    variances imply (as if every wave were fresh people), a point without an interval."""
    row = linkage.reliabilities(linkage_data, ["engagement_index"], unit="unit_id",
                                time="t").iloc[0]
    frame = linkage_data.dropna(subset=["engagement_index", "engagement_index_a",
                                        "engagement_index_b"])
    settings = latent.LatentWorld(**world["truth"]["settings"])

    def two_way(values) -> pd.Series:  # as within_unit_reliability removes the means
        v = pd.Series(np.asarray(values, float), index=frame.index)
        v = v - v.groupby(frame["unit_id"]).transform("mean")
        return v - v.groupby(frame["t"]).transform("mean")

    # the score's real change is its projection on the expected score: where the people who
    # answer move a little less than the expected score (non-response tied to a lasting trait,
    # the ends of the scale), that part is real change as the score measures it (a slope of
    # 0.996 on rosters: the expected score's own variance overstated the truth by 0.005)
    signal = two_way(latent.expected_engagement_index(frame["latent_ex"].to_numpy(), settings))
    whole = two_way(frame["engagement_index"])
    planted = float((signal * whole).sum() ** 2 / ((signal ** 2).sum() * (whole ** 2).sum()))
    formula = float(row["from_sampling_variance"])
    return {"estimand": "within_unit_reliability", "estimate": row["estimate"], "se": row["se"],
            "ci_low": row["ci_low"], "ci_high": row["ci_high"], "truth": np.nan,
            "oracle_estimate": planted, "estimate_uncorrected": formula, "se_uncorrected": row["se"],
            "ci_low_uncorrected": formula, "ci_high_uncorrected": formula}


def _between_units(world: dict) -> dict:
    """H1 across units as notebook 01 reports it, corrected for the noise of the unit means,
    with ``oracle_estimate`` the correlation of the unit means of the scores without noise;
    the uncorrected twin is the plain correlation of the unit means."""
    quarterly = world["quarterly"]
    fit = disattenuated_correlation(quarterly, "engagement_index", "nps", n_boot=500)
    if fit is None:  # a world always has both scores' standard errors and 10 units or more
        raise ValueError("the calibration world lacks the scores' standard errors")
    means = quarterly.groupby("unit_id")[["engagement_index", "nps"]].mean()
    plain = float(means.corr().iloc[0, 1])
    low, high = correlation_interval(plain, len(means))
    exact = _exact_scores(world).groupby("unit_id")[["engagement_index", "nps"]].mean()
    return {"estimand": "ex_cx_correlation_disattenuated", "estimate": fit["estimate"],
            "se": fit["se"], "ci_low": fit["ci_low"], "ci_high": fit["ci_high"], "truth": np.nan,
            "oracle_estimate": float(exact.corr().iloc[0, 1]), "estimate_uncorrected": plain,
            "se_uncorrected": (high - low) / (2 * 1.96), "ci_low_uncorrected": low,
            "ci_high_uncorrected": high}


def _exact_scores(world: dict) -> pd.DataFrame:
    """The quarterly frame with every score and its halves replaced by its expectation given
    the latent experience (surveyed quarters only): what the scores would be without
    sampling noise."""
    quarterly = world["quarterly"]
    settings = latent.LatentWorld(**world["truth"]["settings"])
    ei = latent.expected_engagement_index(quarterly["latent_ex"].to_numpy(), settings)
    exact = {"engagement_index": np.where(quarterly["engagement_index"].isna(), np.nan, ei),
             "nps": latent.expected_nps(quarterly["latent_cx"].to_numpy(), settings),
             **latent.expected_other(quarterly["latent_cx"].to_numpy(), settings)}
    return quarterly.assign(**{f"{score}{half}": values for score, values in exact.items()
                               for half in ("", "_a", "_b")})


def _exact_linkage(world: dict) -> pd.DataFrame:
    """:func:`_exact_scores` with the pilot's quarters blanked, as notebook 01's panel."""
    scores = [f"{c}{h}" for c in ("engagement_index", "nps") for h in ("", "_a", "_b")]
    return blank_scores(_exact_scores(world), scores, "pilot_active")


def _money_panel(data: pd.DataFrame) -> pd.DataFrame:
    """Notebook 03's money panel of a world's quarters (its money already a month), pilot
    quarters left out."""
    money = build_money_panel(data.assign(outcome_months=1.0))
    return money[~money["pilot_active"]]


def _descriptive_links(world: dict, linkage_data: pd.DataFrame) -> list[dict]:
    """The links whose truth is a projection rather than a planted slope: the placebo (this
    quarter's NPS on next quarter's engagement, as notebook 01) and the corrected money
    mediation (engagement of the wave before -> the quarter's NPS -> revenue per customer,
    as notebook 01's H4). Each row carries ``oracle_estimate``, the same estimator on the
    scores without sampling noise (:func:`_exact_scores`); :func:`run` makes the mean of it
    over a setting's organisations the truth (the population value of the projection)."""
    exact = _exact_linkage(world)
    rows = []

    def placebo(data):
        lead = data[["unit_id", "t", "engagement_index_a", "engagement_index_b"]].assign(
            t=data["t"] - 1)
        pairs = data[["unit_id", "t", "nps"]].merge(lead, on=["unit_id", "t"], how="inner")
        return split_half_iv(pairs, "nps", "engagement_index_a", "engagement_index_b",
                             "unit_id", "t", design="first_difference")

    try:
        fit, truth_fit = placebo(linkage_data), placebo(exact)
        pairs = lagged_pairs(world["quarterly"], "engagement_index", "nps", -1,
                             exclude="pilot_active")
        plain = twfe(pairs, "y", "x", "unit_id", "y_time")
        rows.append({"estimand": "ex_lead_placebo", "estimate": fit["estimate"], "se": fit["se"],
                     "ci_low": fit["ci_low"], "ci_high": fit["ci_high"], "truth": np.nan,
                     "oracle_estimate": truth_fit["estimate"],
                     "estimate_uncorrected": plain["params"]["x"],
                     "se_uncorrected": plain["se"]["x"], "ci_low_uncorrected": plain["ci_low"]["x"],
                     "ci_high_uncorrected": plain["ci_high"]["x"]})
    except InsufficientData:
        pass

    money, exact_money = _money_panel(linkage_data), _money_panel(exact)
    args = ("engagement_index", "nps", "revenue_per_customer")
    fit = mediation_corrected(money, *args, n_boot=500, seed=0).set_index("estimand")
    plain = mediation(money, *args, n_boot=500, seed=0).set_index("estimand")
    truth_fit = mediation(exact_money, *args, n_boot=2, seed=0).set_index("estimand")
    for path in ("mediation_a", "mediation_b", "mediation_indirect"):
        row, base = fit.loc[path], plain.loc[f"{path}_uncorrected"]
        rows.append({"estimand": path, "estimate": row["estimate"], "se": row["se"],
                     "ci_low": row["ci_low"], "ci_high": row["ci_high"], "truth": np.nan,
                     "oracle_estimate": truth_fit.loc[f"{path}_uncorrected", "estimate"],
                     "estimate_uncorrected": base["estimate"], "se_uncorrected": base["se"],
                     "ci_low_uncorrected": base["ci_low"], "ci_high_uncorrected": base["ci_high"]})
    return rows


#: notebook 03's money links from losses: (estimand, monthly rate, the score it follows)
LOSS_LINKS = (("churn_per_nps", "churn_rate", "nps"),
              ("exit_rate_per_ei", "exit_rate", "engagement_index"))


def _loss_links(world: dict, linkage_data: pd.DataFrame) -> list[dict]:
    """Customers lost a month per NPS point of the quarter and staff who left a month per
    engagement point of the wave before, as notebook 03 estimates them (the money panel,
    pilot quarters left out, split halves), with ``oracle_estimate`` the same regression on
    the scores without sampling noise (their truth, once averaged over the setting)."""
    money, exact_money = _money_panel(linkage_data), _money_panel(_exact_linkage(world))
    rows = []
    for estimand, y, x in LOSS_LINKS:
        try:
            fit = split_half_iv(money, y, f"{x}_a", f"{x}_b", "unit_id", "t")
        except InsufficientData:
            continue
        plain = twfe(money.dropna(subset=[y, x]), y, x, "unit_id", "t")
        noiseless = twfe(exact_money.dropna(subset=[y, x]), y, x, "unit_id", "t")
        rows.append({"estimand": estimand, "estimate": fit["estimate"], "se": fit["se"],
                     "ci_low": fit["ci_low"], "ci_high": fit["ci_high"], "truth": np.nan,
                     "oracle_estimate": noiseless["params"][x],
                     "estimate_uncorrected": plain["params"][x], "se_uncorrected": plain["se"][x],
                     "ci_low_uncorrected": plain["ci_low"][x],
                     "ci_high_uncorrected": plain["ci_high"][x]})
    return rows


#: the claims ledger's customer metrics, compared on the money outcome the latent world has
METRICS, METRIC_OUTCOME = ("csat", "ces", "nps"), "revenue_per_customer"

#: the pair of metrics whose difference is calibrated (the poll's first against NPS)
METRIC_PAIR = "csat-nps"


def _metric_links(world: dict, linkage_data: pd.DataFrame) -> list[dict]:
    """The claims ledger's comparison of CSAT, CES and NPS on revenue per customer, as
    :func:`~cxex_analysis.analyses.claims.metric_comparison` makes it (within units and
    quarters, pilot quarters left out): each metric's share of revenue's variance its true
    score accounts for (``metric_share_explained_csat`` …) and the CSAT − NPS difference, with
    ``oracle_estimate`` the same on the scores without sampling noise; uncorrected: the same
    estimator with each half the full score (the scores taken as exact: a squared
    correlation)."""
    money = _money_panel(linkage_data)
    exact_money = _money_panel(_exact_linkage(world))
    exact_as_plain = {f"{m}_{h}": money[m] for m in METRICS for h in "ab"}

    def shares(data, draws=1000):
        rows = metric_strength(data, METRIC_OUTCOME, list(METRICS), draws=draws, seed=0)
        wanted = rows[rows["estimand"].isin(["metric_share_explained", "metric_share_difference"])]
        return wanted.set_index(wanted["estimand"] + "_" + wanted["subject"])

    fit, plain = shares(money), shares(money.assign(**exact_as_plain))
    noiseless = shares(exact_money, draws=20)
    rows = []
    for name in [f"metric_share_explained_{m}" for m in METRICS] + [
            f"metric_share_difference_{METRIC_PAIR}"]:
        if name not in fit.index or not np.isfinite(fit.loc[name, "estimate"]):
            continue  # not measurable in this organisation: the ledger says so
        row, base = fit.loc[name], plain.loc[name]
        rows.append({"estimand": name, "estimate": row["estimate"], "se": row["se"],
                     "ci_low": row["ci_low"], "ci_high": row["ci_high"], "truth": np.nan,
                     "oracle_estimate": noiseless.loc[name, "estimate"],
                     "estimate_uncorrected": base["estimate"], "se_uncorrected": base["se"],
                     "ci_low_uncorrected": base["ci_low"], "ci_high_uncorrected": base["ci_high"]})
    return rows


def oracle(world: dict, outcome: str, cause: str) -> float:
    """The SE of the same lagged link with the regressors measured without noise: each
    score's halves replaced by its expectation given the latent experience (the outcome's
    own change stays the measured one). What the corrected link's SE is compared with."""
    exact = _exact_scores(world)
    frame = world["quarterly"].assign(**{f"{score}_{half}": exact[f"{score}_{half}"]
                                         for score in (outcome, cause) for half in "ab"})
    scores = [f"{score}{half}" for score in (outcome, cause) for half in ("", "_a", "_b")]
    frame = blank_scores(frame, scores, "pilot_active")  # as notebook 01
    return float(cross_lagged(frame, outcome, cause, "unit_id", "t")["se"])


def _replicate(job: tuple) -> list[dict]:
    setting, seed, with_oracle = job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = estimates(latent.generate(world_for(setting, seed)), with_oracle)
    return [{"setting": label(setting), "feedback": setting[3], "export": setting[4],
             "cadence": CADENCE[_every(setting)], "seed": seed, **r} for r in rows]


def parallel(replicate, jobs: list, workers: int = 2, chunksize: int = 4) -> list:
    """``replicate`` of each job, in ``workers`` processes (spawned, not forked: a forked
    child shares its parent's pipes — a test runner's, a kernel's — and can take them down
    when it exits)."""
    if workers <= 1:
        return [replicate(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(replicate, jobs, chunksize=chunksize))


def run(grid=GRID, reps: int = 50, first_seed: int = 1000, workers: int = 2,
        with_oracle: bool = False) -> pd.DataFrame:
    """``reps`` organisations per setting of ``grid`` (seeds ``first_seed`` …), in parallel;
    ``with_oracle`` adds the lagged links' oracle SE (:func:`oracle`)."""
    jobs = [(setting, first_seed + rep, with_oracle) for setting in grid for rep in range(reps)]
    found = pd.DataFrame([row for part in parallel(_replicate, jobs, workers) for row in part])
    # a projection's truth: its noise-free value, averaged over the setting's organisations
    population = found.groupby(["setting", "estimand"])["oracle_estimate"].transform("mean")
    found["truth"] = found["truth"].fillna(population)
    return found


def _score(frame: pd.DataFrame, suffix: str = "") -> pd.Series:
    """Mean bias over the mean SE (``scale``: each row's typical SE, for pooled settings)."""
    estimate, se = frame[f"estimate{suffix}"], frame[f"se{suffix}"]
    low, high = frame[f"ci_low{suffix}"], frame[f"ci_high{suffix}"]
    bounded = low.notna() & high.notna()
    covered = np.where(bounded, (low <= frame["truth"]) & (frame["truth"] <= high), True)
    typical = frame[f"scale{suffix}"] if f"scale{suffix}" in frame else se[np.isfinite(se)].mean()
    error = (estimate - frame["truth"]) / typical
    return pd.Series({"mean_estimate": estimate.mean(),
                      "bias_se": float(error.mean()),
                      "sd_over_se": float((estimate / typical).std(ddof=1)) if np.ndim(typical)
                      else float(estimate.std(ddof=1) / typical),
                      "coverage": float(np.mean(covered)), "unbounded": float((~bounded).mean())})


def table(found: pd.DataFrame, by: str | list[str] = "setting") -> pd.DataFrame:
    """Per group and estimand: truth, mean estimate, mean bias in SEs and coverage, corrected
    and uncorrected. ``bias_se`` is the mean of (estimate − truth) over replications divided
    by the mean SE; ``sd_over_se`` the spread of the estimates over the mean SE (1 when the
    SEs are right)."""
    rows = []
    for key, part in found.groupby(by if isinstance(by, list) else [by], sort=False):
        for estimand, cell in part.groupby("estimand", sort=False):
            corrected, plain = _score(cell), _score(cell, "_uncorrected")
            oracle_se = cell["se_oracle"].mean() if "se_oracle" in cell else np.nan
            rows.append({**dict(zip(by if isinstance(by, list) else [by], key)),
                         "estimand": estimand, "reps": len(cell),
                         "truth": cell["truth"].mean(), **corrected,
                         "se_over_oracle": cell["se"].mean() / oracle_se,
                         "bias_se_uncorrected": plain["bias_se"],
                         "coverage_uncorrected": plain["coverage"]})
    return pd.DataFrame(rows)


def pooled(found: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The grid pooled per estimand (and per ``by``, e.g. ``"export"``), H3 split into truth
    zero and truth non-zero; each replication's error is scaled by the mean SE of its own
    setting before pooling. (``sd_over_se`` pools estimates of different sizes: read it
    per setting.)"""
    frame = found.copy()
    for suffix in ("", "_uncorrected"):  # each setting's errors in its own typical SE
        se = frame[f"se{suffix}"].where(np.isfinite(frame[f"se{suffix}"]))
        frame[f"scale{suffix}"] = se.groupby([frame["setting"], frame["estimand"]]).transform("mean")
    reverse = frame["estimand"] == "cx_to_ex_lagged"
    frame.loc[reverse, "estimand"] = np.where(frame.loc[reverse, "feedback"] > 0,
                                              "cx_to_ex_lagged (truth non-zero)",
                                              "cx_to_ex_lagged (truth zero)")
    if by:
        return table(frame.assign(grid=frame[by].map(lambda v: f"pooled: {v}")), "grid")
    return table(frame.assign(grid="all settings"), "grid")
