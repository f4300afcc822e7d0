"""The effects of completed actions across the organisation, typed
(:func:`cxex_analysis.analyses.action_effects.action_effects`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.results import Parts, no_rows, stacked


@dataclass(frozen=True)
class ActionEffects:
    """Every effect the action log supports.

    Attributes
    ----------
    effects : tidy ``action_effect`` rows; extra columns ``n_treated``, ``n_control`` and
        ``p_holm`` (placebo and pre-trend rows)
    balance : acting vs comparison units before the actions, per focus
    not_estimated : per focus the data could not support, ``{"focus", "reason"}``
    notes : sentences for the report
    """

    effects: pd.DataFrame = field(default_factory=no_rows)
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    not_estimated: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """The rows to record."""
        return self.effects


@dataclass(frozen=True)
class ActionReview(Parts):
    """What notebook 06 found, section by section
    (:meth:`~cxex_analysis.results.Parts.with_part`); None until its section computed it.

    Attributes
    ----------
    follow : every action's follow-through (:func:`~cxex_analysis.analyses.actions.
        follow_through`)
    review : the effects of completing actions, their checks and balance
        (:func:`~cxex_analysis.analyses.action_effects.action_effects`)
    """

    follow: pd.DataFrame | None = None
    review: ActionEffects | None = None
    not_estimated: Mapping[str, str] = field(default_factory=dict)

    @property
    def effects(self) -> pd.DataFrame:
        """The effects' rows (none until estimated)."""
        return self.review.effects if self.review is not None else no_rows()

    def tidy(self) -> pd.DataFrame:
        """The rows to record: the follow-through and the effects (those computed)."""
        return stacked(self.follow, self.effects)
