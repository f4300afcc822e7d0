"""Unit × wave panels for EX → any outcome: each unit's EX score per survey wave with its
respondents and sampling variance, beside each outcome over the wave's period.

Either shape of the employee survey feeds it: respondent rows (``employee_survey``: the
engagement index cxex computes, its respondents and their spread) or a platform's export
(``employee_scores``: a unit's engagement, % favourable or eNPS with its ``n`` and, where
given, ``sd``). The outcomes are the organisation's own metrics (``unit_metrics``, any grain,
higher or lower better) and the customer scores (``customer_scores`` or the customer
survey's answers).

**Waves of any length.** The waves are the distinct periods of the EX scores, in order; a
wave's period runs from its date to the next wave's (the last as long as the usual gap), so
monthly pulses, quarters, half-years and years are all "waves", and "the wave before" is the
previous one in the organisation's calendar. An outcome's value for a wave is its mean over
the rows that fall in the wave's period (a customer score's: weighted by answers).

**Sampling variance.** Each score's, from respondent rows or as
:mod:`cxex_analysis.panels.score_tables` reads a platform's export (from ``sd`` and ``n``,
or the measure's known variance); what was assumed is said in :attr:`OutcomePanel.notes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.panels.periods import LENGTHS, period_starts, wave_length
from cxex_analysis.panels.score_tables import customer_score_rows, employee_score_rows
from cxex_analysis.panels.unit_panels import cx_panel, ex_halves, ex_panel
from cxex_analysis.store.warehouse import has_table, read_table

#: the EX measures of a platform's export (cxex's names), in the order one is chosen
EX_SCORES = ("engagement_index", "pct_favourable", "enps")

#: customer scores as outcomes
CX_SCORES = ("nps", "csat", "ces")


@dataclass(frozen=True)
class Outcome:
    """An outcome of the panel: whether higher or lower is better, its unit, its source."""

    name: str
    better: str = "higher"
    unit: str = ""
    source: str = "unit_metrics"


@dataclass(frozen=True)
class OutcomePanel:
    """``panel``: one row per unit and wave (``unit_id, wave, period, ex, ex_var, n``, from
    respondent rows the halves ``ex_a, ex_b``, and a column per outcome with
    ``<outcome>_var`` for a survey score); ``outcomes`` by name; ``ex_measure`` and
    ``ex_source`` say which EX score was used; ``wave_length`` names the waves' usual
    length ('year'); ``notes`` what was assumed."""

    panel: pd.DataFrame
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    ex_measure: str = ""
    ex_source: str = ""
    wave_length: str = "wave"
    notes: tuple[str, ...] = ()


def has_ex_and_outcome(con) -> bool:
    """An EX score and at least one outcome to link it to."""
    ex = has_table(con, "employee_survey") or has_table(con, "employee_scores")
    outcome = any(has_table(con, t) for t in ("unit_metrics", "customer_scores",
                                              "customer_survey"))
    return ex and outcome


def _ex_from_scores(con) -> tuple[pd.DataFrame, str, list[str]]:
    rows, notes = employee_score_rows(con)
    measure = next((m for m in EX_SCORES if (rows["measure"] == m).any()), "")
    if not measure:
        return pd.DataFrame(), "", []
    rows = rows[rows["measure"] == measure]
    frame = pd.DataFrame({"unit_id": rows["unit_id"], "date": rows["period"],
                          "ex": rows["value"].astype(float), "ex_var": rows["var"].astype(float),
                          "n": rows["n"].astype(float)})
    return frame, measure, notes


def _ex_from_respondents(con, min_group_size: int) -> pd.DataFrame:
    """The engagement index per unit-wave with its respondents, sampling variance and two
    halves of its respondents that keep their people (``ex_a``, ``ex_b``: how much of the
    noise lasts from wave to wave)."""
    scores = ex_panel(con, min_group_size, include_items=False)
    halves = ex_halves(con, min_group_size)[["unit_id", "wave", "engagement_index_a",
                                             "engagement_index_b"]]
    scores = scores.assign(wave=pd.to_datetime(scores["wave"])).merge(
        halves, on=["unit_id", "wave"], how="left")
    return pd.DataFrame({"unit_id": scores["unit_id"], "date": scores["wave"],
                         "ex": scores["engagement_index"],
                         "ex_var": scores["engagement_index_se"] ** 2,
                         "n": scores["respondents"].astype(float),
                         "ex_a": scores["engagement_index_a"],
                         "ex_b": scores["engagement_index_b"]})


def _windows(starts: pd.Series, length: str) -> pd.DataFrame:
    """Each wave's period: from its start for the waves' usual length, or to the next wave's
    start if that comes sooner (without a usual length: to the next wave's, the last for
    the median gap)."""
    waves = pd.Series(sorted(pd.to_datetime(starts).unique()))
    gap = waves.diff().median() if len(waves) > 1 else pd.Timedelta(days=365)
    following = waves.shift(-1)
    usual = waves + LENGTHS[length] if length in LENGTHS else waves + gap
    ends = following.where(following < usual, usual)
    return pd.DataFrame({"wave": np.arange(len(waves)), "start": waves, "end": ends})


def _in_wave(frame: pd.DataFrame, windows: pd.DataFrame, column: str = "date") -> pd.DataFrame:
    """``frame`` with the wave whose period holds each row's date (rows outside every
    wave's period left out: they are before the first survey or after the last)."""
    edges = windows["start"].to_numpy()
    position = np.searchsorted(edges, pd.to_datetime(frame[column]).to_numpy(), side="right") - 1
    inside = (position >= 0) & (pd.to_datetime(frame[column]).to_numpy()
                                < windows["end"].to_numpy()[position.clip(0)])
    return frame[inside].assign(wave=position[inside])


