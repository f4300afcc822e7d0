"""Staggered rollouts: Callaway & Sant'Anna (2021) group-time effects and their aggregations.

A pilot that starts in different units at different times is read as a set of 2 × 2
comparisons: the units that started in period g (cohort g) against comparison units, between a
baseline before g and each period t. :func:`group_time` estimates every such ATT(g, t) with
its influence function (one value per unit: how much the estimate moves with that unit), and
:func:`aggregate` combines them as R ``did::aggte`` does (``simple``, ``group``, ``calendar``,
``dynamic``), including the term for the estimated cohort weights. Inference is the multiplier
(wild) bootstrap over units of those influence functions, with simultaneous bands for the event
study; on mpdta the aggregations reproduce R ``did`` (``tests/test_staggered.py``).

Choices beyond R ``did``'s defaults, each stated in the method string:

* ``baseline="pooled"`` (default): each cohort's baseline is its mean over the
  ``baseline_periods`` periods before the start, not the single period g − 1. A monthly unit
  score is a sample of a few dozen answers; a one-month baseline carries all of that month's
  sampling noise into every post-period comparison, a six-month mean a sixth of it (the long
  difference of the DiD literature). ``"universal"`` (g − 1 for every period) and
  ``"varying"`` (R's default) are there too.
* ``covariates``: time-invariant unit columns enter the doubly robust estimator of Sant'Anna &
  Zhao (2020) (``moderndid.drdid_panel``, tested against R ``DRDID``) in every cell.
* Intervals use t critical values with min(treated, comparison units) − 1 degrees of
  freedom (Hsu's conservative bound on Welch's: the normal's for large groups, wider for
  small ones); under :data:`SMALL_SAMPLE_UNITS` units the bootstrap weights are Webb's
  six-point distribution (few clusters); no interval or p-value when one side has a single
  unit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import InsufficientData, ParameterError, check_argument, check_confidence
from cxex_analysis.results import tidy

CONTROL_GROUPS = ("never_treated", "not_yet_treated")


BASELINES = ("pooled", "universal", "varying")


AGGREGATIONS = ("simple", "group", "calendar", "dynamic")


#: Below this many units the bootstrap and the intervals switch to their few-cluster forms.
SMALL_SAMPLE_UNITS = 30


DEFAULT_BASELINE_PERIODS = 6


@dataclass
class GroupTime:
    """Every estimated ATT(g, t) with the unit-level pieces the aggregations need."""

    cells: pd.DataFrame       # cohort, time, base, post, event_time, att, n_treated, n_control
    influence: np.ndarray     # units × cells: estimate − truth ≈ mean of the column
    treated: np.ndarray       # units × cells: the unit is a treated unit of the cell
    control: np.ndarray       # units × cells: the unit is a comparison unit of the cell
    cohorts: np.ndarray       # each unit's first treated period (0 = never)
    baseline: str
    baseline_periods: int
    control_group: str
    covariates: tuple[str, ...]

    @property
    def n_units(self) -> int:
        return len(self.cohorts)


def _wide(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str):
    wide = data.pivot_table(index=unit, columns=time, values=outcome, aggfunc="mean")
    start, end = int(min(wide.columns)), int(max(wide.columns))
    wide = wide.reindex(columns=range(start, end + 1))  # a month nobody answered stays a gap
    cohorts = data.groupby(unit)[cohort].first().reindex(wide.index).fillna(0).astype(int)
    return wide, cohorts


#: Cohort keys of units with anticipation: start + anticipation × this (periods are far fewer).
ANTICIPATION_KEY = 10 ** 6


def _cohort_keys(data: pd.DataFrame, unit: str, anticipation: str | None,
                 units: pd.Index, starts: np.ndarray) -> np.ndarray:
    """Each unit's cohort key: start + δ × ANTICIPATION_KEY (δ from ``anticipation``)."""
    if anticipation is None:
        return starts
    delta = data.groupby(unit)[anticipation].first().reindex(units).fillna(0).astype(int)
    if (delta < 0).any():
        raise ParameterError(f"`{anticipation}` must be 0 or more periods.")
    return np.where(starts > 0, starts + delta.to_numpy() * ANTICIPATION_KEY, 0)


