"""EX -> CX -> money: mediation within units.

:func:`mediation` is the product of coefficients on two-way demeaned data with a
unit-cluster bootstrap interval; :func:`mediation_corrected` estimates both paths with
split-half instruments (:mod:`cxex_analysis.estimators.measurement`), so survey noise in
the scores does not shrink the indirect effect toward zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.errors import InsufficientData, ParameterError, check_confidence
from cxex_analysis.estimators.fixed_effects import absorb_effects, two_way_demean
from cxex_analysis.results import tidy


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

    Examples
    --------
    >>> import pingouin as pg
    >>> data = pg.read_dataset("mediation")
    >>> rows = mediation(data, "X", "M", "Y", unit=None, time=None, within=False, n_boot=500)
    >>> rows.set_index("estimand")["estimate"].round(4).to_dict()  # pingouin.mediation_analysis
    {'mediation_indirect': 0.3565, 'mediation_a': 0.561, 'mediation_b': 0.6355, 'mediation_direct': 0.0396}
    """
    confidence = check_confidence(confidence)
    frame = data.dropna(subset=[x, m, y]).reset_index(drop=True)
    clusters = frame[unit].nunique() if unit is not None and unit in frame else len(frame)
    if len(frame) < 4 or clusters < 3:
        raise InsufficientData(f"too few observations ({len(frame)}, from {clusters} "
                               f"{'units' if unit else 'rows'}) with {x}, {m} and {y} for a mediation.")
    if within:
        if unit is None or time is None:
            raise ParameterError("within-unit mediation needs `unit` and `time`.")
        centred = two_way_demean(frame, [x, m, y], unit, time)
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
    if not (np.isfinite([a, b, direct]).all() and np.isfinite(draws).all(axis=1).any()):
        raise InsufficientData(f"{x}, {m} and {y} do not vary enough within units for a "
                               "mediation (the paths cannot be estimated).")
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

    Examples
    --------
    The planted chain of :func:`~cxex_analysis.estimators.measurement.planted_panel`: a = 0.8,
    b = 1.5, indirect 0.8 × 1.5 = 1.2, direct 0.3:

    >>> from cxex_analysis.estimators.measurement import planted_panel
    >>> rows = mediation_corrected(planted_panel(), "x", "m", "money", unit="unit",
    ...                            time="period", n_boot=200, seed=1)
    >>> rows.set_index("estimand")["estimate"].round(2).to_dict()
    {'mediation_indirect': 1.18, 'mediation_a': 0.8, 'mediation_b': 1.48, 'mediation_direct': 0.32}
    >>> bool(((rows["ci_low"] < [1.2, 0.8, 1.5, 0.3]) & ([1.2, 0.8, 1.5, 0.3] < rows["ci_high"])).all())
    True
    """
    confidence = check_confidence(confidence)
    needed = [x, m, y, f"{x}_a", f"{x}_b", f"{m}_a", f"{m}_b"]
    frame = data.dropna(subset=needed).reset_index(drop=True)
    if frame[unit].nunique() < 10:
        raise InsufficientData("too few units with both halves of EX and NPS to correct the "
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
