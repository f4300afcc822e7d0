"""Discovery themes: groups of comments about the same thing, found without a codebook.

Method
------
1. **Words**: each comment's topic words (:class:`~cxex_analysis.estimators.comment_words.ThemeWords`:
   no sentiment words, brands, @handles, web addresses, unit names or filler; stemmed
   unigrams and bigrams).
2. **Meaning from this organisation's own comments**: short comments share few words, so
   each comment is also represented by the average of word vectors learnt from all the
   organisation's comments (praise included) (positive pointwise mutual information of words written in the same
   comment, reduced by SVD — Levy & Goldberg 2014). "bag", "luggage" and "suitcase" end up
   close without any outside model.
3. **Themes**: the TF-IDF features and the word-vector average, reduced together by SVD
   (latent semantic analysis) and grouped by k-means on the unit sphere. Beyond
   :data:`FIT_SAMPLE` comments the vocabulary, word vectors and reduction are learnt from a
   random sample of that size and every comment is placed with them. The grouping is fitted
   on one comment of each distinct set of topic words, so copies of one message (retweets,
   pasted text) join a theme but never make one; every comment is then given its nearest theme.
4. **Stability** (Hennig 2007, ``clusterboot``): the grouping is refitted on bootstrap
   resamples; a theme's stability is the mean Jaccard similarity between its members and
   the most similar theme of each refit. Themes below :data:`MIN_STABILITY` are not shown
   and their comments carry no discovery theme (-1).
5. **Labels** from distinctive phrases: the bigrams (else words) most over-represented in a
   theme, written in at least ``min_label_comments`` comments and — when the comments'
   groups are given — in comments from at least ``min_label_groups`` groups, so a label
   never quotes one small team.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_svd

from cxex_analysis.estimators.comment_words import ThemeWords, handle_words

#: Mean bootstrap Jaccard a theme needs to be shown (Hennig 2007: ≥ 0.6 a real pattern).
MIN_STABILITY = 0.6

#: Dimensions of the word vectors and of the reduced comment features.
DIMENSIONS = 100

#: Words in more than this share of the comments are too common to tell themes apart.
MAX_DF = 0.5

#: k-means starts of the fit (the best of them is kept: the themes barely depend on the seed).
STARTS = 20

#: k-means starts of each bootstrap refit (a refit worse only for having too few starts
#: would make good themes look unstable).
REFIT_STARTS = 5

#: Bootstrap refits of the stability check run on at most this many comments.
STABILITY_SAMPLE = 20_000

#: The vocabulary, the word vectors and the reduction are learnt from at most this many
#: comments (a random sample; every comment is then placed with them): what words mean and
#: which phrases are common is settled long before half a million comments, whose fit took
#: 30 s at 5,000 units against 3 s (issue 41).
FIT_SAMPLE = 50_000

#: Comments with topic words per theme sought, and distinct comments (different topic words)
#: per theme: a survey whose comments repeat a few phrases (drop-down reasons, templated
#: feedback, retweets) has too few distinct comments to group, however many it has in all.
COMMENTS_PER_THEME = 20
DISTINCT_PER_THEME = 5


@dataclass
class Themes:
    """Discovery themes of a set of comments.

    ``theme`` has one entry per comment: the index of its theme in ``labels``, or -1 (no topic
    words, or only in a theme too unstable to show). ``stability`` is each shown theme's mean
    bootstrap Jaccard; ``dropped`` counts the themes found but not stable enough to show.
    """

    labels: list[str]
    theme: np.ndarray
    stability: list[float]
    dropped: int
    method: str

    @classmethod
    def none(cls, n: int, why: str) -> Themes:
        return cls([], np.full(n, -1), [], 0, why)


def discover(texts: pd.Series, n_themes: int = 10, seed: int = 0, excluded: Set[str] = frozenset(),
             groups=None, n_boot: int = 20, min_label_comments: int = 10,
             min_label_groups: int = 3, context: pd.Series | None = None) -> Themes:
    """Find up to ``n_themes`` stable themes in ``texts`` (see the module docstring).

    ``excluded`` are extra words never to use (brands, unit and region names); ``groups``
    (one per comment, e.g. unit ids) make labels use only phrases written in several groups;
    ``context`` are more comments of the same organisation (e.g. the positive ones) whose
    words help learn what words mean, though their themes are not sought.

    Examples
    --------
    Comments that repeat a few phrases (a drop-down's reasons) have no themes to find, and
    say so:

    >>> import pandas as pd
    >>> found = discover(pd.Series(["Waiting time", "Price", "Staff friendliness"] * 40))
    >>> found.labels, found.method
    ([], 'too few different comments to find themes (the 120 comments say 3 different things)')
    """
    texts = texts.fillna("").astype(str).reset_index(drop=True)
    written = texts.str.strip().str.lower()
    written = written[written != ""]
    if written.nunique() < 2 * DISTINCT_PER_THEME and len(written) >= 2 * COMMENTS_PER_THEME:
        return Themes.none(len(texts), _repetitive(len(written), written.nunique()))
    context = texts if context is None else pd.concat(
        [texts, context.fillna("").astype(str)], ignore_index=True)
    words = ThemeWords(set(excluded) | handle_words(context))
    features = _features(texts, context, words, seed)
    if features is None:
        return Themes.none(len(texts), "too few comments with topic words to find themes")
    points, has_words, vectorizer, matrix = features
    distinct = _distinct(matrix, has_words)
    k = int(min(n_themes, has_words.sum() // COMMENTS_PER_THEME, len(distinct) // DISTINCT_PER_THEME))
    if k < 2:
        return Themes.none(len(texts), (
            "too few comments with topic words to find themes" if has_words.sum() < 2 * COMMENTS_PER_THEME
            else _repetitive(int(has_words.sum()), len(distinct), "with topic words ")))
    fitted = KMeans(k, n_init=STARTS, random_state=seed).fit(points[distinct])
    found = np.full(len(texts), -1)
    found[has_words] = fitted.predict(points[has_words])
    stability = _stability(points[distinct], fitted.labels_, k, n_boot, seed)
    order = [t for t in np.argsort(-np.bincount(found[has_words], minlength=k))
             if stability[t] >= MIN_STABILITY]
    theme = np.full(len(texts), -1)
    for new, old in enumerate(order):
        theme[found == old] = new
    group_array = None if groups is None else np.asarray(groups)
    labels = [_label(matrix, theme == t, vectorizer, words, group_array, min_label_comments,
                     min_label_groups) for t in range(len(order))]
    method = (f"k-means on TF-IDF and this organisation's word vectors (LSA, {k} themes), "
              f"kept if stable across {n_boot} bootstrap refits (mean Jaccard ≥ {MIN_STABILITY})")
    return Themes(labels, theme, [float(stability[t]) for t in order], k - len(order), method)


def _repetitive(comments: int, different: int, which: str = "") -> str:
    return (f"too few different comments to find themes (the {comments:,} comments {which}say "
            f"{different} different things)")


def _features(texts: pd.Series, context: pd.Series, words: ThemeWords, seed: int):
    """Unit-length comment points (TF-IDF ⊕ word-vector average, SVD-reduced), or None."""
    min_df = int(np.clip(len(texts) // 500, 2, 5))
    counts = CountVectorizer(analyzer=words.unigrams, min_df=min_df, binary=True)
    tfidf = TfidfVectorizer(analyzer=words, min_df=min_df, max_df=MAX_DF, sublinear_tf=True)
    learn = _sample(len(texts), seed)  # None: every comment
    try:
        if learn is None:
            vectors = _word_vectors(counts.fit_transform(context), seed)
            matrix = tfidf.fit_transform(texts)
        else:
            taken = _sample(len(context), seed)
            vectors = _word_vectors(counts.fit_transform(context.iloc[taken]), seed)
            matrix = tfidf.fit(texts.iloc[learn]).transform(texts)
    except ValueError:  # no word survives: nothing to group
        return None
    unigrams = counts.transform(texts)
    if unigrams.shape[1] < 3 or matrix.shape[1] < 3:
        return None
    mean_vectors = normalize(normalize(unigrams.astype(float), norm="l1") @ vectors)
    joined = sp.hstack([normalize(matrix), sp.csr_matrix(mean_vectors)]).tocsr()
    dims = min(DIMENSIONS, joined.shape[1] - 1, joined.shape[0] - 1)
    reduce = TruncatedSVD(dims, random_state=seed)
    points = normalize(reduce.fit_transform(joined) if learn is None
                       else reduce.fit(joined[learn]).transform(joined))
    has_words = np.asarray(matrix.getnnz(axis=1) > 0)
    return points, has_words, tfidf, matrix


def _sample(n: int, seed: int) -> np.ndarray | None:
    """Sorted positions of :data:`FIT_SAMPLE` of ``n`` comments drawn at random (None when
    there are no more than that: every comment)."""
    if n <= FIT_SAMPLE:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, FIT_SAMPLE, replace=False))


def _distinct(matrix: sp.csr_matrix, has_words: np.ndarray) -> np.ndarray:
    """One comment of each distinct set of topic words: copies (retweets, pasted text,
    campaign messages) are grouped with the rest but never make a theme by their number."""
    present = (matrix[has_words] > 0).tocsr()
    keys = [present.indices[present.indptr[i]:present.indptr[i + 1]].tobytes()
            for i in range(present.shape[0])]
    _, first = np.unique(np.array(keys, dtype=object), return_index=True)
    return np.flatnonzero(has_words)[np.sort(first)]


def _word_vectors(unigrams: sp.csr_matrix, seed: int) -> np.ndarray:
    """PPMI of words written in the same comment (context smoothing 0.75), SVD to vectors."""
    together = (unigrams.T @ unigrams).astype(float).toarray()
    np.fill_diagonal(together, 0.0)
    total = together.sum()
    if total == 0:
        return np.eye(unigrams.shape[1])
    word_p = together.sum(axis=1) / total
    context_p = word_p ** 0.75 / (word_p ** 0.75).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((together / total) / np.outer(word_p, context_p))
    ppmi = np.nan_to_num(np.maximum(pmi, 0.0), posinf=0.0)
    dims = max(1, min(DIMENSIONS, ppmi.shape[0] - 1))
    u, s, _ = randomized_svd(ppmi, dims, random_state=seed)
    return normalize(u * np.sqrt(s))


def _stability(points: np.ndarray, labels: np.ndarray, k: int, n_boot: int, seed: int) -> np.ndarray:
    """Mean over bootstrap refits of each theme's best Jaccard similarity (Hennig 2007)."""
    rng = np.random.default_rng(seed)
    n = len(points)
    scores = np.zeros(k)
    for b in range(n_boot):
        take = rng.choice(n, size=min(n, STABILITY_SAMPLE), replace=True)
        refit = KMeans(k, n_init=REFIT_STARTS, random_state=seed + b + 1).fit(points[take]).labels_
        unique, first = np.unique(take, return_index=True)
        original, again = labels[unique], refit[first]
        for t in range(k):
            members = original == t
            if not members.any():
                continue
            best = 0.0
            for r in np.unique(again[members]):
                other = again == r
                best = max(best, (members & other).sum() / (members | other).sum())
            scores[t] += best
    return scores / max(n_boot, 1)


def _label(matrix: sp.csr_matrix, members: np.ndarray, vectorizer, words: ThemeWords,
           groups, min_comments: int, min_groups: int) -> str:
    """The theme's most distinctive phrases (two bigrams, else three words)."""
    present = (matrix > 0).astype(float).tocsc()
    inside = np.asarray(present[members].sum(axis=0)).ravel()
    overall = np.asarray(present.sum(axis=0)).ravel()
    share_in = inside / max(members.sum(), 1)
    lift = share_in / np.maximum(overall / matrix.shape[0], 1e-12)
    score = np.where(inside >= min_comments, share_in * np.log(np.maximum(lift, 1.0)), 0.0)
    names = vectorizer.get_feature_names_out()
    ranked = [j for j in np.argsort(-score) if score[j] > 0]
    if groups is not None:
        ranked = [j for j in ranked[:60]
                  if len(set(groups[members & (present[:, j].toarray().ravel() > 0)])) >= min_groups]
    bigrams = [j for j in ranked if " " in names[j]][:2]
    chosen = bigrams if bigrams else ranked[:3]
    if not chosen:
        return "(mixed topics)"
    return " / ".join(words.spelling(names[j]) for j in chosen)
