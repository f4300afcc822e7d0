"""Every comment annotated: language, sentiment, codebook themes and discovery theme.

One function, :func:`annotate`, used by the verbatims report and the group reports so a
comment reads the same in both:

* **sentiment** learnt per source (customers from their NPS / CSAT / effort answers,
  employees from their engagement items) — :mod:`~cxex_analysis.estimators.learned_sentiment`;
* **actionable** customer comments — a request, a question or a specific fault, someone
  should answer — :mod:`~cxex_analysis.estimators.actionable` ("" for none and for
  employees');
* **codebook themes**, multi-label — :mod:`~cxex_analysis.estimators.codebook`;
* **comments that need a person** (harassment, discrimination, bullying, threats, unsafe
  conditions, self-harm — :mod:`~cxex_analysis.estimators.sensitive`): an employee's is set
  aside in :attr:`Annotated.routed` before anything reads it, so no tone, theme, table or
  example of a report can carry it;
* **discovery themes** in the comments that are not praise (negative, neutral, suggestions):
  what to fix — :mod:`~cxex_analysis.estimators.theme_discovery`; those no codebook theme
  covers are "emerging".

Text is PII-masked before any model reads it, so no theme label can carry an e-mail address
or a number someone wrote. A comment longer than :data:`MAX_COMMENT_CHARS` (a pasted page) is
read and shown up to there, cut at a word and ending in "…": the models' time stays linear in
the number of comments, and a report's table stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxex_analysis.estimators import codebook as codebooks
from cxex_analysis.estimators.actionable import actionable_kinds
from cxex_analysis.estimators.comment_words import name_words
from cxex_analysis.estimators.learned_sentiment import (
    Sentiment,
    first_scores,
    learn,
    score_labels,
    score_levels,
)
from cxex_analysis.estimators.sensitive import sensitive_topics
from cxex_analysis.estimators.sentiment import lexicon_sentiment
from cxex_analysis.estimators.theme_discovery import Themes, discover
from cxex_analysis.privacy import mask_pii
from cxex_analysis.vocabulary import shortened

#: Characters of a comment that are read and shown (a pasted page is cut, ending in "…").
MAX_COMMENT_CHARS = 2000

COLUMNS = ("source", "response_id", "unit_id", "at", "comment", "prompt", "nps", "language",
           "label", "actionable", "theme_id", "theme")

#: What is kept of an employee comment routed to HR (:attr:`Annotated.routed`).
ROUTED_COLUMNS = ("response_id", "unit_id", "at", "topic", "comment")

#: The Examples' comments: what customers write in each tone (:func:`worked_comments`).
WORKED_TEXT = {
    "negative": ["I waited far too long to be served", "The wait on hold was forty minutes",
                 "My problem is still not resolved after three calls",
                 "The staff were rude and unhelpful", "The system kept crashing",
                 "The price is too high for what you get", "Hidden fees on top of the price"],
    "neutral": ["It was fine", "Average service, nothing special", "OK I suppose",
                "Not bad, not great", "Service was as expected"],
    "positive": ["Quick service, hardly any wait", "They resolved my problem first time",
                 "Friendly and helpful staff", "The online system made it easy",
                 "Good price, good value"],
}


def worked_comments(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Customers' comments with a planted tone, the Examples' starting point: each comment's
    ``tone`` (40% negative, 20% neutral, 40% positive) decides its words
    (:data:`WORKED_TEXT`), and its writer's ``nps`` follows the tone (3, 7 or 10) except for
    one answer in five, drawn at random, as survey scores are noisy signals of what people
    write. Columns as :func:`~cxex_analysis.panels.comments.read_comments` gives them.

    Examples
    --------
    >>> comments = worked_comments()
    >>> comments["tone"].value_counts().to_dict()
    {'positive': 255, 'negative': 217, 'neutral': 128}
    """
    rng = np.random.default_rng(seed)
    tone = rng.choice(list(WORKED_TEXT), n, p=[0.4, 0.2, 0.4])
    text = [WORKED_TEXT[t][rng.integers(len(WORKED_TEXT[t]))] for t in tone]
    score = np.select([tone == "negative", tone == "neutral"], [3, 7], 10)
    noisy = np.where(rng.random(n) < 0.2, rng.choice([3, 7, 10], n), score)
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(n)],
                         "unit_id": [f"U{i % 10}" for i in range(n)],
                         "at": pd.Timestamp("2026-01-15"), "comment": text, "nps": noisy,
                         "tone": tone})


