"""What changed since the last survey: each score's change from the previous survey wave (or
quarter, for customer scores) to the latest, with its interval, for the company or a group.

A table of a dozen changes will show one "significant" change by chance now and then, so
the whole table is corrected together: each change gets a Benjamini–Hochberg q-value
(``scipy.stats.false_discovery_control``) and is marked as a real rise or fall only when its
q-value is below ``1 − confidence``. Employee changes need both waves to reach the
confidentiality threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.estimators import alerts as alert_rule
from cxex_analysis.panels.periods import wave_length
from cxex_analysis.panels.respondent_scores import (
    change_since_previous,
    csat,
    engagement_index,
    enps,
    item_columns,
    nps,
    pct_favourable,
    respondent_engagement,
)
from cxex_analysis.panels.score_tables import levels
from cxex_analysis.privacy import hidden_in_hierarchy
from cxex_analysis.results import tidy
from cxex_analysis.vocabulary import period_label

#: the smallest change an alert is raised for (points on 0-100 scales)
MIN_CHANGE = 5.0

#: the hierarchy alerts are reported along, highest first (unit types cut across it)
ALERT_HIERARCHY = ["region", "unit_id"]


def _last_two(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    periods = sorted(frame[column].dropna().unique())[-2:]
    return frame[frame[column].isin(periods)]


def _employee_levels(employees: pd.DataFrame, confidence: float, min_group_size: int) -> list[pd.DataFrame]:
    recent = _last_two(employees, "wave")
    kwargs: dict[str, Any] = dict(over="wave", confidence=confidence, min_group_size=min_group_size)
    items = item_columns(recent)
    frames = [engagement_index(recent, items, **kwargs), pct_favourable(recent, items, **kwargs)]
    if "enps" in recent and recent["enps"].notna().any():
        frames.append(enps(recent, **kwargs))
    frames.append(pct_favourable(recent, items, each_item=True, **kwargs))
    return frames


def since_last_survey(employees: pd.DataFrame | None, customers: pd.DataFrame | None,
                      confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                      subject: str = "all",
                      scores: tuple[pd.DataFrame | None, pd.DataFrame | None] = (None, None)
                      ) -> pd.DataFrame:
    """Tidy ``change_since_previous`` rows, one per score, with ``q_value`` (BH) and ``mark``
    ("rise", "fall" or "") columns. ``employees`` need a ``wave`` column, ``customers`` a
    ``quarter`` column; either may be None. ``scores``: (employee, customer) unit scores of
    a platform (:mod:`cxex_analysis.panels.score_tables`) for a survey the data set has only
    as scores; each period's level is their respondent-weighted mean."""
    frames = [_score_changes(rows, confidence, min_group_size if employee else None)
              for rows, employee in zip(scores, (True, False)) if rows is not None]
    if employees is not None and len(employees) and employees["wave"].nunique() > 1:
        levels = [level for level in _employee_levels(employees, confidence, min_group_size)
                  if len(level)]
        if levels:  # one call for every score: each is its own outcome
            frames.append(change_since_previous(pd.concat(levels, ignore_index=True), "wave",
                                                confidence))
    if customers is not None and len(customers) and customers["quarter"].nunique() > 1:
        recent = _last_two(customers, "quarter")
        levels = [measure(recent, over="quarter", confidence=confidence)
                  for column, measure in (("nps", nps), ("csat", csat))
                  if column in recent and recent[column].notna().any()]
        if levels:
            frames.append(change_since_previous(pd.concat(levels, ignore_index=True), "quarter",
                                                confidence))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["subject"] = subject
    out["analysis"] = "changes"
    return marked(out, confidence)


def _score_changes(rows: pd.DataFrame, confidence: float,
                   min_group_size: int | None) -> pd.DataFrame:
    """The change of each measure between the latest two periods of unit scores."""
    recent = rows[rows["period"].isin(sorted(rows["period"].unique())[-2:])]
    if recent["period"].nunique() < 2:
        return tidy([])
    length = wave_length(rows["period"])  # periods named as the waves are long ('2024')
    length = length if length in ("year", "half-year", "quarter", "month") else "wave"
    levelled = [levels(part, confidence=confidence, min_group_size=min_group_size)
                .assign(**{length: period}) for period, part in recent.groupby("period")]
    return change_since_previous(pd.concat(levelled, ignore_index=True), length, confidence)


def marked(changes: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """A copy of one table's changes with ``q_value`` (Benjamini–Hochberg over the table) and
    ``mark``: "▲ better" or "▼ worse" where q < 1 − confidence, else ""."""
    out = changes.copy()
    tested = out["p_value"].notna()
    out["q_value"] = np.nan
    if tested.any():
        out.loc[tested, "q_value"] = stats.false_discovery_control(out.loc[tested, "p_value"].to_numpy())
    real = out["q_value"] < 1 - confidence  # every score here is higher = better
    out["mark"] = np.where(real & (out["estimate"] > 0), "▲ better",
                           np.where(real & (out["estimate"] < 0), "▼ worse", ""))
    return out


def fdr_note(changes: pd.DataFrame, confidence: float = 0.95) -> str:
    """The multiple-comparison sentence under a table of changes."""
    tested = int(changes["q_value"].notna().sum()) if len(changes) else 0
    return (f"Marked ▲/▼: changes larger than survey noise after correcting for the {tested} "
            f"changes in this table at once (Benjamini–Hochberg false discovery rate "
            f"{1 - confidence:.0%}); unmarked changes may be chance. The interval is each change's "
            f"own {confidence:.0%} interval.")


def _net(values: pd.Series) -> pd.Series:
    """Each 0-10 answer coded as in a net score: promoter +100, passive 0, detractor -100."""
    x = values.astype(float)
    return pd.Series(np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)),
                     index=values.index).where(x.notna())


