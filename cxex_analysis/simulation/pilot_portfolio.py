"""Planted pilots: is a pilot that looked good worth what it measured?

Each organisation runs a few pilots (1–5). Most ideas do little and some work (Kohavi et al.,
*Trustworthy Online Controlled Experiments*: most ideas fail to move their metric), so each
pilot's true effect on NPS is 0 ± ``small_sd`` with probability ``1 - share_working`` and
``working_mean`` ± ``working_sd`` otherwise; it is measured with a standard error drawn
between ``se_range`` (the demo's pilots: 2–6 NPS points), the estimate normal around the
truth. The pilots whose estimate cleared 1.96 SE are those a leadership team would scale.

:func:`run` values each organisation's pilots as cxex does
(:func:`~cxex_analysis.estimators.shrinkage.shrink` of all its pilots' effects, the centre
fixed at zero, ``tau_scale`` a large effect) and returns one row per pilot with the truth, the
measured and the shrunk effect and their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxex_analysis.estimators.shrinkage import shrink


@dataclass(frozen=True)
class Portfolio:
    """How an organisation's pilots' true effects and measurements are drawn (NPS points)."""

    most_pilots: int = 5
    share_working: float = 0.3
    small_sd: float = 0.5
    working_mean: float = 5.0
    working_sd: float = 3.0
    se_range: tuple[float, float] = (2.0, 6.0)
    tau_scale: float = 12.0  # the value model's large effect on NPS: a unit's spread


def run(organisations: int = 2000, portfolio: Portfolio = Portfolio(), seed: int = 0,
        confidence: float = 0.95) -> pd.DataFrame:
    """One row per planted pilot: ``organisation``, ``truth``, ``estimate``, ``se``, the raw
    interval (``raw_low``/``raw_high``), ``shrunk`` with its interval, and ``selected`` (the
    estimate cleared 1.96 SE: a pilot that would be scaled)."""
    rng = np.random.default_rng(seed)
    z = 1.959964
    frames = []
    for organisation in range(organisations):
        k = int(rng.integers(1, portfolio.most_pilots + 1))
        working = rng.random(k) < portfolio.share_working
        truth = np.where(working, rng.normal(portfolio.working_mean, portfolio.working_sd, k),
                         rng.normal(0, portfolio.small_sd, k))
        se = rng.uniform(*portfolio.se_range, k)
        estimate = truth + rng.normal(0, 1, k) * se
        fit = shrink(estimate, se, tau_scale=portfolio.tau_scale, confidence=confidence)
        frames.append(pd.DataFrame({
            "organisation": organisation, "truth": truth, "estimate": estimate, "se": se,
            "raw_low": estimate - z * se, "raw_high": estimate + z * se,
            "shrunk": fit["shrunk"].to_numpy(), "shrunk_low": fit["ci_low"].to_numpy(),
            "shrunk_high": fit["ci_high"].to_numpy(), "selected": estimate > z * se}))
    return pd.concat(frames, ignore_index=True)


def summary(pilots: pd.DataFrame) -> pd.DataFrame:
    """Per group (every pilot; those that looked good): mean error and root mean squared
    error of the measured and the shrunk effect, and their intervals' coverage."""
    rows = []
    for group, part in (("every pilot", pilots), ("pilots that looked good (scaled)",
                                                  pilots[pilots["selected"]])):
        for effect, low, high in (("estimate", "raw_low", "raw_high"),
                                  ("shrunk", "shrunk_low", "shrunk_high")):
            error = part[effect] - part["truth"]
            rows.append({"pilots": group, "effect": "measured" if effect == "estimate" else "shrunk",
                         "n": len(part), "mean_error": error.mean(),
                         "rmse": float(np.sqrt((error ** 2).mean())),
                         "coverage": float(((part[low] <= part["truth"])
                                            & (part["truth"] <= part[high])).mean())})
    return pd.DataFrame(rows)
