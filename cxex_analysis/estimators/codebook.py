"""A codebook of themes: named topics defined by their words and phrases, like the topic
queries of the survey platforms. Comments are tagged with every theme they match.

The default (``service_codebook.yaml`` in the package) covers customer and employee topics of
service work; a user's YAML file in the same form replaces it, or adds to it with
``include_default: true``. :func:`coverage` says which discovery themes a codebook already
covers; the others are "emerging".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators.comment_words import sentiment_text

DEFAULT_CODEBOOK = Path(__file__).parents[1] / "service_codebook.yaml"

SOURCES = ("customer", "employee", "both")

_KEYS = {"label", "terms", "exclude", "source", "items"}

#: Share of a discovery theme's comments a codebook must tag for the theme to count as covered.
COVERED_SHARE = 0.5


@dataclass(frozen=True)
class Theme:
    """One codebook theme; ``pattern`` matches any of its terms, ``excluded`` any exclusion."""

    id: str
    label: str
    source: str
    items: tuple
    pattern: re.Pattern
    excluded: re.Pattern | None

    def applies_to(self, source: str) -> bool:
        return self.source in ("both", source)

    def found_in(self, texts: pd.Series) -> pd.Series:
        """Whether each (lower-case, cleaned) text mentions the theme."""
        hit = texts.str.contains(self.pattern)
        return hit & ~texts.str.contains(self.excluded) if self.excluded is not None else hit


#: The largest codebook file read (the packaged one is a few kB).
MAX_BYTES = 1_000_000

#: YAML aliases a codebook may use: a few shared term lists, never a "billion laughs".
MAX_ALIASES = 20


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing more than :data:`MAX_ALIASES` aliases."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name)")
        return super().compose_node(parent, index)


def resolve(path: str | Path) -> Path:
    """The codebook file ``path`` names, from the working directory, checked and loaded once:
    what a run does before any kernel starts, so a bad codebook is exit 2 naming the file and
    the problem, and a relative path means what it means where the command was typed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> mine = pathlib.Path(tempfile.mkdtemp()) / "mine.yaml"
    >>> _ = mine.write_text("themes:\\n  parking:\\n    label: Parking\\n    terms: [parking, car park]\\n")
    >>> resolve(mine) == mine.resolve()
    True
    >>> resolve(mine.with_name("missing.yaml"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxex_analysis.errors.ParameterError: codebook ...missing.yaml: no such file. Expected a YAML
    codebook (see service_codebook.yaml in the package for the form).
    """
    resolved = Path(path).expanduser().resolve()
    load(resolved)
    return resolved


def load(path: str | Path | None = None) -> list[Theme]:
    """The themes of the codebook at ``path`` ("" or None: the default service codebook).

    Examples
    --------
    >>> themes = load()  # the packaged service codebook
    >>> len(themes), themes[0].id, themes[0].label
    (13, 'waiting', 'Waiting and speed')
    >>> bool(themes[0].pattern.search("we waited an hour")), bool(themes[0].excluded.search("can't wait"))
    (True, True)
    """
    path = Path(path) if path else DEFAULT_CODEBOOK
    where = f"codebook {path}"
    expected = f"Expected a YAML codebook (see {DEFAULT_CODEBOOK.name} in the package for the form)."
    if path.is_dir():
        raise ParameterError(f"{where}: is a folder, not a file. {expected}")
    if not path.is_file():
        raise ParameterError(f"{where}: no such file. {expected}")
    if path.stat().st_size > MAX_BYTES:
        raise ParameterError(f"{where}: {path.stat().st_size:,} bytes; a codebook is at most "
                             f"{MAX_BYTES:,} bytes. {expected}")
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except yaml.YAMLError as error:
        raise ParameterError(f"{where}: not valid YAML ({error}).") from None
    except (UnicodeDecodeError, OSError) as error:
        raise ParameterError(f"{where}: cannot be read as UTF-8 text ({error}).") from None
    if not isinstance(content, dict) or not isinstance(content.get("themes"), dict) \
            or not content["themes"]:
        raise ParameterError(f"{where}: expected a mapping with a non-empty `themes:` mapping "
                             "of theme id to label and terms.")
    themes = [_theme(where, key, spec) for key, spec in content["themes"].items()]
    if content.get("include_default") and path != DEFAULT_CODEBOOK:
        own = {t.id for t in themes}
        themes = [t for t in load(DEFAULT_CODEBOOK) if t.id not in own] + themes
    return themes


def _theme(where: str, key, spec) -> Theme:
    at = f"{where}: theme '{key}'"
    if not isinstance(spec, dict):
        raise ParameterError(f"{at}: expected a mapping with `label` and `terms`.")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ParameterError(f"{at}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}.")
    terms = spec.get("terms")
    if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip()
                                                          for t in terms):
        raise ParameterError(f"{at}: `terms` must be a non-empty list of words or phrases.")
    source = spec.get("source", "both")
    if source not in SOURCES:
        raise ParameterError(f"{at}: `source` is {source!r}; expected one of {list(SOURCES)}.")
    exclude = spec.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(t, str) for t in exclude):
        raise ParameterError(f"{at}: `exclude` must be a list of words or phrases.")
    items = spec.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ParameterError(f"{at}: `items` must be a list of engagement item columns (eng_*).")
    label = spec.get("label") or str(key).replace("_", " ").capitalize()
    return Theme(str(key), str(label), source, tuple(items), _pattern(terms),
                 _pattern(exclude) if exclude else None)


def _pattern(terms: list[str]) -> re.Pattern:
    """One regex for the terms: words whole, "*" a word ending, spaces any non-word run."""
    parts = []
    for term in terms:
        words = [re.escape(w).replace(r"\*", r"\w*") for w in term.lower().split()]
        tail = "" if term.endswith("*") else r"\b"
        parts.append(r"\b" + r"\W+".join(words) + tail)
    return re.compile("|".join(parts))


def tag(texts: pd.Series, sources: pd.Series, themes: list[Theme]) -> pd.DataFrame:
    """A boolean column per theme id: does the comment mention it (multi-label).

    Examples
    --------
    >>> comments = pd.Series(["The queue was endless", "Staff were rude", "Great, thanks"])
    >>> tagged = tag(comments, pd.Series(["customer"] * 3), load())  # the default service codebook
    >>> tagged[["waiting", "staff_attitude"]].to_numpy().tolist()
    [[True, False], [False, True], [False, False]]
    """
    clean = texts.fillna("").astype(str)
    unique = pd.Series(clean.unique(), dtype=object)
    lowered = unique.map(sentiment_text)
    found = pd.DataFrame({theme.id: theme.found_in(lowered).to_numpy(dtype=bool) for theme in themes},
                         index=unique.to_numpy())
    out = found.reindex(clean.to_numpy())
    out.index = texts.index
    for theme in themes:
        out[theme.id] = out[theme.id].to_numpy(dtype=bool) & sources.map(theme.applies_to).to_numpy(dtype=bool)
    return out.astype(bool)


def coverage(tags: pd.DataFrame, discovered: np.ndarray, labels: list[str],
             themes: list[Theme]) -> pd.DataFrame:
    """Per discovery theme: the codebook theme tagging most of its comments, the share tagged
    by any codebook theme, and whether it is ``emerging`` (less than :data:`COVERED_SHARE`).

    Examples
    --------
    Four comments: the first two found together and both tagged "waiting", the last two
    found together and tagged by no codebook theme, so their theme is emerging:

    >>> import numpy as np, pandas as pd
    >>> tags = pd.DataFrame({"waiting": [True, True, False, False], "staff_attitude": [False, True, False, False]})
    >>> themes = [t for t in load() if t.id in tags]
    >>> coverage(tags, np.array([0, 0, 1, 1]), ["long queue", "parking"], themes)[
    ...     ["theme", "share_tagged", "closest_codebook_theme", "emerging"]]
            theme  share_tagged closest_codebook_theme  emerging
    0  long queue           1.0      Waiting and speed     False
    1     parking           0.0                             True
    """
    names = {t.id: t.label for t in themes}
    rows = []
    for index, label in enumerate(labels):
        members = tags[discovered == index]
        tagged = float(members.any(axis=1).mean()) if len(members) else 0.0
        shares = members.mean() if len(members) and not members.empty else pd.Series(dtype=float)
        closest = names.get(shares.idxmax(), "") if len(shares) and shares.max() > 0 else ""
        rows.append({"theme_id": index, "theme": label, "comments": len(members),
                     "share_tagged": tagged, "closest_codebook_theme": closest,
                     "emerging": tagged < COVERED_SHARE})
    return pd.DataFrame(rows, columns=["theme_id", "theme", "comments", "share_tagged",
                                       "closest_codebook_theme", "emerging"])
