"""Unit scores are measurements: links between them estimated without the survey-noise bias.

A unit's engagement index or NPS for a period is the mean of a few dozen answers, so it is
the unit's real experience plus a sampling error often as large as the real change inside a
unit. Regressing one score on another then biases the slope toward zero (attenuation), and
fixed effects make it worse: demeaning keeps the noise and removes the real between-unit
signal.

Method: **split-half instrumental variables.** Each unit-period's respondents are split at
random into two halves (``x_a``, ``x_b``; :func:`cxex_analysis.panels.unit_panels.ex_halves` keeps each
employee in the same half every wave): two measurements of the same score whose sampling
errors are independent. Half A is the regressor and half B its instrument, and the other way
round, stacked (both orderings, each with its own fixed effects; errors clustered by unit,
which also covers the stacking). Only the regressor's noise biases a slope; noise in the
outcome widens the interval and nothing else.

* :func:`split_half_iv` — ``design="within"``: unit and period fixed effects (revenue per
  customer on NPS quarter by quarter); ``design="first_difference"``: each unit's change
  from the period before, with period effects (the placebo: CX in t on EX in t + 1).
* :func:`cross_lagged` — the lagged links in both directions (H2: EX in t -> CX in t + 1;
  H3: CX in t -> EX in t + 1): first differences that hold the outcome's earlier change
  fixed, so that neither direction is biased by the feedback of the other in panels of
  6–12 waves.

Inference (:func:`_iv`): each estimate is a ratio of two reduced forms; their joint
cluster-robust covariance gives the Wald SE, an **Anderson–Rubin (Fieller) interval** that
stays valid however weak the halves are as instruments (unbounded, and reported as such,
when the data cannot pin the link down), the reduced-form p-value, and a second-order
(Fuller) point estimate that stays nearly unbiased when the halves are only moderately
strong instruments. Intervals use t with (units − 1)
degrees of freedom.

Assumptions: classical, independent sampling error (a respondent answers in one half only;
the halves' errors are independent of each other and of the real experience); the random
split (or, with ``employee_key``, a seeded split of people); for the lagged links, feedback
through the previous period only. The halves' within-unit correlation is reported as each
score's reliability (:func:`within_unit_reliability`, Spearman–Brown for the full sample).

Alternatives considered: a reliability correction from the known sampling variances (needs
the two-way annihilator's leverage and assumes the variance formulas hold exactly, which a
panel of the same employees wave after wave breaks), SIMEX (extrapolates a functional form),
Anderson–Hsiao instruments for the lagged outcome (too weak: an interval of ±35 NPS points
per engagement point on the demo). Split-half IV needs no variance formula and no
extrapolation.

Validated against: pyfixest's IV estimator, which reproduces Wooldridge's Example 15.1
(return to education instrumented by father's education, 0.0592, SE 0.0351), and
linearmodels' ``IV2SLS`` with per-copy dummies (same 2SLS ratio to 1e-8); planted truths of
latent worlds (:mod:`cxex_analysis.simulation.latent`, :mod:`cxex_analysis.simulation.calibration`) in which the
corrected estimates are unbiased with honest intervals and the uncorrected ones miss
(``tests/test_measurement.py``, ``tests/test_calibration.py``).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import InsufficientData, ParameterError, check_argument, check_confidence
from cxex_analysis.estimators.fixed_effects import (
    absorb_effects,
    cr1_factor,
    n_levels,
    stack_halves,
)
from cxex_analysis.results import tidy

DESIGNS = ("within", "first_difference")


class IVEstimate(TypedDict, total=False):
    """A link estimated with split-half instruments: estimate (Fuller), the plain IV ratio,
    SE, Anderson–Rubin interval (``bounded`` False when the data cannot bound it), p-value,
    first-stage F, units and observations, and the method id; :func:`cross_lagged` adds
    whether the outcome's earlier change was held fixed and that control's strength."""

    estimate: float
    ratio: float
    se: float
    ci_low: float
    ci_high: float
    bounded: bool
    p_value: float
    first_stage_f: float
    n_units: int
    n: int
    method: str
    control_used: bool
    control_first_stage_f: float



#: below this first-stage F an instrument is weak: the outcome's earlier change is too noisy
#: to hold fixed, and the second-order bias correction is not applied
WEAK_CONTROL_F = 10.0


FLAT = ("the scores do not change within units beyond what all units share each period, so "
        "one cannot be separated from the other.")


def _iv(dy: np.ndarray, dx: np.ndarray, z: np.ndarray, clusters: np.ndarray, absorbed: int,
        confidence: float, control: np.ndarray | None = None,
        control_z: np.ndarray | None = None) -> IVEstimate:
    """Just-identified IV of ``dy`` on ``dx`` (instrument ``z``), optionally holding an
    endogenous ``control`` fixed (instrument ``control_z``), on data whose fixed effects are
    already projected out; errors clustered by ``clusters``.

    The 2SLS estimate (``ratio``) is θ_y / θ_x, where θ_v is the coefficient of ``z`` when
    ``v`` is regressed on ``z`` (and the instrumented control): the ratio of two reduced
    forms. A ratio of noisy quantities has no finite mean and is skewed when the instrument
    is only moderately strong (a few dozen answers per half); the reported ``estimate`` is
    Fuller's k-class estimator with α = 1 (Fuller 1977), which has moments, is nearly
    mean-unbiased under weak instruments (Hahn, Hausman & Kuersteiner 2004) and equals 2SLS
    to first order. The reduced forms' joint cluster-robust covariance V (CR1:
    G/(G−1) × (N−1)/(N−K), K counting the absorbed effects not nested in the clusters) gives

    * the Wald SE (delta method; equal to the 2SLS cluster-robust SE);
    * the **Anderson–Rubin / Fieller interval**: every b for which θ_y − b θ_x is not
      significantly different from 0 at t(G − 1). It is valid however weak the instrument:
      bounded when the first stage is significant, unbounded (``ci_low``/``ci_high`` NaN,
      ``bounded`` False) when the data cannot tell the slope apart from any value;
    * the p-value of b = 0 (the reduced-form test, equally robust);
    * ``first_stage_f`` = θ_x² / V_xx, the instrument's strength given the control.
    """
    arrays = [dy, dx, z] + ([] if control is None or control_z is None else [control, control_z])
    if min(float(np.abs(a).max(initial=0.0)) for a in arrays) < 1e-9:
        raise InsufficientData(FLAT)
    try:
        return _iv_fit(dy, dx, z, clusters, absorbed, confidence, control, control_z)
    except np.linalg.LinAlgError:  # the halves or the control are collinear with the effects
        raise InsufficientData(FLAT) from None


def _iv_fit(dy: np.ndarray, dx: np.ndarray, z: np.ndarray, clusters: np.ndarray, absorbed: int,
            confidence: float, control: np.ndarray | None,
            control_z: np.ndarray | None) -> IVEstimate:
    if control is None or control_z is None:
        regressors = instruments = z[:, None]
    else:
        regressors, instruments = np.column_stack([z, control]), np.column_stack([z, control_z])
    (theta_y, theta_x), cov, groups = _reduced_forms(dy, dx, regressors, instruments, clusters,
                                                     absorbed)
    (v_yy, v_yx), (_, v_xx) = cov
    ratio = theta_y / theta_x if theta_x != 0 else np.nan
    se = (np.sqrt(max(v_yy - 2 * ratio * v_yx + ratio ** 2 * v_xx, 0)) / abs(theta_x)
          if theta_x != 0 else np.nan)
    endogenous = np.column_stack([dx] if control is None else [dx, control])
    low, high = _anderson_rubin(theta_y, theta_x, cov, groups, confidence)
    return {"estimate": _fuller(dy, endogenous, instruments, absorbed), "ratio": float(ratio),
            "se": float(se), "ci_low": low, "ci_high": high, "bounded": bool(np.isfinite(low)),
            "p_value": float(2 * stats.t.sf(abs(theta_y) / np.sqrt(v_yy), groups - 1))
            if v_yy > 0 else np.nan,
            "first_stage_f": float(theta_x ** 2 / v_xx) if v_xx > 0 else np.nan,
            "n_units": int(groups)}


def _reduced_forms(dy: np.ndarray, dx: np.ndarray, regressors: np.ndarray,
                   instruments: np.ndarray, clusters: np.ndarray, absorbed: int):
    """The coefficients of the instrument (θ_y, θ_x) when ``dy`` and ``dx`` are regressed on it
    (and the instrumented control), their joint cluster-robust covariance (CR1, K counting
    the absorbed effects not nested in the clusters) and the number of clusters."""
    inverse = np.linalg.inv(instruments.T @ regressors)
    outcomes = np.column_stack([dy, dx])
    coefficients = inverse @ (instruments.T @ outcomes)  # k x 2
    residuals = outcomes - regressors @ coefficients
    weight = instruments @ inverse[0]  # row i's weight in θ's influence
    codes, groups = pd.factorize(clusters)[0], len(np.unique(clusters))
    scores = np.zeros((groups, 2))
    np.add.at(scores, codes, weight[:, None] * residuals)
    factor = cr1_factor(groups, len(dy), regressors.shape[1] + absorbed)
    return coefficients[0], factor * scores.T @ scores, groups


def _fuller(dy: np.ndarray, endogenous: np.ndarray, instruments: np.ndarray,
            absorbed: int) -> float:
    """Fuller's k-class estimate (alpha = 1) of the first endogenous regressor's slope, just
    identified (the LIML kappa is 1): the 2SLS ratio has no finite mean and is skewed when
    the instrument is only moderately strong; Fuller's has moments and is nearly unbiased
    (Fuller 1977; Hahn, Hausman & Kuersteiner 2004). Equal to linearmodels'
    ``IVLIML(fuller=1)`` (``tests/test_measurement.py``)."""
    both = np.column_stack([endogenous, dy])
    projected = instruments @ np.linalg.solve(instruments.T @ instruments, instruments.T @ both)
    k = 1 - 1 / max(len(dy) - instruments.shape[1] - absorbed, 1)
    gram = (1 - k) * endogenous.T @ both + k * endogenous.T @ projected
    return float(np.linalg.solve(gram[:, :-1], gram[:, -1])[0])


def _anderson_rubin(theta_y: float, theta_x: float, cov: np.ndarray, groups: int,
                    confidence: float) -> tuple[float, float]:
    """The Anderson–Rubin (Fieller) interval: every b for which θ_y − b θ_x is not
    significantly different from 0 at t(G − 1); (NaN, NaN) when it is unbounded."""
    (v_yy, v_yx), (_, v_xx) = cov
    crit = stats.t.ppf((1 + confidence) / 2, groups - 1) ** 2
    a = theta_x ** 2 - crit * v_xx
    b = -2 * (theta_y * theta_x - crit * v_yx)
    c = theta_y ** 2 - crit * v_yy
    if not (a > 0 and b * b - 4 * a * c >= 0):
        return np.nan, np.nan
    root = np.sqrt(b * b - 4 * a * c)
    low, high = sorted(((-b - root) / (2 * a), (-b + root) / (2 * a)))
    return float(low), float(high)


def planted_panel(units: int = 1000, periods: int = 8, seed: int = 2) -> pd.DataFrame:
    """A unit × period panel with a planted truth, the Examples' starting point.

    Each unit's real score ``x`` is its own level plus a change each period (both sd 1), and
    each period's survey measures it twice, in two random halves ``x_a`` and ``x_b`` with
    independent noise (sd 1 each); ``x`` is their mean, so within units a third of its
    variance is noise (reliability 2/3). Planted on the real score:

    * ``y`` = 2 × real x + noise (a same-period slope of 2);
    * ``later`` = 0.5 × the real x of the period before + noise (a lagged effect of 0.5),
      measured in halves ``later_a``, ``later_b``;
    * ``m`` = 0.8 × real x + noise, measured in halves ``m_a``, ``m_b``, and ``money`` =
      1.5 × real m + 0.3 × real x + noise (an indirect effect of 0.8 × 1.5 = 1.2).

    Examples
    --------
    >>> panel = planted_panel()
    >>> panel.shape, list(panel.columns)
    ((8000, 13), ['unit', 'period', 'x_a', 'x_b', 'y', 'later_a', 'later_b', 'm_a', 'm_b',
     'money', 'x', 'later', 'm'])
    """
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)

    def noise() -> np.ndarray:
        return rng.normal(0.0, 1.0, len(unit))

    real_x = rng.normal(0.0, 1.0, units)[unit] + noise()
    real_m = 0.8 * real_x + noise()
    before = pd.Series(real_x).groupby(unit).shift(1).to_numpy()
    later = rng.normal(0.0, 1.0, units)[unit] + 0.5 * before + noise()
    panel = pd.DataFrame({"unit": unit, "period": period, "x_a": real_x + noise(),
                          "x_b": real_x + noise(), "y": 2.0 * real_x + noise(),
                          "later_a": later + noise(), "later_b": later + noise(),
                          "m_a": real_m + noise(), "m_b": real_m + noise(),
                          "money": 1.5 * real_m + 0.3 * real_x + noise()})
    for score in ("x", "later", "m"):
        panel[score] = (panel[f"{score}_a"] + panel[f"{score}_b"]) / 2
    return panel


def split_half_iv(data: pd.DataFrame, y: str, x_a: str, x_b: str, unit: str, time: str,
                  design: str = "within", confidence: float = 0.95) -> IVEstimate:
    """Slope of ``y`` on a score measured twice (random halves ``x_a``, ``x_b``), corrected
    for the score's sampling noise.

    Parameters
    ----------
    data : DataFrame
        One row per unit and period with ``y`` and both halves of the regressor.
    design : {"within", "first_difference"}
        Unit and period fixed effects, or changes from the unit's previous wave (the
        previous period that any unit has: every period, or every survey of an annual one;
        a unit that missed it has no change there) with period effects.

    Returns
    -------
    dict
        ``estimate, se`` (Wald, clustered by unit), ``ci_low, ci_high`` (Anderson–Rubin,
        robust to weak instruments; NaN when unbounded), ``bounded``, ``p_value``, ``n``
        (unit-periods used), ``n_units``, ``first_stage_f`` (the halves' strength as
        instruments) and ``method``.

    Examples
    --------
    :func:`planted_panel`'s slope is 2; ordinary least squares on the noisy score is pulled
    toward zero by its reliability (2 × 2/3), the split halves are not:

    >>> panel = planted_panel()
    >>> link = split_half_iv(panel, "y", "x_a", "x_b", "unit", "period")
    >>> round(link["estimate"], 2), link["ci_low"] < 2 < link["ci_high"], link["n_units"]
    (2.02, True, 1000)
    """
    check_argument("design", design, DESIGNS)
    confidence = check_confidence(confidence)
    missing = [c for c in (y, x_a, x_b, unit, time) if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[[unit, time, y, x_a, x_b]].dropna().sort_values([unit, time])
    if design == "first_difference":
        wave_before = _wave_before(frame[time], frame[time]).to_numpy()  # any unit's
        previous = frame.groupby(unit)[time].shift(1).to_numpy()
        changes = frame[[y, x_a, x_b]] - frame.groupby(unit)[[y, x_a, x_b]].shift(1)
        frame = pd.concat([frame[[unit, time]], changes], axis=1)[previous == wave_before]
        frame = frame.dropna()
    if frame[unit].nunique() < 3 or len(frame) < 10:
        raise InsufficientData("too few units with both halves of the score to correct for "
                             "survey noise.")
    stacked = stack_halves(frame, x_a, x_b)
    copy = stacked["_copy"].astype(str)
    effects = [stacked[time].astype(str) + "|" + copy]
    nested = 0  # unit effects are nested in the unit clusters: not counted in K
    if design == "within":
        effects.insert(0, stacked[unit].astype(str) + "|" + copy)
        nested = stacked[unit].nunique() * 2
    values = absorb_effects(stacked[[y, "_x", "_z"]], effects)
    fit = _iv(values[:, 0], values[:, 1], values[:, 2], stacked[unit].to_numpy(),
              n_levels(effects) - nested, confidence)
    return {**fit, "n": int(len(frame)),
            "method": f"split_half_iv_{design}_anderson_rubin_cr1_unit"}


def other_question_iv(data: pd.DataFrame, y: str, x: str, z: str, unit: str, time: str,
                      confidence: float = 0.95, within: bool = True) -> IVEstimate:
    """Slope of ``y`` on a single answer ``x`` within ``unit`` (a customer who answered more
    than once) and ``time``, corrected for the answer's own noise with another question of the
    same response ``z`` (the satisfaction answer beside the recommend one).

    Two questions answered at once measure the same experience, each with noise of its own:
    ``z`` is an instrument for ``x`` whatever its scale (the slope stays per point of ``x``).
    Units with one row carry nothing within a unit and are left out. Estimate, SE and
    Anderson–Rubin interval as :func:`split_half_iv` (clustered by unit). ``within=False``
    compares units with each other instead (``time`` effects only, every row kept, still
    clustered by unit): for an outcome that happens once, such as a customer leaving.

    Examples
    --------
    A customer's monthly spend rises 3 per point of their satisfaction, which each answer
    measures with noise as large as its real changes: the answer alone finds half of it, the
    second question restores it.

    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(0, 1, (3000, 4))
    >>> frame = pd.DataFrame({"customer": np.repeat(np.arange(3000), 4),
    ...                       "month": np.tile(range(4), 3000),
    ...                       "spend": (3 * real + rng.normal(0, 2, real.shape)).ravel(),
    ...                       "recommend": (real + rng.normal(0, 1, real.shape)).ravel(),
    ...                       "satisfied": (real + rng.normal(0, 1, real.shape)).ravel()})
    >>> link = other_question_iv(frame, "spend", "recommend", "satisfied", "customer", "month")
    >>> round(link["estimate"], 1), bool(link["ci_low"] < 3 < link["ci_high"]), link["n_units"]
    (3.1, True, 3000)
    """
    confidence = check_confidence(confidence)
    missing = [c for c in (y, x, z, unit, time) if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[[unit, time, y, x, z]].dropna()
    if within:
        frame = frame[frame[unit].map(frame[unit].value_counts()) > 1]
    if frame[unit].nunique() < 3 or len(frame) < 10:
        raise InsufficientData("too few customers answered more than once to follow a customer "
                               "over time." if within else "too few customers answered.")
    effects = [frame[unit].astype(str)] * within + [frame[time].astype(str)]
    values = absorb_effects(frame[[y, x, z]], effects)
    fit = _iv(values[:, 0], values[:, 1], values[:, 2], frame[unit].to_numpy(),
              n_levels(effects) - frame[unit].nunique() * within, confidence)
    return {**fit, "n": int(len(frame)),
            "method": f"other_question_iv_{'within' if within else 'between'}_unit_"
                      "anderson_rubin_cr1_unit"}


def within_unit_reliability(data: pd.DataFrame, x_a: str, x_b: str, unit: str, time: str,
                            confidence: float = 0.95, outcome: str | None = None,
                            x: str | None = None) -> pd.DataFrame:
    """Share of a score's within-unit variance that is real change, not sampling noise.

    After removing unit and period means, the two halves' covariance is the variance of the
    real change (their errors are independent); divided by the variance of the full score
    ``x`` it is the full score's reliability — whatever the halves' sizes, and with the
    same people answering wave after wave (the full score's noise is then only what changes
    between waves: states, and who answered). Without ``x``, two equal random halves of
    fresh respondents are assumed: the halves' correlation is a half's reliability and
    Spearman–Brown, 2r / (1 + r), the full score's. The interval comes from a bootstrap over
    units (1,000 draws, seed 0). One tidy row, estimand ``within_unit_reliability``.

    Examples
    --------
    :func:`planted_panel`'s score: real change of variance 1 within units, each half's noise
    of variance 1, so the mean of the halves is 1 / (1 + 1/2) = 2/3 real:

    >>> panel = planted_panel()
    >>> row = within_unit_reliability(panel, "x_a", "x_b", "unit", "period", x="x").iloc[0]
    >>> round(row["estimate"], 2), row["ci_low"] < 2 / 3 < row["ci_high"]
    (0.67, True)
    """
    columns = [unit, time, x_a, x_b] + ([x] if x else [])
    frame = data[columns].dropna()

    def two_way(values: pd.Series) -> np.ndarray:
        v = values - values.groupby(frame[unit]).transform("mean")
        return (v - v.groupby(frame[time]).transform("mean")).to_numpy()

    a, b = two_way(frame[x_a]), two_way(frame[x_b])
    whole = two_way(frame[x]) if x else None
    codes = pd.factorize(frame[unit])[0]
    groups = codes.max() + 1 if len(codes) else 0
    if groups < 2:
        raise InsufficientData("too few units with both halves of the score to tell real change "
                               "from sampling noise")

    def share(weights: np.ndarray) -> float:
        if whole is not None:
            return (weights * a * b).sum() / (weights * whole ** 2).sum()
        r = (weights * a * b).sum() / np.sqrt((weights * a ** 2).sum() * (weights * b ** 2).sum())
        return 2 * r / (1 + r) if r > -1 else np.nan

    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = share(np.ones_like(a))
        rng = np.random.default_rng(0)
        draws = np.array([share(np.bincount(rng.integers(0, groups, groups),
                                            minlength=groups)[codes]) for _ in range(1000)])
    low, high = np.nanpercentile(draws, [50 * (1 - confidence), 50 * (1 + confidence)])
    method = ("split_half_covariance_over_full_variance_within_unit_bootstrap_units" if x
              else "split_half_spearman_brown_within_unit_bootstrap_units")
    return tidy([{"analysis": "linkage", "estimand": "within_unit_reliability", "subject": "all",
                  "outcome": outcome or x_a.removesuffix("_a"), "term": "split_half",
                  "estimate": estimate, "se": float(np.nanstd(draws, ddof=1)), "ci_low": low,
                  "ci_high": high, "p_value": np.nan, "confidence": confidence,
                  "n": int(len(frame)), "method": method}])


def _wave_before(waves, periods, not_two_before: bool = False) -> pd.Series:
    """For each of ``periods``, the wave (a period in ``waves``) just before it; NaN for the
    first wave and for periods that are not waves. Every period a wave: t − 1.

    ``not_two_before``: the latest wave before that is not two periods before (waves every
    half-year are then compared a year apart), so that the period after the earlier wave is
    never the period before the later one (see :func:`_cross_lagged_changes`)."""
    ordered = np.sort(pd.unique(np.asarray(waves)))
    before = {}
    for i, wave in enumerate(ordered):
        earlier = [w for w in ordered[:i] if not (not_two_before and w == wave - 2)]
        if earlier:
            before[wave] = earlier[-1]
    return pd.Series(before, dtype=float).reindex(np.asarray(periods))


def _cross_lagged_changes(frame: pd.DataFrame, outcome: str, cause: str, unit: str,
                          time: str) -> pd.DataFrame:
    """The changes :func:`cross_lagged` regresses, both orderings of the halves stacked.

    The waves are the periods in which the organisation measured the cause with the outcome
    of the period after (any unit); each wave is compared with the wave before it: the
    outcome's change between the periods after them (``dy``), the cause's change between
    them from one half (``dx``) and the other (``z_x``), the outcome's change between the
    periods before them likewise (``dy_before``, ``z_y``). With a wave every period these are
    the changes into t + 1, t and t − 1; with annual employee surveys beside quarterly
    customer scores, a year's changes of the quarters after, at and before each wave. Waves
    two periods apart (half-yearly) are compared with the wave before the wave before: with
    the wave just before, the outcome's change would start in the period where its control
    ends, and the full score there shares sampling error with the control's instrument.
    Rows with a missing score have it missing (NaN)."""
    frame = frame.drop_duplicates([unit, time]).set_index([unit, time])
    units = frame.index.get_level_values(0)
    periods = frame.index.get_level_values(1)

    def at(column: str, periods_wanted) -> np.ndarray:  # column in the same unit's period
        where = pd.MultiIndex.from_arrays([units, periods_wanted])
        return frame[column].reindex(where).to_numpy(float)

    measured = (frame[f"{cause}_a"].notna() & frame[f"{cause}_b"].notna()).to_numpy() \
        & ~np.isnan(at(outcome, periods + 1))
    if pd.unique(periods[measured]).size < 2:
        return pd.DataFrame(columns=["unit", "period", "dy", "dx", "z_x", "dy_before", "z_y"])
    previous = _wave_before(periods[measured], periods, not_two_before=True).to_numpy()
    keep = measured & ~pd.isna(previous)
    units, periods, previous = units[keep], periods[keep], previous[keep].astype(periods.dtype)

    def change(column: str, step: int) -> np.ndarray:
        return at(column, periods + step) - at(column, previous + step)

    stacked = []
    for copy, (mine, other) in enumerate((("a", "b"), ("b", "a"))):
        stacked.append(pd.DataFrame({
            "unit": units, "period": (periods + 1).astype(str) + f"|{copy}",
            "dy": change(outcome, 1), "dx": change(f"{cause}_{mine}", 0),
            "z_x": change(f"{cause}_{other}", 0), "dy_before": change(f"{outcome}_{mine}", -1),
            "z_y": change(f"{outcome}_{other}", -1)}))
    return pd.concat(stacked, ignore_index=True).dropna(subset=["dy", "dx", "z_x"])


def _with_control(rows: pd.DataFrame, control: bool | None) -> pd.DataFrame:
    """The changes whose control (the outcome's earlier change) is measured; where it never
    is (the engagement index of annual surveys as the outcome of quarterly NPS), the link is
    not identified unless ``control`` is False (then the control's columns are zero)."""
    held = rows.dropna()
    if len(held) or control is not False:
        if len(rows) and not len(held) and rows["unit"].nunique() >= 10:
            raise InsufficientData(
                "the outcome is not measured in the period before each wave of the cause (for "
                "example, annual employee surveys beside quarterly customer scores), so the "
                "cause's reaction to the outcome cannot be held fixed and the link is not "
                "identified.")
        return held
    return rows.fillna({"dy_before": 0.0, "z_y": 0.0})


def cross_lagged(data: pd.DataFrame, outcome: str, cause: str, unit: str, time: str,
                 confidence: float = 0.95, control: bool | None = None) -> IVEstimate:
    """Effect of ``cause`` in period t on ``outcome`` in t + 1, corrected for survey noise and
    for the feedback of the outcome on the cause, in short panels (one direction of a
    cross-lagged panel model).

    Model, in first differences (removing each unit's level) with period effects::

        Δy(t+1) = β Δx(t) + δ Δy(t−1) + period + Δe(t+1)

    ``β`` is the reported effect. ``Δy(t−1)`` is the outcome's change just before the
    cause's: the path through which the cause reacts to the outcome (EX to last quarter's
    CX, or the other way round). Holding it fixed leaves in ``Δx(t)`` only the cause's own
    news, which is unrelated to the outcome's later shocks even when those persist; ``δ``
    absorbs the persistence and is not interpreted. A fixed-effects regression with a lagged
    dependent variable would be biased in panels of 6–12 waves (Nickell 1981); first
    differences without this control would be biased by persistent shocks of the outcome.

    Each score is measured twice (random halves ``*_a`` and ``*_b`` of its respondents):
    ``Δx(t)`` and ``Δy(t−1)`` come from one half and are instrumented by the same changes
    in the other half, so the sampling errors cannot bias the slopes; the outcome's change
    is the full score's (its noise only widens the interval), and the periods it spans do
    not overlap those of the regressors, so its sampling errors are independent of theirs.
    Both orderings of the halves are stacked with their own period effects; errors are
    clustered by unit and the interval uses t with (units − 1) degrees of freedom.

    Assumptions: the cause reacts to the outcome of the period before (one-wave feedback);
    the cause's own shocks are independent of the outcome's; classical sampling error.

    ``control=None`` (default) holds ``Δy(t−1)`` fixed unless its instruments are weak
    (first-stage F below :data:`WEAK_CONTROL_F`: a score whose movement inside units is
    mostly sampling noise, such as NPS from a few dozen answers), where a noisy control would
    only add noise; the model is then ``Δy(t+1) = β Δx(t) + period + Δe(t+1)``, unbiased
    when the outcome's shocks do not persist from one period to the next or the cause does
    not react to the outcome, and ``control_used`` and ``method`` say so.
    ``data`` has one row per unit and period with ``outcome``, ``outcome_a``, ``outcome_b``,
    ``cause_a`` and ``cause_b``; a missing score removes the rows that use it.

    **Waves need not be every period** (surveys every half-year or year beside quarterly
    customer scores): each wave is compared with the wave before — the cause's change between
    them, the outcome's between the periods just after them and just before them
    (:func:`_cross_lagged_changes`); the model is the same. Where the outcome is never
    measured the period before a wave, :class:`InsufficientData` says the link is not
    identified (unless ``control=False``).

    Examples
    --------
    :func:`planted_panel`'s ``later`` follows the real ``x`` of the period before at 0.5:

    >>> panel = planted_panel()
    >>> link = cross_lagged(panel, "later", "x", "unit", "period")
    >>> round(link["estimate"], 2), link["ci_low"] < 0.5 < link["ci_high"], link["control_used"]
    (0.5, True, True)
    """
    confidence = check_confidence(confidence)
    needed = [unit, time, outcome] + [f"{c}_{h}" for c in (outcome, cause) for h in "ab"]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    rows = _with_control(_cross_lagged_changes(data[needed], outcome, cause, unit, time),
                         control)
    groups = rows["unit"].nunique()
    if groups < 10 or rows["period"].nunique() < 2:
        raise InsufficientData("the cross-lagged estimate needs four consecutive waves in at least "
                             "ten units with both halves of each score.")
    effects = [rows["period"]]  # period effects, one set per copy
    values = absorb_effects(rows[["dy", "dx", "z_x", "dy_before", "z_y"]], effects)
    clusters = rows["unit"].to_numpy()
    absorbed = n_levels(effects)

    def fit_with(with_control: bool) -> IVEstimate:
        extra = {"control": values[:, 3], "control_z": values[:, 4]} if with_control else {}
        return _iv(values[:, 0], values[:, 1], values[:, 2], clusters, absorbed + with_control,
                   confidence, **extra)

    fit = fit_with(True) if control is not False else None
    control_f = np.nan
    if fit is not None:  # the control's strength: its instrument, given the cause's
        control_f = _iv(values[:, 3], values[:, 3], values[:, 4], clusters, absorbed + 1,
                        confidence, control=values[:, 2], control_z=values[:, 2])["first_stage_f"]
    used = control is True or (control is None and control_f >= WEAK_CONTROL_F)
    if fit is None or not used:
        fit = fit_with(False)
    method = ("cross_lagged_first_difference_split_half_iv_anderson_rubin_cr1_unit" if used else
              "first_difference_split_half_iv_anderson_rubin_cr1_unit_without_the_outcome's_"
              "earlier_change" + (" (too noisy to hold fixed)" if control is None else ""))
    return {**fit, "n": int(len(rows) // 2), "control_used": bool(used),
            "control_first_stage_f": float(control_f), "method": method}
