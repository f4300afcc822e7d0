"""Unit scores are measurements: links between them estimated without the survey-noise bias.

A unit's engagement index or NPS for a period is the mean of a few dozen answers, so it is
the unit's real experience plus a sampling error often as large as the real change inside a
unit. Regressing one score on another then biases the slope toward zero (attenuation), and
fixed effects make it worse: demeaning keeps the noise and removes the real between-unit
signal.

Method: **split-half instrumental variables.** Each unit-period's respondents are split at
random into two halves (``x_a``, ``x_b``): two measurements of the same score whose sampling
errors are independent. Half A is the regressor and half B its instrument, and the other way
round, stacked (the two-way fixed-effects 2SLS estimator of both orderings, each ordering
with its own fixed effects; errors clustered by unit, which also covers the stacking). Only the regressor's noise biases a slope; noise
in the outcome widens the interval and nothing else.

* ``design="within"`` — unit and period fixed effects (contemporaneous links: revenue per
  customer on NPS month by month).
* ``design="first_difference"`` — for lagged links (H2: EX in t, CX in t + 1): each unit's
  change from the period before, with period effects. Unlike the within transformation, the
  first difference stays unbiased when the regressor itself reacts to earlier outcomes
  (EX reacting to last quarter's CX; the Nickell-type bias of fixed effects in short
  panels), as long as the outcome's own shocks do not persist.

Assumptions: classical, independent sampling error (a respondent answers in one half only;
the halves' errors are independent of each other and of the real experience); the random
split; for the lagged design, no serial correlation in the outcome's shocks beyond what the
period effects absorb. The halves' within-unit correlation is reported as the score's
reliability (:func:`within_unit_reliability`, Spearman–Brown for the full sample).

Alternatives considered: a reliability correction from the known sampling variances (needs
the two-way annihilator's leverage and assumes the variance formulas hold exactly; kept as
the reliability diagnostic), SIMEX (extrapolates a functional form). Split-half IV needs no
variance formula and no extrapolation.

Validated against: pyfixest's IV estimator, which reproduces Wooldridge's Example 15.1
(return to education instrumented by father's education, 0.0592, SE 0.0351); a
planted-truth latent world (:mod:`cxex_analysis.latent`) in which the corrected estimates
recover the truth and the uncorrected ones miss it (``tests/test_measurement.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ParameterError, check_argument, check_confidence
from .results import tidy

DESIGNS = ("within", "first_difference")


def _stack(frame: pd.DataFrame, x_a: str, x_b: str) -> pd.DataFrame:
    """Both orderings of the halves: (regressor A, instrument B) and (B, A), each copy with a
    ``_copy`` id: its fixed effects must be its own (shared ones would mix the halves' unit
    means, whose difference is sampling noise, into both regressor and instrument)."""
    a = frame.assign(_x=frame[x_a], _z=frame[x_b], _copy=0)
    b = frame.assign(_x=frame[x_b], _z=frame[x_a], _copy=1)
    return pd.concat([a, b], ignore_index=True)


def _feols(formula: str, data: pd.DataFrame, unit: str):
    import pyfixest as pf

    with warnings.catch_warnings():  # pyfixest notes singleton fixed effects it drops
        warnings.simplefilter("ignore")
        return pf.feols(formula, data=data, vcov={"CRV1": unit})


def split_half_iv(data: pd.DataFrame, y: str, x_a: str, x_b: str, unit: str, time: str,
                  design: str = "within", confidence: float = 0.95) -> dict:
    """Slope of ``y`` on a score measured twice (random halves ``x_a``, ``x_b``), corrected
    for the score's sampling noise.

    Parameters
    ----------
    data : DataFrame
        One row per unit and period with ``y`` and both halves of the regressor.
    design : {"within", "first_difference"}
        Unit and period fixed effects, or changes from the unit's previous row (rows must be
        consecutive periods of one unit) with period effects.

    Returns
    -------
    dict
        ``estimate, se, ci_low, ci_high, p_value, n`` (unit-periods used), ``n_units``,
        ``first_stage_f`` (the halves' strength as instruments) and ``method``.
    """
    check_argument("design", design, DESIGNS)
    confidence = check_confidence(confidence)
    missing = [c for c in (y, x_a, x_b, unit, time) if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[[unit, time, y, x_a, x_b]].dropna().sort_values([unit, time])
    if design == "first_difference":
        previous = frame.groupby(unit)[time].shift(1)
        changes = frame[[y, x_a, x_b]] - frame.groupby(unit)[[y, x_a, x_b]].shift(1)
        frame = pd.concat([frame[[unit, time]], changes], axis=1)[previous == frame[time] - 1]
        frame = frame.dropna()
    if frame[unit].nunique() < 3 or len(frame) < 10:
        raise ParameterError("too few units with both halves of the score to correct for "
                             "survey noise.")
    stacked = _stack(frame, x_a, x_b).rename(columns={y: "_y", unit: "_unit", time: "_time"})
    stacked["_unit_copy"] = stacked["_unit"].astype(str) + "|" + stacked["_copy"].astype(str)
    stacked["_time_copy"] = stacked["_time"].astype(str) + "|" + stacked["_copy"].astype(str)
    effects = "_unit_copy + _time_copy" if design == "within" else "_time_copy"
    fit = _feols(f"_y ~ 1 | {effects} | _x ~ _z", stacked, "_unit")
    row = fit.tidy().loc["_x"]
    estimate, se = float(row["Estimate"]), float(row["Std. Error"])
    groups = frame[unit].nunique()
    t = stats.t.ppf((1 + confidence) / 2, groups - 1)
    first = _feols(f"_x ~ _z | {effects}", stacked, "_unit").tidy().loc["_z"]
    return {"estimate": estimate, "se": se, "ci_low": estimate - t * se,
            "ci_high": estimate + t * se,
            "p_value": float(2 * stats.t.sf(abs(estimate / se), groups - 1)) if se > 0 else np.nan,
            "n": int(len(frame)), "n_units": int(groups),
            "first_stage_f": float(first["t value"] ** 2),
            "method": f"split_half_iv_{design}_pyfixest_cr1_unit"}


def within_unit_reliability(data: pd.DataFrame, x_a: str, x_b: str, unit: str, time: str,
                            confidence: float = 0.95, outcome: str | None = None) -> pd.DataFrame:
    """Share of a score's within-unit variance that is real change, not sampling noise.

    The correlation of the two random halves after removing unit and period means is the
    reliability of a half; Spearman–Brown, 2r / (1 + r), gives the full score's. The
    interval comes from a bootstrap over units (1,000 draws, seed 0). One tidy row,
    estimand ``within_unit_reliability``.
    """
    frame = data[[unit, time, x_a, x_b]].dropna()

    def two_way(values: pd.Series) -> np.ndarray:
        v = values - values.groupby(frame[unit]).transform("mean")
        return (v - v.groupby(frame[time]).transform("mean")).to_numpy()

    a, b = two_way(frame[x_a]), two_way(frame[x_b])
    codes = pd.factorize(frame[unit])[0]
    groups = codes.max() + 1

    def full(ia: np.ndarray, ib: np.ndarray, weights: np.ndarray) -> float:
        r = (weights * ia * ib).sum() / np.sqrt((weights * ia ** 2).sum() * (weights * ib ** 2).sum())
        return 2 * r / (1 + r) if r > -1 else np.nan

    estimate = full(a, b, np.ones_like(a))
    rng = np.random.default_rng(0)
    draws = np.array([full(a, b, np.bincount(rng.integers(0, groups, groups),
                                             minlength=groups)[codes]) for _ in range(1000)])
    low, high = np.nanpercentile(draws, [50 * (1 - confidence), 50 * (1 + confidence)])
    return tidy([{"analysis": "linkage", "estimand": "within_unit_reliability", "subject": "all",
                  "outcome": outcome or x_a.removesuffix("_a"), "term": "split_half",
                  "estimate": estimate, "se": float(np.nanstd(draws, ddof=1)), "ci_low": low,
                  "ci_high": high, "p_value": np.nan, "confidence": confidence,
                  "n": int(len(frame)),
                  "method": "split_half_spearman_brown_within_unit_bootstrap_units"}])


def cross_lagged_iv(data: pd.DataFrame, outcome: str, cause: str, unit: str, time: str,
                    confidence: float = 0.95) -> dict:
    """Effect of ``cause`` in period t on ``outcome`` in t + 1, corrected for survey noise and
    for the feedback of the outcome on the cause, in short panels (one direction of a
    cross-lagged panel model).

    Model, in first differences (removing each unit's level) with period effects::

        Δy(t+1) = φ Δy(t) + β0 Δx(t) + β1 Δx(t−1) + period + Δe(t+1)

    ``β0`` is the reported effect. Each score is measured twice (random halves ``*_a`` and
    ``*_b`` of its respondents): the regressors come from one half and their instruments
    from the other, so sampling errors cannot bias the slopes; the lagged outcome's change
    Δy(t) is instrumented by the other half's level y(t−1) (Anderson & Hsiao 1981), which
    predates the shock e(t) it shares with Δy(t). Both orderings of the halves are stacked;
    errors are clustered by unit. Controlling for the lagged outcome and the lagged cause is
    what keeps the estimate unbiased when the outcome persists and when the cause reacts to
    earlier outcomes (EX to last quarter's CX and the other way round); a plain fixed-effects
    regression with a lagged regressor is biased in panels of 6–12 waves (Nickell 1981).

    ``data`` has one row per unit and consecutive period with ``outcome``, ``outcome_a``,
    ``outcome_b``, ``cause_a`` and ``cause_b``. Needs at least four consecutive periods.
    """
    from linearmodels.iv import IV2SLS

    confidence = check_confidence(confidence)
    needed = [unit, time, outcome] + [f"{c}_{h}" for c in (outcome, cause) for h in "ab"]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[needed].sort_values([unit, time])
    grouped = frame.groupby(unit)
    # rows of consecutive periods only: a gap in a unit's waves breaks its differences
    consecutive = (grouped[time].shift(-1) == frame[time] + 1) & \
                  (grouped[time].shift(2) == frame[time] - 2)
    stacked = []
    for copy, (mine, other) in enumerate((("a", "b"), ("b", "a"))):
        def shift(column: str, k: int) -> pd.Series:
            return grouped[column].shift(k)

        y, x = f"{outcome}_{mine}", f"{cause}_{mine}"
        y_other, x_other = f"{outcome}_{other}", f"{cause}_{other}"
        stacked.append(pd.DataFrame({
            "unit": frame[unit], "period": (frame[time] + 1).astype(str) + f"|{copy}",
            "dy": shift(outcome, -1) - frame[outcome],
            "dy_lag": frame[y] - shift(y, 1), "z_y": shift(y_other, 1),
            "dx": frame[x] - shift(x, 1), "z_x": frame[x_other] - shift(x_other, 1),
            "dx_lag": shift(x, 1) - shift(x, 2), "z_x_lag": shift(x_other, 1) - shift(x_other, 2),
        })[consecutive])
    rows = pd.concat(stacked, ignore_index=True).dropna()
    groups = rows["unit"].nunique()
    if groups < 10 or rows["period"].nunique() < 2:
        raise ParameterError("the cross-lagged estimate needs at least four consecutive waves "
                             "in at least ten units with both halves of each score.")
    periods = pd.get_dummies(rows["period"], prefix="period", dtype=float)  # per copy
    endogenous = ["dy_lag", "dx", "dx_lag"]
    fit = IV2SLS(rows["dy"], periods, rows[endogenous], rows[["z_y", "z_x", "z_x_lag"]]).fit(
        cov_type="clustered", clusters=pd.factorize(rows["unit"])[0], debiased=True)
    estimate, se = float(fit.params["dx"]), float(fit.std_errors["dx"])
    t = stats.t.ppf((1 + confidence) / 2, groups - 1)
    strength = fit.first_stage.diagnostics["f.stat"]
    return {"estimate": estimate, "se": se, "ci_low": estimate - t * se,
            "ci_high": estimate + t * se,
            "p_value": float(2 * stats.t.sf(abs(estimate / se), groups - 1)) if se > 0 else np.nan,
            "n": int(len(rows) // 2), "n_units": int(groups),
            "first_stage_f": float(strength.min()),
            "persistence": float(fit.params["dy_lag"]),
            "method": "cross_lagged_first_difference_split_half_iv_linearmodels_cr1_unit"}
