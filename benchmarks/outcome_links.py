"""EX → an outcome, bracketed: bias, coverage and the bracket over planted organisations, each
beside its baselines.

Organisations of :mod:`cxex_analysis.simulation.outcome_world` (annual waves, the same people
answering wave after wave, a readmission rate where lower is better, planted −0.05 a point of
the previous year's engagement): each model's estimate is compared with the same model fitted
on the scores without sampling noise (the expected index given the latent experience: what the
correction must recover), and the planted effect is compared with the pair.

* cxex from respondent rows: noise correlated between waves, measured from the halves that
  keep their people;
* cxex from a platform's scores: the correlation assumed (0.4, fading 15% a year);
* baseline: the correction assuming new people each wave (ρ = 0);
* baseline: the scores taken as exact (what most tools do).

Last, the speed of the pair at the enterprise scale (5,000 units, 8 waves).

    python benchmarks/outcome_links.py [--reps 100] [--units 400]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cxex_analysis.errors import InsufficientData
from cxex_analysis.estimators.outcome_links import (
    WaveNoise,
    fixed_effects,
    lagged_outcome,
    lagged_rows,
    noise_correlation,
)
from cxex_analysis.panels.respondent_halves import respondent_halves
from cxex_analysis.simulation.outcome_world import OutcomeWorld, generate

METHODS = ("respondents, measured ρ", "scores, assumed ρ", "new people each wave (ρ = 0)",
           "scores taken as exact")


def _panel(tables: dict, first_year: int) -> pd.DataFrame:
    """Unit × wave: the exported score, its sampling variance, the halves of its respondents
    (as cxex makes them from the answers), the noise-free score and the outcome."""
    survey = tables["employee_survey"]
    items = [c for c in survey.columns if c.startswith("eng_")]
    answers = survey.assign(index=(survey[items].mean(axis=1) - 1) / 4 * 100,
                            half=respondent_halves(survey),
                            wave=pd.to_datetime(survey["wave"]).dt.year - first_year)
    keys = ["unit_id", "wave"]
    halves = answers.pivot_table(index=keys, columns="half", values="index", aggfunc="mean")
    halves.columns = ["a", "b"]
    scores = tables["employee_scores"].assign(
        wave=lambda d: pd.to_datetime(d["period"]).dt.year - first_year,
        var=lambda d: d["sd"] ** 2 / d["n"])
    expected = tables["expected"].assign(
        wave=lambda d: pd.to_datetime(d["period"]).dt.year - first_year)
    metrics = tables["unit_metrics"].assign(
        wave=lambda d: pd.to_datetime(d["period"]).dt.year - first_year)
    panel = scores[keys + ["value", "var", "n"]].merge(halves.reset_index(), on=keys, how="left")
    panel = panel.merge(expected[keys + ["expected"]], on=keys)
    return panel.merge(metrics[keys + ["value"]].rename(columns={"value": "y"}), on=keys)


def one_world(seed: int, units: int) -> dict:
    world = OutcomeWorld(units=units, seed=seed)
    tables = generate(world)
    panel = _panel(tables, world.first_year).assign(zero=0.0)
    exact = lagged_rows(panel, "y", "expected", "zero", "unit_id", "wave", "n")
    noisy = lagged_rows(panel, "y", "value", "var", "unit_id", "wave", "n")
    measured = noise_correlation(panel, "value", "var", "a", "b", "unit_id", "wave")
    noises = {METHODS[0]: measured, METHODS[1]: WaveNoise(), METHODS[2]: WaveNoise(0.0, 1.0)}
    out = {"planted": world.effect, "rho_world": tables["truth"]["noise_correlation"],
           "rho_measured": measured.first}
    for model, fit in (("fe", fixed_effects), ("ldv", lagged_outcome)):
        target = fit(exact, WaveNoise(0.0)).estimate[1]
        out[f"{model}|target"] = target
        for method, noise in noises.items():
            try:
                result = fit(noisy, noise)
            except InsufficientData:  # over-corrected until nothing real is left
                out[f"{model}|{method}|estimate"] = np.nan
                out[f"{model}|{method}|covered"] = np.nan
                continue
            out[f"{model}|{method}|estimate"] = result.estimate[1]
            out[f"{model}|{method}|covered"] = float(result.ci_low[1] < target < result.ci_high[1])
        result = fit(noisy, WaveNoise())
        out[f"{model}|{METHODS[3]}|estimate"] = result.uncorrected[1]
    return out


def speed(units: int = 5000, waves: int = 8) -> float:
    """Seconds for both models on an enterprise-sized panel."""
    rng = np.random.default_rng(0)
    panel = pd.DataFrame({"unit": np.repeat(np.arange(units), waves),
                          "wave": np.tile(np.arange(waves), units)})
    panel["ex"] = rng.normal(66, 8, len(panel))
    panel["y"] = rng.normal(14, 1, len(panel))
    panel["ex_var"], panel["n"] = 9.0, 30.0
    started = time.perf_counter()
    rows = lagged_rows(panel, "y", "ex", "ex_var", "unit", "wave", "n")
    fixed_effects(rows)
    lagged_outcome(rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--units", type=int, default=400)
    args = parser.parse_args()
    started = time.perf_counter()
    worlds = pd.DataFrame([one_world(seed, args.units) for seed in range(args.reps)])
    print(f"EX → readmission rate over {args.reps} planted organisations of {args.units} units, "
          f"6 annual waves ({time.perf_counter() - started:.0f} s)")
    print(f"  a unit's noise correlation between consecutive waves: world "
          f"{worlds['rho_world'].mean():.3f}, measured from halves {worlds['rho_measured'].mean():.3f}"
          f" (sd {worlds['rho_measured'].std():.3f})")
    print(f"  planted effect {worlds['planted'].iloc[0]:+.4f} a point of last year's engagement")
    for model, name in (("fe", "each unit against itself (ex_to_outcome_fe)"),
                        ("ldv", "holding the previous value (ex_to_outcome_ldv)")):
        target = worlds[f"{model}|target"]
        print(f"\n  {name}: the same model without sampling noise gives {target.mean():+.4f}")
        print(f"    {'method':32} {'mean':>8} {'bias/SD':>8} {'coverage':>9} {'estimated':>10}")
        for method in METHODS:
            estimate = worlds[f"{model}|{method}|estimate"]
            bias = (estimate - target).mean() / (estimate - target).std()
            covered = worlds.get(f"{model}|{method}|covered")
            cover = f"{covered.mean():9.2f}" if covered is not None else f"{'—':>9}"
            print(f"    {method:32} {estimate.mean():+8.4f} {bias:+8.2f} {cover} "
                  f"{estimate.notna().mean():10.0%}")
    for method in METHODS[:2]:
        fe, ldv = worlds[f"fe|{method}|estimate"], worlds[f"ldv|{method}|estimate"]
        planted = worlds["planted"]
        between = ((np.minimum(fe, ldv) < planted) & (planted < np.maximum(fe, ldv))).mean()
        print(f"\n  {method}: the planted effect lies between the two models in {between:.0%} "
              f"of organisations (mean fixed effects {fe.mean():+.4f}, lagged {ldv.mean():+.4f})")
    print(f"\nSpeed: both models on 5,000 units × 8 waves: {speed():.2f} s")


if __name__ == "__main__":
    main()
