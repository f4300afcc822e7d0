"""Where each group stands: groups × engagement items and customer scores, beside the company.

The rows a heatmap is drawn from (the executive summary and the data audit): for every group of
a grouping (regions, unit types, units) its latest-wave engagement index, eNPS and each
item's % favourable, and its latest-quarter NPS and CSAT, each with its interval; the
company's row (subject ``all``) beside them. Employee cells pass the same confidentiality rule
as the group reports (:func:`cxex_analysis.panels.group_scores.hidden_by_subtraction`): a group
too small, or one a reader could work out by subtracting the shown groups from the company,
keeps its row with every employee number empty.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import check_argument
from cxex_analysis.panels.group_scores import GROUP_BY, group_context, hidden_by_subtraction
from cxex_analysis.panels.participation import PARTICIPATION_METHOD, participation
from cxex_analysis.panels.respondent_scores import csat, engagement_index, enps, nps, pct_favourable
from cxex_analysis.panels.score_tables import levels
from cxex_analysis.privacy import SUPPRESSED_METHOD
from cxex_analysis.results import tidy

EMPLOYEE_COLUMNS = ("engagement_index", "enps")

#: Units on a group report's heatmap: beyond this many, the lowest (a page stays readable).
HEATMAP_UNITS = 25
CUSTOMER_COLUMNS = ("nps", "csat")


def _whole(parts: dict | None) -> pd.DataFrame | None:
    """Every group's rows of a split frame, with the group in column ``grp``."""
    if parts is None:
        return None
    frame = parts["frame"].copy()
    frame["grp"] = None
    for group, rows in parts["at"].items():
        frame.iloc[rows, frame.columns.get_loc("grp")] = group
    return frame


def _of(frame: pd.DataFrame, only: list[str] | None) -> pd.DataFrame:
    return frame if only is None else frame[frame["grp"].isin(only)]


def _employee_cells(employees: pd.DataFrame, items: list[str], by: str | None,
                    confidence: float, min_group_size: int) -> list[pd.DataFrame]:
    kwargs: dict[str, Any] = dict(by=by, confidence=confidence, min_group_size=min_group_size)
    frames = [engagement_index(employees, items, **kwargs)]
    if "enps" in employees and employees["enps"].notna().any():
        frames.append(enps(employees, **kwargs))
    if items:
        frames.append(pct_favourable(employees, items, each_item=True, **kwargs))
    return frames


def group_scores(con, group_by: str, confidence: float = 0.95,
                 min_group_size: int = MIN_GROUP_SIZE, only: list[str] | None = None) -> pd.DataFrame:
    """Tidy rows (analysis ``heatmap``, estimand ``metric_level``) of every group (or of the
    groups in ``only``, e.g. one region's units) and the company: ``subject`` is
    ``"region=North"`` or ``"all"``; hidden employee cells are empty. From answers, or from a
    platform's unit scores (:func:`cxex_analysis.panels.score_tables.levels`) for a survey
    the data set has only as scores."""
    check_argument("group_by", group_by, GROUP_BY)
    every = group_context(con, group_by)
    frames = []
    employees = _whole(every.get("employees_latest"))
    if employees is not None and len(employees):
        items, mine = every["items"], _of(employees, only)
        if len(mine):  # the groups shown may have no employee answers in the latest wave
            frames.append(_hidden(pd.concat(_employee_cells(mine, items, "grp", confidence,
                                                            min_group_size)),
                                  con, group_by, min_group_size))
        frames += _employee_cells(employees, items, None, confidence, min_group_size)
    scored = _whole(every.get("ex_scores_latest"))  # a platform's unit scores, not answers
    if scored is not None and len(scored):
        if len(_of(scored, only)):
            frames.append(_hidden(levels(_of(scored, only), "grp", confidence, min_group_size),
                                  con, group_by, min_group_size))
        frames.append(levels(scored, None, confidence, min_group_size))
    customers = _whole(every.get("customers_latest"))
    if customers is not None and len(customers):
        for measure in (nps, csat):
            frames += [measure(_of(customers, only), by="grp", confidence=confidence),
                       measure(customers, confidence=confidence)]
    scored = _whole(every.get("cx_scores_latest"))
    if scored is not None and len(scored):
        shown = scored[scored["measure"].isin(CUSTOMER_COLUMNS)]
        frames += [levels(_of(shown, only), "grp", confidence), levels(shown, None, confidence)]
    if employees is not None and len(employees):
        frames.append(participation_cells(con, group_by, only, confidence, min_group_size))
    if not frames:
        return tidy([])
    out = tidy(pd.concat(frames, ignore_index=True), extra=["grp"])
    if out.empty:  # only measures a heatmap does not show (a platform's CES alone)
        return tidy([])
    out["subject"] = [f"{group_by}={g}" if isinstance(g, str) else "all"
                      for g in out.get("grp", pd.Series([None] * len(out)))]
    out["analysis"] = "heatmap"
    return out.drop(columns=[c for c in ("grp", "suppressed") if c in out])


