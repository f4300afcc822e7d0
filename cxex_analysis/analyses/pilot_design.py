"""Designing a pilot before it starts (``cxex design``): its size from the organisation's
history, a balanced random assignment, and the pre-registration notebook 02 honours.

:func:`design` reads the warehouse: the units eligible (``units_from``, other pilots' units
left out when asked), each unit's history of the primary outcome at its frequency (months for
customer and money outcomes, survey waves for employees'), and the pre-period covariates the
assignment is balanced on (the outcome and the engagement index). It sizes the pilot
(:mod:`cxex_analysis.estimators.pilot_sizing`), draws the assignment
(:mod:`cxex_analysis.estimators.assignment`) and returns a :class:`PilotDesign`: the rows of
``pilots.csv`` and ``pilot_assignments.csv`` and the registration (``design.json``). When no
split of the eligible units reaches the power asked, :class:`DesignRefused` says so with the
figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cxex_analysis import __version__
from cxex_analysis.contract.tables import METRIC_NAMES
from cxex_analysis.errors import InsufficientData, ParameterError, check_argument
from cxex_analysis.estimators.assignment import Assignment, rerandomized_at_least
from cxex_analysis.estimators.pilot_sizing import (
    LOOKS,
    Sizing,
    Variance,
    power_at,
    residual_covariance,
    units_needed,
)
from cxex_analysis.panels.periods import period_index
from cxex_analysis.panels.pilot_panels import employee_outcomes, outcome_frequency, unit_outcomes
from cxex_analysis.store.warehouse import has_table, read_table
from cxex_analysis.vocabulary import label

DESIGNS = ("randomized", "staggered")

#: the registration's format version (``design.json``'s ``cxex_design``)
FORMAT = 1

#: units with the outcome in at least this share of the history's periods enter the sizing
MIN_COVERAGE = 0.5


class DesignRefused(ParameterError):
    """No split of the eligible units reaches the power asked; the message gives the figures."""


@dataclass(frozen=True)
class PilotDesign:
    """A designed pilot: its registry row, its units' assignment, the sizing behind it and
    the registration to keep beside them (:meth:`registration`)."""

    pilot: dict
    assignments: pd.DataFrame
    sizing: Sizing
    variance: Variance
    assignment: Assignment
    frequency: str
    periods: int
    notes: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    def registration(self) -> dict:
        """The pre-registration (``design.json``): what will be analysed and how, fixed now."""
        s, v = self.sizing, self.variance
        treated = self.assignments[self.assignments["arm"] == "treatment"]
        return {
            "cxex_design": FORMAT,
            "cxex_version": __version__,
            "registered_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pilot_id": self.pilot["pilot_id"],
            "name": self.pilot["name"],
            "design": self.pilot["design"],
            "primary_outcome": self.pilot["primary_outcome"],
            "frequency": self.frequency,
            "start": self.settings["start"],
            "periods": self.periods,
            "end": self.settings["end"],
            "looks": s.looks,
            "mde": s.effect,
            "power": s.power,
            "alpha": s.alpha,
            "achieved_power": s.achieved,
            "units": {"pilot": int(len(treated)),
                      "comparison": int((self.assignments["arm"] == "control").sum()),
                      "eligible": s.eligible, "even_split_needed": s.even_units},
            "mde_with_every_eligible_unit": s.mde_available,
            "variance": {"per_unit": float(v.covariance[-1, -1]),
                         "lasting": v.persistent, "per_period": v.noise,
                         "survey_noise_share": None if np.isnan(v.survey_noise) else v.survey_noise,
                         "removed_by_pre_period": v.adjustment, "history_units": v.units,
                         "history_windows": v.starts},
            "seed": self.settings["seed"],
            "randomization": {"rule": self.assignment.rule,
                              "max_smd": self.settings["max_smd"],
                              "strata": self.settings["strata"],
                              "covariates": self.settings["covariates"],
                              "draws": self.assignment.draws},
            "waves": self.settings.get("waves"),
            "balance": _records(self.assignment.balance),
            "power_curve": _records(s.curve),
            # the assignment with what it was balanced on: the randomization test of the
            # analysis re-draws by the same rule on these values
            "assignment": _records(self.assignments.merge(
                self.settings["balanced_on"], on="unit_id", how="left")),
            "eligibility": self.settings["eligibility"],
            "analysis_plan": analysis_plan(self),
            "notes": list(self.notes),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def analysis_plan(d: PilotDesign) -> str:
    """The registered analysis in words."""
    s = d.sizing
    unit = "month" if d.frequency == "month" else "survey wave"
    estimate = ("the difference between pilot and comparison units in their mean over the "
                f"pilot's {d.periods} {unit}s, adjusted for their mean before the start (ANCOVA)"
                if d.pilot["design"] == "randomized" else
                "Callaway & Sant'Anna's average effect over the start waves, each compared with "
                "the units that have not started")
    looks = (f"one look at the end, a two-sided test at {s.alpha:g}" if s.looks == "final" else
             f"a look every {unit} with the always-valid {1 - s.alpha:.0%} interval (stopping "
             "early is allowed, the error rate holds)")
    return (f"Primary outcome: {label(d.pilot['primary_outcome'])}. Estimate: {estimate}. "
            f"Inference: randomization inference over the assignments the rule accepts, beside "
            f"the model's interval. Looks: {looks}. Smallest effect sized for: {s.effect:g} "
            f"at {s.power:.0%} power.")


def eligible_units(con, units_from: dict[str, list[str]] | None = None,
                   exclude_pilots: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """The units the pilot may use, and sentences on what was left out and why."""
    units = read_table(con, "units")
    notes = []
    for column, values in (units_from or {}).items():
        if column not in units.columns:
            raise ParameterError(f"--units-from {column}=…: the units table has no column "
                                 f"{column!r} (it has {', '.join(units.columns)}).")
        wanted = {v.strip().lower() for v in values}
        present = set(units[column].astype(str).str.lower())
        unknown = sorted(wanted - present)
        if unknown:
            raise ParameterError(f"--units-from {column}: no unit has {column} "
                                 f"{', '.join(unknown)} (values: "
                                 f"{', '.join(sorted(units[column].astype(str).unique())[:12])}).")
        units = units[units[column].astype(str).str.lower().isin(wanted)]
    if exclude_pilots and has_table(con, "pilot_assignments"):
        taken = set(read_table(con, "pilot_assignments")["unit_id"])
        before = len(units)
        units = units[~units["unit_id"].isin(taken)]
        if before > len(units):
            notes.append(f"{before - len(units)} units already in another pilot were left out.")
    return units.reset_index(drop=True), notes


def outcome_history(con, outcome: str, min_group_size: int = 5) -> tuple[pd.DataFrame, str]:
    """Every unit's ``outcome`` by period (``t`` consecutive), and the frequency."""
    freq = outcome_frequency(outcome)
    frame = employee_outcomes(con, min_group_size) if freq == "quarter" else unit_outcomes(con, "month")
    if outcome not in frame.columns or frame[outcome].notna().sum() == 0:
        raise InsufficientData(f"the warehouse has no {label(outcome)} by unit to size the pilot on.")
    keep = ["unit_id", "period", outcome] + ([f"{outcome}_se"] if f"{outcome}_se" in frame else [])
    frame = frame[keep].dropna(subset=[outcome]).copy()
    frame["t"] = period_index(frame["period"], freq)
    return frame, freq