@dataclass
class Annotated:
    """Comments (one row each, columns :data:`COLUMNS`), their codebook tags (a boolean column
    per codebook theme id, same index), the codebook, the discovery themes, which discovery
    themes a codebook theme covers, the sentiment fit of each source, and the employee
    comments routed to HR instead (columns :data:`ROUTED_COLUMNS`, PII masked; in none of
    the others)."""

    comments: pd.DataFrame
    tags: pd.DataFrame
    codebook: list
    discovery: Themes
    coverage: pd.DataFrame
    fits: dict[str, Sentiment] = field(default_factory=dict)
    routed: pd.DataFrame = field(default_factory=lambda: _no_routed())

    def theme_label(self, theme_id: str) -> str:
        return {t.id: t.label for t in self.codebook}[theme_id]


def to_parts(annotated: Annotated) -> tuple[dict[str, pd.DataFrame], dict]:
    """``annotated`` as tables and a JSON-able document (to keep on disk without pickles);
    the codebook is kept as its theme ids and given back to :func:`from_parts`.

    Examples
    --------
    >>> import json
    >>> frames, document = to_parts(labelled(worked_comments(), None, codebooks.load()))
    >>> sorted(frames), document["fits"]["customer"]["n_scored"], len(json.dumps(document)) > 0
    (['comments', 'coverage', 'discovery', 'label:customer', 'routed', 'tags'], 600, True)
    """
    found = annotated.discovery
    frames = {"comments": annotated.comments, "tags": annotated.tags,
              "coverage": annotated.coverage, "routed": annotated.routed,
              "discovery": pd.DataFrame({"theme": np.asarray(found.theme, dtype="int64")})}
    fits = {}
    for source, fit in annotated.fits.items():
        frames[f"label:{source}"] = fit.label.to_frame("label")
        fits[source] = {"name": fit.label.name, "method": fit.method, "n_scored": fit.n_scored,
                        "agreement": fit.agreement, "lexicon_agreement": fit.lexicon_agreement}
    document = {"codebook": [t.id for t in annotated.codebook], "fits": fits,
                "discovery": {"labels": list(found.labels),
                              "stability": [float(x) for x in found.stability],
                              "dropped": int(found.dropped), "method": found.method}}
    return frames, document


def from_parts(parts: tuple[dict[str, pd.DataFrame], dict], codebook: list) -> Annotated:
    """What :func:`to_parts` kept, with ``codebook`` (its theme ids must be those kept).

    Examples
    --------
    >>> annotated = labelled(worked_comments(), None, codebooks.load())
    >>> back = from_parts(to_parts(annotated), annotated.codebook)
    >>> back.comments.equals(annotated.comments), back.fits["customer"].method == annotated.fits["customer"].method
    (True, True)
    """
    frames, document = parts
    if [t.id for t in codebook] != document["codebook"]:
        raise ValueError("the entry was made with another codebook")
    found = document["discovery"]
    discovery = Themes(found["labels"], frames["discovery"]["theme"].to_numpy(),
                       found["stability"], found["dropped"], found["method"])
    fits = {source: Sentiment(frames[f"label:{source}"]["label"].rename(fit["name"]),
                              fit["method"], fit["n_scored"], fit["agreement"],
                              fit["lexicon_agreement"])
            for source, fit in document["fits"].items()}
    return Annotated(frames["comments"], frames["tags"], codebook, discovery,
                     frames["coverage"], fits, frames["routed"])


def annotate(customers: pd.DataFrame | None, employees: pd.DataFrame | None, codebook: list,
             n_themes: int = 10, seed: int = 0, names=()) -> Annotated:
    """Annotate the comments of both surveys (frames as ``panels.comments.read_comments``).

    ``names`` are the organisation's own names (units, regions, brands) kept out of themes;
    ``n_themes = 0`` skips discovery (the group reports need only sentiment and the codebook).

    Examples
    --------
    :func:`labelled`, then :func:`with_themes`:

    >>> comments, codebook = worked_comments(), codebooks.load()
    >>> annotated = annotate(comments, None, codebook, n_themes=3)
    >>> annotated.comments.equals(with_themes(labelled(comments, None, codebook), 3).comments)
    True
    """
    return with_themes(labelled(customers, employees, codebook, seed), n_themes, seed, names)


