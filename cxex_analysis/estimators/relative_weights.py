"""Relative weights: which of several correlated drivers matter most for an outcome.

:func:`relative_weights` is Johnson's (2000) relative weight analysis (*Multivariate
Behavioral Research* 35(1)): the predictors are replaced by their closest orthogonal
counterparts Z = X R^(-1/2) (R the predictors' correlation matrix), the outcome is regressed
on Z, and each Z's explained variance is shared back to the original predictors by the
squared loadings. The weights are non-negative and sum to the model's R²; naive
correlations, by contrast, double-count the variance correlated drivers share. Intervals come
from a bootstrap over units. Validated against a hand computation on a small example and the
R² of OLS (``tests/test_drivers.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import InsufficientData, ParameterError, check_confidence
from cxex_analysis.results import tidy


def _weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Raw relative weights (summing to R²) of the columns of ``x`` for ``y``."""
    flat = (x.std(axis=0, ddof=1) <= 1e-12).any() or y.std(ddof=1) <= 1e-12
    if flat or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InsufficientData("a driver or the outcome does not vary across units, so its "
                               "share cannot be told.")
    xs = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    ys = (y - y.mean()) / y.std(ddof=1)
    n = len(y)
    r_xx = xs.T @ xs / (n - 1)
    r_xy = xs.T @ ys / (n - 1)
    eigenvalues, vectors = np.linalg.eigh(r_xx)
    if eigenvalues.min() <= 1e-10:
        raise InsufficientData("the drivers are perfectly collinear; drop one of them.")
    lam = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T  # R^(1/2): loadings of X on Z
    beta = np.linalg.solve(lam, r_xy)  # regression of y on the orthogonal Z
    raw = (lam ** 2) @ (beta ** 2)
    return raw, float(beta @ beta)


