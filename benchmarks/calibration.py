"""Calibration of the links between survey scores, on latent worlds with planted truths.

For each setting (units x waves x respondents per unit-period, with or without EX reacting
to CX) it draws organisations from :mod:`cxex_analysis.latent`, estimates each link with
the noise-corrected estimator and with the uncorrected one (unit scores taken as exact),
and prints per estimand: the truth in measured units, the mean estimate, mean bias in
standard errors, and the 95% interval coverage of both. Targets: |bias| <= 0.1 SE and
coverage in [0.92, 0.98] for the corrected estimators.

    python benchmarks/calibration.py [--reps 50] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

#: units, waves, respondents per unit-period, EX's reaction to last quarter's CX
SETTINGS = [(600, 8, 30, 0.0), (600, 8, 30, 4.0), (300, 12, 30, 4.0), (600, 8, 100, 0.0),
            (2000, 6, 10, 0.0)]


def estimates(world: dict) -> dict:
    """(estimate, se, truth) per estimand, corrected and uncorrected."""
    from cxex_analysis import measurement
    from cxex_analysis.linkage import lagged_pairs, twfe

    quarterly, monthly, truth = world["quarterly"], world["monthly"], world["truth"]
    out = {}
    for name, y, x, target in (("ex_to_cx_lagged", "nps", "engagement_index", "ex_to_cx_lagged"),
                               ("cx_to_ex_lagged", "engagement_index", "nps", "cx_to_ex_lagged")):
        fit = measurement.cross_lagged(quarterly, y, x, "unit_id", "t")
        out[name] = (fit["estimate"], fit["se"], truth[target])
        plain = twfe(lagged_pairs(quarterly, x, y, 1), "y", "x", "unit_id", "y_time")
        out[f"{name}_uncorrected"] = (plain["params"]["x"], plain["se"]["x"], truth[target])
    fit = measurement.split_half_iv(monthly, "revenue_per_customer", "nps_a", "nps_b",
                                    "unit_id", "t")
    target = truth["revenue_per_customer_per_nps"]
    out["revenue_per_customer_per_nps"] = (fit["estimate"], fit["se"], target)
    plain = twfe(monthly, "revenue_per_customer", "nps", "unit_id", "t")
    out["revenue_per_customer_per_nps_uncorrected"] = (plain["params"]["nps"], plain["se"]["nps"],
                                                       target)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=50, help="organisations per setting")
    parser.add_argument("--quick", action="store_true", help="the first two settings only")
    args = parser.parse_args(argv)
    from cxex_analysis import latent

    warnings.simplefilter("ignore")
    settings = SETTINGS[:2] if args.quick else SETTINGS
    print(f"Calibration: {args.reps} organisations per setting; z = (estimate - truth) / SE")
    print(f"{'setting':34s} {'estimand':26s} {'truth':>8s} {'mean':>8s} {'bias/SE':>8s} "
          f"{'cover':>6s} {'uncorr. bias/SE':>15s} {'uncorr. cover':>13s}")
    for units, waves, respondents, feedback in settings:
        started = time.perf_counter()
        found: dict[str, list] = {}
        for rep in range(args.reps):
            world = latent.generate(latent.LatentWorld(
                units=units, waves=waves, employees=respondents, customers=respondents,
                cx_to_ex=feedback, seed=1000 + rep))
            for key, value in estimates(world).items():
                found.setdefault(key, []).append(value)
        label = f"{units} units x {waves} waves x {respondents}" + (", feedback" if feedback else "")
        for name in ("ex_to_cx_lagged", "cx_to_ex_lagged", "revenue_per_customer_per_nps"):
            rows = {}
            for key in (name, f"{name}_uncorrected"):
                estimate, se, truth = np.array(found[key]).T
                z = (estimate - truth) / se
                rows[key] = (truth.mean(), estimate.mean(), (estimate - truth).mean() / se.mean(),
                             np.mean(np.abs(z) < 1.959964))
            t, m, b, c = rows[name]
            _, _, ub, uc = rows[f"{name}_uncorrected"]
            print(f"{label:34s} {name:26s} {t:8.4f} {m:8.4f} {b:+8.2f} {c:6.2f} {ub:+15.2f} {uc:13.2f}")
        print(f"{'':34s} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
