"""EX → any outcome, bracketed: fixed effects beside the lagged dependent variable.

Two models of the same question — does a unit's outcome (a readmission index, sales per
square foot, NPS) follow its employees' experience? — that fail in opposite directions:

* **fixed effects** (:func:`fixed_effects`): each unit compared with itself over time
  (weighted unit means removed, a shared effect per wave). Right when units differ in
  lasting ways that drive both EX and the outcome; wrong when the outcome carries over from
  one wave to the next and EX reacts to it.
* **lagged dependent variable** (:func:`lagged_outcome`): the outcome on EX and on the
  outcome's own previous value (a shared effect per wave). Right when the outcome carries
  over; wrong when lasting differences remain.

Angrist & Pischke (2009), *Mostly Harmless Econometrics* §5.4: if the fixed-effects model is
right and the lagged one is used, a positive effect comes out too small; if the lagged one
is right and fixed effects are used, too large — under their assumptions the truth lies
between them, so the pair brackets it. Each has the terms ``lag0`` (EX of the outcome's own
wave) and ``lag1`` (EX of the wave before: "the previous wave", whatever the waves' length),
weighted by the respondents of the wave's EX score.

**Survey noise.** A unit's EX score is a sample of its staff: its sampling variance
(``sd² / n``) would pull both models towards zero. Both are corrected by corrected least
squares (Fuller 1987, *Measurement Error Models* §2.2): the noise's expected contribution to
the regressors' cross-products is taken out before solving, ``β = (Z'WZ − Ω)⁻¹ Z'Wy``, with
a unit-cluster sandwich for the corrected estimating equation (CR1, t with G − 1 degrees of
freedom). **The same people answer again**: a person's lasting way of answering stays in
the unit's score from wave to wave, so two waves' sampling errors are correlated, the more
the closer the waves (people leave): ρ(k) = ρ₁ × decay^(k − 1) for waves k apart
(:class:`WaveNoise`). Fixed effects then see less noise than new people each wave would
bring, and a correction that assumed new people (ρ₁ = 0) over-corrects (×2 on rosters).
From respondent rows both numbers are measured (:func:`noise_correlation`, from halves of
the respondents that keep their people); for a platform's scores they are assumed —
ρ₁ = 0.4, the middle of what rosters give (a lasting trait of 0.5–0.7 of an answer's spread,
times 0.6–0.8 of a wave's respondents having answered the wave before), decay 0.85 a year
(staff turnover of 15%); 0 is right for new respondents each wave (customers). The
outcome's own sampling variance, when it is a survey score, corrects its previous value in
the lagged model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import InsufficientData, ParameterError, check_confidence
from cxex_analysis.estimators.fixed_effects import cr1_factor

#: the correlation of a unit's EX sampling errors in two consecutive waves, when the same
#: people answer and nothing else is known (a platform's scores)
WAVE_NOISE_CORRELATION = 0.4

#: how much of that correlation is left a year later (staff turnover of 15% a year)
YEARLY_DECAY = 0.85


@dataclass(frozen=True)
class WaveNoise:
    """How a unit's EX sampling errors correlate between waves: ``first`` for consecutive
    waves, times ``decay`` for each further wave; ``source`` says where the numbers come
    from ('halves', 'assumed', 'set')."""

    first: float = WAVE_NOISE_CORRELATION
    decay: float = YEARLY_DECAY
    source: str = "assumed"

    def __post_init__(self):
        for name, value in (("wave_noise_correlation", self.first), ("decay", self.decay)):
            if not (isinstance(value, (int, float, np.floating)) and 0 <= value <= 1
                    and not (name == "wave_noise_correlation" and value == 1)):
                raise ParameterError(f"`{name}` must be a number from 0 to below 1, but "
                                     f"{value!r} was passed.")

    def at(self, lags) -> np.ndarray:
        """The correlation at each lag (1 at lag 0)."""
        lags = np.abs(np.asarray(lags))
        return np.where(lags == 0, 1.0, self.first * self.decay ** np.maximum(lags - 1, 0))

    def describe(self) -> str:
        return f"wave_noise_correlation_{self.first:.2f}_{self.source}_decay_{self.decay:.2f}_per_wave"


def yearly_decay(wave_length: str) -> float:
    """:data:`YEARLY_DECAY` for one wave of ``wave_length`` ('month' … 'year').

    Examples
    --------
    >>> round(yearly_decay("quarter"), 3)  # 0.85 ** 0.25
    0.96
    """
    years = {"month": 1 / 12, "quarter": 0.25, "half-year": 0.5, "year": 1.0}.get(wave_length, 1.0)
    return float(YEARLY_DECAY ** years)

#: below this share of real change in a term's regressor, its effect is not estimated
MIN_RELIABILITY = 0.1

TERMS = ("lag0", "lag1")


@dataclass(frozen=True)
class Fit:
    """One corrected model: coefficients, their cluster-robust SEs and intervals."""

    terms: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    uncorrected: np.ndarray
    reliability: np.ndarray  # share of each regressor's (partial) variation that is real
    n: int
    n_units: int
    method: str


def lagged_rows(data: pd.DataFrame, outcome: str, ex: str, ex_var: str, unit: str, wave: str,
                weight: str, outcome_var: str | None = None) -> pd.DataFrame:
    """One row per unit-wave with the outcome, EX of that wave and of the wave before, the
    outcome of the wave before, their sampling variances and the weight: columns ``unit,
    wave, y, x0, v0, x1, v1, y1, vy1, w``. ``wave`` must be whole numbers counting the
    organisation's waves (the previous wave is ``wave − 1``).

    Examples
    --------
    >>> panel = planted_outcome_panel(units=3, waves=3)
    >>> rows = lagged_rows(panel, "y", "ex", "ex_var", "unit", "wave", "n")
    >>> len(rows), rows["wave"].unique().tolist()  # waves 0 and 1 have no outcome before them
    (3, [2])
    """
    missing = [c for c in (outcome, ex, ex_var, unit, wave, weight, outcome_var)
               if c and c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    frame = pd.DataFrame({"unit": data[unit].to_numpy(), "wave": data[wave].to_numpy(),
                          "y": data[outcome].to_numpy(float), "x0": data[ex].to_numpy(float),
                          "v0": data[ex_var].to_numpy(float), "w": data[weight].to_numpy(float),
                          "vy": (data[outcome_var].to_numpy(float) if outcome_var
                                 else np.zeros(len(data)))})
    before = frame[["unit", "wave", "x0", "v0", "y", "vy"]].rename(
        columns={"x0": "x1", "v0": "v1", "y": "y1", "vy": "vy1"})
    before["wave"] = before["wave"] + 1
    rows = frame.drop(columns="vy").merge(before, on=["unit", "wave"], how="inner")
    rows = rows.dropna(subset=["y", "x0", "v0", "x1", "v1", "y1", "w"])
    rows = rows[rows["w"] > 0]
    return rows.sort_values(["unit", "wave"]).reset_index(drop=True)


def _wave_dummies(waves: pd.Series, drop_first: bool) -> np.ndarray:
    dummies = pd.get_dummies(waves.astype(int), dtype=float).to_numpy()
    return dummies[:, 1:] if drop_first else dummies


def _solve(z: np.ndarray, y: np.ndarray, w: np.ndarray, omega: np.ndarray,
           unit_omega: np.ndarray, clusters: np.ndarray, n_terms: int, confidence: float,
           names: tuple[str, ...], method: str, extra_k: int = 0) -> Fit:
    """Corrected least squares ``(Z'WZ − Ω)⁻¹ Z'Wy`` with a unit-cluster CR1 sandwich.

    ``omega`` is the noise's K × K contribution summed over rows; ``unit_omega`` the same per
    cluster (G × K × K), for the estimating equation's cluster scores."""
    gram = z.T @ (w[:, None] * z)
    corrected = gram - omega
    try:
        inverse = np.linalg.inv(corrected)
        plain = np.linalg.inv(gram)
    except np.linalg.LinAlgError:
        raise InsufficientData("the outcome or EX does not change within units beyond what "
                               "every unit shares in a wave") from None
    # the share of each term's partial variation that is real change, not survey noise
    reliability = np.diag(plain)[:n_terms] / np.diag(inverse)[:n_terms]
    noisy = [names[j] for j in range(n_terms)
             if not np.isfinite(reliability[j]) or reliability[j] < MIN_RELIABILITY
             or np.diag(inverse)[j] <= 0]
    if noisy:
        raise InsufficientData(
            f"the score's change from one period to the next is mostly survey noise "
            f"({', '.join(noisy)}: {max(float(np.nanmin(reliability)), 0):.0%} of it real), so "
            "its link cannot be told from noise")
    zy = z.T @ (w * y)
    beta = inverse @ zy
    residual = y - z @ beta
    codes, groups = pd.factorize(clusters)[0], pd.unique(clusters).size
    scores = np.zeros((groups, z.shape[1]))
    np.add.at(scores, codes, z * (w * residual)[:, None])
    scores += unit_omega @ beta
    n, k = z.shape
    covariance = inverse @ (scores.T @ scores) @ inverse * cr1_factor(groups, n, k + extra_k)
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))[:n_terms]
    estimate = beta[:n_terms]
    t = stats.t.ppf(0.5 + confidence / 2, groups - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(estimate / se), groups - 1)
    return Fit(names, estimate, se, estimate - t * se, estimate + t * se, p,
               (plain @ zy)[:n_terms], reliability, int(n), int(groups), method)


