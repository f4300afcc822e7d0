"""Tables in words: what a tidy frame becomes before a reader sees it.

The tidy frames keep ids and unrounded numbers (``results.json`` is built from them); a table
in a report shows words and numbers rounded to what the reader needs:

- an estimate and its interval in one cell, ``3.0 (2.0 to 4.1)``, under "Estimate (95% CI)"
  at the level the rows were computed at (their ``confidence``; a label's ``{ci}`` likewise);
- p-values as ``< 0.001`` or three decimals; no number prints as ``0.000``;
- ids (estimands, measures, terms, groups, methods) and column names in words
  (:mod:`cxex_analysis.vocabulary`);
- NPS, CSAT and engagement to 1 decimal, rates as per 1,000, counts whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.vocabulary import (
    ci_label,
    column_label,
    estimand_label,
    format_number,
    format_p,
    group_label,
    interval_cell,
    label,
    level_of,
    measure_label,
    method_label,
    term_label,
)

#: Columns holding counts: shown as whole numbers even when stored as floats.
COUNT_COLUMNS = {"n", "rows", "responses", "respondents", "rows_read", "rows_accepted",
                 "rows_quarantined", "units", "first_row", "row", "n_units", "registered",
                 "analysed", "customer_comments", "employee_comments", "comments", "rank",
                 "learnt_from", "suggestions", "not_english"}

#: Columns holding a share or a probability (0 to 1): shown as a percentage.
PERCENT_COLUMNS = {"probability_beneficial"}


def _capitalised(words: str) -> str:
    """'engagement' -> 'Engagement'; 'eNPS' stays."""
    return words[:1].upper() + words[1:] if words[1:2].islower() else words


#: Columns of ids, and the words each is shown in.
ID_COLUMNS = {"estimand": estimand_label, "outcome": lambda m: _capitalised(measure_label(m)), "term": term_label,
              "method": method_label, "subject": group_label, "source": label,
              "metric": term_label, "input": term_label, "test": estimand_label,
              "recommendation": str.upper}

#: Measures shown per 1,000 (stored as fractions): the label says so.
PER_1000 = {"exit_rate": "employee exits per 1,000", "churn_rate": "customers lost per 1,000"}

#: Decimals a measure is shown to, whatever the table's default.
MEASURE_DIGITS = {"nps": 1, "csat": 1, "engagement_index": 1, "pct_favourable": 1, "enps": 1,
                  "ces_top3": 1, "repeat_contacts_per_1000": 1, "exit_rate": 1, "churn_rate": 1,
                  "ces": 2, "item_mean": 2}

ESTIMATE_COLUMNS = ("estimate", "ci_low", "ci_high")


def is_p_column(column: str) -> bool:
    """``p_value``, ``p_value_holm``, ``randomization_p``, ``q_value`` (FDR), ``p`` …"""
    name = str(column)
    return name in ("p", "q") or name.startswith(("p_value", "q_value")) or name.endswith("_p")


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value))


def cell_text(value, digits: int | None = 1, count: bool = False) -> tuple[str, bool]:
    """Display text of one cell and whether it is a number (numbers align right)."""
    if _missing(value):
        return "–", True
    if isinstance(value, (bool, np.bool_)):
        return ("yes" if value else "no"), False
    if count and isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if isinstance(value, (int, np.integer)):
        return f"{value:,}", True
    if isinstance(value, (float, np.floating)):
        return format_number(float(value), digits), True
    if isinstance(value, pd.Timestamp):
        return (value.date().isoformat() if value == value.normalize() else value.isoformat()), False
    return str(value), False


def _scale_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates stored as fractions, per 1,000, in rows whose measure is a rate."""
    if "outcome" not in frame or not frame["outcome"].isin(list(PER_1000)).any():
        return frame
    frame = frame.copy()
    rates = frame["outcome"].isin(list(PER_1000))
    for column in (c for c in ("estimate", "ci_low", "ci_high", "se", "bound_low", "bound_high")
                   if c in frame):
        frame[column] = frame[column].astype(float)
        frame.loc[rates, column] = frame.loc[rates, column] * 1000
    frame["outcome"] = frame["outcome"].map(lambda o: PER_1000.get(o, o))
    return frame


