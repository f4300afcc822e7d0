"""The claims ledger in words: each claim, what this organisation's data say, the verdict."""

from __future__ import annotations

import math

import pandas as pd

from cxex_analysis.analyses.claims import CLAIMS

CLAIM_BY_ID = {claim.id: claim for claim in CLAIMS}

#: How a verdict reads in a report.
VERDICT_WORDS = {"supported": "Supported here",
                 "consistent with the claim": "Consistent with the claim (a wide interval)",
                 "stronger here": "Stronger here than claimed",
                 "weaker here": "Weaker here than claimed",
                 "contradicted": "Contradicted here",
                 "cannot tell": "Cannot tell yet"}

#: How the verdicts are counted in a sentence.
VERDICT_COUNTS = {"supported": "supported", "consistent with the claim": "consistent with the claim",
                  "stronger here": "stronger here", "weaker here": "weaker here",
                  "contradicted": "contradicted", "cannot tell": "cannot tell yet"}

#: What each verdict means, for the notes under the ledger.
VERDICT_RULE = ("Supported: the interval reaches the claimed value or range, rules out no effect "
                "and is narrow (its far end within 3 times its near end, from no effect). "
                "Consistent with the claim: the same, but the interval is wider than that. "
                "Stronger or weaker here: the whole interval lies beyond the claim, or between "
                "it and no effect. Contradicted: the effect goes the other way. Cannot tell: "
                "no test, or the interval reaches both the claim and no effect.")


def number_text(claim_id: str, value: float) -> str:
    """A ledger number in the claim's own units."""
    if value is None or not math.isfinite(value):
        return "—"
    if claim_id == "roi_above_9000pct":
        return f"{100 * value:,.0f}%"
    if claim_id == "heskett_retention_profit":
        return f"{value:+.0f}% profit"
    if claim_id == "harter_engagement_cx_r":
        return f"{value:.2f}"
    if claim_id in ("recommend_5x", "top_cx_engagement_5x"):
        return f"{value:.1f}×"
    return f"{value:+.1f} points"


def estimate_text(row) -> str:
    """'3.8× (95% CI 3.6× to 4.0×)', or what the data would need."""
    if not math.isfinite(row["estimate"]):
        return str(row["method"]).replace("not tested: ", "Not tested here: ", 1)
    low, high = (number_text(row["subject"], row[c]) for c in ("ci_low", "ci_high"))
    return (f"{number_text(row['subject'], row['estimate'])} "
            f"({row['confidence']:.0%} CI {low} to {high})")


