"""Charts of a pilot (notebook 02): event study with its band, monitoring, dual impact."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxex_analysis.estimators.experiments import event_time_of
from cxex_analysis.reporting.charts import PALETTE, house_style, new_figure
from cxex_analysis.vocabulary import label


def event_study(rows: pd.DataFrame, outcome: str, window: tuple[int, int] = (-6, 12),
                period_word: str = "month"):
    """Effects by periods since the start, with intervals; before 0 they should be near zero."""
    with house_style():
        data = rows[(rows["estimand"] == "att_event_time") & (rows["outcome"] == outcome)].copy()
        data["e"] = data["term"].map(event_time_of)
        data = data[(data["e"] >= window[0]) & (data["e"] <= window[1])].sort_values("e")
        fig, ax = new_figure(9, 3.8)
        colours = np.where(data["e"] < 0, PALETTE[6], PALETTE[0])
        if "band_low" in data.columns and data["band_low"].notna().any():
            ax.fill_between(data["e"], data["band_low"], data["band_high"], color="#dfe8f1",
                            step="mid", label="band for all periods at once")
        ax.errorbar(data["e"], data["estimate"],
                    yerr=[data["estimate"] - data["ci_low"], data["ci_high"] - data["estimate"]],
                    fmt="none", ecolor="#9bb8d3", elinewidth=2, label="interval of each period")
        ax.scatter(data["e"], data["estimate"], c=colours, zorder=3)
        if "band_low" in data.columns and data["band_low"].notna().any():
            ax.legend(loc="upper left", frameon=False, fontsize=8)
        ax.axhline(0, color="#555555", linewidth=1)
        ax.axvline(-0.5, color=PALETTE[3], linestyle="--", linewidth=1)
        ax.set_title(f"Effect on {label(outcome)} by {period_word}s since the start "
                     "(grey: before the start)")
        ax.set_xlabel(f"{period_word.capitalize()}s since the pilot started")
        ax.set_ylabel(f"Effect on {label(outcome)}")
    return fig


def monitoring(rows: pd.DataFrame, worthwhile: float = 0.0):
    """The primary effect at each look since the start: the always-valid interval (shaded)
    beside the ordinary one (dashed), which is only valid for a single look."""
    with house_style():
        data = rows.reset_index(drop=True)
        x = np.arange(len(data))
        fig, ax = new_figure(9, 3.8)
        ax.fill_between(x, data["ci_low"], data["ci_high"], color="#dfe8f1",
                        label="always-valid interval")
        ax.plot(x, data["fixed_low"], color=PALETTE[3], linestyle="--", linewidth=1,
                label="ordinary interval (one look only)")
        ax.plot(x, data["fixed_high"], color=PALETTE[3], linestyle="--", linewidth=1)
        ax.plot(x, data["estimate"], color=PALETTE[0], marker="o", label="estimate")
        ax.axhline(worthwhile, color="#555555", linewidth=1)
        outcome = label(data["outcome"].iloc[0])
        ax.set_xticks(x, [t.split("=")[1] for t in data["term"]], rotation=45, ha="right")
        ax.set_title(f"Effect on {outcome} at each monthly look since the start")
        ax.set_xlabel("Look (data up to)")
        ax.set_ylabel(f"Effect on {outcome}")
        ax.legend(loc="upper right", frameon=False, fontsize=8)
    return fig


def dual_impact(table: pd.DataFrame):
    """Effects on customers and employees side by side (each outcome on its own scale); only
    effects with an interval can be drawn so (None when none has one)."""
    table = table[np.isfinite(table["ci_low"]) & np.isfinite(table["ci_high"])
                  & (table["ci_high"] > table["ci_low"])]
    if table.empty:
        return None
    with house_style():
        fig = Figure(figsize=(9.5, 0.55 * max(3, len(table)) + 1.4), layout="constrained")
        sides = [s for s in ("customers", "employees") if (table["side"] == s).any()]
        axes = fig.subplots(1, len(sides), squeeze=False)[0]
        colour = {"better": PALETTE[2], "worse": PALETTE[3], "no clear change": PALETTE[6]}
        for ax, side in zip(axes, sides):
            part = table[table["side"] == side].reset_index(drop=True)
            # each outcome on its own scale: show the estimate relative to its interval width
            width = (part["ci_high"] - part["ci_low"]).replace(0, np.nan)
            scaled = part["estimate"] / width * 2
            ax.errorbar(scaled, np.arange(len(part)),
                        xerr=[(part["estimate"] - part["ci_low"]) / width * 2,
                              (part["ci_high"] - part["estimate"]) / width * 2],
                        fmt="none", ecolor="#bbbbbb", elinewidth=3)
            ax.scatter(scaled, np.arange(len(part)), c=[colour[r] for r in part["reading"]], zorder=3)
            labels = [f"{label(o)}\n{e:+.2f} [{lo:+.2f}, {hi:+.2f}]" for o, e, lo, hi in
                      zip(part["outcome"], part["estimate"], part["ci_low"], part["ci_high"])]
            ax.set_yticks(np.arange(len(part)), labels, fontsize=8)
            ax.axvline(0, color="#555555", linewidth=1)
            ax.set_title(f"Effect on {side}")
            ax.set_xlabel("Estimate in units of its own interval half-width")
        axes[0].set_ylabel("Outcome: estimate [interval]")
    return fig


def power_curve(curve: pd.DataFrame, effect: float, outcome: str, target: float = 0.8,
                chosen: int | None = None):
    """Chance of detecting ``effect`` against the number of pilot units (the rest of the
    eligible units the comparison), with the target power and the units chosen marked."""
    with house_style():
        fig, ax = new_figure(8, 3.4)
        ax.plot(curve["pilot_units"], curve["power"], color=PALETTE[0], marker="o", markersize=3)
        ax.axhline(target, color=PALETTE[3], linestyle="--", linewidth=1,
                   label=f"target power {target:.0%}")
        if chosen:
            ax.axvline(chosen, color="#555555", linewidth=1, label=f"{chosen} pilot units chosen")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        ax.set_title(f"Chance of detecting an effect of {effect:g} on {label(outcome)}, by pilot units")
        ax.set_xlabel("Pilot units (every other eligible unit is the comparison)")
        ax.set_ylabel("Chance of detecting it")
    return fig
