"""Action plans followed up (notebook 06 and the group reports): were they carried out, which
groups have no plan for their current top issues, and what changed on each action's focus.

Follow-through (estimand ``action_follow_through``): per group and for the company, the
actions planned, in progress, done, dropped and overdue (due date passed, not done), and the
share of actions that fell due which were done on time. Whether completing actions *worked*
is :mod:`cxex_analysis.analyses.action_effects`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.analyses.actions_result import GroupActions
from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import check_confidence
from cxex_analysis.panels.action_panels import focus_answers, plans_and_cover
from cxex_analysis.panels.respondent_scores import ces, change_since_previous, csat, nps
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import measure_label

STATUSES = ("planned", "in_progress", "done", "dropped")


def follow_through(plans: pd.DataFrame, as_of=None, confidence: float = 0.95) -> pd.DataFrame:
    """Counts of actions by status, overdue, and the share done on time; tidy rows.

    One block per group (``subject`` = ``region=North``, ``unit=U001`` …) and one for the
    company (``subject`` = ``all``). ``outcome`` is ``planned``, ``in_progress``, ``done``,
    ``dropped``, ``overdue`` (planned or in progress, due date before ``as_of``; estimate =
    count, n = the group's actions) and ``done_on_time`` (estimate = % of actions that fell
    due — done, or due date before ``as_of`` — which were done by their due date, with a
    Wilson interval; n = those actions). ``as_of`` defaults to today.
    """
    confidence = check_confidence(confidence)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    blocks = [("all", plans)]
    for (group_by, group), part in plans.groupby(["group_by", "group"], sort=True):
        blocks.append((f"{group_by}={group}", part))
    rows = []
    for subject, part in blocks:
        counts = part["status"].value_counts()
        for status in STATUSES:
            rows.append(_count_row(subject, status, int(counts.get(status, 0)), len(part)))
        open_ = part["status"].isin(["planned", "in_progress"])
        overdue = open_ & (part["due_on"] < as_of)
        rows.append(_count_row(subject, "overdue", int(overdue.sum()), len(part)))
        fell_due = part["due_on"].notna() & ((part["status"] == "done")
                                             | (part["due_on"] < as_of))
        on_time = fell_due & (part["status"] == "done") & (part["completed_on"] <= part["due_on"])
        n, k = int(fell_due.sum()), int(on_time.sum())
        row = {"analysis": "actions", "estimand": "action_follow_through", "subject": subject,
               "outcome": "done_on_time", "term": "share", "confidence": confidence, "n": n,
               "method": "share_wilson_interval (n = actions that fell due)"}
        if n:
            interval = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
            row.update(estimate=100 * k / n, ci_low=100 * interval.low,
                       ci_high=100 * interval.high)
        rows.append(row)
    return tidy(rows)


def _count_row(subject: str, outcome: str, count: int, n: int) -> dict:
    return {"analysis": "actions", "estimand": "action_follow_through", "subject": subject,
            "outcome": outcome, "term": "count", "estimate": float(count), "n": n,
            "method": "count (n = actions)"}


def follow_through_table(rows: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """The follow-through rows as one line per group (company first), for a report."""
    if rows.empty:
        return pd.DataFrame()
    wide = rows.pivot_table(index="subject", columns="outcome", values="estimate",
                            aggfunc="first", sort=False)
    order = ["all"] + sorted(s for s in wide.index if s != "all")
    wide = wide.reindex(order)
    names = names or {}
    out = pd.DataFrame({"group": [_group_words(s, names) for s in wide.index]})
    for outcome in STATUSES + ("overdue",):
        out[outcome.replace("_", " ")] = wide[outcome].fillna(0).astype(int).to_numpy()
    out["% done on time"] = wide["done_on_time"].to_numpy()
    return out


def _group_words(subject: str, names: dict) -> str:
    if subject == "all":
        return "Whole company"
    group_by, group = subject.split("=", 1)
    if group_by == "unit":
        return names.get(group, group)
    return f"{group.replace('_', ' ')} ({'region' if group_by == 'region' else 'unit type'})"


def group_actions(plans: pd.DataFrame, cover: pd.DataFrame, group_by: str, group: str,
                  units: list[str]) -> pd.DataFrame:
    """The actions that concern one group: its own and, for a unit, those of its region and
    unit type (which cover it)."""
    own = plans[(plans["group_by"] == group_by) & (plans["group"].astype(str).str.lower()
                                                    == str(group).lower())]
    ids = set(own["action_id"])
    if group_by == "unit":
        ids |= set(cover.loc[cover["unit_id"].isin(units)
                             & cover["group_by"].isin(["region", "unit_type"]), "action_id"])
    return plans[plans["action_id"].isin(ids)].reset_index(drop=True)



def focus_changes(con, actions: pd.DataFrame, units: list[str], ex_shown: bool,
                  confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """What changed on each action's focus in the group since the plan was made: the focus
    score in the last survey wave (or quarter) before the plan against the latest one, with
    the change's interval (estimand ``change_since_action``, ``subject`` = the action id).

    Employee focuses follow the confidentiality rules: nothing when the group's employee
    results are hidden, and no row when either wave has fewer than ``min_group_size``
    answers.
    """
    confidence = check_confidence(confidence)
    frames = []
    for row in actions.itertuples():
        employee = row.focus.startswith("eng_")
        if employee and not ex_shown:
            continue
        answers = focus_answers(con, units, row.focus, row.created_on)
        if answers is None or answers["period"].nunique() < 2:
            continue
        if employee:
            levels = answers.groupby("period")["value"].agg(["mean", "std", "count"])
            if (levels["count"] < min_group_size).any():
                continue
            level = pd.DataFrame({"outcome": "item_mean", "wave": levels.index,
                                  "estimate": levels["mean"].to_numpy(),
                                  "se": (levels["std"] / np.sqrt(levels["count"])).to_numpy(),
                                  "n": levels["count"].to_numpy()})
            change = change_since_previous(level, "wave", confidence)
        else:
            measure = {"nps": nps, "csat": csat, "ces": ces}[row.focus]
            scored = measure(answers.rename(columns={"value": row.focus}), over="period",
                             confidence=confidence)
            change = change_since_previous(scored.rename(columns={"period": "quarter"}),
                                           "quarter", confidence)
        if change.empty:
            continue
        change = change.assign(analysis="actions", estimand="change_since_action",
                               subject=row.action_id)
        frames.append(change)
    return pd.concat(frames, ignore_index=True) if frames else tidy([])


def plans_for_top_issues(plans: pd.DataFrame, cover: pd.DataFrame, top: dict, group_by: str,
                         latest_survey, names: dict | None = None) -> pd.DataFrame:
    """Per group (``top`` from :func:`cxex_analysis.analyses.groups.top_issues_by_group`):
    its top issues and whether each has a current plan — an action on that focus by the group
    (or a wider group covering all of it) that is planned or in progress, or was made after
    the latest survey. A done action made before the latest survey does not count: the item
    is still a top issue after it. Highest priority first."""
    names = names or {}
    latest = pd.Timestamp(latest_survey)
    current = plans[plans["status"].isin(["planned", "in_progress"])
                    | (plans["created_on"] > latest)]
    # each group's current actions' focuses, looked up once (thousands of units)
    focus_of = current.groupby("action_id")["focus"].agg(set)
    own = current[current["group_by"] == group_by]
    keys = own["group"] if group_by == "unit" else own["group"].str.lower()
    ids_of = own["action_id"].groupby(keys.to_numpy()).agg(set).to_dict()
    if group_by == "unit":  # and the wider groups' actions that cover the unit
        covering = cover[cover["action_id"].isin(current["action_id"])]
        for unit, found in covering.groupby("unit_id")["action_id"].agg(set).items():
            ids_of[unit] = ids_of.get(unit, set()) | found
    rows = []
    for group, (items, priority) in top.items():
        ids = ids_of.get(group if group_by == "unit" else str(group).lower(), set())
        focuses = set().union(*(focus_of.get(i, set()) for i in ids))
        planned = [item in focuses for item in items]
        rows.append({"group": names.get(group, str(group).replace("_", " ")),
                     "top issues": ", ".join(measure_label(i) for i in items),
                     "with a current plan": ", ".join(measure_label(i) for i, p in
                                                      zip(items, planned) if p) or "none",
                     "has plan": all(planned), "_priority": priority})
    table = pd.DataFrame(rows, columns=["group", "top issues", "with a current plan",
                                        "has plan", "_priority"])
    return table.sort_values("_priority", ascending=False).drop(columns="_priority") \
        .reset_index(drop=True)


def rolled_up(plans: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Action plans with each unit's action counted under its region (for the leaders'
    follow-through table; region and unit-type actions keep their group)."""
    region = units.set_index("unit_id")["region"]
    out = plans.copy()
    own = out["group_by"] == "unit"
    out.loc[own, "group"] = out.loc[own, "group"].map(region)
    out.loc[own, "group_by"] = "region"
    return out


