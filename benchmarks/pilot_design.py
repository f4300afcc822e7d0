"""Pilot design (``cxex design``): does the stated power hold, and what does sizing from the
history save against a sizing calculator's formula?

On planted organisations (:mod:`cxex_analysis.simulation.pilot_world`: latent experience
with a lasting level and a drift, customers answering in varying numbers), a pilot is
designed for an effect of 8 NPS points and run ``--draws`` times with that effect and with
none, analysed as notebook 02 analyses a registered pilot. Printed per look plan: the pilot
units chosen, the stated power, the share of pilots that found the effect and the share that
found one when there was none.

Baseline: an experimentation platform's calculator, n per arm = 2 (z₀.₉₇₅ + z₀.₈)² σ² / δ²
with σ² the variance of the units' six-month means (no pre-period adjustment, no look
plan): the units it asks for at an even split, against cxex's.

    python benchmarks/pilot_design.py [--draws 400] [--seeds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from cxex_analysis.estimators.pilot_sizing import residual_covariance, units_needed
from cxex_analysis.simulation.pilot_world import monthly_nps, organisation, power_check


def calculator_units(seed: int, effect: float) -> tuple[int, int]:
    """(the calculator's units at an even split, cxex's units at an even split, one look)."""
    world = organisation(300, seed=seed)
    history = monthly_nps(world, np.zeros_like(world.latent), seed)
    history = history[history["t"] < world.history]
    last = history[history["t"] >= world.history - 6].groupby("unit_id")["nps"].mean()
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    per_arm = int(np.ceil(2 * z ** 2 * last.var(ddof=1) / effect ** 2))
    variance = residual_covariance(history, "nps", 6, se="nps_se")
    return 2 * per_arm, units_needed(variance, effect, 300).even_units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(f"Power check: effect 8 NPS points, 300 units, {args.draws} pilots per organisation")
    print(f"{'org':>4s} {'looks':6s} {'pilot units':>11s} {'stated':>7s} {'found':>7s} "
          f"{'false +':>8s} {'seconds':>8s}")
    for seed in range(args.seeds):
        for looks in ("final", "each"):
            began = time.perf_counter()
            c = power_check(8.0, looks, draws=args.draws, seed=seed)
            print(f"{seed:4d} {looks:6s} {c.n_treated:11d} {c.stated:7.3f} {c.detected:7.3f} "
                  f"{c.false_positive:8.3f} {time.perf_counter() - began:8.1f}")
    print("\nUnits needed at an even split for 8 points at 80% power (one look):")
    print(f"{'org':>4s} {'calculator (raw variance)':>26s} {'cxex (pre-period adjusted)':>27s}")
    for seed in range(args.seeds):
        raw, cxex = calculator_units(seed, 8.0)
        print(f"{seed:4d} {raw:26d} {cxex:27d}")


if __name__ == "__main__":
    main()
