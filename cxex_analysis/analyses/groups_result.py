"""What one group's report shows (:func:`cxex_analysis.analyses.groups.report_data`), typed,
with the confidentiality rules already applied."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class GroupReport:
    """One group's report data. Employee parts are empty or blank where fewer people answered
    than the rules allow (``notes`` says so).

    Attributes
    ----------
    group_by, group : the level (region, unit type, unit) and the group as stored
    name : the group as its readers know it (a unit's name, not its id)
    units : the group's unit ids
    has_ex, has_cx : which surveys the data set holds
    ex_shown : whether the group's employee results may be shown; ``respondents`` its latest
        wave's respondents when they are (else None)
    notes : sentences for the report (why something is not shown)
    ex_trend, cx_trend : the group and the company by wave and by quarter (employee values
        hidden where too few answered)
    scorecard : each metric, the group now and the period before, the company now
    priorities : every engagement item's impact × gap; ``issues`` the top two
    employee_comments, customer_comments : PII masked, each with its tone and themes, those
        about the top issues first (employees' empty unless allowed)
    themes : the share of the group's comments mentioning each theme beside the company's
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
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
