"""Employee confidentiality: the one place thresholds are applied.

Rules: an employee result is never shown for a group with fewer than
``min_group_size`` respondents (default 5), nor where a complementary group (the parent
minus the shown subgroups) would fall below it, because its result could then be worked out
by subtraction. Comments need ``min_comment_group_size`` (default 10). PII in free text
(e-mail addresses, phone numbers, card-like numbers) is masked before any text is shown.


:func:`hidden_groups` applies the subtraction rule to siblings under one parent and
:func:`hidden_in_hierarchy` to units under both their region and their unit type.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from cxex_analysis.config import MIN_COMMENT_GROUP_SIZE, MIN_GROUP_SIZE
from cxex_analysis.errors import ParameterError

#: Columns blanked when a row is suppressed.
VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "p_value", "n")


SUPPRESSED_METHOD = "suppressed: fewer than {k} respondents"


SUPPRESSED_COMPLEMENT_METHOD = "suppressed: would reveal a group of fewer than {k} by subtraction"


def check_threshold(name: str, value: int) -> int:
    """Return ``value`` if it is a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"`{name}` must be a whole number of at least 1, but {value!r} was passed.")
    return int(value)


def suppress_small_groups(frame: pd.DataFrame, min_group_size: int = MIN_GROUP_SIZE,
                          parent_columns: list[str] | None = None,
                          parent_n: pd.Series | None = None) -> pd.DataFrame:
    """Blank the numbers of rows whose ``n`` is below ``min_group_size``.

    Parameters
    ----------
    frame : DataFrame
        Tidy rows with an ``n`` column (respondents behind each estimate).
    min_group_size : int
        Smallest group whose numbers may be shown.
    parent_columns : list of str, optional
        Columns that identify the parent of each row (e.g. the survey wave, when rows are
        regions within a wave). With ``parent_n`` — the parent's respondent count, indexed
        like the groups of ``parent_columns`` — rows are also blanked when the respondents
        not accounted for by shown siblings number 1 to ``min_group_size - 1``: the smallest
        shown sibling is then hidden too, until nothing small can be derived.

    Returns
    -------
    DataFrame
        A copy with a boolean ``suppressed`` column; suppressed rows have NaN numbers and
        their ``method`` says why.
    """
    min_group_size = check_threshold("min_group_size", min_group_size)
    n = frame["n"].to_numpy(dtype=float, na_value=np.nan)
    small = np.isnan(n) | (n < min_group_size)
    complement = np.zeros(len(frame), dtype=bool)
    if parent_columns and parent_n is not None:
        # one estimand/outcome at a time: each is its own table a reader may difference
        keys = [c for c in ("estimand", "outcome", "term") if c in frame.columns]
        position = pd.Series(np.arange(len(frame)), index=frame.index)
        for _, block in frame.groupby(keys + list(parent_columns), dropna=False, sort=False):
            parent_key = tuple(block.iloc[0][c] for c in parent_columns)
            parent_key = parent_key[0] if len(parent_key) == 1 else parent_key
            total = parent_n.get(parent_key, np.nan)
            if np.isnan(total):
                continue
            at = position[block.index].to_numpy()
            counts = dict(zip(at, np.nan_to_num(n[at]).astype(int)))
            for index in hidden_groups(counts, int(total), min_group_size) - set(at[small[at]]):
                complement[index] = True
    suppressed = small | complement
    method = frame["method"].to_numpy(dtype=object, na_value=None).copy()
    method[complement] = SUPPRESSED_COMPLEMENT_METHOD.format(k=min_group_size)
    method[small] = SUPPRESSED_METHOD.format(k=min_group_size)
    # built in one go (not column by column): every employee table of every report passes here
    columns = {name: frame[name].array for name in frame.columns}
    columns["method"] = pd.array(method, dtype=frame["method"].dtype)
    for column in VALUE_COLUMNS:
        if column in columns:
            columns[column] = np.where(suppressed, np.nan,
                                       frame[column].to_numpy(dtype=float, na_value=np.nan))
    columns["suppressed"] = suppressed
    return pd.DataFrame(columns, index=frame.index, copy=True)


def is_shown(respondents, min_group_size: int = MIN_GROUP_SIZE) -> bool:
    """Whether an employee result resting on ``respondents`` people may be shown."""
    min_group_size = check_threshold("min_group_size", min_group_size)
    return respondents is not None and not pd.isna(respondents) and respondents >= min_group_size