def readable(frame: pd.DataFrame, digits: int | None = 1,
             labels: dict[str, str] | None = None) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Headers and cells (text, is-number) of ``frame`` in words; ``{ci}`` in a label is the
    interval's name at the rows' level ("90% CI")."""
    _, headers, rows = laid_out(frame, digits, labels)
    return headers, rows


def laid_out(frame: pd.DataFrame, digits: int | None = 1, labels: dict[str, str] | None = None
             ) -> tuple[list[str], list[str], list[list[tuple[str, bool]]]]:
    """:func:`readable` with the frame's column behind each header (an estimate's interval
    columns fold into its cell), for a caller that styles or links a column's cells."""
    labels = {column: text.replace("{ci}", ci_label(level_of(frame)))
              for column, text in (labels or {}).items()}
    levels = (frame["estimand"].map(_in_measure_units) if "estimand" in frame
              else pd.Series(True, index=frame.index))
    row_digits = [_digits(o, digits) if level else digits
                  for o, level in zip(frame["outcome"] if "outcome" in frame else [None] * len(frame),
                                      levels)]
    frame = _scale_rates(frame)
    columns: list[tuple[str, object]] = []
    combined = all(c in frame for c in ESTIMATE_COLUMNS)
    bounded = "bound_low" in frame and "bound_high" in frame
    for column in frame.columns:
        if combined and column in ("ci_low", "ci_high"):
            continue
        if bounded and column == "bound_high":
            continue
        if column == "confidence" and combined:
            continue
        columns.append((column, frame[column]))
    headers = []
    for column, _ in columns:
        if column in labels:
            headers.append(labels[column])
        elif combined and column == "estimate":
            headers.append(f"Estimate ({ci_label(level_of(frame))})")
        elif bounded and column == "bound_low":
            headers.append("Bounds")
        else:
            headers.append(column_label(column))
    rows = []
    for i in range(len(frame)):
        record = frame.iloc[i]
        cells = []
        for column, _ in columns:
            value = record[column]
            d = row_digits[i]
            if combined and column == "estimate":
                text = interval_cell(_float(value), _float(record["ci_low"]), _float(record["ci_high"]), d)
                cells.append((text, True))
            elif bounded and column == "bound_low":
                high = record["bound_high"]
                cells.append(("–" if _missing(value) or _missing(high) else
                              f"{format_number(float(value), d)} to {format_number(float(high), d)}", True))
            elif is_p_column(column) and not _missing(value) and not isinstance(value, str):
                cells.append((format_p(float(value)), True))
            elif column in PERCENT_COLUMNS and not _missing(value):
                cells.append((f"{float(value):.0%}", True))
            elif column in ID_COLUMNS and isinstance(value, str):
                cells.append((ID_COLUMNS[column](value), False))
            else:
                cells.append(cell_text(value, d, column in COUNT_COLUMNS))
        rows.append(cells)
    return [column for column, _ in columns], headers, rows


def _in_measure_units(estimand) -> bool:
    """Whether an estimate is in its measure's own units (a score, a change, a pilot's effect),
    so the measure's rounding applies; coefficients per point of another score keep the
    table's."""
    return not isinstance(estimand, str) or estimand in (
        "metric_level", "change_since_previous", "change_since_action", "action_effect") \
        or estimand.startswith("att")


def _digits(measure, digits: int | None) -> int | None:
    """A measure's own rounding: money (a currency code) whole, NPS to 1 decimal, …"""
    if not isinstance(measure, str):
        return digits
    if len(measure) == 3 and measure.isupper():
        return 0
    return MEASURE_DIGITS.get(measure, digits)


def _float(value) -> float:
    return float("nan") if _missing(value) else float(value)
