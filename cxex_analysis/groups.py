"""One report per group: scorecard, trends, top 2 issues, comments, action plan.

A group is a region, a unit type or a single unit. Everything employee-related passes through
:mod:`cxex_analysis.privacy`: below ``min_group_size`` respondents no engagement number is
shown, below ``min_comment_group_size`` no employee comment; customer comments are shown only
PII-masked and HTML-escaped.

Company-level inputs that every group report shares (item importance for customers, company
scores) are computed once per warehouse file and cached in the process, so a warm kernel
rendering hundreds of group reports pays for them once.
"""

from __future__ import annotations

import functools

import duckdb
import numpy as np
import pandas as pd

from .config import MIN_COMMENT_GROUP_SIZE, MIN_GROUP_SIZE
from .errors import ParameterError, check_argument
from .panels import respondent_scores_sql
from .panels import share_sql as _share
from .privacy import blank_small, comments_allowed, hidden_groups, is_shown, mask_pii
from .warehouse import engagement_items, has_table

GROUP_BY = ("region", "unit_type", "unit")
_COLUMN = {"region": "u.region", "unit_type": "u.unit_type", "unit": "u.unit_id"}

#: Words that tie a comment to an engagement item (for the comments shown beside an issue).
ITEM_KEYWORDS = {
    "eng_tools": ("system", "tool", "app", "computer", "knowledge base", "crash", "slow"),
    "eng_recognition": ("recogn", "thank", "appreciat", "notice"),
    "eng_manager": ("manager", "management", "support", "listen"),
    "eng_voice": ("listen", "voice", "heard", "ideas"),
    "eng_growth": ("career", "training", "develop", "progress", "grow"),
    "eng_purpose": ("purpose", "proud", "meaning"),
    "eng_customer_focus": ("customer", "queue", "wait", "staff", "short"),
}


def list_groups(con: duckdb.DuckDBPyConnection, group_by: str) -> list[str]:
    """Every group of ``group_by`` in the warehouse, sorted."""
    check_argument("group_by", group_by, GROUP_BY)
    column = _COLUMN[group_by].split(".")[1]
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM units ORDER BY 1").fetchall()]


def _check_group(con, group_by: str, group: str) -> list[str]:
    check_argument("group_by", group_by, GROUP_BY)
    units = [r[0] for r in con.execute(
        f"SELECT unit_id FROM units u WHERE {_COLUMN[group_by]} = ? ORDER BY 1", [group]).fetchall()]
    if not units:
        known = ", ".join(list_groups(con, group_by)[:12])
        raise ParameterError(f"`group` {group!r} is not a {group_by} in the warehouse (e.g. {known}).")
    return units


@functools.lru_cache(maxsize=8)
def _company(key: str, path: str, min_group_size: int) -> dict:
    """Company-level item importance (cached per warehouse file and version).

    Importance is each item's share of the differences in NPS between units; without a
    customer survey, its share of the differences in eNPS (what goes with employees
    recommending the workplace); without either, none (issues are then ranked by gap alone).
    """
    from .drivers import relative_weights
    from .linkage import build_panel, unit_means
    from .warehouse import connect

    con = connect(path)
    try:
        items = engagement_items(con)
        importance, basis = pd.Series(dtype=float), None
        if not items:
            return {"items": items, "importance": importance, "basis": basis}
        panel = build_panel(con, min_group_size)
        basis = next((o for o in ("nps", "enps") if o in panel and panel[o].notna().any()), None)
        if basis:
            means = unit_means(panel, items + [basis]).dropna()
            if len(means) > len(items) + 2:
                weights = relative_weights(means, items, basis, n_boot=0)
                w = weights[weights["estimand"] == "relative_weight"].set_index("term")
                importance = w["rescaled"]
        return {"items": items, "importance": importance,
                "basis": basis if len(importance) else None}
    finally:
        con.close()


def company_context(con, min_group_size: int = MIN_GROUP_SIZE) -> dict:
    """Item importance for NPS across units (shared by every group report)."""
    from .warehouse import identity, location

    return _company(identity(con), location(con), min_group_size)


def _ex_scores(con, items: list[str], by: str | None = None) -> pd.DataFrame:
    """Per wave (and group ``by``): respondents, engagement index, % favourable, eNPS and each
    item's % favourable."""
    item_fav = "".join(f", 100.0 * {_share(f'{i} >= 4')} AS {i}" for i in items)
    group = f"{by} AS grp, " if by else ""
    return con.execute(f"""
        WITH r AS (SELECT {group}e.*, {respondent_scores_sql(items)} FROM employee_survey e
                   JOIN units u USING (unit_id))
        SELECT {"grp, " if by else ""}wave, count(*) AS respondents,
               avg(engagement_index) AS engagement_index,
               100.0 * sum(items_favourable) / nullif(sum(items_answered), 0) AS pct_favourable,
               100.0 * ({_share("enps >= 9")} - {_share("enps <= 6")}) AS enps
               {item_fav}
        FROM r GROUP BY {"grp, " if by else ""}wave ORDER BY {"grp, " if by else ""}wave""").df()


