"""Exports for spreadsheets: CSV and Excel files that cannot run formulas.

Text that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is read by
spreadsheet programs as a formula — a comment such as ``=HYPERLINK("http://evil", "click")``
would become a live link (CSV/formula injection, OWASP). Every exported text cell that starts
so is prefixed with an apostrophe, which spreadsheets show as text; numbers stay numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``'=1+1`` for ``=1+1``; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a CSV that spreadsheets open without running formulas."""
    path = Path(path)
    safe_frame(frame).to_csv(path, index=False)
    return path


def to_excel(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write an .xlsx (first sheet) that cannot run formulas."""
    path = Path(path)
    safe_frame(frame).to_excel(path, index=False, engine="openpyxl")
    return path
