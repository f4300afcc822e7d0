"""Charts of the action review (notebook 06): the effect of completed actions on their focus,
beside the placebo items' movement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.reporting.charts import PALETTE, house_style, new_figure
from cxex_analysis.vocabulary import measure_label


def action_effects(effects: pd.DataFrame):
    """Per focus: the effect of completing an action on the focus item with its interval
    (dark), and each item it did not aim at (grey dots, which should sit near 0)."""
    with house_style():
        main = effects[(effects["term"] == "completed") & (effects["outcome"] == "item_mean")
                       & effects["estimate"].notna()].sort_values("estimate")
        fig, ax = new_figure(8, 0.6 * len(main) + 1.8)
        y = np.arange(len(main))
        position = dict(zip(main["subject"], y))
        placebo = effects[effects["term"].str.startswith("placebo=")
                          & effects["subject"].isin(position) & effects["estimate"].notna()]
        if len(placebo):
            ax.scatter(placebo["estimate"], placebo["subject"].map(position) - 0.25, s=14,
                       color=PALETTE[6], label="each item it did not aim at")
        ax.errorbar(main["estimate"], y,
                    xerr=[main["estimate"] - main["ci_low"], main["ci_high"] - main["estimate"]],
                    fmt="o", color=PALETTE[0], ecolor=PALETTE[0], elinewidth=2,
                    label="focus item, with its interval")
        ax.axvline(0, color="#555555", linewidth=1)
        ax.set_yticks(y, [measure_label(s) for s in main["subject"]])
        ax.set_title("Effect of completing an action on its focus item (1–5 scale)")
        ax.set_xlabel("Change in the item's score after completion, against units without "
                      "such an action")
        ax.set_ylabel("Focus of the action")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
    return fig

