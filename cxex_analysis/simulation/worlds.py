"""Organisations this project did not design: data folders drawn from how real exports vary.

The demo (:mod:`cxex_analysis.simulation.demo_files`) is one organisation, built to show
every analysis. Real organisations differ in ways nobody chooses case by case, and each of
these is a field of :class:`WorldSpec`, drawn at random by the tests (``tests/test_worlds.py``,
with Hypothesis):

* **size**: 2 to 2,000 units, of very different sizes (a clinic of 4, a call centre of 300);
* **names**: regions and unit types in the organisation's own words, in other scripts, with
  ``/ & ( ) .``, names that differ only in punctuation ("A/1", "A-1"), the same label written
  in other case or with spaces ("Clinic", " clinic "); one region only; unit ids with leading
  zeros;
* **the employee survey**: none, a quarterly survey, monthly pulses or one annual wave; 3 to 9
  engagement items, some answers blank, or only the eNPS question; anonymous (no employee
  key), with the same people answering wave after wave (a stable personal trait, 85%
  answering each wave, a share of the roster replaced each quarter);
* **the customer survey**: none, or NPS, CSAT and CES in any combination, NPS blank on part of
  the rows or on all of them;
* **no variation**: a kiosk with one button, a team that ticks "agree" everywhere (every
  answer the same);
* **comments**: none, blank, all identical, a few drop-down phrases, varied, other languages,
  emoji only, pasted pages (:mod:`~cxex_analysis.simulation.world_text`);
* **money**: unit outcomes or none; pilot costs in EUR, USD, GBP, JPY or no currency;
* **pilots**: randomized, staggered, observational, one unit, every unit, starting next year;
* **action plans**, naming groups in other case than the units file;
* **the export**: answers, or a survey platform's unit scores instead of the answers
  (``employee_scores`` and ``customer_scores``: each unit's engagement, % favourable, eNPS,
  items, NPS, CSAT and CES per period with n, and sd or not), or employees as scores beside
  the customers' answers; with money, the organisation's own metrics in ``unit_metrics``.

Every row is valid: whatever the run does with such a folder, it must publish every report
the plan promises. Underneath, a latent world: each unit has a lasting employee and customer
experience, both move month by month, customers answer around the customer experience, and
money follows the latent experience, not the scores.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxex_analysis.simulation import world_text

#: Engagement items an organisation may ask (it asks the first ``items`` of them).
ITEMS = ("eng_recognition", "eng_tools", "eng_manager", "eng_voice", "eng_growth", "eng_purpose",
         "eng_customer_focus", "eng_wellbeing", "eng_belonging")

#: Pilot kinds a registry may hold.
PILOT_KINDS = ("randomized", "staggered", "observational", "one_unit", "all_treated", "future")

#: At most this many customer and employee answers are written (units then answer less).
MAX_CUSTOMER_ROWS = 30_000
MAX_EMPLOYEE_ROWS = 12_000


@dataclass(frozen=True)
class WorldSpec:
    """One organisation's shape and quirks (the fields are described in the module's text)."""

    seed: int = 0
    units: int = 40
    regions: int = 3
    unit_types: int = 2
    names: str = "plain"  # plain | scripts | punctuation | colliding
    label_case: bool = False  # the same label written in other case and spacing
    id_style: str = "code"  # code (U0001) | digits (leading zeros: 0007) | words (Leeds / Centre)
    months: int = 12
    employee_waves: str = "quarterly"  # none | quarterly | monthly | annual
    items: int = 5
    enps_only: bool = False
    customer_scores: tuple[str, ...] = ("nps", "csat", "ces")  # () = no customer survey
    nps_blank: float = 0.0  # share of rows whose NPS is blank (1.0: the column is empty)
    flat: bool = False  # every answer the same: no variation at all
    answers_per_unit_month: int = 20
    employees_per_unit: int = 12
    customer_comments: str = "varied"
    employee_comments: str = "varied"
    outcomes: bool = True
    currency: str = "EUR"  # "" writes no currency column
    pilots: tuple[str, ...] = ()
    actions: bool = False
    export: str = "answers"  # answers | scores | mixed (employees as scores, customers as answers)
    score_sd: bool = True  # the platform's scores give their standard deviation
    headcount: str = "outcomes"  # outcomes | units (a units column) | stale (60% of the roster) | none
    norms: bool = False  # a benchmark file of percentiles the organisation brings
    extra: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One line for a log or a closing note."""
        shown = {k: v for k, v in asdict(self).items() if k != "extra" and v not in ((), "", None)}
        return ", ".join(f"{k}={v}" for k, v in shown.items())


