"""Action review (notebook 06 and the group reports): were the plans carried out, and did
completing them move what they aimed at?

Follow-through (estimand ``action_follow_through``): per group and for the company, the
actions planned, in progress, done, dropped and overdue (due date passed, not done), and the
share of actions that fell due which were done on time.

Effects (estimand ``action_effect``): an organisation that logs its actions has run a
staggered natural experiment. For each focus with at least :data:`MIN_ACTING_UNITS` units
that completed an action on it, the effect of completing it on the focus score (the unit-wave
mean of the item on its 1–5 scale, or the customer score by quarter) from the first survey
after completion, against the units that had no action on that focus: the Callaway &
Sant'Anna estimator of the pilots, with

* a baseline pooled over two surveys (a unit score is a sample of a few dozen answers), which
  **ends before the survey the plan was made from**: groups pick the items where they just
  scored lowest, partly by chance, and that chance dip regresses back by the next survey.
  A baseline that kept it would credit the action with the rebound (the per-unit
  anticipation of :func:`~cxex_analysis.estimators.staggered.group_time`);
* a pre-trend check (term ``pre_trend``: acting and comparison units' change between the
  surveys before the baseline, which should be 0);
* placebo items (term ``placebo=<item>``: an action on tools should move tools, not
  recognition; the acting units that took no action on that item), with Holm-adjusted
  p-values across every placebo row of the review (``p_holm``; the pre-trend rows are a
  second family);
* dropped plans (term ``dropped``, ``subject`` = ``all_foci``: every engagement focus
  together, each item relative to its comparison units; timed from the first survey after
  the plan was made), which should show nothing;
* the overall scores (subject ``all_actions``: engagement index and NPS of units that
  completed any action against units with none).

Groups choose whether and where to act, so this is evidence with the limits of that design;
:func:`balance` shows how alike acting and comparison units were before the actions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import ParameterError, check_confidence
from cxex_analysis.estimators.experiments import balance as balance_table
from cxex_analysis.estimators.staggered import staggered_did
from cxex_analysis.panels.action_panels import (
    action_plans,
    covered_units,
    focus_answers,
    focus_panel,
    item_columns,
    units_in_pilots,
)
from cxex_analysis.panels.respondent_scores import ces, change_since_previous, csat, nps
from cxex_analysis.privacy import SUPPRESSED_METHOD, check_threshold
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import measure_label

STATUSES = ("planned", "in_progress", "done", "dropped")


#: Fewest units that completed an action on a focus for its effect to be estimated.
MIN_ACTING_UNITS = 3


#: Surveys (or quarters) the baseline is pooled over.
BASELINE_PERIODS = 2


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


def _without_pilots(found: tuple, piloted: dict, notes: list) -> tuple:
    """The panel without the units that started a pilot while the data run, on both sides: a
    pilot's own effect would be read as the action's (or, in comparison units, against it).
    Whole units, not just their surveys after the start: Callaway–Sant'Anna's intervals
    assume each unit's surveys all count (``benchmarks/actions.py``: dropping only the
    surveys after the start left 85–89% coverage). Noted once."""
    panel, periods = found
    inside = {u for u, start in piloted.items() if start <= periods["last"].max()}
    inside &= set(panel["unit_id"])
    if not inside:
        return panel, periods
    note = (f"{len(inside)} units that took part in a pilot while the data run are left out of "
            "the effects, on both sides: the pilot's own effect would be mixed up with the "
            "actions'.")
    if note not in notes:
        notes.append(note)
    return panel[~panel["unit_id"].isin(inside)], periods


def _timed(cover: pd.DataFrame, periods: pd.DataFrame, start_column: str) -> pd.DataFrame:
    """Per unit: ``cohort`` (first period starting after ``start_column``), ``delta`` (the
    periods between the survey the plan was made from and that start), ``action_id``; a
    unit with several actions takes the one that started first. Units whose start is after
    the data end get cohort NaN."""
    rows = []
    first_t = int(periods["t"].min())
    for row in cover.itertuples():
        start = getattr(row, start_column)
        after = periods.loc[periods["first"] > start, "t"]
        g = int(after.min()) if len(after) else np.nan
        before = periods.loc[periods["last"] <= row.created_on, "t"]
        made_from = int(before.max()) if len(before) else first_t - 1
        rows.append({"unit_id": row.unit_id, "cohort": g,
                     "delta": (g - made_from) if np.isfinite(g) else np.nan,
                     "action_id": row.action_id})
    frame = pd.DataFrame(rows, columns=["unit_id", "cohort", "delta", "action_id"])
    frame[["cohort", "delta"]] = frame[["cohort", "delta"]].astype(float)
    return frame.sort_values(["unit_id", "cohort"]).drop_duplicates("unit_id")


def _estimate(panel: pd.DataFrame, treated: pd.DataFrame, exclude: set, subject: str,
              outcome: str, term: str, confidence: float, n_boot: int, seed: int,
              min_group_size: int, baseline: str = "pooled",
              aggregation: str = "simple", skip_plan_survey: bool = True,
              welch: bool = True) -> pd.DataFrame:
    """One ``action_effect`` row: treated units (cohort, delta) against every other unit of
    the panel not in ``exclude``. Raises ParameterError when the data cannot support it."""
    treated = treated[treated["cohort"].notna()]
    long = panel[~panel["unit_id"].isin(exclude - set(treated["unit_id"]))]
    long = long.merge(treated[["unit_id", "cohort", "delta"]], on="unit_id", how="left")
    long[["cohort", "delta"]] = long[["cohort", "delta"]].fillna(0).astype(int)
    if not skip_plan_survey:
        long["delta"] = 0
    acting = long.loc[long["cohort"] > 0, "unit_id"].nunique()
    if acting < MIN_ACTING_UNITS:
        raise ParameterError(f"only {acting} acting unit(s) have results to compare (at least "
                             f"{MIN_ACTING_UNITS} are needed)")
    if not (long["cohort"] == 0).any():
        raise ParameterError("no unit without such an action to compare with")
    rows = staggered_did(long, "value", "unit_id", "t", "cohort", "never_treated", confidence,
                         n_boot=n_boot, seed=seed, subject=subject, baseline=baseline,
                         baseline_periods=BASELINE_PERIODS, aggregations=(aggregation,),
                         anticipation="delta", welch=welch)
    row = rows.iloc[[0]].copy()
    row["analysis"], row["estimand"] = "actions", "action_effect"
    row["outcome"], row["term"] = outcome, term
    row["method"] = row["method"].str.replace(
        "_baseline", "_baseline_ending_before_the_survey_the_plan_was_made_from", regex=False)
    respondents = _treated_respondents(long)
    if np.isfinite(respondents) and respondents < min_group_size:
        for column in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            row[column] = np.nan
        row["method"] = SUPPRESSED_METHOD.format(k=min_group_size)
    return row


def _treated_respondents(long: pd.DataFrame) -> float:
    """The fewest employee answers behind the acting units in any period after their start
    (NaN for customer scores)."""
    after = long[(long["cohort"] > 0) & (long["t"] >= long["cohort"])]
    if after.empty or after["respondents"].isna().all():
        return np.nan
    return float(after.groupby("t")["respondents"].sum().min())


def action_effects(con, confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                   n_boot: int = 999, seed: int = 42, skip_plan_survey: bool = True,
                   leave_out_pilots: bool = True) -> dict:
    """Every effect the action log supports (see the module docstring).

    ``skip_plan_survey=False`` lets each baseline end just before the first survey after
    completion, keeping the survey the plan was made from (the naive design the benchmark
    ``benchmarks/actions.py`` compares with); ``leave_out_pilots=False`` keeps the units that
    took part in a pilot.

    Keys: ``effects`` (tidy ``action_effect`` rows; extra columns ``n_treated``,
    ``n_control`` and ``p_holm`` for placebo rows), ``balance`` (acting vs comparison units
    before the actions, per focus), ``not_estimated`` (focus and reason), ``notes``.
    """
    confidence = check_confidence(confidence)
    min_group_size = check_threshold("min_group_size", min_group_size)
    plans = action_plans(con)
    out: dict = {"effects": tidy([]), "balance": pd.DataFrame(), "not_estimated": [],
                 "notes": []}
    if plans.empty:
        return out
    cover = covered_units(con, plans)
    items = item_columns(con)
    cache: dict = {}
    piloted = units_in_pilots(con) if leave_out_pilots else {}
    rows, balances = [], []
    for focus in sorted(cover["focus"].unique()):
        found = focus_panel(con, focus, min_group_size, cache)
        if found is None:
            out["not_estimated"].append({"focus": focus, "reason": "the data hold no such "
                                                                  "scores"})
            continue
        panel, periods = _without_pilots(found, piloted, out["notes"])
        outcome = "item_mean" if focus.startswith("eng_") else focus
        # a plan made after the data end cannot have touched them: its units still compare
        on_focus = cover[(cover["focus"] == focus)
                         & (cover["created_on"] <= periods["last"].max())]
        done = _timed(on_focus[on_focus["status"] == "done"], periods, "completed_on")
        late = done["cohort"].isna().sum()
        if late:
            out["notes"].append(f"{late} unit(s) completed an action on {focus} after the last "
                                "survey: their effect shows in the next one.")
        acted = set(on_focus["unit_id"])
        kwargs = dict(confidence=confidence, n_boot=n_boot, seed=seed,
                      min_group_size=min_group_size, skip_plan_survey=skip_plan_survey)
        try:
            rows.append(_estimate(panel, done, acted, focus, outcome, "completed", **kwargs))
        except (ParameterError, ValueError, np.linalg.LinAlgError) as why:
            out["not_estimated"].append({"focus": focus, "reason": str(why)})
            continue
        try:
            rows.append(_estimate(panel, done, acted, focus, outcome, "pre_trend",
                                  baseline="universal", aggregation="pre_trend", **kwargs))
        except (ParameterError, ValueError, np.linalg.LinAlgError, IndexError):
            out["notes"].append(f"No pre-trend check for {focus}: too few surveys before the "
                                "plans were made.")
        if focus.startswith("eng_"):
            rows += _placebo_rows(con, cover, done, acted, focus, items, min_group_size, cache,
                                  piloted, kwargs)
        balances.append(_balance(panel, periods, done, acted, on_focus, focus))
    rows += _dropped_rows(con, cover, piloted, cache, min_group_size, out["not_estimated"],
                          dict(confidence=confidence, n_boot=n_boot, seed=seed,
                               min_group_size=min_group_size,
                               skip_plan_survey=skip_plan_survey))
    rows += _overall_rows(con, cover, min_group_size, cache, confidence, n_boot, seed,
                          skip_plan_survey, piloted)
    effects = tidy(pd.concat(rows, ignore_index=True) if rows else [],
                   extra=["n_treated", "n_control"])
    out["effects"] = with_holm(effects)
    out["balance"] = pd.concat(balances, ignore_index=True) if balances else pd.DataFrame()
    return out


def _placebo_rows(con, cover, done, acted, focus, items, min_group_size, cache, piloted,
                  kwargs) -> list[pd.DataFrame]:
    """The focus's acting units on each other item they took no action on (Holm within)."""
    rows = []
    for other in items:
        if other == focus:
            continue
        found = focus_panel(con, other, min_group_size, cache)
        if found is None:
            continue
        found = _without_pilots(found, piloted, [])
        last = found[1]["last"].max()
        on_other = set(cover.loc[(cover["focus"] == other) & (cover["created_on"] <= last),
                                 "unit_id"])
        treated = done[~done["unit_id"].isin(on_other)]
        try:
            rows.append(_estimate(found[0], treated, acted | on_other, focus, "item_mean",
                                  f"placebo={other}", **kwargs))
        except (ParameterError, ValueError, np.linalg.LinAlgError):
            continue
    return rows


