"""How many units a pilot needs, from the organisation's own history.

An experimentation platform sizes a test from the metric's variance; a pilot over stores or
teams is sized here from what the analysis will actually see: each unit's mean over the
pilot's months, adjusted for its mean before the start (the ANCOVA / CUPED estimate of
notebook 02), with the survey noise of the current response volume inside those means.

:func:`_history_windows` places the pilot's window (its pre-period and ``periods`` periods
after the start) at the latest starts the history holds and takes each unit's residual
after the pre-period adjustment, at every look; :func:`residual_covariance` averages their
covariance across looks. The estimate at look *k* with ``n_t`` pilot and ``n_c`` comparison
units then has variance Σₖₖ (1/n_t + 1/n_c), and looks are correlated as Σ says.

* One look (``looks="final"``): the two-sided t test of the ANCOVA estimate; power from the
  noncentral t (:func:`power_at`).
* A look every period (``looks="each"``): the always-valid interval of notebook 02's monitor
  (:mod:`cxex_analysis.estimators.sequential`), its τ at the first look; power is the chance
  that its lower bound clears zero at some look, by simulation of the correlated looks with
  common random numbers, so that more units never read as less power.

:func:`units_needed` finds the fewest pilot units for a target power with every other
eligible unit as comparison (controls cost nothing), and :func:`mde_at` the smallest effect a
given split detects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cxex_analysis.errors import InsufficientData
from cxex_analysis.estimators.sequential import half_width

LOOKS = ("final", "each")

#: periods before the start a unit needs for the pre-period adjustment
MIN_PRE = 2
#: pseudo-starts whose windows are averaged (the latest ones the history holds)
STARTS = 6
#: simulated pilots behind a sequential power figure
DRAWS = 20_000


@dataclass(frozen=True)
class Variance:
    """What the history says one unit contributes to the estimate's variance at each look.

    ``covariance`` is Σ (looks × looks) of the units' residuals after the pre-period
    adjustment; ``persistent`` and ``noise`` split its diagonal into a part that does not
    shrink with more months (units drifting apart) and a part that does (survey noise and
    month-to-month swings, per period): Σₖₖ ≈ persistent + noise / k. ``survey_noise`` is
    the share of the last look's variance that the scores' own sampling error explains at
    the latest response volume (NaN when the history has no standard errors); ``units`` the
    units and ``starts`` the windows it was measured on; ``adjustment`` the share of the
    plain difference's variance the pre-period removes.
    """

    covariance: np.ndarray
    persistent: float
    noise: float
    survey_noise: float
    adjustment: float
    units: int
    starts: int
    periods: int


def _history_windows(history: pd.DataFrame, value: str, periods: int, unit: str = "unit_id",
                    time: str = "t", starts: int = STARTS) -> list[pd.DataFrame]:
    """Per pseudo-start, each unit's residual at looks 1…``periods`` (columns) after the
    pre-period adjustment: the post-start mean up to the look, regressed on the mean of
    every period before the start, as notebook 02 estimates it.

    The latest ``starts`` starts whose window fits in the history are used; raises
    :class:`~cxex_analysis.errors.InsufficientData` when none fits.
    """
    data = history.dropna(subset=[value])
    wide = data.pivot_table(index=unit, columns=time, values=value, aggfunc="mean")
    times = np.sort(wide.columns.to_numpy())
    if len(times) < MIN_PRE + periods:
        raise InsufficientData(
            f"the history holds {len(times)} periods of {value.replace('_', ' ')}; sizing a pilot "
            f"of {periods} needs at least {MIN_PRE + periods} ({MIN_PRE} before the start)")
    last_start = len(times) - periods
    windows = []
    for s in range(last_start, max(MIN_PRE, last_start - starts + 1) - 1, -1):
        pre = wide[times[:s]].mean(axis=1)
        after = wide[times[s:s + periods]]
        post = after.cumsum(axis=1, skipna=True).div(  # the mean up to each look
            after.notna().cumsum(axis=1).replace(0, np.nan))
        frame = post.assign(_pre=pre).dropna()
        if len(frame) < 6:
            continue
        x = frame["_pre"].to_numpy()
        resid = {}
        for k in range(periods):
            y = frame.iloc[:, k].to_numpy()
            slope = np.cov(y, x)[0, 1] / np.var(x, ddof=1) if np.var(x) > 0 else 0.0
            resid[k + 1] = y - y.mean() - slope * (x - x.mean())
        windows.append(pd.DataFrame(resid, index=frame.index).assign(
            _plain=frame.iloc[:, -1] - frame.iloc[:, -1].mean()))
    if not windows:
        raise InsufficientData(f"fewer than 6 units have {value.replace('_', ' ')} both before "
                               f"and after a start in the history")
    return windows


def residual_covariance(history: pd.DataFrame, value: str, periods: int,
                        se: str | None = None, unit: str = "unit_id", time: str = "t",
                        starts: int = STARTS) -> Variance:
    """:class:`Variance` of one unit's contribution, averaged over the latest windows.

    Examples
    --------
    Units with a lasting level (SD 10) and monthly noise (SD 20): the pre-period mean (7 to
    12 months) removes most of the level; what is left is the noise of 6 months (400 / 6)
    and the level the noisy pre-period mean misses (100 − 100² / (100 + 400 / 12) ≈ 25 at
    12 months, 36 at 7).

    >>> rng = np.random.default_rng(0)
    >>> level = rng.normal(0, 10, 400)
    >>> history = pd.DataFrame([{"unit_id": u, "t": t, "nps": level[u] + rng.normal(0, 20)}
    ...                         for u in range(400) for t in range(18)])
    >>> v = residual_covariance(history, "nps", 6)
    >>> round(float(v.covariance[-1, -1]))  # between 67 + 25 and 67 + 36, and sampling
    102
    """
    windows = _history_windows(history, value, periods, unit, time, starts)
    looks = list(range(1, periods + 1))
    covariance = np.mean([np.cov(w[looks].to_numpy(), rowvar=False).reshape(periods, periods)
                          for w in windows], axis=0)
    plain = float(np.mean([w["_plain"].var(ddof=1) for w in windows]))
    diagonal = np.diag(covariance)
    k = np.arange(1, periods + 1)
    if periods > 1:
        design = np.column_stack([np.ones(periods), 1 / k])
        (persistent, noise), *_ = np.linalg.lstsq(design, diagonal, rcond=None)
        persistent, noise = max(float(persistent), 0.0), max(float(noise), 0.0)
    else:
        persistent, noise = 0.0, float(diagonal[0])
    survey = np.nan
    if se and se in history.columns:
        recent = history[history[time] >= history[time].max() - 2][se].dropna()
        if len(recent):
            survey = float(min(1.0, np.mean(recent ** 2) / periods / diagonal[-1]))
    return Variance(covariance=covariance, persistent=persistent, noise=noise,
                    survey_noise=survey, adjustment=float(max(0.0, 1 - diagonal[-1] / plain))
                    if plain > 0 else 0.0, units=int(np.median([len(w) for w in windows])),
                    starts=len(windows), periods=periods)


def _scale(n_treated: float, n_control: float) -> float:
    return 1 / n_treated + 1 / n_control


def _t_over_z(df: float, alpha: float) -> float:
    return float(stats.t.ppf(1 - alpha / 2, df) / stats.norm.ppf(1 - alpha / 2))


def power_at(variance: Variance, effect: float, n_treated: int, n_control: int,
             alpha: float = 0.05, looks: str = "final", seed: int = 0) -> float:
    """Chance that the registered analysis finds ``effect`` with this split of units.

    ``final``: the two-sided t test of the ANCOVA estimate at the last look (noncentral t,
    n − 3 degrees of freedom). ``each``: the always-valid interval of the monitor clears zero
    on the effect's side at some look (its SEs scaled by t/z as the monitor does);
    simulated with ``seed`` (common random numbers across splits).

    Examples
    --------
    >>> v = Variance(np.array([[100.0]]), 0.0, 100.0, np.nan, 0.0, 100, 1, 1)
    >>> round(power_at(v, 2.802 * np.sqrt(100 * 2 / 50), 50, 50), 2)  # z rule, t a hair lower
    0.79
    """
    if n_treated < 2 or n_control < 2:
        return 0.0
    df = n_treated + n_control - 3
    scale = _scale(n_treated, n_control)
    if looks == "final":
        se = np.sqrt(variance.covariance[-1, -1] * scale)
        ncp = abs(effect) / se
        q = stats.t.ppf(1 - alpha / 2, df)
        found = float(stats.nct.sf(q, df, ncp) + stats.nct.cdf(-q, df, ncp))
        return found if np.isfinite(found) else float(stats.norm.sf(q - ncp))  # far tail
    draws, widths = _looks(variance, n_treated, n_control, alpha, seed)
    lower = np.maximum.accumulate(abs(effect) + draws - widths, axis=1)
    return float(np.mean(lower[:, -1] > 0))


def _looks(variance: Variance, n_treated: int, n_control: int, alpha: float,
           seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``DRAWS`` simulated pilots' estimates at every look (rows) and the half-widths of the
    monitor's always-valid intervals they get. The monitor reads its SEs (and τ, the first
    look's) from the data: each pilot's SEs are the true ones times √(χ²_ν / ν), one draw
    per pilot (the same units at every look), ν the Welch–Satterthwaite degrees of freedom
    of the two arms, then scaled by t/z as the monitor does."""
    df = n_treated + n_control - 3
    covariance = variance.covariance * _scale(n_treated, n_control)
    ses = np.sqrt(np.diag(covariance)) * _t_over_z(df, alpha)
    widths = half_width(ses ** 2, ses[0] ** 2, alpha)  # scales with the SEs when τ does too
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((DRAWS, len(covariance)))
    values, vectors = np.linalg.eigh(covariance)
    draws = z @ (vectors * np.sqrt(np.clip(values, 0, None))).T
    nu = _scale(n_treated, n_control) ** 2 / (1 / (n_treated ** 2 * (n_treated - 1))
                                              + 1 / (n_control ** 2 * (n_control - 1)))
    read = np.sqrt(stats.chi2.ppf(rng.uniform(size=(DRAWS, 1)), nu) / nu)
    return draws, widths * read


