"""Pilot analysis (notebook 02): everything one pilot's report shows, from its panels.

:func:`analyse` picks the design's estimator (randomized: ANCOVA / CUPED with randomization
inference; staggered: Callaway & Sant'Anna with the naive two-way fixed effects beside it;
observational: matched DiD), estimates each outcome the data support, checks the design
(balance, sample-ratio mismatch, pre-trends), runs the sensitivity analysis and the monthly
monitoring of the primary outcome, and decides scale / extend / stop. No valid registry
fails here: an outcome the data cannot support is listed with the reason.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.analyses.pilots_result import PilotAnalysis, PilotDecision, follow
from cxex_analysis.errors import InsufficientData, check_argument, check_confidence
from cxex_analysis.estimators.assignment import randomization_p_as_drawn
from cxex_analysis.estimators.experiments import (
    CX_OUTCOMES,
    EX_OUTCOMES,
    LOWER_IS_BETTER,
    MIN_UNITS_FOR_ADJUSTMENT,
    balance,
    cuped,
    decision,
    dual_test,
    event_time_of,
    heterogeneity,
    matched_did,
    naive_twfe,
    randomization_p_value,
    randomized_effect,
    sample_ratio_mismatch,
)
from cxex_analysis.estimators.power import Power, power
from cxex_analysis.estimators.sequential import confidence_sequence, decisions
from cxex_analysis.estimators.staggered import (
    BASELINES,
    CONTROL_GROUPS,
    aggregate,
    analytic_se,
    group_time,
    staggered_did,
)
from cxex_analysis.estimators.trend_sensitivity import sensitivity
from cxex_analysis.panels.pilot_panels import (
    available_outcomes,
    comparison_units,
    not_started_note,
    outcome_frequency,
    pilot_panels,
    unit_summary,
)
from cxex_analysis.results import tidy
from cxex_analysis.store.registrations import registration
from cxex_analysis.vocabulary import label


def analyse(con, pilot_id: str, outcomes: Sequence[str] = CX_OUTCOMES + EX_OUTCOMES,
            confidence: float = 0.95, pre_periods: int = 0, post_periods: int = 0,
            control_group: str = "never_treated", worthwhile: float = 0.0,
            min_group_size: int = 5, n_boot: int = 999, seed: int = 42,
            baseline: str = "pooled") -> PilotAnalysis:
    """Everything notebook 02 shows for one pilot, in one call (the notebook makes the same
    calls section by section): a :class:`PilotAnalysis` (the registry row and design, the
    balance and sample-ratio checks, the effects by outcome and their aggregations,
    sensitivity, monthly looks, subgroups, power, the decision and the dual-impact tables),
    and :meth:`PilotAnalysis.tidy` the rows to record.

    No data shape of a valid registry fails here: the report says what could not be
    estimated and why; a bad argument raises :class:`~cxex_analysis.errors.ParameterError`.
    """
    analysis = estimate(con, pilot_id, outcomes, confidence=confidence,
                        pre_periods=pre_periods, post_periods=post_periods,
                        control_group=control_group, min_group_size=min_group_size,
                        n_boot=n_boot, seed=seed, baseline=baseline)
    analysis = analysis.with_part("sensitivity", trend_sensitivity, analysis, confidence,
                                  n_boot, seed)
    analysis = analysis.with_part("sequential", monitor_primary, analysis, confidence,
                                  worthwhile)
    analysis = analysis.with_part("heterogeneity", subgroup_effects, analysis, confidence)
    analysis = analysis.with_part("power", primary_power, analysis, confidence, worthwhile)
    return analysis.with_part("decision", decide, analysis, worthwhile)


def estimate(con, pilot_id: str, outcomes: Sequence[str] = CX_OUTCOMES + EX_OUTCOMES,
             confidence: float = 0.95, pre_periods: int = 0, post_periods: int = 0,
             control_group: str = "never_treated", min_group_size: int = 5, n_boot: int = 999,
             seed: int = 42, baseline: str = "pooled") -> PilotAnalysis:
    """What every section of a pilot's report reads: the registry row and design, the units
    and the comparison (balance, sample-ratio check), each outcome's effect under the
    design's estimator with its aggregations, event study and naive beside it, the primary
    outcome, and the dual-impact table; the later parts (:func:`trend_sensitivity`,
    :func:`monitor_primary`, :func:`subgroup_effects`, :func:`primary_power`, :func:`decide`)
    are added by their sections."""
    confidence = check_confidence(confidence)
    check_argument("control_group", control_group, CONTROL_GROUPS)
    check_argument("baseline", baseline, BASELINES)
    panels = pilot_panels(con, pilot_id, min_group_size)
    pilot = panels["pilot"]
    registered, followed = registration(con, pilot_id), None
    if registered:  # the registered outcome, level, window and looks are the ones analysed
        followed = follow(registered, pilot, panels["assignments"], confidence, post_periods,
                          panels["last_period"])
        confidence, post_periods = followed.confidence, followed.post_periods
        pilot = pilot.copy()
        pilot["primary_outcome"] = followed.primary
        if followed.primary not in outcomes:
            outcomes = [followed.primary, *outcomes]
    design = pilot["design"]
    panels, control_group, comparison_note = comparison_units(panels, design, control_group)
    outcomes = available_outcomes(panels, outcomes)
    primary, primary_note = _primary_outcome(pilot, outcomes)
    notes = [note for note in (comparison_note, primary_note) if note]
    units = unit_summary(panels, outcomes, pre_periods, post_periods)
    arms_registered = panels["units"]["arm"].value_counts().reindex(["treatment", "control"]).fillna(0)
    analysed = (units.dropna(subset=[primary])["arm"].value_counts() if primary
                else arms_registered)
    waiting = not_started_note(panels)
    found: dict[str, list] = {"effects": [], "aggregations": [], "event_time": [], "naive": [],
                              "frequency_notes": []}
    missing: list[dict] = []
    if waiting:
        notes.append(waiting)
        missing = [{"outcome": o, "reason": "no data after the start yet"} for o in outcomes]
    else:
        found, missing = _every_outcome(design, units, outcomes, panels, pilot_id, control_group,
                                        confidence, n_boot, seed, baseline, registered)
    notes += found["frequency_notes"]
    estimated = [o for o in outcomes if any((f["outcome"] == o).any() for f in found["effects"])]
    deviations = list(followed.deviations) if followed else []
    if primary not in estimated:
        if estimated and primary and not waiting:
            replaced = (f"The primary outcome ({primary.replace('_', ' ')}) could not be "
                        f"estimated; the decision uses {estimated[0].replace('_', ' ')}.")
            (deviations if followed else notes).append(replaced)
        primary = estimated[0] if estimated else None
    parts = {key: pd.concat(found[key], ignore_index=True) if found[key] else tidy([])
             for key in ("effects", "aggregations", "event_time", "naive")}
    main = parts["effects"][parts["effects"]["estimand"] == "att"]
    return PilotAnalysis(
        pilot=pilot, design=design, outcomes=tuple(outcomes), primary=primary,
        control_group=control_group, baseline=baseline, notes=tuple(notes),
        registration=registered, registered=followed, deviations=tuple(deviations),
        outcomes_not_estimated=tuple(missing), units=units, panels=panels,
        srm=sample_ratio_mismatch(arms_registered, analysed),
        balance=balance(units, "arm", [f"{o}_pre" for o in outcomes]), **parts,
        dual=dual_table(main), dual_test=dual_test(main, primary, 1 - confidence))


def main_effects(analysis: PilotAnalysis) -> pd.DataFrame:
    """The overall effect (``att``) row of each outcome."""
    return analysis.effects[analysis.effects["estimand"] == "att"]


def _primary_outcome(pilot: pd.Series, outcomes: list[str]) -> tuple[str | None, str | None]:
    """The outcome the decision rests on: the registered one when the data have it, else the
    first available; and a sentence when the registered one had to be replaced."""
    registered = pilot.get("primary_outcome")
    registered = registered if isinstance(registered, str) and registered.strip() else None
    primary = registered if registered in outcomes else (outcomes[0] if outcomes else None)
    note = None
    if registered and registered != primary:
        note = (f"The registered primary outcome ({registered.replace('_', ' ')}) has no data "
                f"for this pilot's units; " + (f"the decision uses {primary.replace('_', ' ')}."
                                                if primary else "nor has any other outcome."))
    return primary, note


def _every_outcome(design: str, units: pd.DataFrame, outcomes: list[str], panels: dict,
                   pilot_id: str, control_group: str, confidence: float, n_boot: int,
                   seed: int, baseline: str,
                   registered: dict | None = None) -> tuple[dict[str, list], list[dict]]:
    """Each outcome's effects; an outcome the data cannot support is listed with the reason
    and the others are still estimated."""
    found: dict[str, list] = {"effects": [], "aggregations": [], "event_time": [], "naive": [],
                              "frequency_notes": []}
    not_estimated = []
    for outcome in outcomes:
        try:
            part = _outcome_effects(design, units, outcome, panels, pilot_id, control_group,
                                    confidence, n_boot, seed, baseline, registered)
        except InsufficientData as why:
            not_estimated.append({"outcome": outcome, "reason": str(why)})
            continue
        for key in found:
            found[key] += part.get(key, [])
    return found, not_estimated


def _covariates(long: pd.DataFrame, outcome: str) -> pd.DataFrame | None:
    """Unit type and the level before the first start, for the doubly robust estimator;
    None when they cannot help (one unit type and no level before the start)."""
    first_start = long.loc[long["cohort"] > 0, "cohort"].min()
    before = long[long["t"] < first_start].groupby("unit_id")[outcome].mean()
    units = long.groupby("unit_id")["unit_type"].first()
    frame = pd.DataFrame(index=units.index)
    if units.nunique() > 1:
        frame["unit_type"] = units
    if before.notna().sum() >= 0.8 * len(units):
        frame["pre_level"] = before.reindex(units.index).fillna(before.mean())
    return frame if not frame.empty else None


def _period_labels(long: pd.DataFrame, freq: str) -> dict[int, str]:
    periods = long.drop_duplicates("t").set_index("t")["period"]
    if freq == "quarter":
        return {t: f"{p.year}-Q{p.quarter}" for t, p in pd.to_datetime(periods).items()}
    return {t: f"{p:%Y-%m}" for t, p in pd.to_datetime(periods).items()}


def staggered_effects(panels: dict, outcome: str, control_group: str, confidence: float,
                      n_boot: int, seed: int, subject: str, baseline: str = "pooled",
                      frequencies: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Callaway–Sant'Anna rows of one outcome at the more precise of its frequencies.

    Customer and money outcomes are tried by month and by quarter (the baseline covers six
    months either way), employee scores by survey quarter; the frequency whose overall ATT has
    the smaller SE is kept, and the sentence returned says which and why. Unit type and the
    level before the start enter the doubly robust estimator when the groups are large
    enough for it; otherwise the unconditional estimator is used, and the method says so.
    """
    if frequencies is None:
        frequencies = ("quarter",) if outcome_frequency(outcome) == "quarter" else ("month", "quarter")
    tried, errors = [], []
    for freq in frequencies:
        frame = panels["quarterly" if freq == "quarter" and outcome_frequency(outcome) == "quarter"
                       else "cx_quarterly" if freq == "quarter" else "monthly"]
        if outcome not in frame.columns:
            continue
        long = frame.dropna(subset=[outcome])
        window = 6 if freq == "month" else 2
        covariates = _covariates(long, outcome)
        for adjust in ((covariates, None) if covariates is not None else (None,)):
            try:
                rows = staggered_did(long, outcome, "unit_id", "t", "cohort", control_group,
                                     confidence, n_boot=n_boot, seed=seed, subject=subject,
                                     baseline=baseline, baseline_periods=window,
                                     covariates=adjust, labels=_period_labels(long, freq))
            except InsufficientData as why:
                errors.append(str(why))
                continue
            rows["frequency"] = freq
            tried.append(rows)
            break
    if not tried:
        raise InsufficientData(errors[0] if errors else f"`{outcome}` has no data for these units.")
    se = [r.loc[r["estimand"] == "att", "se"].iloc[0] for r in tried]
    best = int(np.nanargmin(se)) if np.isfinite(se).any() else 0
    note = ""
    if len(tried) > 1:
        other = 1 - best
        note = (f"{label(outcome)[0].upper() + label(outcome)[1:]}: estimated by "
                f"{tried[best]['frequency'].iloc[0]} (standard error {se[best]:.2f}, against "
                f"{se[other]:.2f} by {tried[other]['frequency'].iloc[0]}).")
    return tried[best], note