def write_world(spec: WorldSpec, folder: Path | str) -> dict:
    """Write the data folder of ``spec``; return what a run of it must publish: the regions
    and unit types as first written, the pilots with units, and the tables written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    end = (pd.Timestamp(dt.date.today()).to_period("M") - 1).to_timestamp()  # last full month
    months = pd.date_range(end=end, periods=spec.months, freq="MS")
    units = _units(spec, rng)
    ex, cx = _latent(spec, len(units), len(months), rng)
    pilots, assignments = _pilots(spec, units, months, ex, rng)
    ex, cx = _pilot_effects(assignments, units, months, ex, cx)
    files = {"units": units}
    if spec.employee_waves != "none":
        files["employee_survey"] = _employee_survey(spec, units, months, ex, rng)
    if spec.customer_scores:
        files["customer_survey"] = _customer_survey(spec, units, months, cx, rng)
    if spec.outcomes:
        files["unit_outcomes"] = _outcomes(units, months, ex, cx, rng)
    if len(pilots):
        files["pilots"], files["pilot_assignments"] = pilots, assignments
    if spec.actions and "employee_survey" in files:
        files["action_plans"] = _actions(spec, units, months, rng)
    files["units"] = units.drop(columns="size")
    _headcounts(spec, files, units, months)
    if spec.norms:
        files["norms"] = _norms(spec, rng)
    if spec.export != "answers":
        _platform_export(spec, files, rng)
    for name, frame in files.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return {"regions": _first_written(units["region"]),
            "unit_types": _first_written(units["unit_type"]),
            "pilots": sorted(assignments["pilot_id"].unique()) if len(assignments) else [],
            "tables": sorted(files), "spec": spec.describe()}


def _platform_export(spec: WorldSpec, files: dict, rng: np.random.Generator) -> None:
    """Replace the answers by what a survey platform exports from them: unit scores per
    period (employees always, customers too unless ``mixed``), and the unit outcomes' rates
    as the organisation's own metrics. Comments and action plans need the answers, so they
    go with them."""
    files.pop("action_plans", None)
    if "employee_survey" in files:
        files["employee_scores"] = _employee_scores(files.pop("employee_survey"), spec)
    if "customer_survey" in files and spec.export == "scores":
        files["customer_scores"] = _customer_scores(files.pop("customer_survey"), spec)
    if "unit_outcomes" in files:
        outcomes = files["unit_outcomes"]
        lost = outcomes["customers_lost"] / outcomes["customers_active"].clip(lower=1) * 100
        files["unit_metrics"] = pd.concat([
            outcomes[["unit_id", "period"]].assign(metric="customers lost", value=lost.round(3),
                                                   better="lower", unit="% a month"),
            outcomes[["unit_id", "period"]].assign(
                metric="complaints", value=outcomes["complaints"], better="lower", unit="")],
            ignore_index=True)
    if not spec.score_sd:
        for name in ("employee_scores", "customer_scores"):
            if name in files:
                files[name] = files[name].drop(columns="sd")


def _scores(cells, measures: dict, spec: WorldSpec) -> pd.DataFrame:
    """Long unit scores from grouped answers: ``measures`` maps a measure to (its values per
    answer, its scale's ends)."""
    parts = []
    for measure, (values, low, high) in measures.items():
        stats = values.groupby(cells).agg(["mean", "count", "std"]).reset_index()
        stats = stats[stats["count"] > 0]
        parts.append(pd.DataFrame({"unit_id": stats["unit_id"], "period": stats["period"],
                                   "measure": measure, "value": stats["mean"].round(2),
                                   "n": stats["count"], "sd": stats["std"].round(2).fillna(0.0),
                                   "scale_min": low, "scale_max": high}))
    return pd.concat(parts, ignore_index=True)


def _employee_scores(survey: pd.DataFrame, spec: WorldSpec) -> pd.DataFrame:
    items = [c for c in survey.columns if c.startswith("eng_")]
    code = {"monthly": "M", "annual": "Y"}.get(spec.employee_waves, "Q")
    period = pd.to_datetime(survey["wave"]).dt.to_period(code).dt.start_time.dt.strftime("%Y-%m-%d")
    cells = [survey["unit_id"], period.rename("period")]
    answers = survey[items].astype(float)
    measures = {"enps": (100 * ((survey["enps"] >= 9).astype(float)
                                - (survey["enps"] <= 6).astype(float)), -100, 100)}
    if answers.notna().any().any():
        measures["engagement"] = ((answers.mean(axis=1) - 1) / 4 * 100, 0, 100)
        measures["pct_favourable"] = (100 * (answers >= 4).sum(axis=1)
                                      / answers.notna().sum(axis=1).replace(0, np.nan), 0, 100)
        for item in items:
            measures[item] = (100 * (answers[item] >= 4).astype(float).where(answers[item].notna()),
                              0, 100)
    return _scores(cells, measures, spec)


def _customer_scores(survey: pd.DataFrame, spec: WorldSpec) -> pd.DataFrame:
    period = pd.to_datetime(survey["responded_at"]).dt.tz_localize(None).dt.to_period("M") \
        .dt.start_time.dt.strftime("%Y-%m-%d")
    cells = [survey["unit_id"], period.rename("period")]
    measures = {}
    if "nps" in survey and survey["nps"].notna().any():
        nps = survey["nps"].astype(float)
        measures["nps"] = (100 * ((nps >= 9).astype(float) - (nps <= 6).astype(float))
                           .where(nps.notna()), -100, 100)
    if "csat" in survey and survey["csat"].notna().any():
        measures["csat"] = (100 * (survey["csat"].astype(float) >= 4).astype(float)
                            .where(survey["csat"].notna()), 0, 100)
    if "ces" in survey and survey["ces"].notna().any():
        measures["ces"] = (survey["ces"].astype(float), 1, 7)
    return _scores(cells, measures, spec)


def _first_written(labels: pd.Series) -> list[str]:
    """Distinct labels as the contract keeps them: trimmed, the first spelling of each."""
    seen: dict[str, str] = {}
    for label in labels:
        text = str(label).strip()
        seen.setdefault(" ".join(text.split()).lower(), text)
    return list(seen.values())


def _units(spec: WorldSpec, rng: np.random.Generator) -> pd.DataFrame:
    n = spec.units
    regions = world_text.names(spec.names, max(1, spec.regions), world_text.REGIONS, rng)
    types = world_text.names(spec.names, max(1, spec.unit_types), world_text.UNIT_TYPES, rng)
    region = np.array(regions, dtype=object)[np.arange(n) % len(regions)]
    unit_type = np.array(types, dtype=object)[rng.integers(0, len(types), n)]
    unit_type[: len(types)] = types[: min(n, len(types))]  # every type has a unit
    if spec.label_case:  # the same label, written as people type it
        variants = (str.upper, str.lower, lambda t: f"  {t} ", lambda t: t.replace(" ", "  "))
        for labels in (region, unit_type):
            pick = rng.random(n) < 0.3
            pick[: max(len(regions), len(types))] = False  # first spellings stay as written
            for i in np.flatnonzero(pick):
                labels[i] = variants[rng.integers(len(variants))](labels[i])
    if spec.id_style == "digits":
        ids = [f"{i + 1:04d}" for i in range(n)]
    elif spec.id_style == "words":
        ids = [f"{world_text.PLACES[i % len(world_text.PLACES)]} #{i + 1}" for i in range(n)]
    else:
        ids = [f"U{i + 1:04d}" for i in range(n)]
    places = [world_text.PLACES[i % len(world_text.PLACES)] for i in range(n)]
    size = np.exp(rng.normal(0, 0.6, n))  # units of very different sizes
    return pd.DataFrame({"unit_id": ids, "unit_name": [f"{p} {t}".strip() for p, t in
                                                        zip(places, unit_type)],
                         "region": region, "unit_type": unit_type, "size": size})


def _latent(spec: WorldSpec, n_units: int, n_months: int, rng: np.random.Generator):
    """Latent employee and customer experience, unit × month (standardised units): lasting
    levels correlated 0.4, AR(1) movement, customers reacting to last quarter's EX."""
    lasting_ex = rng.normal(0, 1, n_units)
    lasting_cx = 0.4 * lasting_ex + np.sqrt(1 - 0.16) * rng.normal(0, 1, n_units)
    ex = np.zeros((n_units, n_months))
    shock = np.zeros(n_units)
    for m in range(n_months):
        shock = 0.6 * shock + rng.normal(0, 0.25, n_units)
        ex[:, m] = lasting_ex + shock
    lagged = np.concatenate([np.repeat(ex[:, :1], 3, axis=1), ex[:, :-3]], axis=1)[:, :n_months]
    cx = lasting_cx[:, None] + 0.3 * (lagged - lasting_ex[:, None]) \
        + rng.normal(0, 0.2, (n_units, n_months))
    return ex, cx


def _wave_months(spec: WorldSpec, months: pd.DatetimeIndex) -> list[int]:
    """The months (indices) whose last day closes a wave of the employee survey."""
    if spec.employee_waves == "monthly":
        return list(range(len(months)))
    if spec.employee_waves == "annual":
        return [len(months) - 1]
    return [m for m in range(len(months)) if months[m].month in (3, 6, 9, 12)] or [len(months) - 1]


def _roster(spec: WorldSpec, units: pd.DataFrame, months: pd.DatetimeIndex) -> np.ndarray:
    """Each unit's employees (the people the survey asks), within the rows written."""
    waves = _wave_months(spec, months)
    per_unit = np.maximum(2, np.rint(spec.employees_per_unit * units["size"].to_numpy()))
    scale = min(1.0, MAX_EMPLOYEE_ROWS / max(1.0, per_unit.sum() * len(waves) * 0.85))
    return np.maximum(2, np.rint(per_unit * scale)).astype(int)


def _headcounts(spec: WorldSpec, files: dict, units: pd.DataFrame,
                months: pd.DatetimeIndex) -> None:
    """The headcount as the organisation keeps it: in its monthly outcomes, as a column of
    its units, stale (60% of the people the survey asks), or nowhere."""
    roster = _roster(spec, units, months)
    outcomes = files.get("unit_outcomes")
    if outcomes is not None:
        by_unit = dict(zip(units["unit_id"], roster))
        if spec.headcount in ("outcomes", "stale"):
            share = 0.6 if spec.headcount == "stale" else 1.0
            outcomes["employees"] = np.maximum(1, np.rint(outcomes["unit_id"].map(by_unit) * share)).astype(int)
        else:
            files["unit_outcomes"] = outcomes.drop(columns="employees")
    if spec.headcount == "units":
        files["units"]["headcount"] = roster


def _norms(spec: WorldSpec, rng: np.random.Generator) -> pd.DataFrame:
    """A benchmark's percentiles for the organisation's measures (and some items)."""
    centres = {"engagement_index": 68, "enps": 5, "nps": 25, "csat": 75, "pct_favourable": 65}
    rows = [(m, "", c) for m, c in centres.items()]
    rows += [("pct_favourable", item, 62) for item in ITEMS[: spec.items] if rng.random() < 0.5]
    out = []
    for measure, item, centre in rows:
        spread = rng.uniform(3, 12)
        p = np.clip(centre + rng.normal(0, 6) + spread * np.array([-1, 0, 1, 1.8]), -100, 100)
        out.append({"measure": measure, "item": item, "p25": round(p[0], 1), "p50": round(p[1], 1),
                    "p75": round(p[2], 1), "p90": round(p[3], 1),
                    "source": "Benchmark drawn for this world", "year": 2025})
    return pd.DataFrame(out)


def _employee_survey(spec: WorldSpec, units: pd.DataFrame, months: pd.DatetimeIndex,
                     ex: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The same people answering wave after wave, anonymously: a stable trait each, 85%
    answering, a share of the roster replaced between waves."""
    waves = _wave_months(spec, months)
    owner = np.repeat(np.arange(len(units)), _roster(spec, units, months))
    trait = rng.normal(0, 0.5, len(owner))
    replace = {"monthly": 0.017, "annual": 0.2}.get(spec.employee_waves, 0.05)
    items = ITEMS[: spec.items]
    offsets = rng.normal(0, 0.25, len(items))
    parts = []
    for m in waves:
        trait = np.where(rng.random(len(owner)) < replace, rng.normal(0, 0.5, len(owner)), trait)
        answering = rng.random(len(owner)) < 0.85
        who, person = owner[answering], trait[answering]
        level = 0.45 * ex[who, m] + person + rng.normal(0, 0.33, len(who))
        frame = {"wave": (months[m] + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d"),
                 "unit_id": units["unit_id"].to_numpy()[who],
                 "role": rng.choice(["frontline", "back_office", "manager"], len(who), p=[.7, .2, .1])}
        for item, offset in zip(items, offsets):
            answer = np.clip(np.rint(3.6 + level + offset + rng.normal(0, 0.6, len(who))), 1, 5)
            answer = np.full(len(who), 4.0) if spec.flat else answer
            blank = spec.enps_only | (rng.random(len(who)) < 0.03)
            frame[item] = pd.array(np.where(blank, np.nan, answer), dtype="Int64")
        frame["enps"] = np.clip(np.rint(7 + 1.6 * level + rng.normal(0, 1.5, len(who))), 0, 10).astype(int)
        if spec.flat:
            frame["enps"] = np.full(len(who), 8)
        parts.append(pd.DataFrame(frame))
    survey = pd.concat(parts, ignore_index=True)
    survey.insert(0, "response_id", [f"E{i + 1:07d}" for i in range(len(survey))])
    if spec.employee_comments != "none":
        survey["comment"] = world_text.comments(spec.employee_comments, len(survey), rng, employee=True)
    return survey


def _customer_survey(spec: WorldSpec, units: pd.DataFrame, months: pd.DatetimeIndex,
                     cx: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    expected = spec.answers_per_unit_month * units["size"].to_numpy()
    scale = min(1.0, MAX_CUSTOMER_ROWS / max(1.0, expected.sum() * len(months)))
    counts = rng.poisson(np.outer(expected * scale, np.ones(len(months))))
    counts[:, -1] = np.maximum(counts[:, -1], 1)  # every unit is heard from at least once
    u, m = np.nonzero(counts)
    u, m = np.repeat(u, counts[u, m]), np.repeat(m, counts[u, m])
    n = len(u)
    c = cx[u, m]
    seconds = rng.integers(2 * 3600, 27 * 86400, n)
    frame = {"response_id": [f"C{i + 1:08d}" for i in range(n)],
             "responded_at": (months[m] + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "unit_id": units["unit_id"].to_numpy()[u],
             "channel": rng.choice(["store", "phone", "chat", "web", "other"], n, p=[.4, .3, .1, .15, .05])}
    scores = {"nps": np.clip(np.rint(8 + 1.2 * c + rng.normal(0, 1.8, n)), 0, 10),
              "csat": np.clip(np.rint(4 + 0.5 * c + rng.normal(0, 0.8, n)), 1, 5),
              "ces": np.clip(np.rint(5.2 + 0.6 * c + rng.normal(0, 1.2, n)), 1, 7)}
    for name in spec.customer_scores:
        values = np.full(n, {"nps": 10.0, "csat": 5.0, "ces": 7.0}[name]) if spec.flat else scores[name]
        if name == "nps" and spec.nps_blank and len(spec.customer_scores) > 1:
            values = np.where(rng.random(n) < spec.nps_blank, np.nan, values)
        frame[name] = pd.array(values, dtype="Int64")
    survey = pd.DataFrame(frame)
    if spec.customer_comments != "none":
        survey["comment"] = world_text.comments(spec.customer_comments, n, rng)
    return survey


def _outcomes(units: pd.DataFrame, months: pd.DatetimeIndex, ex: np.ndarray, cx: np.ndarray,
              rng: np.random.Generator) -> pd.DataFrame:
    """Money follows the latent experience: churn and revenue per customer follow the latent
    customer experience, exits the latent employee experience."""
    n_units, n_months = ex.shape
    size = units["size"].to_numpy()[:, None]
    active = np.rint(800 * size * np.ones((1, n_months))).astype(int) + 1
    churn = np.clip(0.02 - 0.004 * cx + rng.normal(0, 0.003, cx.shape), 0.001, 0.2)
    employees = np.maximum(1, np.rint(12 * size)).astype(int) * np.ones((1, n_months), dtype=int)
    exits = np.clip(0.015 - 0.004 * ex, 0.0, 0.2)
    rows = {"unit_id": np.repeat(units["unit_id"].to_numpy(), n_months),
            "period": np.tile(months.strftime("%Y-%m-%d"), n_units),
            "revenue": np.round(active * (45 + 4 * cx) * np.exp(rng.normal(0, 0.03, cx.shape)), 2).ravel(),
            "customers_active": active.ravel(),
            "customers_lost": rng.binomial(active, churn).ravel(),
            "employees": employees.ravel(),
            "employees_left": rng.binomial(employees, exits).ravel(),
            "cost_to_serve": np.round(active * 2.5 * np.exp(rng.normal(0, 0.05, cx.shape)), 2).ravel(),
            "complaints": rng.poisson(active * np.clip(0.004 - 0.001 * cx, 0.0005, None)).ravel(),
            "repeat_contacts": rng.poisson(active * np.clip(0.03 - 0.006 * cx, 0.002, None)).ravel()}
    return pd.DataFrame(rows)


def _pilots(spec: WorldSpec, units: pd.DataFrame, months: pd.DatetimeIndex, ex: np.ndarray,
            rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registry and its assignments: one pilot per kind in ``spec.pilots``."""
    n = len(units)
    ids = units["unit_id"].to_numpy()
    start = months[len(months) // 2]
    registry, rows = [], []
    for k, kind in enumerate(spec.pilots):
        pilot_id = ["P1", "KB-2025 (phase 1)", "visits/2", "P 4", "P5", "P6"][k % 6]
        order = rng.permutation(n)
        if kind == "randomized":
            chosen = order[: max(2, n // 3)]
            arms = np.where(np.arange(len(chosen)) % 2 == 0, "treatment", "control")
            starts = [start] * len(chosen)
        elif kind in ("staggered", "all_treated"):
            chosen = order if kind == "all_treated" else order[: max(1, n // 4)]
            arms = np.full(len(chosen), "treatment")
            cohort = [months[max(1, len(months) * q // 6)] for q in (2, 3, 4)]
            starts = [cohort[i % 3] for i in range(len(chosen))]
        elif kind == "observational":
            chosen = np.argsort(-ex[:, 0])[: max(1, n // 5)]  # the keenest units joined
            arms, starts = np.full(len(chosen), "treatment"), [start] * len(chosen)
        elif kind == "one_unit":
            chosen, arms, starts = order[:1], np.array(["treatment"]), [start]
        else:  # future: starts after today
            chosen = order[: max(1, n // 5)]
            arms = np.full(len(chosen), "treatment")
            starts = [pd.Timestamp(dt.date.today()) + pd.Timedelta(days=90)] * len(chosen)
        design = {"one_unit": "staggered", "all_treated": "staggered",
                  "future": "staggered"}.get(kind, kind)
        registry.append({"pilot_id": pilot_id, "name": f"{kind.replace('_', ' ').title()} pilot",
                         "description": "Drawn by the world generator.", "design": design,
                         "primary_outcome": _primary(spec), "cost_per_unit": float(rng.integers(5, 50) * 100),
                         "currency": spec.currency})
        for u, arm, when in zip(chosen, arms, starts):
            rows.append({"pilot_id": pilot_id, "unit_id": ids[u], "arm": arm,
                         "start_date": pd.Timestamp(when).strftime("%Y-%m-%d") if arm == "treatment" else ""})
    registry = pd.DataFrame(registry)
    if len(registry) and not spec.currency:
        registry = registry.drop(columns="currency")
    return registry, pd.DataFrame(rows, columns=["pilot_id", "unit_id", "arm", "start_date"])


def _primary(spec: WorldSpec) -> str:
    if spec.customer_scores:
        return spec.customer_scores[0]
    return "engagement_index" if not spec.enps_only and spec.employee_waves != "none" else "revenue"


def _pilot_effects(assignments: pd.DataFrame, units: pd.DataFrame, months: pd.DatetimeIndex,
                   ex: np.ndarray, cx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Treated units' latent experience rises by 0.2 from their start."""
    ex, cx = ex.copy(), cx.copy()
    index = {unit: i for i, unit in enumerate(units["unit_id"])}
    for row in assignments[assignments["arm"] == "treatment"].itertuples():
        after = months >= pd.Timestamp(row.start_date)
        ex[index[row.unit_id], after] += 0.2
        cx[index[row.unit_id], after] += 0.2
    return ex, cx


def _actions(spec: WorldSpec, units: pd.DataFrame, months: pd.DatetimeIndex,
             rng: np.random.Generator) -> pd.DataFrame:
    """A few actions per region and unit type, the group written as people type it."""
    focuses = list(ITEMS[: spec.items]) if not spec.enps_only else list(spec.customer_scores) or ["nps"]
    rows: list[dict] = []
    yesterday = pd.Timestamp(dt.date.today()) - pd.Timedelta(days=1)
    for group_by in ("region", "unit_type"):
        for group in _first_written(units[group_by]):
            for _ in range(int(rng.integers(1, 3))):
                created = months[int(rng.integers(0, len(months)))] + pd.Timedelta(days=10)
                status = str(rng.choice(["planned", "in_progress", "done", "dropped"]))
                rows.append({"action_id": f"A{len(rows) + 1:04d}", "group_by": group_by,
                             "group": group.lower() if rng.random() < 0.3 else group,
                             "focus": str(rng.choice(focuses)), "action": "Agreed at the team meeting",
                             "owner_role": "site manager", "created_on": created.strftime("%Y-%m-%d"),
                             "due_on": (created + pd.Timedelta(days=60)).strftime("%Y-%m-%d"),
                             "status": status,
                             "completed_on": min(created + pd.Timedelta(days=30), yesterday)
                             .strftime("%Y-%m-%d") if status == "done" else ""})
    return pd.DataFrame(rows)
