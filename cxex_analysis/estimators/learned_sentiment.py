"""Sentiment learnt from what respondents told us.

A comment arrives with its writer's own scores (a customer's NPS, CSAT or effort answer; an
employee's engagement items). Those scores say how the writer felt, so they teach, per
organisation and at run time, which words and phrases go with low and high scores — weak
supervision (Ratner et al. 2017), not a lexicon written for other text.

* **Labels from scores** (:func:`labels_from_scores`): NPS 0–6 negative, 7–8 neutral, 9–10
  positive; else CSAT 1–2 / 3 / 4–5; else effort (CES, higher = easier) 1–3 / 4 / 5–7; for
  employees the mean of their engagement items below 3 / 3 to 4 / 4 and over (4–5 is
  "favourable"), else their eNPS answer read as NPS.
* **Learner**: multinomial logistic regression (class-balanced) on TF-IDF words and word
  pairs of the comment, plus the lexicon's (VADER's) negative, positive and compound scores
  as features — the lexicon is the prior the words refine, and it carries the model where an
  organisation has few scored comments.
* **Cross-fitting**: a scored comment's label comes from a model fitted on the *other* folds,
  so its own score never labels it; the out-of-fold agreement with the scores (macro-F1) is
  reported beside the lexicon's. (The word list and its TF-IDF weights come from all the
  comments; they read no score.)
* **Prompt**: answers to "what could we do better?" (``comment_prompt = improve``) are
  suggestions, and "nothing" there is praise; they are not used for learning.
* Too few scored comments (:data:`MIN_PER_LABEL` of each label): the lexicon alone labels,
  and the method says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from cxex_analysis.estimators.comment_words import sentiment_text
from cxex_analysis.estimators.sentiment import lexicon_sentiment

LABELS = ("negative", "neutral", "positive")

#: Scored comments each label needs before the learner replaces the lexicon.
MIN_PER_LABEL = 25

#: Folds of the cross-fitting.
FOLDS = 5

#: Scored comments the learner fits on at most (a seeded random sample of them; issue 41): at
#: 5,000 units half a million comments took 40 s to learn from, and the words that tell tone
#: apart are learnt as well from 50,000. Every scored comment is still labelled by a model
#: that did not see it, so the agreement reported stays out of sample.
FIT_SAMPLE = 50_000

#: Answers to an "improve" prompt that mean "nothing to improve" (praise).
_NOTHING = re.compile(
    r"^\W*(nothing|none|nope|no|n/?a|nil|not really|no complaints?|all good|all fine|"
    r"can'?t think of anything|cannot think of anything|keep (it )?up|keep doing|carry on|"
    r"nothing (really|at all|to (add|improve)))\b", re.IGNORECASE)


def labels_from_scores(nps=None, csat=None, ces=None, item_mean=None, index=None,
                       enps=None) -> pd.Series:
    """Negative / neutral / positive from a respondent's own scores (first one answered).

    Examples
    --------
    >>> labels_from_scores(nps=pd.Series([9.0, 7, 2])).tolist()  # promoter, passive, detractor
    ['positive', 'neutral', 'negative']
    """
    columns = {"nps": nps, "csat": csat, "ces": ces, "items": item_mean, "enps": enps}
    n = len(index) if index is not None else max(len(c) for c in columns.values() if c is not None)
    out = pd.Series(np.nan, index=index if index is not None else range(n), dtype=object)
    # negative below the first cut, positive from the second
    cuts = {"nps": (7, 9), "enps": (7, 9), "csat": (3, 4), "ces": (4, 5), "items": (3, 4)}
    for name, values in columns.items():
        if values is None:
            continue
        x = pd.to_numeric(pd.Series(np.asarray(values, dtype=float), index=out.index))
        low, high = cuts[name]
        label = np.select([x < low, x >= high, x.notna()], ["negative", "positive", "neutral"], "")
        fill = out.isna() & (label != "")
        out[fill] = label[fill.to_numpy()]
    return out


def is_nothing(text: str) -> bool:
    """True for a short "nothing to improve" answer ("Nothing, keep it up!").

    Examples
    --------
    >>> is_nothing("Nothing, keep it up!"), is_nothing("Nothing works, but the staff are kind")
    (True, False)
    """
    text = str(text or "").strip()
    return bool(_NOTHING.match(text)) and len(text.split()) <= 12 and " but " not in text.lower()


@dataclass
class Sentiment:
    """Labels of comments and how they were reached.

    ``label`` is negative / neutral / positive / suggestion / not scored per comment;
    ``agreement`` and ``lexicon_agreement`` are macro-F1 against the score labels
    (out-of-fold for the learner), NaN when nothing was learnt.
    """

    label: pd.Series
    method: str
    n_scored: int
    agreement: float
    lexicon_agreement: float


def learn(texts: pd.Series, score_labels: pd.Series, prompts: pd.Series | None = None,
          lexicon: pd.DataFrame | None = None, seed: int = 0) -> Sentiment:
    """Label each comment (see the module docstring).

    Parameters
    ----------
    texts : Series of str
    score_labels : Series
        negative / neutral / positive from the writer's scores (:func:`labels_from_scores`),
        NaN where the writer gave none.
    prompts : Series, optional
        ``why_score``, ``improve``, ``general`` or missing, per comment.
    lexicon : DataFrame, optional
        :func:`~cxex_analysis.estimators.sentiment.lexicon_sentiment` of ``texts`` (computed
        when not given); comments not in English are labelled "not scored".

    Examples
    --------
    Writers' scores that follow their words except one in five: the labels learnt from them
    agree with the scores at macro-F1 0.85 (the noise's ceiling), the general lexicon at
    0.54, and with the planted tone exactly:

    >>> from cxex_analysis.estimators.comment_annotation import worked_comments
    >>> comments = worked_comments()
    >>> fit = learn(comments["comment"], labels_from_scores(comments["nps"], None, None))
    >>> round(fit.agreement, 2), round(fit.lexicon_agreement, 2), float((fit.label == comments["tone"]).mean())
    (0.85, 0.54, 1.0)
    """
    texts = texts.fillna("").astype(str)
    prompts = (prompts.astype(object) if prompts is not None
               else pd.Series(None, index=texts.index, dtype=object)).fillna("")
    lexicon = lexicon if lexicon is not None else lexicon_sentiment(texts)
    usable = lexicon["language"].eq("en") & texts.str.strip().ne("")
    improve = usable & prompts.eq("improve")
    label = lexicon["label"].where(usable, "not scored").copy()

    train = usable & ~improve & score_labels.isin(LABELS)
    counts = score_labels[train].value_counts()
    lexicon_f1 = _macro_f1(score_labels[train], label[train])
    if all(counts.get(name, 0) >= MIN_PER_LABEL for name in LABELS):
        label[usable & ~improve] = _cross_fitted(texts, lexicon, score_labels, train,
                                                   usable & ~improve, seed)
        agreement = _macro_f1(score_labels[train], label[train])
        learnt = int(train.sum())
        method = (f"learnt from {min(learnt, FIT_SAMPLE):,} comments with their writers' scores"
                  + (f" (a random {FIT_SAMPLE:,} of {learnt:,})" if learnt > FIT_SAMPLE else "")
                  + f" (logistic regression on words and the VADER lexicon, {FOLDS}-fold "
                    "cross-fitted)")
    else:
        agreement = np.nan
        method = (f"VADER lexicon with service words: too few scored comments to learn from "
                  f"(needs {MIN_PER_LABEL} of each of negative, neutral and positive)")
    label[improve] = np.where(texts[improve].map(is_nothing), "positive", "suggestion")
    return Sentiment(label, method, int(train.sum()), agreement, lexicon_f1)


def _model(seed: int) -> LogisticRegression:
    return LogisticRegression(C=3.0, class_weight="balanced", solver="newton-cg", max_iter=1000,
                              random_state=seed)


def _features(texts: pd.Series, lexicon: pd.DataFrame) -> sp.csr_matrix:
    """TF-IDF of words and word pairs (vocabulary and weights from all the comments: no label
    is read) beside the lexicon's negative, positive and compound scores."""
    clean = texts.map(sentiment_text)
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=False,
                            token_pattern=r"(?u)\b\w[\w']*\b").fit_transform(clean)
    scores = lexicon[["lexicon_negative", "lexicon_positive", "sentiment"]].fillna(0.0).to_numpy()
    return sp.hstack([words, sp.csr_matrix(3.0 * scores)]).tocsr()


