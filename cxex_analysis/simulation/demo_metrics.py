"""The demo organisation's own metrics (``unit_metrics.csv``), following its latent experience.

Two metrics a retailer keeps besides the surveys, so that the demo shows engagement linked
to any outcome (notebook 01) and a programme valued in them (notebook 03, section 7):

* **staff absence** (% of hours, quarterly, lower is better): a unit's lasting level, and a
  deviation that carries half of itself into the next quarter and falls
  ``ABSENCE_PER_POINT`` for each latent point of the previous quarter's employee experience;
* **sales** (EUR thousand a month, monthly, higher is better): a unit's level, and
  ``SALES_PER_POINT`` a month for each latent point of the previous quarter's experience.

They follow the latent experience, not the scores; the truth is given in the units the
estimators see: per point of the measured engagement index of the wave before (the latent
effect over the index's measurement slope). Drawn from a random stream of their own, so
every other file of the demo stays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.simulation.demo_measurement import ex_measurement_slope

#: absence (percentage points of hours) per latent engagement point of the quarter before
ABSENCE_PER_POINT = -0.04

#: sales (EUR thousand a month) per latent engagement point of the quarter before
SALES_PER_POINT = 1.2


def unit_metrics(params, draws, factual, months: pd.DatetimeIndex) -> tuple[pd.DataFrame, dict]:
    """The metrics' rows and their truth (per measured engagement-index point of the wave
    before, the ``lag1`` of notebook 01's pair)."""
    rng = params.stream("unit_metrics")
    latent = factual.latent_ex
    n_units, n_quarters = latent.shape
    centred = latent - latent.mean()
    before = np.concatenate([centred[:, :1], centred[:, :-1]], axis=1)  # the quarter before
    ids = draws.units["unit_id"].to_numpy()
    quarters = pd.date_range(months[0], periods=n_quarters, freq="QS")
    absence = np.empty((n_units, n_quarters))
    deviation = rng.normal(0, 0.3, n_units)
    level = 4.5 + rng.normal(0, 0.8, n_units)
    for q in range(n_quarters):
        if q:
            deviation = 0.5 * deviation + ABSENCE_PER_POINT * before[:, q] + rng.normal(0, 0.3, n_units)
        absence[:, q] = np.clip(level + deviation, 0.1, None)
    sales_level = 380 + rng.normal(0, 60, n_units)
    month_quarter = np.minimum(np.arange(len(months)) // 3, n_quarters - 1)
    sales = (sales_level[:, None] + SALES_PER_POINT * before[:, month_quarter]
             + rng.normal(0, 6, (n_units, len(months))))
    frame = pd.concat([
        pd.DataFrame({"unit_id": np.repeat(ids, n_quarters),
                      "period": np.tile(quarters.strftime("%Y-%m-%d"), n_units),
                      "metric": "staff_absence", "value": absence.ravel().round(3),
                      "better": "lower", "unit": "% of hours"}),
        pd.DataFrame({"unit_id": np.repeat(ids, len(months)),
                      "period": np.tile(months.strftime("%Y-%m-%d"), n_units),
                      "metric": "sales", "value": sales.ravel().round(2),
                      "better": "higher", "unit": "EUR thousand a month"})], ignore_index=True)
    slope = ex_measurement_slope(params, draws, latent)
    truth = {"lag1": {"staff_absence": ABSENCE_PER_POINT / slope,
                      "sales": SALES_PER_POINT / slope},
             "units": "per point of the measured engagement index of the wave before"}
    return frame, truth