def false_positive_rate(variance: Variance, n_treated: int, n_control: int,
                        alpha: float = 0.05, looks: str = "final", seed: int = 0) -> float:
    """Chance that the registered analysis declares an effect in either direction when there
    is none: ``alpha`` for one look; at most ``alpha`` for the always-valid looks.

    Examples
    --------
    >>> v = Variance(np.eye(3) * 100 + 50, 50.0, 100.0, np.nan, 0.0, 100, 1, 3)
    >>> false_positive_rate(v, 50, 50, looks="each") < 0.05
    True
    """
    if looks == "final":
        return alpha
    draws, widths = _looks(variance, n_treated, n_control, alpha, seed)
    low = np.maximum.accumulate(draws - widths, axis=1)[:, -1]
    high = np.minimum.accumulate(draws + widths, axis=1)[:, -1]
    return float(np.mean((low > 0) | (high < 0)))


def mde_at(variance: Variance, n_treated: int, n_control: int, alpha: float = 0.05,
           power: float = 0.8, looks: str = "final", seed: int = 0) -> float:
    """Smallest effect found with probability ``power`` by this split (NaN when none can be:
    fewer than two units in an arm).

    Examples
    --------
    >>> v = Variance(np.array([[100.0]]), 0.0, 100.0, np.nan, 0.0, 200, 1, 1)
    >>> round(mde_at(v, 100, 100), 2)  # (t₀.₉₇₅ + t₀.₈) × √(100 × 2 / 100) at 197 df ≈ 2.81 × 1.41
    3.98
    """
    if n_treated < 2 or n_control < 2:
        return float("nan")
    se = np.sqrt(variance.covariance[-1, -1] * _scale(n_treated, n_control))
    high = 50 * se
    if power_at(variance, high, n_treated, n_control, alpha, looks, seed) < power:
        return float("nan")
    return float(optimize.brentq(
        lambda d: power_at(variance, d, n_treated, n_control, alpha, looks, seed) - power,
        1e-9 * se, high, xtol=1e-4 * se))


