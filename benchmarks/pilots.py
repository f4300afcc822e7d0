"""Pilot analysis: precision, error rates and coverage, each beside its baseline.

1. The demo organisation's staggered pilot (P2, NPS): the ATT's standard error with the
   baseline pooled over the six months before each start (cxex's default) against R did's
   defaults (a single-period baseline: ``varying`` and ``universal``), by month and quarter.
2. Monthly looks at a pilot with no effect: how often the always-valid interval stops it
   (false positives) against an ordinary 95% interval read at every look.
3. Few units (12, no effect): coverage of the small-sample intervals (Webb weights, t with
   Hsu's degrees of freedom) against large-sample normal intervals from the same bootstrap.
4. The winner's curse: organisations' planted pilots (most do little, some work), valued as
   measured and shrunk as notebook 03 values them; the error of the pilots that looked good
   (those a leadership team would scale) and the coverage of their intervals.

    python benchmarks/pilots.py [--reps 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from cxex_analysis.analyses import pilots
from cxex_analysis.estimators import staggered
from cxex_analysis.panels import pilot_panels
from cxex_analysis.simulation import demo_files, pilot_portfolio
from cxex_analysis.store import ingest, warehouse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def baselines_on_the_demo(folder: Path) -> None:

    demo_files.generate(folder / "demo")
    ingest.ingest(folder / "demo", folder / "w.duckdb")
    con = warehouse.connect(folder / "w.duckdb")
    truth = __import__("json").loads((folder / "demo" / "truth.json").read_text())
    panels = pilot_panels.pilot_panels(con, "P2")
    panels, control_group, _ = pilots.comparison_units(panels, "staggered", "never_treated")
    print("1. Demo staggered pilot P2, effect on NPS (truth "
          f"{truth['pilots']['P2']['att']['nps']:+.2f}): SE by baseline and frequency")
    print(f"   {'baseline':10s} {'frequency':9s} {'estimate':>9s} {'SE':>6s} {'95% CI':>17s}")
    for baseline in ("pooled", "varying", "universal"):
        for freq in ("month", "quarter"):
            rows, _ = pilots.staggered_effects(panels, "nps", control_group, 0.95, 999, 42,
                                                    "P2", baseline, frequencies=(freq,))
            att = rows[rows["estimand"] == "att"].iloc[0]
            flag = "  <- cxex default" if baseline == "pooled" and freq == "month" else ""
            print(f"   {baseline:10s} {freq:9s} {att['estimate']:+9.2f} {att['se']:6.2f} "
                  f"[{att['ci_low']:+6.2f}, {att['ci_high']:+6.2f}]{flag}")
    con.close()


def sequential_error_rates(reps: int) -> None:
    from test_sequential import _false_positive_rates

    print(f"\n2. Monthly looks (12) at a pilot with no effect, {reps} pilots per design: "
          "share stopped wrongly")
    print(f"   {'design':11s} {'always-valid':>13s} {'ordinary 95% every look':>24s}")
    for design in ("randomized", "staggered"):
        always, fixed = _false_positive_rates(design, reps, seed=11)
        print(f"   {design:11s} {always:13.3f} {fixed:24.3f}")


def few_unit_coverage(reps: int) -> None:
    from test_staggered import _null_rollout


    rng = np.random.default_rng(5)
    small, normal = [], []
    for _ in range(reps):
        row = staggered.staggered_did(_null_rollout(rng, 12), "y", "u", "t", "g", n_boot=399,
                                      seed=int(rng.integers(1 << 30)),
                                      aggregations=("simple",)).iloc[0]
        small.append(row["ci_low"] <= 0 <= row["ci_high"])
        normal.append(abs(row["estimate"]) <= 1.96 * row["se"])
    print(f"\n3. 12 units (6 treated in two start groups), no effect, {reps} pilots: coverage "
          "of the 95% interval")
    print(f"   small-sample (Webb, t with Hsu df) {np.mean(small):.3f}   "
          f"large-sample normal {np.mean(normal):.3f}")


def winners_curse(organisations: int) -> None:
    found = pilot_portfolio.run(organisations)
    print(f"\n4. {organisations} organisations' planted pilots ({len(found)}; most do little, "
          "some work), effect on NPS: measured vs shrunk before valuing")
    print(f"   {'pilots':34s} {'effect':9s} {'n':>5s} {'mean error':>11s} {'RMSE':>6s} "
          f"{'coverage':>9s}")
    for row in pilot_portfolio.summary(found).itertuples():
        print(f"   {row.pilots:34s} {row.effect:9s} {row.n:5d} {row.mean_error:+11.2f} "
              f"{row.rmse:6.2f} {row.coverage:9.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200, help="simulated pilots per check")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        baselines_on_the_demo(Path(folder))
    sequential_error_rates(args.reps)
    few_unit_coverage(args.reps)
    winners_curse(5 * args.reps)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
