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

The fixed-effects estimator is :class:`linearmodels.iv.absorbing.AbsorbingLS` (unit and
period effects absorbed), which gives the same coefficients as ``PanelOLS`` with entity and
time effects several times faster. Its unadjusted SE is rescaled by the residual degrees of
freedom net of the absorbed effects, which reproduces Wooldridge's fixed-effects SEs; the
clustered SE is CR1 as Stata's ``xtreg, fe vce(cluster unit)`` (G/(G−1) × (n−1)/(n−k)).
Validated against ``linearmodels.datasets.wage_panel``: union 0.0800 (SE 0.0193), Wooldridge
*Introductory Econometrics* Table 14.2 (``tests/test_linkage.py``).

All of this is observational: fixed effects remove stable differences between units and
shocks common to a period, and the lag orders cause before effect, but a time-varying factor
that moves both EX and CX (a new manager, a local competitor, a pilot) can still produce the
association. :data:`DESIGN_STATEMENT` says so in the reports' words.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ParameterError, check_argument, check_confidence
from .metrics import correlation_interval
from .results import tidy

CX_OUTCOMES = ("nps", "csat", "ces")
EX_MEASURE = "engagement_index"
HYPOTHESES = ("H1", "H2", "H3", "H4", "H5", "H6", "dual")

DESIGN_STATEMENT = (
    "These results come from observational data: nobody was assigned a better employee "
    "experience at random. Comparing each unit with itself over time (fixed effects) rules out "
    "stable differences between units, such as location or size, and anything that hit every "
    "unit in the same quarter; putting the employee survey before the customer survey orders "
    "cause before effect. What this design cannot rule out is something that changes inside a "
    "unit and moves both at once — a new manager, a refurbishment, a local competitor. Read a "
    "positive lagged effect as evidence consistent with 'better EX leads to better CX here', "
    "not as proof; a randomized pilot (notebook 02) is the stronger test.")


# --------------------------------------------------------------------------------------
# panel preparation
# --------------------------------------------------------------------------------------