def start_of(key: int) -> int:
    """The start period of a cohort key (:func:`_cohort_keys`); its δ is key // the stride.

    Examples
    --------
    >>> start_of(7), start_of(7 + 2 * ANTICIPATION_KEY)  # period 7, the second anticipated 2 periods
    (7, 7)
    """
    return int(key) % ANTICIPATION_KEY


def _base_values(values: np.ndarray, first: int, end: int, t: int, baseline: str,
                 periods: int) -> np.ndarray | None:
    """Each unit's baseline for a cell at period t whose baseline ends at period ``end``
    (g − 1, or earlier with anticipation); None when it is outside the data."""
    if baseline == "pooled":
        low, high = max(end - periods + 1, first), end
        if high < first:
            return None
        window = values[:, low - first:high - first + 1]
        counts = (~np.isnan(window)).sum(axis=1)
        totals = np.nansum(window, axis=1)
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
    base = t - 1 if (baseline == "varying" and t < end + 1) else end
    if base < first or base == t:
        return None
    return values[:, base - first]


def _dr_cell(y1: np.ndarray, y0: np.ndarray, treated: np.ndarray, x: np.ndarray):
    """Doubly robust 2 × 2 DiD (Sant'Anna & Zhao 2020) via moderndid: ATT, influence function."""
    # a heavy library, imported where it is used: every kernel would pay for it otherwise
    from moderndid import drdid_panel
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed logit fit is a failure, not a number
        try:
            fit = drdid_panel(y1, y0, treated.astype(float), x, influence_func=True)
        except (RuntimeWarning, UserWarning, ValueError, np.linalg.LinAlgError) as why:
            raise InsufficientData(f"the doubly robust fit failed on these data ({why})") from None
    if not np.isfinite(fit.att) or not np.all(np.isfinite(fit.att_inf_func)):
        raise InsufficientData("the doubly robust fit did not converge")
    return float(fit.att), np.asarray(fit.att_inf_func, dtype=float)


def _design(units: pd.Index, covariates: pd.DataFrame | None) -> np.ndarray | None:
    """Intercept and the covariates (categoricals as dummies), one row per unit."""
    if covariates is None or covariates.empty:
        return None
    frame = covariates.reindex(units)
    numeric = frame.select_dtypes("number")
    categorical = frame.drop(columns=numeric.columns)
    parts = [pd.DataFrame({"const": 1.0}, index=frame.index), numeric.astype(float)]
    if not categorical.empty:
        parts.append(pd.get_dummies(categorical.astype(str), drop_first=True, dtype=float))
    design = pd.concat(parts, axis=1)
    return design.to_numpy(dtype=float)


def _cell(y: np.ndarray, base: np.ndarray, treated: np.ndarray, control: np.ndarray,
          x: np.ndarray | None, welch: bool = False) -> tuple[float, np.ndarray]:
    """One 2 × 2 comparison: ATT and its influence function over all units (doubly robust
    with covariates ``x``, else the difference of mean changes). ``welch``: each side's
    part scaled by √(m / (m − 1)), so its variance has Welch's m − 1 divisor."""
    n = len(y)
    if x is not None:
        keep = treated | control
        att, piece = _dr_cell(y[keep], base[keep], treated[keep], x[keep])
        inf = np.zeros(n)
        inf[keep] = piece * n / keep.sum()
        return att, inf
    change = y - base
    mu_t, mu_c = change[treated].mean(), change[control].mean()
    filled = np.where(np.isnan(change), 0.0, change)
    m_t, m_c = treated.sum(), control.sum()
    f_t, f_c = ((np.sqrt(m / (m - 1)) if m > 1 else 1.0) if welch else 1.0 for m in (m_t, m_c))
    return mu_t - mu_c, (f_t * treated * (filled - mu_t) * n / m_t
                         - f_c * control * (filled - mu_c) * n / m_c)


