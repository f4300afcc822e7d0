"""The demo organisation's action plans: after a survey wave, some groups commit to act on
their top issues; some finish, some drop the plan, some are still at it.

Groups choose as real ones do, from the survey they just read: each planning unit takes the
items where its measured score lies furthest below the company (weighted by how much the
item matters for customers), so a chance dip in that wave helps pick the focus and tends to
regress back by the next one. An estimator that used that wave as its baseline would
credit the action with the rebound; the truth recorded here does not.

A completed action raises the experience of its focus item (``action_item_effect`` index
points) from the first wave after its completion; dropped and unfinished actions change
nothing. The truth is reported in the units the estimator sees: the change in the unit-wave
mean of the item (1–5), world with actions minus world without, averaged over the acting
units' waves from the first wave after completion (units whose wave has fewer than 5
answers are left out, as the estimator leaves them out).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cxex_analysis.simulation.demo_parameters import ITEMS, DemoParameters

#: What groups commit to, per focus item (a few carry an e-mail or markup: shown masked and
#: escaped in the reports, as comments are).
ACTION_TEXT = {
    "tools": ["Replace the slow till software and add a second scanner",
              "Fix the booking system crashes with IT; log every outage",
              "Train everyone on the new knowledge base in two short sessions"],
    "recognition": ["Weekly shout-outs at the team huddle",
                    "Thank-you notes from the manager after busy weekends",
                    "Monthly <b>team award</b> chosen by colleagues"],
    "manager": ["Monthly one-to-ones for every team member",
                "Manager coaching on giving feedback; questions to hr.help@example.com"],
    "voice": ["Open forum every month, actions posted on the board",
              "Suggestion box reviewed every Friday"],
    "growth": ["Personal development plans for everyone by the end of the quarter",
               "Job shadowing with other units, one day a quarter"],
    "purpose": ["Share a customer story at every team meeting"],
    "customer_focus": ["Daily five-minute review of yesterday's customer comments"],
}


OWNER_ROLES = {"store": "store manager", "branch": "branch manager",
               "call_centre": "call centre manager", "team": "team leader"}


#: Engagement items' weight in choosing a focus: how much each matters for customers.
def _importance(params: DemoParameters) -> np.ndarray:
    return np.array([params.driver_weights.get(item, 0.0) + 0.15 for item in ITEMS])


def wave_dates(params: DemoParameters, months: pd.DatetimeIndex) -> list[pd.Timestamp]:
    return [months[3 * q + 2] + pd.offsets.MonthEnd(0) for q in range(params.n_quarters)]


def _unit_item_means(employees: pd.DataFrame, items: np.ndarray, q: int, n_units: int,
                     min_respondents: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: mean of each item in wave q (NaN below ``min_respondents``), and respondents."""
    wave = (employees["q"] == q).to_numpy()
    frame = pd.DataFrame(items[wave], columns=list(ITEMS))
    frame["u"] = employees["u"].to_numpy()[wave]
    means = frame.groupby("u")[list(ITEMS)].mean().reindex(range(n_units))
    counts = frame.groupby("u").size().reindex(range(n_units)).fillna(0).to_numpy()
    values = means.to_numpy(copy=True)
    values[counts < min_respondents] = np.nan
    return values, counts


def _top_issues(values: np.ndarray, company: np.ndarray, importance: np.ndarray,
                k: int = 2) -> list[int]:
    priority = importance * np.maximum(company - values, 0)
    order = [int(i) for i in np.argsort(-priority) if priority[i] > 0]
    return order[:k]


