"""Drivers of eNPS: which engagement items go with employees recommending their workplace,
across units (relative weights).
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.errors import InsufficientData
from cxex_analysis.estimators.relative_weights import relative_weights
from cxex_analysis.results import tidy


def enps_drivers(ex_panel: pd.DataFrame, n_boot: int = 1000, seed: int = 42,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Relative weights of the engagement items for eNPS across units (an EX-only key driver
    analysis: which parts of the experience go with employees recommending the workplace).

    ``ex_panel`` is :func:`cxex_analysis.panels.unit_panels.ex_panel` (unit-waves under the
    confidentiality threshold already blank); each unit's waves are averaged first. No rows
    when eNPS was not asked, too few units answered it, or the answers do not vary.
    """
    none = tidy(pd.DataFrame(columns=["rescaled", "rank", "naive_r"]))
    items = [c for c in ex_panel.columns if c.startswith("eng_")]
    if "enps" not in ex_panel.columns or not items:
        return none
    means = ex_panel.groupby("unit_id", observed=True)[items + ["enps"]].mean().dropna()
    if len(means) <= len(items) + 2:
        return none
    try:
        return relative_weights(means, items, "enps", n_boot=n_boot, seed=seed,
                                confidence=confidence)
    except InsufficientData:
        return none
