"""The panels the EX → CX tests and the money links start from: unit × quarter with each
score and its two halves, the pilot quarters flagged, and money outcomes as monthly rates
beside the previous wave's engagement.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxex_analysis.panels.periods import period_index, pilot_exposure
from cxex_analysis.panels.score_tables import scores_only
from cxex_analysis.panels.unit_panels import cx_halves, ex_halves, share_sql, unit_panel
from cxex_analysis.store import disk_cache
from cxex_analysis.store.warehouse import has_table, identity, location, read_table
from cxex_analysis.vocabulary import EX_MEASURE


def has_both_surveys(con) -> bool:
    """The linkage needs the employee and the customer survey: the answers, or a platform's
    unit scores."""
    return (any(has_table(con, t) for t in ("employee_survey", "employee_scores"))
            and any(has_table(con, t) for t in ("customer_survey", "customer_scores")))


def build_panel(con, min_group_size: int = 5) -> pd.DataFrame:
    """Unit x quarter panel for the linkage tests, with ``t`` and ``pilot_active``.

    EX is the wave closing in the quarter; unit-waves under ``min_group_size`` respondents
    have no EX value (they are not used). ``pilot_active`` marks quarters in which a unit had
    started a pilot: pilots move EX and CX at once and would be mistaken for linkage, so
    the lagged tests leave those quarters out by default.

    Built once per warehouse version and kept on disk
    (:func:`~cxex_analysis.store.disk_cache.cached`): the linkage, return-on-experience and
    claims reports and every group-report kernel read the same panel (issue 41: 13 s to
    build at 5,000 units, most of it the random halves of ten million customer answers).
    """
    if not location(con):  # an in-memory warehouse has no version to keep it under
        return _as_kept(_assembled_panel(con, min_group_size))
    return disk_cache.cached("panel", (identity(con), int(min_group_size), pd.__version__),
                             lambda: _as_kept(_assembled_panel(con, min_group_size)),
                             lambda panel: ({"panel": panel}, {}),
                             lambda parts: parts[0]["panel"])


def _as_kept(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel as it reads back from disk (through Parquet in memory): the same values
    either way, and the same memory layout, so that the estimates built on it agree to the
    last digit whether this run built the panel or read it."""
    buffer = io.BytesIO()
    panel.to_parquet(buffer)
    return pd.read_parquet(buffer)


def _assembled_panel(con, min_group_size: int) -> pd.DataFrame:
    panel = unit_panel(con, min_group_size)
    # each score measured twice (random halves of its respondents): the noise-corrected links
    if has_table(con, "employee_survey"):
        panel = panel.merge(ex_halves(con, min_group_size).drop(columns=["wave"]),
                            on=["unit_id", "period"], how="left")
    if has_table(con, "customer_survey"):
        panel = panel.merge(cx_halves(con, "quarter"), on=["unit_id", "period"], how="left")
    panel["t"] = period_index(panel["period"], "quarter")
    assignments = read_table(con, "pilot_assignments") if has_table(con, "pilot_assignments") else None
    panel["pilot_active"] = pilot_exposure(assignments, panel, "quarter")
    return panel


#: money outcomes of the quarterly panel, turned into monthly rates by :func:`build_money_panel`
MONEY_OUTCOMES = ("revenue_per_customer", "churn_rate", "exit_rate")


def build_money_panel(panel: pd.DataFrame, unit: str = "unit_id", time: str = "t") -> pd.DataFrame:
    """Unit x quarter for the links to money (H4 and return on experience): CX of the
    quarter, EX of the wave before (``engagement_index`` and its halves, from quarter
    t − 1), and money outcomes as **monthly** rates averaged over the quarter (revenue per
    customer a month, churn a month, exits a month), the units notebook 03 values in.

    Quarters rather than months: a month's NPS from a few dozen answers is mostly noise,
    while what customers live through moves slowly, so a quarter's score carries about three
    times the signal share and the noise-corrected money links are far more precise.
    """
    ex = [c for c in (EX_MEASURE, f"{EX_MEASURE}_a", f"{EX_MEASURE}_b", f"{EX_MEASURE}_se")
          if c in panel.columns]
    frame = panel.drop(columns=ex)
    if ex:
        earlier = panel[[unit, time, *ex]].assign(**{time: panel[time] + 1})
        frame = frame.merge(earlier, on=[unit, time], how="left")
    else:  # a CX team's data: the money links from customer scores still hold
        for column in (EX_MEASURE, f"{EX_MEASURE}_a", f"{EX_MEASURE}_b"):
            frame[column] = np.nan
    months = frame["outcome_months"] if "outcome_months" in frame.columns else np.nan
    for column in MONEY_OUTCOMES:
        if column in frame.columns:
            frame[column] = frame[column] / months
    return frame.sort_values([unit, time]).reset_index(drop=True)


def mediation_outcomes(money: pd.DataFrame) -> list[str]:
    """The financial outcomes available for H4."""
    return [c for c in ("revenue_per_customer", "churn_rate") if c in money.columns
            and money[c].notna().any()]


def item_performance(con, items: Sequence[str]) -> pd.Series:
    """% favourable (answers 4–5) of each item over all respondents (from a platform's
    scores: its units' item scores weighted by respondents)."""
    if not items:
        return pd.Series(dtype=float)
    if not has_table(con, "employee_survey"):
        rows = scores_only(con)[0]
        rows = rows[rows["measure"].isin(items)] if rows is not None else pd.DataFrame()
        if rows.empty:
            return pd.Series(dtype=float)
        weighted = rows.assign(nv=rows["n"] * rows["value"]).groupby("measure")[["nv", "n"]].sum()
        return (weighted["nv"] / weighted["n"]).reindex(items).astype(float)

    parts = ", ".join(f"100.0 * {share_sql(f'{i} >= 4')} AS {i}" for i in items)
    row = con.execute(f"SELECT {parts} FROM employee_survey").df().iloc[0]
    return row.astype(float)