def plan_cycle(params: DemoParameters, units: pd.DataFrame, employees: pd.DataFrame,
               items: np.ndarray, cycle: int, rng: np.random.Generator,
               waves: list[pd.Timestamp], taken: set) -> list[dict]:
    """The action plans made from wave ``params.action_cycles[cycle]``'s results."""
    q = params.action_cycles[cycle]
    share = params.action_unit_share[cycle]
    if q >= params.n_quarters:  # a cycle after the data of a shorter organisation
        return []
    values, _ = _unit_item_means(employees, items, q, len(units))
    company = np.nanmean(values, axis=0)
    importance = _importance(params)
    wave = waves[q]
    rows: list[dict] = []
    final = cycle == len(params.action_cycles) - 1
    # units plan once in the cycles whose effects are measured; after the last wave, any unit
    eligible = [u for u in range(len(units)) if np.isfinite(values[u]).all()
                and (final or u not in taken)]
    planning = rng.permutation(eligible)[: int(round(share * len(eligible)))]
    for u in sorted(int(x) for x in planning):
        taken.add(u)
        issues = _top_issues(values[u], company, importance, k=2 if rng.random() < 0.7 else 1)
        for i in issues:
            rows.append(_action(params, rng, wave, "unit", units["unit_id"].iat[u], ITEMS[i],
                                OWNER_ROLES.get(units["unit_type"].iat[u], "unit manager"),
                                last_cycle=final))
    region = "Coastal"
    members = (units["region"] == region).to_numpy() & np.isfinite(values).all(axis=1)
    if cycle == 0 and members.any():
        # a region acts together on its top issue (every unit of the region is covered)
        region_values = np.nanmean(values[members], axis=0)
        # its weakest item against the company, even where it is above the company everywhere
        focus = int(np.argmax(importance * (company - region_values)))
        row = _action(params, rng, wave, "region", region, ITEMS[focus], "regional director",
                      last_cycle=False)
        row.update(status="done", completed_on=(pd.Timestamp(row["created_on"])
                                                + pd.Timedelta(days=50)).date())
        rows.append(row)
    elif cycle == 1:
        # customer-score plans: one still running, one dropped (nothing to evaluate yet)
        rows.append(dict(_action(params, rng, wave, "unit_type", "call_centre", "csat",
                                 "head of customer service", last_cycle=True),
                         status="in_progress", completed_on=None,
                         action="Call back every customer who scored 1 or 2 within a day"))
        unit = units["unit_id"].iat[int(rng.integers(len(units)))]
        rows.append(dict(_action(params, rng, wave, "unit", unit, "nps", "store manager",
                                 last_cycle=True),
                         status="dropped", completed_on=None,
                         action="Greet every customer at the door"))
    return rows


def _action(params: DemoParameters, rng: np.random.Generator, wave: pd.Timestamp,
            group_by: str, group: str, focus: str, owner: str, last_cycle: bool) -> dict:
    created = wave + pd.Timedelta(days=int(7 + rng.integers(0, 25)))
    due = created + pd.Timedelta(days=60)
    draw = rng.random()
    done_share, dropped_share = params.action_done_share, params.action_dropped_share
    if draw < done_share:
        status, completed = "done", created + pd.Timedelta(days=int(rng.integers(25, 80)))
    elif draw < done_share + dropped_share:
        status, completed = "dropped", None
    else:
        status, completed = ("in_progress" if last_cycle or rng.random() < 0.5 else "planned"), None
    texts = ACTION_TEXT.get(focus, ["Act on the survey results"])
    return {"group_by": group_by, "group": group, "focus": f"eng_{focus}" if focus in ITEMS
            else focus, "action": texts[int(rng.integers(len(texts)))], "owner_role": owner,
            "created_on": created.date(), "due_on": due.date(), "status": status,
            "completed_on": completed.date() if completed is not None else None}


def item_boost(params: DemoParameters, units: pd.DataFrame, plans: pd.DataFrame,
               waves: list[pd.Timestamp]) -> np.ndarray:
    """Units × quarters × items: the planted effect of the completed actions (index points),
    from the first wave after completion; a unit covered twice on one item gets it once."""
    boost = np.zeros((len(units), params.n_quarters, len(ITEMS)))
    index = {u: i for i, u in enumerate(units["unit_id"])}
    for row in plans[plans["status"] == "done"].itertuples():
        if not row.focus.startswith("eng_"):
            continue
        item = ITEMS.index(row.focus[4:])
        first = next((q for q, w in enumerate(waves) if w > pd.Timestamp(row.completed_on)), None)
        if first is None:
            continue
        members = covered_units(units, row.group_by, row.group)
        for unit_id in members:
            boost[index[unit_id], first:, item] = params.action_item_effect
    return boost