def _cx_scores(con, by: str | None = None) -> pd.DataFrame:
    """Per quarter (and group ``by``): responses, NPS, CSAT and CES."""
    group = f"{by} AS grp, " if by else ""
    return con.execute(f"""
        SELECT {group}CAST(date_trunc('quarter', responded_at) AS DATE) AS quarter,
               count(*) AS responses,
               100.0 * ({_share("nps >= 9")} - {_share("nps <= 6")}) AS nps,
               100.0 * {_share("csat >= 4")} AS csat, avg(ces) AS ces
        FROM customer_survey c JOIN units u USING (unit_id)
        GROUP BY {"1, 2" if by else "1"} ORDER BY {"1, 2" if by else "1"}""").df()


def _split(frame: pd.DataFrame) -> dict:
    """The frame without its group column and each group's row positions.

    Positions (numpy arrays), not thousands of small frames: the warm kernel's garbage
    collector walks every cached object at each reset, and thousands of frames made that
    walk cost more than a report.
    """
    return {"frame": frame.drop(columns="grp"),
            "at": {key: rows for key, rows in frame.groupby("grp", sort=False).indices.items()}}


@functools.lru_cache(maxsize=8)
def _every_group(key: str, location: str, group_by: str) -> dict:
    """Every group's scores by period and latest-period rows, from one pass over the tables.

    A report for one group reads its part; hundreds of unit reports on one warm kernel then
    cost one scan of the surveys instead of one per report (cached per warehouse version).
    """
    from .warehouse import connect

    con = connect(location)
    try:
        column = _COLUMN[group_by]
        items = engagement_items(con) if has_table(con, "employee_survey") else []
        out: dict = {"items": items}
        if items:
            out["ex"] = _split(_ex_scores(con, items, column))
            out["ex_company"] = _ex_scores(con, items)
            out["employees_latest"] = _split(con.execute(f"""
                SELECT {column} AS grp, e.* FROM employee_survey e JOIN units u USING (unit_id)
                WHERE e.wave = (SELECT max(wave) FROM employee_survey)
                ORDER BY e.source_row""").df())
            out["latest_counts"] = con.execute("""
                SELECT u.unit_id, u.region, u.unit_type, count(*) AS n FROM employee_survey e
                JOIN units u USING (unit_id)
                WHERE e.wave = (SELECT max(wave) FROM employee_survey) GROUP BY 1, 2, 3
                ORDER BY 1""").df()
        if has_table(con, "customer_survey"):
            out["cx"] = _split(_cx_scores(con, column))
            out["cx_company"] = _cx_scores(con)
            out["customers_latest"] = _split(con.execute(f"""
                SELECT {column} AS grp, c.nps, c.csat, c.ces FROM customer_survey c
                JOIN units u USING (unit_id)
                WHERE date_trunc('quarter', c.responded_at) =
                      (SELECT max(date_trunc('quarter', responded_at)) FROM customer_survey)
                ORDER BY c.source_row""").df())
        return out
    finally:
        con.close()


def _context(con, group_by: str) -> dict:
    from .warehouse import identity, location

    return _every_group(identity(con), location(con), group_by)


def _part(parts: dict, group: str) -> pd.DataFrame:
    rows = parts["at"].get(group)
    frame = parts["frame"]
    return frame.iloc[0:0] if rows is None else frame.iloc[rows].reset_index(drop=True)


