"""What a pilot's analysis found (:func:`cxex_analysis.analyses.pilots.analyse`), typed: the
registry row and design, the checks, the effects by outcome and the decision, and the rows
to record; and what a pilot's registration (the ``design.json`` of ``cxex design``) fixes for
it (:func:`follow`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxex_analysis.estimators.experiments import Decision, DualTest
from cxex_analysis.estimators.power import Power
from cxex_analysis.results import Parts, no_rows, tidy
from cxex_analysis.vocabulary import label


@dataclass(frozen=True)
class Followed:
    """What the registration fixes for this analysis, and where the data depart from it."""

    primary: str
    confidence: float
    post_periods: int
    looks: str
    deviations: tuple[str, ...]
    registered_on: str
    summary: str


def follow(registered: dict, pilot: pd.Series, assignments: pd.DataFrame, confidence: float,
           post_periods: int, last_period) -> Followed:
    """The registered plan, with the deviations of the data and of this run from it."""
    deviations = []
    primary = registered["primary_outcome"]
    listed = pilot.get("primary_outcome")
    if isinstance(listed, str) and listed and listed != primary:
        deviations.append(f"The pilot registry names {label(listed)} as the primary outcome; the "
                          f"registration names {label(primary)}, which this report uses.")
    if pilot.get("design") != registered["design"]:
        deviations.append(f"Registered as a {registered['design']} pilot; the registry now says "
                          f"{pilot.get('design')}.")
    wanted = 1 - float(registered["alpha"])
    if abs(confidence - wanted) > 1e-9:
        deviations.append(f"This run asked for {confidence:.0%} intervals; the registered test is "
                          f"at {registered['alpha']:g}, so the intervals are {wanted:.0%}.")
    plan = pd.DataFrame(registered.get("assignment") or [])
    if not plan.empty:
        now = assignments.set_index("unit_id")["arm"]
        was = plan.set_index("unit_id")["arm"]
        added = now.index.difference(was.index)
        dropped = was.index.difference(now.index)
        both = now.index.intersection(was.index)
        switched = (now[both] != was[both]).sum()
        for count, what in ((len(added), "added after the registration"),
                            (len(dropped), "registered but no longer in the pilot"),
                            (int(switched), "in another arm than the one drawn")):
            if count:
                deviations.append(f"{count} unit{'s' if count > 1 else ''} {what}.")
        starts = pd.to_datetime(assignments.loc[assignments["arm"] == "treatment", "start_date"])
        if starts.notna().any() and starts.min() != pd.Timestamp(registered["start"]):
            deviations.append(f"The first unit started on {starts.min():%Y-%m-%d}; the registered "
                              f"start was {registered['start']}.")
    periods = int(registered["periods"])
    if post_periods and post_periods != periods:
        deviations.append(f"This run reads {post_periods} periods after the start; the "
                          f"registration fixed {periods}.")
    elif pd.notna(last_period) and pd.Timestamp(last_period) >= pd.Timestamp(registered["end"]):
        deviations.append(f"The data run past the registered end ({registered['end']}); the "
                          f"periods after it are not part of the registered analysis.")
    looks = registered.get("looks", "final")
    summary = (f"Registered on {registered['registered_at'][:10]}: primary outcome "
               f"{label(primary)}, {periods} {'months' if registered.get('frequency') == 'month' else 'survey waves'}, "
               + ("one look at the end" if looks == "final" else "a look every period with "
                  "always-valid intervals")
               + f", alpha {registered['alpha']:g}, sized for {registered['mde']:g} at "
               f"{registered['power']:.0%} power.")
    return Followed(primary=primary, confidence=wanted, post_periods=post_periods or periods,
                    looks=looks, deviations=tuple(deviations),
                    registered_on=registered["registered_at"][:10], summary=summary)


class PilotDecision(Decision):
    """Scale, extend or stop on the primary ``outcome``, with the effect ``row`` it rests on,
    the joint test that both sides improved and the always-valid monitor's last word (None
    when there is none)."""

    outcome: str
    row: pd.Series
    dual_test: DualTest | None
    monitoring: str | None
    registered: str | None
    deviations: tuple[str, ...]


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
    registration : the pilot's pre-registration (``design.json``), None when it has none
    registered : what the registration fixed for this analysis
        (:class:`Followed`)
    deviations : sentences on where the data or this run depart from the registration
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
    registration: dict | None = field(default=None, repr=False)
    registered: Followed | None = None
    deviations: tuple[str, ...] = ()

    #: the parts whose rows are recorded, in this order
    RECORDED = ("effects", "aggregations", "event_time", "naive", "sensitivity", "sequential",
                "heterogeneity")

    def tidy(self) -> pd.DataFrame:
        """Every recorded part's rows in the results schema."""
        kept = [f for f in (getattr(self, name) for name in self.RECORDED) if not f.empty]
        return pd.concat(kept, ignore_index=True) if kept else tidy([])
