"""Two-way fixed effects and the panel helpers around it.

:func:`twfe` is :class:`linearmodels.iv.absorbing.AbsorbingLS` with unit and period effects
absorbed (the same coefficients as ``PanelOLS`` with entity and time effects, several times
faster). Its unadjusted SE is rescaled by the residual degrees of freedom net of the absorbed
effects, which reproduces Wooldridge's fixed-effects SEs; the clustered SE is CR1 as Stata's
``xtreg, fe vce(cluster unit)`` (G/(G−1) × (n−1)/(n−k)). Validated against
``linearmodels.datasets.wage_panel``: union 0.0800 (SE 0.0193), Wooldridge *Introductory
Econometrics* Table 14.2 (``tests/test_linkage.py``).

Also: :func:`lagged_pairs` (x in t beside y in t + lag), :func:`two_way_demean` and
:func:`absorb_effects` (pyfixest's alternating projections), :func:`leave_one_unit_out`
(influence of each unit on a slope).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from linearmodels.iv.absorbing import AbsorbingLS
from linearmodels.panel.utility import AbsorbingEffectError
from scipy import stats

from cxex_analysis.errors import InsufficientData, ParameterError, check_argument, check_confidence


def lagged_pairs(panel: pd.DataFrame, x: str, y: str, lag: int = 1, unit: str = "unit_id",
                 time: str = "t", exclude: str | None = None) -> pd.DataFrame:
    """Rows pairing ``x`` in period t with ``y`` in period t + ``lag`` of the same unit.

    ``lag`` may be negative (the placebo pairs a later ``x`` with an earlier ``y``). Rows
    where either side is flagged in ``exclude`` are dropped.

    Examples
    --------
    >>> panel = pd.DataFrame({"unit_id": ["a"] * 3, "t": [1, 2, 3],
    ...                       "ei": [60.0, 62, 65], "nps": [10.0, 12, 15]})
    >>> lagged_pairs(panel, "ei", "nps")[["x", "y", "y_time"]].to_numpy().tolist()
    [[60.0, 12.0, 2.0], [62.0, 15.0, 3.0]]
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


class FixedEffectsFit(TypedDict):
    """What :func:`twfe` returns: per regressor (Series indexed by name) the coefficient,
    SE, interval and p-value; the sample; residuals and fitted values; the method id."""

    params: pd.Series
    se: pd.Series
    ci_low: pd.Series
    ci_high: pd.Series
    p_value: pd.Series
    n: int
    n_units: int
    n_periods: int
    residuals: pd.Series
    fitted: pd.Series
    df_resid: int
    method: str
    frame: pd.DataFrame


def _without_one_cluster_sides(frame: pd.DataFrame, regressors: list[str], groups: pd.Series,
                               se: pd.Series, method: str) -> tuple[pd.Series, str]:
    """No clustered SE for a regressor that moves in fewer than two clusters or, when some
    clusters never see it move, in all but one: with one treated and one comparison unit the
    SE is numerically zero (1e-11) and its p-value meaningless."""
    moving = frame.groupby(groups)[regressors].std().fillna(0.0).gt(1e-12)
    degenerate = (moving.sum() < 2) | ((~moving).sum() == 1)
    if degenerate.any():
        se = se.where(~degenerate.reindex(se.index, fill_value=False))
        method += "_no_inference_one_cluster_on_a_side"
    return se, method


def _usable(data: pd.DataFrame, y: str, regressors: list[str], unit: str, time: str,
            cluster: str | None) -> pd.DataFrame:
    """The complete rows of the model's columns, or why they cannot carry two-way effects."""
    columns = [y, *regressors, unit, time] + ([cluster] if cluster and cluster not in (unit, time) else [])
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[columns].dropna()
    n, n_units, n_periods = len(frame), frame[unit].nunique(), frame[time].nunique()
    if n_units < 2 or n_periods < 2:
        raise InsufficientData(f"the data hold {n_units} unit(s) and {n_periods} period(s) with "
                               f"{y} and {', '.join(regressors)}; change within units over "
                               "periods needs at least two of each.")
    if n <= n_units + n_periods + len(regressors):
        raise InsufficientData(
            f"too few observations ({n}) for {n_units} unit and {n_periods} period effects "
            f"and {len(regressors)} regressor(s).")
    return frame