def _as_dates(values: pd.Series) -> pd.Series:
    """Waves or quarters as Timestamps (a categorical converted once per category)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.rename_categories(pd.to_datetime(values.cat.categories.astype(str))) \
            .astype("datetime64[ns]")
    return pd.to_datetime(values)


def alert_rows(employees: pd.DataFrame | None,
               customers: pd.DataFrame | None) -> tuple[list[pd.DataFrame], dict]:
    """(a frame per survey, one row per respondent with each measure an alert looks at, and
    the readers' names of the waves). Measures are on their 0-100 scale (a net score's
    -100..100): engagement, eNPS and each item's % favourable for employees (their survey
    wave), NPS and CSAT (% 4-5) for customers (their quarter); ``wave`` is a Timestamp."""
    parts, names = [], {}
    if employees is not None and len(employees) and any(c.startswith("eng_") for c in employees):
        items = item_columns(employees)
        measured = pd.DataFrame({
            "engagement_index": respondent_engagement(employees, items),
            **{item: (employees[item].astype(float) >= 4).astype(float).mul(100)
               .where(employees[item].notna()) for item in items}})
        if "enps" in employees:
            measured["enps"] = _net(employees["enps"])
        wave = _as_dates(employees["wave"])
        names.update({w: period_label(w, "wave") for w in wave.dropna().unique()})
        parts.append(measured.assign(wave=wave, **{c: employees[c] for c in ALERT_HIERARCHY}))
    if customers is not None and len(customers) and "unit_id" in customers:
        measured = pd.DataFrame(index=customers.index)
        if "nps" in customers:
            measured["nps"] = _net(customers["nps"])
        if "csat" in customers:
            x = customers["csat"].astype(float)
            measured["csat"] = (x >= 4).astype(float).mul(100).where(x.notna())
        wave = _as_dates(customers["quarter"])
        names.update({w: period_label(w) for w in wave.dropna().unique()})
        parts.append(measured.assign(wave=wave, **{c: customers[c] for c in ALERT_HIERARCHY}))
    return parts, names


def hidden_in_either_wave(employees: pd.DataFrame | None, min_group_size: int) -> dict:
    """The regions and units whose employee results are hidden in either of the last two
    waves (too small, or worked out by subtraction from the groups shown beside them), and
    the employee measures that hides: an alert on them would give a hidden score away."""
    if employees is None or not len(employees) or "wave" not in employees:
        return {}
    hidden: dict = {"region": set(), "unit_id": set(),
                    "measures": {"engagement_index", "enps", *(c for c in employees
                                                               if c.startswith("eng_"))}}
    people = employees if "unit_type" in employees else employees.assign(unit_type="all")
    for wave in sorted(people["wave"].dropna().unique())[-2:]:
        counts = (people[people["wave"] == wave]
                  .groupby(["unit_id", "region", "unit_type"], observed=True).size()
                  .rename("n").reset_index())
        hidden["region"] |= hidden_in_hierarchy(counts, "region", min_group_size)
        hidden["unit_id"] |= hidden_in_hierarchy(counts, "unit", min_group_size)
    return hidden


def alerts(employees: pd.DataFrame | None, customers: pd.DataFrame | None,
           unit_names: dict[str, str], confidence: float = 0.95,
           min_group_size: int = MIN_GROUP_SIZE, min_change: float = MIN_CHANGE) -> pd.DataFrame:
    """Tidy ``change_alert`` rows (:func:`cxex_analysis.estimators.alerts.alerts`) for the
    company, its regions and its units on every measure of :func:`alert_rows`, employees and
    customers corrected together; an extra ``group_name`` column names each group as readers
    know it (a unit's name, a region, "The whole organisation")."""
    rows, names = alert_rows(employees, customers)
    if not rows:
        return tidy([])
    measures = [c for part in rows for c in part.columns
                if c not in ("wave", *ALERT_HIERARCHY) and part[c].notna().any()]
    found = alert_rule.alerts(rows, measures, ALERT_HIERARCHY, "wave", min_group_size,
                              min_change, confidence, wave_names=names,
                              hidden=hidden_in_either_wave(employees, min_group_size))
    if found.empty:
        return found
    group = found["subject"].str.partition("=")[2]
    found["group_name"] = np.where(found["level"] == "unit_id", group.map(lambda g: unit_names.get(g, g)),
                                   np.where(found["level"] == "region", group,
                                            "The whole organisation"))
    return found
