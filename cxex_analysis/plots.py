"""Charts drawn from tidy frames, in one house style. Each returns a matplotlib Figure.

Nothing here calls ``plt.show()``, registers figures with pyplot or changes global matplotlib state: the house style is
applied inside :func:`house_style` only while a chart is drawn. Every chart has a title and
labelled axes; :func:`cxex_analysis.report.chart` embeds it with alt text.
"""

from __future__ import annotations

import contextlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .metrics import label

PALETTE = ["#1b6ca8", "#e07a1f", "#3a9d5d", "#c23b4e", "#7b5ea7", "#8c6d31", "#5f6b73"]
STYLE = {
    "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
    "savefig.dpi": 110, "font.family": "DejaVu Sans",
}


@contextlib.contextmanager
def house_style():
    """The cxex look (seaborn whitegrid, one palette), for the duration of a ``with`` block."""
    with sns.axes_style("whitegrid", STYLE), sns.plotting_context("notebook", font_scale=0.9), \
            sns.color_palette(PALETTE), plt.rc_context(STYLE):
        yield


def _figure(width: float = 8.0, height: float = 4.0):
    """A Figure outside pyplot's registry: nothing pops up, nothing to close."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots()


def _money_axis(axis, currency: str) -> str:
    """Ticks in thousands or millions; returns the unit word for the label."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}m" if abs(v) >= 1e6
                                           else f"{v / 1e3:,.0f}k" if abs(v) >= 1e3 else f"{v:,.0f}"))
    return currency


def quarantine_bar(by_reason: pd.DataFrame):
    """Horizontal bars of quarantined rows by table and reason (columns table_name, reason, rows)."""
    with house_style():
        height = max(2.5, 0.4 * len(by_reason) + 1.2)
        fig, ax = _figure(9, height)
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
        fig, ax = _figure(9, 3.8)
        totals = coverage.groupby(["period", "source"], as_index=False)["responses"].sum()
        totals["source"] = totals["source"].str.replace("_", " ")
        sns.lineplot(data=totals, x="period", y="responses", hue="source", marker="o", ax=ax)
        ax.set_title("Survey responses per month")
        ax.set_xlabel("Month")
        ax.set_ylabel("Responses")
        ax.legend(title="")
    return fig


def coverage_heatmap(coverage: pd.DataFrame, source: str = "customer_responses", max_units: int = 60):
    """Heatmap of responses per unit and period for one source (units with fewest first)."""
    with house_style():
        data = coverage[coverage["source"] == source]
        table = data.pivot_table(index="unit_id", columns="period", values="responses",
                                 aggfunc="sum", fill_value=0)
        table = table.loc[table.sum(axis=1).sort_values().index[:max_units]]
        table.columns = [pd.Timestamp(c).strftime("%Y-%m") for c in table.columns]
        fig, ax = _figure(10, max(3.0, 0.16 * len(table) + 1.5))
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
        fig, ax = _figure(8, max(2.5, 0.38 * len(data) + 1.2))
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
        fig, ax = _figure(9, 3.8)
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


def cross_lagged(effects: pd.DataFrame):
    """Both directions (and the placebo) per CX outcome, in within-unit standard deviations.

    ``effects``: rows of ``ex_to_cx_lagged``, ``cx_to_ex_lagged`` and ``ex_lead_placebo``
    with ``effect_size`` (the standardized coefficient). A link whose interval is unbounded
    (survey noise too large to measure it) is named under the chart instead of drawn.
    """
    labels = {"ex_to_cx_lagged": "EX (t) → CX (t+1)", "cx_to_ex_lagged": "CX (t) → EX (t+1)",
              "ex_lead_placebo": "placebo: EX (t+1) → CX (t)"}
    with house_style():
        data = effects.copy()
        data["cx"] = np.where(data["estimand"] == "cx_to_ex_lagged", data["term"], data["outcome"])
        scale = data["effect_size"] / data["estimate"]
        data["low"] = data["ci_low"] * scale
        data["high"] = data["ci_high"] * scale
        data = data[data["estimand"].isin(list(labels))]
        outcomes = list(dict.fromkeys(data["cx"]))
        unmeasured = data[data["low"].isna() | data["high"].isna()]
        data = data.drop(unmeasured.index)
        fig, ax = _figure(8.5, 1.0 + 1.1 * len(outcomes))
        offsets = {"ex_to_cx_lagged": -0.22, "cx_to_ex_lagged": 0.0, "ex_lead_placebo": 0.22}
        for i, (estimand, label) in enumerate(labels.items()):
            part = data[data["estimand"] == estimand]
            if part.empty:
                continue
            y = np.array([outcomes.index(o) for o in part["cx"]]) + offsets[estimand]
            ax.errorbar(part["effect_size"], y,
                        xerr=[part["effect_size"] - part["low"], part["high"] - part["effect_size"]],
                        fmt="os^"[i], color=PALETTE[i], label=label, capsize=3)
        ax.axvline(0, color="#555555", linewidth=1)
        ax.set_yticks(range(len(outcomes)), [o.upper() for o in outcomes])
        ax.set_title("Cross-lagged effects between employee and customer experience")
        xlabel = "Effect of a 1 SD within-unit change (in SD of the other measure), with interval"
        if len(unmeasured):
            names = ", ".join(f"{labels[r.estimand]} ({r.cx.upper()})" for r in unmeasured.itertuples())
            xlabel += f"\nNot measurable here (survey noise too large): {names}"
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Customer outcome")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def dual_quadrant(trajectories: pd.DataFrame, outcome: str = "nps"):
    """Scatter of each unit's EX change vs CX change per period, quadrants marked."""
    with house_style():
        fig, ax = _figure(7.5, 5.5)
        order = ["both improved", "both declined", "EX up, CX down", "EX down, CX up"]
        colours = dict(zip(order, [PALETTE[2], PALETTE[3], PALETTE[1], PALETTE[4]]))
        for movement in order:
            part = trajectories[trajectories["movement"] == movement]
            ax.scatter(part["ex_change"], part["cx_change"], s=22, alpha=0.8,
                       color=colours[movement], label=f"{movement} ({len(part)})")
        ax.axhline(0, color="#555555", linewidth=1)
        ax.axvline(0, color="#555555", linewidth=1)
        ax.set_title("Did employee and customer experience move together? (one dot per unit)")
        ax.set_xlabel("Change in engagement index per quarter (points)")
        ax.set_ylabel(f"Change in {outcome.upper()} per quarter (points)")
        ax.legend(fontsize=8, loc="best")
    return fig


