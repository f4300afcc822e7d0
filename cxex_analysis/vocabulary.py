"""The words the reports use: metric names and definitions, item labels, period labels.

Every place that shows a metric, an engagement item or a period to a reader takes its words
from here, so a chart, a table and a sentence never call the same thing two names.
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.config import MIN_GROUP_SIZE


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


def item_label(item: str) -> str:
    """``eng_customer_focus`` -> ``Customer focus``."""
    text = item.removeprefix("eng_")
    return text.replace("_", " ").capitalize()


#: Words that tie a comment to an engagement item (for the comments shown beside an issue).
ITEM_KEYWORDS = {
    "eng_tools": ("system", "tool", "app", "computer", "knowledge base", "crash", "slow"),
    "eng_recognition": ("recogn", "thank", "appreciat", "notice"),
    "eng_manager": ("manager", "management", "support", "listen"),
    "eng_voice": ("listen", "voice", "heard", "ideas"),
    "eng_growth": ("career", "training", "develop", "progress", "grow"),
    "eng_purpose": ("purpose", "proud", "meaning"),
    "eng_customer_focus": ("customer", "queue", "wait", "staff", "short"),
}


EX_MEASURE = "engagement_index"


LINK_WORDS = {"churn_per_nps": "customers lost per NPS point",
              "revenue_per_customer_per_nps": "revenue per customer per NPS point",
              "exit_rate_per_ei": "employee exits per engagement point"}


def metrics_markdown(min_group_size: int = 5) -> str:
    """``docs/metrics.md``: the definitions every report states, as one page."""
    return ("# Metric definitions\n\n"
            "Every report ends with these definitions (`cxex_analysis.vocabulary`, from which "
            "this page is generated; a test keeps them in step). The thresholds shown are the "
            "defaults; a run's own are stated on its reports.\n\n"
            + definitions_markdown(min_group_size) + "\n")
