"""Sentiment learnt from what respondents told us, with the comment's own words first.

A comment arrives with its writer's own scores (a customer's NPS, CSAT or effort answer; an
employee's engagement items). Those scores say something about how the writer felt, but a
score is not a label: customers who give 8 write complaints, customers who give 3 write
"fine". So the score is one signal among others, and the words win when they are clear:

* **Labels from scores** (:func:`labels_from_scores`): NPS 0–6 negative, 7–8 neutral, 9–10
  positive; else CSAT 1–2 / 3 / 4–5; else effort (CES, higher = easier) 1–3 / 4 / 5–7; for
  employees the mean of their engagement items below 3 / 3 to 4 / 4 and over (4–5 is
  "favourable"), else their eNPS answer read as NPS. These teach the words; they do not
  decide a comment's tone.
* **What the words say**: multinomial logistic regression (class-balanced) on TF-IDF words and
  word pairs (so "not good" and "but" are read), plus the lexicon's (VADER's, which handles
  negation and contrast) negative, positive and compound scores — the lexicon is the prior the
  words refine. It is **cross-fitted** (a comment is read by a model fitted on the other
  folds, so its own score never labels it) and learnt **twice**: the second time without the
  scored comments whose score the first model finds least likely for their words (below the
  mean confidence of their score's label: confident learning, Northcutt, Jiang & Chuang 2021),
  so that complaints scored 8 stop teaching that complaints are neutral. Words many wrote word
  for word (a drop-down's phrases) are all kept: they tell nothing about which score is noise.
* **What the score adds**: how each tone's writers score, read from the comments whose words
  are clearest about it (the 5% the words model gives most probability to that tone: anchor
  points, Patrini et al. 2017; Xia et al. 2019), gives the likelihood of a comment's score
  under each tone; the tone is the most probable given both — the words' probability times
  the score's likelihood. Where words are clear, a surprising score does not move them; where
  they are not, the score decides; a comment without a score is read from its words, and so
  is one many wrote word for word (:data:`REPEATED`: the words model learnt from all their
  scores, and the same words have one tone).
* **Prompt**: answers to "what could we do better?" (``comment_prompt = improve``) are
  suggestions unless they are praise ("nothing, all excellent", "I could not fault them",
  or words that read positive with no request in them: :func:`is_praise`); they are not used
  for learning, as their score rates the visit, not the answer.
* Too few scored comments (:data:`MIN_PER_LABEL` of each label): the lexicon alone labels,
  and the method says so.

On the airline messages with scores that correlate 0.75 with people's labels, the previous
method (the words learnt once from the scores' labels, the score then set aside) agreed with
the people at macro-F1 0.575, the score alone 0.64, this one 0.72 (``benchmarks/text.py``).
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

#: "Nothing" that names a fault ("nothing works", "none of the staff listened").
_NOTHING_FAILS = re.compile(
    r"^\W*(nothing|none|no ?one|nobody)\b[\s,]*(of \w+ )?\w* ?(works?|worked|is|was|gets?|got|"
    r"ever|happens?|happened|seems?|has|had|listens?|listened|helps?|helped|answered|"
    r"called|came|arrived|changed?)\b", re.IGNORECASE)

#: Praise anywhere in an answer to "improve": nothing needs improving, nothing is at fault.
_NO_FAULT = re.compile(
    r"\b(nothing (to|that|which|i would|i'?d|needs|could|can|should) (be )?(improve|change|better)"
    r"|nothing (really|at all)\b|(can'?t|cannot|could ?n[o']t|couldn'?t|can not) (fault|think of|"
    r"ask for more|have been better|be better|improve)|no (improvement|changes?) (needed|necessary"
    r"|required)|keep (it )?up|keep doing|carry on|(don'?t|do not) change (a thing|anything)"
    r"|(?:was|were|is|are|all) (?:just )?(?:perfect|excellent|faultless|outstanding))",
    re.IGNORECASE)

#: Words that ask for something or name a fault: an answer to "improve" with them is a
#: suggestion, however kind its other words.
_REQUEST = re.compile(
    r"\b(more|less|fewer|better|should|shouldn'?t|could|would|need|needs|needed|wish|please|"
    r"instead|improve|improved|improvement|faster|quicker|sooner|longer|shorter|cheaper|"
    r"too|not|n'?t|no|never|lack|lacking|only|if|but|however|although|except|apart|wait|"
    r"waiting|waited|rude|dirty|cold|late|slow|expensive)\b", re.IGNORECASE)

#: Share of the scored comments, per tone, whose words are clearest about it: how their
#: writers score is that tone's likelihood of each score.
ANCHOR_SHARE = 0.05

#: Share of scores taken to say nothing about the comment (a scale read backwards, a score
#: for something else): each tone's likelihood of a score is mixed with this much of the
#: uniform, so that no single score can outweigh words that are clear.
UNRELATED_SCORES = 0.05

#: Comments written word for word by this many are all kept in the second learning, and
#: read from their words alone: the words model has learnt from all their scores, and the
#: same words have one tone.
REPEATED = 3

#: A tone is one the words can find when its clearest comments give it at least this
#: probability on average; the score weighs only those (where passives write the same
#: complaints and praise as everyone, a 7 does not make a complaint neutral).
FINDABLE = 0.5

_SCALES = ("nps", "csat", "ces", "items", "enps")
#: Negative below the first cut, positive from the second.
_CUTS = {"nps": (7, 9), "enps": (7, 9), "csat": (3, 4), "ces": (4, 5), "items": (3, 4)}


def first_scores(nps=None, csat=None, ces=None, item_mean=None, index=None,
                 enps=None) -> pd.DataFrame:
    """Per respondent, the first score answered of NPS, CSAT, effort, the engagement items'
    mean and eNPS: its ``scale`` and ``value`` (both missing when none was answered).

    Examples
    --------
    >>> first_scores(nps=[None, 9.0], csat=[4.0, 2.0]).values.tolist()
    [['csat', 4.0], ['nps', 9.0]]
    """
    columns = dict(zip(_SCALES, (nps, csat, ces, item_mean, enps)))
    n = len(index) if index is not None else max(len(c) for c in columns.values() if c is not None)
    index = index if index is not None else pd.RangeIndex(n)
    out = pd.DataFrame({"scale": pd.Series(None, index=index, dtype=object),
                        "value": pd.Series(np.nan, index=index, dtype=float)})
    for name, values in columns.items():
        if values is None:
            continue
        x = pd.Series(np.asarray(values, dtype=float), index=index)
        fill = out["scale"].isna() & x.notna()
        out.loc[fill, "scale"] = name
        out.loc[fill, "value"] = x[fill]
    return out


def labels_from_scores(nps=None, csat=None, ces=None, item_mean=None, index=None,
                       enps=None) -> pd.Series:
    """Negative / neutral / positive from a respondent's own scores (first one answered).

    Examples
    --------
    >>> labels_from_scores(nps=pd.Series([9.0, 7, 2])).tolist()  # promoter, passive, detractor
    ['positive', 'neutral', 'negative']
    """
    return score_labels(first_scores(nps, csat, ces, item_mean, index, enps))


def score_labels(first: pd.DataFrame) -> pd.Series:
    """Negative / neutral / positive of :func:`first_scores` (NaN where none was answered).

    Examples
    --------
    >>> score_labels(first_scores(nps=[3.0, None], csat=[5.0, 4.0])).tolist()
    ['negative', 'positive']
    """
    low = first["scale"].map(lambda s: _CUTS[s][0] if s in _CUTS else np.nan).astype(float)
    high = first["scale"].map(lambda s: _CUTS[s][1] if s in _CUTS else np.nan).astype(float)
    x = first["value"]
    label = np.select([x < low, x >= high, x.notna()], ["negative", "positive", "neutral"], "")
    return pd.Series(label, index=first.index, dtype=object).replace("", np.nan)


def score_levels(first: pd.DataFrame) -> pd.Series:
    """The score each respondent gave, as a category of its scale ("nps 8", "items 3.5"): the
    engagement items' mean to the nearest half point (halves up); NaN where none was answered.

    Examples
    --------
    >>> score_levels(first_scores(nps=[8.0, None, None], item_mean=[None, 3.7, None])).tolist()
    ['nps 8', 'items 3.5', nan]
    """
    # to 9 places first: a mean a database computed as 3.7499999999 is 3.75 (a half point up)
    value = first["value"].round(9)
    value = value.where(first["scale"] != "items", np.floor(value * 2 + 0.5) / 2)
    text = first["scale"] + " " + value.map(lambda v: f"{v:g}")
    return text.where(first["scale"].notna())


def is_nothing(text: str) -> bool:
    """True for a short "nothing to improve" answer ("Nothing, keep it up!"); "nothing works"
    is a fault.

    Examples
    --------
    >>> is_nothing("Nothing, keep it up!"), is_nothing("Nothing works on the website")
    (True, False)
    """
    text = str(text or "").strip()
    return (bool(_NOTHING.match(text)) and not _NOTHING_FAILS.match(text)
            and len(text.split()) <= 12 and " but " not in text.lower())


def is_praise(text: str, compound: float = np.nan) -> bool:
    """True for an answer to "what could we improve?" that is praise: "nothing" (:func:`is_nothing`),
    "nothing to improve" or "could not fault" anywhere, or words that read clearly positive
    (lexicon compound above 0.5) with no request or fault in them.

    Examples
    --------
    >>> is_praise("All excellent, nothing to improve"), is_praise("The nurses were wonderful and kind", 0.8)
    (True, True)
    >>> is_praise("The nurses were wonderful but the food could be better", 0.6), is_praise("More parking")
    (False, False)
    """
    text = str(text or "").strip()
    if is_nothing(text):
        return True
    if " but " in f" {text.lower()} ":
        return False
    if _NO_FAULT.search(text):
        return True
    return bool(compound > 0.5) and not _REQUEST.search(text)


@dataclass
class Sentiment:
    """Labels of comments and how they were reached.

    ``label`` is negative / neutral / positive / suggestion / not scored per comment;
    ``agreement`` and ``lexicon_agreement`` are macro-F1 against the score labels of what the
    words alone say (out-of-fold for the learner) and of the lexicon, NaN when nothing was
    learnt.
    """

    label: pd.Series
    method: str
    n_scored: int
    agreement: float
    lexicon_agreement: float


def learn(texts: pd.Series, score_labels: pd.Series, prompts: pd.Series | None = None,
          lexicon: pd.DataFrame | None = None, seed: int = 0,
          levels: pd.Series | None = None) -> Sentiment:
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
    levels : Series, optional
        the score each writer gave (:func:`score_levels`), whose likelihood under each tone
        is learnt; ``score_labels`` when not given.

    Examples
    --------
    Writers' scores that follow their words except one in five: the words alone agree with
    the scores at macro-F1 0.85 (the noise's ceiling), the general lexicon at 0.54, and the
    tone read from both is the planted one:

    >>> from cxex_analysis.estimators.comment_annotation import worked_comments
    >>> comments = worked_comments()
    >>> fit = learn(comments["comment"], labels_from_scores(comments["nps"], None, None))
    >>> round(fit.agreement, 2), round(fit.lexicon_agreement, 2), int((fit.label != comments["tone"]).sum())
    (0.85, 0.54, 0)
    """
    texts = texts.fillna("").astype(str)
    prompts = (prompts.astype(object) if prompts is not None
               else pd.Series(None, index=texts.index, dtype=object)).fillna("")
    lexicon = lexicon if lexicon is not None else lexicon_sentiment(texts)
    levels = levels if levels is not None else score_labels
    usable = lexicon["language"].eq("en") & texts.str.strip().ne("")
    improve = usable & prompts.eq("improve")
    label = lexicon["label"].where(usable, "not scored").copy()

    train = usable & ~improve & score_labels.isin(LABELS)
    counts = score_labels[train].value_counts()
    lexicon_f1 = _macro_f1(score_labels[train], label[train])
    if all(counts.get(name, 0) >= MIN_PER_LABEL for name in LABELS):
        target = usable & ~improve
        words = _cross_fitted(texts, lexicon, score_labels, train, target, seed)
        words_label = pd.Series(np.asarray(LABELS, dtype=object)[words.argmax(1)],
                                index=texts.index[target])
        said = texts[target].str.strip().str.lower()
        repeated = said.map(said.value_counts()).to_numpy() >= REPEATED
        label[target] = _with_scores(words, levels[target], train[target].to_numpy() & ~repeated)
        agreement = _macro_f1(score_labels[train], words_label[train[target]])
        learnt = int(train.sum())
        method = (f"the words of each comment, learnt from {min(learnt, FIT_SAMPLE):,} comments "
                  "with their writers' scores"
                  + (f" (a random {FIT_SAMPLE:,} of {learnt:,})" if learnt > FIT_SAMPLE else "")
                  + f" (logistic regression on words and the VADER lexicon, {FOLDS}-fold "
                    "cross-fitted, relearnt without the scores least likely for their words), "
                    "weighed with how each tone's writers score (read from the comments whose "
                    "words are clearest)")
    else:
        agreement = np.nan
        method = (f"VADER lexicon with service words: too few scored comments to learn from "
                  f"(needs {MIN_PER_LABEL} of each of negative, neutral and positive)")
    praise = [is_praise(t, c) for t, c in zip(texts[improve], lexicon["sentiment"][improve])]
    label[improve] = np.where(praise, "positive", "suggestion")
    return Sentiment(label, method, int(train.sum()), agreement, lexicon_f1)