def fixed_effects(rows: pd.DataFrame, noise: WaveNoise = WaveNoise(),
                  confidence: float = 0.95) -> Fit:
    """Outcome on EX of its wave (``lag0``) and of the wave before (``lag1``), within units
    (weighted unit means removed) with an effect per wave, corrected for survey noise whose
    errors correlate between a unit's waves as ``noise`` says.

    Examples
    --------
    A planted panel (:func:`planted_outcome_panel`): the outcome falls 0.3 for each point
    of the previous wave's engagement, units' lasting levels confound the comparison between
    units, and each score carries sampling noise of variance 9:

    >>> rows = lagged_rows(planted_outcome_panel(), "y", "ex", "ex_var", "unit", "wave", "n")
    >>> fit = fixed_effects(rows, WaveNoise(0.0))
    >>> bool(fit.ci_low[1] < -0.3 < fit.ci_high[1]), bool(fit.uncorrected[1] > fit.estimate[1])
    (True, True)
    """
    confidence = check_confidence(confidence)
    method = (f"fixed_effects_unit_and_wave_corrected_least_squares_{noise.describe()}_"
              "weighted_by_respondents_cr1_unit")
    return _within(rows, (("x0", "v0", 0), ("x1", "v1", 1)), noise, confidence, TERMS, method)


