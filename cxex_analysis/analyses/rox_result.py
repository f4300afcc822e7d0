"""What notebook 03 values (:func:`cxex_analysis.analyses.rox.what_to_value`), typed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cxex_analysis.estimators.value_model import Inputs


@dataclass(frozen=True)
class Valuation:
    """The programme valued first and the money links it rests on.

    Attributes
    ----------
    main : the inputs valued first (a pilot scaled, else an engagement programme); None when
        the amounts cannot be put in one currency (the first note says why)
    subject : the pilot id, ``ex_programme``, or ``not_valued``
    programme : an engagement programme's inputs beside a pilot (or None)
    notes : sentences on what could not be valued and why
    links : the money links, corrected for survey noise and uncorrected (tidy rows)
    """

    main: Inputs | None
    subject: str
    programme: Inputs | None = None
    notes: list[str] = field(default_factory=list)
    links: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tidy(self) -> pd.DataFrame:
        """The rows to record: the money links."""
        return self.links