def group_time(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
               control_group: str = "never_treated", baseline: str = "pooled",
               baseline_periods: int = DEFAULT_BASELINE_PERIODS,
               covariates: pd.DataFrame | None = None,
               anticipation: str | None = None, welch: bool = False) -> GroupTime:
    """ATT(g, t) for every cohort g and period t, each with its influence function.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; ``time`` and ``cohort`` are integer periods
        (``cohort`` = first treated period, 0 or missing = never treated).
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units: never treated, or also units whose start is later than both t and
        the baseline.
    baseline : {"pooled", "universal", "varying"}
    covariates : DataFrame, optional
        Time-invariant unit columns (index = unit ids) for the doubly robust estimator.
    anticipation : str, optional
        Column of each unit's δ (R ``did``'s ``anticipation``, per unit): its baseline ends
        at g − 1 − δ (e.g. before the survey a group chose its action from, whose chance dip
        would regress back and look like an effect). Units sharing g and δ are one cohort.
    welch : bool
        Small groups: each side's variance with the m − 1 divisor (R did's influence
        functions use m, which understates it by (m − 1) / m: a quarter with 4 units).

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="varying")
    >>> cells = gt.cells.set_index(["cohort", "time"])["att"]
    >>> round(float(cells[(2004, 2004)]), 4), round(float(cells[(2004, 2007)]), 4)  # R did: att_gt()
    (-0.0105, -0.1008)
    """
    check_argument("control_group", control_group, CONTROL_GROUPS)
    check_argument("baseline", baseline, BASELINES)
    for column in (outcome, unit, time, cohort):
        if column not in data.columns:
            raise ParameterError(f"column `{column}` is not in the data.")
    columns = [unit, time, outcome, cohort] + ([anticipation] if anticipation else [])
    frame = data[columns].dropna(subset=[outcome]).copy()
    if frame.empty:
        raise InsufficientData(f"`{outcome}` has no values.")
    frame[cohort] = frame[cohort].fillna(0)
    wide, cohorts = _wide(frame, outcome, unit, time, cohort)
    starts = cohorts.to_numpy()
    groups = _cohort_keys(frame, unit, anticipation, wide.index, starts)
    if control_group == "never_treated" and not (groups == 0).any():
        raise InsufficientData("no never-treated units to compare with.")
    values = wide.to_numpy(dtype=float)
    first, last = int(wide.columns[0]), int(wide.columns[-1])
    x = _design(wide.index, covariates)
    cells, influence, treated_cols, control_cols = [], [], [], []
    for key in sorted(int(c) for c in np.unique(groups) if c != 0):
        g, end = start_of(key), start_of(key) - 1 - key // ANTICIPATION_KEY
        if end < first:
            continue  # started before the data begin: nothing to compare with
        for t in range(first, last + 1):
            base = _base_values(values, first, end, t, baseline, baseline_periods)
            if base is None:
                continue
            change = values[:, t - first] - base
            valid = ~np.isnan(change)
            later = max(t, g - 1)
            control = (groups == 0) if control_group == "never_treated" else \
                (groups == 0) | ((starts > later) & (groups != key))
            treated = (groups == key) & valid
            control = control & valid
            if treated.sum() == 0 or control.sum() == 0:
                continue
            att, inf = _cell(values[:, t - first], base, treated, control, x, welch)
            cells.append({"cohort": key, "time": t,
                          "base": "pooled" if baseline == "pooled" else
                          (t - 1 if baseline == "varying" and t < end + 1 else end),
                          "post": t >= g, "event_time": t - g, "before_baseline": t < end,
                          "att": float(att),
                          "n_treated": int(treated.sum()), "n_control": int(control.sum())})
            influence.append(inf)
            treated_cols.append(treated)
            control_cols.append(control)
    if not cells:
        raise InsufficientData("no cohort has both a baseline before its start and comparison "
                             "units, so no group-time effect can be estimated.")
    stack = lambda cols: np.column_stack(cols)  # noqa: E731
    return GroupTime(pd.DataFrame(cells), stack(influence), stack(treated_cols),
                     stack(control_cols), groups, baseline, baseline_periods, control_group,
                     tuple(covariates.columns) if covariates is not None and x is not None else ())


@dataclass
class Aggregate:
    """One aggregated effect: its estimate, influence function and the units behind it."""

    estimand: str
    term: str
    estimate: float
    influence: np.ndarray
    n_treated: int
    n_control: int


