"""What notebook 03 values (:func:`cxex_analysis.analyses.rox.what_to_value`), typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.estimators.value_model import Inputs
from cxex_analysis.results import Parts, stacked


@dataclass(frozen=True)
class Valuation(Parts):
    """The programme valued first and the money links it rests on; notebook 03 adds what the
    inputs are worth section by section (:meth:`~cxex_analysis.results.Parts.with_part`).

    Attributes
    ----------
    main : the inputs valued first (a pilot scaled, else an engagement programme); None when
        the amounts cannot be put in one currency (the first note says why)
    subject : the pilot id, ``ex_programme``, or ``not_valued``
    programme : an engagement programme's inputs beside a pilot (or None)
    notes : sentences on what could not be valued and why
    links : the money links, corrected for survey noise and uncorrected (tidy rows)
    customers : what a customer is worth by their answer, measured customer by customer
        (the ``customer_value`` rows; empty without keyed answers and the CRM)
    simulated, summary : the Monte Carlo draws of what ``main`` is worth and their summary
        rows (:func:`~cxex_analysis.analyses.rox.simulate`), None until computed
    breakeven : the NPS effect at which ``main`` pays back (None until computed)
    programme_simulated, programme_summary : the same for the engagement programme beside a
        pilot
    """

    main: Inputs | None
    subject: str
    programme: Inputs | None = None
    notes: list[str] = field(default_factory=list)
    links: pd.DataFrame = field(default_factory=pd.DataFrame)
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    simulated: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    breakeven: float | None = None
    programme_simulated: pd.DataFrame | None = None
    programme_summary: pd.DataFrame | None = None
    not_estimated: Mapping[str, str] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The rows to record: the engagement programme's value, the main programme's, the
        money links and what customers are worth (those computed)."""
        return stacked(self.programme_summary, self.summary, self.links, self.customers)
