"""Intervals for survey metrics: NPS (trinomial Wald, adjusted Wald of Rocks 2016),
proportions (Wilson), means (t), ratios (delta method), correlations (Fisher z) and
Cronbach's alpha (Feldt).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxex_analysis.errors import check_argument, check_confidence

NPS_INTERVALS = ("auto", "wald", "adjusted_wald")


class Interval(TypedDict):
    """An estimate with its SE and interval, the answers behind it and the method id; the
    keys are those of the tidy schema, so ``{**interval}`` fills a result row."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: float
    method: str



SMALL_N = 100


def nps_variance(promoter_share: float, detractor_share: float, n: float) -> float:
    """Trinomial variance of NPS as a proportion difference: [p + d − (p − d)²] / n.

    Examples
    --------
    >>> round(nps_variance(0.5, 0.2, 100), 4)  # [0.5 + 0.2 - (0.5 - 0.2)**2] / 100
    0.0061
    """
    p, d = promoter_share, detractor_share
    return (p + d - (p - d) ** 2) / n


def nps_interval(promoters: float, detractors: float, n: float, confidence: float = 0.95,
                 interval: str = "auto", small_n: int = SMALL_N) -> Interval:
    """NPS in points with its trinomial SE and an interval.

    Parameters
    ----------
    promoters, detractors, n : numbers
        Counts of 9–10 answers, of 0–6 answers, and of all answers.
    interval : {"auto", "wald", "adjusted_wald"}
        ``auto`` uses the adjusted Wald interval when ``n < small_n``.

    Returns
    -------
    dict with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` and ``method``.

    Examples
    --------
    >>> r = nps_interval(50, 20, 100)
    >>> round(r["estimate"], 1), round(r["se"], 3)
    (30.0, 7.81)

    Validated against the closed form of Rocks (2016), *The American Statistician*
    (tests/test_metrics.py).
    """
    check_argument("interval", interval, NPS_INTERVALS)
    confidence = check_confidence(confidence)
    if n <= 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "n": 0, "method": "nps_no_answers"}
    p, d = promoters / n, detractors / n
    estimate = (p - d) * 100
    se = np.sqrt(nps_variance(p, d, n)) * 100
    z = stats.norm.ppf(0.5 + confidence / 2)
    use_adjusted = interval == "adjusted_wald" or (interval == "auto" and n < small_n)
    if use_adjusted:
        n_adj = n + 3
        p_adj, d_adj = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre = (p_adj - d_adj) * 100
        half = z * np.sqrt(nps_variance(p_adj, d_adj, n_adj)) * 100
        method = "nps_trinomial_adjusted_wald"
    else:
        centre, half = estimate, z * se
        method = "nps_trinomial_wald"
    return {"estimate": estimate, "se": se, "ci_low": max(-100.0, centre - half),
            "ci_high": min(100.0, centre + half), "n": n, "method": method}


def proportion_interval(successes: float, n: float, confidence: float = 0.95) -> Interval:
    """A percentage with its binomial SE and Wilson interval (statsmodels).

    Examples
    --------
    >>> r = proportion_interval(45, 60)  # statsmodels' proportion_confint(45, 60, "wilson")
    >>> r["estimate"], round(r["ci_low"], 2), round(r["ci_high"], 2)
    (75.0, 62.77, 84.22)
    """
    confidence = check_confidence(confidence)
    if n <= 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    p = successes / n
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return {"estimate": 100 * p, "se": 100 * np.sqrt(p * (1 - p) / n), "ci_low": 100 * low,
            "ci_high": 100 * high, "n": n, "method": "proportion_wilson"}


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> Interval:
    """A mean with its SE and Student t interval.

    Examples
    --------
    >>> r = mean_interval(np.array([3.0, 4, 5, 4, 4]))  # 4 ± t(0.975, 4) × 0.316
    >>> float(r["estimate"]), round(float(r["ci_low"]), 3), round(float(r["ci_high"]), 3)
    (4.0, 3.122, 4.878)
    """
    confidence = check_confidence(confidence)
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    mean = values.mean()
    if n == 1:
        return {"estimate": mean, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 1,
                "method": "mean_t"}
    se = values.std(ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    return {"estimate": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half, "n": n,
            "method": "mean_t"}


def ratio_interval(numerators: np.ndarray, denominators: np.ndarray, confidence: float = 0.95,
                   scale: float = 100.0) -> Interval:
    """Ratio of sums with a cluster (delta-method) SE, each element one cluster.

    Examples
    --------
    >>> r = ratio_interval(np.array([3.0, 5, 2, 4]), np.array([10.0, 20, 10, 10]))
    >>> round(r["estimate"], 1), round(r["se"], 3)  # 14/50; √(4/3 · Σ(x − 0.28·y)²) / 50
    (28.0, 3.637)
    """
    confidence = check_confidence(confidence)
    y = np.asarray(numerators, dtype=float)
    x = np.asarray(denominators, dtype=float)
    keep = x > 0
    y, x = y[keep], x[keep]
    n = len(x)
    if n == 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    ratio = y.sum() / x.sum()
    if n == 1:
        se = np.nan
    else:
        residual = y - ratio * x
        se = np.sqrt(np.sum(residual ** 2) / (n * (n - 1))) / x.mean()
    z = stats.norm.ppf(0.5 + confidence / 2)
    return {"estimate": scale * ratio, "se": scale * se, "ci_low": scale * max(0.0, ratio - z * se),
            "ci_high": scale * min(1.0, ratio + z * se), "n": n,
            "method": "ratio_cluster_respondent"}


def correlation_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Fisher z interval for a Pearson correlation of ``n`` pairs (NaN for n <= 3).

    Examples
    --------
    >>> [round(v, 3) for v in correlation_interval(0.5, 30)]  # tanh(atanh(0.5) ± 1.96 / √27)
    [0.17, 0.729]
    """
    if n <= 3 or not np.isfinite(r):
        return np.nan, np.nan
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def cronbach_alpha_interval(items: pd.DataFrame, confidence: float = 0.95) -> Interval:
    """Cronbach's alpha of item columns with the Feldt interval (:func:`pingouin.cronbach_alpha`).

    Examples
    --------
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 4, 2, 5], "q2": [4, 4, 3, 5, 2, 4],
    ...                       "q3": [5, 5, 2, 4, 3, 5]})
    >>> r = cronbach_alpha_interval(items)  # pingouin.cronbach_alpha(items)
    >>> round(r["estimate"], 3), r["ci_low"], r["ci_high"]
    (0.889, 0.529, 0.983)
    """
    # a heavy library, imported where it is used: every kernel would pay for it otherwise
    import pingouin as pg
    confidence = check_confidence(confidence)
    data = items.dropna(how="all")
    n = len(data)
    if n < 3 or data.shape[1] < 2:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n,
                "method": "cronbach_alpha_too_few"}
    numeric = data.astype(float)
    if not np.nanvar(numeric.sum(axis=1)) > 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n,
                "method": "cronbach_alpha_no_variance"}
    alpha, ci = pg.cronbach_alpha(data=numeric, ci=confidence)
    return {"estimate": float(alpha), "se": np.nan, "ci_low": float(ci[0]),
            "ci_high": float(ci[1]), "n": n, "method": "cronbach_alpha_feldt_pairwise"}