def _weight_influence(gt: GroupTime, keepers: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The influence of estimating the cohort weights (R did's ``wif``): units × keepers."""
    membership = (gt.cohorts[:, None] == gt.cells["cohort"].to_numpy()[keepers][None, :])
    centred = membership.astype(float) - shares[None, :]
    total = shares.sum()
    return centred / total - centred.sum(axis=1, keepdims=True) * shares[None, :] / total ** 2


def _weighted(gt: GroupTime, keepers: np.ndarray, estimand: str, term: str) -> Aggregate:
    """Cohort-size-weighted mean of the cells ``keepers``, with the weights' own influence."""
    att = gt.cells["att"].to_numpy()[keepers]
    share = {g: np.mean(gt.cohorts == g) for g in np.unique(gt.cells["cohort"])}
    shares = np.array([share[g] for g in gt.cells["cohort"].to_numpy()[keepers]])
    weights = shares / shares.sum()
    influence = gt.influence[:, keepers] @ weights + _weight_influence(gt, keepers, shares) @ att
    return _aggregate(gt, keepers, estimand, term, float(att @ weights), influence)


def _aggregate(gt, keepers, estimand, term, estimate, influence) -> Aggregate:
    return Aggregate(estimand, term, estimate, influence,
                     int(gt.treated[:, keepers].any(axis=1).sum()),
                     int(gt.control[:, keepers].any(axis=1).sum()))


def _mean_of(parts: list[Aggregate], estimand: str, term: str, gt: GroupTime,
             keepers: np.ndarray) -> Aggregate:
    return _aggregate(gt, keepers, estimand, term, float(np.mean([p.estimate for p in parts])),
                      np.mean([p.influence for p in parts], axis=0))


def aggregate(gt: GroupTime, kind: str, labels: Mapping[int, str] | None = None) -> list[Aggregate]:
    """The ``did::aggte`` aggregations of the group-time effects.

    ``simple``: post-start cells weighted by cohort size (one row, estimand ``att``);
    ``group``: each cohort's average post-start effect, and their size-weighted mean
    (``att_group``); ``calendar``: each period's size-weighted effect over the cohorts started
    by then, and their mean (``att_calendar``); ``dynamic``: the effect by periods since start
    (``att_event_time``, before and after) and the mean of the post-start ones
    (``att_dynamic``, term ``overall``). ``pre_trend`` (not among the defaults): the
    size-weighted mean of the cells before each cohort's baseline ends, a placebo effect that
    should be 0 under parallel trends (use it with ``baseline="universal"``, where each such
    cell is the change from that period to the baseline).

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="varying")
    >>> [(a.term, round(a.estimate, 4)) for a in aggregate(gt, "group")]  # R did: aggte(type = "group")
    [('overall', -0.031), ('g=2004', -0.0797), ('g=2006', -0.0229), ('g=2007', -0.0261)]
    """
    check_argument("kind", kind, AGGREGATIONS + ("pre_trend",))
    label = (lambda t: str(labels.get(t, t))) if labels else str
    cells = gt.cells
    if kind == "pre_trend":
        before = np.flatnonzero(cells["before_baseline"].to_numpy())
        return [_weighted(gt, before, "pre_trend", "before")] if len(before) else []
    post = cells["post"].to_numpy()
    if not post.any():
        return []
    if kind == "simple":
        return [_weighted(gt, np.flatnonzero(post), "att", "treatment")]
    if kind == "group":
        parts, groups = [], []
        for g in sorted(cells.loc[post, "cohort"].unique()):
            keepers = np.flatnonzero(post & (cells["cohort"] == g).to_numpy())
            att = cells["att"].to_numpy()[keepers]
            parts.append(_aggregate(gt, keepers, "att_group", f"g={label(g)}", float(att.mean()),
                                    gt.influence[:, keepers].mean(axis=1)))
            groups.append(g)
        shares = np.array([np.mean(gt.cohorts == g) for g in groups])
        weights = shares / shares.sum()
        membership = (gt.cohorts[:, None] == np.array(groups)[None, :]).astype(float)
        centred = membership - shares[None, :]
        wif = centred / shares.sum() - centred.sum(axis=1, keepdims=True) * shares / shares.sum() ** 2
        estimates = np.array([p.estimate for p in parts])
        influence = np.column_stack([p.influence for p in parts]) @ weights + wif @ estimates
        overall = _aggregate(gt, np.flatnonzero(post), "att_group", "overall",
                             float(estimates @ weights), influence)
        return [overall, *parts]
    if kind == "calendar":
        parts = []
        for t in sorted(cells.loc[post, "time"].unique()):
            keepers = np.flatnonzero(post & (cells["time"] == t).to_numpy())
            parts.append(_weighted(gt, keepers, "att_calendar", f"t={label(t)}"))
        return [_mean_of(parts, "att_calendar", "overall", gt, np.flatnonzero(post)), *parts]
    events = []
    for e in sorted(cells["event_time"].unique()):
        keepers = np.flatnonzero((cells["event_time"] == e).to_numpy())
        events.append(_weighted(gt, keepers, "att_event_time", f"e={e:+d}" if e else "e=0"))
    after = [a for a in events if int(a.term.split("=")[1]) >= 0]
    overall = _mean_of(after, "att_dynamic", "overall", gt, np.flatnonzero(post))
    return [overall, *events]


def multiplier_weights(n_units: int, draws: int, kind: str, seed: int) -> np.ndarray:
    """Bootstrap weights, ``draws`` × ``n_units``: Mammen's two-point (R did's default) or
    Webb's six-point distribution (few clusters, Webb 2023).

    Examples
    --------
    Both have mean 0 and variance 1; Mammen's two points are (1 ∓ √5) / 2:

    >>> import numpy as np
    >>> weights = multiplier_weights(1000, 200, "mammen", seed=0)
    >>> round(weights.mean(), 2) + 0, round(weights.var(), 2), sorted(set(np.round(weights.ravel(), 3).tolist()))
    (0.0, 1.0, [-0.618, 1.618])
    >>> len(set(multiplier_weights(1000, 200, "webb", seed=0).ravel().tolist()))
    6
    """
    rng = np.random.default_rng(seed)
    if kind == "mammen":
        root5 = np.sqrt(5)
        low = rng.random((draws, n_units)) < (root5 + 1) / (2 * root5)
        return np.where(low, (1 - root5) / 2, (1 + root5) / 2)
    if kind == "webb":
        points = np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)])
        return points[rng.integers(0, 6, (draws, n_units))]
    raise ParameterError(f"unknown bootstrap weights {kind!r}.")


