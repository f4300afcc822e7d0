"""Charts of the claims ledger (notebook 07): how many times more likely customers with a good
experience are to recommend, against the claimed five times."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from cxex_analysis.reporting.charts import PALETTE, house_style, new_figure

CONTRASTS = {"csat_top2_vs_bottom2": "CSAT 4-5 vs 1-2",
             "ces_low_vs_high_effort": "low vs high effort"}


def recommend_ratios(rows: pd.DataFrame, claimed: float = 5.0):
    """Each promoter risk ratio with its interval (all customers first, then each channel), on
    a log scale, with the claimed value and no difference (1) marked."""
    data = rows[(rows["estimand"] == "promoter_risk_ratio") & rows["estimate"].notna()]
    data = data.assign(first=data["subject"] != "all",
                       order=data["term"].map({t: i for i, t in enumerate(CONTRASTS)})) \
        .sort_values(["first", "subject", "order"])
    labels = [f"{'All customers' if s == 'all' else s.replace('channel=', 'Channel: ')}, "
              f"{CONTRASTS.get(t, t)}" for s, t in zip(data["subject"], data["term"])]
    with house_style():
        fig, ax = new_figure(8.5, 0.42 * len(data) + 1.7)
        y = np.arange(len(data))[::-1]
        ax.errorbar(data["estimate"], y, xerr=[data["estimate"] - data["ci_low"],
                                              data["ci_high"] - data["estimate"]],
                    fmt="o", color=PALETTE[0], ecolor=PALETTE[0], elinewidth=2,
                    label="this organisation, with its interval")
        ax.axvline(claimed, color=PALETTE[3], linestyle="--", linewidth=1.5,
                   label=f"the claim: {claimed:g} times")
        ax.axvline(1, color="#555555", linewidth=1, label="no difference")
        ax.set_xscale("log")
        ticks = [v for v in (0.5, 1, 2, 3, 5, 10, 20, 50) if
                 min(data["ci_low"].min(), 1) / 1.2 <= v <= max(data["ci_high"].max(), claimed) * 1.2]
        ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(y, labels)
        ax.set_title("Times more likely to recommend after a good experience")
        ax.set_xlabel("Risk ratio of being a promoter (NPS 9-10), log scale")
        ax.set_ylabel("Customers compared")
        fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig
