"""The claims ledger: what leaders are told about experience, each claim tested on this
organisation's own data (estimand ``claim``, ``subject`` = the claim id).

Three claims are tested here, from the warehouse:

* ``recommend_5x`` — customers with a good experience (CSAT 4–5) against a poor one (CSAT
  1–2; CES where there is no CSAT): the risk ratio of being a promoter
  (:mod:`cxex_analysis.estimators.promoter_ratio`), also by channel;
* ``most_actionable_metric`` — which of CSAT, CES and NPS goes with the money outcomes most
  within units, survey noise handled (:mod:`cxex_analysis.estimators.metric_strength`);
* ``right_first_time`` — NPS of customers whose contact was resolved the first time against
  those whose was not (a difference of two NPS, trinomial standard errors);
* ``heskett_retention_profit`` — the profit change 5 more points of retention would bring at
  this organisation's churn, in steady state (arithmetic on the data, not an experiment).

The others were tested by earlier reports of the run and are read from what they recorded
(``results.json``): ``top_cx_engagement_5x`` and ``harter_engagement_cx_r`` (notebook 01),
``roi_above_9000pct`` and ``promoters_stay`` (notebook 03). Each ledger row gets a verdict by the one rule of
:mod:`cxex_analysis.estimators.claim_verdicts` and the evidence grade of the design behind it;
a claim the data cannot test gets ``cannot tell`` and says what it would need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.analyses.claims_result import ClaimTests
from cxex_analysis.errors import InsufficientData, check_confidence
from cxex_analysis.estimators.claim_verdicts import verdict
from cxex_analysis.estimators.metric_strength import metric_strength
from cxex_analysis.estimators.promoter_ratio import promoter_ratios
from cxex_analysis.estimators.value_model import heskett_profit_change
from cxex_analysis.panels.linkage_panels import build_money_panel, build_panel
from cxex_analysis.panels.respondent_scores import nps
from cxex_analysis.panels.unit_economics import churn_by_unit
from cxex_analysis.results import tidy
from cxex_analysis.store.warehouse import customer_responses, has_table, table_columns


@dataclass(frozen=True)
class Claim:
    """A published claim: in words, its source, the claimed value or range of the number that
    tests it (and that number's value of no effect), the report that tests it, the design
    behind that test, and what the data need for it."""

    id: str
    words: str
    source: str
    claimed: tuple[float, float]
    null: float
    number: str
    report: str
    evidence: str
    needs: str


CLAIMS = (
    Claim("recommend_5x", "A good customer experience makes a person five times more likely to "
          "recommend the company.", "widely quoted industry research", (5.0, 5.0), 1.0,
          "risk ratio of being a promoter, CSAT 4-5 against 1-2", "07_claims",
          "between-customer correlation", "customer answers with NPS and CSAT (or CES)"),
    Claim("top_cx_engagement_5x", "Organisations with top customer experience are five times "
          "more likely to have highly engaged employees.", "widely quoted industry research",
          (5.0, 5.0), 1.0, "odds ratio: top-quarter-NPS units having above-median engagement",
          "01_ex_cx_linkage", "between-unit correlation", "both surveys for at least 20 units"),
    Claim("harter_engagement_cx_r", "Engagement and customer loyalty correlate at about 0.33 "
          "across business units.", "Harter, Schmidt & Hayes (2002)", (0.33, 0.33), 0.0,
          "between-unit correlation, corrected for survey noise", "01_ex_cx_linkage",
          "between-unit correlation", "both surveys for at least 20 units"),
    Claim("roi_above_9000pct", "Customer experience returns more than 9000% on what is spent "
          "on it.", "articles on the return of customer experience", (90.0, math.inf), 0.0,
          "return on investment (1 = 100%) of the modelled programme", "03_return_on_experience",
          "quasi-experimental", "a pilot with measured effects and finance assumptions"),
    Claim("heskett_retention_profit", "Five more points of customer retention raise profits "
          "by 25% to 85%.", "Heskett et al. (1994), the service-profit chain", (25.0, 85.0), 0.0,
          "profit change from 5 more points of annual retention at this organisation's churn "
          "(steady state, %)", "07_claims", "steady-state arithmetic",
          "unit outcomes with customers active and lost"),
    Claim("most_actionable_metric", "CSAT is the most actionable metric (40% of practitioners), "
          "then CES (28%), then NPS (24%).", "a practitioners' poll", (0.0, math.inf), 0.0,
          "CSAT's share of churn's within-unit variance minus the next metric's "
          "(percentage points)", "07_claims", "within-unit panel",
          "unit outcomes and customer answers with CSAT, CES and NPS for at least 10 units"),
    Claim("right_first_time", "Getting it right first time raises loyalty.",
          "service-operations practice", (0.0, math.inf), 0.0,
          "NPS of customers resolved at first contact minus the others' (points)", "07_claims",
          "between-customer correlation",
          "customer answers with NPS and whether the contact was resolved first time"),
    Claim("promoters_stay", "Promoters stay longer than detractors: loyal customers are where "
          "growth comes from.", "Reichheld (2003), The One Number You Need to Grow",
          (0.0, math.inf), 0.0, "12-month retention of promoters minus detractors (share, "
          "customers followed in the CRM)", "03_return_on_experience",
          "between-customer correlation",
          "customer answers with a customer key and the CRM's months per customer"),
)

#: The money outcomes the metrics are compared on, the first deciding the ledger's verdict.
MONEY_OUTCOMES = ("churn_rate", "revenue_per_customer", "repeat_contacts_per_1000")

#: The metrics compared, in the poll's order.
POLL_ORDER = ("csat", "ces", "nps")


def customer_answers(con) -> pd.DataFrame | None:
    """The customers' answers the claims read (NPS, CSAT, CES, channel, first-contact
    resolution, those the survey has); None without a customer survey."""
    if not has_table(con, "customer_survey"):
        return None
    present = set(table_columns(con, "customer_survey"))
    wanted = [c for c in ("nps", "csat", "ces", "channel", "resolved_first_contact")
              if c in present]
    return customer_responses(con, wanted)


def recommend_ratios(customers: pd.DataFrame | None, confidence: float = 0.95) -> pd.DataFrame:
    """How many times more likely customers with a good experience are to be promoters than
    those with a poor one, overall and by channel
    (:func:`~cxex_analysis.estimators.promoter_ratio.promoter_ratios`); no rows without
    customer answers."""
    return promoter_ratios(customers, confidence) if customers is not None else tidy([])


def right_first_time(customers: pd.DataFrame | None, confidence: float = 0.95) -> pd.DataFrame:
    """NPS of customers resolved at first contact minus that of the others, with its interval
    (independent groups: the variances add)."""
    if customers is None or "resolved_first_contact" not in customers or "nps" not in customers:
        return tidy([])
    known = customers.dropna(subset=["resolved_first_contact", "nps"])
    if known["resolved_first_contact"].nunique() < 2:  # nobody answered, or one answer only
        return tidy([])
    known = known.assign(first_time=known["resolved_first_contact"].astype(bool))
    levels = nps(known, by="first_time", confidence=confidence).set_index("first_time")
    if not {True, False} <= set(levels.index) or levels["n"].min() < 30:
        return tidy([])
    yes, no = levels.loc[True], levels.loc[False]
    difference, se = yes["estimate"] - no["estimate"], math.hypot(yes["se"], no["se"])
    z = stats.norm.ppf((1 + confidence) / 2)
    return tidy([{"analysis": "claims", "estimand": "nps_difference", "subject": "all",
                  "outcome": "nps", "term": "resolved_first_contact_vs_not",
                  "estimate": difference, "se": se, "ci_low": difference - z * se,
                  "ci_high": difference + z * se, "confidence": confidence,
                  "n": int(yes["n"] + no["n"]),
                  "method": "difference_of_independent_nps_trinomial (n = customer answers)"}])


def retention_profit(con, confidence: float = 0.95, draws: int = 2000,
                     seed: int = 0) -> pd.DataFrame:
    """Heskett's claim at this organisation's churn: the steady-state profit change (%) from
    5 more points of annual retention (:func:`~cxex_analysis.estimators.value_model.
    heskett_profit_change`), its interval from a bootstrap over units of the churn rate."""
    units = churn_by_unit(con)
    units = units[units["active"] > 0] if units is not None else None  # units with customers
    if units is None or len(units) < 2:
        return tidy([])
    lost, active = units["lost"].to_numpy(), units["active"].to_numpy()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(units), size=(draws, len(units)))
    churn = lost[picks].sum(axis=1) / active[picks].sum(axis=1)
    sample = 100 * heskett_profit_change(churn)
    low, high = np.percentile(sample, [50 * (1 - confidence), 50 * (1 + confidence)])
    point = 100 * float(heskett_profit_change(lost.sum() / active.sum()))
    finite = sample[np.isfinite(sample)]
    return tidy([{"analysis": "claims", "estimand": "retention_profit_change", "subject": "all",
                  "outcome": "profit", "term": "retention_plus_5_points",
                  "estimate": point if np.isfinite(point) else np.nan,
                  "se": float(np.std(finite, ddof=1)) if len(finite) > 1 else np.nan,
                  "ci_low": low if np.isfinite(low) else np.nan,
                  "ci_high": high if np.isfinite(high) else np.nan, "confidence": confidence,
                  "n": len(units), "method": "steady_state_churn_ratio_bootstrap_units "
                  f"(n = units; monthly churn {lost.sum() / active.sum():.4f})"}])


def metric_comparison(con, confidence: float = 0.95, min_group_size: int = 5,
                      seed: int = 0) -> pd.DataFrame:
    """:func:`~cxex_analysis.estimators.metric_strength.metric_strength` of CSAT, CES and NPS
    for each money outcome the data have, pilot quarters left out (a pilot moves scores and
    money at once): within units, and between units too where fewer than two metrics' change
    within units can be told from survey noise; an outcome the data cannot support is left
    out."""
    if not (has_table(con, "customer_survey") and has_table(con, "unit_outcomes")):
        return tidy([])
    money = build_money_panel(build_panel(con, min_group_size))
    money = money[~money["pilot_active"]]
    frames = []
    for outcome in MONEY_OUTCOMES:
        for design in ("within", "between"):
            try:
                rows = metric_strength(money, outcome, list(POLL_ORDER), confidence=confidence,
                                       seed=seed, design=design)
            except InsufficientData:
                break
            frames.append(rows)
            shares = rows[rows["estimand"] == "metric_share_explained"]
            if shares["estimate"].notna().sum() >= 2:  # a comparison within units: enough
                break
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else tidy([])


def tested_here(con, confidence: float = 0.95, min_group_size: int = 5,
                seed: int = 0) -> ClaimTests:
    """The tests this module runs on the warehouse (a :class:`ClaimTests`)."""
    confidence = check_confidence(confidence)
    customers = customer_answers(con)
    return ClaimTests(
        recommend=recommend_ratios(customers, confidence),
        metrics=metric_comparison(con, confidence, min_group_size, seed),
        right_first_time=right_first_time(customers, confidence),
        retention_profit=retention_profit(con, confidence, seed=seed))


def _first(rows: pd.DataFrame, **where) -> dict | None:
    """The first row matching every ``column=value`` whose estimate is known (None: none)."""
    mask = pd.Series(True, index=rows.index)
    for column, value in where.items():
        mask &= rows[column] == value if column in rows else False
    found = rows[mask & rows["estimate"].notna()] if len(rows) else rows
    return found.iloc[0].to_dict() if len(found) else None


def _metric_claim(metrics: pd.DataFrame) -> dict | None:
    """CSAT's share of the first money outcome's variance minus the runner-up's: within
    units where two metrics can be compared there, else between units."""
    for outcome in MONEY_OUTCOMES:
        for term in ("within_unit", "between_unit"):
            rows = metrics[(metrics["outcome"] == outcome) & (metrics["term"] == term)] \
                if len(metrics) else metrics
            shares = rows[(rows["estimand"] == "metric_share_explained")
                          & rows["estimate"].notna()].set_index("subject")
            if "csat" not in shares.index or len(shares) < 2:  # nothing measurable to compare
                continue
            runner_up = shares.drop(index="csat")["estimate"].idxmax()
            pair = rows[(rows["estimand"] == "metric_share_difference")
                        & rows["subject"].isin([f"csat-{runner_up}", f"{runner_up}-csat"])]
            if pair.empty:
                continue
            row = pair.iloc[0].to_dict()
            if row["subject"] != f"csat-{runner_up}":  # turned round: CSAT minus the other
                row["estimate"], row["ci_low"], row["ci_high"] = (
                    -row["estimate"], -row["ci_high"], -row["ci_low"])
            row["evidence"] = "within-unit panel" if term == "within_unit" else \
                "between-unit correlation"
            row["term"] = f"csat_minus_{runner_up}_{term}"
            return row
    return None


def _metric_reason(metrics: pd.DataFrame) -> str | None:
    """Why CSAT could not be compared although the data hold the metrics: its own reason
    ("its change within units cannot be told from survey noise (reliability 0.07)")."""
    if not len(metrics):
        return None
    csat = metrics[(metrics["estimand"] == "metric_share_explained")
                   & (metrics["subject"] == "csat") & metrics["estimate"].isna()]
    reasons = csat["method"].astype(str).str.removeprefix("not estimated: ").unique()
    return f"CSAT could not be compared: {reasons[0]}" if len(reasons) else None


def _pilot_term(recorded: pd.DataFrame) -> str | None:
    """The term of the first return recorded for scaling a pilot (not the EX programme)."""
    if recorded.empty:
        return None
    rows = recorded[(recorded["estimand"] == "roi") & (recorded["subject"] != "ex_programme")]
    return rows["term"].iloc[0] if len(rows) else None


def evidence_rows(recorded: pd.DataFrame, tested: ClaimTests) -> dict[str, dict | None]:
    """Per claim id, the row whose interval tests it (None when the data could not)."""
    recommend = tested.recommend
    return {  # the preferred row first: CSAT's contrast, NPS's correlation
        "recommend_5x": _first(recommend, subject="all", estimand="promoter_risk_ratio",
                               term="csat_top2_vs_bottom2")
        or _first(recommend, subject="all", estimand="promoter_risk_ratio"),
        "top_cx_engagement_5x": _first(recorded, estimand="top_cx_engagement_odds_ratio"),
        "harter_engagement_cx_r": _first(recorded, estimand="ex_cx_correlation_disattenuated",
                                         outcome="nps")
        or _first(recorded, estimand="ex_cx_correlation_disattenuated"),
        "roi_above_9000pct": _first(recorded, analysis="rox", estimand="roi",
                                    outcome="roi", term=_pilot_term(recorded))
        or _first(recorded, analysis="rox", estimand="roi"),  # a pilot scaled, else a programme
        "heskett_retention_profit": _first(tested.retention_profit,
                                           estimand="retention_profit_change"),
        "most_actionable_metric": _metric_claim(tested.metrics),
        "right_first_time": _first(tested.right_first_time,
                                   estimand="nps_difference"),
        "promoters_stay": _first(recorded, analysis="customer_value",
                                 estimand="retention_by_nps_category", term="promoter - detractor"),
    }


def ledger(recorded: pd.DataFrame, tested: ClaimTests,
           confidence: float = 0.95) -> pd.DataFrame:
    """One ``claim`` row per claim of :data:`CLAIMS`: the organisation's number and interval,
    ``verdict`` and ``evidence``, and for display ``claim`` (the words), ``number`` (what
    was measured) and ``report`` (the notebook that tested it). A claim the data could not
    test has no estimate, verdict ``cannot tell`` and a method saying what it needs."""
    confidence = check_confidence(confidence)
    found = evidence_rows(recorded, tested)
    rows = []
    for claim in CLAIMS:
        row = found.get(claim.id)
        base = {"analysis": "claims", "estimand": "claim", "subject": claim.id,
                "confidence": confidence, "claim": claim.words, "number": claim.number,
                "report": claim.report, "evidence": claim.evidence}
        graded = (row or {}).get("evidence")  # the design the test used, where it says
        if isinstance(graded, str) and graded:
            base["evidence"] = graded
        if row is None:
            reason = (_metric_reason(tested.metrics)
                      if claim.id == "most_actionable_metric" else None)
            rows.append({**base, "outcome": "", "term": "", "n": 0, "verdict": "cannot tell",
                         "method": f"not tested: {reason or 'needs ' + claim.needs}"})
            continue
        rows.append({**base, "outcome": row["outcome"], "term": row["term"] or row["estimand"],
                     **{k: row[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value",
                                            "n", "method")},
                     "verdict": verdict(row["ci_low"], row["ci_high"], claim.claimed,
                                        claim.null)})
    return tidy(rows, extra=["verdict", "evidence", "claim", "number", "report"])