def _dropped_rows(con, cover, piloted, cache, min_group_size, not_estimated,
                  kwargs) -> list[pd.DataFrame]:
    """Dropped plans, all engagement foci together (``subject`` = ``all_foci``): each
    (focus, unit) pair's item score relative to the mean of that focus's comparison units in
    the same survey, so the foci's own trends cancel; the dropped pairs, timed from the
    first survey after the plan was made, against the comparison pairs. A focus rarely has
    three dropped plans of its own; together they can show whether merely planning moved
    anything."""
    frames, timings = [], []
    for focus in sorted(f for f in cover["focus"].unique() if f.startswith("eng_")):
        found = focus_panel(con, focus, min_group_size, cache)
        if found is None:
            continue
        panel, periods = _without_pilots(found, piloted, [])
        on_focus = cover[(cover["focus"] == focus)
                         & (cover["created_on"] <= periods["last"].max())]
        done_units = set(on_focus.loc[on_focus["status"] == "done", "unit_id"])
        dropped = on_focus[(on_focus["status"] == "dropped")
                           & ~on_focus["unit_id"].isin(done_units)]
        if dropped.empty:
            continue
        comparison = panel[~panel["unit_id"].isin(set(on_focus["unit_id"]))]
        centre = comparison.groupby("t")["value"].mean()
        timed = _timed(dropped, periods, "created_on")
        kept = panel[panel["unit_id"].isin(set(timed["unit_id"]) | set(comparison["unit_id"]))]
        kept = kept.assign(value=kept["value"] - kept["t"].map(centre),
                           unit_id=focus + ":" + kept["unit_id"].astype(str))
        frames.append(kept.dropna(subset=["value"]))
        timings.append(timed.assign(unit_id=focus + ":" + timed["unit_id"].astype(str)))
    if not frames:
        return []
    try:
        return [_estimate(pd.concat(frames, ignore_index=True),
                          pd.concat(timings, ignore_index=True), set(), "all_foci", "item_mean",
                          "dropped", **kwargs)]
    except (ParameterError, ValueError, np.linalg.LinAlgError) as why:
        not_estimated.append({"focus": "dropped plans", "reason": str(why)})
        return []


