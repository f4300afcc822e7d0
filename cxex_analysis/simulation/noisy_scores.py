"""Survey scores as noisy signals of what people write.

A customer who writes a complaint may still give 8, and one who writes "fine" may give 3: the
score a comment comes with correlates with its tone, it does not equal it. To test the text
analysis with that supervision, :func:`scores_like_surveys` draws, for comments whose tone
people labelled, the 0–10 scores their writers could have given: ``clip(round(7 + 2.5 z), 0,
10)`` with ``z = r·u + √(1 − r²)·ε``, ``u`` the tone coded −1 / 0 / 1 and standardised, ``ε``
standard normal; ``r`` is found by bisection so that the scores' correlation with the tone,
after rounding and clipping, is the one asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TONE_CODE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def scores_like_surveys(tone: pd.Series, correlation: float, seed: int = 0) -> pd.Series:
    """0–10 scores whose correlation with ``tone`` (negative / neutral / positive) is
    ``correlation`` (see the module's text).

    Examples
    --------
    >>> tone = pd.Series(["negative", "neutral", "positive"] * 400)
    >>> scores = scores_like_surveys(tone, 0.75)
    >>> round(float(np.corrcoef(scores, tone.map(TONE_CODE))[0, 1]), 2), bool(scores.between(0, 10).all())
    (0.75, True)
    """
    code = tone.map(TONE_CODE).astype(float)
    u = ((code - code.mean()) / code.std()).to_numpy()
    noise = np.random.default_rng(seed).standard_normal(len(u))

    def scores(r: float) -> np.ndarray:
        return np.clip(np.round(7 + 2.5 * (r * u + np.sqrt(1 - r ** 2) * noise)), 0, 10)

    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        low, high = ((middle, high) if np.corrcoef(scores(middle), code)[0, 1] < correlation
                     else (low, middle))
    return pd.Series(scores((low + high) / 2), index=tone.index, name="nps")
