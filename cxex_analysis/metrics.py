"""Experience metrics with intervals, by any grouping and over time, in the tidy schema.

Definitions (stated on every report by :func:`definitions_markdown`):

* **NPS** = % promoters (9–10) − % detractors (0–6), in points (−100 … 100). SE from the
  trinomial variance Var = [p + d − (p − d)²] / n, × 100². Interval: Wald with that SE, or
  for small samples (n < ``small_n``, default 100) the adjusted Wald of Rocks (2016, *The
  American Statistician*): add 3 to n and ¾ to the promoter and detractor counts.
* **CSAT** = % of 1–5 answers that are 4 or 5 (top-2-box), Wilson interval.
* **CES** = mean of 1–7 answers (t interval) and % 5–7 (``ces_top3``, Wilson interval).
* **eNPS**: NPS cut-offs applied to the employee recommend question (0–10).
* **Engagement index** (0–100) = mean of a respondent's ``eng_*`` items rescaled as
  (mean − 1) / 4 × 100, averaged over respondents (t interval).
* **% favourable** = share of item answers that are 4–5; its SE treats each respondent's
  answers as a cluster (ratio estimator, delta method).
* **Cronbach's alpha** of the engagement items: :func:`pingouin.cronbach_alpha` (validated
  by pingouin against the R ``psych`` package), Feldt interval.

Employee metrics (engagement index, % favourable, eNPS, alpha) honour ``min_group_size``
through :func:`cxex_analysis.privacy.suppress_small_groups`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .config import MIN_GROUP_SIZE
from .errors import ParameterError, check_argument, check_confidence
from .privacy import suppress_small_groups
from .results import tidy

NPS_INTERVALS = ("auto", "wald", "adjusted_wald")
SMALL_N = 100


# --------------------------------------------------------------------------------------
# the statistics, on counts
# --------------------------------------------------------------------------------------

def nps_variance(promoter_share: float, detractor_share: float, n: float) -> float:
    """Trinomial variance of NPS as a proportion difference: [p + d − (p − d)²] / n."""
    p, d = promoter_share, detractor_share
    return (p + d - (p - d) ** 2) / n


def nps_interval(promoters: float, detractors: float, n: float, confidence: float = 0.95,
                 interval: str = "auto", small_n: int = SMALL_N) -> dict:
    """NPS in points with its trinomial SE and an interval.

    Parameters
    ----------
    promoters, detractors, n : numbers
        Counts of 9–10 answers, of 0–6 answers, and of all answers.
    interval : {"auto", "wald", "adjusted_wald"}
        ``auto`` uses the adjusted Wald interval when ``n < small_n``.

    Returns
    -------
    dict with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` and ``method``.

    Examples
    --------
    >>> r = nps_interval(50, 20, 100)
    >>> round(r["estimate"], 1), round(r["se"], 3)
    (30.0, 7.81)

    Validated against the closed form of Rocks (2016), *The American Statistician*
    (tests/test_metrics.py).
    """
    check_argument("interval", interval, NPS_INTERVALS)
    confidence = check_confidence(confidence)
    if n <= 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "n": 0, "method": "nps_no_answers"}
    p, d = promoters / n, detractors / n
    estimate = (p - d) * 100
    se = np.sqrt(nps_variance(p, d, n)) * 100
    z = stats.norm.ppf(0.5 + confidence / 2)
    use_adjusted = interval == "adjusted_wald" or (interval == "auto" and n < small_n)
    if use_adjusted:
        n_adj = n + 3
        p_adj, d_adj = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre = (p_adj - d_adj) * 100
        half = z * np.sqrt(nps_variance(p_adj, d_adj, n_adj)) * 100
        method = "nps_trinomial_adjusted_wald"
    else:
        centre, half = estimate, z * se
        method = "nps_trinomial_wald"
    return {"estimate": estimate, "se": se, "ci_low": max(-100.0, centre - half),
            "ci_high": min(100.0, centre + half), "n": n, "method": method}


def proportion_interval(successes: float, n: float, confidence: float = 0.95) -> dict:
    """A percentage with its binomial SE and Wilson interval (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    confidence = check_confidence(confidence)
    if n <= 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    p = successes / n
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return {"estimate": 100 * p, "se": 100 * np.sqrt(p * (1 - p) / n), "ci_low": 100 * low,
            "ci_high": 100 * high, "n": n, "method": "proportion_wilson"}


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> dict:
    """A mean with its SE and Student t interval."""
    confidence = check_confidence(confidence)
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    mean = values.mean()
    if n == 1:
        return {"estimate": mean, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 1,
                "method": "mean_t"}
    se = values.std(ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    return {"estimate": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half, "n": n,
            "method": "mean_t"}


def ratio_interval(numerators: np.ndarray, denominators: np.ndarray, confidence: float = 0.95,
                   scale: float = 100.0) -> dict:
    """Ratio of sums with a cluster (delta-method) SE, each element one cluster."""
    confidence = check_confidence(confidence)
    y = np.asarray(numerators, dtype=float)
    x = np.asarray(denominators, dtype=float)
    keep = x > 0
    y, x = y[keep], x[keep]
    n = len(x)
    if n == 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                "method": "no_answers"}
    ratio = y.sum() / x.sum()
    if n == 1:
        se = np.nan
    else:
        residual = y - ratio * x
        se = np.sqrt(np.sum(residual ** 2) / (n * (n - 1))) / x.mean()
    z = stats.norm.ppf(0.5 + confidence / 2)
    return {"estimate": scale * ratio, "se": scale * se, "ci_low": scale * max(0.0, ratio - z * se),
            "ci_high": scale * min(1.0, ratio + z * se), "n": n,
            "method": "ratio_cluster_respondent"}


def correlation_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Fisher z interval for a Pearson correlation of ``n`` pairs (NaN for n <= 3)."""
    if n <= 3 or not np.isfinite(r):
        return np.nan, np.nan
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def cronbach_alpha_interval(items: pd.DataFrame, confidence: float = 0.95) -> dict:
    """Cronbach's alpha of item columns with the Feldt interval (:func:`pingouin.cronbach_alpha`)."""
    import pingouin as pg

    confidence = check_confidence(confidence)
    data = items.dropna(how="all")
    n = len(data)
    if n < 3 or data.shape[1] < 2:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n,
                "method": "cronbach_alpha_too_few"}
    numeric = data.astype(float)
    if not np.nanvar(numeric.sum(axis=1)) > 0:
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n,
                "method": "cronbach_alpha_no_variance"}
    alpha, ci = pg.cronbach_alpha(data=numeric, ci=confidence)
    return {"estimate": float(alpha), "se": np.nan, "ci_low": float(ci[0]),
            "ci_high": float(ci[1]), "n": n, "method": "cronbach_alpha_feldt_pairwise"}


# --------------------------------------------------------------------------------------
# grouping
# --------------------------------------------------------------------------------------

def with_period(data: pd.DataFrame, column: str, freq: str = "quarter",
                name: str | None = None) -> pd.DataFrame:
    """Add a period column (first day of the month or quarter of ``column``)."""
    check_argument("freq", freq, ("month", "quarter", "year"))
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    out = data.copy()
    # factorised once: the first days are made per distinct period, not per row (10 million
    # responses have 8 quarters), and grouping on the categorical is fast
    codes, periods = pd.factorize(pd.to_datetime(out[column]).dt.to_period(code), sort=True)
    out[name or freq] = pd.Categorical.from_codes(
        codes, categories=[period.start_time.date() for period in periods], ordered=True)
    return out


def _as_list(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def format_value(value) -> str:
    """A group value as text: dates without a midnight time, everything else as ``str``."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def period_label(value, freq: str = "quarter") -> str:
    """A period as a reader writes it: 'Q2 2025' for a quarter, 'Mar 2025' for a month,
    the date for a survey wave."""
    stamp = pd.Timestamp(value)
    if freq == "quarter":
        return f"Q{stamp.quarter} {stamp.year}"
    if freq == "month":
        return stamp.strftime("%b %Y")
    return format_value(stamp)


def _subject(keys: Sequence[str], values: Sequence) -> str:
    if not keys:
        return "all"
    return "; ".join(f"{k}={format_value(v)}" for k, v in zip(keys, values))


def _grouped(data: pd.DataFrame, by, over, compute: Callable[[pd.DataFrame], list[dict]],
             ) -> pd.DataFrame:
    """Apply ``compute`` to each group; return tidy rows with group columns kept."""
    keys = _as_list(by) + _as_list(over)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise ParameterError(f"grouping column(s) {missing} are not in the data; "
                             f"available: {sorted(data.columns)}.")
    rows = []
    if keys:
        for values, group in data.groupby(keys, sort=True, dropna=False, observed=True):
            values = values if isinstance(values, tuple) else (values,)
            for row in compute(group):
                rows.append({**row, **dict(zip(keys, values)), "subject": _subject(keys, values)})
    else:
        for row in compute(data):
            rows.append({**row, "subject": "all"})
    return tidy(rows, extra=keys)


def _employee(frame: pd.DataFrame, data: pd.DataFrame, by, over, min_group_size: int,
              count: Callable[[pd.DataFrame], int]) -> pd.DataFrame:
    """Suppress small groups, with complements checked within each ``over`` period."""
    overs = _as_list(over)
    if _as_list(by):
        if overs:
            parent_n = data.groupby(overs, dropna=False).apply(count)
        else:
            frame = frame.assign(_all="all")
            overs = ["_all"]
            parent_n = pd.Series({"all": count(data)})
        out = suppress_small_groups(frame, min_group_size, overs, parent_n)
        return out.drop(columns=["_all"], errors="ignore")
    return suppress_small_groups(frame, min_group_size)


def _base(outcome: str, confidence: float, estimand: str = "metric_level") -> dict:
    return {"analysis": "metrics", "estimand": estimand, "outcome": outcome, "term": "level",
            "confidence": confidence, "p_value": np.nan}


# --------------------------------------------------------------------------------------
# customer metrics
# --------------------------------------------------------------------------------------

def nps(data: pd.DataFrame, column: str = "nps", by=None, over=None, confidence: float = 0.95,
        interval: str = "auto", small_n: int = SMALL_N) -> pd.DataFrame:
    """Net Promoter Score per group (see the module docstring for the interval).

    Returns the tidy schema, one row per group; ``n`` = answers.
    """
    confidence = check_confidence(confidence)
    check_argument("interval", interval, NPS_INTERVALS)

    def compute(group: pd.DataFrame) -> list[dict]:
        scores = group[column].dropna()
        r = nps_interval(float((scores >= 9).sum()), float((scores <= 6).sum()), float(len(scores)),
                         confidence, interval, small_n)
        return [{**_base(column, confidence), **r}]

    return _grouped(data, by, over, compute)


def csat(data: pd.DataFrame, column: str = "csat", by=None, over=None,
         confidence: float = 0.95) -> pd.DataFrame:
    """CSAT top-2-box (% of 1–5 answers that are 4 or 5) per group, Wilson interval."""
    confidence = check_confidence(confidence)

    def compute(group: pd.DataFrame) -> list[dict]:
        answers = group[column].dropna()
        r = proportion_interval(float((answers >= 4).sum()), float(len(answers)), confidence)
        return [{**_base("csat", confidence), **r}]

    return _grouped(data, by, over, compute)


def ces(data: pd.DataFrame, column: str = "ces", by=None, over=None,
        confidence: float = 0.95) -> pd.DataFrame:
    """CES mean (outcome ``ces``) and % of answers 5–7 (outcome ``ces_top3``) per group."""
    confidence = check_confidence(confidence)

    def compute(group: pd.DataFrame) -> list[dict]:
        answers = group[column].dropna().to_numpy(dtype=float)
        mean = mean_interval(answers, confidence)
        top = proportion_interval(float((answers >= 5).sum()), float(len(answers)), confidence)
        return [{**_base("ces", confidence), **mean}, {**_base("ces_top3", confidence), **top}]

    return _grouped(data, by, over, compute)


# --------------------------------------------------------------------------------------
# employee metrics (confidentiality applies)
# --------------------------------------------------------------------------------------

def item_columns(data: pd.DataFrame, items: Sequence[str] | None = None) -> list[str]:
    """The engagement item columns: ``items`` if given, else every ``eng_*`` column."""
    columns = list(items) if items is not None else [c for c in data.columns if c.startswith("eng_")]
    if len(columns) < 1:
        raise ParameterError("no engagement item columns (eng_*) were found in the data.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(f"item column(s) {missing} are not in the data.")
    return columns


def respondent_engagement(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.Series:
    """Each respondent's engagement index: (mean of answered items − 1) / 4 × 100."""
    values = data[item_columns(data, items)].astype(float)
    return (values.mean(axis=1, skipna=True) - 1) / 4 * 100


def _respondents(group: pd.DataFrame) -> int:
    return len(group)


def engagement_index(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                     confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Engagement index (0–100) per group; ``n`` = respondents; small groups suppressed."""
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)
    scored = data.assign(_ei=respondent_engagement(data, columns))

    def compute(group: pd.DataFrame) -> list[dict]:
        r = mean_interval(group["_ei"].to_numpy(), confidence)
        r["n"] = len(group)
        return [{**_base("engagement_index", confidence), **r}]

    frame = _grouped(scored, by, over, compute)
    return _employee(frame, scored, by, over, min_group_size, _respondents)


def pct_favourable(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                   confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """% favourable (item answers 4–5) per group; respondent-clustered SE; suppression."""
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)
    values = data[columns].astype(float)
    scored = data.assign(_fav=(values >= 4).sum(axis=1), _ans=values.notna().sum(axis=1))

    def compute(group: pd.DataFrame) -> list[dict]:
        r = ratio_interval(group["_fav"].to_numpy(), group["_ans"].to_numpy(), confidence)
        r["n"] = len(group)
        return [{**_base("pct_favourable", confidence), **r}]

    frame = _grouped(scored, by, over, compute)
    return _employee(frame, scored, by, over, min_group_size, _respondents)


def enps(data: pd.DataFrame, column: str = "enps", by=None, over=None, confidence: float = 0.95,
         interval: str = "auto", min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Employee NPS per group (NPS cut-offs, trinomial SE); small groups suppressed."""
    frame = nps(data, column=column, by=by, over=over, confidence=confidence, interval=interval)
    frame["outcome"] = "enps"
    return _employee(frame, data, by, over, min_group_size,
                     lambda group: int(group[column].notna().sum()))


def cronbach_alpha(data: pd.DataFrame, items: Sequence[str] | None = None, by=None, over=None,
                   confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Cronbach's alpha of the engagement items per group (estimand ``cronbach_alpha``)."""
    confidence = check_confidence(confidence)
    columns = item_columns(data, items)

    def compute(group: pd.DataFrame) -> list[dict]:
        r = cronbach_alpha_interval(group[columns], confidence)
        r["n"] = len(group)
        return [{**_base("engagement_items", confidence, "cronbach_alpha"), "term": "alpha", **r}]

    frame = _grouped(data, by, over, compute)
    return _employee(frame, data, by, over, min_group_size, _respondents)


# --------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------

def summary(customers: pd.DataFrame | None = None, employees: pd.DataFrame | None = None,
            by=None, over_customer=None, over_employee=None, confidence: float = 0.95,
            min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """All metrics for the given grouping, stacked in the tidy schema."""
    frames = []
    if customers is not None and len(customers):
        frames += [nps(customers, by=by, over=over_customer, confidence=confidence),
                   csat(customers, by=by, over=over_customer, confidence=confidence),
                   ces(customers, by=by, over=over_customer, confidence=confidence)]
    if employees is not None and len(employees):
        kwargs = dict(by=by, over=over_employee, confidence=confidence, min_group_size=min_group_size)
        frames += [engagement_index(employees, **kwargs), pct_favourable(employees, **kwargs),
                   enps(employees, **kwargs)]
    if not frames:
        return tidy([])
    return pd.concat(frames, ignore_index=True)


def change_since_previous(frame: pd.DataFrame, period_column: str,
                          confidence: float = 0.95) -> pd.DataFrame:
    """Each outcome's change from its previous period to its latest, with an interval.

    ``frame`` holds tidy metric rows with a ``period_column`` (e.g. :func:`nps` with
    ``over="quarter"``). The two periods are independent samples, so the change's standard
    error is the root of the sum of their variances (normal interval, two-sided p-value).
    Estimand ``change_since_previous``; ``term`` names the two periods.
    """
    from scipy import stats

    rows = []
    z = stats.norm.ppf((1 + confidence) / 2)
    for outcome, part in frame.dropna(subset=["estimate", "se"]).groupby("outcome", sort=False):
        part = part.sort_values(period_column)
        if len(part) < 2:
            continue
        before, latest = part.iloc[-2], part.iloc[-1]
        change = latest["estimate"] - before["estimate"]
        se = float(np.hypot(latest["se"], before["se"]))
        p_value = float(2 * stats.norm.sf(abs(change) / se)) if se > 0 else np.nan
        rows.append({"analysis": "metrics", "estimand": "change_since_previous",
                     "subject": latest.get("subject", "all"), "outcome": outcome,
                     "term": f"{period_label(before[period_column], period_column)} to "
                             f"{period_label(latest[period_column], period_column)}",
                     "estimate": change, "se": se, "ci_low": change - z * se,
                     "ci_high": change + z * se, "p_value": p_value, "confidence": confidence,
                     "n": latest["n"] + before["n"],
                     "method": "difference_of_independent_estimates_normal"})
    return tidy(rows)


#: Words for metric and outcome names in report sentences (issue-free fallback: the name with
#: spaces for underscores).
LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "customer effort (CES)", "enps": "eNPS",
          "engagement_index": "engagement", "pct_favourable": "% favourable",
          "repeat_contacts_per_1000": "repeat contacts per 1,000 customers",
          "exit_rate": "employee exit rate", "churn_rate": "customer churn rate",
          "revenue_per_customer": "revenue per customer"}


def label(name: str) -> str:
    """A metric's name in words: ``"nps"`` -> ``"NPS"``."""
    return LABELS.get(name, name.replace("_", " "))


DEFINITIONS = {
    "NPS": "% promoters (9–10) − % detractors (0–6), in points from −100 to 100. Its standard "
           "error comes from the trinomial variance [p + d − (p − d)²] / n; for fewer than 100 "
           "answers the interval is the adjusted Wald (add 3 to n and ¾ to promoters and detractors).",
    "CSAT": "% of 1–5 satisfaction answers that are 4 or 5 (top-2-box), Wilson interval.",
    "CES": "mean of 1–7 customer-effort answers (higher = easier), t interval; also % of answers 5–7.",
    "eNPS": "the NPS cut-offs applied to employees' 0–10 answer to 'would you recommend working here'.",
    "Engagement index": "each respondent's mean of the eng_* items (1–5) rescaled to 0–100 as "
                        "(mean − 1) / 4 × 100, averaged over respondents.",
    "% favourable": "share of engagement item answers that are 4 or 5; its interval treats each "
                    "respondent's answers as a cluster.",
    "Cronbach's alpha": "internal consistency of the engagement items (0–1; 0.7 or more is usually "
                        "read as a reliable scale), Feldt interval.",
    "Confidentiality": "employee results are hidden for groups of fewer than {k} respondents, "
                       "and wherever a hidden group could be worked out by subtraction.",
}


def definitions_markdown(min_group_size: int = MIN_GROUP_SIZE) -> str:
    """The metric definitions as a Markdown list, for every report's footnote."""
    return "\n".join(f"- **{name}**: {text.format(k=min_group_size)}"
                     for name, text in DEFINITIONS.items())