def with_holm(effects: pd.DataFrame) -> pd.DataFrame:
    """``p_holm``: Holm-adjusted p-values within each family of checks — every placebo row of
    the review together, every pre-trend row together (NaN for the other rows)."""
    out = effects.copy()
    out["p_holm"] = np.nan
    if out.empty:
        return out
    placebo = out["term"].str.startswith("placebo=")
    for family in (placebo, out["term"] == "pre_trend"):
        tested = family & out["p_value"].notna()
        if tested.any():
            out.loc[tested, "p_holm"] = multipletests(out.loc[tested, "p_value"],
                                                      method="holm")[1]
    return out


def _overall_rows(con, cover, min_group_size, cache, confidence, n_boot, seed,
                  skip_plan_survey, piloted) -> list:
    """Engagement index and NPS of units that completed any engagement action, against
    units with no action at all."""
    done = cover[(cover["status"] == "done") & cover["focus"].str.startswith("eng_")]
    rows = []
    for outcome in ("engagement_index", "nps"):
        found = focus_panel(con, outcome, min_group_size, cache)
        if found is None or done.empty:
            continue
        panel, periods = _without_pilots(found, piloted, [])
        acted = set(cover.loc[cover["created_on"] <= periods["last"].max(), "unit_id"])
        try:
            rows.append(_estimate(panel, _timed(done, periods, "completed_on"),
                                  acted, "all_actions", outcome, "completed",
                                  confidence=confidence, n_boot=n_boot, seed=seed,
                                  min_group_size=min_group_size,
                                  skip_plan_survey=skip_plan_survey))
        except (ParameterError, ValueError, np.linalg.LinAlgError):
            continue
    return rows


