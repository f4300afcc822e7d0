"""The one tidy output schema, and how notebooks record results for a run.

Every estimator returns a DataFrame whose first columns are :data:`SCHEMA` (more may follow).
In a notebook, ``results.record(frame)`` validates the frame and emits it as a display
output of MIME type :data:`MIME_TYPE` (with a one-line plain-text note for JupyterLab); the
runner reads those outputs back from the executed notebook with
:func:`cxex_analysis.run.publish.collect_notebook`
and writes ``results.json`` with :func:`write_json`: a JSON list of records with exactly the
schema keys. Because the results travel inside the executed notebook, they survive any
executor (a local process, a scheduler, a remote worker) without side files.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from IPython import get_ipython
from IPython.display import display

from cxex_analysis.config import paths
from cxex_analysis.errors import InsufficientData, ParameterError

SCHEMA: tuple[str, ...] = (
    "analysis", "estimand", "subject", "outcome", "term",
    "estimate", "se", "ci_low", "ci_high", "p_value", "confidence", "n", "method",
)
TEXT_COLUMNS = ("analysis", "estimand", "subject", "outcome", "term", "method")
NUMBER_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "p_value", "confidence", "n")
MIME_TYPE = "application/vnd.cxex.results+json"

#: Columns beyond the schema that a record keeps where they hold a value, by estimand: a
#: tested claim's ``verdict`` and ``evidence``; an EX → outcome link's direction of better,
#: the outcome's unit and the waves' length (the words of a sentence read from the results).
OUTCOME_EXTRAS = ("better", "outcome_unit", "wave_length")
RECORDED_EXTRAS: dict[str, tuple[str, ...]] = {
    "claim": ("verdict", "evidence"),
    "ex_to_outcome_fe": OUTCOME_EXTRAS, "ex_to_outcome_ldv": OUTCOME_EXTRAS,
    "metric_change": OUTCOME_EXTRAS[:2], "metric_value": OUTCOME_EXTRAS[:2],
    "change_alert": ("group_name", "level", "q_value", "n_before", "min_change")}
_ALL_EXTRAS = tuple(dict.fromkeys(c for extras in RECORDED_EXTRAS.values() for c in extras))

_recorded: list[pd.DataFrame] = []


def tidy(rows: Iterable[dict] | pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Build a frame with the schema columns first (missing numbers become NaN).

    Built in one go from its columns, not column by column: estimators and reports call this
    thousands of times in a run, mostly for a few rows.
    """
    if isinstance(rows, pd.DataFrame):
        n = len(rows)
        given = {name: rows[name].array for name in rows.columns}
    else:
        rows = list(rows)
        n = len(rows)
        given = {name: [row.get(name) for row in rows]
                 for name in dict.fromkeys(key for row in rows for key in row)}
    columns: dict[str, object] = {}
    for column in SCHEMA:
        if column not in given:
            columns[column] = (np.full(n, np.nan) if column in NUMBER_COLUMNS
                               else pd.array([""] * n, dtype="str"))
        elif column in NUMBER_COLUMNS:
            columns[column] = _floats(given[column])
        else:
            columns[column] = given[column] if n else pd.array([], dtype="str")
    others = [c for c in given if c not in SCHEMA]
    extra = [c for c in extra if c in others]
    for column in extra + [c for c in others if c not in set(extra)]:
        columns[column] = given[column]
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=True)



def no_rows() -> pd.DataFrame:
    """An empty frame in the results schema (a result part that has no rows)."""
    return tidy([])


class Parts:
    """A typed result (a frozen dataclass) that a notebook fills section by section.

    Each section computes one part with the public function for its question and keeps it::

        found = found.with_part("correlations", linkage.correlations, found.panel,
                                found.outcomes, confidence=confidence)

    so that the computation is in the notebook, where an analyst can change it, and a
    section that fails leaves the parts before it (and the summary built from them) whole.
    """

    not_estimated: Mapping[str, str]

    def with_part(self, name: str | tuple[str, ...], compute: Callable, /, *args, **kwargs):
        """A copy with the part ``name`` set to ``compute(*args, **kwargs)`` (a tuple of
        names takes a tuple of values; None sets nothing). When the data cannot support it
        (:class:`~cxex_analysis.errors.InsufficientData`) the copy keeps the reason in
        ``not_estimated`` instead; a bad argument
        (:class:`~cxex_analysis.errors.ParameterError`) propagates."""
        first = name if isinstance(name, str) else name[0]
        try:
            value = compute(*args, **kwargs)
        except InsufficientData as reason:
            return dataclasses.replace(  # type: ignore[type-var]
                self, not_estimated={**self.not_estimated, first: str(reason)})
        if value is None:
            return self
        names = (name,) if isinstance(name, str) else name
        values = (value,) if isinstance(name, str) else value
        return dataclasses.replace(self, **dict(zip(names, values)))  # type: ignore[type-var]