def _one_per_period(ex: pd.DataFrame) -> pd.DataFrame:
    """Two waves of a unit in one period (an extra pulse) pooled: weighted by respondents."""
    halves = [c for c in ("ex_a", "ex_b") if c in ex.columns]
    ex = ex.assign(nx=ex["n"] * ex["ex"], n2v=ex["n"] ** 2 * ex["ex_var"])
    keys = ["unit_id", "date"]
    pooled = ex.groupby(keys, as_index=False)[["n", "nx", "n2v"]].sum()
    if halves:
        pooled = pooled.merge(ex.groupby(keys, as_index=False)[halves].mean(), on=keys)
    return pooled.assign(ex=pooled["nx"] / pooled["n"],
                         ex_var=pooled["n2v"] / pooled["n"] ** 2).drop(columns=["nx", "n2v"])


def _metrics(con, windows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Outcome]]:
    metrics = read_table(con, "unit_metrics")
    metrics = _in_wave(metrics.assign(date=pd.to_datetime(metrics["period"])), windows)
    outcomes = {}
    for name, rows in metrics.groupby("metric", sort=True):
        better = rows["better"].mode().iloc[0]
        unit = rows["unit"].dropna().mode() if "unit" in rows.columns else pd.Series(dtype=str)
        outcomes[str(name)] = Outcome(str(name), str(better),
                                      str(unit.iloc[0]) if len(unit) else "", "unit_metrics")
    wide = (metrics.groupby(["unit_id", "wave", "metric"])["value"].mean()
            .unstack("metric").reset_index())
    return wide, outcomes


