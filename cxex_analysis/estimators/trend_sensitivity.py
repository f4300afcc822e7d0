"""Sensitivity of a staggered rollout's effect to parallel trends failing (Rambachan & Roth
2023, relative magnitudes): how far the trend gap may drift after the start, as a multiple of
the largest change seen before it, before the effect's interval includes zero.

Works on the group-time effects of :func:`cxex_analysis.estimators.staggered.group_time`
(universal baseline); the identified set equals HonestDiD's ``compute_identified_set_rm``
(checked against ``moderndid`` in ``tests/test_staggered.py``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxex_analysis.errors import InsufficientData
from cxex_analysis.estimators.staggered import (
    SMALL_SAMPLE_UNITS,
    GroupTime,
    aggregate,
    bootstrap,
)
from cxex_analysis.results import tidy


def event_study_vector(gt: GroupTime, max_pre: int = 4, max_post: int = 6):
    """Event-study estimates e = −max_pre … max_post of a universal-baseline study (the
    reference e = −1 is 0 by construction and left out): (event times, estimates).

    Examples
    --------
    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> from cxex_analysis.estimators.staggered import group_time
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="universal")
    >>> times, estimates = event_study_vector(gt)  # R did: aggte(type = "dynamic"), universal base
    >>> times.tolist(), estimates.round(4).tolist()
    ([-4, -3, -2, 0, 1, 2, 3], [0.0033, 0.025, 0.0245, -0.0199, -0.051, -0.1373, -0.1008])
    """
    if gt.baseline != "universal":
        raise InsufficientData("the sensitivity analysis needs a universal-baseline event study.")
    events = [a for a in aggregate(gt, "dynamic")[1:]
              if -max_pre <= int(a.term.split("=")[1]) <= max_post]
    times = np.array([int(a.term.split("=")[1]) for a in events])
    return times, np.array([a.estimate for a in events])


def sensitivity(gt: GroupTime, outcome: str, confidence: float = 0.95,
                mbar: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0), max_pre: int = 4,
                max_post: int = 6, n_boot: int = 999, seed: int = 42,
                subject: str = "all") -> pd.DataFrame:
    """ATT bounds when parallel trends may fail by up to M̄ × the largest pre-start change.

    Rambachan & Roth (2023) relative magnitudes for the average post-start effect
    (e = 0 … ``max_post``): after the start the trend gap may change each period by at most
    M̄ times the largest period-to-period change seen before the start (e = −1 is the
    reference, 0). The gap can then build up to M̄ × that change × (e + 1) by event time e,
    so the average effect's identified set is the event-study average ± M̄ × largest change
    × the mean of (e + 1): ``bound_low``/``bound_high`` (equal to HonestDiD's
    ``compute_identified_set_rm``; ``tests/test_staggered.py`` checks it against
    ``moderndid``). ``ci_low``/``ci_high`` is the bootstrap interval of those bounds (the
    lower bound's α/2 quantile and the upper bound's 1 − α/2 quantile over multiplier-bootstrap
    draws of the event study; conservative). ``estimate`` is the event study's average;
    ``breakdown`` the largest M̄ whose interval excludes zero (NaN if none).

    Examples
    --------
    On R did's example data the event study averages −0.0772 after the start; the largest
    change before it is 0.0245 (e = −2 to the reference), and (e + 1) averages 2.5 over
    e = 0 … 3, so at M̄ = 1 the set is −0.0772 ± 0.0245 × 2.5:

    >>> import moderndid  # R did's example data, mpdta, shipped offline
    >>> from cxex_analysis.estimators.staggered import group_time
    >>> mpdta = moderndid.load_mpdta().to_pandas()
    >>> gt = group_time(mpdta, "lemp", "countyreal", "year", "first.treat", baseline="universal")
    >>> rows = sensitivity(gt, "lemp", n_boot=199, seed=1).set_index("term")
    >>> rows.loc[["Mbar=0", "Mbar=1"], ["estimate", "bound_low", "bound_high"]].round(4)
            estimate  bound_low  bound_high
    term
    Mbar=0   -0.0772    -0.0772     -0.0772
    Mbar=1   -0.0772    -0.1384     -0.0161
    """
    times, beta = event_study_vector(gt, max_pre, max_post)
    pre, post = times < 0, times >= 0
    if pre.sum() < 1 or post.sum() < 1:
        raise InsufficientData("the sensitivity analysis needs at least two periods before the "
                             "start and one after.")
    events = [a for a in aggregate(gt, "dynamic")[1:] if int(a.term.split("=")[1]) in set(times)]
    influence = np.column_stack([a.influence for a in events])
    kind = "webb" if gt.n_units < SMALL_SAMPLE_UNITS else "mammen"
    draws = np.vstack([beta, beta + bootstrap(influence, n_boot, kind, seed)])
    weights = np.where(post, 1 / post.sum(), 0.0)
    # the trend gap's largest change before the start, e = −1 being the reference (0)
    with_reference = np.column_stack([draws[:, pre], np.zeros(len(draws))])
    largest = np.abs(np.diff(with_reference, axis=1)).max(axis=1)
    reach = float(np.mean(np.arange(1, post.sum() + 1)))  # mean periods the gap builds over
    centre = draws @ weights
    alpha = 1 - confidence
    rows = []
    for m in mbar:
        low_bounds = centre - m * reach * largest
        high_bounds = centre + m * reach * largest
        rows.append({"analysis": "pilot", "estimand": "att_sensitivity", "subject": subject,
                     "outcome": outcome, "term": f"Mbar={m:g}", "estimate": float(centre[0]),
                     "se": np.nan, "ci_low": float(np.quantile(low_bounds[1:], alpha / 2)),
                     "ci_high": float(np.quantile(high_bounds[1:], 1 - alpha / 2)),
                     "p_value": np.nan, "confidence": confidence, "n": gt.n_units,
                     "method": "relative_magnitudes_identified_set_bootstrap_bounds "
                               "(n = units)",
                     "bound_low": float(low_bounds[0]), "bound_high": float(high_bounds[0])})
    out = tidy(rows, extra=["bound_low", "bound_high"])
    clear = out[(out["ci_low"] > 0) | (out["ci_high"] < 0)]
    out["breakdown"] = float(clear["term"].str.split("=").str[1].astype(float).max()) \
        if not clear.empty else np.nan
    return out