def _outcome_effects(design: str, units: pd.DataFrame, outcome: str, panels: dict,
                     pilot_id: str, control_group: str, confidence: float, n_boot: int,
                     seed: int, baseline: str, registered: dict | None = None) -> dict:
    """The effect rows of one outcome under the pilot's design (raises InsufficientData when
    the data cannot support them)."""
    freq = outcome_frequency(outcome)
    long = panels["quarterly" if freq == "quarter" else "monthly"].dropna(subset=[outcome])
    out: dict[str, list] = {"effects": [], "aggregations": [], "event_time": [], "naive": [],
                            "frequency_notes": []}
    if design == "randomized":
        both = cuped(units, outcome, "arm", f"{outcome}_pre", confidence, subject=pilot_id) \
            if units[f"{outcome}_pre"].notna().sum() >= MIN_UNITS_FOR_ADJUSTMENT else \
            randomized_effect(units, outcome, "arm", confidence=confidence, subject=pilot_id)
        primary_row = both.iloc[[-1]].copy()
        pre = f"{outcome}_pre" if len(both) > 1 else None
        restricted = (randomization_p_as_drawn(
            units, outcome, pd.DataFrame(registered.get("assignment") or []),
            float(registered["randomization"]["max_smd"]), pre, seed) if registered else None)
        if restricted is None:
            primary_row["randomization_p"] = randomization_p_value(units, outcome, "arm", pre,
                                                                   seed=seed)
        else:  # only the assignments the registered rule accepts
            primary_row["randomization_p"] = restricted[0]
            primary_row["method"] = primary_row["method"].str.replace(
                " (n = units)", f"; randomization test over {restricted[1]:,} assignments the "
                "registered balance rule accepts (n = units)", regex=False)
        out["effects"].append(primary_row)
        if len(both) > 1:
            unadjusted = both.iloc[[0]].copy()
            unadjusted["estimand"] = "att_unadjusted"
            out["effects"].append(unadjusted)
        try:  # the event study is a check beside the estimate: without it the estimate stands
            events = staggered_did(long, outcome, "unit_id", "t", "cohort", "never_treated",
                                   confidence, n_boot=n_boot, seed=seed, subject=pilot_id,
                                   baseline=baseline, baseline_periods=6 if freq == "month" else 2,
                                   aggregations=("dynamic",))
            out["event_time"].append(events[events["estimand"] == "att_event_time"])
        except InsufficientData:
            pass
    elif design == "staggered":
        rows, note = staggered_effects(panels, outcome, control_group, confidence, n_boot, seed,
                                       pilot_id, baseline)
        out["effects"].append(rows[rows["estimand"] == "att"])
        out["aggregations"].append(rows[rows["estimand"].isin(
            ["att_group", "att_calendar", "att_dynamic"])])
        out["event_time"].append(rows[rows["estimand"] == "att_event_time"])
        if note:
            out["frequency_notes"].append(note)
        naive_long = (panels["cx_quarterly"] if rows["frequency"].iloc[0] == "quarter"
                      and freq == "month" else long).dropna(subset=[outcome])
        out["naive"].append(naive_twfe(naive_long, outcome, "unit_id", "t", "cohort",
                                       confidence, subject=pilot_id))
    else:
        start = pd.to_datetime(panels["assignments"]["start_date"]).min()
        long = long.assign(treated=long["arm"] == "treatment")
        out["effects"].append(matched_did(long, outcome, "unit_id", "period", "treated", start,
                                          exact=("unit_type",), confidence=confidence,
                                          subject=pilot_id))
    return out


