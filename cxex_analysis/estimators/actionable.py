"""Customer comments that need a response: a request, a question, or a specific fault.

Qualtrics Text iQ marks such comments "actionable" so that someone answers them; a leader
wants their share and a front line wants the list. A comment is actionable when one of its
sentences

* **asks for something** ("please call me back", "could you add…", "I need a refund",
  "you should open earlier");
* **asks a question** (a question mark, or a sentence opening as a question: "when will my
  refund arrive", "why was I charged");
* **names a specific fault** that someone can put right: something broken or not working,
  charged wrongly, a refund, delivery or call that never came, an order lost or wrong.

General feelings ("terrible service", "love this shop") and suggestions about the whole
("it's too expensive") are not actionable: nobody can answer them one by one. The kind is the
first that applies in that order.
"""

from __future__ import annotations

import re

import pandas as pd

KINDS = ("request", "question", "fault")

_REQUEST = re.compile(
    r"\b(please|pls|plz|could you|can you|would you|will you|i'?d like|i would like|i want|"
    r"i need|we need|need (a|my|an|to)|i expect|i'?m asking|i am asking|asking for|request(ing)?|"
    r"let me know|get back to me|call me|contact me|email me|reply to me|respond to me|"
    r"you should|you need to|you must|should (be|have|add|open|offer|make|let|give)|"
    r"bring back|add (a|an|more|the)|refund me|reimburse)\b", re.IGNORECASE)
_QUESTION = re.compile(
    r"\?|^\W*(when|why|how|where|what|who|which|can|could|will|would|is|are|do|does|did|"
    r"has|have|should)\b[^.!]{3,}$", re.IGNORECASE)
_FAULT = re.compile(
    r"\b(broken|broke|not working|doesn'?t work|does not work|didn'?t work|did not work|"
    r"stopped working|won'?t (load|open|work|let)|crash(es|ed|ing)?|error|bug|faulty|"
    r"charged (twice|wrong\w*|double|again|me for)|overcharged|double[- ]charged|wrong (item|order|size|"
    r"amount|address|bill|charge|price)|never (arrived|came|turned up|received|got)|"
    r"(hasn'?t|has not|haven'?t|have not|didn'?t|did not|still not|not yet) (arrived|come|"
    r"been (delivered|refunded|fixed|resolved|processed))|still (waiting|no|not)|no (reply|response|"
    r"answer|call ?back|refund)|missing|lost (my|the|our)|cancell?ed (my|our|the)|damaged|"
    r"locked out|can'?t (log ?in|sign ?in|access|pay|cancel)|cannot (log ?in|sign ?in|access|pay|"
    r"cancel)|out of order|leak\w*)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def actionable_kind(text: str) -> str:
    """The first of :data:`KINDS` that ``text`` is, "" for none.

    Examples
    --------
    >>> actionable_kind("Please call me back about my bill"), actionable_kind("When will my refund arrive")
    ('request', 'question')
    >>> actionable_kind("The card machine is broken again"), actionable_kind("Lovely staff, great shop")
    ('fault', '')
    """
    text = str(text or "")
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    for kind, pattern in (("request", _REQUEST), ("question", _QUESTION), ("fault", _FAULT)):
        if any(pattern.search(s) for s in sentences):
            return kind
    return ""


def actionable_kinds(texts: pd.Series) -> pd.Series:
    """:func:`actionable_kind` of each text (identical texts read once).

    Examples
    --------
    >>> actionable_kinds(pd.Series(["Why was I charged twice?", "Fine", None])).tolist()
    ['question', '', '']
    """
    texts = texts.fillna("").astype(str)
    unique = pd.Series(texts.unique())
    return texts.map(dict(zip(unique, unique.map(actionable_kind))))