def hidden_groups(counts: dict, parent_total: int | None,
                  min_group_size: int = MIN_GROUP_SIZE, already_hidden: set | None = None) -> set:
    """Which sibling groups to hide: the small ones, and whatever else a reader could subtract.

    ``counts`` maps each subgroup to its respondents; ``parent_total`` is the respondents of
    the parent shown beside them (None when the parent is not shown). Groups under the
    threshold are hidden; then, while the respondents not accounted for by the shown groups
    number 1 to ``min_group_size − 1`` (a hidden group, or the rest of the parent, could be
    worked out as parent minus shown siblings), the smallest shown group is hidden too
    (Culture Amp's indirect-identification rule).
    """
    min_group_size = check_threshold("min_group_size", min_group_size)
    hidden = {g for g, n in counts.items() if n < min_group_size} | (
        set(already_hidden or ()) & set(counts))
    if parent_total is None:
        return hidden
    shown = {g: n for g, n in counts.items() if g not in hidden}
    while shown:
        remainder = parent_total - sum(shown.values())
        if remainder == 0 or remainder >= min_group_size:
            break
        smallest = min(shown, key=lambda g: (shown[g], str(g)))
        hidden.add(smallest)
        del shown[smallest]
    return hidden


def blank_small(frame: pd.DataFrame, count_column: str, value_columns, min_group_size: int
                = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Rows with fewer than ``min_group_size`` in ``count_column``: values blanked, flagged."""
    min_group_size = check_threshold("min_group_size", min_group_size)
    out = frame.copy()
    small = ~out[count_column].map(lambda n: is_shown(n, min_group_size)).astype(bool)
    out["suppressed"] = small
    columns = [c for c in value_columns if c in out.columns]
    out[columns] = out[columns].astype(float)
    out.loc[small, columns] = np.nan
    return out


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


# card-like: 13-19 digits in groups separated by spaces or dashes
_CARD = re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")


# phone-like: optional +, then 9-15 digits with spaces, dashes, dots or brackets between
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d \-().]{7,}\d(?![\w])")


def mask_pii(text: str | None) -> str | None:
    """Replace e-mail addresses, card-like numbers and phone numbers with placeholders.

    >>> mask_pii("mail jane.doe@example.com or call 07700 900123")
    'mail [email] or call [phone]'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    text = _EMAIL.sub("[email]", str(text))
    text = _CARD.sub(lambda m: "[card]" if len(re.sub(r"\D", "", m.group())) >= 13 else m.group(),
                     text)

    def phone(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "[phone]" if 9 <= len(digits) <= 15 else match.group()

    return _PHONE.sub(phone, text)


def masked_value(value: str | None) -> str | None:
    """A held-back value as the data audit shows it: e-mail addresses, card and phone numbers
    as ``[email]``, ``[card]``, ``[phone]``, and every letter as ``x`` (``X`` for a capital),
    in any script. Its shape still says what went wrong ("99/99/9999" for a date written
    another way, "x/x" for "n/a") without showing a name.

    >>> masked_value("Jane Smith")
    'Xxxx Xxxxx'
    >>> masked_value("jane.smith@example.com, 31/12/2025")
    '[email], 31/12/2025'
    """
    masked = mask_pii(value)
    if not isinstance(masked, str):
        return masked
    parts = re.split(r"(\[(?:email|card|phone)\])", masked)
    return "".join(part if i % 2 else "".join(
        ("X" if ch.isupper() else "x") if unicodedata.category(ch).startswith("L") else ch
        for ch in part) for i, part in enumerate(parts))


def without_home(text: str) -> str:
    """``text`` with the user's home folder written ``~``: a home folder is often named
    after its user, and a manifest travels with the reports.

    >>> import pathlib
    >>> without_home(f"{pathlib.Path.home()}/data/warehouse.duckdb")
    '~/data/warehouse.duckdb'
    """
    home = str(Path.home()).rstrip("/")
    if not home:
        return text
    return re.sub(re.escape(home) + r"(?=/|\"|$)", "~", text)


def safe_text(text: str | None) -> str:
    """PII masked and HTML-escaped: the only form in which free text reaches a report."""
    masked = mask_pii(text)
    if masked is None or (isinstance(masked, float) and np.isnan(masked)):
        return ""
    return html.escape(str(masked), quote=True)


def comments_allowed(respondents: int, min_comment_group_size: int = MIN_COMMENT_GROUP_SIZE) -> bool:
    """Whether a group's employee comments may be shown."""
    return respondents >= check_threshold("min_comment_group_size", min_comment_group_size)


def hidden_in_hierarchy(counts: pd.DataFrame | None, group_by: str, min_group_size: int) -> set:
    if counts is None or counts.empty:
        return set()
    total = int(counts["n"].sum())
    if group_by in ("region", "unit_type"):
        by = counts.groupby(group_by)["n"].sum().to_dict()
        return hidden_groups(by, total, min_group_size)
    hidden: set = set()
    while True:  # hiding a unit under one parent can expose another under the other parent
        before = len(hidden)
        for parent in ("region", "unit_type"):
            for _, siblings in counts.groupby(parent):
                hidden |= hidden_groups(dict(zip(siblings["unit_id"], siblings["n"])),
                                        int(siblings["n"].sum()), min_group_size, hidden)
        if len(hidden) == before:
            return hidden
