"""How much more likely a customer with a good experience is to recommend: the risk ratio (and
odds ratio) of being a promoter (NPS answer 9–10) for customers whose experience was good
against those whose experience was poor, each with a confidence interval.

Good and poor experience: CSAT top-2-box (4–5) against bottom-2-box (1–2), and, where the data
have customer effort, low effort (CES 5–7; higher is easier) against high effort (CES 1–3);
the middle answers are left out of both. Intervals from ``statsmodels``' 2 × 2 table: the
risk ratio's on the log scale (Katz), the odds ratio's by Woolf's method; an empty cell gets
half a count added (Haldane–Anscombe). Each customer answer is one observation; a customer who
answered twice counts twice (the data carry no customer key).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import Table2x2

from cxex_analysis.errors import check_confidence
from cxex_analysis.results import tidy

#: (score column, term, good answers, poor answers)
CONTRASTS = (
    ("csat", "csat_top2_vs_bottom2", (4, 5), (1, 2)),
    ("ces", "ces_low_vs_high_effort", (5, 6, 7), (1, 2, 3)),
)

#: Fewer customers than this on either side and no ratio is estimated.
MIN_PER_SIDE = 10


def _ratios(promoter: np.ndarray, good: np.ndarray, confidence: float) -> list[dict] | None:
    """Risk ratio and odds ratio of ``promoter`` for ``good`` (True) against poor (False)."""
    n_good, n_poor = int(good.sum()), int((~good).sum())
    if min(n_good, n_poor) < MIN_PER_SIDE:
        return None
    a, c = int((promoter & good).sum()), int((promoter & ~good).sum())
    table = Table2x2(np.array([[a, n_good - a], [c, n_poor - c]], dtype=float), shift_zeros=True)
    alpha = 1 - confidence
    rows = []
    for estimand, value, interval, se, p_value, method in (
            ("promoter_risk_ratio", table.riskratio, table.riskratio_confint(alpha),
             table.log_riskratio_se, table.log_riskratio_pvalue(),
             "risk_ratio_katz_log (n = customer answers)"),
            ("promoter_odds_ratio", table.oddsratio, table.oddsratio_confint(alpha),
             table.log_oddsratio_se, table.log_oddsratio_pvalue(),
             "odds_ratio_woolf_log (n = customer answers)")):
        rows.append({"analysis": "claims", "estimand": estimand, "outcome": "promoter",
                     "estimate": float(value), "se": float(se), "ci_low": float(interval[0]),
                     "ci_high": float(interval[1]), "p_value": float(p_value),
                     "confidence": confidence, "n": n_good + n_poor, "method": method,
                     "promoters_good": a / n_good, "promoters_poor": c / n_poor})
    return rows


def promoter_ratios(customers: pd.DataFrame, confidence: float = 0.95,
                    by: str | None = "channel") -> pd.DataFrame:
    """Tidy rows of the promoter risk ratio and odds ratio for each contrast the data allow
    (``term`` names it), for all customers (``subject`` = ``all``) and for each value of
    ``by`` (``subject`` = ``channel=phone`` …) with at least :data:`MIN_PER_SIDE` customers on
    each side. Extra columns ``promoters_good`` and ``promoters_poor``: the promoter shares.
    ``se`` is on the log scale; ``p_value`` tests no association.

    Examples
    --------
    60 of 100 satisfied customers (CSAT 5) are promoters, 10 of 50 dissatisfied (CSAT 1):
    three times as likely, as :func:`scipy.stats.contingency.relative_risk` (60, 100, 10,
    50) gives with its interval, and an odds ratio of 6 as
    :func:`scipy.stats.contingency.odds_ratio` (``kind="sample"``) gives; the 20 answers of
    CSAT 3 are in neither group:

    >>> c = pd.DataFrame({"csat": [5] * 100 + [1] * 50 + [3] * 20,
    ...                   "nps": [10] * 60 + [7] * 40 + [9] * 10 + [3] * 40 + [10] * 20})
    >>> promoter_ratios(c, by=None)[["estimand", "estimate", "ci_low", "ci_high", "n"]].round(3)
                  estimand  estimate  ci_low  ci_high      n
    0  promoter_risk_ratio       3.0   1.685    5.342  150.0
    1  promoter_odds_ratio       6.0   2.696   13.355  150.0
    """
    confidence = check_confidence(confidence)
    if "nps" not in customers:
        return tidy([])
    rows = []
    parts = [("all", customers)]
    if by and by in customers:
        parts += [(f"{by}={value}", part) for value, part in customers.groupby(by, sort=True)]
    for subject, part in parts:
        for column, term, good_answers, poor_answers in CONTRASTS:
            if column not in part:
                continue
            scored = part[part["nps"].notna() & part[column].isin(good_answers + poor_answers)]
            found = _ratios(scored["nps"].to_numpy(dtype=float) >= 9,
                            scored[column].isin(good_answers).to_numpy(), confidence)
            rows += [{**row, "subject": subject, "term": term} for row in found or []]
    return tidy(rows, extra=["promoters_good", "promoters_poor"])
