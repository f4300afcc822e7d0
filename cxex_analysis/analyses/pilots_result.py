"""What a pilot's analysis found (:func:`cxex_analysis.analyses.pilots.analyse`), typed: the
registry row and design, the checks, the effects by outcome and the decision, and the rows
to record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxex_analysis.estimators.experiments import Decision, DualTest
from cxex_analysis.estimators.power import Power
from cxex_analysis.results import Parts, no_rows, tidy


class PilotDecision(Decision):
    """Scale, extend or stop on the primary ``outcome``, with the effect ``row`` it rests on,
    the joint test that both sides improved and the always-valid monitor's last word (None
    when there is none)."""

    outcome: str
    row: pd.Series
    dual_test: DualTest | None
    monitoring: str | None


@dataclass(frozen=True)
class PilotAnalysis(Parts):
    """One pilot's analysis. Frames are in the results schema unless said otherwise; a part
    the data could not support is empty (``not_estimated``, ``outcomes_not_estimated`` and
    ``notes`` say why). Notebook 02 adds the parts after the effects section by section
    (:meth:`~cxex_analysis.results.Parts.with_part`).

    Attributes
    ----------
    pilot : the registry row
    design : randomized, staggered or observational
    outcomes : the outcomes the data hold for its units; ``primary`` the one the decision
        rests on (None when none could be estimated)
    control_group, baseline : the comparison used and the pre-period baseline
    notes : sentences for the report (the comparison, the frequency, what was replaced)
    outcomes_not_estimated : per outcome the data could not support, ``{"outcome", "reason"}``
    not_estimated : per part the data could not support (``sensitivity``), the reason
    units : one row per unit, its arm and its pre- and post-period means (not recorded)
    panels : the pilot's panels the parts are estimated from (not recorded)
    srm, balance : the arms' sample-ratio check and pre-period balance (not recorded)
    effects : one ``att`` row per outcome (subject = the pilot id)
    aggregations : staggered pilots' ``att_group``, ``att_calendar``, ``att_dynamic``
    event_time : ``att_event_time`` rows per outcome
    naive : two-way fixed effects beside the robust estimate (staggered pilots)
    sensitivity : ``att_sensitivity`` on the primary outcome (parallel trends relaxed)
    sequential : ``att_sequential``, one row per monthly look at the primary outcome
    heterogeneity : subgroup effects on the primary outcome (randomized pilots)
    power : the primary outcome's minimum detectable effect and units needed (or None)
    decision : scale, extend or stop (:func:`~cxex_analysis.estimators.experiments.decision`),
        with the outcome and row it rests on, the joint dual test and the monitor's last word
        (or None)
    dual, dual_test : the dual-impact table (customers and employees) and the joint test
        that both sides improved
    """

    pilot: pd.Series
    design: str
    outcomes: tuple[str, ...]
    primary: str | None
    control_group: str
    baseline: str
    notes: tuple[str, ...] = ()
    outcomes_not_estimated: tuple[dict[str, str], ...] = ()
    not_estimated: Mapping[str, str] = field(default_factory=dict)
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    panels: Mapping[str, Any] = field(default_factory=dict, repr=False)
    srm: pd.DataFrame = field(default_factory=pd.DataFrame)
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=no_rows)
    aggregations: pd.DataFrame = field(default_factory=no_rows)
    event_time: pd.DataFrame = field(default_factory=no_rows)
    naive: pd.DataFrame = field(default_factory=no_rows)
    sensitivity: pd.DataFrame = field(default_factory=no_rows)
    sequential: pd.DataFrame = field(default_factory=no_rows)
    heterogeneity: pd.DataFrame = field(default_factory=no_rows)
    power: Power | None = None
    decision: PilotDecision | None = None
    dual: pd.DataFrame = field(default_factory=pd.DataFrame)
    dual_test: DualTest | None = None

    #: the parts whose rows are recorded, in this order
    RECORDED = ("effects", "aggregations", "event_time", "naive", "sensitivity", "sequential",
                "heterogeneity")

    def tidy(self) -> pd.DataFrame:
        """Every recorded part's rows in the results schema."""
        kept = [f for f in (getattr(self, name) for name in self.RECORDED) if not f.empty]
        return pd.concat(kept, ignore_index=True) if kept else tidy([])
