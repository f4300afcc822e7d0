"""A planted organisation for alerts: six regions of eight units, two waves, engagement and
an eNPS-like score that do not move except where a fall is planted."""

from __future__ import annotations

import numpy as np
import pandas as pd


def organisation(seed: int, fall: dict | None = None, respondents: int = 15) -> pd.DataFrame:
    """One row per respondent of units ``U00``…``U57`` in regions ``R0``…``R5``, waves
    ``2025-Q1`` and ``2025-Q2``: ``engagement`` ~ N(70, 15) and ``enps`` in {-100, 0, 100};
    ``fall`` {unit or region: points} lowers engagement there in the second wave."""
    rng = np.random.default_rng(seed)
    units = [f"U{r}{u}" for r in range(6) for u in range(8)]
    rows = pd.DataFrame({"unit_id": np.repeat(units, 2 * respondents),
                         "wave": np.tile(np.repeat(["2025-Q1", "2025-Q2"], respondents), len(units))})
    rows["region"] = "R" + rows["unit_id"].str[1]
    rows["engagement"] = rng.normal(70, 15, len(rows))
    rows["enps"] = rng.choice([-100.0, 0.0, 100.0], len(rows), p=[0.25, 0.4, 0.35])
    for where, points in (fall or {}).items():
        column = "region" if where.startswith("R") else "unit_id"
        rows.loc[(rows[column] == where) & (rows["wave"] == "2025-Q2"), "engagement"] -= points
    return rows
