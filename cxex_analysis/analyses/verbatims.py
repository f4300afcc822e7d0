"""Verbatims (notebook 05): what customers and employees say — sentiment learnt from their own
scores, codebook themes (multi-label), which themes detractors raise more than promoters,
whether units whose employees raise a theme have customers raising it, theme shares by group
and quarter, and emerging themes no codebook theme covers.

The models are in :mod:`cxex_analysis.estimators.comment_annotation`. Everything here returns
data; what reaches a report goes through :mod:`cxex_analysis.privacy` (PII masked, text
escaped, comment thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from cxex_analysis.errors import check_argument, check_confidence
from cxex_analysis.estimators.actionable import KINDS
from cxex_analysis.estimators.comment_annotation import Annotated, with_themes
from cxex_analysis.estimators.intervals import correlation_interval, proportion_interval
from cxex_analysis.estimators.representative import most_central
from cxex_analysis.panels.comments import (
    annotated_comments,
    comment_quarters,
    kept_discovery,
    organisation_names,
)
from cxex_analysis.results import Parts, stacked, tidy
from cxex_analysis.vocabulary import TEXT_TERMS

SCORED = ("negative", "neutral", "positive", "suggestion")


@dataclass(frozen=True)
class Verbatims(Parts):
    """What notebook 05 found, part by part (:meth:`~cxex_analysis.results.Parts.with_part`);
    a part is None until its section computed it.

    Attributes
    ----------
    annotated : every comment with its tone and codebook themes
    sentiment : share of comments negative, by source (:func:`sentiment_summary`)
    contrast : themes detractors raise more than promoters (:func:`detractor_vs_promoter`)
    shares : theme shares by region and quarter (:func:`theme_share`)
    dual : employees' and customers' theme shares across units (:func:`dual_view`)
    emerging : themes found in critical comments without a codebook (:func:`emerging_themes`)
    actionable : share of customer comments that need a response (:func:`actionable_summary`)
    """

    annotated: Annotated
    sentiment: pd.DataFrame | None = None
    actionable: pd.DataFrame | None = None
    contrast: pd.DataFrame | None = None
    shares: pd.DataFrame | None = None
    dual: pd.DataFrame | None = None
    emerging: pd.DataFrame | None = None
    not_estimated: Mapping[str, str] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The rows to record: sentiment, the actionable share, the detractor contrast, the
        dual view and the theme shares (those computed)."""
        return stacked(self.sentiment, self.actionable, self.contrast, self.dual, self.shares)


def load_comments(con, codebook: str = "", n_themes: int = 10, seed: int = 0,
                  brand_terms: str = "") -> Annotated:
    """Every comment in the warehouse annotated (``codebook`` "" = the default service one),
    with up to ``n_themes`` discovery themes (:func:`discover_themes`; 0: none)."""
    # tone and codebook themes as the group reports have them (learnt once per warehouse)
    return discover_themes(con, annotated_comments(con, codebook, seed), n_themes, seed,
                           brand_terms)


def discover_themes(con, annotated: Annotated, n_themes: int = 10, seed: int = 0,
                    brand_terms: str = "") -> Annotated:
    """``annotated`` with up to ``n_themes`` themes found in its critical comments without a
    codebook; ``brand_terms`` (comma-separated), the units' and the regions' own names are
    kept out of the themes' names."""
    names = organisation_names(con) + [b.strip() for b in brand_terms.split(",") if b.strip()]
    return with_themes(annotated, n_themes, seed, names, find=kept_discovery)


def _english(annotated: Annotated, source: str | None = None) -> pd.Series:
    comments = annotated.comments
    keep = comments["label"].isin(SCORED)
    return keep & (comments["source"] == source) if source else keep


def sentiment_summary(annotated: Annotated, confidence: float = 0.95) -> pd.DataFrame:
    """Share of comments negative, by source (Wilson interval), with how sentiment was reached
    and its agreement with the writers' own scores."""
    rows = []
    comments = annotated.comments
    for source, part in comments.groupby("source"):
        scored = part[part["label"].isin(SCORED)]
        fit = annotated.fits[source]
        r = proportion_interval(float((scored["label"] == "negative").sum()), float(len(scored)),
                                confidence)
        rows.append({"analysis": "text", "estimand": "share_negative", "subject": "all",
                     "outcome": f"{source}_comments", "term": "sentiment", **r,
                     "confidence": confidence, "p_value": np.nan,
                     "method": f"{fit.method}; Wilson interval (n = English comments)",
                     "not_english": int((part["language"] != "en").sum()),
                     "suggestions": int((part["label"] == "suggestion").sum()),
                     "learnt_from": fit.n_scored, "agreement": fit.agreement,
                     "lexicon_agreement": fit.lexicon_agreement})
    return tidy(rows, extra=["not_english", "suggestions", "learnt_from", "agreement",
                             "lexicon_agreement"])


