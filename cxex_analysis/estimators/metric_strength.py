"""Which customer metric goes with money most: each metric's link to an outcome within units,
corrected for survey noise, in comparable units.

A practitioners' poll calls CSAT the most actionable metric, then CES, then NPS. Here each
metric's unit-quarter score is measured twice, by random halves of its customers (``x_a``,
``x_b``), and everything is taken within units and quarters (unit and quarter effects
projected out). Sampling noise is independent between the halves and of the outcome, so

* the true within-unit variance of the score is Cov(x_a, x_b) (covariances per degree of
  freedom left once the unit and quarter means are removed);
* the effect of one within-unit standard deviation of the *true* score on the outcome is
  Cov(y, x̄) / √Cov(x_a, x_b), x̄ = (x_a + x_b) / 2 — in the outcome's units;
* the share of the outcome's within-unit variance the score accounts for is
  Cov(y, x̄)² / (Cov(x_a, x_b) · Var(y)), a noise-corrected R² of the metric alone.

A metric whose halves do not covary above zero at the confidence level (its change within
units cannot be told from noise) gets no share or effect, and its ``method`` says so: the
ratio would be unbounded, as a weak instrument's is.

The plain correlation would rank a metric measured on more answers above a better one
measured on fewer; these do not. Every metric is compared on the same unit-quarters (those
with all of them). Intervals: percentile bootstrap over units; pairwise differences of the
shares get a bootstrap p-value and a Holm correction over the pairs.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cxex_analysis.errors import InsufficientData, check_argument, check_confidence
from cxex_analysis.estimators.fixed_effects import absorb_effects
from cxex_analysis.results import tidy

#: Fewer units than this and nothing is estimated.
MIN_UNITS = 10


def _moments(y: np.ndarray, halves: list[tuple[np.ndarray, np.ndarray]],
             weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per metric at ``weights``: the effect of one true SD, the share of the outcome's
    variance, and the true variance (the halves' covariance)."""
    total = weights.sum()
    var_y = (weights * y * y).sum() / total
    effects, shares, true_vars = [], [], []
    for a, b in halves:
        true_var = (weights * a * b).sum() / total
        cov_y = (weights * y * (a + b) / 2).sum() / total
        true_vars.append(true_var)
        if true_var <= 0 or var_y <= 0:
            effects.append(np.nan)
            shares.append(np.nan)
            continue
        effects.append(cov_y / np.sqrt(true_var))
        shares.append(min(cov_y ** 2 / (true_var * var_y), 1.0))  # a share is at most all
    return np.array(effects), np.array(shares), np.array(true_vars)


def _holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values (statsmodels), NaN where a pair has none."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p), np.nan)
    known = np.isfinite(p)
    if known.any():
        adjusted[known] = multipletests(p[known], method="holm")[1]
    return adjusted.tolist()


def _centred(frame: pd.DataFrame, columns: list[str], unit: str, time: str,
              design: str) -> tuple[np.ndarray, np.ndarray, float]:
    """The values the moments are taken of, each row's unit code, and the degrees-of-freedom
    factor of their covariances: unit-quarters with unit and quarter effects projected out
    (``within``), or unit means centred on the mean unit (``between``)."""
    if design == "within":
        values = absorb_effects(frame[columns], [frame[unit], frame[time]])
        codes = pd.factorize(frame[unit])[0]
        absorbed = codes.max() + 1 + frame[time].nunique() - 1
    else:
        means = frame.groupby(unit, sort=True)[columns].mean()
        values = (means - means.mean()).to_numpy(dtype=float)
        codes, absorbed = np.arange(len(means)), 1
    return values, codes, float(np.sqrt(len(values) / max(len(values) - absorbed, 1)))


