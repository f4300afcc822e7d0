"""Associations between unit scores: between and within units, corrected for survey noise.

* :func:`repeated_measures_correlation` — within-unit association (:func:`pingouin.rm_corr`).
* :func:`disattenuated_correlation` — between-unit correlation corrected for the sampling
  error of unit means (Spearman's correction with the scores' own reliabilities).
* :func:`top_cx_engagement_odds_ratio` — odds that a top-CX-quartile unit has good
  engagement, Fisher's exact test (the "five times more likely" claim).
* :func:`unit_trajectories` and :func:`dual_movement` — did a unit's EX and CX move the
  same way across waves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import odds_ratio

from cxex_analysis.errors import InsufficientData, check_confidence
from cxex_analysis.estimators.intervals import correlation_interval, proportion_interval
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import EX_MEASURE


class CorrectedCorrelation(TypedDict):
    """A between-unit correlation corrected for the sampling noise of unit means."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    reliability_x: float
    reliability_y: float



def unit_means(panel: pd.DataFrame, columns: Sequence[str], unit: str = "unit_id",
               min_periods: int = 2) -> pd.DataFrame:
    """Per-unit means of ``columns``, each over the periods it has, for the units with the
    EX measure in at least ``min_periods`` periods (the others are left out).

    Examples
    --------
    >>> d = pd.DataFrame({"unit_id": list("aaabbbc"),
    ...                   "engagement_index": [60.0, 62, None, 50, 49, 53, 70],
    ...                   "nps": [10.0, 12, 15, 5, 6, 8, 20]})
    >>> unit_means(d, ["engagement_index", "nps"]).round(2)  # c: one period of EX, left out
             engagement_index    nps
    unit_id
    a                   61.00  12.33
    b                   50.67   6.33
    """
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

    Examples
    --------
    >>> d = pd.DataFrame({"unit": list("aaabbbccc"),
    ...                   "ei": [60.0, 62, 65, 50, 49, 53, 70, 74, 73],
    ...                   "nps": [10.0, 12, 15, 5, 6, 8, 20, 25, 23]})
    >>> r, dof, p = repeated_measures_correlation(d, "ei", "nps", "unit")
    >>> round(r, 4), dof, round(p, 5)  # pingouin.rm_corr(d, "ei", "nps", "unit")
    (0.9444, 5, 0.00136)
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
                              unit: str = "unit_id") -> CorrectedCorrelation | None:
    """Between-unit correlation corrected for the unreliability of unit means (Spearman 1904).

    A unit's average score over its periods still carries the sampling noise of its
    respondents: Var = Σ SE² / T² over its periods with a value (the panel's ``*_se``
    columns). The reliability of the unit means is 1 − (mean of those variances) / (variance
    of the means across units), and the noise lowers the observed correlation by
    √(rel_x · rel_y). That variance assumes each period's respondents are new people; where
    the same staff answer every wave their lasting traits do not average out over the
    periods, so where the panel has a score's two halves (``*_a``, ``*_b``, halves that keep
    their people: :mod:`~cxex_analysis.panels.respondent_halves`) the reliability is
    read from them instead: the covariance of the halves' unit means across units (their
    people, and so their noise, differ) over the variance of the unit means. Harter, Schmidt
    & Hayes (2002) correct for the noise before comparing with their 0.33. Interval:
    percentile bootstrap over units. None when the panel has no
    standard errors for both scores or fewer than 10 units.

    Examples
    --------
    Planted: 2,000 units whose true scores correlate 0.5, each seen in 4 periods with
    noise that halves the reliability of both unit means (25 / (25 + 10² / 4) and
    100 / (100 + 20² / 4)), so that the means correlate about 0.25:

    >>> rng = np.random.default_rng(7)
    >>> true = rng.multivariate_normal([60, 20], [[25, 25], [25, 100]], 2000)
    >>> panel = pd.DataFrame({"unit_id": np.repeat(np.arange(2000), 4),
    ...                       "ei": np.repeat(true[:, 0], 4) + rng.normal(0, 10, 8000),
    ...                       "nps": np.repeat(true[:, 1], 4) + rng.normal(0, 20, 8000),
    ...                       "ei_se": 10.0, "nps_se": 20.0})
    >>> round(panel.groupby("unit_id")[["ei", "nps"]].mean().corr().iloc[0, 1], 2)
    0.22
    >>> found = disattenuated_correlation(panel, "ei", "nps", n_boot=200)
    >>> [round(found[k], 2) for k in ("estimate", "ci_low", "ci_high", "reliability_x")]
    [0.45, 0.37, 0.53, 0.49]
    """
    se_x, se_y = f"{x}_se", f"{y}_se"
    if not {x, y, se_x, se_y} <= set(panel.columns):
        return None
    halves = {score: [f"{score}_a", f"{score}_b"] for score in (x, y)
              if {f"{score}_a", f"{score}_b"} <= set(panel.columns)}
    frame = panel[[unit, x, y, se_x, se_y, *[c for pair in halves.values() for c in pair]]]
    half_means = {f"{score}{h}": frame.groupby(unit)[f"{score}_{h}"].mean()
                  for score in halves for h in "ab"}
    per_unit = pd.DataFrame({**half_means,
        "x": frame.groupby(unit)[x].mean(), "y": frame.groupby(unit)[y].mean(),
        "tx": frame.groupby(unit)[x].count(), "ty": frame.groupby(unit)[y].count(),
        "vx": (frame[se_x].where(frame[x].notna()) ** 2).groupby(frame[unit]).sum(),
        "vy": (frame[se_y].where(frame[y].notna()) ** 2).groupby(frame[unit]).sum()})
    per_unit = per_unit[(per_unit["tx"] >= 2) & (per_unit["ty"] >= 1)].dropna(
        subset=["x", "y", "tx", "ty", "vx", "vy"])  # a unit without halves still counts
    if len(per_unit) < 10:
        return None
    mx, my = per_unit["x"].to_numpy(), per_unit["y"].to_numpy()
    nx = (per_unit["vx"] / per_unit["tx"] ** 2).to_numpy()
    ny = (per_unit["vy"] / per_unit["ty"] ** 2).to_numpy()
    split = {score: (per_unit[f"{score}a"].to_numpy(), per_unit[f"{score}b"].to_numpy())
             for score in halves
             if (per_unit[f"{score}a"].notna() & per_unit[f"{score}b"].notna()).sum() >= 10}

    def reliability(score: str, means: np.ndarray, noise: np.ndarray, idx: np.ndarray) -> float:
        if score in split:  # halves that keep their people: their covariance is the signal
            a, b = split[score][0][idx], split[score][1][idx]
            both = np.isfinite(a) & np.isfinite(b)  # the units that have halves
            return float(np.cov(a[both], b[both])[0, 1] / means[idx][both].var(ddof=1))
        return float(1 - noise[idx].mean() / means[idx].var(ddof=1))

    def corrected(idx: np.ndarray) -> tuple[float, float, float]:
        a, b = mx[idx], my[idx]
        rel_x, rel_y = reliability(x, mx, nx, idx), reliability(y, my, ny, idx)
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


