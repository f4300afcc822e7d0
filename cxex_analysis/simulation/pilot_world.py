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
