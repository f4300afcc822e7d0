"""The most representative comments of a theme: extractive, the comments nearest its centre.

A theme's table says how many comments mention it; a leader believes it when reading two or
three of them. The ones shown are those most like the theme's comments as a whole (cosine of
their TF-IDF words to the mean of the theme's, as in centroid-based extractive summarisation,
Radev et al. 2004), preferring comments of at least :data:`MIN_WORDS` words and skipping one
that repeats one already shown (:data:`SAME` of the shorter one's words in the other: the
same comment with a phone number added); nothing is generated or rewritten.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

_WORD = re.compile(r"\w[\w']*")

#: Comments shorter than this are shown only when a theme has no longer ones.
MIN_WORDS = 4

#: Comments of a group read at most (a seeded random sample of them beyond): the centre of
#: 2,000 is the centre of 200,000 to the second decimal, and a region's report stays fast.
SAMPLE = 2_000

#: Share of the shorter comment's words in the other above which a comment repeats one.
SAME = 0.8


def most_central(texts: pd.Series, groups: pd.Series, per_group: int = 3) -> pd.Series:
    """Per group, the rank (1 = most central) of its ``per_group`` most representative texts;
    NaN for the others. ``texts`` and ``groups`` share an index; a text in several groups
    appears once per group (pass it once per group).

    Examples
    --------
    >>> texts = pd.Series(["waited an hour in the queue", "the queue was an hour long",
    ...                    "queue", "an hour queue again today", "rude staff at the desk",
    ...                    "staff were rude and unhelpful to me"])
    >>> rank = most_central(texts, pd.Series(["wait"] * 4 + ["staff"] * 2), per_group=2)
    >>> texts[rank.notna()].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['waited an hour in the queue', 'the queue was an hour long',
     'rude staff at the desk', 'staff were rude and unhelpful to me']
    """
    out = pd.Series(np.nan, index=texts.index)
    texts = texts.fillna("").astype(str)
    if texts.str.strip().eq("").all():
        return out
    rng = np.random.default_rng(0)
    positions = pd.Series(np.arange(len(texts)), index=texts.index)
    members = [rows if len(rows) <= SAMPLE else np.sort(rng.choice(rows, SAMPLE, replace=False))
               for rows in (m.to_numpy() for _, m in positions.groupby(groups.to_numpy(), sort=False))]
    read = np.unique(np.concatenate(members))
    distinct, which = np.unique(texts.to_numpy()[read], return_inverse=True)
    at = np.empty(len(texts), dtype=int)
    at[read] = which  # each row's distinct text
    vectors = normalize(TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w[\w']*\b")
                        .fit_transform(distinct))
    for rows in members:
        centre = np.asarray(vectors[at[rows]].mean(axis=0)).ravel()
        closeness = vectors[at[rows]] @ centre
        short = np.array([len(distinct[at[r]].split()) < MIN_WORDS for r in rows])
        order = np.lexsort((-closeness, short))  # long enough first, then most central
        shown: list[set] = []
        rank = 0
        for i in order:
            words = set(_WORD.findall(distinct[at[rows[i]]].lower()))
            if not words or any(len(words & seen) > SAME * min(len(words), len(seen))
                                for seen in shown):
                continue
            shown.append(words)
            rank += 1
            out.iloc[rows[i]] = rank
            if rank == per_group:
                break
    return out
