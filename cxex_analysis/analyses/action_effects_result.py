"""The effects of completed actions across the organisation, typed
(:func:`cxex_analysis.analyses.action_effects.action_effects`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.results import no_rows


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