def look_estimate(design: str, long: pd.DataFrame, outcome: str, control_group: str,
                  baseline: str, window: int) -> tuple[float, float, int]:
    """The primary effect with the data up to one look: (estimate, SE, units).

    Randomized pilots: difference of post-start means adjusted for the pre-start mean
    (ANCOVA, HC2); staggered: Callaway–Sant'Anna simple ATT with its analytic SE;
    observational: the matched DiD. The SE is scaled by t / z at the estimate's degrees of
    freedom (min(treated, comparison) − 1 for the staggered estimate), so that early looks at
    few units carry their small-sample uncertainty into the normal-mixture boundary.
    """
    start = long.loc[long["cohort"] > 0, "cohort"].min()
    if design == "randomized":
        means = long.assign(post=long["t"] >= start).pivot_table(
            index="unit_id", columns="post", values=outcome, aggfunc="mean")
        if True not in means.columns:
            raise InsufficientData("no data after the start yet")
        units = long.groupby("unit_id")["arm"].first().to_frame()
        units[outcome] = means[True]
        covariate = []
        if False in means.columns and means[False].notna().sum() >= MIN_UNITS_FOR_ADJUSTMENT:
            units["pre"] = means[False]
            units = units.dropna(subset=["pre"])
            covariate = ["pre"]
        row = randomized_effect(units, outcome, "arm", covariate).iloc[0]
        df = int(row["n"]) - 2 - len(covariate)
        return float(row["estimate"]), float(row["se"]) * _t_over_z(df), int(row["n"])
    if design == "staggered":
        gt = group_time(long, outcome, "unit_id", "t", "cohort", control_group, baseline, window)
        simple = aggregate(gt, "simple")
        if not simple:
            raise InsufficientData("no data after the start yet")
        df = min(simple[0].n_treated, simple[0].n_control) - 1
        se = float(analytic_se(simple[0].influence)[0]) * _t_over_z(df)
        return simple[0].estimate, se, gt.n_units
    periods = long.drop_duplicates("t").set_index("t")["period"]
    row = matched_did(long.assign(treated=long["arm"] == "treatment"), outcome, "unit_id",
                      "period", "treated", pd.Timestamp(periods.get(start, periods.max())),
                      exact=("unit_type",)).iloc[0]
    return float(row["estimate"]), float(row["se"]), int(row["n"])


