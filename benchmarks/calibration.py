"""Calibration of the estimators that link survey scores, on latent worlds with planted truths.

For each setting (units x quarters x respondents per unit-period, with or without EX reacting
to CX; employees who are fresh people each wave or the same staff answering every wave,
exported anonymously or with a key, surveyed every quarter, half-year or year beside monthly
customer scores; every world with a small staggered pilot) it draws
organisations from :mod:`cxex_analysis.simulation.latent` and prints per estimand: the truth
in measured units, the mean estimate, the mean bias in standard errors, the 95% interval
coverage and, for the lagged links, the SE over an oracle's (the same design with the
regressors measured without noise), with the uncorrected estimator's bias and coverage
beside them (the baseline: unit scores taken as exact, as most tools do); then pooled per
export and over the grid. Targets for the corrected estimators: |bias| <= 0.1 SE over the
grid and 0.2 SE per export, coverage in [0.92, 0.98], SE within 1.5 times the oracle's.

Then the same for the demo's world (:mod:`cxex_analysis.simulation.demo_calibration`: the
organisation the README's demo writes, at 150, 300 and 1,000 units, with employee surveys
every quarter (two years) and once a year (four years), through ingest and notebook 01's
panel): the lagged EX -> CX link of its keyed export and of the same export without its key.
(With annual surveys the reverse link CX -> EX is not identified, and the tables say so by
its absence: its control, the engagement index of the quarter before, is never measured.)

Last, the customer-level money links (:mod:`cxex_analysis.simulation.customer_calibration`):
the revenue link within customers who answer more than once, on planted customer worlds
(``--customer-reps``) and on the demo's world through files, ingest and notebook 03's
``customer_value`` (``--customer-demo-reps``, with the leaving link between customers);
the baseline takes the single answer as exact. Targets: |bias| <= 0.2 SE, coverage in
[0.92, 0.98].

    python benchmarks/calibration.py [--reps 100] [--demo-reps 100] [--demo-seed 5000]
                                     [--customer-reps 200] [--customer-demo-reps 40]
                                     [--quick] [--workers 2] [--save rows.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cxex_analysis.simulation import calibration, customer_calibration, demo_calibration


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100,
                        help="organisations per setting (0: the demo's world only)")
    parser.add_argument("--demo-reps", type=int, default=100,
                        help="demo organisations per size and cadence (0: none; 100 reads a "
                             "setting's coverage to about 0.02 and its bias to 0.1 SE, 40 to "
                             "0.035 and 0.15 SE)")
    parser.add_argument("--demo-seed", type=int, default=5000,
                        help="the first demo organisation's seed (the others follow)")
    parser.add_argument("--customer-reps", type=int, default=200,
                        help="planted customer worlds for the customer-level link (0: none)")
    parser.add_argument("--customer-demo-reps", type=int, default=40,
                        help="demo organisations (150 units) for the customer-level links")
    parser.add_argument("--quick", action="store_true", help="the first two settings only")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--save", type=Path, default=None,
                        help="also write every replication's row to this CSV (and *-demo.csv)")
    args = parser.parse_args(argv)

    if args.reps:
        latent_world(args)
    if args.demo_reps:
        demo_world(args)
    if args.customer_reps or args.customer_demo_reps:
        customer_links(args)
    return 0


def show(table, label_column, spread=True):
    for row in table.itertuples():
        sd = f"{row.sd_over_se:6.2f}" if spread else f"{'-':>6s}"  # per setting only
        ratio = row.se_over_oracle
        oracle = f"{ratio:9.2f}" if ratio == ratio else f"{'-':>9s}"
        print(f"{getattr(row, label_column):56s} {row.estimand:32s} {row.truth:8.4g} "
              f"{row.mean_estimate:8.4g} {row.bias_se:+8.2f} {sd} "
              f"{row.coverage:6.2f} {oracle} {row.bias_se_uncorrected:+17.2f} "
              f"{row.coverage_uncorrected:15.2f}")


HEADER = (f"{'setting':56s} {'estimand':32s} {'truth':>8s} {'mean':>8s} {'bias/SE':>8s} "
          f"{'sd/SE':>6s} {'cover':>6s} {'SE/oracle':>9s} {'baseline bias/SE':>17s} "
          f"{'baseline cover':>15s}")


def latent_world(args) -> None:
    grid = calibration.GRID[:2] if args.quick else calibration.GRID
    started = time.perf_counter()
    found = calibration.run(grid, reps=args.reps, workers=args.workers, with_oracle=True)
    if args.save:
        found.to_csv(args.save, index=False)
    elapsed = time.perf_counter() - started
    worlds = found.groupby("setting")["seed"].nunique().sum()
    print(f"Calibration: {args.reps} organisations per setting, {worlds} in all, "
          f"{elapsed:.0f} s on {args.workers} processes")
    print("bias/SE = mean(estimate - truth) / mean SE; cover = share of 95% intervals "
          "holding the truth; SE/oracle = mean SE over the mean SE of the same link with the "
          "regressors measured without noise (lagged links); baseline = uncorrected (scores "
          "taken as exact)\n")
    print(HEADER)
    show(calibration.table(found), "setting")
    print()
    show(calibration.pooled(found, "export"), "grid", spread=False)
    show(calibration.pooled(found), "grid", spread=False)


def demo_world(args) -> None:
    sizes = demo_calibration.DEMO_SIZES[:1] if args.quick else demo_calibration.DEMO_SIZES
    started = time.perf_counter()
    demo = demo_calibration.run(sizes, reps=args.demo_reps, first_seed=args.demo_seed,
                                workers=args.workers)
    if args.save:
        demo.to_csv(args.save.with_name(args.save.stem + "-demo.csv"), index=False)
    print(f"\nThe demo's world: {args.demo_reps} organisations per size and cadence, "
          f"{time.perf_counter() - started:.0f} s")
    print(HEADER)
    show(calibration.table(demo), "setting")
    show(calibration.pooled(demo, "export"), "grid", spread=False)


def customer_links(args) -> None:
    started = time.perf_counter()
    found = customer_calibration.run(args.customer_reps, args.customer_demo_reps,
                                     workers=args.workers)
    if args.save:
        found.to_csv(args.save.with_name(args.save.stem + "-customers.csv"), index=False)
    print(f"\nCustomer-level links: {args.customer_reps} customer worlds, "
          f"{args.customer_demo_reps} demo organisations, {time.perf_counter() - started:.0f} s "
          "(baseline: the single answer taken as exact)")
    revenue = found[found["estimand"] == "revenue_per_nps_point"]
    for setting, part in revenue.groupby("setting", sort=False):
        print(f"  {setting}: revenue link {part['truth'].mean():.3g} within customers; a "
              f"comparison of customers converges to {part['between_customers'].mean():.3g}")
    print(HEADER)
    show(calibration.table(found), "setting")


if __name__ == "__main__":
    sys.exit(main())
