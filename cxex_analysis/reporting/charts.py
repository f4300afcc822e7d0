"""Charts drawn from tidy frames, in one house style, and the general ones (data audit,
metric trends, estimates with intervals). Each returns a matplotlib Figure.

Nothing here calls ``plt.show()``, registers figures with pyplot or changes global matplotlib state: the house style is
applied inside :func:`house_style` only while a chart is drawn. Every chart has a title and
labelled axes; :func:`cxex_analysis.reporting.show.chart` embeds it with alt text.
"""

from __future__ import annotations

import contextlib
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

PALETTE = ["#1b6ca8", "#e07a1f", "#3a9d5d", "#c23b4e", "#7b5ea7", "#8c6d31", "#5f6b73"]


STYLE = {
    "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
    "savefig.dpi": 110,
    # drawn with DejaVu Sans; a chart's words are text in its SVG, so a reader's browser
    # without that font takes the nearest alike (Verdana, then any sans-serif)
    "font.family": ["DejaVu Sans", "sans-serif"],
    # titles sit just above the axes: no chart has ticks on top, so matplotlib's search for
    # them (a measure of every tick label at each draw) is skipped
    "axes.titley": 1.0,
}


@contextlib.contextmanager
def house_style():
    """The cxex look (seaborn whitegrid, one palette), for the duration of a ``with`` block."""
    with sns.axes_style("whitegrid", STYLE), sns.plotting_context("notebook", font_scale=0.9), \
            sns.color_palette(PALETTE), plt.rc_context(STYLE):
        yield


#: Margins (inches: left, right, top, bottom) of a chart whose labels are known in advance
#: (numbers on both axes, one line of title and axis label): drawn without a layout pass.
FIXED_MARGINS = (0.85, 0.2, 0.45, 0.65)


def new_figure(width: float = 8.0, height: float = 4.0, margins: tuple | None = None):
    """A Figure outside pyplot's registry: nothing pops up, nothing to close.

    Its layout is worked out when it is drawn (constrained layout), or, given ``margins`` in
    inches (left, right, top, bottom), fixed: half the drawing time, for charts drawn for
    every group of a run whose labels need no measuring.
    """
    if margins is None:
        fig = Figure(figsize=(width, height), layout="constrained")
        return fig, fig.subplots()
    left, right, top, bottom = margins
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height)
    return fig, fig.subplots()


#: Characters of a bold 12-point title that fit across an inch of chart, with some to spare.
TITLE_CHARS_PER_INCH = 8.5

#: Height of one more title line (inches).
TITLE_LINE_INCHES = 0.21


def fixed_title(ax, title: str) -> None:
    """The title of a chart with fixed margins, wrapped to the chart's width; each line past
    the first lowers the top of the plot by a line (nothing is measured)."""
    fig = ax.get_figure()
    lines = textwrap.wrap(title, max(20, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH)))
    ax.set_title("\n".join(lines))
    if len(lines) > 1:
        fig.subplots_adjust(top=fig.subplotpars.top
                            - (len(lines) - 1) * TITLE_LINE_INCHES / fig.get_figheight())


