"""A pilot's data: its registry row and units, monthly and quarterly panels of its units and
of the units it can be compared with, and per-unit summaries before and after the start.

A randomized pilot keeps its own arms; a staggered or observational pilot that lists no
control arm is compared with the units no pilot changed while the data run
(:func:`comparison_units`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxex_analysis.errors import ParameterError
from cxex_analysis.panels.periods import period_index
from cxex_analysis.panels.score_tables import scores_only, unit_panel
from cxex_analysis.panels.unit_panels import cx_panel, ex_panel, outcomes_panel
from cxex_analysis.privacy import blank_small
from cxex_analysis.store.warehouse import has_table, read_table


def pilot_registry(con) -> pd.DataFrame:
    """The pilots table (empty frame if the warehouse has none)."""
    return read_table(con, "pilots")


def units_like_pilot(con, pilot_id: str) -> list[str]:
    """Every unit of the unit types a pilot ran in (where scaling it would go)."""
    return [r[0] for r in con.execute(
        "SELECT unit_id FROM units WHERE unit_type IN (SELECT DISTINCT u.unit_type FROM "
        "pilot_assignments a JOIN units u USING (unit_id) WHERE a.pilot_id = ?)",
        [pilot_id]).fetchall()]


def pilot_panels(con, pilot_id: str, min_group_size: int = 5) -> dict:
    """Monthly and quarterly unit panels of a pilot's units, with arm and start period.

    ``assignments`` holds the pilot's own units and, as ``comparison == "outside"``, the
    units the pilot could be compared with from the rest of the organisation: units in no
    pilot and the control arms of other pilots (never treated during the data's window).
    ``monthly`` holds customer and money outcomes by month, ``cx_quarterly`` the same by
    quarter, ``quarterly`` the employee scores by survey quarter.
    """
    pilots = pilot_registry(con)
    if pilots.empty or pilot_id not in set(pilots["pilot_id"]):
        known = ", ".join(sorted(pilots["pilot_id"])) if not pilots.empty else "none"
        raise ParameterError(f"`pilot_id` {pilot_id!r} is not in the pilot registry (pilots: {known}).")
    pilot = pilots[pilots["pilot_id"] == pilot_id].iloc[0]
    assignments = con.execute(
        "SELECT a.unit_id, a.arm, a.start_date, u.region, u.unit_type, 'pilot' AS comparison "
        "FROM pilot_assignments a JOIN units u USING (unit_id) WHERE a.pilot_id = ?",
        [pilot_id]).df()
    if assignments.empty:
        raise ParameterError(f"pilot {pilot_id!r} has no unit assignments.")

    frames = {"monthly": unit_outcomes(con, "month"), "cx_quarterly": unit_outcomes(con, "quarter"),
              "quarterly": employee_outcomes(con, min_group_size)}
    last = max((f["period"].max() for f in frames.values() if not f.empty), default=pd.NaT)
    # units never treated by any pilot while the data run: no pilot, or another pilot's controls
    outside = con.execute(
        "SELECT u.unit_id, 'control' AS arm, NULL::DATE AS start_date, u.region, u.unit_type, "
        "'outside' AS comparison FROM units u WHERE u.unit_id NOT IN "
        "(SELECT unit_id FROM pilot_assignments WHERE pilot_id = ?) AND u.unit_id NOT IN "
        "(SELECT unit_id FROM pilot_assignments WHERE arm = 'treatment' "
        " AND (start_date IS NULL OR CAST(start_date AS DATE) <= CAST(? AS DATE)))",
        [pilot_id, (last if pd.notna(last) else pd.Timestamp("2100-01-01")).date()]).df()
    units = pd.concat([assignments, outside], ignore_index=True).set_index("unit_id")
    for name, frame in frames.items():
        freq = "quarter" if name != "monthly" else "month"
        frame = frame[frame["unit_id"].isin(units.index)].copy()
        frame["t"] = period_index(frame["period"], freq)
        start = pd.to_datetime(frame["unit_id"].map(units["start_date"]))
        for column in ("arm", "region", "unit_type", "comparison"):
            frame[column] = frame["unit_id"].map(units[column])
        frame["cohort"] = np.where(
            start.notna(), period_index(start.fillna(pd.Timestamp("2000-01-01")), freq), 0)
        frames[name] = frame
    return {"pilot": pilot, "assignments": assignments, "outside": outside,
            "last_period": last, **frames}


def unit_outcomes(con, freq: str) -> pd.DataFrame:
    """Every unit's customer scores (from the answers, or a platform's unit scores) and
    money outcomes by month or quarter, one row per unit and period."""
    _, customer_scores = scores_only(con)
    parts = [cx_panel(con, freq)] if has_table(con, "customer_survey") else []
    if customer_scores is not None:  # a platform's unit scores, not answers
        parts.append(unit_panel(customer_scores, freq))
    if has_table(con, "unit_outcomes"):
        parts.append(outcomes_panel(con, freq).drop(columns=["months"]))
    if len(parts) == 2:
        return parts[0].merge(parts[1], on=["unit_id", "period"], how="outer")
    return parts[0] if parts else pd.DataFrame({"unit_id": pd.Series(dtype=object),
                                                "period": pd.Series(dtype="datetime64[ns]")})


def employee_outcomes(con, min_group_size: int) -> pd.DataFrame:
    """Employee scores by survey wave: from the answers, or a platform's unit scores
    (``wave`` the export's period, ``period`` its quarter), each hidden under
    ``min_group_size`` respondents."""
    if has_table(con, "employee_survey"):
        return ex_panel(con, min_group_size, include_items=False)
    scores, _ = scores_only(con)
    if scores is None:
        return pd.DataFrame({"unit_id": pd.Series(dtype=object),
                             "period": pd.Series(dtype="datetime64[ns]")})
    panel = unit_panel(scores[~scores["measure"].str.startswith("eng_")]).rename(
        columns={"responses": "respondents"})
    panel.insert(1, "wave", panel["period"])
    panel["period"] = panel["wave"].dt.to_period("Q").dt.start_time
    measures = [c for c in panel.columns if c not in ("unit_id", "wave", "period", "respondents")]
    return blank_small(panel, "respondents", measures, min_group_size)


def outcome_frequency(outcome: str) -> str:
    return "quarter" if outcome in ("engagement_index", "enps", "pct_favourable") else "month"


def unit_summary(panels: dict, outcomes: Sequence[str], pre_periods: int = 0,
                 post_periods: int = 0) -> pd.DataFrame:
    """Per unit: pre- and post-start means of each outcome (randomized and observational pilots).

    All units of a pilot share one start date here (the earliest treated start); windows are
    in months for customer and money outcomes and in quarters (waves) for employee outcomes;
    0 means all available periods.
    """
    assignments = panels["units"]
    start = pd.to_datetime(assignments["start_date"]).min()
    table = assignments.set_index("unit_id")[["arm", "region", "unit_type", "comparison"]].copy()
    for outcome in outcomes:
        freq = outcome_frequency(outcome)
        frame = panels["quarterly" if freq == "quarter" else "monthly"]
        if outcome not in frame.columns:
            continue
        start_t = int(period_index(pd.Series([start]), freq).iloc[0])
        pre = frame[frame["t"] < start_t]
        post = frame[frame["t"] >= start_t]
        if pre_periods:
            pre = pre[pre["t"] >= start_t - pre_periods]
        if post_periods:
            post = post[post["t"] < start_t + post_periods]
        table[f"{outcome}_pre"] = pre.groupby("unit_id")[outcome].mean()
        table[outcome] = post.groupby("unit_id")[outcome].mean()
    return table.reset_index()


def available_outcomes(panels: dict, outcomes: Sequence[str]) -> list[str]:
    found = []
    for outcome in outcomes:
        frame = panels["quarterly" if outcome_frequency(outcome) == "quarter" else "monthly"]
        if outcome in frame.columns and frame[outcome].notna().any():
            found.append(outcome)
    return found


def comparison_units(panels: dict, design: str, control_group: str) -> tuple[dict, str, str | None]:
    """Which units the pilot is compared with: (panels kept to them, control group, note).

    A randomized pilot keeps its own arms. A staggered or observational pilot that lists no
    control arm is compared with the organisation's units that no pilot treated while the
    data run (units in no pilot, control arms of other pilots); a staggered pilot with none
    of those either compares each start group with the units that had not started yet.
    """
    listed = (panels["assignments"]["arm"] == "control").any()
    outside = panels["outside"]
    with_data = outside["unit_id"].isin(panels["monthly"]["unit_id"]) | \
        outside["unit_id"].isin(panels["quarterly"]["unit_id"])
    borrow = design in ("staggered", "observational") and not listed and with_data.any()
    keep = {"pilot", "outside"} if borrow else {"pilot"}
    kept = dict(panels)
    for name in ("monthly", "cx_quarterly", "quarterly"):
        kept[name] = panels[name][panels[name]["comparison"].isin(keep)]
    kept["units"] = (pd.concat([panels["assignments"], outside[with_data]], ignore_index=True)
                     if borrow else panels["assignments"])
    note = None
    if borrow:
        note = (f"This pilot lists no comparison units, so it is compared with the "
                f"{int(with_data.sum())} units of the organisation that no pilot changed while "
                "the data run (units in no pilot and the control groups of other pilots). The "
                "balance table shows how alike they were before the start.")
    elif design == "staggered" and not listed:
        if control_group == "never_treated":
            control_group = "not_yet_treated"
        note = ("No unit of this pilot or of the rest of the organisation stays without a pilot, "
                "so each group of units is compared with the units that had not started yet.")
    return kept, control_group, note


def not_started_note(panels: dict) -> str | None:
    """A sentence when the data end before the pilot's first start (nothing after it yet)."""
    start = pd.to_datetime(panels["assignments"]["start_date"]).min()
    last = panels["last_period"]
    if pd.isna(start):
        return "No unit of this pilot has a start date, so there is no before and after to compare."
    if pd.isna(last) or pd.Timestamp(last) < start.to_period("M").to_timestamp():
        until = "no data" if pd.isna(last) else f"data up to {pd.Timestamp(last):%B %Y}"
        return (f"The pilot started in {start:%B %Y} and there are {until}, so nothing after the "
                "start can be compared yet. The units' results before the start are the "
                "baseline for the next report.")
    return None