@dataclass(frozen=True)
class Sizing:
    """The design's figures: ``n_treated`` pilot units and ``n_control`` comparison units
    reach ``power`` for ``effect`` (None when the eligible units cannot); ``even_units`` the
    units needed in all at an even split; ``mde_available`` what an even split of every
    eligible unit detects; ``curve`` power against pilot units for the report."""

    effect: float
    alpha: float
    power: float
    looks: str
    eligible: int
    n_treated: int | None
    n_control: int | None
    achieved: float | None
    even_units: int | None
    mde_available: float
    curve: pd.DataFrame


def units_needed(variance: Variance, effect: float, eligible: int, alpha: float = 0.05,
                 power: float = 0.8, looks: str = "final", seed: int = 0,
                 max_units: int = 1_000_000) -> Sizing:
    """The fewest pilot units that find ``effect`` with ``power`` when every other eligible
    unit is the comparison; and, whatever the eligible units, the units an even split needs.

    Examples
    --------
    >>> v = Variance(np.array([[400.0]]), 0.0, 400.0, np.nan, 0.0, 200, 1, 1)
    >>> s = units_needed(v, effect=5.0, eligible=1000)
    >>> s.n_treated, s.even_units  # 2.8² × 800 / 25 ≈ 251 per arm at an even split (t: 253)
    (148, 506)
    """
    def reaches(n_t: int, n_c: int) -> bool:
        return power_at(variance, effect, n_t, n_c, alpha, looks, seed) >= power

    def smallest(low: int, high: int, ok) -> int:
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if ok(middle) else (middle + 1, high)
        return low

    even = None
    if reaches(max_units // 2, max_units // 2):
        even = 2 * smallest(2, max_units // 2, lambda m: reaches(m, m))
    n_treated = n_control = achieved = None
    if eligible >= 4 and reaches(eligible // 2, eligible - eligible // 2):
        n_treated = smallest(2, eligible // 2, lambda m: reaches(m, eligible - m))
        n_control = eligible - n_treated
        achieved = power_at(variance, effect, n_treated, n_control, alpha, looks, seed)
    mde = mde_at(variance, eligible // 2, eligible - eligible // 2, alpha, power, looks, seed) \
        if eligible >= 4 else float("nan")
    top = max(eligible // 2, 4)
    grid = np.unique(np.linspace(2, top, min(top - 1, 25)).round().astype(int))
    curve = pd.DataFrame({"pilot_units": grid, "comparison_units": eligible - grid})
    curve = curve[curve["comparison_units"] >= 2]
    curve["power"] = [power_at(variance, effect, int(t), int(c), alpha, looks, seed)
                      for t, c in zip(curve["pilot_units"], curve["comparison_units"])]
    return Sizing(effect=effect, alpha=alpha, power=power, looks=looks, eligible=eligible,
                  n_treated=n_treated, n_control=n_control, achieved=achieved, even_units=even,
                  mde_available=mde, curve=curve.reset_index(drop=True))