def _cross_fitted(texts, lexicon, score_labels, train, target, seed) -> np.ndarray:
    """Out-of-fold labels for the comments learnt from (at most :data:`FIT_SAMPLE` of the
    scored ones); the model of all of them for the other targets."""
    rows = np.flatnonzero(target.to_numpy())
    features = _features(texts.iloc[rows], lexicon.iloc[rows])
    y = score_labels.to_numpy()[rows]
    out = np.full(len(rows), "", dtype=object)
    learn_at = np.flatnonzero(train.to_numpy()[rows])
    if len(learn_at) > FIT_SAMPLE:
        learn_at = np.sort(np.random.default_rng(seed).choice(learn_at, FIT_SAMPLE,
                                                              replace=False))
    fitted = np.zeros(len(rows), dtype=bool)
    fitted[learn_at] = True
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for fit_idx, held_idx in folds.split(learn_at, y[learn_at]):
        model = _model(seed).fit(features[learn_at[fit_idx]], y[learn_at[fit_idx]])
        out[learn_at[held_idx]] = model.predict(features[learn_at[held_idx]])
    rest = np.flatnonzero(~fitted)
    if len(rest):
        model = _model(seed).fit(features[learn_at], y[learn_at])
        out[rest] = model.predict(features[rest])
    return out


def _macro_f1(truth: pd.Series, predicted: pd.Series) -> float:
    if truth.empty:
        return np.nan
    return float(f1_score(truth, predicted, labels=list(LABELS), average="macro", zero_division=0))
