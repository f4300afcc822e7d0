"""Pilots still running: always-valid confidence sequences for monthly looks.

Leaders look at a running pilot every month. A 95% interval read at every look and acted on
the first time it excludes zero is wrong far more often than 5% of the time: each look is
another chance for noise to cross the line. A confidence sequence is a sequence of intervals
that all cover the true effect at once with probability 95%, however many looks are taken and
whenever one stops (Howard, Ramdas, McAuliffe & Sekhon 2021, *Annals of Statistics* 49(2)).

:func:`confidence_sequence` uses the normal-mixture boundary behind the mixture sequential
probability ratio test of the experimentation platforms (Johari, Koomen, Pekelis & Walsh 2017):
for an estimate with variance V at a look and a mixing variance τ², the interval is

    estimate ± sqrt( V (V + τ²) / τ² × (2 log(1/α) + log((V + τ²) / V)) ),

intersected with the intervals of the earlier looks. τ is fixed at the first look (the
standard error there), so later, more precise looks get the narrowest part of the boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import erfinv

from cxex_analysis.errors import InsufficientData, check_confidence

DECISIONS = ("stop for benefit", "stop for futility", "continue")


def half_width(variance: np.ndarray, tau2: float, alpha: float) -> np.ndarray:
    """Normal-mixture boundary: half-width of the always-valid interval at each look.

    Examples
    --------
    >>> half_width(np.array([1.0, 0.25]), tau2=1.0, alpha=0.05).round(3).tolist()
    [3.656, 1.541]
    
    At the first look, √(V (V + τ²) / τ² · (2 ln 20 + ln((V + τ²) / V))) with V = τ² = 1.
    """
    variance = np.asarray(variance, dtype=float)
    return np.sqrt(variance * (variance + tau2) / tau2
                   * (2 * np.log(1 / alpha) + np.log((variance + tau2) / variance)))


def always_valid_p(estimate: np.ndarray, variance: np.ndarray, tau2: float) -> np.ndarray:
    """Always-valid p-values for "no effect" (1 / mixture likelihood ratio, running minimum).

    Examples
    --------
    >>> always_valid_p(np.array([1.0, 3.0, 0.5]), np.ones(3), tau2=1.0).round(4).tolist()
    [1.0, 0.1491, 0.1491]
    
    At the second look 1 / exp(½ ln ½ + 9 / 4); it never rises again.
    """
    estimate, variance = np.asarray(estimate, float), np.asarray(variance, float)
    log_ratio = (0.5 * np.log(variance / (variance + tau2))
                 + tau2 * estimate ** 2 / (2 * variance * (variance + tau2)))
    return np.minimum.accumulate(np.minimum(1.0, np.exp(-log_ratio)))


def confidence_sequence(estimates, ses, confidence: float = 0.95,
                        tau: float | None = None) -> pd.DataFrame:
    """Always-valid intervals for a sequence of looks at one effect.

    Returns one row per look: ``ci_low``/``ci_high`` (running intersection of the
    normal-mixture intervals), ``p_value`` (always valid), ``fixed_low``/``fixed_high``
    (the ordinary interval of that look, for comparison) and ``tau``.

    Examples
    --------
    Three monthly looks at a pilot's effect. The first look's ordinary interval, 4 ± 1.96 × 2,
    already excludes 0; the always-valid one (half-width √(4 · 8 / 4 · (2 ln 20 + ln 2)) = 7.31
    with τ = the first SE, :func:`half_width`) excludes it only at the third look, and it
    never widens from one look to the next:

    >>> cs = confidence_sequence([4.0, 3.0, 3.5], [2.0, 1.4, 1.0])
    >>> cs[["estimate", "ci_low", "ci_high", "fixed_low", "fixed_high"]].round(2)
       estimate  ci_low  ci_high  fixed_low  fixed_high
    0       4.0   -3.31    11.31       0.08        7.92
    1       3.0   -1.55     7.55       0.26        5.74
    2       3.5    0.42     6.58       1.54        5.46
    """
    confidence = check_confidence(confidence)
    estimates, ses = np.asarray(estimates, float), np.asarray(ses, float)
    usable = np.isfinite(estimates) & np.isfinite(ses) & (ses > 0)
    if not usable.any():
        raise InsufficientData("no look has an estimate with a standard error.")
    estimates, ses = estimates[usable], ses[usable]
    tau = float(ses[0]) if tau is None else float(tau)
    alpha = 1 - confidence
    variance = ses ** 2
    width = half_width(variance, tau ** 2, alpha)
    low = np.maximum.accumulate(estimates - width)
    high = np.minimum.accumulate(estimates + width)
    z = np.sqrt(2) * _erfinv(confidence)
    return pd.DataFrame({"estimate": estimates, "se": ses, "ci_low": low, "ci_high": high,
                         "p_value": always_valid_p(estimates, variance, tau ** 2),
                         "fixed_low": estimates - z * ses, "fixed_high": estimates + z * ses,
                         "tau": tau, "look": np.flatnonzero(usable)})


def _erfinv(confidence: float) -> float:
    return float(erfinv(confidence))


def decisions(low: np.ndarray, high: np.ndarray, worthwhile: float = 0.0,
              lower_is_better: bool = False) -> list[str]:
    """At each look: stop for benefit (the whole interval better than ``worthwhile``), stop
    for futility (the whole interval worse than it) or continue.

    Examples
    --------
    >>> decisions(np.array([0.5, -2.0, -1.0]), np.array([3.0, -0.5, 1.0]))
    ['stop for benefit', 'stop for futility', 'continue']
    """
    sign = -1.0 if lower_is_better else 1.0
    out = []
    for lo, hi in zip(low, high):
        better_low = min(sign * lo, sign * hi)
        better_high = max(sign * lo, sign * hi)
        threshold = sign * worthwhile
        if better_low > threshold:
            out.append(DECISIONS[0])
        elif better_high < threshold:
            out.append(DECISIONS[1])
        else:
            out.append(DECISIONS[2])
    return out