def top_cx_engagement_odds_ratio(panel: pd.DataFrame, outcome: str = "nps",
                                 ex: str = EX_MEASURE, cx_quantile: float = 0.75,
                                 engagement_quantile: float = 0.5, claimed: float = 5.0,
                                 confidence: float = 0.95) -> pd.DataFrame:
    """H5: odds that a unit in the top CX quartile has good engagement vs the other units.

    "Good engagement" = unit mean engagement index above its ``engagement_quantile`` (median
    by default). Odds ratio with the conditional maximum-likelihood estimate and exact
    interval (:func:`scipy.stats.contingency.odds_ratio`), Fisher exact p-value.
    The ``verdict`` column compares the interval with the ``claimed`` ratio.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(8)], "t": 0,
    ...                       "engagement_index": [70.0, 68, 66, 50, 52, 48, 64, 55],
    ...                       "nps": [40.0, 38, 20, 10, 12, 8, 30, 25]})
    >>> row = top_cx_engagement_odds_ratio(pd.concat([units, units.assign(t=1)])).iloc[0]
    >>> row["table"], round(row["p_value"], 4)  # scipy.stats.fisher_exact([[2, 0], [2, 4]])
    ([[2, 0], [2, 4]], 0.4286)
    
    Both top-NPS units are well engaged (an odds ratio without bound), yet 8 units cannot tell it
    from chance.
    """
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

    Examples
    --------
    >>> panel = pd.DataFrame({"unit_id": ["a"] * 4, "region": "North", "unit_type": "store",
    ...                       "t": [0, 1, 2, 3], "engagement_index": [60.0, 61, 63, 64],
    ...                       "nps": [10.0, 9, 12, 15]})
    >>> row = unit_trajectories(panel).iloc[0]
    >>> round(row["ex_change"], 2), round(row["cx_change"], 2), row["movement"]  # np.polyfit(t, y, 1)
    (1.4, 1.8, 'both improved')
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
        raise InsufficientData(f"no unit has three or more waves with both engagement and "
                               f"{outcome}, so no unit's change over time can be measured.")
    same = np.sign(out["ex_change"]) == np.sign(out["cx_change"])
    up = (out["ex_change"] > 0) & (out["cx_change"] > 0)
    down = (out["ex_change"] < 0) & (out["cx_change"] < 0)
    out["movement"] = np.select(
        [up, down, ~same & (out["ex_change"] > 0), ~same & (out["ex_change"] <= 0)],
        ["both improved", "both declined", "EX up, CX down", "EX down, CX up"], "")
    return out


def dual_movement(trajectories: pd.DataFrame, outcome: str = "nps",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Share of units whose EX and CX moved the same way (Wilson interval), and the correlation of changes.

    Examples
    --------
    10 of 15 units moved the same way: 66.7% (41.7% to 84.8%, statsmodels'
    ``proportion_confint(10, 15, method="wilson")``), no different from a coin
    (``scipy.stats.binomtest(10, 15)``: p = 0.3018):

    >>> t = pd.DataFrame({"movement": ["both improved"] * 7 + ["both declined"] * 3
    ...                               + ["moved apart"] * 5,
    ...                   "ex_change": np.linspace(-1, 1, 15),
    ...                   "cx_change": np.linspace(-1, 1, 15) ** 3})
    >>> dual_movement(t).loc[0, ["estimate", "ci_low", "ci_high", "p_value"]].astype(float).round(4).tolist()
    [66.6667, 41.7135, 84.8237, 0.3018]
    """
    n = len(trajectories)
    if n < 3:
        raise InsufficientData(f"only {n} unit(s) have three or more waves with both scores: too "
                               "few to say how often EX and CX move together.")
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