def theme_summary(annotated: Annotated) -> pd.DataFrame:
    """Per codebook theme: comments mentioning it by source, and % of them negative."""
    rows = []
    for theme in annotated.codebook:
        hit = annotated.tags[theme.id] & _english(annotated)
        if not hit.any():
            continue
        part = annotated.comments[hit]
        rows.append({"theme": theme.label,
                     "customer_comments": int((part["source"] == "customer").sum()),
                     "employee_comments": int((part["source"] == "employee").sum()),
                     "share_negative": float((part["label"] == "negative").mean() * 100)})
    table = pd.DataFrame(rows, columns=["theme", "customer_comments", "employee_comments",
                                        "share_negative"])
    return table.sort_values(["customer_comments", "employee_comments"],
                             ascending=False).reset_index(drop=True)


def detractor_vs_promoter(annotated: Annotated, confidence: float = 0.95) -> pd.DataFrame:
    """Which codebook themes detractors (NPS 0–6) mention more than promoters (9–10).

    Difference of two proportions (percentage points) with Newcombe's hybrid Wilson interval;
    p-values from the two-proportion z test, Holm-adjusted in ``p_value_holm``.
    """
    confidence = check_confidence(confidence)
    comments = annotated.comments
    rated = _english(annotated, "customer") & pd.to_numeric(comments["nps"], errors="coerce").notna()
    nps = pd.to_numeric(comments["nps"], errors="coerce")
    detractors, promoters = rated & (nps <= 6), rated & (nps >= 9)
    n1, n2 = int(detractors.sum()), int(promoters.sum())
    rows = []
    for theme in annotated.codebook:
        hit = annotated.tags[theme.id]
        a, b = int((hit & detractors).sum()), int((hit & promoters).sum())
        if n1 == 0 or n2 == 0 or a + b == 0:
            continue
        low, high = confint_proportions_2indep(a, n1, b, n2, method="newcomb",
                                               alpha=1 - confidence)
        p1, p2 = a / n1, b / n2
        pooled = (a + b) / (n1 + n2)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(2 * stats.norm.sf(abs(p1 - p2) / se0)) if se0 > 0 else np.nan
        rows.append({"analysis": "text", "estimand": "theme_share_detractors_minus_promoters",
                     "subject": "all", "outcome": "customer_comments", "term": theme.label,
                     "estimate": 100 * (p1 - p2),
                     "se": 100 * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2),
                     "ci_low": 100 * low, "ci_high": 100 * high, "p_value": p,
                     "confidence": confidence, "n": n1 + n2,
                     "method": "difference_of_proportions_newcombe (n = comments)"})
    return _with_holm(tidy(rows))


def _with_holm(out: pd.DataFrame) -> pd.DataFrame:
    out["p_value_holm"] = (multipletests(out["p_value"].fillna(1), method="holm")[1]
                           if len(out) else np.nan)
    return out