def analytic_se(influence: np.ndarray) -> np.ndarray:
    """SE from influence functions (units × estimates), as R did without the bootstrap.

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="varying")
    >>> simple = aggregate(gt, "simple")[0]
    >>> round(simple.estimate, 4), round(float(analytic_se(simple.influence)[0]), 3)  # R did: aggte()
    (-0.04, 0.012)
    """
    influence = np.atleast_2d(influence.T).T
    return np.sqrt(np.mean(influence ** 2, axis=0) / influence.shape[0])


def bootstrap(influence: np.ndarray, draws: int, kind: str, seed: int) -> np.ndarray:
    """Bootstrap deviations of the estimates from their point values (draws × estimates).

    Examples
    --------
    Their spread is the estimate's standard error: R did's 0.012 on its example data.

    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="varying")
    >>> simple = aggregate(gt, "simple")[0]
    >>> deviations = bootstrap(simple.influence[:, None], 999, "mammen", seed=1)
    >>> deviations.shape, round(float(deviations.std()), 3)
    ((999, 1), 0.012)
    """
    n = influence.shape[0]
    return multiplier_weights(n, draws, kind, seed) @ influence / n


def bootstrap_se(deviations: np.ndarray) -> np.ndarray:
    """R did's robust bootstrap SE: interquartile range over that of the standard normal.

    Examples
    --------
    For normal deviations it is their standard deviation:

    >>> import numpy as np
    >>> bootstrap_se(np.random.default_rng(0).normal(0.0, 2.0, (100_000, 1))).round(2)
    array([2.])
    """
    q75, q25 = np.quantile(deviations, [0.75, 0.25], axis=0)
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def staggered_did(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
                  control_group: str = "never_treated", confidence: float = 0.95,
                  n_boot: int = 999, seed: int = 42, subject: str = "all",
                  baseline: str = "pooled", baseline_periods: int = DEFAULT_BASELINE_PERIODS,
                  covariates: pd.DataFrame | None = None,
                  labels: Mapping[int, str] | None = None,
                  aggregations: Sequence[str] = AGGREGATIONS,
                  anticipation: str | None = None, welch: bool = False) -> pd.DataFrame:
    """Heterogeneity-robust DiD for staggered rollouts (Callaway & Sant'Anna 2021), tidy rows.

    Rows: ``att`` (simple aggregation), ``att_group``, ``att_calendar``, ``att_dynamic``
    (term ``overall`` and one per cohort / period) and ``att_event_time`` (``e=-3`` …,
    with ``band_low``/``band_high``: the simultaneous band over all event times). SEs from the
    multiplier bootstrap over units (R did's robust IQR form); intervals estimate ± critical
    value × SE. Extra columns ``n_treated`` and ``n_control`` count the units behind each row.

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> rows = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat",
    ...                      baseline="varying", n_boot=199, seed=1)
    >>> att = rows[rows["estimand"] == "att"].iloc[0]
    >>> round(att["estimate"], 4), bool(att["ci_low"] < att["estimate"] < att["ci_high"] < 0)
    (-0.04, True)
    """
    confidence = check_confidence(confidence)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ParameterError(f"`n_boot` must be a whole number of bootstrap draws, 2 or more, "
                             f"but {n_boot!r} was passed.")
    gt = group_time(data, outcome, unit, time, cohort, control_group, baseline,
                    baseline_periods, covariates, anticipation, welch)
    rows = [a for kind in aggregations for a in aggregate(gt, kind, labels)]
    if not rows:
        raise InsufficientData("no period after any unit's start has data yet, so the pilot's "
                             "effect cannot be estimated.")
    return inference_rows(gt, rows, outcome, confidence, n_boot, seed, subject)


