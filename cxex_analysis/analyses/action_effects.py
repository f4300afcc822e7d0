"""Did the actions work? The effect of completing an action on what it aimed at (notebook 06).

An organisation that logs its actions has run a staggered natural experiment. For each focus
with at least :data:`MIN_ACTING_UNITS` units that completed an action on it (estimand
``action_effect``), the effect of completing it on the focus score (the unit-wave mean of the
item on its 1–5 scale, or the customer score by quarter) from the first survey after
completion, against the units that had no action on that focus: the Callaway & Sant'Anna
estimator of the pilots, with

* a baseline pooled over two surveys (a unit score is a sample of a few dozen answers), which
  **ends before the survey the plan was made from**: groups pick the items where they just
  scored lowest, partly by chance, and that chance dip regresses back by the next survey.
  A baseline that kept it would credit the action with the rebound (the per-unit
  anticipation of :func:`~cxex_analysis.estimators.staggered.group_time`);
* Welch's small-group variance and t with Hsu's degrees of freedom;
* units that took part in a pilot left out on both sides;
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
the balance table shows how alike acting and comparison units were before the actions.
``benchmarks/actions.py`` measures bias and coverage on demo organisations of other seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cxex_analysis.analyses.action_effects_result import ActionEffects
from cxex_analysis.analyses.action_effects_result import (
    ActionReview as ActionReview,  # notebook 06's
)
from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import InsufficientData, check_confidence
from cxex_analysis.estimators.experiments import balance as balance_table
from cxex_analysis.estimators.staggered import staggered_did
from cxex_analysis.panels.action_panels import (
    focus_panel,
    item_columns,
    plans_and_cover,
    units_in_pilots,
)
from cxex_analysis.privacy import SUPPRESSED_METHOD, check_threshold
from cxex_analysis.results import tidy

#: Fewest units that completed an action on a focus for its effect to be estimated.
MIN_ACTING_UNITS = 3


#: Surveys (or quarters) the baseline is pooled over.
BASELINE_PERIODS = 2


def _without_pilots(found: tuple, piloted: dict, notes: list) -> tuple:
    """The panel without the units that started a pilot while the data run, on both sides: a
    pilot's own effect would be read as the action's (or, in comparison units, against it).
    Whole units, not just their surveys after the start: a unit whose later surveys go
    missing changes the comparison group from one period to the next, and the intervals no
    longer cover as they should (85–89% in a trial on 24 demo organisations). Noted once."""
    panel, periods = found
    end = periods["last"].max()
    inside = {u for u, start in piloted.items() if start <= end}
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
    first_t = int(periods["t"].min())
    # the first period starting after each start: periods by start, the smallest t from there on
    by_first = periods.sort_values("first")
    first = by_first["first"].to_numpy()
    later_t = np.minimum.accumulate(by_first["t"].to_numpy(float)[::-1])[::-1]
    at = np.searchsorted(first, cover[start_column].to_numpy(first.dtype), side="right")
    cohort = np.where(at < len(first), later_t[np.minimum(at, len(first) - 1)], np.nan)
    # the last period ended by the day the plan was made: periods by end, the largest t so far
    by_last = periods.sort_values("last")
    last = by_last["last"].to_numpy()
    earlier_t = np.maximum.accumulate(by_last["t"].to_numpy(float))
    created = cover["created_on"].to_numpy(last.dtype)
    upto = np.searchsorted(last, created, side="right")
    made_from = np.where((upto > 0) & ~np.isnat(created), earlier_t[np.maximum(upto - 1, 0)],
                         first_t - 1)
    frame = pd.DataFrame({"unit_id": cover["unit_id"].to_numpy(), "cohort": cohort,
                          "delta": cohort - made_from, "action_id": cover["action_id"].to_numpy()},
                         columns=["unit_id", "cohort", "delta", "action_id"])
    frame[["cohort", "delta"]] = frame[["cohort", "delta"]].astype(float)
    return frame.sort_values(["unit_id", "cohort"]).drop_duplicates("unit_id")


def _estimate(panel: pd.DataFrame, treated: pd.DataFrame, exclude: set, subject: str,
              outcome: str, term: str, confidence: float, n_boot: int, seed: int,
              min_group_size: int, baseline: str = "pooled",
              aggregation: str = "simple", skip_plan_survey: bool = True,
              welch: bool = True) -> pd.DataFrame:
    """One ``action_effect`` row: treated units (cohort, delta) against every other unit of
    the panel not in ``exclude``. Raises InsufficientData when the data cannot support it."""
    treated = treated[treated["cohort"].notna()]
    long = panel[~panel["unit_id"].isin(exclude - set(treated["unit_id"]))]
    long = long.merge(treated[["unit_id", "cohort", "delta"]], on="unit_id", how="left")
    long[["cohort", "delta"]] = long[["cohort", "delta"]].fillna(0).astype(int)
    if not skip_plan_survey:
        long["delta"] = 0
    acting = long.loc[long["cohort"] > 0, "unit_id"].nunique()
    if acting < MIN_ACTING_UNITS:
        raise InsufficientData(f"only {acting} acting unit(s) have results to compare (at least "
                             f"{MIN_ACTING_UNITS} are needed)")
    if not (long["cohort"] == 0).any():
        raise InsufficientData("no unit without such an action to compare with")
    rows = staggered_did(long, "value", "unit_id", "t", "cohort", "never_treated", confidence,
                         n_boot=n_boot, seed=seed, subject=subject, baseline=baseline,
                         baseline_periods=BASELINE_PERIODS, aggregations=(aggregation,),
                         anticipation="delta", welch=welch)
    if rows.empty:  # a pre-trend check with no survey before the plans
        raise InsufficientData("too few surveys before the plans were made")
    row = rows.iloc[[0]].copy()
    row["analysis"], row["estimand"] = "actions", "action_effect"
    row["outcome"], row["term"] = outcome, term
    if skip_plan_survey:
        row["method"] = row["method"].str.replace(
            "_baseline", "_baseline_ending_before_the_survey_the_plan_was_made_from",
            regex=False)
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
                   leave_out_pilots: bool = True) -> ActionEffects:
    """Every effect the action log supports (see the module docstring).

    ``skip_plan_survey=False`` lets each baseline end just before the first survey after
    completion, keeping the survey the plan was made from (the naive design the benchmark
    ``benchmarks/actions.py`` compares with); ``leave_out_pilots=False`` keeps the units that
    took part in a pilot.

    Returns an :class:`ActionEffects`: the effect rows, balance before the actions, the foci
    the data could not support with the reason, and notes.
    """
    confidence = check_confidence(confidence)
    min_group_size = check_threshold("min_group_size", min_group_size)
    plans, cover = plans_and_cover(con)
    not_estimated: list[dict[str, str]] = []
    notes: list[str] = []
    if plans.empty:
        return ActionEffects()
    items = item_columns(con)
    cache: dict = {}
    piloted = units_in_pilots(con) if leave_out_pilots else {}
    rows, balances = [], []
    for focus in sorted(cover["focus"].unique()):
        found = focus_panel(con, focus, min_group_size, cache)
        if found is None:
            not_estimated.append({"focus": focus, "reason": "the data hold no such "
                                                                  "scores"})
            continue
        panel, periods = _without_pilots(found, piloted, notes)
        outcome = "item_mean" if focus.startswith("eng_") else focus
        # a plan made after the data end cannot have touched them: its units still compare
        on_focus = cover[(cover["focus"] == focus)
                         & (cover["created_on"] <= periods["last"].max())]
        done = _timed(on_focus[on_focus["status"] == "done"], periods, "completed_on")
        late = done["cohort"].isna().sum()
        if late:
            notes.append(f"{late} unit(s) completed an action on {focus} after the last "
                                "survey: their effect shows in the next one.")
        acted = set(on_focus["unit_id"])
        kwargs: dict[str, Any] = dict(confidence=confidence, n_boot=n_boot, seed=seed,
                      min_group_size=min_group_size, skip_plan_survey=skip_plan_survey)
        try:
            rows.append(_estimate(panel, done, acted, focus, outcome, "completed", **kwargs))
        except InsufficientData as why:
            not_estimated.append({"focus": focus, "reason": str(why)})
            continue
        try:
            rows.append(_estimate(panel, done, acted, focus, outcome, "pre_trend",
                                  baseline="universal", aggregation="pre_trend", **kwargs))
        except InsufficientData:
            notes.append(f"No pre-trend check for {focus}: too few surveys before the "
                                "plans were made.")
        if focus.startswith("eng_"):
            rows += _placebo_rows(con, cover, done, acted, focus, items, min_group_size, cache,
                                  piloted, kwargs)
        balances.append(_balance(panel, periods, done, acted, on_focus, focus))
    rows += _dropped_rows(con, cover, piloted, cache, min_group_size, not_estimated,
                          dict(confidence=confidence, n_boot=n_boot, seed=seed,
                               min_group_size=min_group_size,
                               skip_plan_survey=skip_plan_survey))
    rows += _overall_rows(con, cover, min_group_size, cache, confidence, n_boot, seed,
                          skip_plan_survey, piloted)
    effects = tidy(pd.concat(rows, ignore_index=True) if rows else [],
                   extra=["n_treated", "n_control"])
    return ActionEffects(
        effects=with_holm(effects),
        balance=pd.concat(balances, ignore_index=True) if balances else pd.DataFrame(),
        not_estimated=not_estimated, notes=notes)


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
        except InsufficientData:
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
    except InsufficientData as why:
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
        except InsufficientData:
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