def corrected_within(data: pd.DataFrame, y: str, x: str, variance: str, unit: str, time: str,
                     noise: WaveNoise = WaveNoise(0.0, 1.0, "set"),
                     confidence: float = 0.95) -> Fit:
    """``y`` on ``x`` of the same period within units, with an effect per period, ``x``'s
    survey noise (sampling ``variance``, correlated between periods as ``noise`` says; by
    default new people each period, as customers are) taken out; unweighted. What the
    money links use where the scores cannot be split into halves (a platform's export).

    Examples
    --------
    >>> panel = planted_outcome_panel(seed=2)
    >>> fit = corrected_within(panel.assign(lead=panel.groupby("unit")["y"].shift(-1)),
    ...                        "lead", "ex", "ex_var", "unit", "wave")
    >>> bool(fit.ci_low[0] < -0.3 < fit.ci_high[0]), bool(fit.uncorrected[0] > -0.25)
    (True, True)
    """
    confidence = check_confidence(confidence)
    missing = [c for c in (y, x, variance, unit, time) if c not in data.columns]
    if missing:
        raise ParameterError(f"column(s) {missing} are not in the data.")
    rows = pd.DataFrame({"unit": data[unit].to_numpy(), "wave": data[time].to_numpy(),
                         "y": data[y].to_numpy(float), "x0": data[x].to_numpy(float),
                         "v0": data[variance].to_numpy(float), "w": 1.0}).dropna()
    method = (f"fixed_effects_unit_and_period_corrected_least_squares_{noise.describe()}_"
              "cr1_unit")
    return _within(rows.reset_index(drop=True), (("x0", "v0", 0),), noise, confidence,
                   (x,), method)