def period_index(periods: pd.Series, freq: str = "quarter") -> pd.Series:
    """Consecutive integer index of month or quarter start dates (gaps stay gaps)."""
    check_argument("freq", freq, ("month", "quarter"))
    dates = pd.to_datetime(periods)
    months = dates.dt.year * 12 + dates.dt.month - 1
    return (months // 3) if freq == "quarter" else months


def pilot_exposure(assignments: pd.DataFrame, panel: pd.DataFrame, freq: str = "quarter") -> pd.Series:
    """True for unit-periods in which the unit had started a pilot (treated arm)."""
    exposed = pd.Series(False, index=panel.index)
    if assignments is None or assignments.empty:
        return exposed
    treated = assignments[(assignments["arm"] == "treatment") & assignments["start_date"].notna()]
    if treated.empty:
        return exposed
    first = treated.groupby("unit_id")["start_date"].min()
    start = pd.to_datetime(panel["unit_id"].map(first))
    period_end = pd.to_datetime(panel["period"]) + (
        pd.offsets.QuarterEnd(0) if freq == "quarter" else pd.offsets.MonthEnd(0))
    return (start.notna() & (start <= period_end)).fillna(False).astype(bool)


def lagged_pairs(panel: pd.DataFrame, x: str, y: str, lag: int = 1, unit: str = "unit_id",
                 time: str = "t", exclude: str | None = None) -> pd.DataFrame:
    """Rows pairing ``x`` in period t with ``y`` in period t + ``lag`` of the same unit.

    ``lag`` may be negative (the placebo pairs a later ``x`` with an earlier ``y``). Rows
    where either side is flagged in ``exclude`` are dropped.
    """
    if lag == 0:
        raise ParameterError("`lag` must not be 0 (use H1 for same-period association).")
    left = panel[[unit, time, x] + ([exclude] if exclude else [])].rename(
        columns={x: "x", exclude: "x_excluded"} if exclude else {x: "x"})
    right = panel[[unit, time, y] + ([exclude] if exclude else [])].rename(
        columns={y: "y", exclude: "y_excluded"} if exclude else {y: "y"})
    right = right.assign(**{time: right[time] - lag})
    pairs = left.merge(right, on=[unit, time], how="inner")
    pairs["y_time"] = pairs[time] + lag
    if exclude:
        pairs = pairs[~(pairs["x_excluded"].astype(bool) | pairs["y_excluded"].astype(bool))]
    return pairs.dropna(subset=["x", "y"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# two-way fixed effects
# --------------------------------------------------------------------------------------

def twfe(data: pd.DataFrame, y: str, x: Sequence[str] | str, unit: str, time: str,
         cov_type: str = "clustered", cluster: str | None = None,
         confidence: float = 0.95) -> dict:
    """Two-way fixed effects OLS of ``y`` on ``x`` with ``unit`` and ``time`` effects absorbed.

    Parameters
    ----------
    cov_type : {"clustered", "unadjusted", "robust"}
        ``clustered`` clusters by ``cluster`` (default: ``unit``).

    Returns
    -------
    dict with ``params``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` (Series by regressor),
    ``n``, ``n_units``, ``n_periods``, ``residuals``, ``fitted``, ``df_resid`` and ``method``.

    Examples
    --------
    >>> from linearmodels.datasets import wage_panel   # doctest: +SKIP
    >>> twfe(wage_panel.load(), "lwage", ["expersq", "union", "married"], "nr", "year",
    ...      cov_type="unadjusted")["params"]["union"]   # doctest: +SKIP
    0.0800...
    """
    from linearmodels.iv.absorbing import AbsorbingLS

    check_argument("cov_type", cov_type, ("clustered", "unadjusted", "robust"))
    confidence = check_confidence(confidence)
    regressors = [x] if isinstance(x, str) else list(x)
    columns = [y, *regressors, unit, time] + ([cluster] if cluster and cluster not in (unit, time) else [])
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[columns].dropna()
    n = len(frame)
    n_units = frame[unit].nunique()
    n_periods = frame[time].nunique()
    k = len(regressors)
    if n <= n_units + n_periods + k:
        raise ParameterError(
            f"too few observations ({n}) for {n_units} unit and {n_periods} period effects "
            f"and {k} regressor(s).")
    absorb = pd.DataFrame({"unit": pd.Categorical(frame[unit]),
                           "time": pd.Categorical(frame[time])}, index=frame.index)
    model = AbsorbingLS(frame[y], frame[regressors], absorb=absorb, drop_absorbed=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # linearmodels notes on absorbed constants
        if cov_type == "clustered":
            groups = pd.Series(pd.Categorical(frame[cluster or unit]).codes, index=frame.index)
            result = model.fit(cov_type="clustered", clusters=groups, debiased=False)
            # CR1 as Stata's xtreg, fe: G/(G-1) x (n-1)/(n-k), with k the regressors, period
            # dummies and constant but not the unit effects (nested in the clusters);
            # linearmodels' undebiased clustered covariance applies neither factor
            n_clusters = int(groups.nunique())
            k_stata = k + (n_periods - 1) + 1
            se = result.std_errors * np.sqrt(n_clusters / (n_clusters - 1)
                                             * (n - 1) / (n - k_stata))
            method = f"twfe_absorbing_ls_cluster_{cluster or 'unit'}"
        else:
            result = model.fit(cov_type=cov_type)
            # linearmodels divides the residual sum of squares by n; the textbook fixed-effects
            # SE divides by the residual degrees of freedom net of the absorbed effects
            df_resid = n - k - n_units - (n_periods - 1)
            se = result.std_errors * np.sqrt(n / df_resid)
            method = f"twfe_absorbing_ls_{cov_type}"
    params = result.params
    df_resid = n - k - n_units - (n_periods - 1)
    if cov_type == "clustered":
        dist = stats.t(df=max(n_units - 1, 1))
    else:
        dist = stats.t(df=df_resid)
    if cov_type == "clustered":
        # a clustered SE needs the regressor to move in at least two clusters and, when some
        # clusters never see it move, at least two of those: with one treated and one
        # comparison unit it is numerically zero (1e-11) and its p-value meaningless
        groups = frame[cluster or unit]
        moving = frame.groupby(groups)[regressors].std().fillna(0.0).gt(1e-12)
        degenerate = (moving.sum() < 2) | ((~moving).sum() == 1)
        if degenerate.any():
            se = se.where(~degenerate.reindex(se.index, fill_value=False))
            method += "_no_inference_one_cluster_on_a_side"
    q = dist.ppf(0.5 + confidence / 2)
    p_value = pd.Series(2 * dist.sf(np.abs(params / se)), index=params.index)
    return {"params": params, "se": se, "ci_low": params - q * se, "ci_high": params + q * se,
            "p_value": p_value, "n": n, "n_units": n_units, "n_periods": n_periods,
            "residuals": result.resids, "fitted": frame[y] - result.resids, "df_resid": df_resid,
            "method": method, "frame": frame}


def _row(estimand: str, outcome: str, term: str, fit: dict, confidence: float,
         subject: str = "all", **extra) -> dict:
    return {"analysis": "linkage", "estimand": estimand, "subject": subject, "outcome": outcome,
            "term": term, "estimate": fit["params"][term], "se": fit["se"][term],
            "ci_low": fit["ci_low"][term], "ci_high": fit["ci_high"][term],
            "p_value": fit["p_value"][term], "confidence": confidence, "n": fit["n"],
            "method": fit["method"] + " (n = unit-periods)", **extra}


def _within_sd(frame: pd.DataFrame, column: str, unit: str, time: str) -> float:
    values = frame[column] - frame.groupby(unit)[column].transform("mean")
    values = values - values.groupby(frame[time]).transform("mean")
    return float(values.std(ddof=1))


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
        fit = twfe(pairs, y_name, x_name, unit, "y_time", confidence=confidence)
        row = _row(estimand, y_name, x_name, fit, confidence)
        sd_x = _within_sd(fit["frame"], x_name, unit, "y_time")
        sd_y = _within_sd(fit["frame"], y_name, unit, "y_time")
        row["effect_size"] = row["estimate"] * sd_x / sd_y if sd_y > 0 else np.nan
        row["n_units"] = fit["n_units"]
        row["mde"] = minimum_detectable_effect(row["se"], 1 - confidence)
        row["lag"] = lag
        rows.append(row)
    return tidy(rows, extra=["effect_size", "n_units", "mde", "lag"])


PUBLIC_EFFECTS = {"ex_to_cx": "ex_to_cx_lagged", "cx_to_ex": "cx_to_ex_lagged",
                  "placebo": "ex_lead_placebo"}


def blank_scores(panel: pd.DataFrame, columns: Sequence[str], exclude: str | None) -> pd.DataFrame:
    """``panel`` with the scores of excluded periods (pilot quarters) set to missing."""
    if not exclude:
        return panel
    out = panel.copy()
    present = [c for c in columns if c in out.columns]
    out.loc[out[exclude].astype(bool), present] = np.nan
    return out


def corrected_effects(panel: pd.DataFrame, direction: str = "ex_to_cx",
                      outcomes: Sequence[str] = CX_OUTCOMES, ex: str = EX_MEASURE, lag: int = 1,
                      confidence: float = 0.95, exclude: str | None = "pilot_active",
                      unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """H2, H3 or the placebo for each CX outcome, corrected for survey noise: the public ids
    ``ex_to_cx_lagged``, ``cx_to_ex_lagged`` and ``ex_lead_placebo``.

    H2 and H3 are :func:`cxex_analysis.measurement.cross_lagged` (first differences holding the
    outcome's earlier change fixed, split-half instruments); the placebo, CX(t) on EX(t + 1),
    is :func:`cxex_analysis.measurement.split_half_iv` in first differences. A link the data
    cannot support (too few units with four consecutive waves, a lag other than one period,
    no halves) gets a row with no estimate whose ``method`` says why.
    """
    from . import measurement

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
        try:
            if lag != 1:
                raise ParameterError("the noise-corrected lagged links are estimated for a lag "
                                     "of one period")
            if direction == "placebo":
                lead = data[[unit, time] + [f"{ex}_a", f"{ex}_b"]].assign(
                    **{time: data[time] - 1})
                pairs = data[[unit, time, outcome]].merge(lead, on=[unit, time], how="inner")
                fit = measurement.split_half_iv(pairs, outcome, f"{ex}_a", f"{ex}_b", unit, time,
                                                design="first_difference", confidence=confidence)
            else:
                fit = measurement.cross_lagged(data, y_name, x_name, unit, time, confidence)
        except ParameterError as reason:
            rows.append({**base, "estimate": np.nan, "n": 0,
                         "method": f"not estimated: {str(reason).rstrip('.')}"})
            continue
        within = _two_way_demean(data.dropna(subset=[x_name, y_name]), [x_name, y_name], unit, time)
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
    from .measurement import within_unit_reliability

    frames = []
    for s in scores:
        if not ({f"{s}_a", f"{s}_b"} <= set(panel.columns)
                and panel[[f"{s}_a", f"{s}_b"]].dropna().shape[0] > 10):
            continue
        row = within_unit_reliability(panel, f"{s}_a", f"{s}_b", unit, time, confidence, s)
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
    within = _two_way_demean(frame, [score], unit, time)[score]
    # demeaning within a unit of T periods keeps (1 − 1/T) of each period's sampling variance
    noise = (frame[f"{score}_se"] ** 2 * (1 - 1 / periods[periods > 1])).sum()
    total = (within ** 2).sum()
    return float(1 - noise / total) if total > 0 else np.nan


def minimum_detectable_effect(se: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true effect detected with ``power`` at two-sided level ``alpha``: (z₁₋α/₂ + z_power)·SE."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def minimum_detectable_correlation(n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest correlation detected with ``power`` among ``n`` units (Fisher z approximation)."""
    if n <= 3:
        return float("nan")
    return float(np.tanh((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / np.sqrt(n - 3)))


def leave_one_unit_out(pairs: pd.DataFrame, y: str, x: str, unit: str = "unit_id",
                       time: str = "y_time", max_refits: int = 20) -> pd.DataFrame:
    """Re-estimate without each unit in turn: which units move the estimate most.

    Every unit's change is first computed in closed form on the two-way demeaned data
    (the deletion formula Δ = −x̃ᵍ'eᵍ / (Σx̃² − x̃ᵍ'x̃ᵍ), which holds the period effects fixed);
    the ``max_refits`` units with the largest changes are then re-estimated exactly. With at
    most ``max_refits`` units every unit is refitted. ``method`` says which each row is.
    """
    full = twfe(pairs, y, x, unit, time)["params"][x]
    frame = pairs[[unit, time, x, y]].dropna().reset_index(drop=True)
    centred = _two_way_demean(frame, [x, y], unit, time)
    xv, yv = centred[x].to_numpy(), centred[y].to_numpy()
    sxx = float(xv @ xv)
    resid = yv - (float(xv @ yv) / sxx) * xv
    codes, uniques = pd.factorize(frame[unit])
    cross = np.bincount(codes, weights=xv * resid, minlength=len(uniques))
    own = np.bincount(codes, weights=xv * xv, minlength=len(uniques))
    with np.errstate(divide="ignore", invalid="ignore"):
        approx = -cross / (sxx - own)
    out = pd.DataFrame({"unit_id": uniques, "change": approx, "method": "deletion_formula"})
    refit = out.reindex(out["change"].abs().sort_values(ascending=False).index).head(max_refits)
    for index, dropped in refit["unit_id"].items():
        fit = twfe(pairs[pairs[unit] != dropped], y, x, unit, time)
        out.loc[index, "change"] = fit["params"][x] - full
        out.loc[index, "method"] = "refit"
    out["estimate_without"] = full + out["change"]
    out["abs_change"] = out["change"].abs()
    out = out[["unit_id", "estimate_without", "change", "abs_change", "method"]]
    return out.sort_values("abs_change", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# H1 correlations
# --------------------------------------------------------------------------------------

def unit_means(panel: pd.DataFrame, columns: Sequence[str], unit: str = "unit_id",
               min_periods: int = 2) -> pd.DataFrame:
    """Per-unit means of ``columns`` over periods where the EX measure is present."""
    counts = panel.groupby(unit)[EX_MEASURE].count() if EX_MEASURE in panel else None
    means = panel.groupby(unit)[list(columns)].mean()
    if counts is not None:
        means = means[counts.reindex(means.index).fillna(0) >= min_periods]
    return means


def repeated_measures_correlation(data: pd.DataFrame, x: str, y: str,
                                  subject: str) -> tuple[float, int, float]:
    """Repeated-measures correlation (Bakdash & Marusich 2017): r, its dof and p-value.

    The correlation of ``x`` and ``y`` after removing each subject's means, with
    dof = N − k − 1 (N observations, k subjects). Equal to :func:`pingouin.rm_corr` (which
    fits an ANCOVA with one dummy per subject, so its time and memory grow with the square of
    the number of units; this is one pass).
    """
    frame = data[[subject, x, y]].dropna()
    xc = frame[x] - frame.groupby(subject)[x].transform("mean")
    yc = frame[y] - frame.groupby(subject)[y].transform("mean")
    denominator = np.sqrt(float(xc @ xc) * float(yc @ yc))
    r = float(xc @ yc) / denominator if denominator > 0 else np.nan
    dof = len(frame) - frame[subject].nunique() - 1
    if dof < 1 or not np.isfinite(r):
        return r, dof, np.nan
    t = r * np.sqrt(dof / (1 - r ** 2)) if abs(r) < 1 else np.inf
    return r, dof, float(2 * stats.t.sf(abs(t), dof))


def disattenuated_correlation(panel: pd.DataFrame, x: str, y: str, confidence: float = 0.95,
                              n_boot: int = 2000, seed: int = 0,
                              unit: str = "unit_id") -> dict | None:
    """Between-unit correlation corrected for the unreliability of unit means (Spearman 1904).

    A unit's average score over its periods still carries the sampling noise of its
    respondents: Var = Σ SE² / T² over its periods with a value (the panel's ``*_se``
    columns). The reliability of the unit means is 1 − (mean of those variances) / (variance
    of the means across units), and the noise lowers the observed correlation by
    √(rel_x · rel_y). Harter, Schmidt & Hayes (2002) correct for it before comparing with
    their 0.33. Interval: percentile bootstrap over units. None when the panel has no
    standard errors for both scores or fewer than 10 units.
    """
    se_x, se_y = f"{x}_se", f"{y}_se"
    if not {x, y, se_x, se_y} <= set(panel.columns):
        return None
    frame = panel[[unit, x, y, se_x, se_y]]
    per_unit = pd.DataFrame({
        "x": frame.groupby(unit)[x].mean(), "y": frame.groupby(unit)[y].mean(),
        "tx": frame.groupby(unit)[x].count(), "ty": frame.groupby(unit)[y].count(),
        "vx": (frame[se_x].where(frame[x].notna()) ** 2).groupby(frame[unit]).sum(),
        "vy": (frame[se_y].where(frame[y].notna()) ** 2).groupby(frame[unit]).sum()})
    per_unit = per_unit[(per_unit["tx"] >= 2) & (per_unit["ty"] >= 1)].dropna()
    if len(per_unit) < 10:
        return None
    mx, my = per_unit["x"].to_numpy(), per_unit["y"].to_numpy()
    nx = (per_unit["vx"] / per_unit["tx"] ** 2).to_numpy()
    ny = (per_unit["vy"] / per_unit["ty"] ** 2).to_numpy()

    def corrected(idx: np.ndarray) -> tuple[float, float, float]:
        a, b = mx[idx], my[idx]
        rel_x = 1 - nx[idx].mean() / a.var(ddof=1)
        rel_y = 1 - ny[idx].mean() / b.var(ddof=1)
        r = np.corrcoef(a, b)[0, 1]
        value = r / np.sqrt(rel_x * rel_y) if rel_x > 0 and rel_y > 0 else np.nan
        return value, rel_x, rel_y

    everyone = np.arange(len(mx))
    estimate, rel_x, rel_y = corrected(everyone)
    rng = np.random.default_rng(seed)
    draws = np.array([corrected(rng.integers(0, len(mx), len(mx)))[0] for _ in range(n_boot)])
    low, high = np.nanpercentile(draws, [50 * (1 - confidence), 50 * (1 + confidence)])
    return {"estimate": float(estimate), "se": float(np.nanstd(draws, ddof=1)),
            "ci_low": float(low), "ci_high": float(high), "n": len(mx),
            "reliability_x": float(rel_x), "reliability_y": float(rel_y)}


def correlations(panel: pd.DataFrame, outcomes: Sequence[str] = CX_OUTCOMES,
                 ex: str = EX_MEASURE, confidence: float = 0.95,
                 covariates: Sequence[str] = ("unit_type", "size")) -> pd.DataFrame:
    """H1: between-unit, within-unit (repeated measures) and partial correlations."""
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


# --------------------------------------------------------------------------------------
# H4 mediation
# --------------------------------------------------------------------------------------

def _two_way_demean(frame: pd.DataFrame, columns: Sequence[str], unit: str, time: str,
                    iterations: int = 50) -> pd.DataFrame:
    """Remove unit and period means (alternating projections; exact for balanced panels)."""
    out = frame[list(columns)].astype(float).copy()
    for _ in range(iterations):
        before = out.to_numpy().copy()
        out = out - out.groupby(frame[unit]).transform("mean")
        out = out - out.groupby(frame[time]).transform("mean")
        if np.max(np.abs(out.to_numpy() - before)) < 1e-10:
            break
    return out


def _paths(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """a (m ~ x), b (y ~ m + x), direct c' on centred data, no intercept."""
    a = float(x @ m / (x @ x))
    design = np.column_stack([m, x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return a, float(coef[0]), float(coef[1])


def mediation(data: pd.DataFrame, x: str, m: str, y: str, unit: str | None = "unit_id",
              time: str | None = "t", n_boot: int = 2000, seed: int = 42,
              confidence: float = 0.95, within: bool = True) -> pd.DataFrame:
    """H4: indirect effect a × b of ``x`` on ``y`` through ``m``, bootstrap interval.

    With ``within=True`` the variables are two-way demeaned (unit and period), so only
    within-unit variation is used, and the bootstrap resamples whole units (clusters) of the
    demeaned data (the fixed effects are not re-estimated in each draw).
    With ``within=False`` and no unit it is the classic single-level analysis; its point
    estimate equals :func:`pingouin.mediation_analysis` (validated in the tests on
    pingouin's ``mediation`` data: indirect 0.3565).

    Returns rows ``mediation_indirect`` (a × b), ``mediation_a``, ``mediation_b`` and
    ``mediation_direct``.
    """
    confidence = check_confidence(confidence)
    frame = data.dropna(subset=[x, m, y]).reset_index(drop=True)
    if within:
        if unit is None or time is None:
            raise ParameterError("within-unit mediation needs `unit` and `time`.")
        centred = _two_way_demean(frame, [x, m, y], unit, time)
    else:
        centred = frame[[x, m, y]].astype(float) - frame[[x, m, y]].astype(float).mean()
    xv, mv, yv = (centred[c].to_numpy() for c in (x, m, y))
    a, b, direct = _paths(xv, mv, yv)
    # bootstrap over clusters (units) — or rows — on the centred data: each cluster's cross
    # products are summed once, and a draw is a weighted sum of them (weights = how often
    # the cluster was drawn), so thousands of draws cost one matrix product
    rng = np.random.default_rng(seed)
    stacked = np.column_stack([xv, mv, yv])
    products = stacked[:, :, None] * stacked[:, None, :]
    if unit is not None and within:
        codes = pd.Categorical(frame[unit]).codes
        per_cluster = np.zeros((codes.max() + 1, 3, 3))
        np.add.at(per_cluster, codes, products)
        method = "two_way_demeaned_cluster_bootstrap_units_percentile"
    else:
        per_cluster = products
        method = "product_of_coefficients_bootstrap_percentile"
    n_clusters = len(per_cluster)
    counts = rng.multinomial(n_clusters, np.full(n_clusters, 1 / n_clusters), size=n_boot)
    sums = (counts @ per_cluster.reshape(n_clusters, 9)).reshape(n_boot, 3, 3)
    sxx, sxm, smm = sums[:, 0, 0], sums[:, 0, 1], sums[:, 1, 1]
    sxy, smy = sums[:, 0, 2], sums[:, 1, 2]
    det = smm * sxx - sxm ** 2
    draws = np.column_stack([sxm / sxx, (sxx * smy - sxm * sxy) / det,
                             (smm * sxy - sxm * smy) / det])
    return _mediation_rows((a, b, direct), draws, x, m, y, len(frame), confidence,
                           f"{method}_{n_boot}", suffix="_uncorrected" if within else "")


def _mediation_rows(values, draws: np.ndarray, x: str, m: str, y: str, n: int,
                    confidence: float, method: str, suffix: str = "") -> pd.DataFrame:
    """Rows a × b, a, b and direct with percentile intervals from bootstrap ``draws``
    (columns a, b, direct); the p-value is twice the share of draws beyond zero."""
    a, b, direct = values
    n_boot = len(draws)
    lo, hi = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    rows = []
    for estimand, value, dist in (("mediation_indirect", a * b, draws[:, 0] * draws[:, 1]),
                                  ("mediation_a", a, draws[:, 0]),
                                  ("mediation_b", b, draws[:, 1]),
                                  ("mediation_direct", direct, draws[:, 2])):
        dist = dist[np.isfinite(dist)]
        low, high = np.percentile(dist, [lo, hi])
        p = 2 * min((dist <= 0).mean(), (dist >= 0).mean())
        rows.append({"analysis": "linkage", "estimand": estimand + suffix, "subject": "all",
                     "outcome": y, "term": f"{x} -> {m}" if estimand != "mediation_b" else m,
                     "estimate": value, "se": float(np.std(dist, ddof=1)), "ci_low": low,
                     "ci_high": high, "p_value": max(p, 1 / n_boot), "confidence": confidence,
                     "n": n, "method": f"{method} (n = unit-periods)"})
    return tidy(rows)


def mediation_corrected(data: pd.DataFrame, x: str, m: str, y: str, unit: str = "unit_id",
                        time: str = "t", n_boot: int = 2000, seed: int = 42,
                        confidence: float = 0.95) -> pd.DataFrame:
    """H4 corrected for survey noise: EX (``x``) -> NPS (``m``) -> money (``y``), within
    units and periods, each score measured twice (``x_a``/``x_b``, ``m_a``/``m_b``).

    * a: ``m`` (the full score; its noise only widens the interval) on ``x``, one half of
      EX instrumented by the other;
    * b and direct: ``y`` on ``m`` and ``x``, both from one half and instrumented by the
      other half's (money follows what customers lived through, which the NPS measures
      with noise; without the correction b is pulled toward zero by the NPS's sampling
      error, which for a month of a few dozen answers is most of its movement).

    Both orderings of the halves are stacked, each with its own unit and period effects;
    the interval of a × b is a percentile bootstrap over whole units on the demeaned data
    (the fixed effects are not re-estimated in each draw; each draw re-weights the units'
    cross-product sums). Rows ``mediation_indirect``, ``mediation_a``, ``mediation_b``,
    ``mediation_direct``.
    """
    from .measurement import absorb_effects

    confidence = check_confidence(confidence)
    needed = [x, m, y, f"{x}_a", f"{x}_b", f"{m}_a", f"{m}_b"]
    frame = data.dropna(subset=needed).reset_index(drop=True)
    if frame[unit].nunique() < 10:
        raise ParameterError("too few units with both halves of EX and NPS to correct the "
                             "money link for survey noise.")
    copies = []
    for copy, (mine, other) in enumerate((("a", "b"), ("b", "a"))):
        copies.append(pd.DataFrame({
            "unit": frame[unit], "time": frame[time], "copy": copy, "m": frame[m],
            "y": frame[y], "x_h": frame[f"{x}_{mine}"], "z_x": frame[f"{x}_{other}"],
            "m_h": frame[f"{m}_{mine}"], "z_m": frame[f"{m}_{other}"]}))
    stacked = pd.concat(copies, ignore_index=True)
    copy = stacked["copy"].astype(str)
    columns = ["m", "y", "x_h", "z_x", "m_h", "z_m"]
    v = pd.DataFrame(absorb_effects(stacked[columns], [stacked["unit"].astype(str) + "|" + copy,
                                                stacked["time"].astype(str) + "|" + copy]),
                     columns=columns)
    products = np.column_stack([v["z_x"] * v["x_h"], v["z_x"] * v["m"], v["z_m"] * v["m_h"],
                                v["z_m"] * v["x_h"], v["z_x"] * v["m_h"], v["z_m"] * v["y"],
                                v["z_x"] * v["y"]])
    codes = pd.factorize(stacked["unit"])[0]
    per_unit = np.zeros((codes.max() + 1, products.shape[1]))
    np.add.at(per_unit, codes, products)

    def paths(sums: np.ndarray) -> np.ndarray:
        s1, s2, s3, s4, s5, s6, s7 = sums.T
        det = s3 * s1 - s4 * s5
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.column_stack([s2 / s1, (s1 * s6 - s4 * s7) / det, (s3 * s7 - s5 * s6) / det])

    values = paths(per_unit.sum(axis=0)[None, :])[0]
    rng = np.random.default_rng(seed)
    groups = len(per_unit)
    counts = rng.multinomial(groups, np.full(groups, 1 / groups), size=n_boot)
    draws = paths(counts @ per_unit)
    return _mediation_rows(tuple(values), draws, x, m, y, len(frame), confidence,
                           f"split_half_iv_within_cluster_bootstrap_units_percentile_{n_boot}")


# --------------------------------------------------------------------------------------
# H5 odds ratio
# --------------------------------------------------------------------------------------

def top_cx_engagement_odds_ratio(panel: pd.DataFrame, outcome: str = "nps",
                                 ex: str = EX_MEASURE, cx_quantile: float = 0.75,
                                 engagement_quantile: float = 0.5, claimed: float = 5.0,
                                 confidence: float = 0.95) -> pd.DataFrame:
    """H5: odds that a unit in the top CX quartile has good engagement vs the other units.

    "Good engagement" = unit mean engagement index above its ``engagement_quantile`` (median
    by default). Odds ratio with the conditional maximum-likelihood estimate and exact
    interval (:func:`scipy.stats.contingency.odds_ratio`), Fisher exact p-value.
    The ``verdict`` column compares the interval with the ``claimed`` ratio.
    """
    from scipy.stats.contingency import odds_ratio

    confidence = check_confidence(confidence)
    means = unit_means(panel, [ex, outcome]).dropna()
    top_cx = means[outcome] >= means[outcome].quantile(cx_quantile)
    good_ex = means[ex] > means[ex].quantile(engagement_quantile)
    table = np.array([[int((top_cx & good_ex).sum()), int((top_cx & ~good_ex).sum())],
                      [int((~top_cx & good_ex).sum()), int((~top_cx & ~good_ex).sum())]])
    result = odds_ratio(table)
    low, high = result.confidence_interval(confidence)
    _, p = stats.fisher_exact(table)
    if high < claimed:
        verdict = "lower than claimed"
    elif low > claimed:
        verdict = "higher than claimed"
    else:
        verdict = "consistent with the claim"
    row = {"analysis": "linkage", "estimand": "top_cx_engagement_odds_ratio", "subject": "all",
           "outcome": outcome, "term": ex, "estimate": float(result.statistic),
           "se": np.nan, "ci_low": float(low), "ci_high": float(high), "p_value": float(p),
           "confidence": confidence, "n": int(table.sum()),
           "method": "conditional_mle_odds_ratio_fisher_exact (n = units)",
           "verdict": verdict, "claimed": claimed, "table": table.tolist()}
    return tidy([row], extra=["verdict", "claimed", "table"])


# --------------------------------------------------------------------------------------
# dual impact: did EX and CX move together?
# --------------------------------------------------------------------------------------

def _unit_slopes(frame: pd.DataFrame, x: str, y: str, unit: str = "unit_id"):
    """Per unit: least-squares slope of ``y`` on ``x`` and the number of points."""
    groups = frame.groupby(unit)
    centred = frame[x] - groups[x].transform("mean")
    sxy = (centred * frame[y]).groupby(frame[unit]).sum()
    sxx = (centred ** 2).groupby(frame[unit]).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return sxy / sxx, groups[y].count()


def unit_trajectories(panel: pd.DataFrame, outcome: str = "nps", ex: str = EX_MEASURE,
                      time: str = "t") -> pd.DataFrame:
    """Per unit: slope per period of EX and of CX (least squares over the waves).

    Units need 3 or more waves with EX, and 3 or more of those with CX. One grouped pass
    (slope = Σ(t − t̄)·y / Σ(t − t̄)² per unit), equal to a per-unit ``np.polyfit``.
    """
    with_ex = panel.dropna(subset=[ex])
    with_cx = with_ex.dropna(subset=[outcome])
    ex_slope, ex_n = _unit_slopes(with_ex, time, ex)
    cx_slope, cx_n = _unit_slopes(with_cx, time, outcome)
    keep = ex_n[(ex_n >= 3) & (cx_n.reindex(ex_n.index).fillna(0) >= 3)].index
    first = with_ex.groupby("unit_id")[["unit_type", "region"]].first()
    rows = pd.DataFrame({"unit_id": keep, "unit_type": first.loc[keep, "unit_type"].to_numpy(),
                         "region": first.loc[keep, "region"].to_numpy(),
                         "ex_change": ex_slope.loc[keep].to_numpy(),
                         "cx_change": cx_slope.loc[keep].to_numpy()})
    out = rows.reset_index(drop=True)
    if out.empty:
        return out
    same = np.sign(out["ex_change"]) == np.sign(out["cx_change"])
    up = (out["ex_change"] > 0) & (out["cx_change"] > 0)
    down = (out["ex_change"] < 0) & (out["cx_change"] < 0)
    out["movement"] = np.select(
        [up, down, ~same & (out["ex_change"] > 0), ~same & (out["ex_change"] <= 0)],
        ["both improved", "both declined", "EX up, CX down", "EX down, CX up"], "")
    return out


def dual_movement(trajectories: pd.DataFrame, outcome: str = "nps",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Share of units whose EX and CX moved the same way (Wilson interval), and the correlation of changes."""
    from .metrics import proportion_interval

    n = len(trajectories)
    together = int(trajectories["movement"].isin(["both improved", "both declined"]).sum())
    share = proportion_interval(together, n, confidence)
    r = float(np.corrcoef(trajectories["ex_change"], trajectories["cx_change"])[0, 1]) if n > 2 else np.nan
    low, high = correlation_interval(r, n, confidence)
    p = float(stats.pearsonr(trajectories["ex_change"], trajectories["cx_change"]).pvalue) if n > 2 else np.nan
    rows = [
        {"analysis": "linkage", "estimand": "dual_movement_share", "subject": "all",
         "outcome": outcome, "term": EX_MEASURE, **share, "p_value": float(
             stats.binomtest(together, n, 0.5).pvalue) if n else np.nan,
         "confidence": confidence, "method": "share_wilson_vs_half_binomial (n = units)"},
        {"analysis": "linkage", "estimand": "ex_cx_change_correlation", "subject": "all",
         "outcome": outcome, "term": EX_MEASURE, "estimate": r, "se": np.nan, "ci_low": low,
         "ci_high": high, "p_value": p, "confidence": confidence, "n": n,
         "method": "pearson_unit_slopes_fisher_z (n = units)"},
    ]
    return tidy(rows)


# --------------------------------------------------------------------------------------
# the family
# --------------------------------------------------------------------------------------

PRIMARY = ("ex_cx_correlation", "ex_to_cx_lagged", "cx_to_ex_lagged", "mediation_indirect",
           "top_cx_engagement_odds_ratio", "relative_weight_r2", "dual_movement_share")


def holm(frame: pd.DataFrame, estimands: Sequence[str] = PRIMARY) -> pd.DataFrame:
    """Holm-adjusted p-values across the family of primary tests.

    Returns one row per test with estimand ``holm_adjusted_p_value``: ``subject`` names the
    test's estimand, ``estimate`` is the adjusted p-value and ``p_value`` the raw one.
    """
    from statsmodels.stats.multitest import multipletests

    family = frame[frame["estimand"].isin(estimands) & frame["p_value"].notna()].copy()
    if family.empty:
        return tidy([])
    reject, adjusted, _, _ = multipletests(family["p_value"], method="holm")
    rows = []
    for (_, row), adj, rej in zip(family.iterrows(), adjusted, reject):
        rows.append({"analysis": row["analysis"], "estimand": "holm_adjusted_p_value",
                     "subject": row["estimand"], "outcome": row["outcome"], "term": row["term"],
                     "estimate": float(adj), "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                     "p_value": float(row["p_value"]), "confidence": row["confidence"],
                     "n": len(family), "method": f"holm_family_of_{len(family)} (n = tests)",
                     "significant": bool(rej)})
    return tidy(rows, extra=["significant"])


# --------------------------------------------------------------------------------------
# panels from the warehouse
# --------------------------------------------------------------------------------------

def build_panel(con, min_group_size: int = 5) -> pd.DataFrame:
    """Unit x quarter panel for the linkage tests, with ``t`` and ``pilot_active``.

    EX is the wave closing in the quarter; unit-waves under ``min_group_size`` respondents
    have no EX value (they are not used). ``pilot_active`` marks quarters in which a unit had
    started a pilot: pilots move EX and CX at once and would be mistaken for linkage, so
    the lagged tests leave those quarters out by default.
    """
    from .panels import cx_halves, ex_halves, unit_panel
    from .warehouse import has_table, read_table

    panel = unit_panel(con, min_group_size)
    # each score measured twice (random halves of its respondents): the noise-corrected links
    if has_table(con, "employee_survey"):
        panel = panel.merge(ex_halves(con, min_group_size).drop(columns=["wave"]),
                            on=["unit_id", "period"], how="left")
    if has_table(con, "customer_survey"):
        panel = panel.merge(cx_halves(con, "quarter"), on=["unit_id", "period"], how="left")
    panel["t"] = period_index(panel["period"], "quarter")
    assignments = read_table(con, "pilot_assignments") if has_table(con, "pilot_assignments") else None
    panel["pilot_active"] = pilot_exposure(assignments, panel, "quarter")
    return panel


#: money outcomes of the quarterly panel, turned into monthly rates by :func:`build_money_panel`
MONEY_OUTCOMES = ("revenue_per_customer", "churn_rate", "exit_rate")


def build_money_panel(panel: pd.DataFrame, unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """Unit x quarter for the links to money (H4 and return on experience): CX of the
    quarter, EX of the wave before (``engagement_index`` and its halves, from quarter
    t − 1), and money outcomes as **monthly** rates averaged over the quarter (revenue per
    customer a month, churn a month, exits a month), the units notebook 03 values in.

    Quarters rather than months: a month's NPS from a few dozen answers is mostly noise,
    while what customers live through moves slowly, so a quarter's score carries about three
    times the signal share and the noise-corrected money links are far more precise.
    """
    ex = [c for c in (EX_MEASURE, f"{EX_MEASURE}_a", f"{EX_MEASURE}_b") if c in panel.columns]
    frame = panel.drop(columns=ex)
    if ex:
        earlier = panel[[unit, time, *ex]].assign(**{time: panel[time] + 1})
        frame = frame.merge(earlier, on=[unit, time], how="left")
    else:  # a CX team's data: the money links from customer scores still hold
        for column in (EX_MEASURE, f"{EX_MEASURE}_a", f"{EX_MEASURE}_b"):
            frame[column] = np.nan
    months = frame["outcome_months"] if "outcome_months" in frame.columns else np.nan
    for column in MONEY_OUTCOMES:
        if column in frame.columns:
            frame[column] = frame[column] / months
    return frame.sort_values([unit, time]).reset_index(drop=True)


def mediation_outcomes(money: pd.DataFrame) -> list[str]:
    """The financial outcomes available for H4."""
    return [c for c in ("revenue_per_customer", "churn_rate") if c in money.columns
            and money[c].notna().any()]


# --------------------------------------------------------------------------------------
# plain-language findings
# --------------------------------------------------------------------------------------

def _ci(row, digits: int = 2, scale: float = 1.0) -> str:
    return (f"{row['estimate'] * scale:.{digits}f} ({row['confidence']:.0%} CI "
            f"{row['ci_low'] * scale:.{digits}f} to {row['ci_high'] * scale:.{digits}f})")


def _holm_word(holm_rows: pd.DataFrame, estimand: str, outcome: str, term: str | None = None) -> str:
    if holm_rows is None or holm_rows.empty:
        return ""
    match = holm_rows[(holm_rows["subject"] == estimand) & (holm_rows["outcome"] == outcome)]
    if term is not None:
        match = match[match["term"] == term]
    if match.empty:
        return ""
    adjusted = match["estimate"].iloc[0]
    return (" It holds after correcting for testing many hypotheses (Holm)."
            if adjusted < 0.05 else
            " After correcting for testing many hypotheses (Holm) it is not statistically clear.")


def _clear(row) -> int:
    """+1 / −1 when the interval lies wholly above / below zero, else 0."""
    if row is None or pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return 0
    return 1 if row["ci_low"] > 0 else -1 if row["ci_high"] < 0 else 0


def direction_reading(h2, h3, placebo) -> str:
    """What the lagged tests say about direction, never more than the design supports.

    A clear H2 reads as 'better EX, then better CX' only when the placebo (future EX on
    present CX) is not significant; a significant placebo means the association may run the
    other way or come from a cause both share, and a clear reverse link (H3) means both ways.
    """
    if _clear(h2) == 0:
        return "not distinguishable from no link."
    if _clear(placebo) != 0:
        return ("a link, but not evidence of direction: the placebo test (next quarter's "
                "engagement against this quarter's customer score) is significant too, so the "
                "association may run the other way or come from something both share.")
    if _clear(h2) < 0:
        return "a clear link, in the unexpected direction (more engagement, then lower scores)."
    if _clear(h3) > 0:
        return ("a clear link that runs both ways: better EX came before better CX, and better "
                "CX before better EX.")
    return "a clear link, in the direction 'better EX, then better CX'."


def measured(row) -> bool:
    """An estimate with a bounded interval (the data could pin it down)."""
    return pd.notna(row["estimate"]) and pd.notna(row["ci_low"]) and pd.notna(row["ci_high"])


def why_not_measured(row) -> str:
    method = str(row["method"])
    if method.startswith("not estimated: "):
        return method.removeprefix("not estimated: ") + "."
    return ("the scores move too little inside units between quarters compared with the "
            "sampling noise of their few answers, so every value of the link fits the data "
            "(its interval is unbounded). More answers per unit and quarter would settle it.")


def hidden_sentence(corrected, uncorrected, step: float = 5.0) -> str:
    """'Survey noise hid about 40% of the link', when both estimates point the same way."""
    if corrected is None or uncorrected is None or not measured(corrected):
        return ""
    share = noise_share(corrected, uncorrected)
    plain = _ci(uncorrected, 1, step)
    if _clear(corrected) > 0 and 0 < share < 1:
        return (f"Taking the unit scores as exact, as most tools do, gives {plain} NPS points per "
                f"{step:g} engagement points: the uncorrected estimate understates the link by "
                f"about {share:.0%}, because part of every quarter's score is survey noise.")
    return f"Taking the unit scores as exact, as most tools do, gives {plain} points instead."


def noise_sentence(reliability: pd.DataFrame) -> str:
    """How much of the engagement index's and NPS's movement inside a unit is real change."""
    rows = reliability.set_index("outcome") if len(reliability) else pd.DataFrame()
    if EX_MEASURE not in rows.index or "nps" not in rows.index:
        return ""

    def share(name: str) -> str:
        r = rows.loc[name]
        return (f"{max(r['estimate'], 0):.0%} ({r['confidence']:.0%} CI {max(r['ci_low'], 0):.0%} "
                f"to {max(r['ci_high'], 0):.0%})")

    return (f"Survey noise: within units, about {share(EX_MEASURE)} of the quarter-to-quarter "
            f"movement of the engagement index and {share('nps')} of NPS's is real change; the "
            "rest is the sampling noise of a few dozen answers. The links between scores here "
            "are corrected for it: two random halves of each unit's respondents serve as two "
            "independent measurements of the same score.")


def findings(results: pd.DataFrame, ex_step: float = 5.0) -> list[str]:
    """One plain sentence per hypothesis, with its interval, from the recorded rows."""
    out = []
    holm_rows = results[results["estimand"] == "holm_adjusted_p_value"]

    def first(estimand, outcome=None, term=None):
        rows = results[results["estimand"] == estimand]
        if outcome is not None:
            rows = rows[rows["outcome"] == outcome]
        if term is not None:
            rows = rows[rows["term"] == term]
        return None if rows.empty else rows.iloc[0]

    h2 = first("ex_to_cx_lagged", "nps")
    h3 = first("cx_to_ex_lagged", term="nps")
    if h2 is not None and measured(h2):
        out.append(
            f"When a unit's engagement index rose by {ex_step:g} points, its NPS the next quarter was "
            f"{_ci(h2, 1, ex_step)} points higher, comparing each unit with itself and "
            "correcting for survey noise: "
            + direction_reading(h2, h3, first("ex_lead_placebo", "nps"))
            + _holm_word(holm_rows, "ex_to_cx_lagged", "nps"))
    elif h2 is not None:
        out.append("Whether a rise in engagement is followed by better NPS cannot be measured "
                   "here once survey noise is taken into account: " + why_not_measured(h2))
    hidden = hidden_sentence(h2, first("ex_to_cx_lagged_uncorrected", "nps"), ex_step)
    if hidden:
        out.append(hidden)
    noise = noise_sentence(results[results["estimand"] == "within_unit_reliability"])
    if noise:
        out.append(noise)
    if h3 is not None and measured(h3):
        out.append(
            f"The reverse link: 10 more NPS points came before an engagement index "
            f"{_ci(h3, 1, 10)} points higher the next quarter (corrected for survey noise)."
            + _holm_word(holm_rows, "cx_to_ex_lagged", EX_MEASURE, "nps"))
    elif h3 is not None:
        out.append("Whether better NPS is followed by higher engagement (the reverse link) "
                   "cannot be measured here: " + why_not_measured(h3))
    h1 = first("ex_cx_correlation", "nps")
    if h1 is not None:
        text = (f"Across units, engagement and NPS go together: r = {_ci(h1)} over "
                f"{int(h1['n'])} units")
        h1c = first("ex_cx_correlation_disattenuated", "nps")
        if h1c is not None:
            text += (f"; corrected for the sampling noise of unit averages, as the published "
                     f"benchmark is (about 0.33, Harter et al.), r = {_ci(h1c)}")
        out.append(text + ".")
    h4 = first("mediation_indirect")
    if h4 is not None:
        out.append(f"Through NPS, {ex_step:g} more engagement points are worth "
                   f"{_ci(h4, 3, ex_step)} in {h4['outcome'].replace('_', ' ')} a month "
                   "(in the revenue's currency; within units).")
    h5 = first("top_cx_engagement_odds_ratio")
    if h5 is not None:
        verdict = h5.get("verdict", "")
        out.append(f"Units in the top quarter for NPS were {_ci(h5, 1)} times as likely to have "
                   f"above-median engagement; the published '5 times' claim is {verdict} here.")
    h6 = results[(results["estimand"] == "relative_weight") & (results["outcome"] == "nps")]
    if not h6.empty and "rescaled" in h6:
        top = h6.sort_values("estimate", ascending=False).head(2)
        from .drivers import item_label
        r2 = results[(results["estimand"] == "relative_weight_r2") & (results["outcome"] == "nps")]
        total = r2["estimate"].iloc[0] if len(r2) else np.nan
        parts = [f"{item_label(r.term).lower()} ({r.rescaled:.0f}% of what the items explain, "
                 f"{r.confidence:.0%} CI {100 * r.ci_low / total:.0f}% to {100 * r.ci_high / total:.0f}%)"
                 for r in top.itertuples()]
        out.append("The parts of the employee experience that matter most for NPS: "
                   + " and ".join(parts) + ".")
    dual = first("dual_movement_share")
    if dual is not None:
        out.append(f"EX and CX moved in the same direction in {dual['estimate']:.0f}% of units "
                   f"({dual['confidence']:.0%} CI {dual['ci_low']:.0f}% to {dual['ci_high']:.0f}%) "
                   "over the survey waves.")
    return out


# --------------------------------------------------------------------------------------
# everything the notebook shows, in one call
# --------------------------------------------------------------------------------------

def run(con, outcomes: Sequence[str] = CX_OUTCOMES, lag: int = 1, confidence: float = 0.95,
        min_group_size: int = 5, hypotheses: Sequence[str] = HYPOTHESES,
        exclude_pilot_periods: bool = True, n_boot: int = 2000, seed: int = 42) -> dict:
    """Run the requested hypotheses on the warehouse; return a dict of tidy frames.

    Keys: ``panel``, ``effects`` (H2, H3, placebo), ``correlations`` (H1), ``mediation``
    (H4), ``odds_ratio`` (H5), ``weights`` (H6, with ``importance`` tables per outcome),
    ``trajectories`` and ``dual``, ``holm``, ``checks`` (residuals and influence for H2 on
    the first outcome), and ``all`` — every tidy row, ready for ``results.record``.
    """
    from . import drivers

    confidence = check_confidence(confidence)
    for h in hypotheses:
        check_argument("hypotheses", h, HYPOTHESES)
    if not isinstance(lag, (int, np.integer)) or lag < 1:
        raise ParameterError(f"`lag` must be a whole number of periods of at least 1, but {lag!r} was passed.")
    from .warehouse import has_table

    if not (has_table(con, "employee_survey") and has_table(con, "customer_survey")):
        # the linkage needs both surveys; the notebook says which one is missing
        return {"panel": None, "outcomes": [], "all": tidy([]), "holm": tidy([])}
    panel = build_panel(con, min_group_size)
    outcomes = [o for o in outcomes if o in panel.columns and panel[o].notna().any()]
    exclude = "pilot_active" if exclude_pilot_periods else None
    out: dict = {"panel": panel, "outcomes": outcomes}
    frames = []
    if "H1" in hypotheses:
        out["correlations"] = correlations(panel, outcomes, confidence=confidence)
        frames.append(out["correlations"])
    effects = []
    directions = (["ex_to_cx", "placebo"] if "H2" in hypotheses else []) + \
        (["cx_to_ex"] if "H3" in hypotheses else [])
    for direction in directions:  # corrected for survey noise, and beside it as before
        effects.append(corrected_effects(panel, direction, outcomes, lag=lag,
                                         confidence=confidence, exclude=exclude))
        effects.append(lagged_effects(panel, direction, outcomes, lag=lag, confidence=confidence,
                                      exclude=exclude))
    # how much of each score's within-unit movement is real change (random halves)
    out["reliability"] = reliabilities(panel, [EX_MEASURE, *outcomes], confidence)
    if not out["reliability"].empty:
        frames.append(out["reliability"])
    if effects:
        out["effects"] = pd.concat(effects, ignore_index=True)
        frames.append(out["effects"])
    if "H4" in hypotheses:
        money = build_money_panel(panel)
        if exclude:
            money = money[~money["pilot_active"]]
        parts = []
        for y in mediation_outcomes(money):
            try:
                parts.append(mediation_corrected(money, EX_MEASURE, "nps", y, n_boot=n_boot,
                                                 seed=seed, confidence=confidence))
            except ParameterError:
                pass  # the uncorrected rows below stand alone; the notebook says why
            parts.append(mediation(money, EX_MEASURE, "nps", y, n_boot=n_boot, seed=seed,
                                   confidence=confidence))
        if parts:
            out["mediation"] = pd.concat(parts, ignore_index=True)
            frames.append(out["mediation"])
    if "H5" in hypotheses and outcomes:
        out["odds_ratio"] = top_cx_engagement_odds_ratio(panel, outcomes[0], confidence=confidence)
        frames.append(out["odds_ratio"])
    if "H6" in hypotheses:
        items = [c for c in panel.columns if c.startswith("eng_")]
        means = unit_means(panel, items + outcomes)
        performance = _item_performance(con, items)
        weights, importance = [], {}
        for outcome in outcomes:
            w = drivers.relative_weights(means, items, outcome, n_boot=n_boot, seed=seed,
                                         confidence=confidence)
            weights.append(w)
            importance[outcome] = drivers.importance_performance(w, performance)
        out["weights"] = pd.concat(weights, ignore_index=True)
        out["importance"] = importance
        frames.append(out["weights"])
    if "dual" in hypotheses and outcomes:
        out["trajectories"] = unit_trajectories(panel, outcomes[0])
        out["dual"] = dual_movement(out["trajectories"], outcomes[0], confidence)
        frames.append(out["dual"])
    everything = pd.concat(frames, ignore_index=True) if frames else tidy([])
    out["holm"] = holm(everything)
    out["all"] = pd.concat([everything, out["holm"]], ignore_index=True)
    if "H2" in hypotheses and outcomes:
        pairs = lagged_pairs(panel, EX_MEASURE, outcomes[0], lag, exclude=exclude)
        fit = twfe(pairs, "y", "x", "unit_id", "y_time", confidence=confidence)
        out["checks"] = {"outcome": outcomes[0], "fit": fit,
                         "influence": leave_one_unit_out(pairs, "y", "x")}
    return out


def _item_performance(con, items: Sequence[str]) -> pd.Series:
    """% favourable (answers 4–5) of each item over all respondents."""
    if not items:
        return pd.Series(dtype=float)
    from .panels import share_sql

    parts = ", ".join(f"100.0 * {share_sql(f'{i} >= 4')} AS {i}" for i in items)
    row = con.execute(f"SELECT {parts} FROM employee_survey").df().iloc[0]
    return row.astype(float)


def mde_table(results: pd.DataFrame) -> pd.DataFrame:
    """Minimum detectable effects (80% power) of the lagged tests and the correlation."""
    rows = results[results["estimand"].isin(["ex_to_cx_lagged", "cx_to_ex_lagged",
                                             "ex_cx_correlation"]) & results["mde"].notna()]
    return rows[["estimand", "outcome", "term", "estimate", "mde", "n"]].reset_index(drop=True)