def labelled(customers: pd.DataFrame | None, employees: pd.DataFrame | None, codebook: list,
             seed: int = 0) -> Annotated:
    """The comments with their tone and codebook themes, without discovery themes.

    Examples
    --------
    The planted tone of :func:`worked_comments` is read back from the words, although one
    writer's score in five disagrees with them; "waiting" tags the comments about a wait:

    >>> comments = worked_comments()
    >>> annotated = labelled(comments, None, codebooks.load())
    >>> int((annotated.comments["label"] != comments["tone"]).sum())
    0
    >>> int(annotated.tags["waiting"].sum()), int(comments["comment"].str.contains("wait|Quick").sum())
    (103, 103)
    """
    parts, fits, routed = [], {}, _no_routed()
    for source, frame in (("customer", customers), ("employee", employees)):
        if frame is None or frame.empty:
            continue
        frame = frame[frame["comment"].fillna("").str.strip() != ""].reset_index(drop=True)
        frame = frame.assign(comment=frame["comment"].map(lambda text: mask_pii(shortened(text, MAX_COMMENT_CHARS))))
        if source == "employee":
            topic = sensitive_topics(frame["comment"])
            routed = frame[topic != ""].assign(topic=topic[topic != ""], at=frame.get("at"))
            routed = routed[list(ROUTED_COLUMNS)].reset_index(drop=True)
            frame = frame[topic == ""].reset_index(drop=True)
        if frame.empty:
            continue
        part, fits[source] = _with_sentiment(source, frame, seed)
        parts.append(part)
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        return Annotated(empty, codebooks.tag(empty["comment"], empty["source"], codebook),
                         codebook, Themes.none(0, "no comments"),
                         codebooks.coverage(pd.DataFrame(), np.array([]), [], codebook), fits,
                         routed)
    comments = pd.concat(parts, ignore_index=True)
    tags = codebooks.tag(comments["comment"], comments["source"], codebook)
    critical = _critical(comments)
    found = Themes.none(int(critical.sum()), "discovery not run")
    return _themed(comments, tags, codebook, critical, found, fits, routed)


def with_themes(annotated: Annotated, n_themes: int = 10, seed: int = 0, names=(),
                find=discover) -> Annotated:
    """``annotated`` with up to ``n_themes`` discovery themes among its critical comments
    (negative, neutral and suggestions, in English); ``n_themes = 0``: as it is. ``find`` is
    :func:`~cxex_analysis.estimators.theme_discovery.discover` or a function of the same
    arguments that returns what it would (one that keeps its answers, say).

    Examples
    --------
    Only the comments that are not praise are grouped; the others keep theme −1:

    >>> annotated = with_themes(labelled(worked_comments(), None, codebooks.load()), n_themes=3)
    >>> praise = annotated.comments["label"] == "positive"
    >>> len(annotated.discovery.labels) <= 3, bool((annotated.comments.loc[praise, "theme_id"] == -1).all())
    (True, True)
    """
    comments = annotated.comments
    if n_themes <= 0 or comments.empty:
        return annotated
    critical = _critical(comments)
    english = comments["language"] == "en"
    found = find(comments.loc[critical, "comment"], n_themes, seed, name_words(names),
                 groups=comments.loc[critical, "unit_id"].to_numpy(),
                 context=comments.loc[english & ~critical, "comment"])
    return _themed(comments.copy(), annotated.tags, annotated.codebook, critical, found,
                   annotated.fits, annotated.routed)


def _critical(comments: pd.DataFrame) -> pd.Series:
    return (comments["language"] == "en") & comments["label"].isin(
        ("negative", "neutral", "suggestion"))


def _no_routed() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ROUTED_COLUMNS})


def _themed(comments: pd.DataFrame, tags: pd.DataFrame, codebook: list, critical: pd.Series,
            found: Themes, fits: dict, routed: pd.DataFrame) -> Annotated:
    comments["theme_id"] = -1
    comments.loc[critical, "theme_id"] = found.theme
    comments["theme"] = [found.labels[t] if t >= 0 else "" for t in comments["theme_id"]]
    cover = codebooks.coverage(tags, comments["theme_id"].to_numpy(), found.labels, codebook)
    return Annotated(comments[list(COLUMNS)], tags, codebook, found, cover, fits, routed)


def _with_sentiment(source: str, frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, Sentiment]:
    def column(name):
        return frame[name] if name in frame else None

    first = first_scores(column("nps"), column("csat"), column("ces"), column("item_mean"),
                         index=frame.index, enps=column("enps"))
    prompts = frame["comment_prompt"] if "comment_prompt" in frame else None
    lexicon = lexicon_sentiment(frame["comment"])
    fit = learn(frame["comment"], score_labels(first), prompts, lexicon, seed,
                score_levels(first))
    part = pd.DataFrame({
        "source": source, "response_id": frame["response_id"], "unit_id": frame["unit_id"],
        "at": frame["at"] if "at" in frame else pd.NaT, "comment": frame["comment"],
        "prompt": prompts if prompts is not None else None,
        "nps": frame["nps"] if "nps" in frame else np.nan,
        "language": lexicon["language"], "label": fit.label,
        "actionable": actionable_kinds(frame["comment"]) if source == "customer" else ""})
    return part, fit
