"""The claims tested on the warehouse itself (:func:`cxex_analysis.analyses.claims.tested_here`),
typed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

import pandas as pd

from cxex_analysis.results import no_rows, tidy


@dataclass(frozen=True)
class ClaimTests:
    """The tests the claims ledger runs itself; each part tidy rows (empty: not tested).

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

    def parts(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """(name, rows) of each test, in order."""
        for part in fields(self):
            yield part.name, getattr(self, part.name)

    def tidy(self) -> pd.DataFrame:
        """Every test's rows."""
        kept = [frame for _, frame in self.parts() if not frame.empty]
        return pd.concat(kept, ignore_index=True) if kept else tidy([])