def report_data(con, group_by: str, group: str, min_group_size: int = MIN_GROUP_SIZE,
                min_comment_group_size: int = MIN_COMMENT_GROUP_SIZE, comments: int = 4) -> dict:
    """Everything a group report shows, with the confidentiality rules applied.

    Keys: ``units``, ``has_ex`` / ``has_cx`` (which surveys the data set holds), ``ex_shown`` (bool), ``scorecard`` (metric, group now / previous /
    company now), ``ex_trend`` / ``cx_trend`` (group and company by period; employee values
    hidden where too few answered), ``issues`` (top 2), ``employee_comments`` /
    ``customer_comments`` (PII masked, escaped when shown; empty when not allowed) and
    ``notes``.
    """
    units = _check_group(con, group_by, group)
    where = f"WHERE {_COLUMN[group_by]} = ?"
    every = _context(con, group_by)
    items = every["items"]
    has_ex = bool(items)
    has_cx = "cx" in every
    out: dict = {"group_by": group_by, "group": group, "units": units, "notes": [],
                 "has_ex": has_ex, "has_cx": has_cx}
    ex_group = _part(every["ex"], group) if has_ex else pd.DataFrame()
    ex_company = every["ex_company"] if has_ex else pd.DataFrame()
    cx_group = _part(every["cx"], group) if has_cx else pd.DataFrame()
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
    # the waves of the trend: each hidden where too few answered (all of them if not shown)
    if len(ex_group):
        metric_columns = [c for c in ex_group.columns if c not in ("wave", "respondents")]
        ex_group = blank_small(ex_group, "respondents", metric_columns + ["respondents"],
                               min_group_size if ex_shown else 10 ** 9)
    out["ex_trend"] = _trend(ex_group, ex_company, "wave", ["engagement_index", "enps"])
    out["cx_trend"] = _trend(cx_group, cx_company, "quarter", ["nps", "csat"])

    rows = []
    for metric, label, frame, company, shown in (
            ("engagement_index", "Engagement index (0-100)", ex_group, ex_company, ex_shown),
            ("pct_favourable", "% favourable", ex_group, ex_company, ex_shown),
            ("enps", "eNPS", ex_group, ex_company, ex_shown),
            ("nps", "NPS", cx_group, cx_company, True),
            ("csat", "CSAT (% 4-5)", cx_group, cx_company, True),
            ("ces", "CES (1-7)", cx_group, cx_company, True)):
        if frame is None or frame.empty or metric not in frame:
            continue
        now = frame[metric].iloc[-1] if shown else np.nan
        before = frame[metric].iloc[-2] if shown and len(frame) > 1 else np.nan
        rows.append({"metric": label, "this group": now, "previous period": before,
                     "change": now - before, "company": company[metric].iloc[-1],
                     "vs company": now - company[metric].iloc[-1]})
    out["scorecard"] = pd.DataFrame(rows)
    out["issues"] = top_issues(con, ex_group, ex_company, items, ex_shown, min_group_size) \
        if has_ex else pd.DataFrame()
    out["employee_comments"] = pd.DataFrame()
    if has_ex and ex_shown and comments_allowed(respondents, min_comment_group_size):
        out["employee_comments"] = _comments(con, "employee_survey", where, [group],
                                             out["issues"], comments, "wave")
    elif has_ex:
        out["notes"].append(
            f"Employee comments are not shown: they need at least {min_comment_group_size} "
            "respondents in the group.")
    if has_cx:
        out["customer_comments"] = _comments(con, "customer_survey", where, [group], out["issues"],
                                             comments, "responded_at")
    return out


def hidden_by_subtraction(con, group_by: str, min_group_size: int = MIN_GROUP_SIZE) -> set:
    """Groups of ``group_by`` whose employee results stay hidden in the latest wave.

    Regions and unit types are siblings under the company (shown in every report); units
    are siblings under their region and under their unit type (both have reports). A group
    is hidden when it is small or when it could be worked out by subtraction
    (:func:`cxex_analysis.privacy.hidden_groups`).
    """
    from .warehouse import identity, location

    return set(_hidden(identity(con), location(con), group_by, min_group_size))


@functools.lru_cache(maxsize=16)
def _hidden(key: str, location: str, group_by: str, min_group_size: int) -> frozenset:
    return frozenset(_hidden_groups(_every_group(key, location, group_by).get("latest_counts"),
                                    group_by, min_group_size))


def _hidden_groups(counts: pd.DataFrame | None, group_by: str, min_group_size: int) -> set:
    if counts is None or counts.empty:
        return set()
    total = int(counts["n"].sum())
    if group_by in ("region", "unit_type"):
        by = counts.groupby(group_by)["n"].sum().to_dict()
        return hidden_groups(by, total, min_group_size)
    hidden: set = set()
    while True:  # hiding a unit under one parent can expose another under the other parent
        before = len(hidden)
        for parent in ("region", "unit_type"):
            for _, siblings in counts.groupby(parent):
                hidden |= hidden_groups(dict(zip(siblings["unit_id"], siblings["n"])),
                                        int(siblings["n"].sum()), min_group_size, hidden)
        if len(hidden) == before:
            return hidden


def _trend(group: pd.DataFrame, company: pd.DataFrame, period: str, metrics: list[str]) -> pd.DataFrame:
    if group.empty:
        return pd.DataFrame()
    frames = []
    for label, frame in (("this group", group), ("company", company)):
        part = frame[[period] + [m for m in metrics if m in frame]].melt(
            id_vars=period, var_name="metric", value_name="value")
        frames.append(part.assign(series=label))
    return pd.concat(frames, ignore_index=True).rename(columns={period: "period"})