def relative_weights_bar(weights: pd.DataFrame):
    """Share of explained variance per driver with intervals, naive r² share beside it."""
    from .drivers import item_label

    with house_style():
        data = weights[weights["estimand"] == "relative_weight"].sort_values("estimate")
        r2 = weights.loc[weights["estimand"] == "relative_weight_r2", "estimate"].iloc[0]
        fig, ax = _figure(8, max(3, 0.45 * len(data) + 1.3))
        y = np.arange(len(data))
        share = 100 * data["estimate"] / r2
        ax.barh(y, share, color=PALETTE[0], alpha=0.85, label="relative weight (% of R²)")
        ax.errorbar(share, y, xerr=[share - 100 * data["ci_low"] / r2,
                                    100 * data["ci_high"] / r2 - share],
                    fmt="none", ecolor="#333333", capsize=2)
        naive = 100 * data["naive_r"] ** 2 / (data["naive_r"] ** 2).sum()
        ax.scatter(naive, y, marker="D", color=PALETTE[1], zorder=3,
                   label="naive r² (share of the sum)")
        ax.set_yticks(y, [item_label(t) for t in data["term"]])
        outcome = data["outcome"].iloc[0].upper()
        ax.set_title(f"What in the employee experience explains {outcome} across units")
        ax.set_xlabel(f"Share of explained variance in {outcome} (%), R² = {r2:.2f}")
        ax.set_ylabel("Engagement item")
        ax.legend(fontsize=8, loc="lower right")
    return fig