def money_axis(axis, currency: str) -> str:
    """Ticks in thousands or millions; returns the unit word for the label."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}m" if abs(v) >= 1e6
                                           else f"{v / 1e3:,.0f}k" if abs(v) >= 1e3 else f"{v:,.0f}"))
    return currency


def quarantine_bar(by_reason: pd.DataFrame):
    """Horizontal bars of quarantined rows by table and reason (columns table_name, reason, rows)."""
    with house_style():
        height = max(2.5, 0.4 * len(by_reason) + 1.2)
        fig, ax = new_figure(9, height)
        if by_reason.empty:
            ax.text(0.5, 0.5, "No rows were quarantined", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            labels = (by_reason["table_name"] + ": " + by_reason["reason"].str.slice(0, 70)).tolist()
            ax.barh(labels[::-1], by_reason["rows"].to_numpy()[::-1], color=PALETTE[3])
            for y, value in enumerate(by_reason["rows"].to_numpy()[::-1]):
                ax.text(value, y, f" {value:,}", va="center", fontsize=8)
        ax.set_title("Rows held back from analysis, by reason")
        ax.set_xlabel("Quarantined rows")
        ax.set_ylabel("Table: reason")
    return fig


def responses_over_time(coverage: pd.DataFrame):
    """Lines of responses per period for each source (columns period, source, responses)."""
    with house_style():
        fig, ax = new_figure(9, 3.8)
        totals = coverage.groupby(["period", "source"], as_index=False)["responses"].sum()
        totals["source"] = totals["source"].str.replace("_", " ")
        sns.lineplot(data=totals, x="period", y="responses", hue="source", marker="o", ax=ax)
        ax.set_title("Survey responses per month")
        ax.set_xlabel("Month")
        ax.set_ylabel("Responses")
        ax.legend(title="")
    return fig


def coverage_heatmap(coverage: pd.DataFrame, source: str = "customer_responses", max_units: int = 60):
    """Heatmap of responses per unit and period for one source (units with fewest first);
    None when the source has no responses."""
    if not (coverage["source"] == source).any():
        return None
    with house_style():
        data = coverage[coverage["source"] == source]
        table = data.pivot_table(index="unit_id", columns="period", values="responses",
                                 aggfunc="sum", fill_value=0)
        table = table.loc[table.sum(axis=1).sort_values().index[:max_units]]
        table.columns = [pd.Timestamp(c).strftime("%Y-%m") for c in table.columns]
        fig, ax = new_figure(10, max(3.0, 0.16 * len(table) + 1.5))
        sns.heatmap(table, cmap="Blues", ax=ax, cbar_kws={"label": "Responses"})
        ax.set_title(f"{source.replace('_', ' ').capitalize()} per unit and month "
                     f"({len(table)} units with the fewest shown)")
        ax.set_xlabel("Month")
        ax.set_ylabel("Unit")
        ax.tick_params(axis="y", labelsize=6)
    return fig


def estimate_bars(frame: pd.DataFrame, label_column: str, title: str, xlabel: str):
    """Point estimates with interval whiskers, one row per group (tidy rows)."""
    with house_style():
        data = frame.dropna(subset=["estimate"]).sort_values("estimate")
        fig, ax = new_figure(8, max(2.5, 0.38 * len(data) + 1.2))
        y = np.arange(len(data))
        ax.errorbar(data["estimate"], y,
                    xerr=[data["estimate"] - data["ci_low"], data["ci_high"] - data["estimate"]],
                    fmt="o", color=PALETTE[0], ecolor="#9bb8d3", elinewidth=3, capsize=0)
        ax.set_yticks(y, data[label_column].astype(str))
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label_column.replace("_", " ").capitalize())
    return fig


def metric_trend(frame: pd.DataFrame, period_column: str, title: str, ylabel: str,
                 hue: str | None = None):
    """A metric over time with its interval as a band (tidy rows with a period column)."""
    with house_style():
        fig, ax = new_figure(9, 3.8)
        data = frame.dropna(subset=["estimate"]).copy()
        data[period_column] = pd.to_datetime(data[period_column])
        groups = [(None, data)] if hue is None else list(data.groupby(hue))
        for i, (name, group) in enumerate(groups):
            group = group.sort_values(period_column)
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(group[period_column], group["estimate"], marker="o", color=colour,
                    label=None if name is None else str(name))
            ax.fill_between(group[period_column], group["ci_low"], group["ci_high"],
                            color=colour, alpha=0.15, linewidth=0)
        ax.set_title(title)
        ax.set_xlabel("Period")
        ax.set_ylabel(ylabel)
        if hue is not None:
            ax.legend(title=hue.replace("_", " "), fontsize=8)
    return fig


def group_trend(trend: pd.DataFrame, metric: str, label: str, group: str):
    """A metric for the group and the company over time (hidden periods leave gaps)."""
    with house_style():
        fig, ax = new_figure(8, 3.4, FIXED_MARGINS)
        data = trend[trend["metric"] == metric]
        for i, (series, part) in enumerate(data.groupby("series", sort=False)):
            part = part.sort_values("period")
            name = group if series == "this group" else "company"
            ax.plot(pd.to_datetime(part["period"]), part["value"], marker="o",
                    color=PALETTE[i], label=name)
        fixed_title(ax, f"{label}: {group} against the company")
        ax.set_xlabel("Period")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    return fig