def metric_strength(data: pd.DataFrame, outcome: str, metrics: list[str], unit: str = "unit_id",
                    time: str = "t", confidence: float = 0.95, draws: int = 1000,
                    seed: int = 0, design: str = "within") -> pd.DataFrame:
    """Tidy rows for ``outcome`` (analysis ``claims``): per metric (``subject``), estimand
    ``metric_effect_per_sd`` (outcome change for one within-unit SD of the true score) and
    ``metric_share_explained`` (% of the outcome's within-unit variance), each with the
    score's within-unit ``reliability``; per pair of measurable metrics
    (``subject`` = ``csat-nps``), ``metric_share_difference`` (percentage points) with a
    bootstrap p-value and extra column ``p_holm``. ``data`` has ``{metric}_a``/``{metric}_b``
    halves; ``n`` counts unit-quarters. A metric whose halves the data lack is left out.

    ``design="between"`` compares units instead (``term`` ``between_unit``; ``n`` counts
    units): each unit's averages over its quarters, whose halves' covariance is the true
    variance of the units' lasting levels. Weaker evidence — lasting differences between units
    can explain both — for data whose change within units is mostly survey noise.

    Examples
    --------
    :func:`~cxex_analysis.estimators.measurement.planted_panel`'s money follows the real m
    (1.5) and the real x (0.3), whose changes within units have variances 1.64 and 1, and
    covariance 0.8, beside money's 5.5. One SD of the real m moves money by
    (1.5 × 1.64 + 0.3 × 0.8) / √1.64 = 2.1 and accounts for 2.7² / (5.5 × 1.64) = 81% of its
    variance; one SD of x by 1.5 and 1.5² / 5.5 = 41%:

    >>> from cxex_analysis.estimators.measurement import planted_panel
    >>> rows = metric_strength(planted_panel(), "money", ["x", "m"], unit="unit", time="period")
    >>> rows[["estimand", "subject", "estimate"]].round(1).values.tolist()
    [['metric_effect_per_sd', 'x', 1.5], ['metric_share_explained', 'x', 41.8],
     ['metric_effect_per_sd', 'm', 2.1], ['metric_share_explained', 'm', 79.0],
     ['metric_share_difference', 'x-m', -37.2]]
    >>> truth = [1.5, 40.9, 2.108, 80.8, -39.9]
    >>> bool(((rows["ci_low"] < truth) & (rows["ci_high"] > truth)).all())
    True
    """
    check_argument("design", design, ("within", "between"))
    confidence = check_confidence(confidence)
    metrics = [m for m in metrics if {f"{m}_a", f"{m}_b"} <= set(data.columns)
               and data[[f"{m}_a", f"{m}_b"]].notna().any().all()]
    if outcome not in data or len(metrics) < 1:
        return tidy([])
    columns = [outcome] + [f"{m}_{h}" for m in metrics for h in "ab"]
    frame = data[[unit, time, *columns]].dropna()
    if frame[unit].nunique() < MIN_UNITS:
        raise InsufficientData(f"too few units ({frame[unit].nunique()}) with {outcome} and every "
                             f"metric's halves (at least {MIN_UNITS} are needed).")
    values, codes, dof = _centred(frame, columns, unit, time, design)
    y = values[:, 0]
    halves = [(values[:, 1 + 2 * i], values[:, 2 + 2 * i]) for i in range(len(metrics))]
    groups = codes.max() + 1
    effects, shares, _ = _moments(y, halves, np.ones(len(y)))
    rng = np.random.default_rng(seed)
    boot = [_moments(y, halves, np.bincount(rng.integers(0, groups, groups),
                                            minlength=groups)[codes].astype(float))
            for _ in range(draws)]
    effects, boot_effects = dof * effects, dof * np.array([b[0] for b in boot])
    boot_shares = np.array([b[1] for b in boot])
    # a metric whose true change within units cannot be told from noise (its halves'
    # covariance not above 0 at the confidence level) has no finite share or effect
    measured = np.nanpercentile(np.array([b[2] for b in boot]), 100 * (1 - confidence), axis=0) > 0
    reliability = [_reliability(a, b) for a, b in halves]
    tail = [50 * (1 - confidence), 50 * (1 + confidence)]
    method = ("split_half_moments_within_unit_quarter_bootstrap_units (n = unit-quarters)"
              if design == "within" else "split_half_moments_between_unit_means_bootstrap_units "
              "(n = units)")
    base = {"analysis": "claims", "outcome": outcome, "confidence": confidence,
            "n": len(values), "method": method, "term": f"{design}_unit"}
    rows = []
    for i, metric in enumerate(metrics):
        for estimand, point, sample, scale in (("metric_effect_per_sd", effects[i], boot_effects[:, i], 1.0),
                                               ("metric_share_explained", shares[i], boot_shares[:, i], 100.0)):
            row = {**base, "estimand": estimand, "subject": metric, "reliability": reliability[i]}
            if not measured[i]:
                rows.append({**row, "method": "not estimated: its change within units cannot be "
                             f"told from survey noise (reliability {reliability[i]:.2f})"})
                continue
            low, high = np.nanpercentile(sample, tail)
            rows.append({**row, "estimate": scale * point, "se": scale * np.nanstd(sample, ddof=1),
                         "ci_low": scale * low, "ci_high": scale * high})
    pairs = [(i, j) for i, j in combinations(range(len(metrics)), 2) if measured[i] and measured[j]]
    p_values = []
    for i, j in pairs:
        difference = boot_shares[:, i] - boot_shares[:, j]
        difference = difference[np.isfinite(difference)]
        p_values.append(min(1.0, 2 * min((difference <= 0).mean(), (difference >= 0).mean()))
                        if len(difference) else np.nan)
    for (i, j), p_value, p_holm in zip(pairs, p_values, _holm(p_values) if pairs else []):
        sample = 100 * (boot_shares[:, i] - boot_shares[:, j])
        low, high = np.nanpercentile(sample, tail)
        rows.append({**base, "estimand": "metric_share_difference",
                     "subject": f"{metrics[i]}-{metrics[j]}",
                     "estimate": 100 * (shares[i] - shares[j]), "se": np.nanstd(sample, ddof=1),
                     "ci_low": low, "ci_high": high, "p_value": p_value, "p_holm": p_holm})
    out = tidy(rows, extra=["p_holm", "reliability"])
    return out if "p_holm" in out else out.assign(p_holm=np.nan)  # no measurable pair


def _reliability(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the full score's within-unit variance that is real change (Spearman–Brown)."""
    r = float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))
    return 2 * r / (1 + r) if r > -1 else float("nan")