def importance_performance(table: pd.DataFrame):
    """Importance (relative weight) against performance (% favourable), quadrants at medians."""
    from .drivers import item_label

    with house_style():
        fig, ax = _figure(7.5, 5.5)
        ax.scatter(table["rescaled"], table["performance"], s=60, color=PALETTE[0])
        for row in table.itertuples():
            ax.annotate(item_label(row.term), (row.rescaled, row.performance),
                        textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.axvline(table["rescaled"].median(), color="#999999", linestyle="--", linewidth=1)
        ax.axhline(table["performance"].median(), color="#999999", linestyle="--", linewidth=1)
        ax.text(0.98, 0.02, "FOCUS: important, low score", transform=ax.transAxes, ha="right",
                fontsize=8, color=PALETTE[3])
        ax.set_title(f"Importance vs performance of engagement items for {table['outcome'].iloc[0].upper()}")
        ax.set_xlabel("Importance: share of explained variance (%)")
        ax.set_ylabel("Performance: % favourable")
    return fig


def residual_check(fitted: pd.Series, residuals: pd.Series, title: str):
    """Residuals against fitted values and a normal Q-Q plot, side by side."""
    from scipy import stats

    with house_style():
        fig = Figure(figsize=(9, 3.6), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        ax1.scatter(fitted, residuals, s=8, alpha=0.5, color=PALETTE[0])
        ax1.axhline(0, color="#555555", linewidth=1)
        ax1.set_title(f"{title}: residuals vs fitted")
        ax1.set_xlabel("Fitted value (within unit)")
        ax1.set_ylabel("Residual")
        (theory, ordered), (slope, intercept, _) = stats.probplot(residuals, dist="norm")
        ax2.scatter(theory, ordered, s=8, alpha=0.5, color=PALETTE[0])
        ax2.plot(theory, slope * np.asarray(theory) + intercept, color=PALETTE[3])
        ax2.set_title("Normal Q-Q plot of residuals")
        ax2.set_xlabel("Theoretical quantile")
        ax2.set_ylabel("Residual quantile")
    return fig


def influence_bar(changes: pd.DataFrame, estimate: float, label: str, top: int = 10):
    """How far the estimate moves when each of the most influential units is left out."""
    with house_style():
        data = changes.head(top).iloc[::-1]
        fig, ax = _figure(8, 0.35 * len(data) + 1.5)
        ax.barh(data["unit_id"].astype(str), data["change"], color=PALETTE[4])
        ax.axvline(0, color="#555555", linewidth=1)
        ax.set_title(f"Influential units: change in {label} when each is left out "
                     f"(estimate {estimate:.3f})")
        ax.set_xlabel("Change in the estimate")
        ax.set_ylabel("Unit left out")
    return fig


def event_study(rows: pd.DataFrame, outcome: str, window: tuple[int, int] = (-6, 12),
                period_word: str = "month"):
    """Effects by periods since the start, with intervals; before 0 they should be near zero."""
    from .experiments import event_time_of

    with house_style():
        data = rows[(rows["estimand"] == "att_event_time") & (rows["outcome"] == outcome)].copy()
        data["e"] = data["term"].map(event_time_of)
        data = data[(data["e"] >= window[0]) & (data["e"] <= window[1])].sort_values("e")
        fig, ax = _figure(9, 3.8)
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
        fig, ax = _figure(9, 3.8)
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
    """Effects on customers and employees side by side (each outcome on its own scale)."""
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
            labels = [f"{o.replace('_', ' ')}\n{e:+.2f} [{lo:+.2f}, {hi:+.2f}]" for o, e, lo, hi in
                      zip(part["outcome"], part["estimate"], part["ci_low"], part["ci_high"])]
            ax.set_yticks(np.arange(len(part)), labels, fontsize=8)
            ax.axvline(0, color="#555555", linewidth=1)
            ax.set_title(f"Effect on {side}")
            ax.set_xlabel("Estimate in units of its own interval half-width")
        axes[0].set_ylabel("Outcome: estimate [interval]")
    return fig


def value_waterfall(summary: pd.DataFrame, currency: str):
    """From each value driver to the net present value (medians of the simulations)."""
    with house_style():
        drivers = summary[summary["estimand"] == "value_driver"]
        cost = summary.loc[summary["estimand"] == "value_total", "estimate"].iloc[0] - \
            summary.loc[summary["estimand"] == "npv", "estimate"].iloc[0]
        labels = [d.replace("_", " ") for d in drivers["term"]] + ["programme cost", "net value"]
        steps = list(drivers["estimate"]) + [-cost]
        fig, ax = _figure(9, 4.2)
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
        ax.set_ylabel(f"Present value ({_money_axis(ax.yaxis, currency)})")
    return fig


def tornado_chart(table: pd.DataFrame, currency: str, top: int = 10):
    """Net present value with each input at the ends of its range, widest swing first."""
    with house_style():
        data = table.head(top).iloc[::-1]
        base = data["base"].iloc[0] if len(data) else 0.0
        fig, ax = _figure(9, 0.42 * len(data) + 1.6)
        y = np.arange(len(data))
        low = np.minimum(data["metric_at_low"], data["metric_at_high"])
        high = np.maximum(data["metric_at_low"], data["metric_at_high"])
        ax.barh(y, high - low, left=low, color=PALETTE[0], alpha=0.8)
        ax.axvline(base, color=PALETTE[3], linewidth=1.5, label="central estimate")
        ax.set_yticks(y, [i.replace("_", " ") for i in data["input"]])
        ax.set_title("Sensitivity: net present value with each input at its low and high end")
        ax.set_xlabel(f"Net present value ({_money_axis(ax.xaxis, currency)})")
        ax.set_ylabel("Input")
        ax.legend(fontsize=8)
    return fig


def roi_distribution(draws: pd.DataFrame):
    """Histogram of simulated return on investment, break-even line at 0."""
    with house_style():
        fig, ax = _figure(8, 3.6)
        roi = draws["roi"].replace([np.inf, -np.inf], np.nan).dropna() * 100
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
        fig, ax = _figure(8.5, 4.4)
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
        ax.set_ylabel(f"Cost per month ({_money_axis(ax.yaxis, currency)})")
    return fig


def group_trend(trend: pd.DataFrame, metric: str, label: str, group: str):
    """A metric for the group and the company over time (hidden periods leave gaps)."""
    with house_style():
        fig, ax = _figure(8, 3.4)
        data = trend[trend["metric"] == metric]
        for i, (series, part) in enumerate(data.groupby("series", sort=False)):
            part = part.sort_values("period")
            name = group if series == "this group" else "company"
            ax.plot(pd.to_datetime(part["period"]), part["value"], marker="o",
                    color=PALETTE[i], label=name)
        ax.set_title(f"{label}: {group} against the company")
        ax.set_xlabel("Period")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    return fig