def inference_rows(gt: GroupTime, rows: list[Aggregate], outcome: str, confidence: float,
                   n_boot: int, seed: int, subject: str) -> pd.DataFrame:
    """Tidy rows with bootstrap SEs, intervals, p-values and the event study's band.

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="varying")
    >>> row = inference_rows(gt, aggregate(gt, "simple"), "lemp", 0.95, 999, 1, "all").iloc[0]
    >>> round(row["estimate"], 4), round(row["se"], 3), int(row["n"])  # R did: aggte(), SE 0.012
    (-0.04, 0.012, 500)
    """
    few = gt.n_units < SMALL_SAMPLE_UNITS
    influence = np.column_stack([r.influence for r in rows])
    deviations = bootstrap(influence, n_boot, "webb" if few else "mammen", seed)
    se = bootstrap_se(deviations)
    events = np.array([r.estimand == "att_event_time" for r in rows])
    band = np.nan
    spread = events & np.isfinite(se) & (se > 0)
    if spread.any():
        sup = np.max(np.abs(deviations[:, spread]) / se[spread], axis=1)
        band = float(np.quantile(sup, confidence))
    method = (f"callaway_santanna_{'dr_' + '+'.join(gt.covariates) if gt.covariates else 'unconditional'}"
              f"_{gt.control_group}_{gt.baseline}"
              f"{gt.baseline_periods if gt.baseline == 'pooled' else ''}_baseline"
              f"_multiplier_bootstrap_{'webb' if few else 'mammen'}_{n_boot}")
    out = []
    for row, s, is_event in zip(rows, se, events):
        smaller = min(row.n_treated, row.n_control)
        record = {"analysis": "pilot", "estimand": row.estimand, "subject": subject,
                  "outcome": outcome, "term": row.term, "estimate": row.estimate,
                  "confidence": confidence, "n": row.n_treated + row.n_control,
                  "n_treated": row.n_treated, "n_control": row.n_control,
                  "band_low": np.nan, "band_high": np.nan}
        if smaller < 2 or not np.isfinite(s) or s <= 0:
            record.update(se=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
                          method=method + "_no_inference_one_unit_on_a_side (n = units)")
        else:
            df = smaller - 1  # Hsu's conservative Welch bound: the normal for large groups
            q = stats.t.ppf(0.5 + confidence / 2, df)
            statistic = abs(row.estimate / s)
            record.update(se=float(s), ci_low=row.estimate - q * s, ci_high=row.estimate + q * s,
                          p_value=float(2 * stats.t.sf(statistic, df)),
                          method=method + f"_t{df}_hsu (n = units)")
            if is_event and np.isfinite(band):
                wide = max(band, q)
                record.update(band_low=row.estimate - wide * s, band_high=row.estimate + wide * s)
        out.append(record)
    return tidy(out, extra=["n_treated", "n_control", "band_low", "band_high"])