def _t_over_z(df: int) -> float:
    """How much wider a t interval at ``df`` degrees of freedom is than a normal one (NaN
    below one degree of freedom: no interval)."""
    return float(stats.t.ppf(0.975, df) / stats.norm.ppf(0.975)) if df >= 1 else np.nan


def monitor(design: str, long: pd.DataFrame, outcome: str, control_group: str,
            confidence: float, worthwhile: float, lower_is_better: bool, subject: str,
            baseline: str = "pooled", window: int = 6,
            labels: dict | None = None) -> pd.DataFrame:
    """``att_sequential``: the primary effect at every period since the first start, with an
    always-valid interval (:mod:`cxex_analysis.estimators.sequential`) and the decision at that look.

    One row per look (``term`` = ``look=2025-07``); extra columns ``decision``,
    ``fixed_low``/``fixed_high`` (the ordinary interval, valid for one look only). Looks
    whose data cannot support an estimate are left out; empty when none can.
    """
    if long.empty or not (long["cohort"] > 0).any():
        return tidy([])
    start = int(long.loc[long["cohort"] > 0, "cohort"].min())
    found = []
    for look in range(start, int(long["t"].max()) + 1):
        try:
            estimate, se, n = look_estimate(design, long[long["t"] <= look], outcome,
                                            control_group, baseline, window)
        except InsufficientData:
            continue
        found.append((look, estimate, se, n))
    found = [f for f in found if np.isfinite(f[2]) and f[2] > 0]
    if not found:
        return tidy([])
    looks, estimates, ses, ns = map(np.array, zip(*found))
    sequence = confidence_sequence(estimates, ses, confidence)
    calls = decisions(sequence["ci_low"], sequence["ci_high"], worthwhile, lower_is_better)
    name = (lambda t: labels.get(t, t)) if labels else str
    rows = [{"analysis": "pilot", "estimand": "att_sequential", "subject": subject,
             "outcome": outcome, "term": f"look={name(int(looks[i]))}",
             "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
             "p_value": r.p_value, "confidence": confidence, "n": int(ns[i]),
             "method": f"normal_mixture_confidence_sequence_tau_{r.tau:.3g} (n = units)",
             "decision": call, "fixed_low": r.fixed_low, "fixed_high": r.fixed_high}
            for i, r, call in zip(sequence["look"], sequence.itertuples(), calls)]
    return tidy(rows, extra=["decision", "fixed_low", "fixed_high"])