def _model(seed: int) -> LogisticRegression:
    return LogisticRegression(C=1.0, class_weight="balanced", solver="newton-cg", max_iter=1000,
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
    """What the words say: per target comment, the probability of each of :data:`LABELS`,
    out-of-fold for the comments learnt from (at most :data:`FIT_SAMPLE` of the scored
    ones), from the model of all of them for the others; learnt twice, the second time
    without the comments whose score's label the first found less likely than the mean of
    that label, unless :data:`REPEATED` or more wrote the same words (confident learning)."""
    rows = np.flatnonzero(target.to_numpy())
    features = _features(texts.iloc[rows], lexicon.iloc[rows])
    y = pd.Series(score_labels.to_numpy()[rows]).map({k: i for i, k in enumerate(LABELS)})
    learn_at = np.flatnonzero(train.to_numpy()[rows])
    if len(learn_at) > FIT_SAMPLE:
        learn_at = np.sort(np.random.default_rng(seed).choice(learn_at, FIT_SAMPLE,
                                                              replace=False))
    y = y.to_numpy()
    first = _out_of_fold(features, y, learn_at, np.ones(len(learn_at), dtype=bool), seed,
                         others=False)
    given = first[learn_at, y[learn_at].astype(int)]
    mean = pd.Series(given).groupby(y[learn_at]).transform("mean").to_numpy()
    # kept whatever the first model says: the words of a comment many wrote word for word
    # (a drop-down's phrase, "Good service") tell nothing about which of its scores is noise
    said = texts.iloc[rows].iloc[learn_at].str.strip().str.lower()
    repeated = said.map(said.value_counts()).to_numpy() >= REPEATED
    wrong = (given < mean) & ~repeated
    return _out_of_fold(features, y, learn_at, ~wrong, seed)


def _out_of_fold(features, y, learn_at, keep, seed, others=True) -> np.ndarray:
    """Probabilities of :data:`LABELS` for every row: the rows ``learn_at`` from models fitted
    on the other folds' kept rows, the others (when ``others``) from the model of all kept
    rows."""
    out = np.zeros((features.shape[0], len(LABELS)))
    labels = y[learn_at].astype(int)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for fit_idx, held_idx in folds.split(learn_at, labels):
        fit_idx = fit_idx[keep[fit_idx]]
        out[learn_at[held_idx]] = _probabilities(
            _model(seed).fit(features[learn_at[fit_idx]], labels[fit_idx]),
            features[learn_at[held_idx]])
    rest = np.setdiff1d(np.arange(features.shape[0]), learn_at)
    if others and len(rest):
        out[rest] = _probabilities(_model(seed).fit(features[learn_at[keep]], labels[keep]),
                                   features[rest])
    return out


def _probabilities(model, features) -> np.ndarray:
    """``predict_proba`` in the order of :data:`LABELS` (a class missing from a fold: 0)."""
    out = np.zeros((features.shape[0], len(LABELS)))
    out[:, model.classes_] = model.predict_proba(features)
    return out


def _with_scores(words: np.ndarray, levels: pd.Series, scored: np.ndarray) -> np.ndarray:
    """The tone most probable given the words' probabilities and the score: each tone's
    likelihood of each score level is read from the :data:`ANCHOR_SHARE` of scored comments
    the words find clearest about it, mixed with :data:`UNRELATED_SCORES` of the uniform; a
    tone the words cannot find (:data:`FINDABLE`) gets a flat likelihood."""
    level = levels.to_numpy()
    has = pd.notna(level) & scored
    kinds = pd.Index(pd.unique(level[has]))
    posterior = words.copy()
    if len(kinds) and has.sum():
        at = kinds.get_indexer(level[has])
        likelihood = np.zeros((len(LABELS), len(kinds)))
        findable = np.zeros(len(LABELS), dtype=bool)
        for k in range(len(LABELS)):
            clearest = words[has, k] >= np.quantile(words[has, k], 1 - ANCHOR_SHARE)
            likelihood[k] = np.bincount(at[clearest], minlength=len(kinds))
            findable[k] = words[has, k][clearest].mean() >= FINDABLE
        likelihood /= likelihood.sum(axis=1, keepdims=True)
        likelihood = (1 - UNRELATED_SCORES) * likelihood + UNRELATED_SCORES / len(kinds)
        # a tone the words cannot find: the score says nothing for or against it
        likelihood[~findable] = 1.0 / len(kinds)
        posterior[has] = words[has] * likelihood[:, at].T
    return np.asarray(LABELS, dtype=object)[posterior.argmax(axis=1)]


def _macro_f1(truth: pd.Series, predicted: pd.Series) -> float:
    if truth.empty:
        return np.nan
    return float(f1_score(truth, predicted, labels=list(LABELS), average="macro", zero_division=0))
