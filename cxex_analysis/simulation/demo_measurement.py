"""How the demo's surveys measure what people live through: measured points per latent point.

The demo world (:mod:`cxex_analysis.simulation.demo_world`) plants its links on latent
experience; the estimators see survey scores. These slopes turn a planted link into the
units the estimators see (:mod:`cxex_analysis.simulation.demo_files` writes the truths so):

* :func:`ex_measurement_slope` — engagement-index points per point of latent engagement
  (rounding and the ends of the 1–5 scale make it a little below 1);
* :func:`cx_measurement_slopes` — NPS, CSAT and CES points per point of the expected NPS
  ``c`` (each score is held at the ends of its scale).
"""

from __future__ import annotations

import numpy as np

from cxex_analysis.simulation.demo_parameters import ITEMS, DemoParameters
from cxex_analysis.simulation.latent import expected_rounded


def ex_measurement_slope(params: DemoParameters, d, latent_ex: np.ndarray) -> float:
    """Measured engagement-index points per latent point, within units and quarters.

    Each answer is ``clip(round(1 + 4 (L + person + profile + item level) / 100 + noise))``;
    its expectation given a unit's latent ``L`` is exact (normal distribution functions of
    the rounding thresholds), and the slope of the expected index on ``L`` is projected
    within units and quarters, as :mod:`cxex_analysis.simulation.latent` does: rounding and the ends of
    the 1–5 scale make it a little below 1.
    """
    levels = np.array([params.item_levels.get(item, 0.0) for item in ITEMS])
    sd = np.hypot(4 * params.employee_sd / 100, params.item_noise_sd)
    centre = 1 + 4 * (latent_ex[:, :, None] + d.item_profile[:, None, :] + levels) / 100
    expected = (expected_rounded(centre, sd, 1, 5).mean(axis=-1) - 1) / 4 * 100

    def within(values: np.ndarray) -> np.ndarray:
        v = values - values.mean(axis=1, keepdims=True)
        return v - v.mean(axis=0, keepdims=True)

    x, y = within(latent_ex), within(expected)
    return float((x * y).sum() / (x * x).sum())


def cx_measurement_slopes(params: DemoParameters, c: np.ndarray) -> dict[str, float]:
    """Measured NPS, CSAT and CES points per point of the expected NPS ``c`` (units x
    months), within units and quarters.

    Each score's expectation is linear in ``c`` between the ends of its scale, where it is
    held (NPS within ±65, CSAT's top-2 share within 2–98%, CES within 1.05–6.95): a unit
    beyond an end moves ``c`` without moving its score, so a link in the units the
    estimators see is a little smaller than the planted one (4-5% at the enterprise's
    spread of units). Projected as :func:`ex_measurement_slope` does, on quarters.
    """
    n, months = c.shape

    def quarterly_within(values: np.ndarray) -> np.ndarray:
        v = values.reshape(n, months // 3, 3).mean(axis=2)
        v = v - v.mean(axis=1, keepdims=True)
        return v - v.mean(axis=0, keepdims=True)

    expected = {"nps": np.clip(c, -65, 65),
                "csat": np.clip(params.csat_intercept + params.csat_per_nps * c, 2, 98),
                "ces": np.clip(params.ces_intercept + params.ces_per_nps * c, 1.05, 6.95)}
    x = quarterly_within(c)
    return {score: float((x * quarterly_within(v)).sum() / (x * x).sum())
            for score, v in expected.items()}
