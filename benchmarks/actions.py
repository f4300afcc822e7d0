"""Did the actions work? Accuracy of the action review on organisations it was not tuned to.

Each replicate is a demo organisation with its own seed (latent experience measured by
surveys; groups choose their focus from the survey they just read, so a chance low helps pick
it; completed actions raise the focus item, dropped ones nothing), run through
``analyses.action_effects.action_effects`` twice:

* cxex: each unit's baseline ends before the survey its plan was made from;
* baseline: the naive design, whose baseline ends just before the first survey after
  completion (it keeps the survey the plan was made from, chance low included);
* with pilot units: cxex's design, but keeping the units that took part in a pilot (whose
  own effect on engagement then mixes with the actions').

Printed, pooled over the focus items: bias of the focus effect in standard errors, coverage
of the 95% interval of the planted truth, share of placebo items and dropped plans flagged
(truth 0), and the time per organisation.

    python benchmarks/actions.py [--reps 24] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from cxex_analysis.analyses import action_effects
from cxex_analysis.simulation import demo_files
from cxex_analysis.simulation.demo_parameters import DemoParameters
from cxex_analysis.store import ingest, warehouse


def replicate(seed: int) -> list[dict]:
    """One organisation: every focus row under both designs, with the planted truth."""
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp)
        demo_files.generate(folder / "data", DemoParameters(seed=seed, messy=False))
        truth = json.loads((folder / "data" / "truth.json").read_text())["actions"]
        ingest.ingest(folder / "data", folder / "w.duckdb")
        con = warehouse.connect(folder / "w.duckdb")
        rows = []
        try:
            for design, skip, leave_out in (("cxex", True, True), ("baseline", False, True),
                                            ("with pilot units", True, False)):
                started = time.perf_counter()
                effects = action_effects.action_effects(con, n_boot=299, seed=seed,
                                                 skip_plan_survey=skip,
                                                 leave_out_pilots=leave_out).effects
                seconds = time.perf_counter() - started
                for row in effects.to_dict("records"):
                    planted = truth["action_effect"].get(row["subject"], {})
                    value = (planted.get("completed") if row["term"] == "completed" else 0.0
                             if row["term"].startswith("placebo=") or row["term"] == "dropped"
                             else None)
                    if row["subject"] == "all_actions" or value is None:
                        continue
                    rows.append({"seed": seed, "design": design, "term": row["term"],
                                 "truth": value, "estimate": row["estimate"], "se": row["se"],
                                 "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                                 "p_holm": row.get("p_holm"), "p_value": row["p_value"],
                                 "n_treated": row["n_treated"],
                                 "seconds": seconds})
        finally:
            con.close()
    return rows


def table(found: pd.DataFrame) -> pd.DataFrame:
    found = found.dropna(subset=["estimate", "se"])
    found["kind"] = np.where(found["term"] == "completed", "focus item (truth = planted)",
                             np.where(found["term"] == "dropped", "dropped plans (truth 0)",
                                      "placebo items (truth 0)"))
    found["covered"] = (found["ci_low"] < found["truth"]) & (found["truth"] < found["ci_high"])
    found["z"] = (found["estimate"] - found["truth"]) / found["se"]
    found["flagged"] = np.where(found["term"].str.startswith("placebo="),
                                found["p_holm"] < 0.05, found["p_value"] < 0.05)
    return found.groupby(["kind", "design"]).agg(
        rows=("z", "size"), truth=("truth", "mean"), mean=("estimate", "mean"),
        bias_in_se=("z", "mean"), coverage=("covered", "mean"),
        flagged=("flagged", "mean")).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=5000)
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.reps)
    with ProcessPoolExecutor(args.workers) as pool:
        found = pd.DataFrame([r for rows in pool.map(replicate, seeds) for r in rows])
    print(f"Action review on {args.reps} demo organisations (seeds {seeds.start}–"
          f"{seeds.stop - 1}), {time.perf_counter() - started:.0f} s in all\n")
    print("cxex: baseline ends before the survey the plan was made from, pilot units left out; "
          "baseline: it keeps that survey; with pilot units: cxex keeping them\n")
    with pd.option_context("display.width", 140):
        print(table(found).to_string())
    focus = found[(found["term"] == "completed") & found["se"].notna()].copy()
    focus["acting units"] = pd.cut(focus["n_treated"], [0, 5, 14, 10 ** 6],
                                   labels=["3-5", "6-14", "15+"])
    focus["covered"] = (focus["ci_low"] < focus["truth"]) & (focus["truth"] < focus["ci_high"])
    print("\nfocus item coverage by number of acting units")
    print(focus.groupby(["acting units", "design"], observed=True)["covered"].agg(
        ["size", "mean"]).round(3).to_string())
    per_org = found.groupby(["seed", "design"])["seconds"].first().groupby("design").median()
    print("\nmedian seconds per organisation: " + ", ".join(
        f"{design} {seconds:.1f}" for design, seconds in per_org.items()))


if __name__ == "__main__":
    main()
