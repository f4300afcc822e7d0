"""An organisation to design pilots on, with a planted effect: the power check of ``cxex design``.

Each unit has a latent customer experience that lasts (a stable level) and drifts (an AR(1)
path month to month). Each month a varying number of its customers answer (a unit's usual
volume, non-response around it); each answer is promoter, passive or detractor with
probabilities that follow the latent experience, so a unit's monthly NPS is a sample whose
noise depends on how many answered. A pilot shifts the latent experience of its units from
the start; :func:`shift_for` finds the shift whose expected NPS change, averaged over the
pilot units and months, is the effect asked for: the truth in the units the estimator sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit

from cxex_analysis.analyses.pilots import monitor
from cxex_analysis.estimators.assignment import rerandomized_at_least
from cxex_analysis.estimators.experiments import cuped
from cxex_analysis.estimators.pilot_sizing import power_at, residual_covariance, units_needed


@dataclass(frozen=True)
class PilotWorld:
    """``units`` (unit_id, region, unit_type, level, volume) and the latent path
    (units × months) over ``months`` months: the first ``history`` before the pilot."""

    units: pd.DataFrame
    latent: np.ndarray
    history: int


def organisation(n_units: int = 300, history: int = 24, months: int = 6,
                 seed: int = 0) -> PilotWorld:
    """Units in four regions and two types, their latent experience for ``history`` +
    ``months`` months."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["North", "South", "East", "West"], n_units, p=[0.4, 0.3, 0.2, 0.1])
    unit_type = rng.choice(["store", "branch"], n_units, p=[0.7, 0.3])
    level = rng.normal(0.6, 0.5, n_units) + np.where(unit_type == "branch", 0.2, 0.0)
    volume = np.exp(rng.normal(np.log(30), 0.6, n_units))  # customers answering a month
    total = history + months
    drift = np.zeros((n_units, total))
    shocks = rng.normal(0, 0.12, (n_units, total))
    for t in range(1, total):
        drift[:, t] = 0.85 * drift[:, t - 1] + shocks[:, t]
    units = pd.DataFrame({"unit_id": [f"U{i:04d}" for i in range(n_units)], "region": region,
                          "unit_type": unit_type, "level": level, "volume": volume})
    return PilotWorld(units=units, latent=level[:, None] + drift, history=history)


def future(world: PilotWorld, seed: int) -> PilotWorld:
    """The same organisation up to the start, its months after it drawn afresh (the drift
    continued from where the history left it)."""
    rng = np.random.default_rng(seed)
    level = world.units["level"].to_numpy()
    latent = world.latent.copy()
    drift = latent[:, world.history - 1] - level
    for t in range(world.history, latent.shape[1]):
        drift = 0.85 * drift + rng.normal(0, 0.12, len(level))
        latent[:, t] = level + drift
    return PilotWorld(units=world.units, latent=latent, history=world.history)


def expected_nps(latent: np.ndarray) -> np.ndarray:
    """Promoters' minus detractors' expected share, in points, at a latent experience."""
    return 100 * (expit(2.0 * (latent - 0.9)) - expit(-2.0 * (latent - 0.1)))


def shift_for(world: PilotWorld, treated: np.ndarray, effect: float) -> float:
    """The latent shift whose expected NPS change over the pilot units and months is
    ``effect`` points."""
    after = world.latent[treated, world.history:]
    if effect == 0:
        return 0.0
    return float(optimize.brentq(
        lambda s: float(np.mean(expected_nps(after + s) - expected_nps(after))) - effect,
        -5, 5, xtol=1e-10))


def monthly_nps(world: PilotWorld, shift: np.ndarray, seed: int) -> pd.DataFrame:
    """Every unit's monthly NPS, answers and its standard error (``unit_id``, ``t``, ``nps``,
    ``responses``, ``nps_se``); ``shift`` is each unit's latent shift by month."""
    rng = np.random.default_rng(seed)
    latent = world.latent + shift
    p_promoter = expit(2.0 * (latent - 0.9))
    p_detractor = expit(-2.0 * (latent - 0.1))
    n = rng.poisson(world.units["volume"].to_numpy()[:, None] * np.ones_like(latent)).clip(min=1)
    promoters = rng.binomial(n, p_promoter)
    detractors = rng.binomial(n - promoters, np.clip(p_detractor / (1 - p_promoter), 0, 1))
    p, d = promoters / n, detractors / n
    units, months = latent.shape
    return pd.DataFrame({
        "unit_id": np.repeat(world.units["unit_id"].to_numpy(), months),
        "t": np.tile(np.arange(months), units),
        "nps": (100 * (p - d)).ravel(), "responses": n.ravel(),
        "nps_se": (100 * np.sqrt(np.clip(p + d - (p - d) ** 2, 1e-9, None) / n)).ravel()})