def covered_units(units: pd.DataFrame, group_by: str, group: str) -> list[str]:
    column = {"unit": "unit_id", "region": "region", "unit_type": "unit_type"}[group_by]
    return units.loc[units[column] == group, "unit_id"].tolist()


def planted_action_truth(params: DemoParameters, units: pd.DataFrame, employees: pd.DataFrame,
                         with_actions: np.ndarray, without: np.ndarray, plans: pd.DataFrame,
                         waves: list[pd.Timestamp], pilot_starts: dict | None = None) -> dict:
    """The effects in the units the estimator sees (see the module docstring): units that
    started a pilot while the data run (``pilot_starts``: unit -> start) are left out, as
    the action review leaves them out."""
    n_units = len(units)
    index = {u: i for i, u in enumerate(units["unit_id"])}
    means = {}
    for name, items in (("with", with_actions), ("without", without)):
        means[name] = np.stack([_unit_item_means(employees, items, q, n_units)[0]
                                for q in range(params.n_quarters)], axis=1)  # units × q × items
    diff = means["with"] - means["without"]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units below 5 answers: all blank
        index_diff = (np.nanmean(means["with"], axis=2)
                      - np.nanmean(means["without"], axis=2)) / 4 * 100
    for unit_id, start in (pilot_starts or {}).items():
        if pd.Timestamp(start) <= waves[-1]:
            diff[index[unit_id]] = index_diff[index[unit_id]] = np.nan
    done = plans[(plans["status"] == "done") & plans["focus"].str.startswith("eng_")]
    acted = {(index[unit_id], ITEMS.index(row.focus[4:]))
             for row in done.itertuples() for unit_id in covered_units(units, row.group_by,
                                                                        row.group)}
    by_focus: dict = {}
    first_done: dict[int, int] = {}
    for focus, rows in done.groupby("focus"):
        if not focus.startswith("eng_"):
            continue
        item = ITEMS.index(focus[4:])
        starts: dict[int, int] = {}
        for row in rows.itertuples():
            first = next((q for q, w in enumerate(waves) if w > pd.Timestamp(row.completed_on)),
                         None)
            if first is None:
                continue
            for unit_id in covered_units(units, row.group_by, row.group):
                u = index[unit_id]
                starts[u] = min(starts.get(u, first), first)
                first_done[u] = min(first_done.get(u, first), first)
        cells = [diff[u, q, item] for u, g in starts.items() for q in range(g, params.n_quarters)]
        # placebo: the items these units took no action on
        others = [diff[u, q, j] for u, g in starts.items() for q in range(g, params.n_quarters)
                  for j in range(len(ITEMS)) if j != item and (u, j) not in acted]
        seen = sum(1 for u, g in starts.items() if np.isfinite(diff[u, g:, item]).any())
        by_focus[focus] = {"completed": _mean(cells), "other_items_not_acted_on": _mean(others),
                           "units": seen}  # units with 5+ answers in a wave after completion
    overall = _mean([index_diff[u, q] for u, g in first_done.items()
                     for q in range(g, params.n_quarters)])
    return {
        "action_effect": by_focus,
        "dropped": 0.0,
        "engagement_index_any_completed": overall if np.isfinite(overall) else 0.0,
        "nps_any_completed": 0.0,
        "item_effect_index_points": params.action_item_effect,
        "note": "sample ATT on the unit-wave mean of the focus item (1-5) over the waves of "
                "acting units outside the pilots from the first wave after completion (world "
                "with actions minus world "
                "without, same draws); other items, dropped actions and NPS: 0 by "
                "construction; engagement index: the index points the focus items moved",
    }


def _mean(values: list) -> float:
    """Mean of the finite values (NaN when there are none)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if len(finite) else float("nan")


def plans_frame(rows: list[dict]) -> pd.DataFrame:
    """The action_plans table, with ids."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "action_id", [f"A{i:04d}" for i in range(1, len(frame) + 1)])
    return frame
