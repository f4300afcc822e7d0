"""One report per group: scorecard, trends, top 2 issues, comments, action plan.

A group is a region, a unit type or a single unit. Everything employee-related passes through
:mod:`cxex_analysis.privacy`: below ``min_group_size`` respondents no engagement number is
shown, below ``min_comment_group_size`` no employee comment; customer comments are shown only
PII-masked and HTML-escaped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.analyses.groups_result import GroupReport
from cxex_analysis.config import MIN_COMMENT_GROUP_SIZE, MIN_GROUP_SIZE
from cxex_analysis.errors import InsufficientData, check_argument
from cxex_analysis.estimators.comment_annotation import Annotated
from cxex_analysis.estimators.intervals import proportion_interval
from cxex_analysis.estimators.relative_weights import shares
from cxex_analysis.estimators.representative import most_central
from cxex_analysis.panels.comments import annotated_comments
from cxex_analysis.panels.group_scores import (
    GROUP_BY,
    check_group,
    company_context,
    group_context,
    group_part,
    hidden_by_subtraction,
    hidden_by_wave,
    recent_responses,
    unit_names,
)
from cxex_analysis.panels.participation import (
    LOW_PARTICIPATION,
    PARTICIPATION_METHOD,
    participation,
)
from cxex_analysis.panels.respondent_scores import summary
from cxex_analysis.panels.score_tables import levels
from cxex_analysis.privacy import SUPPRESSED_METHOD, blank_small, comments_allowed, is_shown
from cxex_analysis.vocabulary import TEXT_TERMS, item_label

#: a group's own drivers need at least this many respondents answering every item and eNPS
MIN_DRIVER_RESPONDENTS = 30

#: the scorecard's measures and their labels, in order
SCORECARD = (("engagement_index", "Engagement index (0-100)"), ("pct_favourable", "% favourable"),
             ("enps", "eNPS"), ("nps", "NPS"), ("csat", "CSAT (% 4-5)"), ("ces", "CES (1-7)"))

#: the employee measures of a group's metrics (hidden together)
EMPLOYEE_MEASURES = ("engagement_index", "pct_favourable", "enps")


def report_data(con, group_by: str, group: str, min_group_size: int = MIN_GROUP_SIZE,
                min_comment_group_size: int = MIN_COMMENT_GROUP_SIZE, comments: int = 4,
                codebook: str = "", seed: int = 0, confidence: float = 0.95,
                low_participation: float = LOW_PARTICIPATION,
                min_driver_respondents: int = MIN_DRIVER_RESPONDENTS) -> GroupReport:
    """Everything a group report shows, with the confidentiality rules applied: a
    :class:`GroupReport`. Comments are annotated as in notebook 05 (same ``codebook`` and
    ``seed``: the same labels). A participation rate under ``low_participation`` is said
    beside the group's results. The top issues rest on the group's own drivers when at least
    ``min_driver_respondents`` answered (:func:`own_importance`), else on the company's.
    """
    units = check_group(con, group_by, group)
    every = group_context(con, group_by)
    items = every["items"]
    has_ex = "ex" in every  # answers or a platform's scores
    has_cx = "cx" in every
    name = unit_names(con, [group]).get(group, group) if group_by == "unit" else group
    out: dict = {"group_by": group_by, "group": group, "name": name, "units": units, "notes": [],
                 "has_ex": has_ex, "has_cx": has_cx}
    ex_group = group_part(every["ex"], group) if has_ex else pd.DataFrame()
    ex_company = every["ex_company"] if has_ex else pd.DataFrame()
    cx_group = group_part(every["cx"], group) if has_cx else pd.DataFrame()
    cx_company = every["cx_company"] if has_cx else pd.DataFrame()

    latest = ex_group.iloc[-1] if len(ex_group) else None
    respondents = int(latest["respondents"]) if latest is not None else 0
    small = not is_shown(respondents, min_group_size)
    by_subtraction = (not small and has_ex
                      and group in hidden_by_subtraction(con, group_by, min_group_size))
    ex_shown = latest is not None and not small and not by_subtraction
    out["ex_shown"] = ex_shown
    out["respondents"] = respondents if ex_shown else None
    if has_ex and small:
        out["notes"].append(
            f"Employee results are not shown: fewer than {min_group_size} people in this group "
            "answered the latest survey, and showing them could identify individuals.")
    elif has_ex and by_subtraction:
        out["notes"].append(
            "Employee results are not shown: together with the other groups' reports they would "
            f"let a reader work out the results of a group of fewer than {min_group_size} people.")
    ex_group = _without_worked_out_waves(con, out, ex_group, min_group_size) if has_ex else ex_group
    if len(ex_group):
        metric_columns = [c for c in ex_group.columns if c not in ("wave", "respondents")]
        ex_group = blank_small(ex_group, "respondents", metric_columns + ["respondents"],
                               min_group_size if ex_shown else 10 ** 9)
    out["ex_trend"] = _trend(ex_group, ex_company, "wave", ["engagement_index", "enps"])
    out["cx_trend"] = _trend(cx_group, cx_company, "quarter", ["nps", "csat"])

    rows = []
    for (metric, label), frame, company, shown in zip(SCORECARD, (
            ex_group, ex_group, ex_group, cx_group, cx_group, cx_group), (
            ex_company, ex_company, ex_company, cx_company, cx_company, cx_company), (
            ex_shown, ex_shown, ex_shown, True, True, True)):
        if frame is None or frame.empty or metric not in frame:
            continue
        now = frame[metric].iloc[-1] if shown else np.nan
        before = frame[metric].iloc[-2] if shown and len(frame) > 1 else np.nan
        rows.append({"metric": label, "this group": now, "previous period": before,
                     "company": company[metric].iloc[-1],
                     "vs company": now - company[metric].iloc[-1]})
    if has_ex:
        taking = group_participation(con, group_by, group, min_group_size)
        out["participation"] = taking
        out["low_participation"] = low_participation
        if len(taking):  # the data give a headcount
            rows.append(_participation_row(taking))
    out["scorecard"] = pd.DataFrame(rows)
    own, out["driver_respondents"] = own_importance(
        _latest_answers(every, group), items, min_driver_respondents) if ex_shown else (None, 0)
    out["own_drivers"], out["min_driver_respondents"] = own is not None, min_driver_respondents
    priorities = item_priorities(con, ex_group, ex_company, items, ex_shown, min_group_size,
                                 own) if has_ex else pd.DataFrame()
    out["priorities"] = priorities
    out["issues"] = top_issues(priorities)
    _add_comments(out, con, respondents, min_comment_group_size, comments, codebook, seed,
                  confidence)
    return GroupReport(**out)


def group_participation(con, group_by: str, group: str,
                        min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """The group's participation by survey wave (respondents, headcount, ``rate`` 0-1, hidden
    as its employee results are), with the company's ``company_rate`` beside it."""
    hidden = hidden_by_subtraction(con, group_by, min_group_size)
    mine = participation(con, group_by, hidden, min_group_size)
    company = participation(con, None, frozenset(), min_group_size)
    mine = mine[mine["group"] == group].drop(columns="group")
    return mine.merge(company[["wave", "rate"]].rename(columns={"rate": "company_rate"}),
                      on="wave", how="left").reset_index(drop=True)


