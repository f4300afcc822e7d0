"""Verbatims (notebook 05): comments with language, sentiment and theme, and what they show —
themes by source, themes detractors raise more than promoters, whether units whose
employees raise a theme have customers raising it, theme shares by group and quarter.

The text models are :mod:`cxex_analysis.estimators.sentiment`. Everything here returns
data; what reaches a report goes through :mod:`cxex_analysis.privacy` (PII masked, text
escaped, comment thresholds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from cxex_analysis.errors import check_argument, check_confidence
from cxex_analysis.estimators.intervals import correlation_interval, proportion_interval
from cxex_analysis.estimators.sentiment import fit_themes, score
from cxex_analysis.panels.comments import comment_quarters, read_comments
from cxex_analysis.privacy import mask_pii
from cxex_analysis.results import tidy


def themes_frame(customers: pd.DataFrame, employees: pd.DataFrame, n_themes: int = 9,
                 seed: int = 0) -> pd.DataFrame:
    """One row per comment of either source: source, unit, theme id and label, sentiment."""
    parts = []
    for source, frame in (("customer", customers), ("employee", employees)):
        if frame is None or frame.empty:
            continue
        part = frame.dropna(subset=["comment"])
        part = part[part["comment"].str.strip() != ""]
        parts.append(pd.DataFrame({"source": source, "response_id": part["response_id"],
                                   "unit_id": part["unit_id"], "comment": part["comment"],
                                   "nps": part["nps"] if "nps" in part else np.nan}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("nps", "sentiment") else object)
                             for c in ("source", "response_id", "unit_id", "comment", "nps",
                                       "language", "sentiment", "label", "theme_id", "theme")})
    comments = pd.concat(parts, ignore_index=True)
    scored = score(comments["comment"])
    comments = comments.join(scored)
    english = comments["language"] == "en"
    # themes are learnt from masked text: a theme's label must never carry an e-mail address
    # or a number someone wrote in a comment

    masked = comments.loc[english, "comment"].map(mask_pii)
    labels, theme, strength = fit_themes(masked, n_themes, seed)
    comments["theme_id"] = -1
    comments.loc[english, "theme_id"] = theme
    comments["theme"] = comments["theme_id"].map(dict(enumerate(labels))).fillna("(no theme)")
    return comments


def theme_summary(comments: pd.DataFrame) -> pd.DataFrame:
    """Per theme: its words, comments by source, share negative."""
    english = comments[comments["theme_id"] >= 0]
    table = english.groupby(["theme_id", "theme"]).agg(
        customer_comments=("source", lambda s: int((s == "customer").sum())),
        employee_comments=("source", lambda s: int((s == "employee").sum())),
        share_negative=("label", lambda s: float((s == "negative").mean() * 100))).reset_index()
    return table.sort_values("customer_comments", ascending=False).reset_index(drop=True)


def detractor_vs_promoter(comments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Which themes detractors (NPS 0–6) mention more than promoters (9–10), with intervals.

    Difference of two proportions (percentage points) with Newcombe's hybrid Wilson interval;
    p-values from the two-proportion z test, Holm-adjusted in ``p_value_holm``.
    """
    confidence = check_confidence(confidence)
    rated = comments[(comments["source"] == "customer") & comments["nps"].notna()
                     & (comments["theme_id"] >= 0)]
    detractors = rated[rated["nps"] <= 6]
    promoters = rated[rated["nps"] >= 9]
    rows = []
    for (theme_id, theme), _ in rated.groupby(["theme_id", "theme"]):
        a, n1 = int((detractors["theme_id"] == theme_id).sum()), len(detractors)
        b, n2 = int((promoters["theme_id"] == theme_id).sum()), len(promoters)
        if n1 == 0 or n2 == 0:
            continue
        low, high = confint_proportions_2indep(a, n1, b, n2, method="newcomb",
                                               alpha=1 - confidence)
        p1, p2 = a / n1, b / n2
        pooled = (a + b) / (n1 + n2)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(2 * stats.norm.sf(abs(p1 - p2) / se0)) if se0 > 0 else np.nan
        rows.append({"analysis": "text", "estimand": "theme_share_detractors_minus_promoters",
                     "subject": "all", "outcome": "customer_comments", "term": theme,
                     "estimate": 100 * (p1 - p2), "se": 100 * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2),
                     "ci_low": 100 * low, "ci_high": 100 * high, "p_value": p,
                     "confidence": confidence, "n": n1 + n2,
                     "method": "difference_of_proportions_newcombe (n = comments)"})
    out = tidy(rows)
    out["p_value_holm"] = (multipletests(out["p_value"].fillna(1), method="holm")[1]
                           if len(out) else np.nan)
    return out


