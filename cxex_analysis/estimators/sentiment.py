"""The sentiment lexicon and the language of free text.

* **Lexicon sentiment**: VADER (Hutto & Gilbert 2014, ``vaderSentiment``: a lexicon that ships in
  its wheel, runs offline on the CPU), with a small service-domain addition to the lexicon
  (:data:`SERVICE_LEXICON`). Compound score −1 … 1; label negative below −0.05, positive
  above 0.05. VADER scores a sentence or a short paragraph, and its time grows with the
  square of a text's length; a comment longer than :data:`LONG_COMMENT` characters (a pasted
  page) is scored in pieces of whole sentences and its scores averaged, as VADER's authors
  advise for paragraphs.
* **Language**: comments whose words are mostly not English stop words are checked with
  ``langdetect``; non-English comments are reported and not scored.

The lexicon is the prior and the fallback of the sentiment learnt from respondents' scores
(:mod:`cxex_analysis.estimators.learned_sentiment`).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
from langdetect import DetectorFactory, LangDetectException, detect
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

#: Service words general-purpose lexicons miss (valence on VADER's −4 … 4 scale).
SERVICE_LEXICON = {
    "wait": -1.2, "waited": -1.5, "waiting": -1.3, "queue": -1.2, "queues": -1.2, "slow": -1.6,
    "crash": -2.0, "crashed": -2.0, "crashing": -2.0, "down": -1.0, "unresolved": -2.0,
    "ridiculous": -2.0, "nuisance": -1.8, "dismissive": -2.0, "expensive": -1.5,
    "unsustainable": -2.2, "quick": 1.5, "quickly": 1.3, "fast": 1.5, "sorted": 1.5,
    "resolved": 1.6, "fixed": 1.4, "smoothly": 1.6, "instantly": 1.3, "brilliant": 3.0,
    "lovely": 2.5, "supportive": 2.0, "recognised": 1.6, "appreciated": 2.0,
}


#: VADER's own cut-offs for the compound score.
POSITIVE, NEGATIVE = 0.05, -0.05


_ENGLISH = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "the a an and or but to of in on for with was were is are be been it this that my our we "
    "i you they he she not no at by from as so very too have has had do did get got can could "
    "would will there their them me us your all any again still".split())


_WORD = re.compile(r"[a-zA-Z\u00C0-\u024F']+")


@functools.lru_cache(maxsize=1)
def analyzer():
    """The VADER analyzer with the service lexicon added (built once per process)."""
    model = SentimentIntensityAnalyzer()
    model.lexicon.update(SERVICE_LEXICON)
    return model


#: Characters above which a comment is scored in pieces of about :data:`PIECE` characters
#: (a few sentences).
LONG_COMMENT, PIECE = 1000, 300

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def pieces(text: str, size: int = PIECE) -> list[str]:
    """``text`` cut between sentences into pieces of at most about ``size`` characters (a
    sentence longer than ``size`` is cut at a space).

    Examples
    --------
    >>> pieces("One. Two three. Four five six.", size=10)
    ['One.', 'Two three.', 'Four five', 'six.']
    """
    out, current = [], ""
    for sentence in _SENTENCE_END.split(text):
        if current and len(sentence) > size:  # the pieces so far first: in reading order
            out.append(current)
            current = ""
        while len(sentence) > size:
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            out.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if current and len(current) + len(sentence) + 1 > size:
            out.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
    return [p for p in out + [current] if p.strip()]


def polarity(text: str) -> dict:
    """VADER's ``compound``, ``neg`` and ``pos`` of ``text``: the mean over its
    :func:`pieces` when it is longer than :data:`LONG_COMMENT`.

    Examples
    --------
    >>> polarity("The staff were wonderful")["compound"]  # vaderSentiment's own score
    0.5719
    """
    model = analyzer()
    if len(text) <= LONG_COMMENT:
        return model.polarity_scores(text)
    scores = [model.polarity_scores(p) for p in pieces(text)]
    return {k: float(np.mean([score[k] for score in scores])) for k in ("compound", "neg", "pos")}


def language(text: str) -> str:
    """``'en'`` for English, else the ISO code langdetect finds (``'unknown'`` if none).

    Examples
    --------
    >>> language("The queue was far too long today"), language("La cola era demasiado larga hoy")
    ('en', 'es')
    """
    words = [w.lower() for w in _WORD.findall(text or "")]
    if not words:
        return "unknown"
    if sum(w in _ENGLISH for w in words) / len(words) >= 0.15 or len(words) < 3:
        return "en"
    if len(words) < 5 and text.isascii():  # "Prices keep going up": too short to tell, no accents
        return "en"

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    try:
        return detect(text)
    except LangDetectException:
        return "unknown"


def lexicon_sentiment(comments: pd.Series) -> pd.DataFrame:
    """Language, lexicon sentiment and label per comment (identical texts scored once):
    ``sentiment`` is VADER's compound score, ``lexicon_negative`` / ``lexicon_positive`` its
    shares of negative and positive words (NaN when not English).

    Examples
    --------
    The first comment scores as vaderSentiment's own ``polarity_scores`` does (compound
    0.7184, 60% positive words); the second, neutral to plain VADER (0.0), is negative with
    the service words of :data:`SERVICE_LEXICON`; a comment in another language or none is
    not scored:

    >>> said = pd.Series(["The staff were friendly and helpful.",
    ...                   "I waited an hour and nobody called back.",
    ...                   "Le personnel était très aimable.", None])
    >>> lexicon_sentiment(said)[["language", "sentiment", "label", "lexicon_positive"]].round(4)
      language  sentiment       label  lexicon_positive
    0       en     0.7184    positive               0.6
    1       en    -0.3612    negative               0.0
    2       fr        NaN  not scored               NaN
    3  unknown        NaN  not scored               NaN
    """
    texts = comments.fillna("").astype(str)
    unique = pd.Series(texts.unique())
    lang = unique.map(language)
    empty = {"compound": np.nan, "neg": np.nan, "pos": np.nan}
    scores = pd.DataFrame([polarity(t) if code == "en" and t.strip() else empty
                           for t, code in zip(unique, lang)],
                          columns=["compound", "neg", "pos"])
    table = pd.DataFrame({"text": unique, "language": lang, "sentiment": scores["compound"],
                          "lexicon_negative": scores["neg"], "lexicon_positive": scores["pos"]})
    table["label"] = np.select([table["sentiment"] > POSITIVE, table["sentiment"] < NEGATIVE,
                                table["sentiment"].notna()],
                               ["positive", "negative", "neutral"], "not scored")
    out = pd.DataFrame({"text": texts}).merge(table, on="text", how="left")
    out.index = comments.index
    return out[["language", "sentiment", "label", "lexicon_negative", "lexicon_positive"]]
