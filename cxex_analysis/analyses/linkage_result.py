"""What the EX <-> CX linkage found (:func:`cxex_analysis.analyses.linkage.run`), typed: one
part per hypothesis, each a tidy frame in the results schema, and the rows to record."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.estimators.fixed_effects import FixedEffectsFit
from cxex_analysis.estimators.power import holm
from cxex_analysis.results import Parts, no_rows, tidy


@dataclass(frozen=True)
class ModelChecks:
    """The lagged EX → ``outcome`` model's fit (:func:`twfe`) and each unit's influence
    (:func:`leave_one_unit_out`), for the residual and influence charts."""

    outcome: str
    fit: FixedEffectsFit
    influence: pd.DataFrame


@dataclass(frozen=True)
class Linkage(Parts):
    """What :func:`run` found: one part per hypothesis, each a tidy frame, or None when it was
    not run or the data could not support it (``not_estimated`` then gives the data's reason,
    by part name). :meth:`tidy` gives every row to record. Notebook 01 fills it section by
    section (:meth:`~cxex_analysis.results.Parts.with_part`).

    Attributes
    ----------
    panel : the unit × period panel the tests ran on (None without both surveys)
    outcomes : the customer outcomes tested, the first one the charts' and checks'
    correlations : H1, between and within units
    reliability : each score's within-unit reliability (random halves)
    effects : H2, H3 and the placebo, corrected for survey noise and uncorrected
    mediation : H4, engagement -> NPS -> money
    odds_ratio : H5, top-CX units' odds of good engagement
    weights, importance : H6, relative weights (rows), and per outcome the importance and
        performance of each item (for the chart)
    trajectories, dual : each unit's EX and CX trend (not recorded), and the share that moved
        together
    holm : the family's p-values before and after the Holm correction
    checks : the H2 model's fit and influence on the first outcome
    """

    panel: pd.DataFrame | None = None
    outcomes: tuple[str, ...] = ()
    correlations: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    mediation: pd.DataFrame | None = None
    odds_ratio: pd.DataFrame | None = None
    weights: pd.DataFrame | None = None
    importance: Mapping[str, pd.DataFrame] | None = None
    trajectories: pd.DataFrame | None = None
    dual: pd.DataFrame | None = None
    holm: pd.DataFrame = field(default_factory=no_rows)
    checks: ModelChecks | None = None
    not_estimated: Mapping[str, str] = field(default_factory=dict)

    #: the parts whose rows are recorded, in the order they are computed
    RECORDED = ("correlations", "reliability", "effects", "mediation", "odds_ratio", "weights",
                "dual")

    def estimates(self) -> pd.DataFrame:
        """Every recorded part's rows (the family the Holm correction is applied to)."""
        frames = [getattr(self, name) for name in self.RECORDED]
        frames = [f for f in frames if isinstance(f, pd.DataFrame) and not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else tidy([])

    def with_holm(self) -> Linkage:
        """A copy with the Holm correction over every recorded part's tests."""
        return dataclasses.replace(self, holm=holm(self.estimates()))

    def tidy(self) -> pd.DataFrame:
        """Every row in the results schema: the estimates, then the Holm correction's."""
        return pd.concat([self.estimates(), self.holm], ignore_index=True)
