"""Charts that place a group among the others: the groups × measures heatmap and the
impact × gap priority chart of the engagement items."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from cxex_analysis.reporting.charts import (
    FIXED_MARGINS,
    PALETTE,
    fixed_title,
    house_style,
    new_figure,
)
from cxex_analysis.vocabulary import item_label, measure_label

#: Differences from the company beyond this many standard errors take the darkest colour.
HEATMAP_RANGE = 3.0

HIDDEN_COLOUR = "#d9dde1"


def measure_name(measure: str) -> str:
    """A heatmap column's name: items by their label, scores by theirs."""
    name = measure_label(measure)
    return name[:1].upper() + name[1:] if name[1:2].islower() else name


def _text_colour(rgba) -> str:
    """Black or white, whichever reads better on the cell (WCAG relative luminance)."""
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def group_heatmap(grid: pd.DataFrame, company: pd.Series, se: pd.DataFrame, title: str,
                  group_word: str):
    """Each cell the group's score; its colour the difference to the company in standard
    errors of the group's score (purple above, orange below: a small group's chance
    wobble stays pale); hidden cells grey with the word "hidden"."""

    difference = (grid - company.reindex(grid.columns)) / se.reindex_like(grid).where(lambda v: v > 0)
    cmap = matplotlib.colormaps["PuOr"]
    norm = TwoSlopeNorm(vmin=-HEATMAP_RANGE, vcenter=0.0, vmax=HEATMAP_RANGE)
    rows = [*grid.index, "Company"]
    values = np.vstack([grid.to_numpy(dtype=float), company.reindex(grid.columns).to_numpy(dtype=float)])
    shown = np.isfinite(values)
    colours = cmap(norm(np.clip(np.nan_to_num(difference.to_numpy(dtype=float)), -HEATMAP_RANGE,
                                HEATMAP_RANGE)))
    colours = np.vstack([colours, np.ones((1, len(grid.columns), 4))])  # the company row: white
    colours[~shown] = matplotlib.colors.to_rgba(HIDDEN_COLOUR)
    with house_style():
        fig, ax = new_figure(min(13.0, 2.6 + 1.05 * len(grid.columns)), 1.6 + 0.42 * len(rows))
        ax.imshow(colours, aspect="auto", interpolation="nearest",
                  extent=(0, len(grid.columns), len(rows), 0))
        ax.set_xticks(np.arange(len(grid.columns) + 1), minor=True)
        ax.set_yticks(np.arange(len(rows) + 1), minor=True)
        ax.grid(False)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        for (i, j), value in np.ndenumerate(values):
            company_row = i == len(rows) - 1
            ax.text(j + 0.5, i + 0.5, f"{value:.0f}" if shown[i, j] else "hidden", ha="center",
                    va="center", fontsize=8, fontweight="bold" if company_row else "normal",
                    color=_text_colour(colours[i, j]) if shown[i, j] else "#333333",
                    in_layout=False)  # inside the cells: the layout need not measure them
        ax.set_xlim(0, len(grid.columns))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks(np.arange(len(grid.columns)) + 0.5,
                      [measure_name(c) for c in grid.columns], rotation=35, ha="right")
        ax.set_yticks(np.arange(len(rows)) + 0.5, rows)
        ax.set_title(title)
        ax.set_xlabel("Engagement and eNPS, engagement items (% favourable), NPS and CSAT"
                      + (", participation (% who answered)" if "participation" in grid else ""))
        ax.set_ylabel(group_word[:1].upper() + group_word[1:])
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=ax, shrink=0.8,
                     label="Difference from the company\n(standard errors; beyond ±2 unlikely to be chance)")
    return fig


def priority_chart(items: pd.DataFrame, top: list[str], group: str):
    """Impact × gap: each engagement item's importance (key-driver weight) against how far the
    group is below the company; the top issues highlighted and named.

    Drawn with fixed margins (a chart in every group's report): the names stand right of their
    points, or left of those in the right part of the chart, so none leaves the plot.
    """
    with house_style():
        fig, ax = new_figure(8, 4.6, FIXED_MARGINS)
        chosen = items["item"].isin(top)
        ax.scatter(items.loc[~chosen, "gap"], items.loc[~chosen, "impact"], s=60,
                   color="#7c8a95", label="other items")
        ax.scatter(items.loc[chosen, "gap"], items.loc[chosen, "impact"], s=110,
                   color=PALETTE[3], label="top issues")
        low, high = min(items["gap"].min(), 0.0), max(items["gap"].max(), 0.0)
        for row in items.itertuples():
            right_part = row.gap > low + 0.6 * (high - low)
            ax.annotate(item_label(row.item), (row.gap, row.impact), textcoords="offset points",
                        xytext=(-6 if right_part else 6, 4), ha="right" if right_part else "left",
                        fontsize=8, fontweight="bold" if row.item in top else "normal")
        ax.margins(y=0.1)  # room above the highest point for its name
        ax.axvline(0, color="#555555", linewidth=1)
        ax.axhline(items["impact"].mean(), color="#9aa5ad", linewidth=1, linestyle="--")
        fixed_title(ax, f"Where to act in {group}: impact against gap to the company")
        ax.set_xlabel("Gap: company minus this group (% favourable points; right = below the company)")
        ax.set_ylabel("Impact: share of differences explained (%)")
        ax.legend(fontsize=8, loc="best")
    return fig
