"""What the comments say, in sentences (notebook 05)."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.vocabulary import label


def findings(comments: pd.DataFrame, sentiment: pd.DataFrame, contrast: pd.DataFrame,
             dual: pd.DataFrame) -> list[str]:
    """Plain sentences for the summary box."""
    out = []
    for row in sentiment.itertuples():
        out.append(f"{label(row.outcome).capitalize()}: {row.estimate:.0f}% negative "
                   f"({row.confidence:.0%} CI {row.ci_low:.0f}% to {row.ci_high:.0f}%) of "
                   f"{int(row.n):,} scored in English; {row.not_english} in other languages were "
                   "set aside, not scored.")
    if len(contrast):
        top = contrast.sort_values("estimate", ascending=False).head(2)
        bits = [f"'{r.term}' (+{r.estimate:.1f} points, CI {r.ci_low:.1f} to {r.ci_high:.1f})"
                for r in top.itertuples() if r.estimate > 0]
        if bits:
            out.append("Detractors talk more than promoters about " + " and ".join(bits) + ".")
    if len(dual):
        best = dual.sort_values("estimate", ascending=False).iloc[0]
        out.append(f"Where employees raise '{best['term']}' more, customers raise it more too: "
                   f"r = {best['estimate']:.2f} (CI {best['ci_low']:.2f} to {best['ci_high']:.2f}) "
                   f"across {int(best['n'])} units.")
    return out
