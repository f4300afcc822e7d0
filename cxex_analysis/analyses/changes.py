"""What changed since the last survey: each score's change from the previous survey wave (or
quarter, for customer scores) to the latest, with its interval, for the company or a group.

A table of a dozen changes will show one "significant" change by chance now and then, so
the whole table is corrected together: each change gets a Benjamini–Hochberg q-value
(``scipy.stats.false_discovery_control``) and is marked as a real rise or fall only when its
q-value is below ``1 − confidence``. Employee changes need both waves to reach the
confidentiality threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.panels.periods import wave_length
from cxex_analysis.panels.respondent_scores import (
    change_since_previous,
    csat,
    engagement_index,
    enps,
    item_columns,
    nps,
    pct_favourable,
)
from cxex_analysis.panels.score_tables import levels
from cxex_analysis.results import tidy


def _last_two(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    periods = sorted(frame[column].dropna().unique())[-2:]
    return frame[frame[column].isin(periods)]


def _employee_levels(employees: pd.DataFrame, confidence: float, min_group_size: int) -> list[pd.DataFrame]:
    recent = _last_two(employees, "wave")
    kwargs: dict[str, Any] = dict(over="wave", confidence=confidence, min_group_size=min_group_size)
    items = item_columns(recent)
    frames = [engagement_index(recent, items, **kwargs), pct_favourable(recent, items, **kwargs)]
    if "enps" in recent and recent["enps"].notna().any():
        frames.append(enps(recent, **kwargs))
    frames.append(pct_favourable(recent, items, each_item=True, **kwargs))
    return frames


def since_last_survey(employees: pd.DataFrame | None, customers: pd.DataFrame | None,
                      confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                      subject: str = "all",
                      scores: tuple[pd.DataFrame | None, pd.DataFrame | None] = (None, None)
                      ) -> pd.DataFrame:
    """Tidy ``change_since_previous`` rows, one per score, with ``q_value`` (BH) and ``mark``
    ("rise", "fall" or "") columns. ``employees`` need a ``wave`` column, ``customers`` a
    ``quarter`` column; either may be None. ``scores``: (employee, customer) unit scores of
    a platform (:mod:`cxex_analysis.panels.score_tables`) for a survey the data set has only
    as scores; each period's level is their respondent-weighted mean."""
    frames = [_score_changes(rows, confidence, min_group_size if employee else None)
              for rows, employee in zip(scores, (True, False)) if rows is not None]
    if employees is not None and len(employees) and employees["wave"].nunique() > 1:
        levels = [level for level in _employee_levels(employees, confidence, min_group_size)
                  if len(level)]
        if levels:  # one call for every score: each is its own outcome
            frames.append(change_since_previous(pd.concat(levels, ignore_index=True), "wave",
                                                confidence))
    if customers is not None and len(customers) and customers["quarter"].nunique() > 1:
        recent = _last_two(customers, "quarter")
        levels = [measure(recent, over="quarter", confidence=confidence)
                  for column, measure in (("nps", nps), ("csat", csat))
                  if column in recent and recent[column].notna().any()]
        if levels:
            frames.append(change_since_previous(pd.concat(levels, ignore_index=True), "quarter",
                                                confidence))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["subject"] = subject
    out["analysis"] = "changes"
    return marked(out, confidence)


def _score_changes(rows: pd.DataFrame, confidence: float,
                   min_group_size: int | None) -> pd.DataFrame:
    """The change of each measure between the latest two periods of unit scores."""
    recent = rows[rows["period"].isin(sorted(rows["period"].unique())[-2:])]
    if recent["period"].nunique() < 2:
        return tidy([])
    length = wave_length(rows["period"])  # periods named as the waves are long ('2024')
    length = length if length in ("year", "half-year", "quarter", "month") else "wave"
    levelled = [levels(part, confidence=confidence, min_group_size=min_group_size)
                .assign(**{length: period}) for period, part in recent.groupby("period")]
    return change_since_previous(pd.concat(levelled, ignore_index=True), length, confidence)


def marked(changes: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """A copy of one table's changes with ``q_value`` (Benjamini–Hochberg over the table) and
    ``mark``: "▲ better" or "▼ worse" where q < 1 − confidence, else ""."""
    out = changes.copy()
    tested = out["p_value"].notna()
    out["q_value"] = np.nan
    if tested.any():
        out.loc[tested, "q_value"] = stats.false_discovery_control(out.loc[tested, "p_value"].to_numpy())
    real = out["q_value"] < 1 - confidence  # every score here is higher = better
    out["mark"] = np.where(real & (out["estimate"] > 0), "▲ better",
                           np.where(real & (out["estimate"] < 0), "▼ worse", ""))
    return out


def fdr_note(changes: pd.DataFrame, confidence: float = 0.95) -> str:
    """The multiple-comparison sentence under a table of changes."""
    tested = int(changes["q_value"].notna().sum()) if len(changes) else 0
    return (f"Marked ▲/▼: changes larger than survey noise after correcting for the {tested} "
            f"changes in this table at once (Benjamini–Hochberg false discovery rate "
            f"{1 - confidence:.0%}); unmarked changes may be chance. The interval is each change's "
            f"own {confidence:.0%} interval.")