def top_issues(con, ex_group: pd.DataFrame, ex_company: pd.DataFrame, items: list[str],
               ex_shown: bool, min_group_size: int, k: int = 2) -> pd.DataFrame:
    """Items that matter most for customers where this group scores below the company.

    Priority = importance (share of NPS differences between units the item explains, company
    level) × gap (company % favourable − group % favourable, latest wave); the top ``k`` with a
    positive gap. Empty when employee results cannot be shown.
    """
    from .drivers import item_label

    if not ex_shown or ex_group.empty:
        return pd.DataFrame()
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
    table = pd.DataFrame(rows).sort_values("priority", ascending=False)
    table = table[table["priority"] > 0].head(k).reset_index(drop=True)
    return table


def _comments(con, table: str, where: str, params: list, issues: pd.DataFrame, limit: int,
              order: str) -> pd.DataFrame:
    """Recent comments, those mentioning the top issues first; masked and escaped."""
    frame = con.execute(
        f"SELECT c.comment, c.{order} AS at FROM {table} c JOIN units u USING (unit_id) "
        f"{where} AND c.comment IS NOT NULL ORDER BY c.{order} DESC LIMIT 400", params).df()
    if frame.empty:
        return pd.DataFrame(columns=["comment", "about"])
    frame["about"] = ""
    if not issues.empty:
        lowered = frame["comment"].str.lower()
        for row in issues.itertuples():
            words = ITEM_KEYWORDS.get(row.item, ())
            hit = lowered.apply(lambda text, words=words: any(w in text for w in words))
            frame.loc[hit & (frame["about"] == ""), "about"] = row.issue
    frame = pd.concat([frame[frame["about"] != ""], frame[frame["about"] == ""]]).head(limit)
    # masked here; every table in a report escapes its text (so HTML shows as text)
    frame["comment"] = frame["comment"].map(mask_pii)
    return frame[["comment", "about"]].reset_index(drop=True)


def group_metrics(con, group_by: str, group: str, confidence: float = 0.95,
                  min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """The group's metrics with intervals for the latest quarter and survey wave (tidy)."""
    from .metrics import summary

    check_argument("group_by", group_by, GROUP_BY)
    every = _context(con, group_by)
    customers = _part(every["customers_latest"], group) if "customers_latest" in every else None
    employees = _part(every["employees_latest"], group) if "employees_latest" in every else None
    frame = summary(customers, employees, confidence=confidence, min_group_size=min_group_size)
    frame["analysis"] = "group"
    frame["subject"] = f"{group_by}={group}"
    return frame


def findings(data: dict) -> list[str]:
    """Plain sentences for the group's summary box (nothing confidential)."""
    out = [f"{data['group_by'].replace('_', ' ').capitalize()} {data['group']}: "
           f"{len(data['units'])} unit(s)."]
    card = data["scorecard"].set_index("metric") if not data["scorecard"].empty else pd.DataFrame()

    def line(label, name, digits=1):
        if label in card.index and pd.notna(card.loc[label, "this group"]):
            row = card.loc[label]
            word = "above" if row["vs company"] > 0 else "below"
            out.append(f"{name}: {row['this group']:.{digits}f}, {abs(row['vs company']):.{digits}f} "
                       f"{word} the company ({row['company']:.{digits}f}).")

    if data["ex_shown"]:
        line("Engagement index (0-100)", "Engagement index")
    line("NPS (points)" if "NPS (points)" in card.index else "NPS", "NPS")
    if not data["issues"].empty:
        issues = ", ".join(f"{row['issue'].lower()} ({row['gap (points)']:.0f} points below the company)"
                           for _, row in data["issues"].iterrows())
        out.append(f"Top issues to work on: {issues}.")
    elif data["ex_shown"]:
        out.append("No engagement item is below the company level: keep doing what works.")
    out.extend(data["notes"])
    return out


def action_plan_markdown(data: dict) -> str:
    """A short action-plan template for the group's top issues."""
    issues = list(data["issues"]["issue"]) if not data["issues"].empty else ["(choose a focus area)"]
    rows = "\n".join(f"| {issue} | | | | |" for issue in issues)
    return ("| Focus area | What we will do | Owner | By when | How we will know it worked |\n"
            "| --- | --- | --- | --- | --- |\n" + rows)


def issues_basis(con, min_group_size: int = MIN_GROUP_SIZE) -> str:
    """How the top issues were ranked, in one sentence for the report."""
    basis = company_context(con, min_group_size)["basis"]
    if basis == "nps":
        return ("Ranked by importance for customers (each item's share of the differences in NPS "
                "between units) times how far this group is below the company.")
    if basis == "enps":
        return ("There is no customer survey here, so importance is each item's share of the "
                "differences in eNPS between units (what goes with employees recommending the "
                "workplace), times how far this group is below the company.")
    return "Ranked by how far this group is below the company (importance could not be estimated)."


def issues_table(data: dict) -> pd.DataFrame:
    """The top issues as shown in the report (empty when there are none to show)."""
    issues = data["issues"]
    if issues.empty:
        return issues
    return issues.drop(columns=["item", "priority"])
