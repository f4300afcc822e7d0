"""Alerts in words: the groups whose scores moved beyond survey noise since the last wave, as
the data audit, the executive summary and each group report show them."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.vocabulary import format_number, measure_label

#: what a whole-organisation alert's group is called
WHOLE = "The whole organisation"

#: The rule an alert follows, said under every table of alerts.
ALERT_RULE = (
    "An alert is a change since the last survey wave (employees) or quarter (customers) that is "
    "larger than survey noise once every group and measure is corrected for together "
    "(Benjamini–Hochberg false discovery rate {alpha:.0%}), of at least {min_change:g} points, in a "
    "group with at least {min_group_size} respondents in both periods. A change is reported once, "
    "at the highest level where it holds: a region's drop is not repeated for each of its units. "
    "Unit types cut across regions and are not alerted on.")

#: Column headers of an alerts table.
ALERT_LABELS = {"group_name": "Group", "outcome": "Measure", "term": "From – to",
                "estimate": "Change ({ci})", "q_value": "q (FDR)", "n_before": "Respondents before",
                "n": "Respondents after"}

ALERT_COLUMNS = ["group_name", "outcome", "term", "estimate", "ci_low", "ci_high", "q_value",
                 "n_before", "n"]


def recorded_alerts(results: pd.DataFrame) -> pd.DataFrame | None:
    """The alerts a run's data audit recorded (their numbers as numbers again), or None when
    the audit's results are not in ``results`` (it did not run)."""
    if results is None or "analysis" not in results or not (results["analysis"] == "metrics").any():
        return None
    rows = results[results["estimand"] == "change_alert"].copy()
    for column in ("q_value", "n_before", "min_change"):
        rows[column] = pd.to_numeric(rows[column]) if column in rows else pd.Series(dtype=float)
    return rows.reset_index(drop=True)


#: the most alerts a summary or a group report lists (the data audit lists them all)
SHOWN_ALERTS = 20


def alert_table(alerts: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The alerts as a table for leaders: the group by its name, the measure in words; with
    ``limit``, the whole organisation's and regions' alerts first, then the largest changes."""
    if alerts is None or alerts.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    out = alerts.copy()
    if limit is not None and len(out) > limit:
        rank = out["subject"].str.startswith("unit_id=").astype(int)
        out = out.assign(_rank=rank, _size=-out["estimate"].abs()).sort_values(
            ["_rank", "_size"], kind="stable").head(limit).drop(columns=["_rank", "_size"])
    out["outcome"] = out["outcome"].map(alert_measure)
    keep = [c for c in ALERT_COLUMNS if c in out] + ["confidence"]
    return out[keep].reset_index(drop=True)


def alert_sentence(alerts: pd.DataFrame) -> str:
    """One sentence: how many alerts, and the largest fall and rise by name."""
    if alerts is None or alerts.empty:
        return "No group's score moved beyond survey noise since the last survey."
    falls = alerts[alerts["estimate"] < 0].sort_values("estimate")
    rises = alerts[alerts["estimate"] > 0].sort_values("estimate", ascending=False)
    count = len(alerts)
    parts = [f"{count} change{'s' if count != 1 else ''} since the last survey "
             f"{'are' if count != 1 else 'is'} larger than survey noise"]
    for rows, verb in ((falls, "fell"), (rises, "rose")):
        if len(rows):
            r = rows.iloc[0]
            parts.append(f"{_whose(r['group_name'])} {alert_measure(r['outcome'])} {verb} "
                         f"{format_number(abs(r['estimate']))} points ({r['term']})")
    return parts[0] + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."


def more_alerts(alerts: pd.DataFrame | None, limit: int = SHOWN_ALERTS) -> str | None:
    """What a shortened table of alerts leaves out, in a sentence (None when it is whole)."""
    if alerts is None or len(alerts) <= limit:
        return None
    return (f"The {limit} alerts shown are the organisation's and regions' first, then the "
            f"largest changes; the data audit lists all {len(alerts):,}.")


def _whose(name: str) -> str:
    return "the organisation's" if name == WHOLE else f"{name}'s"


def alert_measure(outcome: str) -> str:
    """An alert's measure in words: an item's alert is on its % favourable."""
    return f"{measure_label(outcome)} (% favourable)" if outcome.startswith("eng_") else \
        measure_label(outcome)


def alert_rule(confidence: float, min_change: float, min_group_size: int) -> str:
    """The rule an alert follows, with this run's settings."""
    return ALERT_RULE.format(alpha=1 - confidence, min_change=min_change,
                             min_group_size=min_group_size)


def for_group(alerts: pd.DataFrame | None, group_by: str, group: str, units: list[str],
              regions: list[str]) -> pd.DataFrame | None:
    """The alerts a group's report shows: its own, its units', and those of the levels above
    it that cover it (its region's, the whole organisation's); None when the run's audit did
    not record alerts (:func:`recorded_alerts`)."""
    if alerts is None:
        return None
    mine = {"company", f"{group_by}={group}", *(f"unit_id={u}" for u in units)}
    if group_by in ("region", "unit"):
        mine |= {f"region={r}" for r in regions}
    return alerts[alerts["subject"].isin(mine)].reset_index(drop=True)


def group_alert_sentence(alerts: pd.DataFrame | None) -> str:
    """What a group report says of its alerts."""
    if alerts is None:
        return ("Alerts come from this run's data audit, whose results this report cannot read "
                "(the audit did not run): run the data audit first to see which groups moved "
                "beyond survey noise.")
    if alerts.empty:
        return ("Across the organisation, no change of this group, its units or the levels above it "
                "is larger than survey noise since the last survey.")
    count = len(alerts)
    whole = alert_sentence(alerts)
    detail = whole.split(": ", 1)[1] if ": " in whole else ""
    return (f"{count} alert{'s' if count != 1 else ''} of the organisation's (changes since the "
            f"last survey beyond survey noise across every group at once) concern{'s' if count == 1 else ''} "
            f"this group, its units or the levels above it" + (f": {detail}" if detail else "."))