def group_review(con, group_by: str, group: str, units: list[str], ex_shown: bool, as_of=None,
                 confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> GroupActions:
    """What a group report shows of its actions: a :class:`GroupActions` (its plans and
    follow-through, the focus items' changes, and for a region or unit type its units' own
    plans)."""
    plans, cover = plans_and_cover(con)
    if plans.empty:
        return GroupActions(actions=plans, unit_actions=plans)
    mine = group_actions(plans, cover, group_by, group, units)
    mine = mine.sort_values(["created_on", "action_id"], ascending=False).reset_index(drop=True)
    follow = follow_through(mine, as_of, confidence)
    follow = follow[follow["subject"] == "all"].assign(subject=f"{group_by}={group}") \
        if len(mine) else tidy([])
    # a region's or unit type's report also follows up its units' own plans
    of_units = plans[(plans["group_by"] == "unit") & plans["group"].isin(units)] \
        if group_by != "unit" else plans.iloc[0:0]
    units_follow = follow_through(of_units, as_of, confidence) if len(of_units) else tidy([])
    return GroupActions(
        actions=mine, follow=follow,
        changes=focus_changes(con, mine, units, ex_shown, confidence, min_group_size),
        unit_actions=of_units.sort_values(["due_on", "action_id"]).reset_index(drop=True),
        units_follow=units_follow)
