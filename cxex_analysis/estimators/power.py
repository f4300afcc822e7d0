"""Power and multiplicity: minimum detectable effects, the units a pilot needs, and the
Holm correction across a family of tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxex_analysis.results import tidy


class Power(TypedDict):
    """What a pilot of ``n_units`` can detect, and the units needed for ``target_effect``."""

    mde: float
    n_units: int
    target_effect: float | None
    units_needed: int | None
    alpha: float
    power: float



def minimum_detectable_effect(se: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true effect detected with ``power`` at two-sided level ``alpha``: (z₁₋α/₂ + z_power)·SE.

    Examples
    --------
    >>> round(minimum_detectable_effect(1.0), 3)  # (1.960 + 0.842) × SE
    2.802
    """
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def minimum_detectable_correlation(n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest correlation detected with ``power`` among ``n`` units (Fisher z approximation).

    Examples
    --------
    >>> round(minimum_detectable_correlation(100), 3)  # tanh((1.960 + 0.842) / √97)
    0.277
    """
    if n <= 3:
        return float("nan")
    return float(np.tanh((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / np.sqrt(n - 3)))


PRIMARY = ("ex_cx_correlation", "ex_to_cx_lagged", "cx_to_ex_lagged", "mediation_indirect",
           "top_cx_engagement_odds_ratio", "relative_weight_r2", "dual_movement_share")


def holm(frame: pd.DataFrame, estimands: Sequence[str] = PRIMARY) -> pd.DataFrame:
    """Holm-adjusted p-values across the family of primary tests.

    Returns one row per test with estimand ``holm_adjusted_p_value``: ``subject`` names the
    test's estimand, ``estimate`` is the adjusted p-value and ``p_value`` the raw one.

    Examples
    --------
    >>> from cxex_analysis.results import tidy
    >>> family = tidy([{"analysis": "linkage", "estimand": e, "outcome": "nps", "term": "x",
    ...                 "estimate": 0.3, "p_value": p}
    ...                for e, p in (("ex_cx_correlation", 0.01), ("ex_to_cx_lagged", 0.04),
    ...                             ("cx_to_ex_lagged", 0.03))])
    >>> holm(family)["estimate"].round(2).tolist()  # statsmodels' multipletests(method="holm")
    [0.03, 0.06, 0.06]
    """
    family = frame[frame["estimand"].isin(estimands) & frame["p_value"].notna()].copy()
    if family.empty:
        return tidy([])
    reject, adjusted, _, _ = multipletests(family["p_value"], method="holm")
    rows = []
    for (_, row), adj, rej in zip(family.iterrows(), adjusted, reject):
        rows.append({"analysis": row["analysis"], "estimand": "holm_adjusted_p_value",
                     "subject": row["estimand"], "outcome": row["outcome"], "term": row["term"],
                     "estimate": float(adj), "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                     "p_value": float(row["p_value"]), "confidence": row["confidence"],
                     "n": len(family), "method": f"holm_family_of_{len(family)} (n = tests)",
                     "significant": bool(rej)})
    return tidy(rows, extra=["significant"])


def power(se: float, n_units: int, target_effect: float | None = None, alpha: float = 0.05,
          power_level: float = 0.8) -> Power:
    """Minimum detectable effect of this design, and the units needed for ``target_effect``.

    MDE = (z₁₋α/₂ + z_power) × SE; the SE shrinks with the square root of the number of
    units, so the units needed scale with (MDE / target)².

    Examples
    --------
    >>> p = power(1.4, n_units=100, target_effect=2.0)
    >>> round(p["mde"], 2), p["units_needed"]  # 100 × (3.92 / 2)² units for an effect of 2
    (3.92, 385)
    """
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power_level)
    mde = float(z * se)
    needed = (int(np.ceil(n_units * (mde / abs(target_effect)) ** 2))
              if target_effect not in (None, 0) and np.isfinite(mde) else None)
    return {"mde": mde, "n_units": n_units, "target_effect": target_effect,
            "units_needed": needed, "alpha": alpha, "power": power_level}