def dual_view(comments: pd.DataFrame, min_comments: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """Per theme: across units, does the share of employee comments on it go with the share of
    customer comments on it? (Pearson r with Fisher interval; units with enough of both.)"""
    confidence = check_confidence(confidence)
    themed = comments[comments["theme_id"] >= 0]
    counts = themed.groupby(["unit_id", "source"]).size().unstack(fill_value=0)
    keep = counts[(counts.get("customer", 0) >= min_comments) & (counts.get("employee", 0) >= min_comments)].index
    rows = []
    for (theme_id, theme), _ in themed.groupby(["theme_id", "theme"]):
        shares = (themed[themed["unit_id"].isin(keep)]
                  .assign(hit=lambda f, theme_id=theme_id: f["theme_id"] == theme_id)
                  .groupby(["unit_id", "source"])["hit"].mean().unstack())
        if shares.shape[0] < 6 or not {"customer", "employee"} <= set(shares.columns):
            continue
        shares = shares.dropna()
        if shares["customer"].std() == 0 or shares["employee"].std() == 0:
            continue
        r, p = stats.pearsonr(shares["employee"], shares["customer"])
        low, high = correlation_interval(float(r), len(shares), confidence)
        rows.append({"analysis": "text", "estimand": "theme_employee_customer_correlation",
                     "subject": "all", "outcome": "comments", "term": theme, "estimate": float(r),
                     "se": np.nan, "ci_low": low, "ci_high": high,
                     "p_value": float(p), "confidence": confidence, "n": len(shares),
                     "method": "pearson_unit_theme_shares_fisher_z (n = units)"})
    return tidy(rows)


def sentiment_summary(comments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Share of comments negative, by source, with Wilson intervals; non-English counted apart."""
    rows = []
    for source, part in comments.groupby("source"):
        scored = part[part["label"] != "not scored"]
        r = proportion_interval(float((scored["label"] == "negative").sum()), float(len(scored)),
                                confidence)
        rows.append({"analysis": "text", "estimand": "share_negative", "subject": "all",
                     "outcome": f"{source}_comments", "term": "sentiment", **r,
                     "confidence": confidence, "p_value": np.nan,
                     "method": "vader_service_lexicon_wilson (n = English comments)",
                     "not_english": int((part["language"] != "en").sum())})
    return tidy(rows, extra=["not_english"])


def load_comments(con, n_themes: int = 9, seed: int = 0) -> pd.DataFrame:
    """Every comment in the warehouse with language, sentiment and theme."""
    customers, employees = read_comments(con)
    return themes_frame(customers, employees, n_themes, seed)


def examples(comments: pd.DataFrame, allowed_units: set, per_theme: int = 2) -> pd.DataFrame:
    """A few comments per theme and source, PII masked (tables escape them when shown).

    Employee comments come only from units allowed by the comment threshold.
    """
    usable = comments[(comments["theme_id"] >= 0)
                      & ((comments["source"] == "customer") | comments["unit_id"].isin(allowed_units))]
    picked = (usable.sort_values("response_id")
              .groupby(["theme", "source"], sort=False).head(per_theme))
    out = picked[["theme", "source", "label", "comment"]].copy()
    out["comment"] = out["comment"].map(mask_pii)
    return out.sort_values(["theme", "source"]).reset_index(drop=True)


def language_table(comments: pd.DataFrame) -> pd.DataFrame:
    """Comments by language and source (non-English ones are not scored)."""
    return (comments.groupby(["language", "source"]).size().rename("comments")
            .reset_index().sort_values("comments", ascending=False).reset_index(drop=True))


def theme_share(con, comments: pd.DataFrame, by: str = "region", source: str = "customer",
                confidence: float = 0.95, min_comments: int = 30) -> pd.DataFrame:
    """Share of a group's comments on each theme, per quarter, with Wilson intervals.

    One tidy row per group, quarter and theme (estimand ``theme_share``; ``subject`` =
    ``region=North; quarter=2025-01-01``). Group-quarters with fewer than ``min_comments``
    themed comments are left out. Employee comments are only counted here, never quoted.
    """
    check_argument("by", by, ("region", "unit_type"))
    check_argument("source", source, ("customer", "employee"))
    confidence = check_confidence(confidence)

    periods = comment_quarters(con, source, by)
    if periods is None:
        return tidy([], extra=[by, "quarter"])
    themed = comments[(comments["source"] == source) & (comments["theme_id"] >= 0)].merge(
        periods, on="response_id")
    rows = []
    for (group, quarter), part in themed.groupby([by, "quarter"]):
        if len(part) < min_comments:
            continue
        counts = part["theme"].value_counts()
        for theme, k in counts.items():
            r = proportion_interval(float(k), float(len(part)), confidence)
            rows.append({"analysis": "text", "estimand": "theme_share",
                         "subject": f"{by}={group}; quarter={pd.Timestamp(quarter).date().isoformat()}",
                         "outcome": f"{source}_comments", "term": theme, **r, "p_value": np.nan,
                         "confidence": confidence,
                         "method": "share_of_themed_comments_wilson (n = comments)",
                         by: group, "quarter": quarter})
    return tidy(rows, extra=[by, "quarter"])


def top_detractor_theme_share(shares: pd.DataFrame, contrast: pd.DataFrame) -> pd.DataFrame | None:
    """Theme shares by group and quarter for the theme detractors raise most over promoters;
    None when there are no shares or no contrast."""
    if shares.empty or contrast.empty:
        return None
    top = contrast.sort_values("estimate", ascending=False)["term"].iloc[0]
    return shares[shares["term"] == top]