def _pre_levels(con, history: pd.DataFrame, outcome: str, min_group_size: int) -> pd.DataFrame:
    """Each unit's mean before the start: the outcome over the last year, and the engagement
    index over its last two waves when the outcome is not engagement itself."""
    recent = history[history["t"] > history["t"].max() - (12 if "period" in history else 4)]
    levels = recent.groupby("unit_id")[outcome].mean().rename(f"{outcome}_pre").to_frame()
    if outcome != "engagement_index":
        engagement = employee_outcomes(con, min_group_size)
        if "engagement_index" in engagement.columns:
            waves = sorted(engagement["period"].dropna().unique())[-2:]
            levels["engagement_index_pre"] = (engagement[engagement["period"].isin(waves)]
                                              .groupby("unit_id")["engagement_index"].mean())
    return levels


def _balanced_on(units: pd.DataFrame, outcome: str, min_group_size: int,
                 notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The covariates the assignment balances: the outcome before the start, and engagement
    when at least 80% of the units show it (the others at its average, said in ``notes``)."""
    covariates = [f"{outcome}_pre"]
    if "engagement_index_pre" in units and units["engagement_index_pre"].notna().mean() >= 0.8:
        gaps = units["engagement_index_pre"].isna()
        if gaps.any():
            notes.append(f"{int(gaps.sum())} units have no engagement score shown (fewer "
                         f"respondents than {min_group_size}); their balance uses the average.")
        units["engagement_index_pre"] = units["engagement_index_pre"].fillna(
            units["engagement_index_pre"].mean())
        covariates.append("engagement_index_pre")
    return units, covariates


def design(con, pilot_id: str, name: str, outcome: str, mde: float, start: str,
           units_from: dict[str, list[str]] | None = None, exclude_pilots: bool = False,
           kind: str = "randomized", waves: int = 3, power: float = 0.8, alpha: float = 0.05,
           looks: str = "final", periods: int = 6, seed: int = 1, max_smd: float = 0.1,
           min_group_size: int = 5) -> PilotDesign:
    """Size, assign and register one pilot (see the module's docstring).

    Raises :class:`DesignRefused` when no split of the eligible units reaches ``power`` for
    ``mde``, :class:`~cxex_analysis.errors.InsufficientData` when the history cannot size it,
    and :class:`~cxex_analysis.errors.ParameterError` for a bad argument.
    """
    check_argument("--design", kind, DESIGNS)
    check_argument("--looks", looks, LOOKS)
    check_argument("--outcome", outcome, METRIC_NAMES)
    if not mde or not np.isfinite(mde) or mde <= 0:
        raise ParameterError(f"--mde must be a positive effect in the outcome's units, not {mde}.")
    if not 0 < alpha < 0.5 or not 0.5 <= power < 1:
        raise ParameterError(f"--alpha must be in (0, 0.5) and --power in [0.5, 1); got "
                             f"{alpha} and {power}.")
    if periods < 1 or (kind == "staggered" and not 2 <= waves <= periods):
        raise ParameterError(f"--months must be at least 1 and --waves between 2 and the pilot's "
                             f"periods ({periods}); got {periods} and {waves}.")
    begins = pd.Timestamp(start)
    if pilot_id in set(read_table(con, "pilots")["pilot_id"] if has_table(con, "pilots") else []):
        raise ParameterError(f"--pilot-id {pilot_id!r} is already in the pilot registry; "
                             "choose a new id.")
    units, notes = eligible_units(con, units_from, exclude_pilots)
    history, freq = outcome_history(con, outcome, min_group_size)
    covered = history.groupby("unit_id")["t"].nunique() >= MIN_COVERAGE * history["t"].nunique()
    sized_on = history[history["unit_id"].isin(covered[covered].index)]
    if has_table(con, "pilot_assignments"):  # units a pilot changed would blur the history
        treated = set(read_table(con, "pilot_assignments").query("arm == 'treatment'")["unit_id"])
        untouched = sized_on[~sized_on["unit_id"].isin(treated)]
        if untouched["unit_id"].nunique() >= 20:
            sized_on = untouched
    span = periods if freq == "month" else max(1, int(np.ceil(periods / 3)))
    observed = span  # a staggered pilot is sized on the months its last wave is observed
    if kind == "staggered":
        observed = max(1, span - (waves - 1) * max(1, span // waves))
        notes.append(f"Sized as if every pilot unit were observed for the last wave's "
                     f"{observed} period(s) only: a conservative figure for a staggered start.")
    variance = residual_covariance(sized_on, outcome, observed, se=f"{outcome}_se")
    levels = _pre_levels(con, history, outcome, min_group_size)
    units = units.merge(levels, left_on="unit_id", right_index=True, how="left")
    missing = units[f"{outcome}_pre"].isna()
    if missing.any():
        notes.append(f"{int(missing.sum())} eligible units have no {label(outcome)} in the last "
                     "year and were left out (nothing to compare them with).")
        units = units[~missing].reset_index(drop=True)
    units, covariates = _balanced_on(units, outcome, min_group_size, notes)
    sizing = units_needed(variance, abs(mde), len(units), alpha, power, looks, seed)
    if sizing.n_treated is None:
        raise DesignRefused(refusal(sizing, outcome, span, freq))
    strata = [c for c in ("region", "unit_type") if c in units and units[c].nunique() > 1]
    words = {"region": "region", "unit_type": "unit type"} | {
        c: f"{label(c.removesuffix('_pre'))} before the start" for c in covariates}
    named = units.rename(columns=words)  # the rule and the balance table in words
    assignment = rerandomized_at_least(named, [words[c] for c in covariates],
                                       [words[c] for c in strata], sizing.n_treated, max_smd, seed)
    treated_n = int(assignment.treated.sum())
    sizing = replace(sizing, n_treated=treated_n, n_control=len(units) - treated_n,
                     achieved=power_at(variance, abs(mde), treated_n, len(units) - treated_n,
                                       alpha, looks, seed))
    end = (begins + pd.DateOffset(months=periods)).date().isoformat()
    rows = units.assign(arm=np.where(assignment.treated, "treatment", "control"))
    rows["start_date"] = np.where(assignment.treated, begins.date().isoformat(), "")
    balanced_on = units[["unit_id"]].assign(
        stratum=(units[strata].astype(str).agg(" × ".join, axis=1) if strata else "all"),
        covariates=units[covariates].to_numpy().round(6).tolist())
    settings = {"start": begins.date().isoformat(), "end": end, "seed": seed, "max_smd": max_smd,
                "balanced_on": balanced_on,
                "strata": strata, "covariates": covariates,
                "eligibility": {"units_from": units_from or {}, "exclude_pilots": exclude_pilots,
                                "eligible": int(len(units))}}
    if kind == "staggered":
        rows, settings["waves"] = _waves(rows, strata, waves, periods, begins, seed)
    pilot = {"pilot_id": pilot_id, "name": name, "description": (
        f"Designed with cxex design: {label(outcome)}, {abs(mde):g} points at "
        f"{power:.0%} power; registration in design.json."),
        "design": kind, "primary_outcome": outcome, "cost_per_unit": "", "currency": ""}
    return PilotDesign(pilot=pilot, assignments=rows[["unit_id", "arm", "start_date"]].assign(
        pilot_id=pilot_id)[["pilot_id", "unit_id", "arm", "start_date"]],
        sizing=sizing, variance=variance, assignment=assignment, frequency=freq,
        periods=span, notes=tuple(notes), settings=settings)


def _waves(rows: pd.DataFrame, strata: list[str], waves: int, periods: int,
           begins: pd.Timestamp, seed: int) -> tuple[pd.DataFrame, list[dict]]:
    """Random start waves for the pilot units, within strata: wave w starts w × (months /
    waves) months after the first."""
    rng = np.random.default_rng(seed + 1)
    gap = periods // waves
    treated = rows[rows["arm"] == "treatment"]
    keys = (treated[strata].astype(str).agg(" × ".join, axis=1) if strata
            else pd.Series("all", index=treated.index))
    wave = pd.Series(0, index=treated.index)
    offset = 0
    for _, members in treated.groupby(keys).groups.items():
        order = rng.permutation(len(members))
        wave[members] = (order + offset) % waves
        offset += len(members)
    starts = [(begins + pd.DateOffset(months=w * gap)).date().isoformat() for w in range(waves)]
    rows = rows.copy()
    rows.loc[treated.index, "start_date"] = wave.map(dict(enumerate(starts)))
    table = [{"wave": w + 1, "start": starts[w], "units": int((wave == w).sum())}
             for w in range(waves)]
    return rows, table


def refusal(sizing: Sizing, outcome: str, periods: int, freq: str) -> str:
    """Why no design reaches the power asked, with what would."""
    what = label(outcome)
    span = f"{periods} {'month' if freq == 'month' else 'survey wave'}{'s' if periods > 1 else ''}"
    mde = ("no effect can be detected" if not np.isfinite(sizing.mde_available) else
           f"the smallest effect it can detect at {sizing.power:.0%} power is "
           f"{sizing.mde_available:.1f}")
    needed = (f"an effect of {sizing.effect:g} needs {sizing.even_units:,} units (half in the "
              "pilot)" if sizing.even_units else f"an effect of {sizing.effect:g} is out of reach")
    return (f"no design reaches {sizing.power:.0%} power for {sizing.effect:g} points of {what}: "
            f"with the {sizing.eligible:,} eligible units over {span}, {mde}; {needed}. "
            "Aim at a larger effect, run the pilot longer, or open it to more units.")