def _within(rows: pd.DataFrame, terms: tuple, noise: WaveNoise, confidence: float,
            names: tuple[str, ...], method: str) -> Fit:
    """Corrected least squares within units (weighted unit means removed) with an effect per
    wave: ``terms`` are (regressor, its sampling variance, how many waves back it was
    measured)."""
    counts = rows.groupby("unit")["wave"].transform("size")
    rows = rows[counts > 1].reset_index(drop=True)
    if rows["unit"].nunique() < 3:
        raise InsufficientData("too few units have two periods with the outcome and the score")
    w = rows["w"].to_numpy(float)
    unit = rows["unit"].to_numpy()
    z = np.column_stack([rows[[t[0] for t in terms]].to_numpy(float),
                         _wave_dummies(rows["wave"], drop_first=True)])
    y = rows["y"].to_numpy(float)
    total = rows.groupby("unit")["w"].transform("sum").to_numpy()

    def demean(values: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(values * w[:, None]).groupby(unit).transform("sum").to_numpy()
        return values - frame / total[:, None]

    z, y = demean(z), demean(y[:, None])[:, 0]
    unit_omega = _within_noise(rows, noise, z.shape[1], terms)
    return _solve(z, y, w, unit_omega.sum(axis=0), unit_omega, unit, len(terms), confidence,
                  names, method)


def _within_noise(rows: pd.DataFrame, noise: WaveNoise, k: int,
                  terms: tuple = (("x0", "v0", 0), ("x1", "v1", 1))) -> np.ndarray:
    """Each unit's expected noise contribution to the demeaned regressors' weighted
    cross-products (G × K × K; only ``terms``, (regressor, sampling variance, waves back),
    are noisy).

    Weighted demeaning within a unit is M = I − 1w'/S, so M'WM = W − ww'/S; the noise of the
    scores of waves k and l has covariance ρ(|k − l|) s_k s_l (s = √v). So for terms a, b:
    Σ_r w_r Cov(a_r, b_r) − (1/S) Σ_r Σ_q w_r w_q Cov(a_r, b_q), the double sum a quadratic
    form of each unit's weighted SEs on the organisation's wave calendar."""
    codes, order = pd.factorize(rows["unit"])
    waves = rows["wave"].to_numpy(int)
    waves = waves - waves.min()
    calendar = waves.max() + 1
    w = rows["w"].to_numpy(float)
    s = [np.sqrt(rows[variance].to_numpy(float)) for _, variance, _ in terms]
    back = [offset for _, _, offset in terms]
    weighted = []
    for a in range(len(terms)):
        dense = np.zeros((len(order), calendar))
        dense[codes, waves] = w * s[a]
        weighted.append(dense)
    total = np.bincount(codes, weights=w, minlength=len(order))
    gap = np.subtract.outer(np.arange(calendar), np.arange(calendar))
    omega = np.zeros((len(order), k, k))
    for a in range(len(terms)):
        for b in range(a, len(terms)):
            lag = back[b] - back[a]
            own = np.bincount(codes, weights=w * noise.at(lag) * s[a] * s[b], minlength=len(order))
            shared = np.einsum("ut,ts,us->u", weighted[a], noise.at(gap + lag), weighted[b])
            omega[:, a, b] = omega[:, b, a] = own - shared / total
    return omega


def lagged_outcome(rows: pd.DataFrame, noise: WaveNoise = WaveNoise(),
                   confidence: float = 0.95) -> Fit:
    """Outcome on EX of its wave (``lag0``), of the wave before (``lag1``) and on its own
    value in the wave before (``previous_outcome``), with an effect per wave, weighted by
    respondents and corrected for survey noise (EX's, correlated between the two waves as
    ``noise`` says, and the previous outcome's own when it is a survey score).

    Examples
    --------
    >>> rows = lagged_rows(planted_outcome_panel(), "y", "ex", "ex_var", "unit", "wave", "n")
    >>> fit = lagged_outcome(rows, WaveNoise(0.0))
    >>> fit.terms, bool(fit.estimate[1] < 0)
    (('lag0', 'lag1', 'previous_outcome'), True)
    """
    confidence = check_confidence(confidence)
    if rows["unit"].nunique() < 3:
        raise InsufficientData("too few units have an outcome and the EX of the wave before")
    w = rows["w"].to_numpy(float)
    z = np.column_stack([rows[["x0", "x1", "y1"]].to_numpy(float),
                         _wave_dummies(rows["wave"], drop_first=False)])
    v0, v1, vy1 = (rows[c].to_numpy(float) for c in ("v0", "v1", "vy1"))
    per_row = np.zeros((len(rows), z.shape[1], z.shape[1]))
    per_row[:, 0, 0], per_row[:, 1, 1], per_row[:, 2, 2] = w * v0, w * v1, w * vy1
    per_row[:, 0, 1] = per_row[:, 1, 0] = w * noise.at(1) * np.sqrt(v0 * v1)
    unit = rows["unit"].to_numpy()
    codes = pd.factorize(unit)[0]
    unit_omega = np.zeros((codes.max() + 1, z.shape[1], z.shape[1]))
    np.add.at(unit_omega, codes, per_row)
    method = (f"lagged_dependent_variable_wave_effects_corrected_least_squares_"
              f"{noise.describe()}_weighted_by_respondents_cr1_unit")
    return _solve(z, rows["y"].to_numpy(float), w, per_row.sum(axis=0), unit_omega, unit, 3,
                  confidence, (*TERMS, "previous_outcome"), method)


def noise_correlation(data: pd.DataFrame, score: str, variance: str, half_a: str, half_b: str,
                      unit: str, wave: str, default_decay: float = YEARLY_DECAY) -> WaveNoise | None:
    """How a unit's sampling errors correlate between waves, measured with halves of its
    respondents that keep their people (:mod:`cxex_analysis.panels.respondent_halves`).

    Over ``k`` waves a unit's score changes by its real change plus the change of its noise;
    the halves' changes share only the real one (their errors are independent, also across
    waves), so ``Σ (Δf² − Δa Δb)`` is the noise of the changes,
    ``Σ (v_t + v_{t−k}) − 2 ρ(k) Σ s_t s_{t−k}``, which gives ρ(k) (changes taken within
    waves, so what every unit shared drops out). ρ₁ from consecutive waves; the decay from
    ρ₂ / ρ₁ where two waves apart are measured, else ``default_decay``. None when fewer
    than 30 units have both halves in consecutive waves, or the scores have no sampling
    variance (every respondent answered alike).

    Examples
    --------
    Halves whose errors are independent, and a full score whose errors correlate 0.5
    between consecutive waves (0.25 two waves apart):

    >>> rng = np.random.default_rng(0)
    >>> units, waves = 20000, 4
    >>> real = rng.normal(0, 3, (units, waves))
    >>> a, b = (real + rng.normal(0, 2.8, real.shape) for _ in range(2))
    >>> ar = rng.normal(0, 2, (units, waves))
    >>> for t in range(1, waves):
    ...     ar[:, t] = 0.5 * ar[:, t - 1] + np.sqrt(0.75) * ar[:, t]
    >>> frame = pd.DataFrame({"unit": np.repeat(np.arange(units), waves),
    ...                       "wave": np.tile(np.arange(waves), units),
    ...                       "f": (real + ar).ravel(), "v": 4.0,
    ...                       "a": a.ravel(), "b": b.ravel()})
    >>> noise = noise_correlation(frame, "f", "v", "a", "b", "unit", "wave")
    >>> round(noise.first, 1), round(noise.decay, 1), noise.source
    (0.5, 0.5, 'halves')
    """
    frame = data[[unit, wave, score, variance, half_a, half_b]].dropna()

    def at_lag(k: int) -> tuple[float, int]:
        earlier = frame.assign(**{wave: frame[wave] + k})
        pairs = frame.merge(earlier, on=[unit, wave], suffixes=("", "_e"))
        if pairs[unit].nunique() < 30:
            return np.nan, 0
        change = {c: pairs[c] - pairs[f"{c}_e"] for c in (score, half_a, half_b)}
        change = {c: d - d.groupby(pairs[wave]).transform("mean") for c, d in change.items()}
        noise = float((change[score] ** 2 - change[half_a] * change[half_b]).sum())
        cross = float(np.sqrt(pairs[variance] * pairs[f"{variance}_e"]).sum())
        both = float((pairs[variance] + pairs[f"{variance}_e"]).sum())
        if not cross > 0:  # no sampling variance (every respondent gave the same answers)
            return np.nan, 0
        return (both - noise) / (2 * cross), int(pairs[unit].nunique())

    first, units = at_lag(1)
    if not units:
        return None
    first = float(np.clip(first, 0.0, 0.9))
    second, _ = at_lag(2)
    decay = (float(np.clip(second / first, 0.0, 1.0)) if first > 0.05 and np.isfinite(second)
             else default_decay)
    return WaveNoise(first, decay, "halves")


def planted_outcome_panel(units: int = 300, waves: int = 6, effect: float = -0.3,
                          noise_variance: float = 9.0, seed: int = 0) -> pd.DataFrame:
    """A panel for the examples: latent EX with lasting unit levels and persistent shocks,
    scores with sampling noise of ``noise_variance`` (new respondents each wave), and an
    outcome that moves ``effect`` per point of the previous wave's latent EX, on top of
    unit levels that go with EX levels (what fixed effects take out).

    Examples
    --------
    >>> panel = planted_outcome_panel(units=2, waves=3)
    >>> list(panel.columns), int(panel["y"].isna().sum())  # no outcome before the first wave
    (['unit', 'wave', 'ex', 'ex_var', 'n', 'y'], 2)
    """
    rng = np.random.default_rng(seed)
    level = rng.normal(0, 6, units)
    latent = np.empty((units, waves))
    shock = rng.normal(0, 4, units)
    for t in range(waves):
        shock = 0.5 * shock + rng.normal(0, 4, units)
        latent[:, t] = 65 + level + shock
    score = latent + rng.normal(0, np.sqrt(noise_variance), latent.shape)
    outcome = 100 - 0.8 * level[:, None] + rng.normal(0, 1.5, latent.shape)
    outcome[:, 1:] += effect * (latent[:, :-1] - 65)
    return pd.DataFrame({"unit": np.repeat(np.arange(units), waves),
                         "wave": np.tile(np.arange(waves), units), "ex": score.ravel(),
                         "ex_var": noise_variance, "n": 30, "y": outcome.ravel()}).assign(
        y=lambda d: d["y"].where(d["wave"] > 0))
