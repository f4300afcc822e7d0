"""The claims tested on the warehouse itself (:func:`cxex_analysis.analyses.claims.tested_here`,
or notebook 07 section by section), typed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

import pandas as pd

from cxex_analysis.results import Parts, no_rows, stacked


@dataclass(frozen=True)
class ClaimTests(Parts):
    """The tests the claims ledger runs itself; each part tidy rows (empty: not tested).
    Notebook 07 adds them section by section (:meth:`~cxex_analysis.results.Parts.with_part`).

    Attributes
    ----------
    recommend : promoter ratios of the top and bottom satisfaction answers, overall and by
        channel
    metrics : which customer metric explains the money outcomes best
        (:func:`~cxex_analysis.analyses.claims.metric_comparison`)
    right_first_time : NPS of contacts resolved the first time against the rest
    retention_profit : the profit of a five-point retention rise
        (:func:`~cxex_analysis.analyses.claims.retention_profit`)
    """

    recommend: pd.DataFrame = field(default_factory=no_rows)
    metrics: pd.DataFrame = field(default_factory=no_rows)
    right_first_time: pd.DataFrame = field(default_factory=no_rows)
    retention_profit: pd.DataFrame = field(default_factory=no_rows)
    not_estimated: Mapping[str, str] = field(default_factory=dict)

    def parts(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """(name, rows) of each test, in order."""
        for part in fields(self):
            if part.name != "not_estimated":
                yield part.name, getattr(self, part.name)

    def tidy(self) -> pd.DataFrame:
        """Every test's rows."""
        return stacked(*(frame for _, frame in self.parts()))