def _participation_row(taking: pd.DataFrame) -> dict:
    now = 100 * taking["rate"].iloc[-1] if len(taking) else np.nan
    before = 100 * taking["rate"].iloc[-2] if len(taking) > 1 else np.nan
    company = 100 * taking["company_rate"].iloc[-1] if len(taking) else np.nan
    return {"metric": "Participation (% who answered)", "this group": now,
            "previous period": before, "company": company, "vs company": now - company}


def _without_worked_out_waves(con, out: dict, ex_group: pd.DataFrame,
                              min_group_size: int) -> pd.DataFrame:
    """The group's waves with those in which it could be worked out from the groups shown
    beside it marked as unanswered (so the trend hides them), and ``out["ex_changes_shown"]``:
    whether its changes since the previous survey may be shown (with a note when not)."""
    group = out["group"]
    by_wave = hidden_by_wave(con, out["group_by"], min_group_size)
    if len(ex_group) and by_wave and "wave" in ex_group:
        worked_out = ex_group["wave"].map(lambda w: group in by_wave.get(w, ())).astype(bool)
        ex_group = ex_group.assign(respondents=ex_group["respondents"].where(~worked_out, 0))
    waves = sorted(by_wave)
    out["ex_changes_shown"] = out["ex_shown"] and not (len(waves) > 1 and group in by_wave[waves[-2]])
    if out["ex_shown"] and not out["ex_changes_shown"]:
        out["notes"].append(
            "Changes in employee results since the previous survey are not shown: that survey's "
            "results of this group are hidden to protect confidentiality.")
    return ex_group