def stacked(*parts: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the parts that were computed (None and empty ones left out), in order, as
    one tidy frame: what a typed result's ``tidy()`` records.

    Examples
    --------
    >>> rows = tidy([{"analysis": "a", "estimand": "e", "estimate": 1.0}])
    >>> len(stacked(rows, None, rows.iloc[:0], rows))
    2
    """
    kept = [tidy(p) for p in parts if p is not None and len(p)]
    return pd.concat(kept, ignore_index=True) if kept else tidy([])


def _floats(values) -> np.ndarray:
    """Numbers as floats; anything that is not a number becomes NaN."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Raise :class:`ParameterError` unless ``frame`` carries the tidy schema."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"results must be a pandas DataFrame, but {type(frame).__name__} was passed.")
    missing = [c for c in SCHEMA if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"results frame lacks the tidy-schema column(s) {missing}; every estimator "
            f"returns {list(SCHEMA)} (see docs/estimands.md).")
    for column in NUMBER_COLUMNS:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise ParameterError(f"results column `{column}` must be numeric, "
                                 f"but has dtype {frame[column].dtype}.")
    for column in ("analysis", "estimand"):
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise ParameterError(f"results column `{column}` is blank in row {int(np.flatnonzero(blank)[0])}.")
    return frame


def _clean(value):
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if value is pd.NA:
        return None
    return value


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Records with the schema keys, NaN as None (JSON null); a row whose estimand has
    :data:`RECORDED_EXTRAS` (a tested claim, an EX → outcome link) keeps those too."""
    validate(frame)
    extras = [c for c in _ALL_EXTRAS if c in frame.columns]
    records = []
    for row in frame[list(SCHEMA) + extras].itertuples(index=False):
        record = {key: _clean(value) for key, value in zip(SCHEMA, row)}
        for key in TEXT_COLUMNS:
            record[key] = "" if record[key] is None else str(record[key])
        kept = RECORDED_EXTRAS.get(record["estimand"], ())
        for key, value in zip(extras, row[len(SCHEMA):]):
            if key in kept and _clean(value) not in (None, ""):
                record[key] = str(value)
        records.append(record)
    return records


def record(frame: pd.DataFrame | None, label: str | None = None) -> None:
    """Record a tidy frame as part of this notebook's results (None or no rows: nothing).

    In a notebook the rows are emitted as a display output that the runner collects into
    ``results.json``; JupyterLab shows a one-line note. Extra columns are kept for display
    but only the schema keys are recorded.
    """
    if frame is None or frame.empty:  # nothing estimated: nothing to record
        return
    records = to_records(frame)
    _recorded.append(frame[list(SCHEMA) + [c for c in _ALL_EXTRAS if c in frame]].copy())
    note = f"Recorded {len(records)} result row(s)" + (f": {label}" if label else "")
    if get_ipython() is None:
        return
    display({MIME_TYPE: records, "text/plain": note}, raw=True,
            metadata={MIME_TYPE: {"label": label or ""}})


def recorded() -> pd.DataFrame:
    """Everything recorded in this Python process (for interactive use and tests)."""
    if not _recorded:
        return tidy([])
    return pd.concat(_recorded, ignore_index=True)


def write_json(frames: pd.DataFrame | Iterable[pd.DataFrame], path: Path | str) -> Path:
    """Write ``results.json``: a list of records with the schema keys (and the
    :data:`RECORDED_EXTRAS` of the estimands that have them)."""
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    records: list[dict] = []
    for frame in frames:
        records.extend(to_records(frame))
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(records, indent=1, allow_nan=False), encoding="utf-8")
    tmp.replace(path)
    return path


def read_json(path: Path | str) -> pd.DataFrame:
    """Read a ``results.json`` back into a tidy frame."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return tidy(records)


def run_results(path: Path | str | None) -> pd.DataFrame:
    """What the run recorded so far: ``path`` if it exists (a run gives its notebooks the
    absolute path of its ``results.json``), else — for a relative ``path``, as a notebook
    opened in JupyterLab has — the last published run's (``reports/latest``), else none."""
    candidates = [Path(path)] if path else []
    if not (path and Path(path).is_absolute()):
        candidates.append(paths().reports / "latest" / "results.json")
    for candidate in candidates:
        if candidate.exists():
            found = candidate.stat()  # a warm kernel's reports read it once while it is unchanged
            return _read_once(str(candidate.resolve()), found.st_mtime_ns, found.st_size).copy()
    return tidy([])


@functools.lru_cache(maxsize=2)
def _read_once(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return read_json(path)


def lookup(results: pd.DataFrame, **where) -> pd.DataFrame:
    """Rows of ``results`` matching every ``column=value`` given.

    >>> lookup(res, analysis="linkage", estimand="ex_to_cx_lagged", outcome="nps")  # doctest: +SKIP
    """
    mask = pd.Series(True, index=results.index)
    for column, value in where.items():
        if column not in results.columns:
            raise ParameterError(f"`{column}` is not a results column; allowed: {list(SCHEMA)}.")
        mask &= results[column] == value
    return results[mask]