def trend_sensitivity(analysis: PilotAnalysis, confidence: float = 0.95, n_boot: int = 999,
                      seed: int = 42) -> pd.DataFrame:
    """``att_sensitivity`` rows of the primary outcome of a staggered pilot (parallel trends
    relaxed, :func:`~cxex_analysis.estimators.trend_sensitivity.sensitivity`); empty for the
    other designs; :class:`~cxex_analysis.errors.InsufficientData` when the data hold too few
    periods."""
    outcome = analysis.primary
    if analysis.design != "staggered" or not outcome:
        return tidy([])
    # by quarter: a month's score is too noisy to measure how far trends wander before the start
    frame = analysis.panels["quarterly" if outcome_frequency(outcome) == "quarter"
                            else "cx_quarterly"]
    long = frame.dropna(subset=[outcome])
    gt = group_time(long, outcome, "unit_id", "t", "cohort", analysis.control_group, "universal")
    return sensitivity(gt, outcome, confidence, n_boot=n_boot, seed=seed,
                       subject=analysis.pilot["pilot_id"], max_pre=4, max_post=4)


def monitor_primary(analysis: PilotAnalysis, confidence: float = 0.95,
                    worthwhile: float = 0.0) -> pd.DataFrame:
    """:func:`monitor` of the primary outcome: every look since the start (empty without a
    primary outcome)."""
    primary = analysis.primary
    if not primary:
        return tidy([])
    freq = outcome_frequency(primary)
    long = analysis.panels["quarterly" if freq == "quarter" else "monthly"].dropna(subset=[primary])
    return monitor(analysis.design, long, primary, analysis.control_group, confidence,
                   worthwhile, primary in LOWER_IS_BETTER, analysis.pilot["pilot_id"],
                   analysis.baseline, 6 if freq == "month" else 2, _period_labels(long, freq))


