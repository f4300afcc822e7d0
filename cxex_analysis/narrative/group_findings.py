"""A group's report in sentences, and its action-plan template (notebook 04)."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.analyses.groups_result import GroupReport
from cxex_analysis.narrative.verbatim_findings import routed_sentence
from cxex_analysis.vocabulary import measure_label


def findings(data: GroupReport) -> list[str]:
    """Plain sentences for the group's summary box (nothing confidential)."""
    out = [f"{data.group_by.replace('_', ' ').capitalize()} {data.group}: "
           f"{len(data.units)} unit(s)."]
    card = data.scorecard.set_index("metric") if not data.scorecard.empty else pd.DataFrame()

    def line(label, name, digits=1):
        if label in card.index and pd.notna(card.loc[label, "this group"]):
            row = card.loc[label]
            word = "above" if row["vs company"] > 0 else "below"
            out.append(f"{name}: {row['this group']:.{digits}f}, {abs(row['vs company']):.{digits}f} "
                       f"{word} the company ({row['company']:.{digits}f}).")

    if data.ex_shown:
        line("Engagement index (0-100)", "Engagement index")
    line("NPS (points)" if "NPS (points)" in card.index else "NPS", "NPS")
    if not data.issues.empty:
        issues = ", ".join(f"{row['issue'].lower()} ({row['gap (points)']:.0f} points below the company)"
                           for _, row in data.issues.iterrows())
        out.append(f"Top issues to work on: {issues}.")
    elif data.ex_shown:
        out.append("No engagement item is below the company level: keep doing what works.")
    if not data.actionable.empty:
        row = data.actionable.iloc[0]
        out.append(f"{row['estimate']:.0f}% of this group's customer comments need a response "
                   f"(a request, a question or a specific fault; {row['confidence']:.0%} CI "
                   f"{row['ci_low']:.0f}% to {row['ci_high']:.0f}%, n = {int(row['n']):,}).")
    out.extend(participation_sentences(data))
    out.extend(data.notes)
    routed = routed_sentence(data.routed_to_hr, None, group=True)
    return out + [routed] if routed else out


def action_plan_markdown(data: GroupReport) -> str:
    """A short action-plan template for the group's top issues."""
    issues = list(data.issues["issue"]) if not data.issues.empty else ["(choose a focus area)"]
    rows = "\n".join(f"| {issue} | | | | |" for issue in issues)
    return ("| Focus area | What we will do | Owner | By when | How we will know it worked |\n"
            "| --- | --- | --- | --- | --- |\n" + rows)


def ex_trend_missing(data: GroupReport) -> str | None:
    """Why a group report shows no engagement trend (None when it shows one)."""
    if not data.has_ex:
        return "This data set has no employee survey, so the report shows the customer half only."
    if not data.ex_shown:
        return "Employee trends are hidden for this group (too few respondents)."
    return None


def cx_trend_missing(data: GroupReport) -> str | None:
    """Why a group report shows no NPS trend (None when the data have customer answers)."""
    if not data.has_cx:
        return "This data set has no customer survey, so the report shows the employee half only."
    return None


def change_sentences(changes: pd.DataFrame) -> list[str]:
    """What changed since the last survey, in one sentence: the marked changes, or none."""
    if changes is None or changes.empty:
        return []
    marked = changes[changes["mark"] != ""]
    if marked.empty:
        return [f"Since the last survey no score moved by more than survey noise "
                f"({len(changes)} scores compared)."]
    moves = "; ".join(f"{measure_label(r.outcome)} {'rose' if r.estimate > 0 else 'fell'} by "
                      f"{abs(r.estimate):.1f} points" for r in marked.itertuples())
    return [f"Since the last survey: {moves} (more than survey noise, corrected for the "
            f"{len(changes)} scores compared)."]


def units_shown_note(grid: pd.DataFrame, units: list[str]) -> str | None:
    """Why a group's unit heatmap shows only some units (None when it shows them all)."""
    if grid is None or grid.empty or len(grid) >= len(units):
        return None
    return (f"The {len(grid)} of the group's {len(units)} units with the lowest "
            f"{measure_label(grid.columns[0])} are shown; each unit's own report "
            "(group_by=unit) has the others.")


def participation_sentences(data: GroupReport) -> list[str]:
    """What the report says of the group's participation in the latest wave: the rate with
    its counts, a warning under ``data.low_participation``, or that it is not known."""
    taking = data.participation
    if taking is None or taking.empty or not data.ex_shown:
        return []
    last = taking.iloc[-1]
    if last.get("over", False):
        return [f"Participation is not shown: more of this group's employees answered "
                f"({int(last['respondents']):,}) than the headcount the data give "
                f"({int(last['headcount']):,}); the headcount is likely out of date."]
    if pd.isna(last["rate"]):
        return ["Participation is not known: the data hold no headcount for every unit of this "
                "group (unit_outcomes.employees or units.headcount)."]
    said = (f"{last['rate']:.0%} of this group's employees answered the latest survey "
            f"({int(last['respondents']):,} of {int(last['headcount']):,})")
    if last["rate"] < data.low_participation:
        return [f"Only {said}: below {data.low_participation:.0%}, its employee results may not "
                "represent the whole group."]
    return [f"{said[:1].upper()}{said[1:]}."]
