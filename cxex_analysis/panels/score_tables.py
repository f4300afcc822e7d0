"""A survey platform's unit-level scores, read as cxex reads answers, and the levels of a group
or the company from them.

``employee_scores`` and ``customer_scores`` (issue 37) hold one row per unit, period and
measure. Read here, each measure takes the name cxex gives it (``engagement`` →
``engagement_index``; ``pct_favourable``, ``enps``, ``eng_*`` items, ``nps``, ``csat``,
``ces`` as they are), on cxex's scale (an engagement score or an item given on another scale
is rescaled to 0–100 from its scale's ends: a 1–5 mean becomes the engagement index cxex
computes from answers), with the sampling variance of the unit's score:

* ``sd² / n`` where the export gives ``sd``;
* else the measure's known variance: % favourable and CSAT as a share, p(1 − p) / n (an
  upper bound for % favourable, whose respondents answer several items); eNPS and NPS from
  the trinomial bound (1 − (score / 100)²) / n (exact when nobody is passive, an upper bound
  otherwise); any other measure takes the spread of the rows that give one. What was
  assumed is returned as sentences for the report.

A group's level (:func:`levels`) is the respondent-weighted mean of its units' scores — what
the answers pooled would give — and its sampling error that of a stratified sample
(each unit a stratum): ``√(Σ n² v) / Σ n``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import check_confidence
from cxex_analysis.privacy import SUPPRESSED_METHOD, is_shown
from cxex_analysis.results import tidy
from cxex_analysis.store.warehouse import has_table, read_table

#: a platform's measure names → cxex's
NAMES = {"engagement": "engagement_index"}

#: measures rescaled to 0–100 when the export gives another scale
RESCALED = ("engagement", "pct_favourable")

#: why a correction that needs halves of the respondents is not made from a platform's scores
NO_HALVES = ("a platform's unit scores cannot be split into halves of their respondents, which "
             "this correction for survey noise needs")

#: the method of a level from unit scores
LEVEL_METHOD = "respondent_weighted_mean_of_unit_scores_stratified_sampling_variance_normal"


def employee_score_rows(con) -> tuple[pd.DataFrame, list[str]]:
    """``employee_scores`` as ``unit_id, period, measure, value, n, var`` (cxex's names and
    scales) and what was assumed; an empty frame without the table."""
    return _rows(con, "employee_scores")


def customer_score_rows(con) -> tuple[pd.DataFrame, list[str]]:
    """``customer_scores`` as :func:`employee_score_rows` gives the employees'."""
    return _rows(con, "customer_scores")


def _rows(con, table: str) -> tuple[pd.DataFrame, list[str]]:
    columns = ["unit_id", "period", "measure", "value", "n", "var"]
    if not has_table(con, table):
        return pd.DataFrame(columns=columns), []
    scores = read_table(con, table)
    measure = scores["measure"].str.lower()
    sd = scores["sd"] if "sd" in scores.columns else pd.Series(np.nan, index=scores.index)
    value = scores["value"].astype(float)
    notes = []
    if {"scale_min", "scale_max"} <= set(scores.columns):
        low, high = scores["scale_min"], scores["scale_max"]
        other = (measure.isin(RESCALED) | measure.str.startswith("eng_")) & low.notna() \
            & high.notna() & ((low != 0) | (high != 100))
        span = (high - low).where(other, 100.0)
        value = value.where(~other, (value - low) / span * 100)
        sd = sd.where(~other, sd / span * 100)
        if other.any():
            notes.append("Scores given on another scale are rescaled to 0–100 from their "
                         "scale's ends, as cxex's engagement index is.")
    frame = pd.DataFrame({"unit_id": scores["unit_id"], "period": pd.to_datetime(scores["period"]),
                          "measure": measure.replace(NAMES), "value": value,
                          "n": scores["n"].astype(float), "var": sd ** 2 / scores["n"]})
    for name, rows in frame[frame["var"].isna()].groupby("measure"):
        fallback, said = known_variance(str(name), rows["value"], rows["n"],
                                        frame.loc[frame["measure"] == name, "var"]
                                        * frame.loc[frame["measure"] == name, "n"])
        frame.loc[rows.index, "var"] = fallback
        notes.append(said)
    return frame[columns], notes


def known_variance(measure: str, value: pd.Series, n: pd.Series,
                   spread: pd.Series) -> tuple[pd.Series, str]:
    """A score's sampling variance where the export gives no ``sd``, and what was assumed;
    ``spread``: the squared sd of the measure's rows that give one (NaN elsewhere)."""
    name = measure.replace("_", " ")
    if measure in ("enps", "nps"):
        return ((1 - (value / 100) ** 2).clip(lower=0) * 1e4 / n,
                f"Where the export gives no sd, the {name} score's sampling variance is its "
                "bound (1 − (score / 100)²) / n, exact when nobody answers 7–8 and larger "
                "otherwise: its noise may be over-corrected a little.")
    if measure in ("pct_favourable", "csat") or measure.startswith("eng_"):
        share = (value / 100).clip(0, 1)
        return (share * (1 - share) * 1e4 / n,
                f"Where the export gives no sd, the {name} score's sampling variance is that "
                "of a share, p(1 − p) / n.")
    pooled = float(np.sqrt(np.nanmean(spread))) if spread.notna().any() else np.nan
    return (pd.Series(pooled ** 2, index=value.index) / n,
            f"Where the export gives no sd, the {name} score's spread is the average of the "
            f"rows that give one ({pooled:.1f})." if np.isfinite(pooled) else
            f"The export gives no sd for the {name} score, so its sampling noise is unknown.")


