"""Calibration on the demo's world: the lagged EX → CX link as notebook 01 estimates it.

The latent world (:mod:`cxex_analysis.simulation.calibration`) is built for calibration; the
demo's world (:mod:`cxex_analysis.simulation.demo_world`) is built to look like an
organisation — monthly CX with lingering local events, EX reacting to CX, staff who answer
every wave with turnover, action plans, pilots, scales with ends. Each replication writes a
demo organisation of ``units`` units (the demo's mix of stores, branches, call centres and
teams, scaled), ingests it, builds notebook 01's panel and estimates H2 (NPS in t + 1 on
the engagement index in t) corrected for survey noise twice — with the export's
``employee_key`` and as if it had none (halves by role) — beside the uncorrected estimate;
the truth is the planted link in measured points (``truth.json``).
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd

from cxex_analysis.analyses import linkage
from cxex_analysis.panels import linkage_panels, unit_panels
from cxex_analysis.simulation import demo_files
from cxex_analysis.simulation.calibration import parallel
from cxex_analysis.simulation.demo_parameters import DemoParameters
from cxex_analysis.store import ingest, warehouse

#: organisation sizes (units) of the demo's world in the calibration table
DEMO_SIZES = (150, 300, 1000)


#: employee survey cadences of the demo's world in the calibration table: quarters between
#: surveys, the first month and quarters of data (annual surveys need four years for three
#: changes, all in the past), and the waves action plans are made from
CADENCES = {"quarterly": (1, "2024-01-01", 8, (2, 4, 7)),
            "annual": (4, "2022-01-01", 16, (4, 8, 15))}


def demo_organisation(units: int, seed: int, cadence: str = "quarterly") -> DemoParameters:
    """The demo's parameters with ``units`` units in the demo's mix, a seed of its own and
    employee surveys every quarter or once a year."""
    base = DemoParameters()
    total = sum(base.units_by_type.values())
    mix = {kind: max(2, round(n * units / total)) for kind, n in base.units_by_type.items()}
    every, start, quarters, cycles = CADENCES[cadence]
    return replace(base, units_by_type=mix, seed=seed, comment_share_customer=0.02,
                   comment_share_employee=0.02, ex_every=every, start=start,
                   n_quarters=quarters, action_cycles=cycles)


def _anonymous(panel: pd.DataFrame, con) -> pd.DataFrame:
    """Notebook 01's panel with the employee halves of an export without ``employee_key``."""
    halves = unit_panels.ex_halves(con, use_keys=False).drop(columns=["wave"])
    columns = [c for c in halves.columns if c not in ("unit_id", "period")]
    panel = panel.drop(columns=columns).merge(halves, on=["unit_id", "period"], how="left")
    return panel.sort_values(["unit_id", "t"]).reset_index(drop=True)


def replicate(job: tuple) -> list[dict]:
    """One demo organisation (``units``, ``seed``[, ``cadence``]): H2 keyed and anonymous,
    with the truth."""
    units, seed, *given = job
    cadence = given[0] if given else "quarterly"
    rows = []
    with tempfile.TemporaryDirectory(prefix="cxex-calibration-") as folder, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = Path(folder) / "data"
        truth = demo_files.generate(data, demo_organisation(units, seed, cadence))
        planted = truth["linkage"]["ex_to_cx_lagged"]["nps"]
        ingest.ingest(data, Path(folder) / "warehouse.duckdb")
        con = warehouse.connect(Path(folder) / "warehouse.duckdb")
        try:
            keyed = linkage_panels.build_panel(con)
            panels = {"keyed": keyed, "anonymous": _anonymous(keyed, con)}
        finally:
            con.close()
        plain = linkage.lagged_effects(keyed, "ex_to_cx", ["nps"]).iloc[0]
        for export, panel in panels.items():
            fit = linkage.corrected_effects(panel, "ex_to_cx", ["nps"]).iloc[0]
            where = f"{units} units" + (f", {cadence} EX" if cadence != "quarterly" else "")
            rows.append({"setting": f"demo world, {where}, {export}", "export": export,
                         "cadence": cadence,
                         "feedback": 1.0, "seed": seed, "estimand": "ex_to_cx_lagged",
                         "estimate": fit["estimate"], "se": fit["se"],
                         "ci_low": fit["ci_low"], "ci_high": fit["ci_high"], "truth": planted,
                         "estimate_uncorrected": plain["estimate"],
                         "se_uncorrected": plain["se"], "ci_low_uncorrected": plain["ci_low"],
                         "ci_high_uncorrected": plain["ci_high"]})
    return rows


def run(sizes=DEMO_SIZES, reps: int = 10, first_seed: int = 5000, workers: int = 2,
        cadences=tuple(CADENCES)) -> pd.DataFrame:
    """``reps`` demo organisations per size and survey cadence (seeds ``first_seed`` …), in
    parallel."""
    jobs = [(units, first_seed + rep, cadence) for cadence in cadences for units in sizes
            for rep in range(reps)]
    return pd.DataFrame([row for part in parallel(replicate, jobs, workers, chunksize=1)
                         for row in part])
