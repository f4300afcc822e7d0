"""Naive baselines shared by the benchmark scripts (imported from beside them)."""

from __future__ import annotations

import time
import warnings


def panelols(pairs):
    """linearmodels ``PanelOLS`` with unit and period effects and SE clustered by unit, on
    lagged pairs indexed by (unit, period) with columns ``y`` and ``x``: (fit, seconds)."""
    from linearmodels import PanelOLS

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = PanelOLS(pairs["y"], pairs[["x"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True)
    return fit, time.perf_counter() - started