def _balance(panel, periods, done, acted, on_focus, focus) -> pd.DataFrame:
    """Acting vs comparison units on the focus score before the first plan on it."""
    first = on_focus["created_on"].min()
    before = periods.loc[periods["last"] < first, "t"]
    pre = panel[panel["t"].isin(before)].groupby("unit_id")["value"].mean()
    units = pd.DataFrame({"value": pre})
    units = units[units.index.isin(set(done["unit_id"])) | ~units.index.isin(acted)]
    units["arm"] = np.where(units.index.isin(set(done["unit_id"])), "treatment", "control")
    table = balance_table(units, "arm", ["value"])
    if table.empty:
        return table
    return table.assign(metric=focus)


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
    rows = []
    for group, (items, priority) in top.items():
        if group_by == "unit":
            ids = set(current.loc[(current["group_by"] == "unit") & (current["group"] == group),
                                  "action_id"])
            ids |= set(cover.loc[(cover["unit_id"] == group)
                                 & cover["action_id"].isin(current["action_id"]), "action_id"])
        else:
            ids = set(current.loc[(current["group_by"] == group_by)
                                  & (current["group"].str.lower() == str(group).lower()),
                                  "action_id"])
        focuses = set(current.loc[current["action_id"].isin(ids), "focus"])
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
                 confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> dict:
    """What a group report shows of its actions: ``actions`` (its own and those of a wider
    group covering it, newest first), ``follow`` (its ``action_follow_through`` rows,
    ``subject`` = the group), ``changes`` (:func:`focus_changes`) and, for a region or unit
    type, ``unit_actions`` (its units' own plans, earliest due first) with ``units_follow``
    (their follow-through, ``subject`` = ``all``)."""
    plans = action_plans(con)
    if plans.empty:
        return {"actions": plans, "follow": tidy([]), "changes": tidy([]),
                "unit_actions": plans, "units_follow": tidy([])}
    mine = group_actions(plans, covered_units(con, plans), group_by, group, units)
    mine = mine.sort_values(["created_on", "action_id"], ascending=False).reset_index(drop=True)
    follow = follow_through(mine, as_of, confidence)
    follow = follow[follow["subject"] == "all"].assign(subject=f"{group_by}={group}") \
        if len(mine) else tidy([])
    # a region's or unit type's report also follows up its units' own plans
    of_units = plans[(plans["group_by"] == "unit") & plans["group"].isin(units)] \
        if group_by != "unit" else plans.iloc[0:0]
    units_follow = follow_through(of_units, as_of, confidence) if len(of_units) else tidy([])
    return {"actions": mine, "follow": follow,
            "changes": focus_changes(con, mine, units, ex_shown, confidence, min_group_size),
            "unit_actions": of_units.sort_values(["due_on", "action_id"]).reset_index(drop=True),
            "units_follow": units_follow}