def relative_weights(data: pd.DataFrame, drivers: Sequence[str], outcome: str,
                     n_boot: int = 1000, seed: int = 42, confidence: float = 0.95,
                     subject: str = "all") -> pd.DataFrame:
    """Johnson's relative weights of ``drivers`` for ``outcome``, with bootstrap intervals.

    Parameters
    ----------
    data : DataFrame
        One row per unit (e.g. unit means of the engagement items and of a CX outcome).
    drivers : list of str
        Predictor columns (the ``eng_*`` items).
    outcome : str
        The outcome column.

    Returns
    -------
    DataFrame
        Tidy rows: one ``relative_weight`` row per driver (estimate = share of explained
        variance in R² units), one ``relative_weight_r2`` row (the model R², with an F-test
        p-value), plus columns ``rescaled`` (% of R²), ``rank`` and ``naive_r`` (the plain
        correlation, for comparison).

    Examples
    --------
    >>> relative_weights(units, ["eng_tools", "eng_recognition", "eng_voice"], "nps")  # doctest: +SKIP
    """
    confidence = check_confidence(confidence)
    drivers = list(drivers)
    missing = [c for c in drivers + [outcome] if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[drivers + [outcome]].dropna()
    n, k = len(frame), len(drivers)
    if n <= k + 2:
        raise InsufficientData(f"relative weights need more rows ({n}) than drivers + 2 ({k + 2}).")
    x = frame[drivers].to_numpy(dtype=float)
    y = frame[outcome].to_numpy(dtype=float)
    raw, r2 = _weights(x, y)
    rng = np.random.default_rng(seed)
    draws = np.full((n_boot, k), np.nan)
    r2_draws = np.full(n_boot, np.nan)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        try:
            draws[i], r2_draws[i] = _weights(x[idx], y[idx])
        except (InsufficientData, np.linalg.LinAlgError):
            continue
    lo, hi = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    if n_boot < 2:  # no interval requested (e.g. a cached company-level ranking)
        draws = np.full((2, k), np.nan)
        r2_draws = np.full(2, np.nan)
    naive = [float(np.corrcoef(x[:, j], y)[0, 1]) for j in range(k)]
    order = np.argsort(-raw)
    ranks = np.empty(k, dtype=int)
    ranks[order] = np.arange(1, k + 1)
    rows = []
    for j, driver in enumerate(drivers):
        low, high = _percentiles(draws[:, j], lo, hi)
        rows.append({"analysis": "drivers", "estimand": "relative_weight", "subject": subject,
                     "outcome": outcome, "term": driver, "estimate": raw[j],
                     "se": _sd(draws[:, j]), "ci_low": low, "ci_high": high,
                     "p_value": np.nan, "confidence": confidence, "n": n,
                     "method": f"johnson_relative_weights_bootstrap_{n_boot} (n = units)",
                     "rescaled": 100 * raw[j] / r2 if r2 > 0 else np.nan,
                     "rank": int(ranks[j]), "naive_r": naive[j]})
    f_stat = (r2 / k) / ((1 - r2) / (n - k - 1)) if r2 < 1 else np.inf
    low, high = _percentiles(r2_draws, lo, hi)
    rows.append({"analysis": "drivers", "estimand": "relative_weight_r2", "subject": subject,
                 "outcome": outcome, "term": "all_drivers", "estimate": r2,
                 "se": _sd(r2_draws), "ci_low": low, "ci_high": high,
                 "p_value": float(stats.f.sf(f_stat, k, n - k - 1)), "confidence": confidence,
                 "n": n, "method": f"ols_r2_bootstrap_{n_boot}_f_test (n = units)",
                 "rescaled": 100.0, "rank": 0, "naive_r": np.nan})
    return tidy(rows, extra=["rescaled", "rank", "naive_r"])


def shares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each column of ``x``'s share (%) of the R² of ``y``: :func:`relative_weights`'
    ``rescaled`` without the frame or a bootstrap, for thousands of small groups.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> np.round(shares(x, 2 * x[:, 0] + rng.normal(size=200)), 0)
    array([99.,  1.])
    """
    try:
        raw, r2 = _weights(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    except np.linalg.LinAlgError as error:
        raise InsufficientData(f"the drivers' correlations cannot be decomposed ({error}).") from error
    return 100 * raw / r2 if r2 > 0 else np.full(len(raw), np.nan)


def _percentiles(values: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return np.nan, np.nan
    low, high = np.percentile(values, [lo, hi])
    return float(low), float(high)


def _sd(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.std(values, ddof=1)) if len(values) > 1 else np.nan


def importance_performance(weights: pd.DataFrame, performance: pd.Series) -> pd.DataFrame:
    """Join each driver's importance (rescaled weight) with its performance (e.g. % favourable).

    ``quadrant`` is split at the medians: *focus* (important, low score), *maintain*
    (important, high), *monitor* (less important, low), *leverage less* (less important, high).

    Examples
    --------
    >>> weights = pd.DataFrame({"estimand": "relative_weight", "outcome": "nps",
    ...                         "term": ["eng_growth", "eng_tools", "eng_manager", "eng_pay"],
    ...                         "estimate": [0.08, 0.05, 0.02, 0.01], "ci_low": 0.0,
    ...                         "ci_high": 0.1, "rescaled": [50.0, 31.25, 12.5, 6.25],
    ...                         "rank": [1, 2, 3, 4], "naive_r": 0.3})
    >>> favourable = pd.Series({"eng_growth": 48.0, "eng_tools": 81.0, "eng_manager": 55.0,
    ...                         "eng_pay": 77.0})
    >>> importance_performance(weights, favourable)[["term", "rescaled", "performance", "quadrant"]]
              term  rescaled  performance       quadrant
    0   eng_growth     50.00         48.0          focus
    1    eng_tools     31.25         81.0       maintain
    2  eng_manager     12.50         55.0        monitor
    3      eng_pay      6.25         77.0  leverage less
    """
    table = weights[weights["estimand"] == "relative_weight"][
        ["outcome", "term", "estimate", "ci_low", "ci_high", "rescaled", "rank", "naive_r"]].copy()
    table["performance"] = table["term"].map(performance)
    important = table["rescaled"] >= table["rescaled"].median()
    strong = table["performance"] >= table["performance"].median()
    table["quadrant"] = np.select(
        [important & ~strong, important & strong, ~important & ~strong],
        ["focus", "maintain", "monitor"], "leverage less")
    return table.sort_values("rank").reset_index(drop=True)
