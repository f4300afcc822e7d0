"""Balanced random assignment of units to a pilot, and the randomization test it implies.

Experimentation platforms re-randomize until the arms are balanced (Statsig); Morgan & Rubin
(2012) showed why it helps and what it costs: with a stated rule fixed in advance, the
difference in means stays unbiased, its variance along the balanced covariates shrinks, and
the randomization test must draw only from the assignments the rule accepts, or it is
conservative.

* :func:`rerandomized`: within each stratum (region × unit type, say) half of the units (or
  ``share``) are drawn to the pilot; the draw is repeated until every covariate's
  standardized mean difference is below ``max_smd`` (the stated rule), at most ``max_draws``
  times; the result says how many draws it took and shows the balance table.
* :func:`restricted_randomization_p`: Fisher's test with the assignments drawn by the same
  scheme and kept only when the rule accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxex_analysis.estimators.experiments import balance, cuped_adjusted


@dataclass(frozen=True)
class Assignment:
    """Which units are in the pilot (``treated``, aligned with the units given), the draws it
    took, the balance table of the one kept, and the rule in words."""

    treated: pd.Series
    draws: int
    balance: pd.DataFrame
    rule: str


def stratified_draw(strata: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """One assignment: in each stratum, round(share × its size) units drawn to the pilot (at
    least one in each arm where the stratum has two units or more).

    Examples
    --------
    >>> draw = stratified_draw(np.array(["a"] * 4 + ["b"] * 6), 0.5, np.random.default_rng(0))
    >>> int(draw[:4].sum()), int(draw[4:].sum())
    (2, 3)
    """
    treated = np.zeros(len(strata), dtype=bool)
    for value in pd.unique(strata):
        rows = np.flatnonzero(strata == value)
        k = int(round(share * len(rows)))
        if len(rows) >= 2:
            k = min(max(k, 1), len(rows) - 1)
        treated[rng.choice(rows, k, replace=False)] = True
    return treated


def rerandomized(units: pd.DataFrame, covariates: list[str], strata: list[str] | None = None,
                 share: float = 0.5, max_smd: float = 0.1, seed: int = 0,
                 max_draws: int = 10_000) -> Assignment:
    """Stratified assignment re-drawn until every covariate's |SMD| < ``max_smd``.

    Raises ValueError when no acceptable assignment is found in ``max_draws`` draws (too few
    units for the rule), saying so.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> units = pd.DataFrame({"region": np.repeat(["N", "S"], 50), "nps_pre": rng.normal(30, 10, 100)})
    >>> done = rerandomized(units, ["nps_pre"], ["region"], seed=3)
    >>> bool(done.balance["smd"].abs().max() < 0.1), int(done.treated.sum())
    (True, 50)
    """
    x = units[covariates].to_numpy(dtype=float)
    if np.isnan(x).any():
        raise ValueError(f"the covariates {covariates} have missing values: fill or drop those units")
    groups = (units[strata].astype(str).agg(" × ".join, axis=1).to_numpy() if strata
              else np.zeros(len(units), dtype=object))
    rng = np.random.default_rng(seed)
    for draw in range(1, max_draws + 1):
        treated = stratified_draw(groups, share, rng)
        if np.all(_smds_of_draws(x, treated[None, :]) < max_smd):
            arm = pd.Series(np.where(treated, "treatment", "control"), index=units.index)
            table = balance(units.assign(_arm=arm), "_arm", covariates, max_smd)
            rule = (f"drawn within {' × '.join(strata) if strata else 'the whole'} "
                    f"({share:.0%} to the pilot) and re-drawn until every |SMD| < {max_smd:g} on "
                    f"{', '.join(covariates)}; accepted at draw {draw}")
            return Assignment(pd.Series(treated, index=units.index), draw, table, rule)
    raise ValueError(f"no assignment of these {len(units)} units balanced {', '.join(covariates)} "
                     f"to |SMD| < {max_smd:g} in {max_draws:,} draws: add units or loosen the rule")


def stratified_draws(strata: np.ndarray, share: float, rng: np.random.Generator,
                     size: int) -> np.ndarray:
    """``size`` assignments at once (rows), each as :func:`stratified_draw` makes one.

    Examples
    --------
    >>> draws = stratified_draws(np.array(["a"] * 4 + ["b"] * 6), 0.5, np.random.default_rng(0), 3)
    >>> draws[:, :4].sum(axis=1).tolist(), draws[:, 4:].sum(axis=1).tolist()
    ([2, 2, 2], [3, 3, 3])
    """
    treated = np.zeros((size, len(strata)), dtype=bool)
    for value in pd.unique(strata):
        rows = np.flatnonzero(strata == value)
        k = int(round(share * len(rows)))
        if len(rows) >= 2:
            k = min(max(k, 1), len(rows) - 1)
        picked = np.argsort(rng.random((size, len(rows))), axis=1)[:, :k]
        treated[np.arange(size)[:, None], rows[picked]] = True
    return treated


def _smds_of_draws(x: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """|SMD| of each covariate (columns) for each assignment (rows of ``draws``)."""
    t = draws.astype(float)
    n1, n0 = t.sum(axis=1, keepdims=True), (1 - t).sum(axis=1, keepdims=True)
    m1, m0 = t @ x / n1, (1 - t) @ x / n0
    v1 = (t @ x ** 2 - n1 * m1 ** 2) / (n1 - 1)
    v0 = ((1 - t) @ x ** 2 - n0 * m0 ** 2) / (n0 - 1)
    pooled = np.sqrt(np.clip((v1 + v0) / 2, 0, None))
    return np.abs(np.where(pooled > 0, (m1 - m0) / np.where(pooled > 0, pooled, 1), 0.0))


def rerandomized_at_least(units: pd.DataFrame, covariates: list[str], strata: list[str],
                          n_treated: int, max_smd: float = 0.1, seed: int = 0) -> Assignment:
    """:func:`rerandomized` with at least ``n_treated`` units in the pilot (rounding within
    strata can fall a unit or two short of a share: the share is raised until it does not).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> units = pd.DataFrame({"region": rng.choice(list("abcdefg"), 300), "pre": rng.normal(size=300)})
    >>> int(rerandomized_at_least(units, ["pre"], ["region"], 31, seed=2).treated.sum()) >= 31
    True
    """
    share = n_treated / len(units)
    while True:
        done = rerandomized(units, covariates, strata, share, max_smd, seed)
        if done.treated.sum() >= n_treated or share >= 0.5:
            return done
        share = min(0.5, share + 1 / len(units))


def restricted_randomization_p(y: np.ndarray, treated: np.ndarray, covariates: np.ndarray,
                               strata: np.ndarray | None = None, max_smd: float = 0.1,
                               draws: int = 2_000, seed: int = 0,
                               max_tries: int = 200_000) -> tuple[float, int]:
    """Two-sided randomization p-value of the difference in means, drawing assignments by the
    same stratified scheme and keeping only those whose covariates' |SMD| < ``max_smd``;
    returns the p-value and how many acceptable assignments it used.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 1)); treated = np.tile([True, False], 30)
    >>> p, used = restricted_randomization_p(x[:, 0] + rng.normal(size=60), treated, x, seed=1)
    >>> 0 <= p <= 1 and used == 2000
    True
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(covariates, dtype=float).reshape(len(y), -1)
    groups = strata if strata is not None else np.zeros(len(y), dtype=object)
    share = float(np.mean(treated))
    observed = y[treated].mean() - y[~treated].mean()
    rng = np.random.default_rng(seed)
    kept: list[np.ndarray] = []
    found = tried = 0
    while found < draws and tried < max_tries:
        batch = stratified_draws(groups, share, rng, min(5_000, max_tries - tried))
        tried += len(batch)
        accepted = batch[np.all(_smds_of_draws(x, batch) < max_smd, axis=1)][:draws - found]
        kept.append(accepted)
        found += len(accepted)
    every = np.concatenate(kept) if kept else np.zeros((0, len(y)), dtype=bool)
    t = every.astype(float)
    diffs = np.abs(t @ y / t.sum(axis=1) - (1 - t) @ y / (1 - t).sum(axis=1))
    return float((np.sum(diffs >= abs(observed) - 1e-12) + 1) / (len(every) + 1)), len(every)