def dual_view(annotated: Annotated, min_comments: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """Per codebook theme of both sources: across units, does the share of employee comments
    mentioning it go with the share of customer comments mentioning it? (Pearson r, Fisher
    interval, Holm-adjusted; units with at least ``min_comments`` of both.)"""
    confidence = check_confidence(confidence)
    scored = _english(annotated)
    comments = annotated.comments[scored]
    counts = comments.groupby(["unit_id", "source"]).size().unstack(fill_value=0)
    if not {"customer", "employee"} <= set(counts.columns):
        return _with_holm(tidy([]))
    keep = counts[(counts["customer"] >= min_comments) & (counts["employee"] >= min_comments)].index
    rows = []
    for theme in annotated.codebook:
        if theme.source != "both":
            continue
        hit = annotated.tags.loc[scored, theme.id]
        shares = (comments.assign(hit=hit)[comments["unit_id"].isin(keep)]
                  .groupby(["unit_id", "source"])["hit"].mean().unstack().dropna())
        if len(shares) < 6 or shares["customer"].std() == 0 or shares["employee"].std() == 0:
            continue
        r, p = stats.pearsonr(shares["employee"], shares["customer"])
        low, high = correlation_interval(float(r), len(shares), confidence)
        rows.append({"analysis": "text", "estimand": "theme_employee_customer_correlation",
                     "subject": "all", "outcome": "comments", "term": theme.label,
                     "estimate": float(r), "se": np.nan, "ci_low": low, "ci_high": high,
                     "p_value": float(p), "confidence": confidence, "n": len(shares),
                     "method": "pearson_unit_theme_shares_fisher_z (n = units)"})
    return _with_holm(tidy(rows))


def emerging_themes(annotated: Annotated) -> pd.DataFrame:
    """Discovery themes (critical comments) with their stability, comments by source, the
    closest codebook theme and whether they are emerging (no codebook theme covers them)."""
    cover = annotated.coverage.copy()
    if cover.empty:
        return cover.assign(stability=pd.Series(dtype=float), customer_comments=0,
                            employee_comments=0)
    comments = annotated.comments
    cover["stability"] = annotated.discovery.stability
    for source in ("customer", "employee"):
        cover[f"{source}_comments"] = [
            int(((comments["theme_id"] == t) & (comments["source"] == source)).sum())
            for t in cover["theme_id"]]
    cover["share_tagged"] = (100 * cover["share_tagged"]).round().astype(int)
    return cover.sort_values(["emerging", "comments"], ascending=[False, False]).reset_index(drop=True)


def examples(annotated: Annotated, allowed_units: set, per_theme: int = 2,
             emerging: bool = False) -> pd.DataFrame:
    """The ``per_theme`` most representative comments of each codebook theme (or emerging
    theme) and source (:func:`~cxex_analysis.estimators.representative.most_central`), PII
    masked, with their tone and whether they need a response.

    Employee comments come only from units allowed by the comment threshold.
    """
    comments = annotated.comments
    usable = _english(annotated) & ((comments["source"] == "customer")
                                    | comments["unit_id"].isin(allowed_units))
    parts = []
    if emerging:
        wanted = annotated.coverage.loc[annotated.coverage["emerging"], "theme_id"]
        for theme_id, label in zip(wanted, annotated.coverage.loc[wanted.index, "theme"]):
            parts.append(comments[usable & (comments["theme_id"] == theme_id)].assign(theme=label))
    else:
        for theme in annotated.codebook:
            parts.append(comments[usable & annotated.tags[theme.id]].assign(theme=theme.label))
    columns = ["theme", "source", "label", "actionable", "comment"]
    if not parts or all(part.empty for part in parts):
        return pd.DataFrame(columns=columns)
    pooled = pd.concat(parts, ignore_index=True)
    rank = most_central(pooled["comment"], pooled["theme"] + "|" + pooled["source"], per_theme)
    picked = pooled.assign(rank=rank, actionable=pooled["actionable"].map(
        lambda kind: TEXT_TERMS.get(kind, ""))).dropna(subset=["rank"])
    return picked.sort_values(["theme", "source", "rank"])[columns].reset_index(drop=True)


def actionable_summary(annotated: Annotated, confidence: float = 0.95) -> pd.DataFrame:
    """Share of customer comments that need a response (Wilson interval): all of them, and
    each kind — a request, a question, a specific fault
    (:mod:`~cxex_analysis.estimators.actionable`)."""
    comments = annotated.comments
    mine = comments[(comments["source"] == "customer") & (comments["language"] == "en")]
    rows: list[dict] = []
    if mine.empty:
        return tidy(rows)
    kinds = mine["actionable"].fillna("")
    for term, hit in [("needs_response", kinds != "")] + [(k, kinds == k) for k in KINDS]:
        r = proportion_interval(float(hit.sum()), float(len(mine)), confidence)
        rows.append({"analysis": "text", "estimand": "share_actionable", "subject": "all",
                     "outcome": "customer_comments", "term": term, **r,
                     "confidence": confidence, "p_value": np.nan,
                     "method": "phrase rules for a request, a question or a specific fault; "
                               "Wilson interval (n = English customer comments)"})
    return tidy(rows)


def language_table(annotated: Annotated) -> pd.DataFrame:
    """Comments by language and source (non-English ones are not scored)."""
    return (annotated.comments.groupby(["language", "source"]).size().rename("comments")
            .reset_index().sort_values("comments", ascending=False).reset_index(drop=True))


def theme_share(con, annotated: Annotated, by: str = "region", source: str = "customer",
                confidence: float = 0.95, min_comments: int = 30) -> pd.DataFrame:
    """Share of a group's comments mentioning each codebook theme, per quarter (Wilson).

    One tidy row per group, quarter and theme (estimand ``theme_share``; ``subject`` =
    ``region=North; quarter=2025-01-01``). Group-quarters with fewer than ``min_comments``
    English comments are left out. Employee comments are only counted here, never quoted.
    """
    check_argument("by", by, ("region", "unit_type"))
    check_argument("source", source, ("customer", "employee"))
    confidence = check_confidence(confidence)
    periods = comment_quarters(con, source, by)
    if periods is None:
        return tidy([], extra=[by, "quarter"])
    scored = _english(annotated, source)
    frame = annotated.comments.loc[scored, ["response_id"]].reset_index().merge(periods,
                                                                              on="response_id")
    rows = []
    for (group, quarter), part in frame.groupby([by, "quarter"]):
        if len(part) < min_comments:
            continue
        for theme in annotated.codebook:
            k = int(annotated.tags.loc[part["index"], theme.id].sum())
            if k == 0:
                continue
            r = proportion_interval(float(k), float(len(part)), confidence)
            rows.append({"analysis": "text", "estimand": "theme_share",
                         "subject": f"{by}={group}; quarter={pd.Timestamp(quarter).date().isoformat()}",
                         "outcome": f"{source}_comments", "term": theme.label, **r,
                         "p_value": np.nan, "confidence": confidence,
                         "method": "share_of_comments_mentioning_wilson (n = comments)",
                         by: group, "quarter": quarter})
    return tidy(rows, extra=[by, "quarter"])


def top_detractor_theme_share(shares: pd.DataFrame | None,
                              contrast: pd.DataFrame | None) -> pd.DataFrame | None:
    """Theme shares by group and quarter for the theme detractors raise most over promoters;
    None when there are no shares or no contrast."""
    if shares is None or contrast is None or shares.empty or contrast.empty:
        return None
    top = contrast.sort_values("estimate", ascending=False)["term"].iloc[0]
    return shares[shares["term"] == top]