def twfe(data: pd.DataFrame, y: str, x: Sequence[str] | str, unit: str, time: str,
         cov_type: str = "clustered", cluster: str | None = None,
         confidence: float = 0.95) -> FixedEffectsFit:
    """Two-way fixed effects OLS of ``y`` on ``x`` with ``unit`` and ``time`` effects absorbed.

    Parameters
    ----------
    cov_type : {"clustered", "unadjusted", "robust"}
        ``clustered`` clusters by ``cluster`` (default: ``unit``).

    Returns
    -------
    :class:`FixedEffectsFit`: ``params``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` (Series
    by regressor),
    ``n``, ``n_units``, ``n_periods``, ``residuals``, ``fitted``, ``df_resid`` and ``method``.

    Examples
    --------
    >>> from linearmodels.datasets import wage_panel   # doctest: +SKIP
    >>> twfe(wage_panel.load(), "lwage", ["expersq", "union", "married"], "nr", "year",
    ...      cov_type="unadjusted")["params"]["union"]   # doctest: +SKIP
    0.0800...
    """
    check_argument("cov_type", cov_type, ("clustered", "unadjusted", "robust"))
    confidence = check_confidence(confidence)
    regressors = [x] if isinstance(x, str) else list(x)
    frame = _usable(data, y, regressors, unit, time, cluster)
    n, k = len(frame), len(regressors)
    n_units, n_periods = frame[unit].nunique(), frame[time].nunique()
    absorb = pd.DataFrame({"unit": pd.Categorical(frame[unit]),
                           "time": pd.Categorical(frame[time])}, index=frame.index)
    model = AbsorbingLS(frame[y], frame[regressors], absorb=absorb, drop_absorbed=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # linearmodels notes on absorbed constants
        if cov_type == "clustered":
            groups = pd.Series(pd.Categorical(frame[cluster or unit]).codes, index=frame.index)
            result = _fit(model, regressors, cov_type="clustered", clusters=groups, debiased=False)
            # CR1 as Stata's xtreg, fe: G/(G-1) x (n-1)/(n-k), with k the regressors, period
            # dummies and constant but not the unit effects (nested in the clusters);
            # linearmodels' undebiased clustered covariance applies neither factor
            n_clusters = int(groups.nunique())
            k_stata = k + (n_periods - 1) + 1
            se = result.std_errors * np.sqrt(cr1_factor(n_clusters, n, k_stata))
            method = f"twfe_absorbing_ls_cluster_{cluster or 'unit'}"
        else:
            result = _fit(model, regressors, cov_type=cov_type)
            # linearmodels divides the residual sum of squares by n; the textbook fixed-effects
            # SE divides by the residual degrees of freedom net of the absorbed effects
            df_resid = n - k - n_units - (n_periods - 1)
            se = result.std_errors * np.sqrt(n / df_resid)
            method = f"twfe_absorbing_ls_{cov_type}"
    params = result.params
    still = frame.groupby(unit)[regressors].std().fillna(0.0).le(1e-12).all()
    if still.any() or not (np.isfinite(params).all() and np.isfinite(se).all()):
        raise InsufficientData(f"{', '.join(regressors)} does not change within units beyond "
                               "what all units share each period, so its effect cannot be "
                               "separated.")
    df_resid = n - k - n_units - (n_periods - 1)
    if cov_type == "clustered":
        dist = stats.t(df=max(n_units - 1, 1))
    else:
        dist = stats.t(df=df_resid)
    if cov_type == "clustered":
        se, method = _without_one_cluster_sides(frame, regressors, frame[cluster or unit], se,
                                                method)
    q = dist.ppf(0.5 + confidence / 2)
    p_value = pd.Series(2 * dist.sf(np.abs(params / se)), index=params.index)
    return {"params": params, "se": se, "ci_low": params - q * se, "ci_high": params + q * se,
            "p_value": p_value, "n": n, "n_units": n_units, "n_periods": n_periods,
            "residuals": result.resids, "fitted": frame[y] - result.resids, "df_resid": df_resid,
            "method": method, "frame": frame}


def within_sd(frame: pd.DataFrame, column: str, unit: str, time: str) -> float:
    """The standard deviation of ``column`` left after removing unit means, then period
    means (one pass: exact for balanced panels).

    Examples
    --------
    >>> panel = pd.DataFrame({"unit": ["a", "a", "b", "b"], "t": [1, 2, 1, 2],
    ...                       "y": [1.0, 3.0, 2.0, 6.0]})
    >>> round(within_sd(panel, "y", "unit", "t"), 4)  # sd of [0.5, -0.5, -0.5, 0.5]
    0.5774
    """
    values = frame[column] - frame.groupby(unit)[column].transform("mean")
    values = values - values.groupby(frame[time]).transform("mean")
    return float(values.std(ddof=1))


def blank_scores(panel: pd.DataFrame, columns: Sequence[str], exclude: str | None) -> pd.DataFrame:
    """``panel`` with the scores of excluded periods (pilot quarters) set to missing.

    Examples
    --------
    >>> panel = pd.DataFrame({"t": [1, 2, 3], "nps": [1.0, 2, 3],
    ...                       "pilot_active": [False, True, False]})
    >>> blank_scores(panel, ["nps"], "pilot_active")["nps"].tolist()
    [1.0, nan, 3.0]
    """
    if not exclude:
        return panel
    out = panel.copy()
    present = [c for c in columns if c in out.columns]
    out.loc[out[exclude].astype(bool), present] = np.nan
    return out


def leave_one_unit_out(pairs: pd.DataFrame, y: str, x: str, unit: str = "unit_id",
                       time: str = "y_time", max_refits: int = 20) -> pd.DataFrame:
    """Re-estimate without each unit in turn: which units move the estimate most.

    Every unit's change is first computed in closed form on the two-way demeaned data
    (the deletion formula Δ = −x̃ᵍ'eᵍ / (Σx̃² − x̃ᵍ'x̃ᵍ), which holds the period effects fixed);
    the ``max_refits`` units with the largest changes are then re-estimated exactly. With at
    most ``max_refits`` units every unit is refitted. ``method`` says which each row is.

    Examples
    --------
    Log wages on thousands of hours worked, 61 young men over 8 years (Vella & Verbeek's
    panel, :mod:`linearmodels.datasets.wage_panel`); without the most influential man the
    estimate is what linearmodels' ``PanelOLS`` (entity and time effects) gives on the
    others, −0.0562:

    >>> from linearmodels.datasets import wage_panel
    >>> w = wage_panel.load().rename(columns={"nr": "unit_id", "year": "y_time"})
    >>> w = w[w["unit_id"] < 1000].assign(thousand_hours=lambda d: d["hours"] / 1000)
    >>> most = leave_one_unit_out(w, "lwage", "thousand_hours")
    >>> int(most.loc[0, "unit_id"]), round(most.loc[0, "estimate_without"], 4), most.loc[0, "method"]
    (120, -0.0562, 'refit')
    >>> most["method"].value_counts().to_dict()  # the 20 largest refitted, 41 by the formula
    {'deletion_formula': 41, 'refit': 20}
    """
    full = twfe(pairs, y, x, unit, time)["params"][x]
    frame = pairs[[unit, time, x, y]].dropna().reset_index(drop=True)
    centred = two_way_demean(frame, [x, y], unit, time)
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


def cr1_factor(n_clusters: int, n: int, k: int) -> float:
    """The CR1 small-sample factor of a cluster-robust covariance, as Stata's ``xtreg, fe
    vce(cluster)``: G/(G−1) × (n−1)/(n−k), with ``k`` the estimated coefficients and the
    absorbed effects not nested in the clusters.

    Examples
    --------
    >>> round(cr1_factor(50, 1000, 2), 4)  # 50/49 × 999/998
    1.0214
    """
    return n_clusters / (n_clusters - 1) * (n - 1) / max(n - k, 1)


def _fit(model: AbsorbingLS, regressors: list[str], **options):
    """The model fitted; a regressor that does not change within units beyond what every unit
    shares each period (flat answers) cannot be separated from the effects."""
    try:
        return model.fit(**options)
    except AbsorbingEffectError:
        raise InsufficientData(f"{', '.join(regressors)} does not change within units beyond "
                               "what all units share each period, so its effect cannot be "
                               "separated.") from None


def two_way_demean(frame: pd.DataFrame, columns: Sequence[str], unit: str, time: str,
                    iterations: int = 50) -> pd.DataFrame:
    """Remove unit and period means (alternating projections; exact for balanced panels).

    Examples
    --------
    >>> panel = pd.DataFrame({"unit": ["a", "a", "b", "b"], "t": [1, 2, 1, 2],
    ...                       "y": [1.0, 3.0, 2.0, 6.0]})
    >>> two_way_demean(panel, ["y"], "unit", "t")["y"].tolist()  # y - unit mean - period mean + mean
    [0.5, -0.5, -0.5, 0.5]
    """
    out = frame[list(columns)].astype(float).copy()
    for _ in range(iterations):
        before = out.to_numpy().copy()
        out = out - out.groupby(frame[unit]).transform("mean")
        out = out - out.groupby(frame[time]).transform("mean")
        if np.max(np.abs(out.to_numpy() - before)) < 1e-10:
            break
    return out


def stack_halves(frame: pd.DataFrame, x_a: str, x_b: str) -> pd.DataFrame:
    """Both orderings of the halves: (regressor A, instrument B) and (B, A), each copy with a
    ``_copy`` id: its fixed effects must be its own (shared ones would mix the halves' unit
    means, whose difference is sampling noise, into both regressor and instrument).

    Examples
    --------
    >>> halves = pd.DataFrame({"unit_id": ["a", "b"], "ei_a": [60.0, 70.0], "ei_b": [62.0, 68.0]})
    >>> stack_halves(halves, "ei_a", "ei_b")[["unit_id", "_x", "_z", "_copy"]]
      unit_id    _x    _z  _copy
    0       a  60.0  62.0      0
    1       b  70.0  68.0      0
    2       a  62.0  60.0      1
    3       b  68.0  70.0      1
    """
    a = frame.assign(_x=frame[x_a], _z=frame[x_b], _copy=0)
    b = frame.assign(_x=frame[x_b], _z=frame[x_a], _copy=1)
    return pd.concat([a, b], ignore_index=True)


def absorb_effects(values: pd.DataFrame, effects: list[pd.Series]) -> np.ndarray:
    """``values`` with the fixed effects ``effects`` projected out (pyfixest's alternating
    projections; exact in one sweep for a single effect).

    Examples
    --------
    On a balanced panel, unit and period effects out is y − its unit's mean − its period's
    mean + the grand mean, by hand: (1, 2, 6) and (3, 3, 6) about 3.5 give

    >>> d = pd.DataFrame({"unit": list("aaabbb"), "t": [1, 2, 3] * 2,
    ...                   "y": [1.0, 2.0, 6.0, 3.0, 3.0, 6.0]})
    >>> absorb_effects(d[["y"]], [d["unit"], d["t"]]).round(4).ravel().tolist()
    [-0.5, 0.0, 0.5, 0.5, 0.0, -0.5]
    """
    # a heavy library, imported where it is used: every kernel would pay for it otherwise
    from pyfixest.estimation import demean
    codes = np.column_stack([pd.factorize(e)[0] for e in effects]).astype(np.uint64)
    out, converged = demean(values.to_numpy(dtype=float), codes, np.ones(len(values)),
                            tol=1e-10, maxiter=100_000)
    if not converged:
        raise InsufficientData("the fixed effects could not be removed (no convergence).")
    return out


def n_levels(effects: list[pd.Series]) -> int:
    """The number of distinct levels over the absorbed effects (their parameters).

    Examples
    --------
    >>> n_levels([pd.Series(["a", "b", "a"]), pd.Series([1, 2, 3])])
    5
    """
    return int(sum(pd.Series(e).nunique() for e in effects))
