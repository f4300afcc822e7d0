"""Exception classes raised at the package's boundaries.

Every message names what was wrong, what was expected and what was received, so that a
person can act on it without reading a traceback.
"""

from __future__ import annotations


class CxexError(Exception):
    """Base class for errors the command line shows as a one-line message (no traceback)."""


class UnusableFileError(CxexError):
    """A contract file cannot be used at all (missing, empty, unreadable, required column absent).

    Parameters
    ----------
    file : str
        The file (or the expected file name when it is missing).
    problem : str
        What is wrong.
    column : str, optional
        The column concerned, when there is one.
    expected : str, optional
        What was expected instead.
    """

    def __init__(self, file: str, problem: str, column: str | None = None,
                 expected: str | None = None):
        self.file = str(file)
        self.problem = problem
        self.column = column
        self.expected = expected
        parts = [f"{self.file}:"]
        if column:
            parts.append(f"column '{column}':")
        parts.append(problem)
        message = " ".join(parts)
        if expected:
            message += f". Expected: {expected}"
        super().__init__(message)


class ParameterError(CxexError, ValueError):
    """A parameter has a value outside what is allowed."""


class InsufficientData(ParameterError):
    """The data are valid but hold too little for an estimate: too few units, periods,
    answers or too little variation. The message says what is missing in plain words; an
    analysis reports the estimate as "not estimated: <message>" instead of failing (unlike
    a bad argument, which is a bug to show)."""


def check_argument(name: str, value, allowed) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed``.

    Modelled on seaborn's ``utils._check_argument``.
    """
    if value not in allowed:
        allowed_text = ", ".join(repr(a) for a in allowed)
        raise ParameterError(
            f"The value for `{name}` must be one of {allowed_text}, but {value!r} was passed."
        )


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` if it is a number strictly between 0 and 1."""
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        raise ParameterError(
            f"`confidence` must be a number between 0 and 1 (e.g. 0.95), but {confidence!r} was passed."
        ) from None
    if not 0 < value < 1:
        raise ParameterError(
            f"`confidence` must be between 0 and 1 (e.g. 0.95), but {confidence!r} was passed."
        )
    return value


def parse_list(value, allowed, name: str) -> list[str]:
    """A comma-separated parameter (``"nps,csat"``) or a list, checked against ``allowed``."""
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    items = [v for v in items if v]
    unknown = [v for v in items if v not in allowed]
    if unknown or not items:
        allowed_text = ", ".join(repr(a) for a in allowed)
        raise ParameterError(
            f"The value for `{name}` must be a comma-separated list of {allowed_text}, "
            f"but {value!r} was passed.")
    return items


def parse_window(value, name: str) -> tuple[int, int]:
    """``"-6,12"`` -> (-6, 12): a first and last period, first not after last."""
    try:
        first, last = (int(v) for v in str(value).split(","))
    except ValueError:
        raise ParameterError(f"`{name}` must be two whole numbers like '-6,12', "
                             f"but {value!r} was passed.") from None
    if first > last:
        raise ParameterError(f"`{name}` must list the first period before the last, "
                             f"but {value!r} was passed.")
    return first, last