@dataclass(frozen=True)
class PowerCheck:
    """What the design promised (``stated`` power for ``effect`` with ``n_treated`` pilot
    units) and how often the analysis found the planted effect (``detected``) and declared
    one when there was none (``false_positive``), over ``draws`` pilots."""

    effect: float
    n_treated: int
    n_control: int
    stated: float
    detected: float
    false_positive: float
    alpha: float
    draws: int
    looks: str


def power_check(effect: float, looks: str = "final", n_units: int = 300, alpha: float = 0.05,
                power: float = 0.8, draws: int = 400, seed: int = 0) -> PowerCheck:
    """Design a pilot on one organisation's history as ``cxex design`` does, then run it
    ``draws`` times (a new assignment by the rule, new months after the start) with the
    planted ``effect`` and with none, analysed as notebook 02 analyses a registered pilot:
    ANCOVA on the pre-period mean, two-sided at ``alpha`` (one look), or the always-valid
    monitor clearing zero by the last look (a look every month)."""
    world = organisation(n_units, seed=seed)
    months = world.latent.shape[1] - world.history
    history = monthly_nps(world, np.zeros_like(world.latent), seed)
    history = history[history["t"] < world.history]
    variance = residual_covariance(history, "nps", months, se="nps_se")
    sizing = units_needed(variance, effect, n_units, alpha, power, looks, seed)
    if sizing.n_treated is None:
        raise ValueError(f"{n_units} units cannot reach {power:.0%} power for {effect}")
    units = world.units.set_index("unit_id")
    units["nps_pre"] = history[history["t"] >= world.history - 12].groupby("unit_id")["nps"].mean()
    units = units.reset_index()
    found: dict[float, list[str]] = {effect: [], 0.0: []}
    n_treated = []
    for r in range(draws):
        treated = rerandomized_at_least(units, ["nps_pre"], ["region", "unit_type"],
                                        sizing.n_treated, 0.1, seed * 100_000 + r).treated.to_numpy()
        n_treated.append(int(treated.sum()))
        later = future(world, seed * 100_000 + r)
        for planted in found:
            shift = np.zeros_like(later.latent)
            shift[treated, later.history:] = shift_for(later, treated, planted)
            months_after = monthly_nps(later, shift, seed * 100_000 + r + 7)
            panel = pd.concat([history, months_after[months_after["t"] >= later.history]])
            arm = pd.Series(np.where(treated, "treatment", "control"), index=units["unit_id"])
            panel["arm"] = panel["unit_id"].map(arm)
            found[planted].append(_found(panel, later.history, looks, alpha))
    n_t = int(np.median(n_treated))
    stated = power_at(variance, effect, n_t, n_units - n_t, alpha, looks, seed)
    detected = float(np.mean([d == "better" for d in found[effect]]))
    false_positive = float(np.mean([d != "no" for d in found[0.0]]))
    return PowerCheck(effect=effect, n_treated=n_t, n_control=n_units - n_t, stated=stated,
                      detected=detected, false_positive=false_positive, alpha=alpha,
                      draws=draws, looks=looks)


def _found(panel: pd.DataFrame, start: int, looks: str, alpha: float) -> str:
    """"better", "worse" or "no": what the registered analysis of one pilot concludes."""
    if looks == "final":
        before = panel[panel["t"] < start].groupby("unit_id")["nps"].mean()
        units = panel[panel["t"] >= start].groupby("unit_id").agg(
            nps=("nps", "mean"), arm=("arm", "first"))
        units["nps_pre"] = before
        row = cuped(units.reset_index(), "nps", "arm", "nps_pre", 1 - alpha).iloc[-1]
    else:
        long = panel.assign(cohort=np.where(panel["arm"] == "treatment", start, 0))
        row = monitor("randomized", long, "nps", "never_treated", 1 - alpha, 0.0, False,
                      "check").iloc[-1]
    return "better" if row["ci_low"] > 0 else "worse" if row["ci_high"] < 0 else "no"