def _add_comments(out: dict, con, respondents: int, min_comment_group_size: int, limit: int,
                  codebook: str, seed: int, confidence: float) -> None:
    """The group's comments and themes, employees' only above the comment threshold."""
    out["employee_comments"] = pd.DataFrame()
    employees_shown = (out["has_ex"] and out["ex_shown"]
                       and comments_allowed(respondents, min_comment_group_size))
    if out["has_ex"] and not employees_shown:
        out["notes"].append(
            f"Employee comments are not shown: they need at least {min_comment_group_size} "
            "respondents in the group.")
    annotated = annotated_comments(con, codebook, seed)
    units = out["units"]
    if employees_shown:
        out["employee_comments"] = comment_table(annotated, "employee", units, out["issues"], limit)
        out["routed_to_hr"] = int(annotated.routed["unit_id"].isin(units).sum())
    if out["has_cx"]:
        out["customer_comments"] = comment_table(annotated, "customer", units, out["issues"], limit)
        out["actionable"] = actionable_share(annotated, units, confidence)
    out["themes"] = group_themes(annotated, units, employees_shown, confidence)
    out["theme_comments"] = theme_comments(annotated, units, out["themes"])


def actionable_share(annotated: Annotated, units: list, confidence: float = 0.95) -> pd.DataFrame:
    """Share of the group's English customer comments that need a response (a request, a
    question or a specific fault), Wilson interval; empty without any."""
    comments = annotated.comments[annotated.comments["unit_id"].isin(units).to_numpy()]
    mine = (comments["source"] == "customer") & (comments["language"] == "en")
    if not mine.any():
        return pd.DataFrame()
    hit = comments.loc[mine, "actionable"].fillna("") != ""
    r = proportion_interval(float(hit.sum()), float(mine.sum()), confidence)
    return pd.DataFrame([{**r, "confidence": confidence}])


def theme_comments(annotated: Annotated, units: list, themes: pd.DataFrame,
                   per_theme: int = 2) -> pd.DataFrame:
    """The ``per_theme`` most representative of the group's comments on each theme of
    ``themes`` (:func:`group_themes`: employees' only where they may be shown), PII masked."""
    columns = ["theme", "source", "comment", "tone"]
    if themes.empty:
        return pd.DataFrame(columns=columns)
    group = annotated.comments["unit_id"].isin(units).to_numpy()  # the group's, once
    comments = annotated.comments[group]
    tags = annotated.tags[group]
    ids = {t.label: t.id for t in annotated.codebook}
    parts = []
    for row in themes.itertuples():
        mine = ((comments["source"] == row.source) & (comments["label"] != "not scored")
                & tags[ids[row.theme]])
        parts.append(comments.loc[mine, ["source", "comment", "label"]].assign(theme=row.theme))
    pooled = pd.concat(parts, ignore_index=True)
    if pooled.empty:
        return pd.DataFrame(columns=columns)
    rank = most_central(pooled["comment"], pooled["theme"] + "|" + pooled["source"], per_theme)
    picked = pooled.assign(rank=rank, tone=pooled["label"]).dropna(subset=["rank"])
    order = {(r.source, r.theme): i for i, r in enumerate(themes.itertuples())}
    picked = picked.assign(order=[order[(s, t)] for s, t in zip(picked["source"], picked["theme"])])
    return picked.sort_values(["order", "rank"])[columns].reset_index(drop=True)


