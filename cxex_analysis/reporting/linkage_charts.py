"""Charts of the EX → CX tests (notebook 01): lagged effects, drivers, dual movement, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from cxex_analysis.analyses.linkage_result import ModelChecks
from cxex_analysis.reporting.charts import PALETTE, house_style, new_figure
from cxex_analysis.vocabulary import item_label


def cross_lagged(effects: pd.DataFrame):
    """Both directions (and the placebo) per CX outcome, in within-unit standard deviations.

    ``effects``: rows of ``ex_to_cx_lagged``, ``cx_to_ex_lagged`` and ``ex_lead_placebo``
    with ``effect_size`` (the standardized coefficient). A link whose interval is unbounded
    (survey noise too large to measure it) is named under the chart instead of drawn; with
    no link measurable there is no chart (None).
    """
    labels = {"ex_to_cx_lagged": "EX (t) → CX (t+1)", "cx_to_ex_lagged": "CX (t) → EX (t+1)",
              "ex_lead_placebo": "placebo: EX (t+1) → CX (t)"}
    data = effects[effects["estimand"].isin(list(labels))].copy()
    if "effect_size" not in data:
        data["effect_size"] = np.nan
    data["cx"] = np.where(data["estimand"] == "cx_to_ex_lagged", data["term"], data["outcome"])
    scale = data["effect_size"] / data["estimate"]
    data["low"] = data["ci_low"] * scale
    data["high"] = data["ci_high"] * scale
    outcomes = list(dict.fromkeys(data["cx"]))
    unmeasured = data[data["low"].isna() | data["high"].isna()]
    data = data.drop(unmeasured.index)
    if data.empty:
        return None
    with house_style():
        fig, ax = new_figure(8.5, 1.0 + 1.1 * len(outcomes))
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
        fig, ax = new_figure(7.5, 5.5)
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
    with house_style():
        data = weights[weights["estimand"] == "relative_weight"].sort_values("estimate")
        r2 = weights.loc[weights["estimand"] == "relative_weight_r2", "estimate"].iloc[0]
        fig, ax = new_figure(8, max(3, 0.45 * len(data) + 1.3))
        y = np.arange(len(data))
        share = 100 * data["estimate"] / r2
        ax.barh(y, share, color=PALETTE[0], alpha=0.85, label="relative weight (% of R²)")
        # a bootstrap percentile interval need not contain the estimate (a share near zero)
        ax.errorbar(share, y, xerr=[np.clip(share - 100 * data["ci_low"] / r2, 0, None),
                                    np.clip(100 * data["ci_high"] / r2 - share, 0, None)],
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
    with house_style():
        fig, ax = new_figure(7.5, 5.5)
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
        fig, ax = new_figure(8, 0.35 * len(data) + 1.5)
        ax.barh(data["unit_id"].astype(str), data["change"], color=PALETTE[4])
        ax.axvline(0, color="#555555", linewidth=1)
        ax.set_title(f"Influential units: change in {label} when each is left out "
                     f"(estimate {estimate:.3f})")
        ax.set_xlabel("Change in the estimate")
        ax.set_ylabel("Unit left out")
    return fig


def h2_residuals(checks: ModelChecks):
    """:func:`residual_check` of the H2 model on the first customer outcome."""
    return residual_check(checks.fit["fitted"], checks.fit["residuals"],
                          "H2 " + checks.outcome.upper())


def h2_influence(checks: ModelChecks):
    """:func:`influence_bar` of the H2 estimate on the first customer outcome."""
    return influence_bar(checks.influence, checks.fit["params"]["x"], "the H2 estimate")


def outcome_pair(rows: pd.DataFrame):
    """EX → each outcome, both models side by side: the change in the outcome for 10 more
    engagement points in the wave before (``lag1``) and in the same wave (``lag0``), with
    intervals, one panel per outcome (their units differ); the panel's title says whether
    lower or higher is better. None when no model could be fitted."""
    models = {"ex_to_outcome_fe": "each unit against itself", "ex_to_outcome_ldv":
              "holding the previous value fixed"}
    terms = {"lag1": "engagement the wave before", "lag0": "engagement the same wave"}
    data = rows[rows["estimand"].isin(list(models)) & rows["term"].isin(list(terms))
                & np.isfinite(rows["estimate"])]
    outcomes = list(dict.fromkeys(data["outcome"]))
    if not outcomes:
        return None
    with house_style():
        fig = Figure(figsize=(8.5, 0.8 + 1.9 * len(outcomes)), layout="constrained")
        axes = fig.subplots(len(outcomes), 1, squeeze=False)[:, 0]
        for ax, outcome in zip(axes, outcomes):
            part = data[data["outcome"] == outcome]
            for i, (estimand, model) in enumerate(models.items()):
                rows_m = part[part["estimand"] == estimand]
                y = np.array([list(terms).index(t) for t in rows_m["term"]]) + (0.15 - 0.3 * i)
                x = 10 * rows_m["estimate"].to_numpy()
                ax.errorbar(x, y, xerr=[x - 10 * rows_m["ci_low"].to_numpy(),
                                        10 * rows_m["ci_high"].to_numpy() - x],
                            fmt="os"[i], color=PALETTE[i], capsize=3, label=model)
            ax.axvline(0, color="#555555", linewidth=1)
            ax.set_yticks(range(len(terms)), list(terms.values()))
            better = str(part["better"].iloc[0]) if "better" in part else "higher"
            unit = str(part["outcome_unit"].iloc[0]) if "outcome_unit" in part else ""
            name = outcome.replace("_", " ") + (f" ({unit})" if unit and unit != "nan" else "")
            ax.set_title(f"{name}: {better} is better", fontsize=10, loc="left")
            ax.set_xlabel(f"Change in {name} for 10 more engagement points, with interval")
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.suptitle("How each outcome follows engagement, two ways")
    return fig