def subgroup_effects(analysis: PilotAnalysis, confidence: float = 0.95) -> pd.DataFrame:
    """Randomized pilots: the primary outcome's effect by region and by unit type, Holm
    adjusted (a subgrouping too small to compare the arms within is left out); empty for
    the other designs."""
    units, primary = analysis.units, analysis.primary
    parts = []
    if analysis.design == "randomized" and primary:
        covariate = ([f"{primary}_pre"] if units[f"{primary}_pre"].notna().sum()
                     >= MIN_UNITS_FOR_ADJUSTMENT else None)
        for by in ("region", "unit_type"):
            if units[by].nunique() > 1:
                try:
                    parts.append(heterogeneity(units, primary, "arm", by, covariate, confidence))
                except InsufficientData:  # subgroups too small to compare arms within
                    continue
    return pd.concat(parts, ignore_index=True) if parts else tidy([])


def _primary_row(analysis: PilotAnalysis) -> pd.Series | None:
    main = main_effects(analysis)
    if not analysis.primary or not (main["outcome"] == analysis.primary).any():
        return None
    return main[main["outcome"] == analysis.primary].iloc[0]


def primary_power(analysis: PilotAnalysis, confidence: float = 0.95,
                  worthwhile: float = 0.0) -> Power | None:
    """The primary outcome's minimum detectable effect with this pilot's units, and the units
    needed to confirm ``worthwhile`` (or, when 0, the effect found); None without an
    estimate."""
    row = _primary_row(analysis)
    if row is None:
        return None
    target = worthwhile if worthwhile else row["estimate"]
    return power(row["se"], len(analysis.units), target, 1 - confidence)