def comment_table(annotated: Annotated, source: str, units: list, issues: pd.DataFrame,
                  limit: int) -> pd.DataFrame:
    """The group's comments of ``source``: those about its top issues first (a codebook theme
    on the issue's item), then the most recent; with tone and themes; PII masked."""
    comments = annotated.comments
    mine = (comments["source"] == source) & comments["unit_id"].isin(units)
    if not mine.any():
        return pd.DataFrame(columns=["comment", "tone", "themes", "about"])
    tags = annotated.tags[mine]
    frame = comments.loc[mine, ["comment", "at", "label"]].assign(about="")
    for row in issues.itertuples():
        on_item = [t.id for t in annotated.codebook if row.item in t.items]
        if on_item:
            hit = tags[on_item].any(axis=1) & (frame["about"] == "")
            frame.loc[hit, "about"] = row.issue
    frame = frame.sort_values("at", ascending=False, kind="stable")
    frame = pd.concat([frame[frame["about"] != ""], frame[frame["about"] == ""]]).head(limit)
    names = {t.id: t.label for t in annotated.codebook}
    shown = tags.loc[frame.index]  # themes of the comments shown only
    frame = frame.assign(
        tone=frame["label"].replace({"not scored": "not scored (other language)"}),
        themes=[", ".join(names[t] for t in shown.columns[hits]) for hits in shown.to_numpy()],
        actionable=comments.loc[frame.index, "actionable"].fillna("").map(
            lambda kind: TEXT_TERMS.get(kind, "")))
    columns = ["comment", "tone", "themes", "about"] + (["actionable"] if source == "customer" else [])
    return frame[columns].reset_index(drop=True)


def group_themes(annotated: Annotated, units: list, employees_shown: bool,
                 confidence: float = 0.95, top: int = 5) -> pd.DataFrame:
    """Per source, the codebook themes most mentioned in the group's comments: % of its
    comments (Wilson interval) beside the company's %. Employee comments count only when the
    group's employee comments may be shown."""
    comments = annotated.comments
    english = (comments["label"] != "not scored").to_numpy()
    hits = annotated.tags[[theme.id for theme in annotated.codebook]].to_numpy(dtype=bool)
    rows = []
    for source in ("customer", "employee") if employees_shown else ("customer",):
        company = english & (comments["source"] == source).to_numpy()
        mine = company & comments["unit_id"].isin(units).to_numpy()
        if not mine.any():
            continue
        counts, company_counts = hits[mine].sum(axis=0), hits[company].sum(axis=0)
        for theme, k, k_company in zip(annotated.codebook, counts, company_counts):
            if k == 0:
                continue
            r = proportion_interval(float(k), float(mine.sum()), confidence)
            rows.append({"source": source, "theme": theme.label, "estimate": r["estimate"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "company": 100 * float(k_company / company.sum()),
                         "n": int(mine.sum()), "confidence": confidence})
    table = pd.DataFrame(rows, columns=["source", "theme", "estimate", "ci_low", "ci_high",
                                        "company", "n", "confidence"])
    return (table.sort_values(["source", "estimate"], ascending=[True, False])
            .groupby("source", sort=False).head(top).reset_index(drop=True))


def _trend(group: pd.DataFrame, company: pd.DataFrame, period: str, metrics: list[str]) -> pd.DataFrame:
    if group.empty:
        return pd.DataFrame()
    frames = []
    for label, frame in (("this group", group), ("company", company)):
        part = frame[[period] + [m for m in metrics if m in frame]].melt(
            id_vars=period, var_name="metric", value_name="value")
        frames.append(part.assign(series=label))
    return pd.concat(frames, ignore_index=True).rename(columns={period: "period"})


def item_priorities(con, ex_group: pd.DataFrame, ex_company: pd.DataFrame, items: list[str],
                    ex_shown: bool, min_group_size: int,
                    own: pd.Series | None = None) -> pd.DataFrame:
    """Every engagement item's importance, gap and priority for this group, highest first.

    Priority = importance × gap (company % favourable − group % favourable, latest wave).
    Importance is the group's ``own`` (:func:`own_importance`: each item's share of eNPS
    differences among its respondents) when given, else the company's (each item's share of
    NPS differences between units). Empty when employee results cannot be shown.
    """
    if not ex_shown or ex_group.empty or not items:
        return pd.DataFrame()
    if own is not None:
        importance, column = own, "importance for this group's eNPS (%)"
    else:
        context = company_context(con, min_group_size)
        importance = context["importance"]
        column = {"nps": "importance for customers (%)",
                  "enps": "importance for eNPS (%)"}.get(context["basis"], "importance (%)")
    rows = []
    for item in items:
        group_score = ex_group[item].iloc[-1]
        company_score = ex_company[item].iloc[-1]
        gap = company_score - group_score
        weight = float(importance.get(item, np.nan)) if len(importance) else np.nan
        rows.append({"item": item, "issue": item_label(item), "group % favourable": group_score,
                     "company % favourable": company_score, "gap (points)": gap,
                     column: weight,
                     "priority": (weight if np.isfinite(weight) else 1.0) * max(gap, 0.0)})
    return pd.DataFrame(rows).sort_values("priority", ascending=False).reset_index(drop=True)


def _latest_answers(every: dict, group: str) -> pd.DataFrame | None:
    """The group's answers in the latest wave (None for a platform's scores)."""
    return group_part(every["employees_latest"], group) if "employees_latest" in every else None


def own_importance(answers: pd.DataFrame | None, items: list[str],
                   min_respondents: int = MIN_DRIVER_RESPONDENTS) -> tuple[pd.Series | None, int]:
    """(each item's share of the differences in eNPS among a group's respondents of the latest
    wave — Johnson's relative weights, % of R² — or None, the respondents it rests on). None
    under ``min_respondents`` answering every item and eNPS, without eNPS, or when the answers
    do not vary: the company's drivers are used then."""
    if answers is None or "enps" not in answers or not items:
        return None, 0
    return _own_shares(answers[list(items) + ["enps"]].to_numpy(dtype=float), items,
                       min_respondents)


def _own_shares(values: np.ndarray, items: list[str],
                min_respondents: int) -> tuple[pd.Series | None, int]:
    """:func:`own_importance` on the answers as an array (items, then eNPS, as columns)."""
    values = values[~np.isnan(values).any(axis=1)]
    if len(values) < max(min_respondents, len(items) + 3):
        return None, len(values)
    try:
        found = shares(values[:, :-1], values[:, -1])
    except InsufficientData:
        return None, len(values)
    return (pd.Series(found, index=items) if np.isfinite(found).all() else None), len(values)


def top_issues(priorities: pd.DataFrame, k: int = 2) -> pd.DataFrame:
    """The ``k`` items of highest priority with the group below the company."""
    if priorities.empty:
        return priorities
    return priorities[priorities["priority"] > 0].head(k).reset_index(drop=True)


def priority_points(data: GroupReport) -> pd.DataFrame | None:
    """The impact × gap chart's points (item, impact, gap), or None when there is nothing to
    chart (employee results hidden, or importance not estimated)."""
    table = data.priorities
    if table.empty:
        return None
    impact = next((c for c in table.columns if c.startswith("importance")), None)
    if impact is None or table[impact].isna().all():
        return None
    return table.rename(columns={impact: "impact", "gap (points)": "gap"})[["item", "impact", "gap"]]


def recent_scores(con, data: GroupReport) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The group's unit scores of a platform in the latest two periods, (employees,
    customers), for a survey the data set has only as scores; employees' only when the
    group's employee results may be shown."""
    every = group_context(con, data.group_by)
    found = [group_part(every[key], data.group) if key in every else None
             for key in ("ex_scores_recent", "cx_scores_recent")]
    return (found[0] if data.ex_shown else None), found[1]


