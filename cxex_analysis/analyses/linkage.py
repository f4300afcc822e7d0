"""EX <-> CX hypothesis tests on unit-level panels.

Hypotheses (estimand ids of ``docs/estimands.md``):

* **H1** ``ex_cx_correlation`` — between-unit correlation of the engagement index with each CX
  outcome (unit means), with ``ex_cx_rm_correlation`` (within-unit, repeated-measures,
  :func:`pingouin.rm_corr`) and ``ex_cx_partial_correlation`` (controlling for unit type and size).
* **H2** ``ex_to_cx_lagged`` — two-way fixed effects (unit + period) of the engagement index in
  period t on the CX outcome in t + lag, SE clustered by unit. **H3** ``cx_to_ex_lagged`` — the
  reverse. ``ex_lead_placebo`` — CX in t on EX in t + lag: future EX cannot cause past CX, so
  a coefficient as large as H2's says the association runs the other way or through
  something both share.
* **H4** ``mediation_indirect`` — EX -> CX -> a financial outcome, within units (two-way
  demeaned), product of coefficients with a unit-cluster bootstrap interval.
* **H5** ``top_cx_engagement_odds_ratio`` — odds that a top-CX-quartile unit has good
  engagement vs the rest, Fisher exact test (the "five times more likely" claim).
* ``dual_movement_share`` — share of units whose EX and CX moved the same way across waves.

The estimators are in :mod:`cxex_analysis.estimators` (fixed effects, measurement,
correlation, mediation); the findings in words in
:mod:`cxex_analysis.narrative.linkage_findings`.

All of this is observational: fixed effects remove stable differences between units and
shocks common to a period, and the lag orders cause before effect, but a time-varying factor
that moves both EX and CX (a new manager, a local competitor, a pilot) can still produce the
association.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.analyses.linkage_result import Linkage, ModelChecks
from cxex_analysis.errors import InsufficientData, ParameterError, check_argument, check_confidence
from cxex_analysis.estimators import measurement, relative_weights
from cxex_analysis.estimators.correlation import (
    disattenuated_correlation,
    dual_movement,
    repeated_measures_correlation,
    top_cx_engagement_odds_ratio,
    unit_means,
    unit_trajectories,
)
from cxex_analysis.estimators.fixed_effects import (
    blank_scores,
    lagged_pairs,
    leave_one_unit_out,
    twfe,
    two_way_demean,
    within_sd,
)
from cxex_analysis.estimators.intervals import correlation_interval
from cxex_analysis.estimators.measurement import within_unit_reliability
from cxex_analysis.estimators.mediation import mediation, mediation_corrected
from cxex_analysis.estimators.power import (
    minimum_detectable_correlation,
    minimum_detectable_effect,
)
from cxex_analysis.panels.linkage_panels import (
    build_money_panel,
    build_panel,
    has_both_surveys,
    item_performance,
    mediation_outcomes,
)
from cxex_analysis.panels.respondent_halves import NO_STABLE_HALVES, not_halved
from cxex_analysis.panels.score_tables import NO_HALVES
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import EX_MEASURE

CX_OUTCOMES = ("nps", "csat", "ces")

#: why a link corrected with halves of the respondents is not estimated from a platform's scores
NO_HALVES_IN_SCORES = (f"{NO_HALVES}; the link from engagement to each outcome, corrected with "
                       "the scores' own sampling variance, is measured in 'Engagement and your "
                       "own outcomes'")


HYPOTHESES = ("H1", "H2", "H3", "H4", "H5", "H6", "dual")


def _row(estimand: str, outcome: str, term: str, fit: Mapping[str, Any], confidence: float,
         subject: str = "all", **extra) -> dict:
    return {"analysis": "linkage", "estimand": estimand, "subject": subject, "outcome": outcome,
            "term": term, "estimate": fit["params"][term], "se": fit["se"][term],
            "ci_low": fit["ci_low"][term], "ci_high": fit["ci_high"][term],
            "p_value": fit["p_value"][term], "confidence": confidence, "n": fit["n"],
            "method": fit["method"] + " (n = unit-periods)", **extra}


def lagged_effects(panel: pd.DataFrame, direction: str = "ex_to_cx",
                   outcomes: Sequence[str] = CX_OUTCOMES, ex: str = EX_MEASURE, lag: int = 1,
                   confidence: float = 0.95, exclude: str | None = "pilot_active",
                   unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """H2 (``ex_to_cx``), H3 (``cx_to_ex``) or the placebo (``placebo``) for each CX outcome,
    taking unit scores as exact: estimands ``*_uncorrected``, shown beside the noise-corrected
    ones of :func:`corrected_effects`.

    ``ex_to_cx``: CX(t + lag) ~ EX(t); ``cx_to_ex``: EX(t + lag) ~ CX(t); ``placebo``:
    CX(t) ~ EX(t + lag). Unit and period effects absorbed, SE clustered by unit. The
    ``effect_size`` column is the coefficient in within-unit standard deviations.
    """
    check_argument("direction", direction, ("ex_to_cx", "cx_to_ex", "placebo"))
    confidence = check_confidence(confidence)
    exclude = exclude if exclude and exclude in panel.columns else None
    rows = []
    for outcome in outcomes:
        if outcome not in panel.columns or panel[outcome].notna().sum() == 0:
            continue
        if direction == "ex_to_cx":
            pairs = lagged_pairs(panel, ex, outcome, lag, unit, time, exclude)
            estimand, y_name, x_name = "ex_to_cx_lagged_uncorrected", outcome, ex
        elif direction == "cx_to_ex":
            pairs = lagged_pairs(panel, outcome, ex, lag, unit, time, exclude)
            estimand, y_name, x_name = "cx_to_ex_lagged_uncorrected", ex, outcome
        else:
            pairs = lagged_pairs(panel, ex, outcome, -lag, unit, time, exclude)
            estimand, y_name, x_name = "ex_lead_placebo_uncorrected", outcome, ex
        pairs = pairs.rename(columns={"x": x_name, "y": y_name}) if x_name != y_name else pairs
        try:
            fit = twfe(pairs, y_name, x_name, unit, "y_time", confidence=confidence)
        except InsufficientData as reason:
            rows.append({"analysis": "linkage", "estimand": estimand, "subject": "all",
                         "outcome": y_name, "term": x_name, "estimate": np.nan,
                         "confidence": confidence, "n": len(pairs), "lag": lag,
                         "method": f"not estimated: {str(reason).rstrip('.')}"})
            continue
        row = _row(estimand, y_name, x_name, fit, confidence)
        sd_x = within_sd(fit["frame"], x_name, unit, "y_time")
        sd_y = within_sd(fit["frame"], y_name, unit, "y_time")
        row["effect_size"] = row["estimate"] * sd_x / sd_y if sd_y > 0 else np.nan
        row["n_units"] = fit["n_units"]
        row["mde"] = minimum_detectable_effect(row["se"], 1 - confidence)
        row["lag"] = lag
        rows.append(row)
    return tidy(rows, extra=["effect_size", "n_units", "mde", "lag"])


PUBLIC_EFFECTS = {"ex_to_cx": "ex_to_cx_lagged", "cx_to_ex": "cx_to_ex_lagged",
                  "placebo": "ex_lead_placebo"}


def corrected_effects(panel: pd.DataFrame, direction: str = "ex_to_cx",
                      outcomes: Sequence[str] = CX_OUTCOMES, ex: str = EX_MEASURE, lag: int = 1,
                      confidence: float = 0.95, exclude: str | None = "pilot_active",
                      unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """H2, H3 or the placebo for each CX outcome, corrected for survey noise: the public ids
    ``ex_to_cx_lagged``, ``cx_to_ex_lagged`` and ``ex_lead_placebo``.

    H2 and H3 are :func:`cxex_analysis.estimators.measurement.cross_lagged` (first differences holding the
    outcome's earlier change fixed, split-half instruments); the placebo, CX(t) on EX(t + 1),
    is :func:`cxex_analysis.estimators.measurement.split_half_iv` in first differences. A link the data
    cannot support (too few units with four waves, a lag other than one period,
    no halves) gets a row with no estimate whose ``method`` says why.
    """
    check_argument("direction", direction, tuple(PUBLIC_EFFECTS))
    confidence = check_confidence(confidence)
    exclude = exclude if exclude and exclude in panel.columns else None
    estimand = PUBLIC_EFFECTS[direction]
    rows = []
    for outcome in outcomes:
        if outcome not in panel.columns or panel[outcome].notna().sum() == 0:
            continue
        y_name, x_name = (ex, outcome) if direction == "cx_to_ex" else (outcome, ex)
        scores = [f"{c}{h}" for c in (ex, outcome) for h in ("", "_a", "_b")]
        data = blank_scores(panel, scores, exclude)
        base = {"analysis": "linkage", "estimand": estimand, "subject": "all", "outcome": y_name,
                "term": x_name, "confidence": confidence, "lag": lag}
        why = None  # a link the data or the design cannot support gets a row saying why
        if lag != 1:
            why = "the noise-corrected lagged links are estimated for a lag of one period"
        elif any(not {f"{c}_a", f"{c}_b"} & set(data.columns) for c in (ex, outcome)):
            why = NO_HALVES_IN_SCORES  # a score given by a platform: no halves at all
        elif not_halved(data, ex):
            why = NO_STABLE_HALVES
        else:
            try:
                if direction == "placebo":
                    lead = data[[unit, time] + [f"{ex}_a", f"{ex}_b"]].assign(
                        **{time: data[time] - 1})
                    pairs = data[[unit, time, outcome]].merge(lead, on=[unit, time], how="inner")
                    fit = measurement.split_half_iv(pairs, outcome, f"{ex}_a", f"{ex}_b", unit,
                                                    time, design="first_difference",
                                                    confidence=confidence)
                else:
                    fit = measurement.cross_lagged(data, y_name, x_name, unit, time, confidence)
            except InsufficientData as reason:
                why = str(reason)
        if why:
            rows.append({**base, "estimate": np.nan, "n": 0,
                         "method": f"not estimated: {why.rstrip('.')}"})
            continue
        within = two_way_demean(data.dropna(subset=[x_name, y_name]), [x_name, y_name], unit, time)
        sd_x, sd_y = within[x_name].std(ddof=1), within[y_name].std(ddof=1)
        rows.append({**base, **{k: fit[k] for k in ("estimate", "se", "ci_low", "ci_high",
                                                    "p_value", "n", "n_units", "first_stage_f")},
                     "method": fit["method"] + " (n = unit-periods)",
                     "effect_size": fit["estimate"] * sd_x / sd_y if sd_y > 0 else np.nan,
                     "mde": minimum_detectable_effect(fit["se"], 1 - confidence)})
    return tidy(rows, extra=["effect_size", "n_units", "mde", "lag", "first_stage_f"])


def noise_share(corrected: pd.Series | None, uncorrected: pd.Series | None) -> float:
    """How much smaller the uncorrected estimate is than the corrected one (0.26: 26%)."""
    if corrected is None or uncorrected is None or not np.isfinite(corrected["estimate"]) \
            or corrected["estimate"] == 0:
        return np.nan
    return float(1 - uncorrected["estimate"] / corrected["estimate"])


def reliabilities(panel: pd.DataFrame, scores: Sequence[str], confidence: float = 0.95,
                  unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """Within-unit reliability of each score from its two random halves (one row each).

    A check of the measurement assumptions where the data allow: ``from_sampling_variance``
    is the reliability the scores' own sampling variances imply (1 − the mean within-unit
    share of the squared SEs). Independent answers each period (customers) should give about
    the split-half value; a clearly higher split-half value means part of the answer-level
    spread persists from period to period (the same employees answering every wave), which
    the variance formula counts as noise but the person-stable halves do not.
    """
    frames = []
    for s in scores:
        if not ({f"{s}_a", f"{s}_b"} <= set(panel.columns)
                and panel[[f"{s}_a", f"{s}_b"]].dropna().shape[0] > 10):
            continue
        row = within_unit_reliability(panel, f"{s}_a", f"{s}_b", unit, time, confidence, s,
                                      x=s if s in panel.columns else None)
        row["from_sampling_variance"] = _variance_reliability(panel, s, unit, time)
        frames.append(row)
    return pd.concat(frames, ignore_index=True) if frames else tidy([])


def _variance_reliability(panel: pd.DataFrame, score: str, unit: str, time: str) -> float:
    """1 − (within-unit sampling variance) / (within-unit variance) of ``score``, from its SEs."""
    if f"{score}_se" not in panel.columns:
        return np.nan
    frame = panel[[unit, time, score, f"{score}_se"]].dropna()
    periods = frame.groupby(unit)[time].transform("count")
    frame = frame[periods > 1]
    if len(frame) < 10:
        return np.nan
    within = two_way_demean(frame, [score], unit, time)[score]
    # demeaning within a unit of T periods keeps (1 − 1/T) of each period's sampling variance
    noise = (frame[f"{score}_se"] ** 2 * (1 - 1 / periods[periods > 1])).sum()
    total = (within ** 2).sum()
    return float(1 - noise / total) if total > 0 else np.nan


def correlations(panel: pd.DataFrame, outcomes: Sequence[str] = CX_OUTCOMES,
                 ex: str = EX_MEASURE, confidence: float = 0.95,
                 covariates: Sequence[str] = ("unit_type", "size")) -> pd.DataFrame:
    """H1: between-unit, within-unit (repeated measures) and partial correlations."""
    # a heavy library, imported where it is used: every kernel would pay for it otherwise
    import pingouin as pg
    confidence = check_confidence(confidence)
    rows = []
    attributes = panel.groupby("unit_id").agg(
        unit_type=("unit_type", "first"),
        size=("employees", "mean") if "employees" in panel else ("respondents", "mean"))
    for outcome in outcomes:
        if outcome not in panel.columns:
            continue
        means = unit_means(panel, [ex, outcome]).dropna()
        n = len(means)
        r = float(np.corrcoef(means[ex], means[outcome])[0, 1]) if n > 2 else np.nan
        low, high = correlation_interval(r, n, confidence)
        p = float(stats.pearsonr(means[ex], means[outcome]).pvalue) if n > 2 else np.nan
        rows.append({"analysis": "linkage", "estimand": "ex_cx_correlation", "subject": "all",
                     "outcome": outcome, "term": ex, "estimate": r,
                     "se": 1 / np.sqrt(n - 3) if n > 3 else np.nan, "ci_low": low,
                     "ci_high": high, "p_value": p, "confidence": confidence, "n": n,
                     "method": "pearson_between_unit_means_fisher_z (n = units)",
                     "mde": minimum_detectable_correlation(n, 1 - confidence)})
        corrected = disattenuated_correlation(panel, ex, outcome, confidence)
        if corrected is not None:
            rows.append({"analysis": "linkage", "estimand": "ex_cx_correlation_disattenuated",
                         "subject": "all", "outcome": outcome, "term": ex,
                         "estimate": corrected["estimate"], "se": corrected["se"],
                         "ci_low": corrected["ci_low"], "ci_high": corrected["ci_high"],
                         "p_value": np.nan, "confidence": confidence, "n": corrected["n"],
                         "method": "spearman_disattenuation_unit_mean_reliability_"
                                   f"{corrected['reliability_x']:.2f}_{corrected['reliability_y']:.2f}"
                                   "_bootstrap_units (n = units)"})
        # within-unit: repeated-measures correlation (Bakdash & Marusich 2017)
        within = panel[["unit_id", ex, outcome]].dropna()
        within = within[within.groupby("unit_id")[ex].transform("count") >= 2]
        if within["unit_id"].nunique() > 2:
            r_rm, dof, p_rm = repeated_measures_correlation(within, ex, outcome, "unit_id")
            low, high = correlation_interval(r_rm, dof + 3, confidence)
            rows.append({"analysis": "linkage", "estimand": "ex_cx_rm_correlation",
                         "subject": "all", "outcome": outcome, "term": ex, "estimate": r_rm,
                         "se": np.nan, "ci_low": low, "ci_high": high,
                         "p_value": p_rm, "confidence": confidence,
                         "n": len(within), "method": "repeated_measures_correlation (n = unit-periods)"})
        # partial: controlling for unit type and size
        data = means.join(attributes, how="left")
        covar = []
        if "unit_type" in covariates:
            dummies = pd.get_dummies(data["unit_type"], prefix="type", drop_first=True, dtype=float)
            data = data.join(dummies)
            covar += list(dummies.columns)
        if "size" in covariates and data["size"].notna().all():
            covar.append("size")
        data = data.dropna(subset=[ex, outcome] + covar)
        if len(data) > len(covar) + 3:
            pc = pg.partial_corr(data=data, x=ex, y=outcome, covar=covar or None)
            r_p = float(pc["r"].iloc[0])
            low, high = correlation_interval(r_p, len(data) - len(covar), confidence)
            rows.append({"analysis": "linkage", "estimand": "ex_cx_partial_correlation",
                         "subject": "all", "outcome": outcome, "term": ex, "estimate": r_p,
                         "se": np.nan, "ci_low": low, "ci_high": high,
                         "p_value": float(pc["p_val"].iloc[0] if "p_val" in pc else pc["p-val"].iloc[0]),
                         "confidence": confidence, "n": len(data),
                         "method": "pingouin_partial_corr_unit_type_size (n = units)"})
    return tidy(rows, extra=["mde"])


def money_links(panel: pd.DataFrame, exclude: str | None, n_boot: int, seed: int,
                confidence: float) -> pd.DataFrame | None:
    """H4: engagement -> NPS -> each financial outcome, corrected for survey noise and
    uncorrected (None when the data hold no financial outcome)."""
    money = build_money_panel(panel)
    if exclude:
        money = money[~money["pilot_active"]]
    if "nps" not in money.columns or money["nps"].isna().all():
        raise InsufficientData("the customers gave no NPS, and the link to money runs through it")
    parts = []
    reasons = []
    halved = {f"{EX_MEASURE}_a", "nps_a"} <= set(money.columns)  # not a platform's scores
    for y in mediation_outcomes(money):
        try:
            if not halved:
                raise InsufficientData(NO_HALVES_IN_SCORES)
            parts.append(mediation_corrected(money, EX_MEASURE, "nps", y, n_boot=n_boot,
                                             seed=seed, confidence=confidence))
        except InsufficientData:
            pass  # the uncorrected rows below stand alone; the notebook says why
        try:
            parts.append(mediation(money, EX_MEASURE, "nps", y, n_boot=n_boot, seed=seed,
                                   confidence=confidence))
        except InsufficientData as reason:
            reasons.append(str(reason))
    if not parts and reasons:
        raise InsufficientData(reasons[0])
    return pd.concat(parts, ignore_index=True) if parts else None


def item_weights(panel: pd.DataFrame, items: list[str], outcomes: Sequence[str],
                 performance: pd.Series, n_boot: int, seed: int,
                 confidence: float) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """H6: relative weights of the engagement items for each customer outcome across units,
    and per outcome the importance-performance table."""
    means = unit_means(panel, items + list(outcomes))
    weights, importance = [], {}
    for outcome in outcomes:
        w = relative_weights.relative_weights(means, items, outcome, n_boot=n_boot, seed=seed,
                                              confidence=confidence)
        weights.append(w)
        importance[outcome] = relative_weights.importance_performance(w, performance)
    if not weights:
        raise InsufficientData("no customer score to explain.")
    return pd.concat(weights, ignore_index=True), importance


def prepare(con, outcomes: Sequence[str] = CX_OUTCOMES, min_group_size: int = 5) -> Linkage:
    """What every hypothesis reads: a :class:`Linkage` holding the unit × period panel and the
    customer outcomes the data have (of ``outcomes``), with no part computed yet; without
    both surveys, an empty one (the notebook says which survey is missing)."""
    if not has_both_surveys(con):
        return Linkage()
    panel = build_panel(con, min_group_size)
    found = [o for o in outcomes if o in panel.columns and panel[o].notna().any()]
    return Linkage(panel=panel, outcomes=tuple(found))


def to_run(found: Linkage, hypotheses: Sequence[str]) -> tuple[str, ...]:
    """Of ``hypotheses``, those the prepared data can take (none without both surveys; H5,
    the dual view and the checks need a customer outcome); a name outside
    :data:`HYPOTHESES` is a :class:`~cxex_analysis.errors.ParameterError`."""
    for h in hypotheses:
        check_argument("hypotheses", h, HYPOTHESES)
    if found.panel is None:
        return ()
    return tuple(h for h in hypotheses if found.outcomes or h not in ("H5", "dual"))


def check_lag(lag) -> int:
    """``lag`` if it is a whole number of periods of at least 1, else a
    :class:`~cxex_analysis.errors.ParameterError`."""
    if not isinstance(lag, (int, np.integer)) or lag < 1:
        raise ParameterError(f"`lag` must be a whole number of periods of at least 1, but {lag!r} was passed.")
    return int(lag)


def directions(hypotheses: Sequence[str]) -> list[str]:
    """The lagged links the hypotheses ask for: H2 EX → CX with its placebo, H3 CX → EX."""
    return ((["ex_to_cx", "placebo"] if "H2" in hypotheses else [])
            + (["cx_to_ex"] if "H3" in hypotheses else []))


def lagged_links(panel: pd.DataFrame, directions: Sequence[str], outcomes: Sequence[str],
                 lag: int = 1, confidence: float = 0.95,
                 exclude: str | None = None) -> pd.DataFrame | None:
    """H2, H3 and the placebo: each direction corrected for survey noise
    (:func:`corrected_effects`) and, beside it, as before (:func:`lagged_effects`)."""
    lag = check_lag(lag)
    frames = []
    for direction in directions:
        frames.append(corrected_effects(panel, direction, outcomes, lag=lag,
                                        confidence=confidence, exclude=exclude))
        frames.append(lagged_effects(panel, direction, outcomes, lag=lag, confidence=confidence,
                                     exclude=exclude))
    return pd.concat(frames, ignore_index=True) if frames else None


def engagement_items(panel: pd.DataFrame) -> list[str]:
    """The engagement items of the panel (``eng_*`` columns), the drivers H6 ranks."""
    return [c for c in panel.columns if c.startswith("eng_")]


def run(con, outcomes: Sequence[str] = CX_OUTCOMES, lag: int = 1, confidence: float = 0.95,
        min_group_size: int = 5, hypotheses: Sequence[str] = HYPOTHESES,
        exclude_pilot_periods: bool = True, n_boot: int = 2000, seed: int = 42) -> Linkage:
    """Run the requested hypotheses on the warehouse: a :class:`Linkage`, one tidy frame per
    hypothesis, the Holm correction over them and the H2 model's checks — what notebook 01
    computes section by section, in one call.

    A hypothesis the data cannot support (too few units, no unit outcomes, scores whose
    change is all survey noise) is left out with its reason in ``not_estimated``; a bad
    argument raises :class:`~cxex_analysis.errors.ParameterError`.
    """
    confidence = check_confidence(confidence)
    check_lag(lag)
    found = prepare(con, outcomes, min_group_size)
    chosen = to_run(found, hypotheses)
    if found.panel is None:
        return found
    panel, outcomes = found.panel, found.outcomes
    exclude = "pilot_active" if exclude_pilot_periods else None
    if "H1" in chosen:
        found = found.with_part("correlations", correlations, panel, outcomes,
                                confidence=confidence)
    # how much of each score's within-unit movement is real change (random halves)
    found = found.with_part("reliability", reliabilities, panel, [EX_MEASURE, *outcomes],
                            confidence)
    if directions(chosen):
        found = found.with_part("effects", lagged_links, panel, directions(chosen), outcomes,
                                lag=lag, confidence=confidence, exclude=exclude)
    if "H4" in chosen:
        found = found.with_part("mediation", money_links, panel, exclude, n_boot, seed,
                                confidence)
    if "H5" in chosen:
        found = found.with_part("odds_ratio", top_cx_engagement_odds_ratio, panel, outcomes[0],
                                confidence=confidence)
    if "H6" in chosen:
        items = engagement_items(panel)
        found = found.with_part(("weights", "importance"), item_weights, panel, items, outcomes,
                                item_performance(con, items), n_boot, seed, confidence)
    if "dual" in chosen:
        found = found.with_part("trajectories", unit_trajectories, panel, outcomes[0])
        if found.trajectories is not None:
            found = found.with_part("dual", dual_movement, found.trajectories, outcomes[0],
                                    confidence)
    if "H2" in chosen and outcomes:
        found = found.with_part("checks", model_checks, panel, outcomes[0], lag, exclude,
                                confidence)
    return found.with_holm()


def model_checks(panel: pd.DataFrame, outcome: str, lag: int, exclude: str | None,
                 confidence: float) -> ModelChecks:
    """The lagged EX → ``outcome`` model's fit and each unit's influence, for the checks."""
    pairs = lagged_pairs(panel, EX_MEASURE, outcome, lag, exclude=exclude)
    fit = twfe(pairs, "y", "x", "unit_id", "y_time", confidence=confidence)
    return ModelChecks(outcome, fit, leave_one_unit_out(pairs, "y", "x"))


def missing(found: Linkage, key: str, otherwise: str | None) -> str | None:
    """Why a part of :func:`run`'s result is not shown: the data's reason when one was
    recorded."""
    reason = found.not_estimated.get(key)
    return f"Not estimated: {reason.rstrip('.')}." if reason else otherwise


def mde_table(results: pd.DataFrame) -> pd.DataFrame:
    """Minimum detectable effects (80% power) of the lagged tests and the correlation."""
    rows = results[results["estimand"].isin(["ex_to_cx_lagged", "cx_to_ex_lagged",
                                             "ex_cx_correlation"]) & results["mde"].notna()]
    return rows[["estimand", "outcome", "term", "estimate", "mde", "n"]].reset_index(drop=True)


def for_first_outcome(found: Linkage, key: str) -> pd.DataFrame | None:
    """H6 results for the first customer outcome: the ``weights`` rows, or the ``importance``
    table; None when H6 was not run."""
    value = getattr(found, key)
    if value is None or not found.outcomes:
        return None
    first = found.outcomes[0]
    if key == "importance":
        return value[first]
    return value[value["outcome"] == first]
