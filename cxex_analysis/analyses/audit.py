"""Data audit (notebook 00): reliability of the engagement scale, and which source is
thinnest.
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.panels.respondent_scores import cronbach_alpha, summary
from cxex_analysis.panels.score_tables import latest, levels
from cxex_analysis.results import tidy


def reliability(employees: pd.DataFrame | None, confidence: float = 0.95,
                min_group_size: int = MIN_GROUP_SIZE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cronbach's alpha of the engagement items: (all respondents, by unit type); no rows
    without an employee survey."""
    if employees is None or employees.empty:
        return tidy([]), tidy([])
    return (cronbach_alpha(employees, confidence=confidence, min_group_size=min_group_size),
            cronbach_alpha(employees, by="unit_type", confidence=confidence,
                           min_group_size=min_group_size))


def headline_metrics(customers: pd.DataFrame | None, employees: pd.DataFrame | None,
                     scores: tuple[pd.DataFrame | None, pd.DataFrame | None] = (None, None),
                     by: str | None = None, confidence: float = 0.95,
                     min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """The organisation's metrics with intervals (per ``by`` group): from the answers, and
    from a platform's unit scores (:func:`~cxex_analysis.panels.score_tables.scores_only`)
    in their latest period for a survey the data set has only as scores."""
    frames = [summary(customers, employees, by=by, confidence=confidence,
                      min_group_size=min_group_size)]
    for rows, employee in zip(scores, (True, False)):
        if rows is not None:
            frames.append(levels(latest(rows), by, confidence,
                                 min_group_size if employee else None))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else tidy([])


def thinnest_source(coverage_frame: pd.DataFrame) -> str:
    """The coverage source to map unit by unit: customer responses when there are any."""
    sources = set(coverage_frame["source"])
    return "customer_responses" if "customer_responses" in sources else "employee_respondents"
