"""Return-on-experience benchmark: time of 10,000 vectorized Monte Carlo draws.

Prints the time of ``value_model.monte_carlo`` + ``value_model.summarise`` beside a plain Python loop over
the same draws (the naive way), in one run. Target: < 1 s for 10,000 draws.

    python benchmarks/rox.py [--draws 10000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cxex_analysis.analyses import rox
from cxex_analysis.estimators import value_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args(argv)

    inputs = rox.example_inputs(horizon_months=24)
    started = time.perf_counter()
    draws = value_model.monte_carlo(inputs, draws=args.draws)
    value_model.summarise(draws, inputs)
    vectorized = time.perf_counter() - started

    rng = np.random.default_rng(0)
    started = time.perf_counter()
    loop_draws = min(args.draws, 1000)
    for _ in range(loop_draws):  # the naive way: one model evaluation per draw
        values = value_model._arrays(inputs, rng, 1)
        value_model.evaluate(inputs, values)
    loop = (time.perf_counter() - started) * args.draws / loop_draws
    print(f"Monte Carlo, {args.draws:,} draws x {inputs.horizon_months} months")
    print(f"  vectorized (value_model.monte_carlo + summarise): {vectorized:.3f} s")
    print(f"  one draw at a time (extrapolated from {loop_draws:,}): {loop:.2f} s")
    print("  target: < 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
