"""EX → any outcome: the bracketing pair for every outcome the organisation has.

For each outcome of :func:`cxex_analysis.panels.outcome_panels.outcome_panel` (its own
metrics, its customer scores), two models of the link from engagement
(:mod:`cxex_analysis.estimators.outcome_links`): ``ex_to_outcome_fe`` (each unit against
itself over time) and ``ex_to_outcome_ldv`` (against its own previous outcome), terms
``lag0`` (EX of the outcome's wave) and ``lag1`` (EX of the wave before), both corrected for
survey noise. Under Angrist and Pischke's assumptions the truth lies between them; the
sentence that reads them together is
:func:`cxex_analysis.narrative.outcome_findings.pair_reading`.

Works on respondent rows and on a platform's unit-level scores alike; ``better = lower``
changes the words, never the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cxex_analysis.config import MIN_GROUP_SIZE
from cxex_analysis.errors import InsufficientData, ParameterError, check_confidence
from cxex_analysis.estimators.outcome_links import (
    WAVE_NOISE_CORRELATION,
    Fit,
    WaveNoise,
    fixed_effects,
    lagged_outcome,
    lagged_rows,
    noise_correlation,
    yearly_decay,
)
from cxex_analysis.panels.outcome_panels import OutcomePanel, outcome_panel
from cxex_analysis.results import tidy

ESTIMANDS = {"fe": "ex_to_outcome_fe", "ldv": "ex_to_outcome_ldv"}

EXTRA = ["n_units", "uncorrected", "reliability", "better", "outcome_unit", "wave_length",
         "ex_measure", "ex_source", "wave_noise_correlation", "wave_noise_decay", "wave_noise_source"]


def prepare(con, min_group_size: int = MIN_GROUP_SIZE) -> OutcomePanel:
    """The unit × wave panel the pair reads (empty without an EX score and an outcome)."""
    return outcome_panel(con, min_group_size)


def wave_noise(found: OutcomePanel, given: float | str | None = None) -> WaveNoise:
    """How EX's sampling errors correlate between waves: ``given`` (consecutive waves) when
    the analyst sets it; measured with the halves that keep their people when the data are
    respondent rows (:func:`~cxex_analysis.estimators.outcome_links.noise_correlation`);
    else assumed (:data:`~cxex_analysis.estimators.outcome_links.WAVE_NOISE_CORRELATION`).
    The decay from wave to wave follows the waves' length unless measured."""
    decay = yearly_decay(found.wave_length)
    if given is not None and str(given).strip() != "":
        value = pd.to_numeric(pd.Series([str(given).strip()]), errors="coerce").iloc[0]
        if pd.isna(value):
            raise ParameterError("`wave_noise_correlation` must be a number from 0 to below 1, "
                                 f"or empty to measure or assume it, but {given!r} was "
                                 "passed.")
        return WaveNoise(float(value), decay, "set")
    panel = found.panel
    if {"ex_a", "ex_b"} <= set(panel.columns):
        measured = noise_correlation(panel, "ex", "ex_var", "ex_a", "ex_b", "unit_id", "wave",
                                     decay)
        if measured is not None:
            return measured
    return WaveNoise(WAVE_NOISE_CORRELATION, decay, "assumed")


def pair(found: OutcomePanel, confidence: float = 0.95,
         wave_noise_correlation: float | str | None = None) -> pd.DataFrame:
    """Both models for every outcome of ``found``: tidy rows (an outcome a model cannot be
    fitted for gets a row with no estimate whose ``method`` says why). The correlation of
    EX's noise between waves is :func:`wave_noise`'s, in each row's
    ``wave_noise_correlation`` and ``wave_noise_source``. ``p_holm``: the ``lag1`` p-values
    adjusted (Holm) over every outcome and both models."""
    confidence = check_confidence(confidence)
    noise = wave_noise(found, wave_noise_correlation)
    rows: list[dict] = []
    for name, outcome in found.outcomes.items():
        base = {"analysis": "linkage", "subject": "all", "outcome": name,
                "confidence": confidence, "better": outcome.better,
                "outcome_unit": outcome.unit, "wave_length": found.wave_length,
                "ex_measure": found.ex_measure, "ex_source": found.ex_source,
                "wave_noise_correlation": noise.first, "wave_noise_decay": noise.decay,
                "wave_noise_source": noise.source}
        variance = f"{name}_var" if f"{name}_var" in found.panel.columns else None
        data = found.panel.dropna(subset=[name]) if name in found.panel.columns else found.panel.iloc[:0]
        lagged = lagged_rows(data if variance is None else data.fillna({variance: 0.0}),
                             name, "ex", "ex_var", "unit_id", "wave", "n", variance) \
            if len(data) else pd.DataFrame()
        for key, model in (("fe", fixed_effects), ("ldv", lagged_outcome)):
            try:
                if lagged.empty:
                    raise InsufficientData("no unit has the outcome and the engagement of the "
                                           "wave before")
                fit = model(lagged, noise, confidence)
            except InsufficientData as reason:
                rows.append({**base, "estimand": ESTIMANDS[key], "term": "lag1",
                             "estimate": np.nan, "n": len(lagged),
                             "method": f"not estimated: {str(reason).rstrip('.')}"})
                continue
            rows.extend(_rows(fit, ESTIMANDS[key], base))
    out = tidy(rows, extra=EXTRA)
    tested = (out["term"] == "lag1") & out["p_value"].notna()
    out["p_holm"] = np.nan
    if tested.any():
        out.loc[tested, "p_holm"] = multipletests(out.loc[tested, "p_value"], method="holm")[1]
    return out


def _rows(fit: Fit, estimand: str, base: dict) -> list[dict]:
    """One row per term."""
    return [{**base, "estimand": estimand, "term": term, "estimate": fit.estimate[j],
             "se": fit.se[j], "ci_low": fit.ci_low[j], "ci_high": fit.ci_high[j],
             "p_value": fit.p_value[j], "n": fit.n, "n_units": fit.n_units,
             "uncorrected": fit.uncorrected[j], "reliability": fit.reliability[j],
             "method": f"{fit.method} (n = unit-waves)"}
            for j, term in enumerate(fit.terms)]


def run(con, confidence: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
        wave_noise_correlation: float | str | None = None) -> pd.DataFrame:
    """:func:`pair` on the warehouse's panel."""
    return pair(prepare(con, min_group_size), confidence, wave_noise_correlation)