def levels(rows: pd.DataFrame, by: str | None = None, confidence: float = 0.95,
           min_group_size: int | None = None) -> pd.DataFrame:
    """Tidy rows (analysis ``metrics``, estimand ``metric_level``) of each measure of
    ``rows`` (one period's unit scores), per group ``by`` or for all of them: the
    respondent-weighted mean, its stratified sampling error and a normal interval;
    ``n`` = respondents. With ``min_group_size`` (employees), a group under it keeps its
    row with every number empty.

    Examples
    --------
    >>> rows = pd.DataFrame({"unit_id": ["a", "b"], "measure": "engagement_index",
    ...                      "value": [60.0, 70.0], "n": [10.0, 30.0], "var": [4.0, 1.0]})
    >>> row = levels(rows).iloc[0]
    >>> row["estimate"], round(row["se"], 3), int(row["n"])  # (600 + 2100) / 40; √(400 + 900) / 40
    (67.5, 0.901, 40)
    """
    confidence = check_confidence(confidence)
    keys = ([by] if by else []) + ["measure"]
    data = rows.dropna(subset=["value", "n"]).assign(
        nv=lambda d: d["n"] * d["value"], n2v=lambda d: d["n"] ** 2 * d["var"])
    if data.empty:
        return tidy([])
    cells = data.groupby(keys, sort=True)[["n", "nv", "n2v"]].sum(min_count=1).reset_index()
    z = stats.norm.ppf(0.5 + confidence / 2)
    out = []
    for cell in cells.itertuples(index=False):
        estimate, se = cell.nv / cell.n, np.sqrt(cell.n2v) / cell.n
        row = {"analysis": "metrics", "estimand": "metric_level", "outcome": cell.measure,
               "term": "level", "estimate": estimate, "se": se, "ci_low": estimate - z * se,
               "ci_high": estimate + z * se, "p_value": np.nan, "confidence": confidence,
               "n": cell.n, "method": LEVEL_METHOD,
               "subject": "all" if not by else str(getattr(cell, by))}
        if by:
            row[by] = getattr(cell, by)
        if min_group_size is not None and not is_shown(cell.n, min_group_size):
            row.update(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, n=np.nan,
                       method=SUPPRESSED_METHOD.format(k=min_group_size))
        out.append(row)
    return tidy(out, extra=[by] if by else [])


def latest(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest period."""
    return rows[rows["period"] == rows["period"].max()] if len(rows) else rows


def recent(rows: pd.DataFrame, periods: int = 2) -> pd.DataFrame:
    """The rows of the latest ``periods`` periods."""
    return rows[rows["period"].isin(sorted(rows["period"].unique())[-periods:])]


def scores_only(con) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(employee, customer) unit scores with each unit's region and unit type, for a survey
    the data set has only as a platform's scores (None where it has the answers, or
    neither)."""
    out: list[pd.DataFrame | None] = []
    for survey, read in (("employee_survey", employee_score_rows),
                         ("customer_survey", customer_score_rows)):
        rows = None if has_table(con, survey) else read(con)[0]
        if rows is not None and len(rows):
            units = con.execute("SELECT unit_id, region, unit_type FROM units").df()
            rows = rows.merge(units, on="unit_id")
        out.append(rows if rows is not None and len(rows) else None)
    return out[0], out[1]


def by_period(rows: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """One row per period (and group ``by``): respondents (the most of any measure in a unit,
    summed over units) and the respondent-weighted mean of each measure, wide — the shape of
    the group reports' trend frames."""
    keys = ([by] if by else []) + ["period"]
    data = rows.assign(nv=rows["n"] * rows["value"])
    wide = data.groupby(keys + ["measure"])[["n", "nv"]].sum()
    values = (wide["nv"] / wide["n"]).unstack("measure")
    respondents = (rows.groupby(keys + ["unit_id"])["n"].max().groupby(keys).sum()
                   .rename("respondents"))
    return pd.concat([respondents, values], axis=1).reset_index()


def unit_panel(rows: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """Unit × period of a platform's scores in the shape of the answers' panels
    (:func:`cxex_analysis.panels.unit_panels.cx_panel` and ``ex_panel``): per measure its
    value, ``<measure>_se`` and ``<measure>_n``, and ``responses`` (the most of any
    measure); periods as exported, or pooled into ``freq`` ('month', 'quarter') weighted by
    respondents."""
    data = rows.copy()
    if freq:
        data["period"] = data["period"].dt.to_period({"month": "M", "quarter": "Q"}[freq]) \
            .dt.start_time
    data = data.assign(nv=data["n"] * data["value"], n2v=data["n"] ** 2 * data["var"])
    cells = data.groupby(["unit_id", "period", "measure"])[["n", "nv", "n2v"]].sum()
    wide = pd.DataFrame({"value": cells["nv"] / cells["n"], "se": np.sqrt(cells["n2v"]) / cells["n"],
                         "n": cells["n"]}).unstack("measure")
    wide.columns = [m if part == "value" else f"{m}_{part}" for part, m in wide.columns]
    measures = [c for c in wide.columns if not c.endswith(("_se", "_n"))]
    wide["responses"] = wide[[f"{m}_n" for m in measures]].max(axis=1)
    return wide.reset_index().sort_values(["unit_id", "period"], ignore_index=True)
