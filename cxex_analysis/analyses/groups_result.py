"""What one group's report shows (:func:`cxex_analysis.analyses.groups.report_data`), typed,
with the confidentiality rules already applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxex_analysis.results import Parts, stacked


@dataclass(frozen=True)
class GroupReport(Parts):
    """One group's report data. Employee parts are empty or blank where fewer people answered
    than the rules allow (``notes`` says so). Notebook 04 adds the parts after ``themes``
    section by section (:meth:`~cxex_analysis.results.Parts.with_part`).

    Attributes
    ----------
    group_by, group : the level (region, unit type, unit) and the group as stored
    name : the group as its readers know it (a unit's name, not its id)
    units : the group's unit ids
    has_ex, has_cx : which surveys the data set holds
    ex_shown : whether the group's employee results may be shown; ``respondents`` its latest
        wave's respondents when they are (else None)
    notes : sentences for the report (why something is not shown)
    actionable : share of the group's customer comments that need a response (one row)
    theme_comments : the most representative comments of the group's main themes
    routed_to_hr : the group's employee comments routed to HR in confidence (counted only
        where its employee comments may be shown)
    ex_trend, cx_trend : the group and the company by wave and by quarter (employee values
        hidden where too few answered)
    scorecard : each metric, the group now and the period before, the company now
    participation : the group's respondents, headcount and rate (0-1) by survey wave, hidden
        as its employee results are, beside the company's rate; a latest rate under
        ``low_participation`` is said beside the results
    priorities : every engagement item's impact × gap; ``issues`` the top two
    ex_changes_shown : whether the group's employee changes since the previous survey may be
        shown (its results shown in both waves)
    own_drivers : whether the impact is the group's own (its respondents' eNPS drivers,
        ``driver_respondents`` of them; at least ``min_driver_respondents`` needed) rather
        than the company's
    employee_comments, customer_comments : PII masked, each with its tone and themes, those
        about the top issues first (employees' empty unless allowed)
    themes : the share of the group's comments mentioning each theme beside the company's
    metrics : the group's metrics with intervals (:func:`~cxex_analysis.analyses.groups.
        group_metrics`), None until computed
    changes : each score's change since the last survey (:func:`~cxex_analysis.analyses.
        changes.since_last_survey`)
    actions : the group's action plans and what changed on their focus
        (:func:`~cxex_analysis.analyses.actions.group_review`)
    """

    group_by: str
    group: str
    name: str
    units: list[str]
    has_ex: bool
    has_cx: bool
    ex_shown: bool
    respondents: int | None
    notes: list[str] = field(default_factory=list)
    ex_trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    cx_trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    employee_comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    customer_comments: pd.DataFrame | None = None
    routed_to_hr: int = 0
    actionable: pd.DataFrame = field(default_factory=pd.DataFrame)
    theme_comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None
    actions: Any = None  # a GroupActions (analyses/actions_result.py): analyses keep apart
    not_estimated: Mapping[str, str] = field(default_factory=dict)
    participation: pd.DataFrame = field(default_factory=pd.DataFrame)
    low_participation: float = 0.5
    own_drivers: bool = False
    ex_changes_shown: bool = False
    driver_respondents: int = 0
    min_driver_respondents: int = 30

    def tidy(self) -> pd.DataFrame:
        """The rows to record: the metrics, their changes since the last survey and since
        each action (those computed)."""
        return stacked(self.metrics, self.changes,
                       self.actions.changes if self.actions is not None else None)