def decide(analysis: PilotAnalysis, worthwhile: float = 0.0) -> PilotDecision | None:
    """Scale, extend or stop on the primary outcome
    (:func:`~cxex_analysis.estimators.experiments.decision`), with the outcome and row it rests
    on, the joint dual test and the monitor's last word; None without an estimate."""
    row = _primary_row(analysis)
    if row is None or analysis.primary is None:
        return None
    followed = analysis.registered
    if followed and followed.looks == "each" and not analysis.sequential.empty:
        row = analysis.sequential.iloc[-1]  # registered: decide on the always-valid interval
    made = decision(row, worthwhile, analysis.primary in LOWER_IS_BETTER)
    if followed and followed.looks == "each":
        made["rule"] += " (Registered with a look every period: the interval is the always-valid one.)"
    return PilotDecision(
        registered=followed.summary if followed else None,
        deviations=analysis.deviations,
        probability_beneficial=made["probability_beneficial"], verdict=made["verdict"],
        rule=made["rule"], outcome=analysis.primary, row=row,
        dual_test=analysis.dual_test,  # the joint test estimate() made, on the same rows
        monitoring=(None if analysis.sequential.empty
                    else analysis.sequential.iloc[-1]["decision"]))


def dual_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Customer and employee effects of one pilot side by side, with direction in words."""
    rows = []
    for row in effects.itertuples():
        side = "employees" if row.outcome in EX_OUTCOMES else "customers"
        better = -1 if row.outcome in LOWER_IS_BETTER else 1
        if not np.isfinite(row.ci_low):
            word = "no interval: too few units"
        elif min(row.ci_low * better, row.ci_high * better) > 0:
            word = "better"
        elif max(row.ci_low * better, row.ci_high * better) < 0:
            word = "worse"
        else:
            word = "no clear change"
        rows.append({"side": side, "outcome": row.outcome, "estimate": row.estimate,
                     "ci_low": row.ci_low, "ci_high": row.ci_high, "p_value": row.p_value,
                     "n": row.n, "reading": word,
                     "confidence": getattr(row, "confidence", np.nan)})
    return pd.DataFrame(rows).sort_values(["side", "outcome"]).reset_index(drop=True) if rows else pd.DataFrame()


def twfe_gap(effects: pd.DataFrame, naive: pd.DataFrame) -> list[str]:
    """Sentences comparing the robust and the naive estimate for each outcome."""
    out = []
    for row in naive.itertuples():
        robust = effects[(effects["outcome"] == row.outcome) & (effects["estimand"] == "att")]
        if robust.empty:
            continue
        r = robust.iloc[0]
        out.append(f"{row.outcome.replace('_', ' ')}: robust {r['estimate']:.2f} vs naive two-way "
                   f"fixed effects {row.estimate:.2f} (gap {row.estimate - r['estimate']:+.2f}).")
    return out


def power_table(result: PilotAnalysis) -> pd.DataFrame | None:
    """The power figures of one pilot as a one-row table (None when none were computed)."""
    if result.power is None:
        return None
    p = result.power
    return pd.DataFrame([{"primary outcome": result.primary, "units": p["n_units"],
                          "minimum detectable effect": p["mde"],
                          "effect to confirm": p["target_effect"],
                          "units needed": p["units_needed"]}])


def rows_to_record(result: PilotAnalysis, window: tuple[int, int] = (-6, 12)) -> pd.DataFrame:
    """The pilot's tidy rows, event-time rows limited to ``window``."""
    rows = result.tidy()
    event = rows["estimand"] == "att_event_time"
    inside = rows.loc[event, "term"].map(event_time_of).between(*window)
    return rows[~event | inside.reindex(rows.index, fill_value=False)].reset_index(drop=True)


def of_primary(result: PilotAnalysis, key: str) -> pd.DataFrame | None:
    """The rows of the part ``key`` for the primary outcome; None when there are none."""
    frame = getattr(result, key)
    if frame is None or frame.empty or not result.primary:
        return None
    rows = frame[frame["outcome"] == result.primary]
    return rows if not rows.empty else None


def latest_looks(result: PilotAnalysis, looks: int = 12) -> pd.DataFrame:
    """The monitoring table's last ``looks`` rows (monthly looks since the start)."""
    return result.sequential.tail(looks)