def randomization_p_as_drawn(units: pd.DataFrame, outcome: str, drawn: pd.DataFrame,
                             max_smd: float, pre: str | None = None,
                             seed: int = 0) -> tuple[float, int] | None:
    """:func:`restricted_randomization_p` of a pilot assigned by :func:`rerandomized`, from the
    record of its draw: ``drawn`` has one row per unit drawn (``unit_id``, ``stratum``, and
    ``covariates``, the values it was balanced on); ``units`` the analysed units (``unit_id``,
    ``arm``, ``outcome`` and ``pre``). With ``pre`` the outcome is first CUPED-adjusted, as
    :func:`~cxex_analysis.estimators.experiments.randomization_p_value` does. None when an
    analysed unit was not drawn (the unrestricted test then stands) or fewer than four are.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> drawn = pd.DataFrame({"unit_id": range(40), "stratum": "all",
    ...                       "covariates": [[v] for v in rng.normal(size=40)]})
    >>> units = pd.DataFrame({"unit_id": range(40), "arm": ["treatment", "control"] * 20,
    ...                       "nps": rng.normal(size=40)})
    >>> p, used = randomization_p_as_drawn(units, "nps", drawn, 0.1)
    >>> 0 < p <= 1, used
    (True, 2000)
    """
    if drawn.empty or "covariates" not in drawn:
        return None
    plan = drawn.set_index("unit_id")
    frame = units[["unit_id", "arm", outcome] + ([pre] if pre else [])].dropna()
    if not frame["unit_id"].isin(plan.index).all() or len(frame) < 4:
        return None
    y = frame[outcome].to_numpy(dtype=float)
    if pre:
        y = cuped_adjusted(y, frame[pre].to_numpy(dtype=float))
    covariates = np.array(plan.loc[frame["unit_id"], "covariates"].tolist(), dtype=float)
    strata = plan.loc[frame["unit_id"], "stratum"].astype(str).to_numpy()
    return restricted_randomization_p(y, (frame["arm"] == "treatment").to_numpy(), covariates,
                                      strata, max_smd, seed=seed)
