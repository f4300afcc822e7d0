"""One group's actions and their follow-through, typed
(:func:`cxex_analysis.analyses.actions.group_review`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.results import no_rows


@dataclass(frozen=True)
class GroupActions:
    """What a group report shows of its actions.

    Attributes
    ----------
    actions : its own plans and those of a wider group covering it, newest first
    follow : its ``action_follow_through`` rows (``subject`` = the group)
    changes : the focus items' change since the plans were made
        (:func:`~cxex_analysis.analyses.actions.focus_changes`)
    unit_actions, units_follow : for a region or unit type, its units' own plans (earliest due
        first) and their follow-through (``subject`` = ``all``)
    """

    actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    follow: pd.DataFrame = field(default_factory=no_rows)
    changes: pd.DataFrame = field(default_factory=no_rows)
    unit_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    units_follow: pd.DataFrame = field(default_factory=no_rows)

    def tidy(self) -> pd.DataFrame:
        """The rows a group report records: the focus items' changes (follow-through is
        recorded once for the organisation, by the action review)."""
        return self.changes