def _customer_scores(con, windows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    scores, notes = customer_score_rows(con)
    scores = _in_wave(scores.assign(date=scores["period"]), windows)
    scores["nv"] = scores["n"] * scores["value"]
    scores["n2v"] = scores["n"] ** 2 * scores["var"]
    cell = scores.groupby(["unit_id", "wave", "measure"])[["n", "nv", "n2v"]].sum()
    cell["value"] = cell["nv"] / cell["n"]
    cell["var"] = cell["n2v"] / cell["n"] ** 2
    wide = cell[["value", "var"]].unstack("measure")
    wide.columns = [m if part == "value" else f"{m}_var" for part, m in wide.columns]
    return wide.reset_index(), notes


def _customer_survey(con, windows: pd.DataFrame) -> pd.DataFrame:
    """NPS, CSAT and CES per unit and wave from the customers' answers, with sampling
    variances (NPS trinomial, CSAT binomial, CES from the monthly means' SEs)."""
    months = _in_wave(cx_panel(con, "month").assign(date=lambda d: pd.to_datetime(d["period"])),
                      windows)
    months["ces_n_se2"] = months["ces_n"] ** 2 * months["ces_se"] ** 2
    months["ces_sum"] = months["ces"] * months["ces_n"]
    months["csat_hits"] = months["csat"] * months["csat_n"] / 100
    cell = months.groupby(["unit_id", "wave"])[["nps_n", "promoters", "detractors", "csat_n",
                                                "csat_hits", "ces_n", "ces_sum",
                                                "ces_n_se2"]].sum(min_count=1)
    out = pd.DataFrame(index=cell.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        p, d = cell["promoters"] / cell["nps_n"], cell["detractors"] / cell["nps_n"]
        out["nps"] = 100 * (p - d)
        out["nps_var"] = 1e4 * (p + d - (p - d) ** 2) / cell["nps_n"]
        share = cell["csat_hits"] / cell["csat_n"]
        out["csat"] = 100 * share
        out["csat_var"] = 1e4 * share * (1 - share) / cell["csat_n"]
        out["ces"] = cell["ces_sum"] / cell["ces_n"]
        out["ces_var"] = cell["ces_n_se2"] / cell["ces_n"] ** 2
    keep = [c for c in CX_SCORES if out[c].notna().any()]
    return out[[col for c in keep for col in (c, f"{c}_var")]].reset_index()


def outcome_panel(con, min_group_size: int = MIN_GROUP_SIZE) -> OutcomePanel:
    """The unit × wave panel of EX and every outcome the warehouse has (an empty panel when
    it has no EX score or no outcome). EX of unit-waves under ``min_group_size`` respondents
    is not used, as everywhere else."""
    if not has_ex_and_outcome(con):
        return OutcomePanel(pd.DataFrame())
    notes: list[str] = []
    if has_table(con, "employee_survey"):
        ex, measure, source = (_ex_from_respondents(con, min_group_size), "engagement_index",
                               "employee_survey")
    else:
        ex, measure, notes = _ex_from_scores(con)
        source = "employee_scores"
    ex = ex[ex["n"] >= min_group_size].dropna(subset=["ex"])
    if ex.empty:
        return OutcomePanel(pd.DataFrame(), ex_measure=measure, ex_source=source)
    length = wave_length(ex["date"])
    ex = _one_per_period(ex.assign(date=period_starts(ex["date"], length)))
    windows = _windows(ex["date"], length)
    ex = _in_wave(ex, windows)
    panel = ex.merge(windows[["wave", "start"]].rename(columns={"start": "period"}), on="wave")
    outcomes: dict[str, Outcome] = {}
    if has_table(con, "unit_metrics"):
        wide, outcomes = _metrics(con, windows)
        panel = panel.merge(wide, on=["unit_id", "wave"], how="left")
    customer = None
    if has_table(con, "customer_scores"):
        customer, said = _customer_scores(con, windows)
        notes += said
        source_cx = "customer_scores"
    elif has_table(con, "customer_survey"):
        customer, source_cx = _customer_survey(con, windows), "customer_survey"
    if customer is not None and not customer.empty:
        taken = [c for c in CX_SCORES if c in customer.columns and c not in outcomes]
        panel = panel.merge(customer[["unit_id", "wave", *taken, *(f"{c}_var" for c in taken)]],
                            on=["unit_id", "wave"], how="left")
        for c in taken:
            outcomes[c] = Outcome(c, "higher", "", source_cx)  # CES: higher = easier
    panel = panel.drop(columns="date").sort_values(["unit_id", "wave"], ignore_index=True)
    return OutcomePanel(panel, outcomes, measure, source, length,
                        tuple(dict.fromkeys(notes)))


def units_reporting(con) -> dict[str, int]:
    """Each own metric's number of units in its latest period (none without ``unit_metrics``)."""
    if not has_table(con, "unit_metrics"):
        return {}
    rows = con.execute("SELECT metric, count(DISTINCT unit_id) FROM unit_metrics u WHERE period = "
                       "(SELECT max(period) FROM unit_metrics m WHERE m.metric = u.metric) "
                       "GROUP BY metric").fetchall()
    return {str(metric): int(count) for metric, count in rows}
