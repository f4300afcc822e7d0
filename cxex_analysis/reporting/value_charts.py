"""Charts of the return on experience (notebook 03): waterfall, tornado, ROI distribution, hidden costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.reporting.charts import PALETTE, house_style, money_axis, new_figure
from cxex_analysis.vocabulary import term_label


def value_waterfall(summary: pd.DataFrame, currency: str):
    """From each value driver to the net present value (medians of the simulations); None
    when nothing was valued (no channel's link could be measured)."""
    if not {"value_total", "npv"} <= set(summary["estimand"]):
        return None
    with house_style():
        drivers = summary[summary["estimand"] == "value_driver"]
        cost = summary.loc[summary["estimand"] == "value_total", "estimate"].iloc[0] - \
            summary.loc[summary["estimand"] == "npv", "estimate"].iloc[0]
        labels = [term_label(d) for d in drivers["term"]] + ["programme cost", "net value"]
        steps = list(drivers["estimate"]) + [-cost]
        fig, ax = new_figure(9, 4.2)
        running = 0.0
        for i, value in enumerate(steps):
            colour = PALETTE[2] if value >= 0 else PALETTE[3]
            ax.bar(i, value, bottom=running, color=colour)
            running += value
        ax.bar(len(steps), running, color=PALETTE[0])
        ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
        ax.axhline(0, color="#555555", linewidth=1)
        ax.set_title("Where the value comes from (present value over the horizon, medians)")
        ax.set_xlabel("Value driver")
        ax.set_ylabel(f"Present value ({money_axis(ax.yaxis, currency)})")
    return fig


def tornado_chart(table: pd.DataFrame, currency: str, top: int = 10):
    """Net present value with each input at the ends of its range, widest swing first."""
    with house_style():
        data = table.head(top).iloc[::-1]
        base = data["base"].iloc[0] if len(data) else 0.0
        fig, ax = new_figure(9, 0.42 * len(data) + 1.6)
        y = np.arange(len(data))
        low = np.minimum(data["metric_at_low"], data["metric_at_high"])
        high = np.maximum(data["metric_at_low"], data["metric_at_high"])
        ax.barh(y, high - low, left=low, color=PALETTE[0], alpha=0.8)
        ax.axvline(base, color=PALETTE[3], linewidth=1.5, label="central estimate")
        ax.set_yticks(y, [i.replace("_", " ") for i in data["input"]])
        ax.set_title("Sensitivity: net present value with each input at its low and high end")
        ax.set_xlabel(f"Net present value ({money_axis(ax.xaxis, currency)})")
        ax.set_ylabel("Input")
        ax.legend(fontsize=8)
    return fig


def roi_distribution(draws: pd.DataFrame, summary: pd.DataFrame | None = None):
    """Histogram of simulated return on investment, break-even line at 0; None when no draw
    has a return, or the ``summary`` gives none (no channel could be valued)."""
    if summary is not None and not (summary["estimand"] == "roi").any():
        return None
    if "roi" not in draws:
        return None
    roi = draws["roi"].replace([np.inf, -np.inf], np.nan).dropna() * 100
    if len(roi) == 0:
        return None
    with house_style():
        fig, ax = new_figure(8, 3.6)
        ax.hist(roi.clip(roi.quantile(0.005), roi.quantile(0.995)), bins=60, color=PALETTE[0], alpha=0.85)
        ax.axvline(0, color=PALETTE[3], linewidth=1.5)
        ax.set_title(f"Return on investment across {len(draws):,} simulations "
                     f"({(draws['roi'] > 0).mean():.0%} above zero)")
        ax.set_xlabel("Return on investment (%)")
        ax.set_ylabel("Simulations")
    return fig


def iceberg(costs: pd.DataFrame, currency: str):
    """Visible costs above the waterline, hidden costs of experience gaps below it."""
    with house_style():
        fig, ax = new_figure(8.5, 4.4)
        bottom = 0.0
        for row in costs[costs["visible"]].itertuples():
            ax.bar(0, row.monthly, bottom=bottom, color=PALETTE[0], width=0.5,
                   label=f"{row.cost}: {currency} {row.monthly:,.0f}")
            bottom += row.monthly
        bottom = 0.0
        for i, row in enumerate(costs[~costs["visible"]].itertuples()):
            ax.bar(0, -row.monthly, bottom=bottom, width=0.5, alpha=0.85,
                   color=PALETTE[(i + 1) % len(PALETTE)],
                   label=f"{row.cost}: {currency} {row.monthly:,.0f}")
            bottom -= row.monthly
        ax.axhline(0, color="#1b6ca8", linewidth=2)
        ax.set_xlim(-0.5, 0.5)
        ax.set_xticks([])
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
        ax.set_title("The iceberg: visible vs hidden monthly costs of experience gaps")
        ax.set_xlabel("Above the line: on a budget line; below: hidden in other numbers")
        ax.set_ylabel(f"Cost per month ({money_axis(ax.yaxis, currency)})")
    return fig


def retention_curves(curves: pd.DataFrame):
    """Share of customers still customers, month by month after their answer, one line per NPS
    category with its pointwise interval (Kaplan–Meier); None without curves."""
    if curves is None or curves.empty:
        return None
    colours = {"promoter": PALETTE[2], "passive": PALETTE[5], "detractor": PALETTE[3]}
    with house_style():
        fig, ax = new_figure(8, 4)
        for name in ("promoter", "passive", "detractor"):
            part = curves[curves["category"] == name]
            if part.empty:
                continue
            ax.step(part["month"], part["retention"] * 100, where="post", color=colours[name],
                    label=f"{name.capitalize()}s ({int(part['at_risk'].iloc[0]):,})")
            ax.fill_between(part["month"], part["ci_low"] * 100, part["ci_high"] * 100,
                            step="post", color=colours[name], alpha=0.15, linewidth=0)
        ax.set_title("Customers who stay, by their answer to the recommend question")
        ax.set_xlabel("Months after their answer")
        ax.set_ylabel("Still a customer (%)")
        ax.legend(fontsize=8, title="First answer (customers)", title_fontsize=8)
    return fig
