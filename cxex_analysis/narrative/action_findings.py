"""The action review in plain words: were plans carried out, did completed actions move
what they aimed at, and what the design can and cannot show.

A sentence never claims more than the checks allow: an effect whose pre-trend or placebo
items moved (after the Holm correction) is reported with that caution, and the sentence
always says that groups chose whether to act.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.analyses.action_effects import with_holm
from cxex_analysis.privacy import mask_pii
from cxex_analysis.vocabulary import format_number, format_value, measure_label

#: The status words of an action in a report.
STATUS_WORDS = {"planned": "planned", "in_progress": "in progress", "done": "done",
                "dropped": "dropped"}


LIMITS = ("Groups chose whether to act and on what, so these are comparisons of groups that "
          "acted with groups that did not, not a randomized trial: a group that acts may also "
          "be changing in other ways. The checks below each effect (no drift before the plan, "
          "no movement on items the action did not aim at, none after dropped plans) are what "
          "makes the reading credible; a failed check is said next to the effect.")


def _focus_words(focus: str) -> str:
    return measure_label(focus)


def _scale(outcome: str) -> str:
    return " on the 1–5 scale" if outcome == "item_mean" else " points"


def _interval(row, digits: int = 2) -> str:
    if not np.isfinite(row["ci_low"]):
        return "no interval"
    return (f"{row['confidence']:.0%} CI {format_number(row['ci_low'], digits)} to "
            f"{format_number(row['ci_high'], digits)}")


def review_findings(follow: pd.DataFrame | None, effects: pd.DataFrame,
                    confidence: float = 0.95) -> list[str]:
    """The action review's summary: the follow-through, each focus's effect, the overall
    effect (those there are to tell) and what the design cannot show."""
    told = [follow_sentence(follow), *effect_sentences(effects, confidence),
            overall_sentence(effects, confidence)]
    return [s for s in told if s] + [LIMITS]


def follow_sentence(rows: pd.DataFrame | None, subject: str = "all", whose: str = "") -> str | None:
    """The follow-through of the company (or of ``subject``) in one sentence; ``whose``
    starts it ("Its units' plans: "); None when there is none to tell."""
    company = (rows[rows["subject"] == subject].set_index("outcome")
               if rows is not None and not rows.empty else None)
    if company is None or company.empty:
        return None
    n = int(company.loc["done", "n"])
    counts = {s: int(company.loc[s, "estimate"]) for s in ("done", "in_progress", "planned",
                                                             "dropped", "overdue")}
    text = (f"{whose}{n} actions logged: {counts['done']} done, {counts['in_progress']} in progress, "
            f"{counts['planned']} planned and {counts['dropped']} dropped; "
            f"{counts['overdue']} are overdue.")
    share = company.loc["done_on_time"]
    if share["n"] and np.isfinite(share["estimate"]):
        text += (f" Of the {int(share['n'])} that fell due, {share['estimate']:.0f}% were done on "
                 f"time ({share['confidence']:.0%} CI {share['ci_low']:.0f}% to "
                 f"{share['ci_high']:.0f}%).")
    return text


def _caution(effects: pd.DataFrame, focus: str, alpha: float) -> list[str]:
    """The failed checks of one focus, in words."""
    rows = effects[effects["subject"] == focus]
    words = []
    pre = rows[rows["term"] == "pre_trend"]
    if len(pre) and pre["p_holm"].iloc[0] < alpha:
        words.append("the acting units were already drifting apart before the plan")
    placebo = rows[rows["term"].str.startswith("placebo=") & (rows["p_holm"] < alpha)]
    if len(placebo):
        moved = ", ".join(_focus_words(t.split("=", 1)[1]) for t in placebo["term"])
        words.append(f"items the action did not aim at moved too ({moved})")
    dropped = effects[(effects["term"] == "dropped") & (effects["p_value"] < alpha)]
    if len(dropped):
        words.append("units that dropped their plans changed as well")
    return words


def effect_sentences(effects: pd.DataFrame, confidence: float = 0.95) -> list[str]:
    """One sentence per focus whose effect was estimated, with its caution if a check failed."""
    if effects is None or effects.empty:
        return []
    if "p_holm" not in effects:  # rows read back from results.json
        effects = with_holm(effects)
    alpha = 1 - confidence
    out = []
    main = effects[(effects["term"] == "completed") & (effects["subject"] != "all_actions")]
    for row in main.sort_values("estimate", ascending=False).to_dict("records"):
        focus = row["subject"]
        if not np.isfinite(row["estimate"]):
            out.append(f"{_focus_words(focus)}: hidden, too few people answered in the units "
                       "that acted.")
            continue
        clear = np.isfinite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)
        verb = ("raised" if row["estimate"] > 0 else "lowered") if clear else "did not clearly move"
        size = (f" by {format_number(abs(row['estimate']), 2)}{_scale(row['outcome'])}"
                if clear else "")
        shown = "" if clear else f"{format_number(row['estimate'], 2)}, "
        units = (f"{int(row['n_treated'])} acting units against {int(row['n_control'])}"
                 if pd.notna(row.get("n_treated")) else f"{int(row['n'])} units compared")
        text = (f"Completing an action on {_focus_words(focus)} {verb} its score{size} "
                f"({shown}{_interval(row)}; {units}).")
        caution = _caution(effects, focus, alpha)
        if caution and clear:
            text += " Read with care: " + "; ".join(caution) + "."
        out.append(text)
    return out


def _estimated(effects: pd.DataFrame | None, column: str, value: str) -> pd.DataFrame | None:
    """The rows whose ``column`` is ``value`` and that have an estimate (None when none)."""
    if effects is None or effects.empty:
        return None
    rows = effects[(effects[column] == value) & effects["estimate"].notna()]
    return rows if len(rows) else None


def overall_sentence(effects: pd.DataFrame, confidence: float = 0.95) -> str | None:
    """Did the units that completed actions move their overall scores?"""
    rows = _estimated(effects, "subject", "all_actions")
    if rows is None:
        return None
    parts = []
    for row in rows.to_dict("records"):
        clear = np.isfinite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)
        parts.append(f"{measure_label(row['outcome'])} {format_number(row['estimate'], 1)} points "
                     f"({_interval(row, 1)}{'' if clear else ', not clearly different from 0'})")
    return ("Units that completed at least one action against units with none, since "
            "completion: " + "; ".join(parts) + "." + _implied(effects))


def _implied(effects: pd.DataFrame) -> str:
    """What the focus items' own effects imply for the engagement index, each item being one
    of k in the index (its share): Σ effect × acting units / Σ acting units × 25 / k."""
    main = effects[(effects["term"] == "completed") & (effects["outcome"] == "item_mean")
                   & effects["estimate"].notna()]
    placebo = effects[effects["term"].str.startswith("placebo=")]
    if main.empty or placebo.empty or "n_treated" not in main:
        return ""
    items = 1 + int(placebo.groupby("subject").size().max())
    weights = main["n_treated"].astype(float)
    implied = float((main["estimate"] * weights).sum() / weights.sum()) * 25 / items
    return (f" As one of {items} items in the index, the focus items' own effects imply about "
            f"{format_number(implied, 1)} engagement points.")


def checks_table(effects: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per focus: the pre-trend and the placebo items, each with its verdict in words."""
    if effects is None or effects.empty:
        return pd.DataFrame()
    alpha = 1 - confidence
    rows = []
    for focus in effects.loc[effects["term"] == "completed", "subject"]:
        if focus == "all_actions":
            continue
        part = effects[effects["subject"] == focus]
        pre = part[part["term"] == "pre_trend"]
        placebo = part[part["term"].str.startswith("placebo=")]
        rows.append({
            "focus": _focus_words(focus),
            "before the plan": _check(pre, "p_holm", alpha),
            "other items": (f"{int((placebo['p_holm'] < alpha).sum())} of {len(placebo)} moved"
                            if len(placebo) else "not checked")})
    return pd.DataFrame(rows)