def recent_answers(con, data: GroupReport) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The group's answers in the latest two waves and quarters; employees' only when the
    group's employee results may be shown in both waves."""
    employees, customers = recent_responses(con, data.group_by, data.group)
    return (employees if data.ex_changes_shown else None), customers


def group_metrics(con, group_by: str, group: str, confidence: float = 0.95,
                  min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """The group's metrics with intervals for the latest quarter and survey wave (tidy), from
    answers or a platform's unit scores; a group whose employee results could be worked out
    by subtraction keeps its employee rows with every number empty, as in its scorecard."""
    check_argument("group_by", group_by, GROUP_BY)
    every = group_context(con, group_by)
    hidden = group in hidden_by_subtraction(con, group_by, min_group_size)
    customers = group_part(every["customers_latest"], group) if "customers_latest" in every else None
    employees = group_part(every["employees_latest"], group) if "employees_latest" in every else None
    frame = summary(customers, employees, confidence=confidence, min_group_size=min_group_size)
    scored = [levels(group_part(every[key], group), confidence=confidence,
                     min_group_size=min_group_size if key.startswith("ex") else None)
              for key in ("cx_scores_latest", "ex_scores_latest") if key in every]
    frame = pd.concat([frame, *scored], ignore_index=True) if scored else frame
    taking = group_participation(con, group_by, group, min_group_size) if employees is not None else None
    if taking is not None and len(taking):
        last = taking.iloc[-1]
        frame = pd.concat([frame, pd.DataFrame([{
            "analysis": "group", "estimand": "metric_level", "outcome": "participation",
            "estimate": 100 * last["rate"], "n": last["respondents"], "confidence": confidence,
            "method": PARTICIPATION_METHOD}])], ignore_index=True)
    if hidden and len(frame):
        employee = (frame["outcome"].isin(EMPLOYEE_MEASURES + ("participation",))
                    | frame["outcome"].str.startswith("eng_"))
        frame.loc[employee, ["estimate", "se", "ci_low", "ci_high", "n"]] = np.nan
        frame.loc[employee, "method"] = SUPPRESSED_METHOD.format(k=min_group_size)
    frame["analysis"] = "group"
    frame["subject"] = f"{group_by}={group}"
    return frame


def issues_basis(con, min_group_size: int = MIN_GROUP_SIZE,
                 data: GroupReport | None = None) -> str:
    """How the top issues were ranked, in one sentence for the report: the group's own
    drivers, or the company's (and why, when the group has too few respondents)."""
    if data is not None and data.own_drivers:
        return (f"Ranked by importance for this group's own employees (each item's share of the "
                f"differences in eNPS among its {data.driver_respondents:,} respondents of the "
                "latest survey, Johnson's relative weights) times how far this group is below "
                "the company.")
    basis = company_context(con, min_group_size)["basis"]
    if basis == "nps":
        said = ("Ranked by importance for customers (each item's share of the differences in NPS "
                "between units) times how far this group is below the company.")
    elif basis == "enps":
        said = ("There is no customer survey here, so importance is each item's share of the "
                "differences in eNPS between units (what goes with employees recommending the "
                "workplace), times how far this group is below the company.")
    else:
        said = "Ranked by how far this group is below the company (importance could not be estimated)."
    if data is not None and data.ex_shown and data.driver_respondents < data.min_driver_respondents:
        said += (f" The company's drivers are used: this group's own need at least "
                 f"{data.min_driver_respondents} respondents answering every item and eNPS "
                 f"({data.driver_respondents} did).")
    return said


def issues_table(data: GroupReport) -> pd.DataFrame:
    """The top issues as shown in the report (empty when there are none to show)."""
    issues = data.issues
    if issues.empty:
        return issues
    return issues.drop(columns=["item", "priority"])


def shown_ex_trend(data: GroupReport) -> pd.DataFrame | None:
    """The group's engagement trend when the data have it and it may be shown, else None."""
    return data.ex_trend if data.has_ex and data.ex_shown else None


def top_issues_by_group(con, group_by: str,
                        min_group_size: int = MIN_GROUP_SIZE) -> dict[str, tuple[list[str], float]]:
    """Every group's top 2 issues as in its report: ``{group: (items, priority)}``; groups
    whose employee results are hidden are left out (their issues are not shown anywhere)."""
    check_argument("group_by", group_by, GROUP_BY)
    every = group_context(con, group_by)
    if not every["items"]:
        return {}
    hidden = hidden_by_subtraction(con, group_by, min_group_size)
    latest = every.get("employees_latest")
    answers = (latest["frame"][every["items"] + ["enps"]].to_numpy(dtype=float)
               if latest is not None and "enps" in latest["frame"] else None)
    out: dict[str, tuple[list[str], float]] = {}
    for group in every["ex"]["at"]:
        ex_group = group_part(every["ex"], group)
        if group in hidden or ex_group.empty or not is_shown(
                int(ex_group["respondents"].iloc[-1]), min_group_size):
            continue
        own, _ = (_own_shares(answers[every["employees_latest"]["at"][group]], every["items"],
                              MIN_DRIVER_RESPONDENTS)
                  if answers is not None and group in every["employees_latest"]["at"] else (None, 0))
        issues = top_issues(item_priorities(con, ex_group, every["ex_company"], every["items"],
                                            True, min_group_size, own))
        if not issues.empty:
            out[group] = (list(issues["item"]), float(issues["priority"].sum()))
    return out


def scorecard_keys(scorecard: pd.DataFrame) -> pd.Series:
    """Each scorecard row's measure (for a benchmark), None for a row without one."""
    keys = {label: metric for metric, label in SCORECARD}
    return scorecard["metric"].map(keys) if "metric" in scorecard else pd.Series(dtype=object)