def ledger_table(ledger: pd.DataFrame, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """The ledger for display: the claim in words, what was measured here, this organisation's
    number with its interval, the verdict, the evidence and the report that tested it."""
    titles = titles or {}
    rows = []
    for row in ledger.itertuples(index=False):
        claim = CLAIM_BY_ID.get(row.subject)
        if claim is None:
            continue
        rows.append({"Claim": f"{claim.words} ({claim.source})", "Measured here": claim.number,
                     "This organisation": estimate_text(row._asdict()),
                     "Verdict": VERDICT_WORDS.get(row.verdict, row.verdict),
                     "Evidence": row.evidence,
                     "Tested in": titles.get(claim.report, claim.report)})
    return pd.DataFrame(rows, columns=["Claim", "Measured here", "This organisation", "Verdict",
                                       "Evidence", "Tested in"])


def ledger_sentences(ledger: pd.DataFrame) -> list[str]:
    """How the claims fared, in a sentence or two."""
    if ledger.empty:
        return []
    counts = ledger["verdict"].value_counts()
    parts = [f"{int(counts.get(v, 0))} {words}" for v, words in VERDICT_COUNTS.items()
             if counts.get(v, 0)]
    out = [f"Of {len(ledger)} claims leaders often hear, on this organisation's data: "
           + ", ".join(parts) + "."]
    for row in ledger[ledger["verdict"].isin(["stronger here", "weaker here",
                                              "contradicted"])].itertuples():
        claim = CLAIM_BY_ID.get(row.subject)
        if claim is not None:
            out.append(f"“{claim.words}” — here: {estimate_text(row._asdict())}.")
    return out


CONTRAST_WORDS = {"csat_top2_vs_bottom2": "CSAT 4-5 against 1-2",
                  "ces_low_vs_high_effort": "low effort (CES 5-7) against high (1-3)"}

METRIC_WORDS = {"csat": "CSAT", "ces": "CES", "nps": "NPS"}

OUTCOME_WORDS = {"churn_rate": "churn", "revenue_per_customer": "revenue per customer",
                 "repeat_contacts_per_1000": "repeat contacts"}

DESIGN_WORDS = {"within_unit": "within units", "between_unit": "between units"}


def recommend_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The promoter risk ratios: who, which contrast, the promoter shares, the ratio."""
    if rows.empty:
        return pd.DataFrame()
    ratios = rows[rows["estimand"] == "promoter_risk_ratio"]
    return pd.DataFrame({
        "Customers": ratios["subject"].str.replace("channel=", "channel: ").replace({"all": "all"}),
        "Experience compared": ratios["term"].map(CONTRAST_WORDS),
        "Promoters, good (%)": 100 * ratios["promoters_good"].astype(float),
        "Promoters, poor (%)": 100 * ratios["promoters_poor"].astype(float),
        "estimate": ratios["estimate"], "ci_low": ratios["ci_low"], "ci_high": ratios["ci_high"],
        "n": ratios["n"], "confidence": ratios["confidence"]}).reset_index(drop=True)


def metric_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each metric's share of each money outcome's within-unit variance, with its interval."""
    if rows.empty:
        return pd.DataFrame()
    shares = rows[rows["estimand"] == "metric_share_explained"]
    return pd.DataFrame({"Money outcome": shares["outcome"].map(OUTCOME_WORDS),
                         "Compared": shares["term"].map(DESIGN_WORDS),
                         "Metric": shares["subject"].map(METRIC_WORDS),
                         "estimate": shares["estimate"], "ci_low": shares["ci_low"],
                         "ci_high": shares["ci_high"],
                         "Real change (reliability)": shares["reliability"].astype(float),
                         "n": shares["n"], "confidence": shares["confidence"],
                         "Note": shares["method"].where(shares["estimate"].isna(), "")
                         .str.replace("not estimated: its", "Not estimated: the metric's")
                         }).reset_index(drop=True)


def poll_order_sentences(rows: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """Per money outcome: the metrics in the order found here, and whether the poll's order
    (CSAT, then CES, then NPS) holds — each step counted only when the pair's Holm-corrected
    p-value is below ``alpha``."""
    out: list[str] = []
    if rows.empty:
        return out
    shares = rows[(rows["estimand"] == "metric_share_explained") & rows["estimate"].notna()]
    pairs = rows[rows["estimand"] == "metric_share_difference"].set_index(
        ["outcome", "term", "subject"])
    for (outcome, term), part in shares.groupby(["outcome", "term"], sort=False):
        order = part.sort_values("estimate", ascending=False)["subject"].tolist()
        found = " > ".join(METRIC_WORDS.get(m, m) for m in order)
        where = f"{OUTCOME_WORDS.get(outcome, outcome).capitalize()}, {DESIGN_WORDS.get(term, term)}"
        if len(order) < 2:
            out.append(f"{where}: only {found} can be told from survey noise; nothing to compare.")
            continue
        steps = []
        for first, second in (("csat", "ces"), ("ces", "nps"), ("csat", "nps")):
            key = (outcome, term, f"{first}-{second}") \
                if (outcome, term, f"{first}-{second}") in pairs.index \
                else (outcome, term, f"{second}-{first}")
            if key not in pairs.index:
                continue
            pair = pairs.loc[key]
            sign = pair["estimate"] if key[2].startswith(first) else -pair["estimate"]
            if pair["p_holm"] < alpha:
                steps.append(f"{METRIC_WORDS[first]} {'ahead of' if sign > 0 else 'behind'} "
                             f"{METRIC_WORDS[second]}")
        clear = ("; clearly: " + ", ".join(steps)) if steps else \
            "; no difference between them is clear at this size"
        out.append(f"{where}: {found}{clear}.")
    return out


def metric_differences(rows: pd.DataFrame) -> pd.DataFrame:
    """The pairwise differences of the shares, Holm-corrected over each outcome's pairs."""
    if rows.empty:
        return pd.DataFrame()
    pairs = rows[rows["estimand"] == "metric_share_difference"]
    names = pairs["subject"].str.split("-").map(
        lambda p: f"{METRIC_WORDS.get(p[0], p[0])} minus {METRIC_WORDS.get(p[1], p[1])}")
    return pd.DataFrame({"Money outcome": pairs["outcome"].map(OUTCOME_WORDS),
                         "Compared": pairs["term"].map(DESIGN_WORDS),
                         "Comparison": names, "estimate": pairs["estimate"],
                         "ci_low": pairs["ci_low"], "ci_high": pairs["ci_high"],
                         "p_value": pairs["p_holm"],
                         "confidence": pairs["confidence"]}).reset_index(drop=True)


def first_time_sentence(rows: pd.DataFrame) -> str:
    """The NPS gap between customers resolved first time and the others, in a sentence."""
    if rows.empty:
        return ("Not tested: the customer answers do not say whether the contact was resolved "
                "the first time (column resolved_first_contact), or too few say so.")
    row = rows.iloc[0]
    way = "higher" if row["estimate"] > 0 else "lower"
    return (f"Customers whose contact was resolved the first time gave an NPS "
            f"{abs(row['estimate']):.1f} points {way} than the others ({row['confidence']:.0%} CI "
            f"{row['ci_low']:+.1f} to {row['ci_high']:+.1f}; {int(row['n']):,} answers). A "
            "comparison of customers, not an experiment: harder problems are both less often "
            "solved at once and more annoying.")


def retention_sentence(rows: pd.DataFrame) -> str:
    """Heskett's arithmetic at this organisation's churn, in a sentence."""
    if rows.empty:
        return ("Not tested: needs unit outcomes with customers active and lost each month.")
    row = rows.iloc[0]
    return (f"At this organisation's churn, 5 more points of annual customer retention would "
            f"raise profit by {row['estimate']:.0f}% in steady state ({row['confidence']:.0%} CI "
            f"{row['ci_low']:.0f}% to {row['ci_high']:.0f}%, over {int(row['n'])} units), if "
            "profit grows with the customer base. Heskett et al. claim 25% to 85%: the lower the "
            "churn, the more a fixed gain in retention is worth. Arithmetic on the organisation's "
            "own numbers, not a test that retention causes profit.")
