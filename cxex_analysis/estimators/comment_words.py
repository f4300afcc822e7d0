"""The words of a comment: what a text model may read, and what a theme may be made of.

Two readings of one comment:

* :func:`sentiment_text` keeps every word (negations and "but" matter for how someone felt)
  and drops only what is not language: web addresses, @handles, HTML entities, the masks
  put over e-mail addresses and numbers.
* :func:`ThemeWords` keeps the words about *what happened*: it drops stop words and filler,
  sentiment words (VADER's lexicon, except words that name an event such as "lost",
  "delayed", "broken"), brand names and the words of frequent @handles, and the
  organisation's own unit and region names; words are stemmed (Snowball) so "bag" and
  "bags" are one feature, and each stem remembers its most common spelling for labels.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Set

import pandas as pd
import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from cxex_analysis.estimators.sentiment import analyzer

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@(\w+)")
_ENTITY = re.compile(r"&#?\w+;")
_MASK = re.compile(r"\[(?:email|phone|card|number)\]", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z']*[a-z]")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: Lexicon words that name what happened rather than how someone felt; themes keep them.
EVENT_WORDS = frozenset(
    "lost delayed delay delays cancelled canceled cancel broken damaged missed miss stuck crash "
    "crashed crashing failed fail charged overcharged stolen dirty stranded error errors late "
    "injured leaking leak".split())

#: Conversational filler that says nothing about a topic (beyond scikit-learn's stop words).
FILLER = frozenset(
    "just got get getting like know really don want wants way make makes made day days thing "
    "things yes oh ok okay lol rt going trying try tried need needs let say said told tell "
    "think thought look looking guys guy ve ll im dont cant didnt doesnt isnt wont wasnt "
    "today tomorrow yesterday week time times lot lots bit sure actually maybe people "
    "one two also still even ever much many well back right now does did doing done".split())

#: Strength a lexicon word needs (VADER's −4 … 4 scale) to count as a sentiment word.
SENTIMENT_VALENCE = 1.0


@functools.lru_cache(maxsize=1)
def sentiment_words() -> frozenset:
    """Words of the sentiment lexicon strong enough to say how someone felt, minus event words."""
    return frozenset(word for word, valence in analyzer().lexicon.items()
                     if abs(valence) >= SENTIMENT_VALENCE and word.isalpha()) - EVENT_WORDS


def sentiment_text(text: str) -> str:
    """The comment without web addresses, @handles, HTML entities and PII masks, lower case.

    Examples
    --------
    >>> sentiment_text("Thanks @AcmeAir! See https://x.co/a &amp; call [phone], it\u2019s #great")
    "thanks  ! see     call  , it's  great"
    """
    text = _URL.sub(" ", str(text))
    text = _HANDLE.sub(" ", text)
    text = _ENTITY.sub(" ", text)
    return _MASK.sub(" ", text).replace("#", " ").replace("\u2019", "'").lower()


def name_words(names) -> set:
    """Lower-case words of names (brands, units, regions), camel case split ("SouthwestAir").

    Examples
    --------
    >>> sorted(name_words(["SouthwestAir", "North Region"]))
    ['air', 'north', 'region', 'southwest', 'southwestair']
    """
    words = set()
    for name in names:
        if not isinstance(name, str):
            continue
        for part in re.split(r"[\s_\-/.,&]+", name):
            if part:
                words.add(part.lower())
                words.update(piece.lower() for piece in _CAMEL.findall(part))
    return {w for w in words if len(w) > 1}


def handle_words(texts: pd.Series, min_count: int = 5) -> set:
    """Words of the @handles written at least ``min_count`` times (brands addressed by name).

    Examples
    --------
    >>> import pandas as pd
    >>> sorted(handle_words(pd.Series(["@AcmeAir late again"] * 5 + ["@bob thanks"])))
    ['acme', 'acmeair', 'air']
    """
    counts = Counter(h for text in texts.dropna().astype(str) for h in _HANDLE.findall(text))
    return name_words(h for h, n in counts.items() if n >= min_count)


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


_STEMMER = snowballstemmer.stemmer("english")


class ThemeWords:
    """Stemmed unigrams and bigrams of the topic words of comments (a scikit-learn analyzer).

    Parameters
    ----------
    excluded : set of str
        Extra words never to use (brand, unit and region names), lower case.
    """

    def __init__(self, excluded: Set[str] = frozenset()):
        self.excluded = (frozenset(ENGLISH_STOP_WORDS) | FILLER | sentiment_words()
                         | {w.lower() for w in excluded})
        self.spellings: dict[str, Counter] = {}
        self._seen: dict[str, list[tuple[str, bool]]] = {}

    def words(self, text: str) -> list[tuple[str, bool]]:
        """(stem, kept) for each word of ``text`` in order (each text read once)."""
        if text in self._seen:
            return self._seen[text]
        out = []
        for word in _WORD.findall(sentiment_text(text)):
            word = word.replace("'", "")
            kept = len(word) > 2 and word not in self.excluded
            stem = _stem(word) if kept else word
            if kept:
                self.spellings.setdefault(stem, Counter())[word] += 1
            out.append((stem, kept))
        self._seen[text] = out
        return out

    def __call__(self, text: str) -> list[str]:
        words = self.words(text)
        unigrams = [stem for stem, kept in words if kept]
        bigrams = [f"{a} {b}" for (a, ka), (b, kb) in zip(words, words[1:]) if ka and kb]
        return unigrams + bigrams

    def unigrams(self, text: str) -> list[str]:
        """Only the kept stems (for word co-occurrence)."""
        return [stem for stem, kept in self.words(text) if kept]

    def spelling(self, feature: str) -> str:
        """A stemmed feature in its most common spelling ("lost bag" for "lost bag")."""
        return " ".join(self.spellings[s].most_common(1)[0][0] if s in self.spellings else s
                        for s in feature.split(" "))