def _check(rows: pd.DataFrame, p_column: str, alpha: float) -> str:
    if rows.empty or not np.isfinite(rows["estimate"].iloc[0]):
        return "not checked (too little data)"
    row = rows.iloc[0]
    if row[p_column] < alpha:
        verdict = "moved"
    elif row["p_value"] < alpha:
        verdict = "within chance, given how many checks were made (Holm)"
    else:
        verdict = "no clear change"
    return f"{verdict} ({format_number(row['estimate'], 2)}, {_interval(row)})"


def dropped_sentence(effects: pd.DataFrame, confidence: float = 0.95) -> str | None:
    """Did plans that were dropped move their focus (all foci together)?"""
    rows = _estimated(effects, "term", "dropped")
    if rows is None:
        return None
    row = rows.iloc[0]
    moved = row["p_value"] < 1 - confidence
    return (f"Plans that were dropped ({int(row['n_treated'])} units and foci): "
            f"{'their focus moved too' if moved else 'no clear change'} "
            f"({format_number(row['estimate'], 2)} on the 1–5 scale, {_interval(row)})"
            + (": part of what the completed actions seem to do may come from choosing to "
               "plan, not from the action." if moved else ", as expected if it is the action "
               "that matters."))


def shown_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Effect rows for a report table: the focus in words in a ``focus`` column first."""
    if effects is None or effects.empty:
        return pd.DataFrame()
    out = effects.copy()
    out.insert(0, "focus", out["subject"].map(
        lambda s: {"all_actions": "Any action", "all_foci": "All foci"}.get(s)
        or _focus_words(s)))
    return out.drop(columns=["subject"])


def balance_sentence(balance: pd.DataFrame) -> str | None:
    """How the acting units compared with the others before the plans."""
    if balance is None or balance.empty:
        return None
    lower = balance[balance["smd"] < -0.1]
    if lower.empty:
        return ("Before the plans, the acting units scored about the same as the others on "
                "their focus.")
    return (f"Before the plans, the acting units scored lower than the others on their focus "
            f"for {len(lower)} of {len(balance)} items: groups act where they are weakest. The "
            "effects compare changes, not levels, with a baseline that ends before the survey "
            "the plan was made from, so a chance low in that survey is not counted as an "
            "effect.")


#: Actions a group's report lists (the most recent; the caption says how many more).
MAX_ACTIONS_LISTED = 50


def group_actions_table(actions: pd.DataFrame, as_of, names: dict | None = None,
                        open_only: bool = False) -> pd.DataFrame:
    """A group's actions for its report: focus, what, owner role, dates, status (overdue
    marked); the action text and owner PII-masked (the table escapes them). With ``names`` a
    first column names the unit of each action; ``open_only`` keeps planned and in-progress
    ones, earliest due first. At most :data:`MAX_ACTIONS_LISTED`, the most recent first
    (:func:`actions_caption` says how many more)."""
    actions = _listed(actions, open_only)
    if actions.empty:
        return pd.DataFrame()
    as_of = pd.Timestamp(as_of)
    status = actions["status"].map(STATUS_WORDS)
    overdue = actions["status"].isin(["planned", "in_progress"]) & (actions["due_on"] < as_of)
    status = status.where(~overdue, status + " (overdue)")
    table = pd.DataFrame({
        "focus": actions["focus"].map(_focus_words),
        "action": actions["action"].map(lambda t: mask_pii(t) if isinstance(t, str) else "–"),
        "owner": actions["owner_role"].map(lambda t: mask_pii(t) if isinstance(t, str) else "–"),
        "created": actions["created_on"].map(_date),
        "due": actions["due_on"].map(_date),
        "status": status,
        "completed": actions["completed_on"].map(_date)})
    if names is not None:
        table.insert(0, "unit", actions["group"].map(lambda g: names.get(g, g)))
    return table.head(MAX_ACTIONS_LISTED).reset_index(drop=True)


def _listed(actions: pd.DataFrame | None, open_only: bool) -> pd.DataFrame:
    """The actions a table lists, in its order: open ones earliest due first, else the most
    recent first."""
    if actions is None or actions.empty:
        return pd.DataFrame()
    if open_only:
        actions = actions[actions["status"].isin(["planned", "in_progress"])]
        return actions.sort_values(["due_on", "created_on"], na_position="last", kind="stable")
    return actions.sort_values("created_on", ascending=False, kind="stable")


def actions_caption(caption: str, actions: pd.DataFrame | None, open_only: bool = False) -> str:
    """``caption``, and how many actions the table leaves out when it lists only some."""
    n = len(_listed(actions, open_only))
    if n <= MAX_ACTIONS_LISTED:
        return caption
    which = "due first" if open_only else "most recent"
    return (f"{caption}: the {MAX_ACTIONS_LISTED} {which} of {n:,} "
            f"({n - MAX_ACTIONS_LISTED:,} more are in the action log)")


def _date(value) -> str:
    return "–" if pd.isna(value) else format_value(pd.Timestamp(value))


def focus_change_table(changes: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """The focus changes with the action they follow, for a group report."""
    if changes is None or changes.empty:
        return pd.DataFrame()
    focus = actions.set_index("action_id")["focus"]
    out = changes[["subject", "outcome", "term", "estimate", "ci_low", "ci_high", "p_value",
                   "confidence", "n"]].copy()
    out.insert(0, "focus", out["subject"].map(focus).map(_focus_words))
    return out.drop(columns=["subject"])


def no_plan_sentence(table: pd.DataFrame, level: str) -> str | None:
    """How many groups of a level have no current plan for their top issues."""
    if table is None or table.empty:
        return None
    missing = int((~table["has plan"]).sum())
    if not missing:
        return f"Every {level} has a current plan for its top issues."
    return (f"{missing} of {len(table)} {level}s have no current plan (planned, in progress or "
            "made since the latest survey) for at least one of their top 2 issues.")
