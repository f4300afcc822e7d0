"""Data audit (notebook 00): reliability of the engagement scale, and which source is
thinnest.
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.panels.respondent_scores import cronbach_alpha
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


def thinnest_source(coverage_frame: pd.DataFrame) -> str:
    """The coverage source to map unit by unit: customer responses when there are any."""
    sources = set(coverage_frame["source"])
    return "customer_responses" if "customer_responses" in sources else "employee_respondents"