def participation_cells(con, group_by: str, only: list[str] | None, confidence: float,
                        min_group_size: int) -> pd.DataFrame:
    """Each group's and the company's share of employees who answered the latest wave (%),
    empty where the group's employee results are hidden (a count, so no interval); no cells
    unless every group's headcount is known (an empty cell reads "hidden")."""
    hidden = hidden_by_subtraction(con, group_by, min_group_size)
    cells = pd.concat([participation(con, group_by, hidden, min_group_size),
                       participation(con, None, frozenset(), min_group_size)], ignore_index=True)
    latest = cells[cells["wave"] == cells["wave"].max()]
    if latest.empty or latest.loc[latest["respondents"].notna(), "rate"].isna().any():
        return tidy([])
    cells = cells[(cells["wave"] == cells["wave"].max())
                  & (cells["group"].isna() | (cells["group"].isin(only) if only is not None else True))]
    return tidy(pd.DataFrame({"analysis": "heatmap", "estimand": "metric_level",
                              "outcome": "participation", "estimate": 100 * cells["rate"],
                              "n": cells["respondents"], "confidence": confidence,
                              "method": PARTICIPATION_METHOD, "grp": cells["group"]}),
                extra=["grp"])


def _hidden(grouped: pd.DataFrame, con, group_by: str, min_group_size: int) -> pd.DataFrame:
    """``grouped`` with the employee cells of groups that could be worked out by subtraction
    emptied (:func:`cxex_analysis.panels.group_scores.hidden_by_subtraction`)."""
    hidden = hidden_by_subtraction(con, group_by, min_group_size)
    rule = grouped["grp"].isin(hidden) & grouped["estimate"].notna()
    for column in ("estimate", "se", "ci_low", "ci_high", "n"):
        grouped.loc[rule, column] = np.nan
    grouped.loc[rule, "method"] = SUPPRESSED_METHOD.format(k=min_group_size)
    return grouped


def matrix(cells: pd.DataFrame, group_by: str, names: dict[str, str] | None = None,
           lowest: int | None = None) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The heatmap's grids: groups × measures of scores and of their standard errors (NaN
    where hidden or not measured), and the company's value of each measure; rows named by
    ``names`` (e.g. unit names) where given. With ``lowest``, only that many groups: those
    lowest on the first measure (engagement, or NPS without an employee survey)."""
    rows = cells[(cells["analysis"] == "heatmap") & (cells["estimand"] == "metric_level")]
    groups = rows[rows["subject"].astype(str).str.startswith(f"{group_by}=")]
    if groups.empty:
        return pd.DataFrame(), pd.Series(dtype=float), pd.DataFrame()
    company = rows[rows["subject"] == "all"].drop_duplicates("outcome").set_index("outcome")["estimate"]
    grids = []
    for values in ("estimate", "se"):
        grid = groups.pivot_table(index="subject", columns="outcome", values=values,
                                  aggfunc="first", dropna=False)
        grid = grid.reindex(sorted(groups["subject"].unique()))
        order = ([c for c in EMPLOYEE_COLUMNS if c in grid]
                 + sorted(c for c in grid if c.startswith("eng_"))
                 + [c for c in CUSTOMER_COLUMNS if c in grid]
                 + [c for c in ("participation",) if c in grid])
        grid = grid.reindex(columns=order).astype(float)
        grid.index = _row_names([s.split("=", 1)[1] for s in grid.index], names or {})
        grids.append(grid)
    if lowest is not None and len(grids[0]) > lowest:
        first = grids[0].iloc[:, 0].reset_index(drop=True)
        keep = sorted(first.dropna().nsmallest(lowest).index)
        grids = [grid.iloc[keep] for grid in grids]
    return grids[0], company.reindex(grids[0].columns), grids[1]


def _row_names(keys: list[str], names: dict[str, str]) -> list[str]:
    """Each row's name; two units of one name (two "High Street" stores) carry their ids."""
    shown = [names.get(key, key) for key in keys]
    repeated = {name for name, times in Counter(shown).items() if times > 1}
    return [f"{name} ({key})" if name in repeated else name for name, key in zip(shown, keys)]
